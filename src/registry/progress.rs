//! What a pull or push shows while it works, as docker shows it: a bar per layer on a
//! terminal, one line per step when the output is not one, nothing with `-q`, or docker's
//! JSON progress lines for the Engine API (the same events, rendered for a program).
//!
//! Layer updates come from the download threads; in a rootless pull those run in the
//! forked child that owns the user namespace, which inherited this object and the terminal.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use serde_json::{json, Value};
use std::io::{IsTerminal, Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    Quiet,
    Lines,
    Bars,
    /// docker's JSON progress lines on standard output, for the API service to relay.
    Json,
}

/// What a pull or push reports, before it is rendered as a bar, a line or JSON.
pub enum Event<'a> {
    /// A line of the story: `latest: Pulling from library/busybox`, `Digest: ...`.
    Status(&'a str),
    /// A step of one layer: `Pulling fs layer`, `Downloading`, `Pull complete`.
    Layer { id: &'a str, status: &'a str },
    /// How many of a layer's bytes have moved.
    Transfer {
        id: &'a str,
        status: &'a str,
        current: u64,
        total: u64,
    },
}

impl Event<'_> {
    /// docker's JSON progress message for the event.
    pub fn docker_json(&self) -> Value {
        match *self {
            Event::Status(text) => json!({ "status": text }),
            Event::Layer { id, status } => {
                json!({ "status": status, "progressDetail": {}, "id": id })
            }
            Event::Transfer {
                id,
                status,
                current,
                total,
            } => json!({
                "status": status,
                "progressDetail": { "current": current, "total": total },
                "id": id,
            }),
        }
    }
}

pub struct Progress {
    mode: Mode,
    to_stderr: bool,
    bars: Option<MultiProgress>,
    /// Set once the bars are drawn for good (see [`Progress::settle`]).
    settled: AtomicBool,
}

impl Progress {
    /// Progress on standard output (`pull`, `push`) or standard error (`run` pulling what it
    /// lacks), as bars when that is a terminal.
    pub fn new(quiet: bool, to_stderr: bool) -> Arc<Progress> {
        Progress::with_mode(quiet, to_stderr, false)
    }

    /// As [`Progress::new`], or docker's JSON lines on standard output when `json`.
    pub fn with_mode(quiet: bool, to_stderr: bool, json: bool) -> Arc<Progress> {
        let terminal = if to_stderr {
            std::io::stderr().is_terminal()
        } else {
            std::io::stdout().is_terminal()
        };
        let mode = match (quiet, terminal) {
            _ if json => Mode::Json,
            (true, _) => Mode::Quiet,
            (false, true) => Mode::Bars,
            (false, false) => Mode::Lines,
        };
        let bars = (mode == Mode::Bars).then(|| {
            let target = if to_stderr {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::stdout()
            };
            MultiProgress::with_draw_target(target)
        });
        Arc::new(Progress {
            mode,
            to_stderr,
            bars,
            settled: AtomicBool::new(false),
        })
    }

    pub fn to_stderr(&self) -> bool {
        self.to_stderr
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// A line of the pull's story (`latest: Pulling from library/busybox`), unless quiet.
    pub fn line(&self, text: &str) {
        self.emit(&Event::Status(text));
    }

    /// Renders one event as this progress shows events.
    fn emit(&self, event: &Event) {
        match self.mode {
            Mode::Quiet => {}
            Mode::Json => self.write_line(&event.docker_json().to_string()),
            Mode::Lines | Mode::Bars => self.show(event),
        }
    }

    /// The terminal's rendering: bars drawn by [`LayerProgress`], lines for the rest.
    fn show(&self, event: &Event) {
        let text = match *event {
            Event::Status(text) => text.to_string(),
            Event::Layer { id, status } => format!("{id}: {status}"),
            // Lines show a transfer by its steps only; a bar draws its bytes itself.
            Event::Transfer { .. } => return,
        };
        match &self.bars {
            Some(bars) if !self.settled.load(Ordering::Relaxed) => {
                let _ = bars.println(&text);
            }
            _ => self.write_line(&text),
        }
    }

    fn write_line(&self, text: &str) {
        // One write per line, so lines of parallel layers never interleave.
        let line = format!("{text}\n");
        if self.to_stderr {
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
        } else {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        }
    }

    /// Progress of one layer, known to the user by `id` (12 hex digits of its digest).
    pub fn layer(self: &Arc<Self>, id: &str, total: u64) -> LayerProgress {
        let bar = self.bars.as_ref().map(|bars| {
            let bar = bars.add(ProgressBar::new(total));
            bar.set_style(plain_style());
            bar.set_prefix(id.to_string());
            bar.set_message("Waiting");
            bar
        });
        LayerProgress {
            progress: self.clone(),
            id: id.to_string(),
            bar,
            total,
            moved: AtomicU64::new(0),
            step: std::sync::Mutex::new(String::new()),
        }
    }

    /// The layers are done and their bars drawn for good, possibly by the forked child that
    /// did the work, whose drawing this process's copy of the bars knows nothing of: they are
    /// not drawn again, and later lines go below them.
    pub fn settle(&self) {
        if let Some(bars) = &self.bars {
            self.settled.store(true, Ordering::Relaxed);
            bars.set_draw_target(ProgressDrawTarget::hidden());
            // The cursor is still at the end of the last bar.
            self.write_line("");
        }
    }

    /// Makes sure nothing buffered is written twice by a forked child.
    pub fn flush(&self) {
        let _ = std::io::stdout().flush();
    }
}

pub struct LayerProgress {
    progress: Arc<Progress>,
    id: String,
    bar: Option<ProgressBar>,
    total: u64,
    /// Bytes moved so far, and in which step, for renderings without a bar.
    moved: AtomicU64,
    step: std::sync::Mutex<String>,
}

/// The steps during which a layer's bytes move, and a bar shows how many have.
const TRANSFERS: [&str; 2] = ["Downloading", "Pushing"];
/// What a pulled layer does once all of its bytes are in, until it is stored.
const EXTRACTING: &str = "Extracting";

/// `ID: Step`, as docker shows a layer between transfers.
fn plain_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix}: {msg}").unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// `ID: Downloading [=====>      ]  12.35MB/60.4MB`, as docker shows a transfer.
fn transfer_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix}: {msg} [{bar:50}] {done:>8}/{size}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "done",
            |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = out.write_str(&crate::size::human(state.pos(), 4));
            },
        )
        .with_key(
            "size",
            |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = out.write_str(&crate::size::human(state.len().unwrap_or(0), 4));
            },
        )
        .progress_chars("=> ")
}

impl LayerProgress {
    /// A step of this layer: `Pulling fs layer`, `Downloading`, `Pushing`, `Extracting`.
    pub fn step(&self, what: &str) {
        if let Ok(mut step) = self.step.lock() {
            what.clone_into(&mut step);
        }
        match &self.bar {
            Some(bar) => {
                bar.set_style(if TRANSFERS.contains(&what) {
                    transfer_style()
                } else {
                    plain_style()
                });
                bar.set_message(what.to_string());
            }
            None => self.progress.emit(&Event::Layer {
                id: &self.id,
                status: what,
            }),
        }
    }

    /// The last step (`Pull complete`, `Pushed`): the line stays, showing it alone.
    pub fn finish(&self, what: &str) {
        match &self.bar {
            Some(bar) => {
                bar.set_style(plain_style());
                bar.finish_with_message(what.to_string());
            }
            None => self.progress.emit(&Event::Layer {
                id: &self.id,
                status: what,
            }),
        }
    }

    fn advance(&self, n: u64) {
        let before = self.moved.fetch_add(n, Ordering::Relaxed);
        let percent = |bytes: u64| bytes * 100 / self.total.max(1);
        // A JSON line per percent moved, not per read.
        if self.bar.is_none() && percent(before + n) > percent(before) {
            let step = self.step.lock().map(|s| s.clone()).unwrap_or_default();
            self.progress.emit(&Event::Transfer {
                id: &self.id,
                status: &step,
                current: before + n,
                total: self.total,
            });
        }
        if let Some(bar) = &self.bar {
            bar.inc(n);
            let complete = bar.length().is_some_and(|len| bar.position() >= len);
            if complete && bar.message() == TRANSFERS[0] {
                self.step(EXTRACTING);
            }
        }
    }
}

/// Counts what passes through into a layer's bar.
pub struct Counting<R> {
    pub inner: R,
    pub layer: Arc<LayerProgress>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.layer.advance(n as u64);
        Ok(n)
    }
}

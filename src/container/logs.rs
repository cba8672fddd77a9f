//! A container's log as `logs` reads it: the entries in a time window, the last N of them, and
//! the entries still to come while it runs. Front ends render them (a terminal, docker's
//! multiplexed stream); nothing here prints.

use super::{record, state};
use crate::clock;
use crate::store::Store;
use crate::supervisor::log::{self, Entry};
use anyhow::{bail, Result};
use std::io::{BufRead, Seek};
use std::path::PathBuf;

/// Which entries to read.
#[derive(Default)]
pub struct LogQuery {
    pub since: Option<clock::Instant>,
    pub until: Option<clock::Instant>,
    /// The last N entries only; None: all of them.
    pub tail: Option<usize>,
}

impl LogQuery {
    fn in_window(&self, e: &Entry) -> bool {
        let t = clock::parse_rfc3339(&e.time).unwrap_or((0, 0));
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u)
    }
}

/// `--tail`'s value: "all" or a number of lines.
pub fn parse_tail(text: &str) -> Result<Option<usize>> {
    if text == "all" || text.is_empty() {
        return Ok(None);
    }
    match text.parse() {
        Ok(n) => Ok(Some(n)),
        Err(_) => bail!("invalid tail value {text:?}"),
    }
}

/// A point in time for `since`/`until`: RFC 3339, Unix time or relative (`42m`).
pub fn parse_time(text: &str) -> Result<clock::Instant> {
    clock::parse_point_in_time(text).ok_or_else(|| anyhow::anyhow!("invalid time {text:?}"))
}

/// A container's log, open for reading.
pub struct Log {
    id: String,
    path: PathBuf,
}

/// The log of container `id` (resolved), or why it has none; `name` is what the user called it.
pub fn open(store: &Store, id: &str, name: &str) -> Result<Log> {
    let path = record::dir(store, id).join("json.log");
    let current = state::load(store, id)?;
    if !record::load(store, id)?.options.keeps_logs() {
        bail!("configured logging driver does not support reading");
    }
    if !path.exists() {
        if current.status == "created" {
            bail!("container {name} has never been started, so it has no logs");
        }
        bail!("container {name} keeps no logs (it ran in the foreground with --rm)");
    }
    Ok(Log {
        id: id.to_string(),
        path,
    })
}

impl Log {
    /// The entries the query asks for, oldest first, from every rotated file.
    pub fn entries(&self, query: &LogQuery) -> Vec<Entry> {
        let mut entries: Vec<Entry> = log::files(&self.path)
            .iter()
            .filter_map(|p| std::fs::File::open(p).ok())
            .flat_map(log::read_entries)
            .filter(|e| query.in_window(e))
            .collect();
        if let Some(n) = query.tail {
            let skip = entries.len().saturating_sub(n);
            entries.drain(..skip);
        }
        entries
    }

    /// Hands each new entry to `on_entry` as it arrives, until the container is down for good
    /// or `stop()` says the reader is gone.
    pub fn follow(
        &self,
        store: &Store,
        mut on_entry: impl FnMut(&Entry) -> Result<()>,
        stop: impl Fn() -> bool,
    ) -> Result<()> {
        let mut file = std::fs::File::open(&self.path)?;
        file.seek(std::io::SeekFrom::End(0))?;
        let mut reader = std::io::BufReader::new(file);
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line)? > 0 && line.ends_with('\n') {
                if let Ok(e) = serde_json::from_str::<Entry>(&line) {
                    on_entry(&e)?;
                }
                continue;
            }
            if !line.is_empty() {
                // A torn line: step back and read it again once it is complete.
                reader.seek_relative(-(line.len() as i64))?;
            }
            // A container removed meanwhile (docker-py removes before it reads all the
            // stream) has ended too: what it logged was read from the file held open.
            let running = state::load(store, &self.id).is_ok_and(|s| s.is_running());
            if !running || stop() {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
            // After a rotation the file we hold is no longer the log: reopen it.
            if std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0)
                < reader.stream_position()?
            {
                match std::fs::File::open(&self.path) {
                    Ok(file) => reader = std::io::BufReader::new(file),
                    Err(_) => return Ok(()),
                }
            }
        }
    }
}

/// An entry's time as `--timestamps` shows it (fixed width, nanoseconds).
pub fn shown_time(e: &Entry) -> String {
    clock::parse_rfc3339(&e.time)
        .map(clock::format_rfc3339_fixed)
        .unwrap_or_else(|| e.time.clone())
}

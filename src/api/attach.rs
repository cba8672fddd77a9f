//! `/containers/{id}/attach` and `/containers/{id}/resize`: a client's hijacked connection
//! joined to the attach socket of the container's supervisor. docker's clients attach before
//! they start a container (`docker run`), so a start that has a client waiting asks the
//! supervisor to hold the output until that client is in: no first line is lost.

use super::containers::{self, summary};
use super::error::{ApiError, ApiResult};
use super::http::Request;
use super::listener::Connection;
use super::{Context, Reply};
use crate::container::logs::{self, LogQuery};
use crate::container::record;
use crate::runtime::{channel, tty};
use crate::supervisor::attach::socket_path;
use anyhow::Result;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// The containers that clients wait to attach to, and how many wait for each.
#[derive(Default)]
pub struct Attachers {
    waiting: Mutex<HashMap<String, usize>>,
    changed: Condvar,
}

impl Attachers {
    fn enter(&self, id: &str) -> Waiting<'_> {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        *waiting.entry(id.to_string()).or_default() += 1;
        Waiting {
            attachers: self,
            id: Some(id.to_string()),
        }
    }

    /// Whether a client waits to attach to container `id`.
    pub fn any_for(&self, id: &str) -> bool {
        let waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        waiting.contains_key(id)
    }

    /// Returns once no client waits to attach to `id`, or after `limit`.
    fn settle(&self, id: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        while waiting.contains_key(id) {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return;
            };
            waiting = self
                .changed
                .wait_timeout(waiting, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// One client's wait, ended when it is attached or gives up.
struct Waiting<'a> {
    attachers: &'a Attachers,
    id: Option<String>,
}

impl Waiting<'_> {
    fn end(&mut self) {
        let Some(id) = self.id.take() else { return };
        let mut waiting = self
            .attachers
            .waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(count) = waiting.get_mut(&id) {
            *count -= 1;
            if *count == 0 {
                waiting.remove(&id);
            }
        }
        self.attachers.changed.notify_all();
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.end();
    }
}

/// The streams a client asked for.
#[derive(Clone, Copy)]
struct Streams {
    stdin: bool,
    stdout: bool,
    stderr: bool,
}

impl Streams {
    /// Whether output of frame kind `stream` (1 stdout, 2 stderr) goes to the client.
    fn wants(&self, stream: u8) -> bool {
        match stream {
            1 => self.stdout,
            2 => self.stderr,
            _ => false,
        }
    }
}

/// `POST /containers/{id}/attach`: `logs` sends what was logged first, `stream` what comes.
pub fn attach<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    let streams = Streams {
        stdin: request.flag("stdin"),
        stdout: request.flag("stdout"),
        stderr: request.flag("stderr"),
    };
    let (past, stream) = (request.flag("logs"), request.flag("stream"));
    let tty = s.record.options.tty;
    let id = s.id().to_string();
    let log = match past {
        true => Some(logs::open(&context.store, &id, name).map_err(ApiError::bad_request)?),
        false => None,
    };
    let mut waiting = (stream && !s.state.is_running()).then(|| context.attachers.enter(&id));
    Ok(Reply::Hijack {
        content_type: containers::content_type(tty),
        body: Box::new(move |reader, mut writer| {
            if let Some(log) = log {
                let query = LogQuery {
                    since: None,
                    until: None,
                    tail: None,
                };
                for e in log.entries(&query) {
                    if streams.wants(containers::stream_number(&e)) {
                        writer.write_all(&containers::frame(&e, tty, false))?;
                    }
                }
            }
            if !stream {
                return Ok(());
            }
            let Some(supervisor) = connect(context, &id, &writer)? else {
                return Ok(());
            };
            let mut pending = Vec::new();
            if tty {
                // The supervisor's welcome: an empty frame with the pty's master.
                pending = channel::receive(&supervisor)?.0;
            }
            if let Some(waiting) = waiting.as_mut() {
                waiting.end();
            }
            if streams.stdin {
                let input = supervisor.try_clone()?;
                std::thread::spawn(move || forward_input(reader, input));
            }
            relay_output(supervisor, pending, &mut writer, streams, tty)
        }),
    })
}

/// Connects to the container's supervisor, waiting for the container to start; None when
/// the container or the client went away first.
fn connect(context: &Context, id: &str, client: &Connection) -> Result<Option<UnixStream>> {
    let socket = socket_path(&context.store.runroot, id);
    loop {
        // Before the start there is not even the directory of the socket.
        let short = crate::store::socket_path(&socket);
        if let Ok(supervisor) = short.and_then(|s| Ok(UnixStream::connect(&s.path)?)) {
            return Ok(Some(supervisor));
        }
        if record::load(&context.store, id).is_err() || hung_up(client, 10) {
            return Ok(None);
        }
    }
}

/// Whether the client closed its connection, waiting up to `ms` to learn it. Data the
/// client sent (input for the container) is left for later.
fn hung_up(client: &Connection, ms: u16) -> bool {
    let mut fds = [PollFd::new(client.as_fd(), PollFlags::empty())];
    let _ = poll(&mut fds, PollTimeout::from(ms));
    fds[0]
        .revents()
        .is_some_and(|r| r.intersects(PollFlags::POLLHUP | PollFlags::POLLERR))
}

/// The client's input, to the container's stdin or terminal; its end is said by shutting
/// the writing side, which closes a StdinOnce container's stdin.
fn forward_input(mut client: BufReader<Connection>, mut supervisor: UnixStream) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match client.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if supervisor.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        }
    }
    let _ = supervisor.shutdown(std::net::Shutdown::Write);
}

/// The supervisor's frames to the client, as docker sends them: unchanged without a tty,
/// their bare bytes with one. Ends when the container exits or the client hangs up.
fn relay_output(
    mut supervisor: UnixStream,
    mut pending: Vec<u8>,
    client: &mut Connection,
    streams: Streams,
    tty: bool,
) -> Result<()> {
    let mut buf = vec![0u8; 32 * 1024];
    loop {
        while pending.len() >= 8 {
            let len = u32::from_be_bytes([pending[4], pending[5], pending[6], pending[7]]);
            let end = 8 + len as usize;
            if pending.len() < end {
                break;
            }
            let kind = pending[0];
            // The supervisor's own last frame: the exit code, after all the output.
            if kind == crate::supervisor::attach::EXIT_FRAME {
                return Ok(());
            }
            if streams.wants(kind) {
                let bytes = if tty {
                    &pending[8..end]
                } else {
                    &pending[..end]
                };
                client.write_all(bytes)?;
            }
            pending.drain(..end);
        }
        let mut fds = [
            PollFd::new(supervisor.as_fd(), PollFlags::POLLIN),
            PollFd::new(client.as_fd(), PollFlags::empty()),
        ];
        poll(&mut fds, PollTimeout::NONE)?;
        let gone = PollFlags::POLLHUP | PollFlags::POLLERR;
        if fds[1].revents().is_some_and(|r| r.intersects(gone)) {
            return Ok(());
        }
        match supervisor.read(&mut buf) {
            Ok(0) | Err(_) => return Ok(()),
            Ok(n) => pending.extend_from_slice(&buf[..n]),
        }
    }
}

/// The size of a resize request: `h` rows, `w` columns.
pub(super) fn window_size(request: &Request) -> ApiResult<libc::winsize> {
    let number = |key: &str| {
        request
            .param(key)
            .parse::<u16>()
            .map_err(|_| ApiError::bad_request(format!("invalid {key} {:?}", request.param(key))))
    };
    Ok(libc::winsize {
        ws_row: number("h")?,
        ws_col: number("w")?,
        ws_xpixel: 0,
        ws_ypixel: 0,
    })
}

/// `POST /containers/{id}/resize?h=ROWS&w=COLUMNS`: the container's terminal takes the size.
pub fn resize<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    let size = window_size(request)?;
    // The client attaching first is the one the supervisor holds the output for.
    context.attachers.settle(s.id(), Duration::from_secs(5));
    let s = summary(context, name)?;
    if !s.state.is_running() {
        return Err(ApiError::conflict(format!(
            "Container {} is not running",
            s.id()
        )));
    }
    if s.record.options.tty {
        let socket = socket_path(&context.store.runroot, s.id());
        let supervisor = UnixStream::connect(&crate::store::socket_path(&socket)?.path)
            .map_err(anyhow::Error::from)?;
        if let (_, Some(master)) = channel::receive(&supervisor)? {
            tty::set_window_size(&master, &size);
        }
    }
    Ok(Reply::Empty(200))
}

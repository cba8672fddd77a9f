//! `attach`: the detached supervisor serves its container's streams on a unix socket in the
//! runtime directory. Every attached client gets the output, framed as docker frames
//! multiplexed streams (a byte for the stream, three zero bytes, a big-endian length); what
//! a client writes goes to the container's stdin when it has one open (`-i`) or to its
//! terminal (`-t`). The client detaches on its detach keys (ctrl-p ctrl-q by default).
//! Two frames are skiff's own: with a terminal, the first one a client gets is empty and
//! carries the pty's master, with which the client gives the pty its window's size; and
//! when the container ends, a last one says its exit code.

use crate::runtime::{channel, tty};
use anyhow::{bail, Context, Result};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::sockopt::PeerCredentials;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// The socket of a container's supervisor.
pub fn socket_path(runroot: &Path, id: &str) -> PathBuf {
    runroot.join(id).join("attach.sock")
}

/// The stream number (one less than the frame's first byte) of the frame with the exit code.
const EXIT_STREAM: usize = 3;
/// The first byte of that frame.
pub const EXIT_FRAME: u8 = EXIT_STREAM as u8 + 1;

/// How long a supervisor holds its container's output for the launcher about to attach
/// (`run -it`), should it have died first.
const FIRST_CLIENT_WAIT_MS: u16 = 60_000;

/// Where the input of clients goes.
pub enum Input {
    /// The container's stdin pipe (`-i`).
    Pipe(OwnedFd),
    /// The master of the container's pty (`-t`), which clients also get to size it.
    Terminal(OwnedFd),
}

impl Input {
    fn fd(&self) -> &OwnedFd {
        match self {
            Input::Pipe(fd) | Input::Terminal(fd) => fd,
        }
    }
}

/// The supervisor's side: the listening socket and the attached clients.
pub struct Hub {
    listener: UnixListener,
    clients: Vec<Client>,
    input: Option<Input>,
    /// Whether the input pipe closes when a client's input ends (docker's StdinOnce).
    stdin_once: bool,
}

/// An attached client: it gets the output until writing to it fails, and its input is
/// read until it ends (a client may end its input and still read, as `docker run -i` does).
struct Client {
    stream: UnixStream,
    reading: bool,
}

impl Hub {
    pub fn listen(path: &Path, input: Option<Input>, stdin_once: bool) -> Result<Hub> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(&crate::store::socket_path(path)?.path)
            .with_context(|| format!("cannot listen on {}", path.display()))?;
        listener.set_nonblocking(true)?;
        Ok(Hub {
            listener,
            clients: Vec::new(),
            input,
            stdin_once,
        })
    }

    pub fn add_poll_fds<'a>(&'a self, fds: &mut Vec<PollFd<'a>>) {
        fds.push(PollFd::new(self.listener.as_fd(), PollFlags::POLLIN));
        for client in self.clients.iter().filter(|c| c.reading) {
            fds.push(PollFd::new(client.stream.as_fd(), PollFlags::POLLIN));
        }
    }

    /// Accepts new clients and moves their input to the container.
    pub fn on_ready(&mut self, ready: &[bool]) {
        let mut input_ended = false;
        let reading = self.clients.iter_mut().filter(|c| c.reading);
        for (client, _) in reading.zip(&ready[1..]).filter(|(_, r)| **r) {
            let mut buf = [0u8; 16 * 1024];
            match client.stream.read(&mut buf) {
                Ok(0) | Err(_) => {
                    client.reading = false;
                    input_ended = true;
                }
                Ok(n) => {
                    if let Some(input) = &self.input {
                        super::write_all_fd(input.fd().as_raw_fd(), &buf[..n]);
                    }
                }
            }
        }
        if input_ended && self.stdin_once && matches!(self.input, Some(Input::Pipe(_))) {
            // The container reads to its end of file, as `echo hi | docker run -i` expects.
            self.input = None;
        }
        if ready.first() == Some(&true) {
            self.accept();
        }
    }

    /// Waits for the first client: the launcher of a `run -it`, which must see the
    /// container's output from its first byte (held in the pty meanwhile).
    pub fn wait_for_first_client(&mut self) {
        let mut fds = [PollFd::new(self.listener.as_fd(), PollFlags::POLLIN)];
        let _ = poll(&mut fds, PollTimeout::from(FIRST_CLIENT_WAIT_MS));
        self.accept();
    }

    fn accept(&mut self) {
        while let Ok((client, _)) = self.listener.accept() {
            if self.welcome(&client).is_ok() {
                self.clients.push(Client {
                    stream: client,
                    reading: true,
                });
            }
        }
    }

    /// Readies a new client; with a terminal, hands it the pty's master.
    fn welcome(&self, client: &UnixStream) -> Result<()> {
        if let Some(Input::Terminal(master)) = &self.input {
            channel::send(client, &frame(0, &[]), Some(master.as_raw_fd()))?;
        }
        client.set_nonblocking(true)?;
        Ok(())
    }

    /// Tells every client the container's exit code.
    pub fn tell_exit(&mut self, code: i32) {
        self.broadcast(EXIT_STREAM, &code.to_be_bytes());
    }

    /// Sends output to every client. A client busy writing it out (a terminal slower
    /// than the container's output, as with `run -it` and a `cat` of a big file) is
    /// waited for, as a terminal holds up what writes to it; but one that takes nothing
    /// for a long while (a stopped `attach`) is dropped rather than allowed to stall the
    /// container for good.
    pub fn broadcast(&mut self, stream: usize, data: &[u8]) {
        if self.clients.is_empty() {
            return;
        }
        let frame = frame(stream, data);
        self.clients
            .retain_mut(|c| write_patiently(&mut c.stream, &frame).is_ok());
    }
}

/// How long a client may take no output before it is dropped.
const CLIENT_STALL_MS: u16 = 10_000;

/// Writes all of `data` to a (non-blocking) client, waiting while its socket is full.
fn write_patiently(client: &mut UnixStream, mut data: &[u8]) -> std::io::Result<()> {
    use std::io::ErrorKind;
    while !data.is_empty() {
        match client.write(data) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                let mut fds = [PollFd::new(client.as_fd(), PollFlags::POLLOUT)];
                if poll(&mut fds, PollTimeout::from(CLIENT_STALL_MS))? == 0 {
                    return Err(ErrorKind::TimedOut.into());
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// docker's framing of `data`: stream `stream` (0 stdout, 1 stderr) in the first byte, the
/// length in the last four of the eight-byte head.
pub fn frame(stream: usize, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 8);
    out.push(stream as u8 + 1);
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(data);
    out
}

/// docker's default detach keys.
pub const DEFAULT_DETACH_KEYS: &str = "ctrl-p,ctrl-q";

/// Detach keys as docker reads them: a comma-separated list of single characters and
/// `ctrl-X`, X one of `a`-`z`, `@`, `[`, `\`, `]`, `^` and `_` (lower case, as docker has it).
pub fn parse_detach_keys(spec: &str) -> Result<Vec<u8>> {
    spec.split(',')
        .map(|key| match (key.as_bytes(), key.strip_prefix("ctrl-")) {
            ([byte], _) => Ok(*byte),
            (_, Some(c)) if c.len() == 1 && control_key(c.as_bytes()[0]) => {
                Ok(c.as_bytes()[0] & 0x1f)
            }
            _ => bail!("Invalid detach keys ({spec}) provided: unknown character {key:?}"),
        })
        .collect()
}

/// The keys `ctrl-` combines with: those whose code docker's table names.
fn control_key(c: u8) -> bool {
    c.is_ascii_lowercase() || b"@[\\]^_".contains(&c)
}

/// The detach keys of a command: its `--detach-keys`, else the `detachKeys` of docker's
/// config.json, else docker's default (an empty value counts as none given, as in docker).
pub fn detach_keys(flag: Option<&str>) -> Result<Vec<u8>> {
    if let Some(spec) = flag.filter(|f| !f.is_empty()) {
        return parse_detach_keys(spec);
    }
    let config = crate::registry::credentials::read_docker_config()?;
    match config
        .get("detachKeys")
        .and_then(|v| v.as_str())
        .filter(|v| !v.is_empty())
    {
        Some(spec) => parse_detach_keys(spec).with_context(|| {
            format!(
                "in {}",
                crate::registry::credentials::docker_config_path().display()
            )
        }),
        None => parse_detach_keys(DEFAULT_DETACH_KEYS),
    }
}

/// How an attached client's session ended.
#[derive(Debug, PartialEq)]
pub enum Session {
    /// The user typed the detach keys; the container goes on.
    Detached,
    /// The container's output ended: it exited with this code, when the supervisor said.
    Ended(Option<i32>),
}

/// The client: relays until the container exits or the user detaches. `on_signal` hears
/// of the signals we receive, with the pid of the supervisor we are attached to.
pub fn client(
    socket: &Path,
    tty: bool,
    stdin_open: bool,
    detach_keys: &[u8],
    on_signal: impl Fn(nix::sys::signal::Signal, nix::unistd::Pid),
) -> Result<Session> {
    let mut conn = UnixStream::connect(&crate::store::socket_path(socket)?.path)
        .with_context(|| "cannot attach: the container's supervisor does not answer".to_string())?;
    let supervisor = nix::sys::socket::getsockopt(&conn, PeerCredentials)
        .map(|peer| nix::unistd::Pid::from_raw(peer.pid()))?;
    let stdin = unsafe { BorrowedFd::borrow_raw(0) };
    let mut pending = Vec::new();
    let master = if tty {
        let (welcome, master) = channel::receive(&conn)?;
        pending = welcome;
        master
    } else {
        None
    };
    if let Some(master) = &master {
        tty::copy_window_size(0, master);
    }
    let _raw = if tty && stdin_open {
        tty::RawMode::enter(stdin)
    } else {
        None
    };
    let signals = super::signal_fd()?;
    let mut matched = 0;
    let mut reading_stdin = stdin_open;
    loop {
        if let Some(code) = write_frames(&mut pending)? {
            return Ok(Session::Ended(Some(code)));
        }
        let mut fds = vec![
            PollFd::new(conn.as_fd(), PollFlags::POLLIN),
            PollFd::new(signals.as_fd(), PollFlags::POLLIN),
        ];
        if reading_stdin {
            fds.push(PollFd::new(stdin, PollFlags::POLLIN));
        }
        match poll(&mut fds, PollTimeout::NONE) {
            Err(nix::errno::Errno::EINTR) => continue,
            other => other?,
        };
        let ready: Vec<bool> = fds
            .iter()
            .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
            .collect();
        drop(fds);
        if ready[1] {
            while let Ok(Some(info)) = signals.read_signal() {
                match nix::sys::signal::Signal::try_from(info.ssi_signo as i32) {
                    Ok(nix::sys::signal::Signal::SIGWINCH) => {
                        if let Some(master) = &master {
                            tty::copy_window_size(0, master);
                        }
                    }
                    // Ours, of no concern to the container.
                    Ok(nix::sys::signal::Signal::SIGCHLD) => {}
                    Ok(signal) => on_signal(signal, supervisor),
                    Err(_) => {}
                }
            }
        }
        if ready.get(2) == Some(&true) {
            let mut buf = [0u8; 4096];
            let n = nix::unistd::read(stdin, &mut buf).unwrap_or(0);
            if n == 0 {
                reading_stdin = false;
            }
            let mut forward = Vec::with_capacity(n);
            for &b in &buf[..n] {
                if !detach_keys.is_empty() && b == detach_keys[matched] {
                    matched += 1;
                    if matched == detach_keys.len() {
                        return Ok(Session::Detached);
                    }
                    continue;
                }
                forward.extend_from_slice(&detach_keys[..matched]);
                matched = 0;
                forward.push(b);
            }
            conn.write_all(&forward)?;
        }
        if ready[0] {
            let mut buf = [0u8; 32 * 1024];
            match conn.read(&mut buf) {
                Ok(0) | Err(_) => return Ok(Session::Ended(None)),
                Ok(n) => pending.extend_from_slice(&buf[..n]),
            }
        }
    }
}

/// Writes out every complete frame in `pending`, keeping a partial one for later; returns
/// the exit code when the frame that says it came.
fn write_frames(pending: &mut Vec<u8>) -> Result<Option<i32>> {
    let mut at = 0;
    let mut exit = None;
    while pending.len() - at >= 8 && exit.is_none() {
        let len = u32::from_be_bytes([
            pending[at + 4],
            pending[at + 5],
            pending[at + 6],
            pending[at + 7],
        ]) as usize;
        if pending.len() - at - 8 < len {
            break;
        }
        let data = &pending[at + 8..at + 8 + len];
        match pending[at] {
            byte if byte as usize == EXIT_STREAM + 1 => {
                exit = data.try_into().ok().map(i32::from_be_bytes);
            }
            2 => std::io::stderr().write_all(data)?,
            _ => {
                let mut out = std::io::stdout().lock();
                out.write_all(data)?;
                out.flush()?;
            }
        }
        at += 8 + len;
    }
    pending.drain(..at);
    Ok(exit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_keys_and_frames() {
        assert_eq!(parse_detach_keys("ctrl-p,ctrl-q").unwrap(), [0x10, 0x11]);
        assert_eq!(parse_detach_keys("ctrl-a,x").unwrap(), [0x01, b'x']);
        assert_eq!(
            parse_detach_keys("ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_").unwrap(),
            [0, 27, 28, 29, 30, 31]
        );
        assert_eq!(parse_detach_keys("ctrl-z,A").unwrap(), [26, b'A']);
        for bad in ["ctrl-", "ctrl-1", "ctrl-P", "ctrl-ab", "ab", "", "a,,b"] {
            let err = parse_detach_keys(bad).unwrap_err().to_string();
            assert!(err.starts_with("Invalid detach keys ("), "{bad:?}: {err}");
        }
        assert_eq!(frame(1, b"hi"), [2, 0, 0, 0, 0, 0, 0, 2, b'h', b'i']);
    }

    #[test]
    fn the_exit_frame_ends_the_frames_with_its_code() {
        let mut pending = frame(0, b"");
        pending.extend(frame(EXIT_STREAM, &3i32.to_be_bytes()));
        pending.extend(frame(0, b"after"));
        assert_eq!(write_frames(&mut pending).unwrap(), Some(3));
        assert_eq!(pending, frame(0, b"after"), "what follows is left");
        let mut partial = frame(EXIT_STREAM, &3i32.to_be_bytes());
        partial.pop();
        assert_eq!(write_frames(&mut partial).unwrap(), None);
    }
}

//! The supervisor of a running container: the parent of its pid 1. For a foreground `run`
//! this is the CLI process itself; for `run -d` and `start` it is a small detached process
//! (`detached`). It forwards signals to the container, relays the terminal and the output
//! (to the user, to the log), runs healthchecks, and reports the exit code (128+N when
//! signal N ended the container, as docker does).

pub mod attach;
pub mod detached;
pub mod health;
pub mod log;

use crate::net::ports::Forwarder;
use crate::net::stack::Stack;
use crate::runtime::{tty, Started};
use anyhow::{Context, Result};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};

/// Signals sent to the supervisor that belong to the container.
const FORWARDED: [Signal; 6] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
];

fn supervised_signals() -> SigSet {
    let mut mask = SigSet::empty();
    for s in FORWARDED {
        mask.add(s);
    }
    mask.add(Signal::SIGWINCH);
    mask.add(Signal::SIGCHLD);
    mask
}

/// Blocks the forwarded signals (and SIGWINCH, SIGCHLD) and returns a descriptor to read them.
pub fn signal_fd() -> Result<SignalFd> {
    let mask = supervised_signals();
    mask.thread_block()?;
    Ok(SignalFd::with_flags(
        &mask,
        SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK,
    )?)
}

/// Signals held back from the process, to be read by the supervision to come, until the
/// value is dropped: an interruption between a container's creation and its supervision
/// must reach the supervision rather than end the process around the container.
pub struct SignalsHeld(SigSet);

pub fn hold_signals() -> Result<SignalsHeld> {
    let previous = SigSet::thread_get_mask()?;
    supervised_signals().thread_block()?;
    Ok(SignalsHeld(previous))
}

impl Drop for SignalsHeld {
    fn drop(&mut self) {
        let _ = self.0.thread_set_mask();
    }
}

/// What one supervision relays, and where to.
pub struct Relay {
    /// Read ends of the container's stdout and stderr pipes (none with a terminal).
    pub output: Option<[OwnedFd; 2]>,
    pub log: Option<log::Writer>,
    /// Copy stdout, stderr to our own (foreground; `run -a` picks which).
    pub echo: [bool; 2],
    /// Copy our stdin to the container's terminal (foreground `-it`).
    pub interactive: bool,
    /// Clients attached to a detached container.
    pub attach: Option<attach::Hub>,
    pub signals: SignalPolicy,
}

/// What becomes of the signals skiff receives while it supervises a container.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SignalPolicy {
    /// They reach the container (docker's `--sig-proxy`, the default).
    Forward,
    /// They stay with skiff, which ignores them (`--sig-proxy=false`): the container keeps
    /// running undisturbed.
    Keep,
    /// A signal that would end skiff kills the container instead of reaching it (a build's
    /// RUN step: the build must stop, and a container's pid 1 ignores the signals it has no
    /// handler for).
    StopContainer,
}

impl Relay {
    /// Hands output of stream 0 (stdout) or 1 (stderr) to everyone who wants it.
    fn deliver(&mut self, data: &[u8], stream: usize) -> Result<()> {
        if let Some(log) = self.log.as_mut() {
            log.write(stream, data)?;
        }
        if self.echo[stream] {
            write_all_fd(if stream == 0 { 1 } else { 2 }, data);
        }
        if let Some(hub) = self.attach.as_mut() {
            hub.broadcast(stream, data);
        }
        Ok(())
    }
}

/// Something served in the supervisor's poll loop besides the container itself: its
/// user-mode network, its published ports.
pub trait Service {
    /// The descriptor that becomes readable when there is work.
    fn fd(&self) -> BorrowedFd<'_>;
    /// How long the loop may sleep before `process` is due anyway (timers).
    fn timeout(&mut self) -> Option<std::time::Duration>;
    /// Does the work that is due; called at every turn of the loop, `ready` when its
    /// descriptor was.
    fn process(&mut self, ready: bool);
}

impl Service for Stack {
    fn fd(&self) -> BorrowedFd<'_> {
        Stack::fd(self)
    }
    fn timeout(&mut self) -> Option<std::time::Duration> {
        Stack::timeout(self)
    }
    fn process(&mut self, ready: bool) {
        Stack::process(self, ready)
    }
}

impl Service for Forwarder {
    fn fd(&self) -> BorrowedFd<'_> {
        Forwarder::fd(self)
    }
    fn timeout(&mut self) -> Option<std::time::Duration> {
        Forwarder::timeout(self)
    }
    fn process(&mut self, ready: bool) {
        Forwarder::process(self, ready)
    }
}

/// Supervises `started` until it exits; returns its docker-style exit code. `services`
/// (the container's network) are served in the same loop.
pub fn supervise(
    started: &Started,
    signals: &SignalFd,
    mut relay: Relay,
    mut health: Option<&mut health::Checker>,
    services: &mut [&mut dyn Service],
) -> Result<i32> {
    let mut terminal = started
        .pty
        .as_ref()
        .map(|master| TerminalRelay::new(master, relay.interactive));
    let pipes = relay.output.take();
    let mut output_open = [true, true];
    loop {
        let service_wait = services.iter_mut().filter_map(|s| s.timeout()).min();
        let mut fds = vec![
            PollFd::new(started.pidfd.as_fd(), PollFlags::POLLIN),
            PollFd::new(signals.as_fd(), PollFlags::POLLIN),
        ];
        let first_output = fds.len();
        if let Some(pipes) = &pipes {
            for (pipe, open) in pipes.iter().zip(output_open) {
                let events = if open {
                    PollFlags::POLLIN
                } else {
                    PollFlags::empty()
                };
                fds.push(PollFd::new(pipe.as_fd(), events));
            }
        }
        let first_terminal = fds.len();
        if let Some(t) = &terminal {
            t.add_poll_fds(&mut fds);
        }
        let first_health = fds.len();
        if let Some(h) = health.as_deref() {
            h.add_poll_fds(&mut fds);
        }
        let first_attach = fds.len();
        if let Some(hub) = &relay.attach {
            hub.add_poll_fds(&mut fds);
        }
        let first_network = fds.len();
        for service in services.iter() {
            fds.push(PollFd::new(service.fd(), PollFlags::POLLIN));
        }
        let timeout = health
            .as_deref()
            .map_or(PollTimeout::NONE, |h| h.poll_timeout());
        let timeout = earliest(timeout, service_wait);
        match poll(&mut fds, timeout) {
            Err(nix::errno::Errno::EINTR) => continue,
            other => other.context("poll")?,
        };
        let ready: Vec<bool> = fds
            .iter()
            .map(|f| f.revents().is_some_and(|r| !r.is_empty()))
            .collect();
        drop(fds);
        if ready[1] {
            handle_signals(started, signals, relay.signals);
        }
        if let Some(pipes) = &pipes {
            for (i, pipe) in pipes.iter().enumerate() {
                if ready[first_output + i] && output_open[i] {
                    match read_chunk(pipe) {
                        Some(data) => relay.deliver(&data, i)?,
                        None => output_open[i] = false,
                    }
                }
            }
        }
        if let Some(t) = terminal.as_mut() {
            if let Some(data) = t.pump(&ready[first_terminal..first_health]) {
                relay.deliver(&data, 0)?;
            }
        }
        if let Some(h) = health.as_deref_mut() {
            h.on_ready(&ready[first_health..first_attach]);
        }
        if let Some(hub) = relay.attach.as_mut() {
            hub.on_ready(&ready[first_attach..first_network]);
        }
        // Also when nothing was ready: their timers may be due.
        for (i, service) in services.iter_mut().enumerate() {
            service.process(ready[first_network + i]);
        }
        if ready[0] {
            for (i, pipe) in pipes.iter().flatten().enumerate() {
                let data = drain(pipe);
                relay.deliver(&data, i)?;
            }
            if let Some(t) = terminal.as_mut() {
                let data = t.drain();
                relay.deliver(&data, 0)?;
            }
            if let Some(log) = relay.log.as_mut() {
                log.finish()?;
            }
            let code = wait_exit(started)?;
            if let Some(hub) = relay.attach.as_mut() {
                hub.tell_exit(code);
            }
            return Ok(code);
        }
    }
}

/// The sooner of a poll timeout and a wait of the network stack's (rounded up to whole
/// milliseconds, so a wait shorter than one does not spin).
fn earliest(timeout: PollTimeout, wait: Option<std::time::Duration>) -> PollTimeout {
    let Some(wait) = wait else {
        return timeout;
    };
    let ms = wait.as_micros().div_ceil(1000).min(60_000) as i32;
    // PollTimeout::NONE (forever) has no millisecond value.
    let current = if timeout == PollTimeout::NONE {
        None
    } else {
        timeout.as_millis()
    };
    match current {
        Some(current) if current <= ms as u32 => timeout,
        _ => PollTimeout::try_from(ms).unwrap_or(timeout),
    }
}

/// The signal that made a supervision with [`SignalPolicy::StopContainer`] kill its
/// container, if any.
static STOPPED_BY: AtomicI32 = AtomicI32::new(0);

/// The signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) that stopped a supervised container on
/// skiff's behalf.
pub fn stopped_by_signal() -> Option<Signal> {
    Signal::try_from(STOPPED_BY.load(Ordering::Relaxed)).ok()
}

fn handle_signals(started: &Started, signals: &SignalFd, policy: SignalPolicy) {
    while let Ok(Some(info)) = signals.read_signal() {
        match Signal::try_from(info.ssi_signo as i32) {
            Ok(Signal::SIGWINCH) => {
                if let Some(master) = &started.pty {
                    tty::copy_window_size(0, master);
                }
            }
            Ok(Signal::SIGCHLD) => {}
            Ok(signal @ (Signal::SIGINT | Signal::SIGTERM | Signal::SIGHUP | Signal::SIGQUIT))
                if policy == SignalPolicy::StopContainer =>
            {
                STOPPED_BY.store(signal as i32, Ordering::Relaxed);
                let _ = nix::sys::signal::kill(started.pid, Signal::SIGKILL);
            }
            Ok(_) if policy == SignalPolicy::Keep => {}
            Ok(signal) => {
                let _ = nix::sys::signal::kill(started.pid, signal);
            }
            Err(_) => {}
        }
    }
}

/// One chunk of a container's output; None at the end of the stream.
fn read_chunk(pipe: &OwnedFd) -> Option<Vec<u8>> {
    let mut buf = [0u8; 64 * 1024];
    match nix::unistd::read(pipe, &mut buf) {
        Ok(0) => None,
        Ok(n) => Some(buf[..n].to_vec()),
        Err(nix::errno::Errno::EAGAIN) | Err(nix::errno::Errno::EINTR) => Some(Vec::new()),
        Err(_) => None,
    }
}

/// What is left in a pipe once the container has exited.
fn drain(pipe: &OwnedFd) -> Vec<u8> {
    let _ = nix::fcntl::fcntl(
        pipe,
        nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
    );
    let mut all = Vec::new();
    while let Some(data) = read_chunk(pipe) {
        if data.is_empty() {
            break;
        }
        all.extend_from_slice(&data);
    }
    all
}

fn wait_exit(started: &Started) -> Result<i32> {
    use nix::sys::wait::{waitpid, WaitStatus};
    loop {
        match waitpid(started.pid, None) {
            Ok(WaitStatus::Exited(_, code)) => return Ok(code),
            Ok(WaitStatus::Signaled(_, signal, _)) => return Ok(128 + signal as i32),
            Ok(_) | Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e).context("cannot wait for the container"),
        }
    }
}

/// Copies between the user's terminal and the container's pty master.
struct TerminalRelay<'a> {
    master: &'a OwnedFd,
    stdin: Option<OwnedFd>,
    _raw: Option<tty::RawMode>,
}

impl<'a> TerminalRelay<'a> {
    fn new(master: &'a OwnedFd, interactive: bool) -> TerminalRelay<'a> {
        let stdin_fd = unsafe { BorrowedFd::borrow_raw(0) };
        let raw = if interactive {
            tty::RawMode::enter(stdin_fd)
        } else {
            None
        };
        tty::copy_window_size(0, master);
        let stdin = if interactive {
            tty::dup_owned(0).ok()
        } else {
            None
        };
        TerminalRelay {
            master,
            stdin,
            _raw: raw,
        }
    }

    fn add_poll_fds<'b>(&'b self, fds: &mut Vec<PollFd<'b>>) {
        fds.push(PollFd::new(self.master.as_fd(), PollFlags::POLLIN));
        if let Some(stdin) = &self.stdin {
            fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
        }
    }

    /// Moves the user's input to the container; returns the container's output, if any.
    fn pump(&mut self, ready: &[bool]) -> Option<Vec<u8>> {
        let mut buf = [0u8; 32 * 1024];
        let mut output = None;
        if ready.first() == Some(&true) {
            if let Ok(n) = nix::unistd::read(self.master, &mut buf) {
                output = (n > 0).then(|| buf[..n].to_vec());
            }
        }
        if ready.get(1) == Some(&true) {
            if let Some(stdin) = &self.stdin {
                match nix::unistd::read(stdin, &mut buf) {
                    Ok(0) | Err(_) => self.stdin = None,
                    Ok(n) => write_all_fd(self.master.as_raw_fd(), &buf[..n]),
                }
            }
        }
        output
    }

    /// Output the container wrote just before exiting.
    fn drain(&mut self) -> Vec<u8> {
        drain(self.master)
    }
}

pub(crate) fn write_all_fd(fd: i32, mut data: &[u8]) {
    while !data.is_empty() {
        match nix::unistd::write(unsafe { BorrowedFd::borrow_raw(fd) }, data) {
            Ok(n) => data = &data[n..],
            Err(nix::errno::Errno::EINTR) | Err(nix::errno::Errno::EAGAIN) => continue,
            Err(_) => break,
        }
    }
}

/// A pipe for one of the container's output streams: (read end for us, write end for it).
pub fn output_pipe() -> Result<(OwnedFd, OwnedFd)> {
    Ok(nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?)
}

//! The supervisor of a running container: for a foreground `run` this is the CLI process
//! itself. It forwards signals to the container's pid 1, relays the terminal, and returns
//! the container's exit code (128+N when a signal ended it, as docker reports).

use crate::runtime::{tty, Started};
use anyhow::{Context, Result};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

/// Signals a user sends to `skiff run` that belong to the container.
const FORWARDED: [Signal; 6] = [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP, Signal::SIGQUIT, Signal::SIGUSR1, Signal::SIGUSR2];

pub fn foreground(started: Started, interactive: bool) -> Result<i32> {
    let mut mask = SigSet::empty();
    for s in FORWARDED {
        mask.add(s);
    }
    mask.add(Signal::SIGWINCH);
    mask.thread_block()?;
    let signals = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)?;
    let mut relay = started.pty.as_ref().map(|master| TerminalRelay::new(master, interactive));
    loop {
        let mut fds = vec![PollFd::new(started.pidfd.as_fd(), PollFlags::POLLIN), PollFd::new(signals.as_fd(), PollFlags::POLLIN)];
        if let Some(relay) = &relay {
            relay.add_poll_fds(&mut fds);
        }
        match poll(&mut fds, PollTimeout::NONE) {
            Err(nix::errno::Errno::EINTR) => continue,
            other => other.context("poll")?,
        };
        let ready: Vec<bool> = fds.iter().map(|f| f.revents().is_some_and(|r| !r.is_empty())).collect();
        drop(fds);
        if ready[1] {
            while let Ok(Some(info)) = signals.read_signal() {
                let signal = Signal::try_from(info.ssi_signo as i32)?;
                if signal == Signal::SIGWINCH {
                    if let Some(master) = &started.pty {
                        tty::copy_window_size(0, master);
                    }
                } else {
                    let _ = nix::sys::signal::kill(started.pid, signal);
                }
            }
        }
        if let Some(r) = relay.as_mut() {
            r.pump(&ready[2..])?;
        }
        if ready[0] {
            if let Some(r) = relay.as_mut() {
                r.drain();
            }
            return wait_exit(&started);
        }
    }
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
        let raw = if interactive { tty::RawMode::enter(stdin_fd) } else { None };
        tty::copy_window_size(0, master);
        let stdin = if interactive { tty::dup_owned(0).ok() } else { None };
        TerminalRelay { master, stdin, _raw: raw }
    }

    fn add_poll_fds<'b>(&'b self, fds: &mut Vec<PollFd<'b>>) {
        fds.push(PollFd::new(self.master.as_fd(), PollFlags::POLLIN));
        if let Some(stdin) = &self.stdin {
            fds.push(PollFd::new(stdin.as_fd(), PollFlags::POLLIN));
        }
    }

    fn pump(&mut self, ready: &[bool]) -> Result<()> {
        let mut buf = [0u8; 32 * 1024];
        if ready.first() == Some(&true) {
            if let Ok(n) = nix::unistd::read(self.master, &mut buf) {
                if n > 0 {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&buf[..n])?;
                    out.flush()?;
                }
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
        Ok(())
    }

    /// Output the container wrote just before exiting.
    fn drain(&mut self) {
        let _ = nix::fcntl::fcntl(self.master, nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK));
        let mut buf = [0u8; 32 * 1024];
        let mut out = std::io::stdout().lock();
        while let Ok(n) = nix::unistd::read(self.master, &mut buf) {
            if n == 0 || out.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = out.flush();
    }
}

fn write_all_fd(fd: i32, mut data: &[u8]) {
    while !data.is_empty() {
        match nix::unistd::write(unsafe { BorrowedFd::borrow_raw(fd) }, data) {
            Ok(n) => data = &data[n..],
            Err(nix::errno::Errno::EINTR) | Err(nix::errno::Errno::EAGAIN) => continue,
            Err(_) => break,
        }
    }
}

//! Terminals. The container's pty is allocated from its own devpts instance (so it is
//! `/dev/pts/0` inside and needs no host privileges), and its master travels to the
//! supervisor over the start socket. On the host side, the user's terminal goes raw while
//! attached and its window size follows SIGWINCH.

use super::child::{send, ChildMessage};
use super::mounts::{self, target_in_root};
use anyhow::{Context, Result};
use nix::mount::MsFlags;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::Path;

/// In the container, after pivot_root: open a pty pair, bind the slave over /dev/console
/// (for the container's own terminal, not an exec's),
/// send the master to the parent and make the slave our controlling terminal and stdio.
pub(super) fn setup_container_terminal(sock: &OwnedFd, own_console: bool) -> Result<()> {
    let master = nix::fcntl::open(
        "/dev/pts/ptmx",
        nix::fcntl::OFlag::O_RDWR | nix::fcntl::OFlag::O_NOCTTY | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .context("cannot open /dev/pts/ptmx")?;
    let mut unlock: libc::c_int = 0;
    let mut number: libc::c_uint = 0;
    unsafe {
        if libc::ioctl(master.as_raw_fd(), libc::TIOCSPTLCK, &mut unlock) != 0
            || libc::ioctl(master.as_raw_fd(), libc::TIOCGPTN, &mut number) != 0
        {
            return Err(std::io::Error::last_os_error()).context("cannot set up the pty");
        }
    }
    let slave_path = format!("/dev/pts/{number}");
    let slave = nix::fcntl::open(
        slave_path.as_str(),
        nix::fcntl::OFlag::O_RDWR | nix::fcntl::OFlag::O_NOCTTY,
        nix::sys::stat::Mode::empty(),
    )?;
    if own_console {
        let dest = Path::new("/dev/console");
        let console = target_in_root(Path::new("/"), dest, false)?;
        mounts::mount_on(
            Some(&slave_path),
            &console,
            dest,
            None,
            MsFlags::MS_BIND,
            "",
        )?;
    }
    send(sock, &ChildMessage::Terminal, Some(master.as_raw_fd()))?;
    drop(master);
    let mut sized = [0u8; 1];
    if nix::unistd::read(sock, &mut sized)? != 1 {
        anyhow::bail!("skiff went away while setting up the terminal");
    }
    nix::unistd::setsid()?;
    if unsafe { libc::ioctl(slave.as_raw_fd(), libc::TIOCSCTTY, 0) } != 0 {
        return Err(std::io::Error::last_os_error())
            .context("cannot make the pty the controlling terminal");
    }
    for target in 0..3 {
        if unsafe { libc::dup2(slave.as_raw_fd(), target) } < 0 {
            return Err(std::io::Error::last_os_error()).context("cannot attach the pty");
        }
    }
    Ok(())
}

/// Puts a terminal in raw mode until dropped.
pub struct RawMode {
    fd: i32,
    saved: nix::sys::termios::Termios,
}

impl RawMode {
    pub fn enter(fd: BorrowedFd) -> Option<RawMode> {
        let saved = nix::sys::termios::tcgetattr(fd).ok()?;
        let mut raw = saved.clone();
        nix::sys::termios::cfmakeraw(&mut raw);
        nix::sys::termios::tcsetattr(fd, nix::sys::termios::SetArg::TCSANOW, &raw).ok()?;
        Some(RawMode {
            fd: fd.as_raw_fd(),
            saved,
        })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let fd = unsafe { BorrowedFd::borrow_raw(self.fd) };
        let _ = nix::sys::termios::tcsetattr(fd, nix::sys::termios::SetArg::TCSANOW, &self.saved);
    }
}

/// Copies the window size of terminal `from` to the pty master `to`.
pub fn copy_window_size(from: i32, to: &OwnedFd) {
    if let Some(size) = window_size(from) {
        set_window_size(to, &size);
    }
}

/// The window size of terminal `fd`; None when it is no terminal.
pub fn window_size(fd: i32) -> Option<libc::winsize> {
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ writes one winsize into `size`.
    (unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut size) } == 0).then_some(size)
}

/// Sizes the pty whose master is `master` (its foreground processes get SIGWINCH).
pub fn set_window_size(master: &OwnedFd, size: &libc::winsize) {
    // SAFETY: TIOCSWINSZ reads one winsize.
    unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, size) };
}

/// A window of `rows` by `columns`; None when either is 0 (no size given).
pub fn window_of(rows: u16, columns: u16) -> Option<libc::winsize> {
    (rows > 0 && columns > 0).then_some(libc::winsize {
        ws_row: rows,
        ws_col: columns,
        ws_xpixel: 0,
        ws_ypixel: 0,
    })
}

/// A window size as `ROWSxCOLUMNS`, the way a supervisor is told it.
pub fn format_window_size(size: &libc::winsize) -> String {
    format!("{}x{}", size.ws_row, size.ws_col)
}

pub fn parse_window_size(text: &str) -> Result<libc::winsize> {
    let (rows, cols) = text
        .split_once('x')
        .context("a window size is ROWSxCOLUMNS")?;
    Ok(libc::winsize {
        ws_row: rows.parse()?,
        ws_col: cols.parse()?,
        ws_xpixel: 0,
        ws_ypixel: 0,
    })
}

/// Duplicates a descriptor number we do not own (such as stdin) into an owned one.
pub fn dup_owned(fd: i32) -> Result<OwnedFd> {
    let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    if new < 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

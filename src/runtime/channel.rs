//! A channel between a process and one it forked or cloned: a socket pair of datagrams,
//! each carrying a message and, at times, a descriptor.

use anyhow::Result;
use nix::sys::socket::{self, ControlMessageOwned, MsgFlags};
use std::io::IoSliceMut;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// The largest message.
const MAX_MESSAGE: usize = 64 * 1024;

/// The two ends: (the parent's, the child's).
pub fn pair() -> Result<(OwnedFd, OwnedFd)> {
    Ok(socket::socketpair(
        socket::AddressFamily::Unix,
        socket::SockType::SeqPacket,
        None,
        socket::SockFlag::SOCK_CLOEXEC,
    )?)
}

/// Sends one message, with a copy of `fd` when given.
pub fn send(sock: &impl AsRawFd, message: &[u8], fd: Option<RawFd>) -> Result<()> {
    let iov = [std::io::IoSlice::new(message)];
    let fds = fd.map(|f| [f]);
    let cmsgs: Vec<socket::ControlMessage> = fds
        .as_ref()
        .map(|f| socket::ControlMessage::ScmRights(f))
        .into_iter()
        .collect();
    socket::sendmsg::<()>(sock.as_raw_fd(), &iov, &cmsgs, MsgFlags::empty(), None)?;
    Ok(())
}

/// Receives one message and its descriptor; an empty message means the other end closed.
pub fn receive(sock: &impl AsRawFd) -> Result<(Vec<u8>, Option<OwnedFd>)> {
    let mut buf = vec![0u8; MAX_MESSAGE];
    let mut iov = [IoSliceMut::new(&mut buf)];
    let mut cmsg = nix::cmsg_space!([RawFd; 1]);
    let msg = socket::recvmsg::<()>(
        sock.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )?;
    let len = msg.bytes;
    let mut fd = None;
    for c in msg.cmsgs()? {
        if let ControlMessageOwned::ScmRights(fds) = c {
            // SAFETY: received with SCM_RIGHTS, so they are ours now.
            fd = fds.first().map(|&fd| unsafe { OwnedFd::from_raw_fd(fd) });
        }
    }
    buf.truncate(len);
    Ok((buf, fd))
}

//! `exec`: a new process inside a running container. A helper child joins the container's
//! namespaces through a pidfd of its pid 1 (user namespace first, all in one setns), then
//! clones the process with CLONE_PARENT, so that the caller, outside, is its parent and can
//! wait for it, while it lives in the container's pid namespace. The helper exits at once.

use super::child::{
    become_process, clone3, connect_stdio, receive_until_exec, reset_signals, send, start_socket,
    ChildMessage, CloneArgs,
};
use super::seccomp::Filters;
use super::{StartError, Started, Stdio};
use anyhow::{Context, Result};
use nix::unistd::{ForkResult, Pid};
use oci_spec::runtime::Process;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

pub struct Exec<'a> {
    /// Host pid of the container's pid 1.
    pub target: i32,
    pub process: &'a Process,
    pub seccomp: Option<&'a Filters>,
    pub stdio: Stdio,
}

pub fn exec(request: &Exec) -> Result<Started> {
    let (parent_sock, child_sock) = start_socket()?;
    // SAFETY: single-threaded; the helper only joins namespaces and clones.
    let helper = match unsafe { nix::unistd::fork() }? {
        ForkResult::Child => {
            drop(parent_sock);
            let error = match join_and_clone(request, &child_sock) {
                Ok(()) => unsafe { libc::_exit(0) },
                Err(e) => e
                    .downcast::<StartError>()
                    .unwrap_or_else(|e| StartError::Setup(format!("{e:#}"))),
            };
            let _ = send(&child_sock, &ChildMessage::Failed(error), None);
            unsafe { libc::_exit(125) }
        }
        ForkResult::Parent { child } => child,
    };
    drop(child_sock);
    let _ = nix::sys::wait::waitpid(helper, None);
    let received = receive_until_exec(&parent_sock)?;
    if let Some(error) = received.failed {
        // The process is our child (CLONE_PARENT): reap it, or it lingers as a zombie.
        if let Some(pid) = received.spawned {
            let _ = nix::sys::wait::waitpid(pid, None);
        }
        return Err(error.into());
    }
    let pid = received
        .spawned
        .ok_or_else(|| anyhow::anyhow!("could not start a process in the container"))?;
    let pidfd = pidfd_open(pid).context("the exec'd process vanished")?;
    let pty = received.pty;
    Ok(Started { pid, pidfd, pty })
}

/// The helper: join, clone the real process as our sibling, report its pid.
fn join_and_clone(request: &Exec, sock: &OwnedFd) -> Result<()> {
    let target = pidfd_open(Pid::from_raw(request.target))
        .map_err(|_| StartError::Setup("the container is not running".into()))?;
    let namespaces = libc::CLONE_NEWUSER
        | libc::CLONE_NEWNS
        | libc::CLONE_NEWPID
        | libc::CLONE_NEWIPC
        | libc::CLONE_NEWUTS
        | libc::CLONE_NEWNET;
    if unsafe { libc::setns(target.as_raw_fd(), namespaces) } != 0 {
        return Err(std::io::Error::last_os_error())
            .context("cannot join the container's namespaces");
    }
    // With CLONE_PARENT the kernel takes the exit signal from us (SIGCHLD) and refuses one here.
    let ret = clone3(&CloneArgs {
        flags: libc::CLONE_PARENT as u64,
        ..Default::default()
    })
    .context("cannot start a process in the container")?;
    if ret == 0 {
        let error = match run_in_container(request, sock) {
            Ok(never) => match never {},
            Err(e) => e
                .downcast::<StartError>()
                .unwrap_or_else(|e| StartError::Setup(format!("{e:#}"))),
        };
        let _ = send(sock, &ChildMessage::Failed(error), None);
        unsafe { libc::_exit(126) }
    }
    send(sock, &ChildMessage::Spawned(ret as i32), None)
}

fn run_in_container(request: &Exec, sock: &OwnedFd) -> Result<std::convert::Infallible> {
    reset_signals();
    connect_stdio(&request.stdio)?;
    become_process(request.process, request.seccomp, sock, false, false)
}

pub fn pidfd_open(pid: Pid) -> std::io::Result<OwnedFd> {
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

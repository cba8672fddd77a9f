//! `exec`: a new process inside a running container. A helper child joins the container's
//! namespaces through a pidfd of its pid 1 (user namespace first, all in one setns), then
//! clones the process with CLONE_PARENT, so that the caller, outside, is its parent and can
//! wait for it, while it lives in the container's pid namespace. The helper exits at once.

use super::child::{
    become_process, connect_stdio, reset_signals, send, spawn_via_helper, start_socket,
    ChildMessage, Join,
};
use super::seccomp::Filters;
use super::{StartError, Started, Stdio};
use anyhow::Result;
use nix::unistd::Pid;
use oci_spec::runtime::Process;
use std::os::fd::{AsFd, FromRawFd, OwnedFd, RawFd};

pub struct Exec<'a> {
    /// Host pid of the container's pid 1.
    pub target: i32,
    pub process: &'a Process,
    pub seccomp: Option<&'a Filters>,
    pub stdio: Stdio,
    /// The container's cgroup, which the process joins.
    pub cgroup: Option<&'a super::cgroup::Cgroup>,
    /// Whether the container has a cgroup namespace of its own, which the process joins.
    pub cgroupns: bool,
    /// The size its terminal starts with; None: that of our stdin.
    pub window: Option<libc::winsize>,
}

pub fn exec(request: &Exec) -> Result<Started> {
    let target = pidfd_open(Pid::from_raw(request.target))
        .map_err(|_| StartError::Setup("the container is not running".into()))?;
    // Those the container shares with the host (`--pid host`, `--userns host`) are ours.
    let namespaces = super::foreign_namespaces(
        request.target,
        libc::CLONE_NEWUSER
            | libc::CLONE_NEWNS
            | libc::CLONE_NEWPID
            | libc::CLONE_NEWIPC
            | libc::CLONE_NEWUTS
            | libc::CLONE_NEWNET
            | if request.cgroupns {
                libc::CLONE_NEWCGROUP
            } else {
                0
            },
    );
    spawn_via_helper(
        Join {
            joins: &[super::NsJoin {
                pidfd: target.as_fd(),
                namespaces,
            }],
            unshare: 0,
            cgroup: request.cgroup,
            window: request.window,
        },
        start_socket()?,
        |sock| {
            let error = match run_in_container(request, &sock) {
                Ok(never) => match never {},
                Err(e) => e
                    .downcast::<StartError>()
                    .unwrap_or_else(|e| StartError::Setup(format!("{e:#}"))),
            };
            let _ = send(&sock, &ChildMessage::Failed(error), None);
            unsafe { libc::_exit(126) }
        },
    )
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

//! The low-level container runtime: it turns an OCI runtime spec into a running process.
//!
//! `start` clones the container's first process into new namespaces, writes its id
//! mappings, and lets it set itself up (`child`: mounts, `rootfs`; identity and privileges,
//! `security`; then execve). Failures inside the child travel back over a socket, typed, so
//! the caller can tell "cannot start" (125) from "cannot execute" (126) and "not found" (127).

pub mod cgroup;
pub mod channel;
mod child;
mod copy;
pub mod exec;
pub mod init;
mod joins;
mod mounts;
mod rootfs;
pub mod seccomp;
mod security;
pub mod tty;
pub mod userns;

use anyhow::Result;
pub(crate) use child::reset_signals;
pub use copy::copy_layer;
pub use joins::{foreign_namespaces, userns_of, NsJoin};
use nix::unistd::Pid;
use oci_spec::runtime::Spec;
use std::os::fd::OwnedFd;
use std::path::Path;

/// Everything `start` needs beyond the spec.
pub struct Launch<'a> {
    pub spec: &'a Spec,
    /// The container directory; the spec's root path is relative to it.
    pub bundle: &'a Path,
    /// Where relative overlay lower directories are found.
    pub layers_dir: &'a Path,
    pub maps: &'a userns::IdMappings,
    pub seccomp: Option<&'a seccomp::Filters>,
    /// Run skiff's own init as pid 1, with the command as its child.
    pub init: bool,
    pub stdio: Stdio,
    /// Give the container an `eth0` (TUN) of this MTU for the user-mode network.
    pub eth0_mtu: Option<u32>,
    /// Whether the container gets a user namespace: always, but as root with `--userns host`.
    pub own_userns: bool,
    /// Namespaces of other processes the container joins instead of making its own: another
    /// container's (`--network container:NAME`, `--ipc container:NAME`), or the user
    /// namespace of its user-defined networks. All share one user namespace, which the
    /// first one's pidfd leads into.
    pub joins: Vec<NsJoin<'a>>,
    /// With `--ipc container:NAME`: the pidfd of that container's pid 1, whose /dev/shm the
    /// container mounts as its own.
    pub shm_donor: Option<std::os::fd::BorrowedFd<'a>>,
    /// On user-defined networks, the interfaces the container gets on their bridges.
    pub interfaces: &'a [crate::net::bridge::Attachment],
    /// The published ports, whose replies are routed back to the supervisor, and the
    /// container's address and gateway they lead to.
    pub published: &'a [crate::net::publish::PortMapping],
    pub inside: crate::net::ports::Inside,
    /// The cgroup of the container's limits, which its init joins before it goes on.
    pub cgroup: Option<&'a cgroup::Cgroup>,
    /// The size the container's terminal (`-t`) starts with; None: that of skiff's stdin.
    pub window: Option<libc::winsize>,
}

/// Where the container's standard streams go when it has no terminal.
pub enum Stdio {
    /// Ours: stdout and stderr, and stdin when `stdin` is set (`-i`); else /dev/null.
    Inherit { stdin: bool },
    /// These descriptors become the container's 0, 1 and 2.
    Fds([std::os::fd::RawFd; 3]),
}

/// A started container process.
pub struct Started {
    pub pid: Pid,
    pub pidfd: OwnedFd,
    /// The master side of the container's terminal, when the spec asks for one.
    pub pty: Option<OwnedFd>,
    /// The TUN descriptor of the container's `eth0`, on the user-mode network.
    pub tun: Option<OwnedFd>,
}

/// Why a container did not start, with docker's exit code for each case.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum StartError {
    Setup(String),
    CannotExecute(String),
    NotFound(String),
}

impl StartError {
    pub fn exit_code(&self) -> i32 {
        match self {
            StartError::Setup(_) => 125,
            StartError::CannotExecute(_) => 126,
            StartError::NotFound(_) => 127,
        }
    }
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Setup(m) | StartError::CannotExecute(m) | StartError::NotFound(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for StartError {}

/// Starts the container described by `launch`; returns once its command has been executed
/// (or has failed to be).
pub fn start(launch: &Launch) -> Result<Started> {
    child::spawn(launch)
}

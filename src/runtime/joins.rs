//! Namespaces a container takes from other processes instead of making its own.

use std::os::fd::BorrowedFd;

/// Some namespaces of another process, joined through a pidfd of it.
#[derive(Clone, Copy)]
pub struct NsJoin<'a> {
    pub pidfd: BorrowedFd<'a>,
    /// Which ones (CLONE_NEW* flags for setns).
    pub namespaces: libc::c_int,
}

const KINDS: [(libc::c_int, &str); 7] = [
    (libc::CLONE_NEWUSER, "user"),
    (libc::CLONE_NEWNS, "mnt"),
    (libc::CLONE_NEWPID, "pid"),
    (libc::CLONE_NEWIPC, "ipc"),
    (libc::CLONE_NEWUTS, "uts"),
    (libc::CLONE_NEWNET, "net"),
    (libc::CLONE_NEWCGROUP, "cgroup"),
];

/// Those of `namespaces` in which process `pid` is not where this process already is: a
/// process that shares the host's namespace (`--pid host`) has nothing there to join, and
/// setns into a namespace one is in fails (or needs rights over the host's).
pub fn foreign_namespaces(pid: i32, namespaces: libc::c_int) -> libc::c_int {
    let identity = |owner: &str, name: &str| {
        std::fs::metadata(format!("/proc/{owner}/ns/{name}"))
            .ok()
            .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
    };
    KINDS
        .iter()
        .filter(|(flag, _)| namespaces & flag != 0)
        .filter(|(_, name)| {
            let theirs = identity(&pid.to_string(), name);
            theirs.is_none() || theirs != identity("self", name)
        })
        .fold(0, |all, (flag, _)| all | flag)
}

/// Identifies the user namespace of process `pid`, to tell whether two processes share one.
pub fn userns_of(pid: i32) -> Option<u64> {
    let meta = std::fs::metadata(format!("/proc/{pid}/ns/user")).ok()?;
    Some(std::os::unix::fs::MetadataExt::ino(&meta))
}

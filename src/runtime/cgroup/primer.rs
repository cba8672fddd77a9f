//! Paying the kernel's wait for a cgroup move ahead of time.
//!
//! Every move of a process between cgroups takes one lock for all hierarchies, and the
//! first move after a quiet spell waits for an RCU grace period before it has that lock
//! (5 to 15 ms on the machines we measured); a move within one grace period of another
//! does not wait. A run that will move its container into a cgroup starts a [`Primer`]
//! as soon as it knows: a child process that moves itself into the cgroup it is already
//! in (a move that changes nothing), so the wait passes while the container is laid out,
//! and the container's own move follows without waiting.

use nix::sys::wait::waitpid;
use nix::unistd::Pid;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};

/// The child making the move; reaped by [`Primer::reap`] or when dropped.
pub struct Primer(AtomicI32);

impl Primer {
    /// Starts the move, unless this process's cgroup cannot be found under `root`
    /// (`own` is its /proc/self/cgroup).
    pub fn start(root: &Path, version: super::Version, own: &str) -> Option<Primer> {
        let file = own_procs_file(root, version, own)?;
        let file = CString::new(file.as_os_str().as_bytes()).ok()?;
        // SAFETY: the child allocates nothing (the caller may have threads): it makes
        // system calls on what was prepared above, then exits.
        match unsafe { libc::fork() } {
            0 => unsafe {
                let mut digits = [0u8; 12];
                let pid = decimal(libc::getpid() as u32, &mut digits);
                let fd = libc::open(file.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
                if fd >= 0 {
                    libc::write(fd, pid.as_ptr().cast(), pid.len());
                }
                libc::_exit(0)
            },
            -1 => None,
            child => Some(Primer(AtomicI32::new(child))),
        }
    }

    /// Waits for the child (it is done once the container has joined its cgroup: both
    /// waited for the same grace period).
    pub fn reap(&self) {
        let pid = self.0.swap(0, Ordering::Relaxed);
        if pid > 0 {
            let _ = waitpid(Pid::from_raw(pid), None);
        }
    }
}

impl Drop for Primer {
    fn drop(&mut self) {
        self.reap();
    }
}

/// `n` in decimal, written at the end of `buf`.
fn decimal(mut n: u32, buf: &mut [u8; 12]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[at..];
        }
    }
}

/// The `cgroup.procs` of this process's own cgroup: in the first v1 hierarchy mounted
/// under `root` that /proc/self/cgroup names, or in the v2 tree.
fn own_procs_file(root: &Path, version: super::Version, own: &str) -> Option<PathBuf> {
    let dir = own.lines().find_map(|line| {
        let mut fields = line.splitn(3, ':');
        let (_, controllers, path) = (fields.next()?, fields.next()?, fields.next()?);
        let path = path.trim_start_matches('/');
        match version {
            super::Version::V2 => controllers.is_empty().then(|| root.join(path)),
            super::Version::V1 => controllers
                .split(',')
                .find(|c| super::v1::CONTROLLERS.contains(c))
                .map(|c| root.join(c).join(path)),
        }
    })?;
    Some(dir.join("cgroup.procs")).filter(|f| f.exists())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::cgroup::Version;

    #[test]
    fn decimal_digits() {
        let mut buf = [0u8; 12];
        assert_eq!(decimal(0, &mut buf), b"0");
        assert_eq!(decimal(4_194_304, &mut buf), b"4194304");
    }

    #[test]
    fn own_cgroup_file() {
        let dir = crate::testdir::TempDir::new("cgroup");
        dir.subdir("memory/user/a");
        std::fs::write(dir.path().join("memory/user/a/cgroup.procs"), "").unwrap();
        let own = "12:name=systemd:/x\n4:memory:/user/a\n0::/\n";
        assert_eq!(
            own_procs_file(dir.path(), Version::V1, own),
            Some(dir.path().join("memory/user/a/cgroup.procs"))
        );
        std::fs::write(dir.path().join("cgroup.procs"), "").unwrap();
        assert_eq!(
            own_procs_file(dir.path(), Version::V2, own),
            Some(dir.path().join("cgroup.procs"))
        );
        assert_eq!(own_procs_file(dir.path(), Version::V1, "0::/\n"), None);
    }
}

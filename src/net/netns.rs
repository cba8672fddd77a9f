//! Sockets inside a container's network namespace, for the supervisor, which lives outside.
//!
//! Joining a network namespace needs CAP_SYS_ADMIN in the caller's own user namespace, so
//! the supervisor would first have to join the container's user namespace, for good. A
//! short-lived helper does it instead: cloned with CLONE_VM | CLONE_VFORK | CLONE_FILES
//! (no copy of our memory, we wait while it runs, and its descriptors are ours), it joins
//! the container's user and network namespaces through the pidfd of its pid 1, creates the
//! sockets, and exits. A socket belongs to the namespace it was created in for its whole
//! life, wherever its descriptor goes.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// What the helper is asked to do and reports back; shared memory with the helper.
struct Request {
    pidfd: i32,
    kind: i32,
    count: usize,
    fds: [i32; MAX_BATCH],
    made: usize,
    errno: i32,
}

/// The most sockets made in one trip.
pub const MAX_BATCH: usize = 16;
const HELPER_STACK: usize = 64 * 1024;

/// Creates `count` (at most [`MAX_BATCH`]) sockets of type `kind` (SOCK_STREAM or
/// SOCK_DGRAM, IPv4) in the network namespace of the process behind `pidfd`.
pub fn sockets(pidfd: BorrowedFd, kind: i32, count: usize) -> std::io::Result<Vec<OwnedFd>> {
    let mut request = Request {
        pidfd: pidfd.as_raw_fd(),
        kind,
        count: count.min(MAX_BATCH),
        fds: [-1; MAX_BATCH],
        made: 0,
        errno: 0,
    };
    let mut stack = vec![0u8; HELPER_STACK];
    // SAFETY: the helper shares our memory but we are suspended until it exits
    // (CLONE_VFORK), so nothing else touches `request` or the stack meanwhile; the helper
    // makes only raw system calls and never unwinds.
    let pid = unsafe {
        let top = stack.as_mut_ptr().add(HELPER_STACK) as *mut libc::c_void;
        libc::clone(
            helper,
            top,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::CLONE_FILES | libc::SIGCHLD,
            &mut request as *mut Request as *mut libc::c_void,
        )
    };
    if pid < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let _ = nix::sys::wait::waitpid(nix::unistd::Pid::from_raw(pid), None);
    // SAFETY: the helper created these descriptors in our (shared) table.
    let sockets: Vec<OwnedFd> = request.fds[..request.made]
        .iter()
        .map(|&fd| unsafe { OwnedFd::from_raw_fd(fd) })
        .collect();
    if sockets.is_empty() {
        return Err(std::io::Error::from_raw_os_error(request.errno));
    }
    Ok(sockets)
}

extern "C" fn helper(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `sockets` passes a Request that outlives this process.
    let request = unsafe { &mut *(arg as *mut Request) };
    unsafe {
        if libc::setns(request.pidfd, libc::CLONE_NEWUSER | libc::CLONE_NEWNET) != 0 {
            request.errno = *libc::__errno_location();
            return 1;
        }
        while request.made < request.count {
            let fd = libc::socket(
                libc::AF_INET,
                request.kind | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
                0,
            );
            if fd < 0 {
                request.errno = *libc::__errno_location();
                return 1;
            }
            // Published connections are made from the client's address (see `ports`);
            // only root in the namespace may, so it is set here. Where the kernel refuses,
            // they come from the container's own address.
            let on: libc::c_int = 1;
            libc::setsockopt(
                fd,
                libc::SOL_IP,
                libc::IP_TRANSPARENT,
                &on as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
            request.fds[request.made] = fd;
            request.made += 1;
        }
    }
    0
}

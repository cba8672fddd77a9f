//! The container's first process: cloned into its namespaces, it waits for its id mappings,
//! builds its root filesystem, drops to the spec's identity and privileges, and executes
//! the command. The parent side of that handshake is `spawn`.

use super::seccomp::Filters;
use super::{init, rootfs, security, tty, Launch, StartError, Started, Stdio};
use anyhow::{anyhow, bail, Context, Result};
use nix::sys::socket::{self, ControlMessageOwned, MsgFlags};
use nix::unistd::Pid;
use oci_spec::runtime::{LinuxNamespaceType, Process, Spec};
use serde::{Deserialize, Serialize};
use std::ffi::CString;
use std::io::IoSliceMut;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// What the child tells its parent before it executes the command.
#[derive(Serialize, Deserialize)]
pub(super) enum ChildMessage {
    /// The master side of the container's terminal rides along as an SCM_RIGHTS fd.
    Terminal,
    /// The host pid of a process an exec helper cloned into the container.
    Spawned(i32),
    Failed(StartError),
}

#[repr(C)]
#[derive(Default)]
pub(super) struct CloneArgs {
    pub flags: u64,
    pub pidfd: u64,
    pub child_tid: u64,
    pub parent_tid: u64,
    pub exit_signal: u64,
    pub stack: u64,
    pub stack_size: u64,
    pub tls: u64,
    pub set_tid: u64,
    pub set_tid_size: u64,
    pub cgroup: u64,
}

/// clone3 without a stack: the child continues from here, like fork.
pub(super) fn clone3(args: &CloneArgs) -> std::io::Result<i32> {
    // SAFETY: without a stack, clone3 behaves like fork; skiff is single-threaded here.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_clone3,
            args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        )
    };
    if ret < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(ret as i32)
}

fn clone_flags(spec: &Spec) -> u64 {
    let mut flags = libc::CLONE_NEWUSER | libc::CLONE_PIDFD;
    let namespaces = spec
        .linux()
        .as_ref()
        .and_then(|l| l.namespaces().clone())
        .unwrap_or_default();
    for ns in namespaces.iter().filter(|ns| ns.path().is_none()) {
        flags |= match ns.typ() {
            LinuxNamespaceType::Mount => libc::CLONE_NEWNS,
            LinuxNamespaceType::Pid => libc::CLONE_NEWPID,
            LinuxNamespaceType::Ipc => libc::CLONE_NEWIPC,
            LinuxNamespaceType::Uts => libc::CLONE_NEWUTS,
            LinuxNamespaceType::Network => libc::CLONE_NEWNET,
            LinuxNamespaceType::Cgroup => libc::CLONE_NEWCGROUP,
            _ => 0,
        };
    }
    flags as u64
}

/// The socket pair over which a starting process talks to its parent: (parent's, child's).
pub(super) fn start_socket() -> Result<(OwnedFd, OwnedFd)> {
    Ok(socket::socketpair(
        socket::AddressFamily::Unix,
        socket::SockType::SeqPacket,
        None,
        socket::SockFlag::SOCK_CLOEXEC,
    )?)
}

pub(super) fn spawn(launch: &Launch) -> Result<Started> {
    let (parent_sock, child_sock) = start_socket()?;
    let mut pidfd: RawFd = -1;
    let args = CloneArgs {
        flags: clone_flags(launch.spec),
        pidfd: &mut pidfd as *mut RawFd as u64,
        exit_signal: libc::SIGCHLD as u64,
        ..Default::default()
    };
    let ret = clone3(&args).context("cannot create the container's namespaces")?;
    if ret == 0 {
        drop(parent_sock);
        child_main(launch, child_sock);
    }
    drop(child_sock);
    let pid = Pid::from_raw(ret as i32);
    // SAFETY: the kernel just gave us this descriptor.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
    let started = handshake(launch, pid, &parent_sock).inspect_err(|_| {
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        let _ = nix::sys::wait::waitpid(pid, None);
    })?;
    Ok(Started {
        pid,
        pidfd,
        pty: started,
    })
}

/// Parent side: map ids, release the child, and collect its terminal or its error.
fn handshake(launch: &Launch, pid: Pid, sock: &OwnedFd) -> Result<Option<OwnedFd>> {
    launch.maps.apply(pid.as_raw())?;
    nix::unistd::write(sock, b"g")?;
    let received = receive_until_exec(sock)?;
    match received.failed {
        Some(e) => Err(e.into()),
        None => Ok(received.pty),
    }
}

/// What a starting process sent before its execve.
pub(super) struct Received {
    pub pty: Option<OwnedFd>,
    /// The host pid of a process an exec helper cloned.
    pub spawned: Option<Pid>,
    pub failed: Option<StartError>,
}

/// Reads the child's messages until its end of the socket closes at execve: its terminal,
/// or the error that stopped it.
/// Messages may come from an exec helper and from the process it cloned, in either order.
pub(super) fn receive_until_exec(sock: &OwnedFd) -> Result<Received> {
    let mut pty = None;
    let mut spawned = None;
    let mut failed = None;
    loop {
        let mut buf = vec![0u8; 64 * 1024];
        let mut iov = [IoSliceMut::new(&mut buf)];
        let mut cmsg = nix::cmsg_space!([RawFd; 1]);
        let msg = socket::recvmsg::<()>(
            sock.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::MSG_CMSG_CLOEXEC,
        )?;
        let len = msg.bytes;
        if len == 0 {
            return Ok(Received {
                pty,
                spawned,
                failed,
            });
        }
        for c in msg.cmsgs()? {
            if let ControlMessageOwned::ScmRights(fds) = c {
                // SAFETY: received with SCM_RIGHTS, so they are ours now.
                pty = fds.first().map(|&fd| unsafe { OwnedFd::from_raw_fd(fd) });
            }
        }
        match serde_json::from_slice::<ChildMessage>(&buf[..len])? {
            ChildMessage::Terminal => {
                // The command must find its terminal sized when it starts: size it, then
                // let the child go on.
                if let Some(master) = &pty {
                    tty::copy_window_size(0, master);
                }
                nix::unistd::write(sock, b"t")?;
            }
            ChildMessage::Spawned(pid) => spawned = Some(Pid::from_raw(pid)),
            // Keep reading: the other sender may still have something to say.
            ChildMessage::Failed(e) => failed = Some(e),
        }
    }
}

/// Sends one message (and optionally a descriptor) to the parent.
pub(super) fn send(sock: &OwnedFd, message: &ChildMessage, fd: Option<RawFd>) -> Result<()> {
    let bytes = serde_json::to_vec(message)?;
    let iov = [std::io::IoSlice::new(&bytes)];
    let fds = fd.map(|f| [f]);
    let cmsgs: Vec<socket::ControlMessage> = fds
        .as_ref()
        .map(|f| socket::ControlMessage::ScmRights(f))
        .into_iter()
        .collect();
    socket::sendmsg::<()>(sock.as_raw_fd(), &iov, &cmsgs, MsgFlags::empty(), None)?;
    Ok(())
}

fn child_main(launch: &Launch, sock: OwnedFd) -> ! {
    let error = match setup_and_exec(launch, &sock) {
        Ok(never) => match never {},
        Err(e) => match e.downcast::<StartError>() {
            Ok(start_error) => start_error,
            Err(other) => StartError::Setup(format!("{other:#}")),
        },
    };
    let _ = send(&sock, &ChildMessage::Failed(error), None);
    unsafe { libc::_exit(125) }
}

fn setup_and_exec(launch: &Launch, sock: &OwnedFd) -> Result<std::convert::Infallible> {
    let mut go = [0u8; 1];
    if nix::unistd::read(sock, &mut go)? != 1 {
        bail!("skiff went away before the container started");
    }
    // Die with whoever supervises us, so no container outlives its supervisor.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    reset_signals();
    connect_stdio(&launch.stdio)?;
    let spec = launch.spec;
    let process = spec
        .process()
        .as_ref()
        .ok_or_else(|| anyhow!("the spec has no process"))?;
    rootfs::prepare(launch)?;
    if let Some(hostname) = spec.hostname() {
        nix::unistd::sethostname(hostname).context("cannot set the hostname")?;
    }
    if clone_flags(spec) & libc::CLONE_NEWNET as u64 != 0 {
        bring_up_loopback()?;
    }
    become_process(process, launch.seccomp, sock, launch.init, true)
}

/// The common end of starting a container and of `exec`, inside the container's root:
/// terminal, user, environment, working directory, privileges, then execve (or skiff's
/// init as pid 1). `own_console` binds the terminal over /dev/console (containers, not execs).
pub(super) fn become_process(
    process: &Process,
    seccomp: Option<&Filters>,
    sock: &OwnedFd,
    init: bool,
    own_console: bool,
) -> Result<std::convert::Infallible> {
    if process.terminal() == Some(true) {
        tty::setup_container_terminal(sock, own_console)?;
    }
    let user = security::resolve_user(process.user())?;
    let env = container_env(process.env().as_deref().unwrap_or_default(), &user);
    prepare_cwd(process.cwd(), &user)?;
    let args = process.args().clone().unwrap_or_default();
    if args.is_empty() {
        bail!("no command specified");
    }
    let program = if init {
        None
    } else {
        Some(find_program(&args[0], &env)?)
    };
    // Whatever descriptors skiff's caller left open must not leak into the container.
    unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    security::apply(process, &user, seccomp)?;
    match program {
        Some(program) => exec(program, &args, &env),
        None => init::run(&args, &env, sock),
    }
}

/// A new network namespace starts with `lo` down; docker's containers have it up.
fn bring_up_loopback() -> Result<()> {
    let sock = socket::socket(
        socket::AddressFamily::Inet,
        socket::SockType::Datagram,
        socket::SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    for (i, b) in b"lo".iter().enumerate() {
        request.ifr_name[i] = *b as libc::c_char;
    }
    unsafe {
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut request) != 0 {
            return Err(std::io::Error::last_os_error())
                .context("cannot read the loopback interface");
        }
        request.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &request) != 0 {
            return Err(std::io::Error::last_os_error())
                .context("cannot bring up the loopback interface");
        }
    }
    Ok(())
}

pub(super) fn reset_signals() {
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        for sig in 1..32 {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::signal(sig, libc::SIG_DFL);
            }
        }
    }
}

pub(super) fn connect_stdio(stdio: &Stdio) -> Result<()> {
    match stdio {
        Stdio::Inherit { stdin: true } => {}
        Stdio::Inherit { stdin: false } => {
            let null = std::fs::File::open("/dev/null")?;
            nix::unistd::dup2_stdin(null)?;
        }
        Stdio::Fds(fds) => {
            for (target, &fd) in fds.iter().enumerate() {
                if unsafe { libc::dup2(fd, target as i32) } < 0 {
                    return Err(std::io::Error::last_os_error())
                        .context("cannot connect the container's standard streams");
                }
            }
        }
    }
    Ok(())
}

/// The command's environment: the spec's, plus HOME from the user's passwd entry as docker does.
fn container_env(env: &[String], user: &security::User) -> Vec<String> {
    let mut env = env.to_vec();
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        env.push(format!("HOME={}", user.home));
    }
    env
}

/// Docker creates a missing working directory, owned by the container's user.
fn prepare_cwd(cwd: &std::path::Path, user: &security::User) -> Result<()> {
    if std::fs::metadata(cwd).is_err() {
        std::fs::create_dir_all(cwd)
            .with_context(|| format!("cannot create working directory {}", cwd.display()))?;
        let _ = nix::unistd::chown(cwd, Some(user.uid.into()), Some(user.gid.into()));
    }
    nix::unistd::chdir(cwd).map_err(|e| {
        StartError::CannotExecute(format!(
            "cannot enter working directory {}: {e}",
            cwd.display()
        ))
    })?;
    Ok(())
}

/// Resolves the command like execvp, with the container's PATH, so errors are docker's.
pub(super) fn find_program(name: &str, env: &[String]) -> Result<CString, StartError> {
    let candidates: Vec<String> = if name.contains('/') {
        vec![name.to_string()]
    } else {
        let path = env
            .iter()
            .find_map(|e| e.strip_prefix("PATH="))
            .unwrap_or("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        path.split(':')
            .map(|dir| format!("{}/{name}", if dir.is_empty() { "." } else { dir }))
            .collect()
    };
    let mut denied = None;
    for candidate in &candidates {
        match std::fs::metadata(candidate) {
            Ok(meta) if meta.is_file() => {
                if nix::unistd::access(candidate.as_str(), nix::unistd::AccessFlags::X_OK).is_ok() {
                    return CString::new(candidate.as_str())
                        .map_err(|_| StartError::NotFound(name.into()));
                }
                denied.get_or_insert_with(|| format!("exec: \"{name}\": permission denied"));
            }
            Ok(meta) if meta.is_dir() && name.contains('/') => {
                denied.get_or_insert_with(|| format!("exec: \"{name}\": is a directory"));
            }
            _ => {}
        }
    }
    Err(match denied {
        Some(message) => StartError::CannotExecute(message),
        None if name.contains('/') => StartError::NotFound(format!(
            "exec: \"{name}\": stat {name}: no such file or directory"
        )),
        None => StartError::NotFound(format!(
            "exec: \"{name}\": executable file not found in $PATH"
        )),
    })
}

fn cstrings(items: &[String]) -> Vec<CString> {
    items
        .iter()
        .map(|s| CString::new(s.as_str()).unwrap_or_default())
        .collect()
}

pub(super) fn exec(
    program: CString,
    args: &[String],
    env: &[String],
) -> Result<std::convert::Infallible> {
    let err = nix::unistd::execve(&program, &cstrings(args), &cstrings(env)).unwrap_err();
    let name = &args[0];
    Err(match err {
        nix::errno::Errno::ENOENT => {
            StartError::NotFound(format!("exec: \"{name}\": no such file or directory"))
        }
        other => {
            StartError::CannotExecute(format!("exec: \"{name}\": {}", other.desc().to_lowercase()))
        }
    }
    .into())
}

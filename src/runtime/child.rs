//! The container's first process: cloned into its namespaces, it waits for its id mappings,
//! builds its root filesystem, drops to the spec's identity and privileges, and executes
//! the command. The parent side of that handshake is `spawn`.

use super::seccomp::Filters;
use super::{init, rootfs, security, tty, Launch, NsJoin, StartError, Started, Stdio};
use anyhow::{anyhow, bail, Context, Result};
use nix::sys::socket;
use nix::unistd::Pid;
use oci_spec::runtime::{LinuxNamespaceType, Process, Spec};
use serde::{Deserialize, Serialize};
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// What the child tells its parent before it executes the command.
#[derive(Serialize, Deserialize)]
pub(super) enum ChildMessage {
    /// The master side of the container's terminal rides along as an SCM_RIGHTS fd.
    Terminal,
    /// The TUN descriptor of the container's `eth0` rides along as an SCM_RIGHTS fd.
    Network,
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

/// The CLONE_NEW* flags of the namespaces the spec makes new. The cgroup namespace is not
/// among them: the child makes it itself once it is in its cgroup (see [`wants_cgroupns`]),
/// so that the namespace's root is the container's cgroup.
fn clone_flags(launch: &Launch) -> u64 {
    let mut flags = libc::CLONE_PIDFD;
    if launch.own_userns {
        flags |= libc::CLONE_NEWUSER;
    }
    let namespaces = launch
        .spec
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
            _ => 0,
        };
    }
    flags as u64
}

/// Whether the spec gives the container a cgroup namespace of its own.
fn wants_cgroupns(spec: &Spec) -> bool {
    spec.linux()
        .as_ref()
        .and_then(|l| l.namespaces().as_ref())
        .is_some_and(|namespaces| {
            namespaces
                .iter()
                .any(|ns| ns.typ() == LinuxNamespaceType::Cgroup && ns.path().is_none())
        })
}

/// The socket pair over which a starting process talks to its parent: (parent's, child's).
pub(super) fn start_socket() -> Result<(OwnedFd, OwnedFd)> {
    super::channel::pair()
}

pub(super) fn spawn(launch: &Launch) -> Result<Started> {
    let (parent_sock, child_sock) = start_socket()?;
    if !launch.joins.is_empty() {
        return spawn_joined(launch, (parent_sock, child_sock));
    }
    let mut pidfd: RawFd = -1;
    let args = CloneArgs {
        flags: clone_flags(launch),
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
    let pid = Pid::from_raw(ret);
    // SAFETY: the kernel just gave us this descriptor.
    let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
    let received = handshake(launch, pid, &parent_sock).inspect_err(|_| {
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        let _ = nix::sys::wait::waitpid(pid, None);
    })?;
    Ok(Started {
        pid,
        pidfd,
        pty: received.pty,
        tun: received.tun,
    })
}

/// What a starting process sent before its execve.
#[derive(Default)]
pub(super) struct Received {
    pub pty: Option<OwnedFd>,
    pub tun: Option<OwnedFd>,
    /// The host pid of a process a helper cloned.
    pub spawned: Option<Pid>,
    pub failed: Option<StartError>,
}

/// The container's first process inside namespaces of other processes (another
/// container's, or the user namespace of the user-defined networks), with the rest of its
/// namespaces new. Nothing to map (the other process's ids are), so it may go on at once.
fn spawn_joined(launch: &Launch, (parent_sock, child_sock): (OwnedFd, OwnedFd)) -> Result<Started> {
    nix::unistd::write(&parent_sock, b"g")?;
    // The helper puts itself into the cgroup before it clones: the child may go on at once.
    // (Each write is a message of its own on the socket.)
    if launch.cgroup.is_some() {
        nix::unistd::write(&parent_sock, IN_CGROUP)?;
    }
    let joins = user_namespace_once(launch);
    let joined = joins.iter().fold(0, |all, j| all | j.namespaces);
    let own = clone_flags(launch)
        & !(libc::CLONE_NEWUSER as u64 | libc::CLONE_PIDFD as u64 | joined as u64);
    spawn_via_helper(
        Join {
            joins: &joins,
            unshare: own,
            cgroup: launch.cgroup,
            window: launch.window,
        },
        (parent_sock, child_sock),
        |sock| child_main(launch, sock),
    )
}

/// The launch's joins with the user namespace entered once, by the first: the others are
/// in it too, and setns into the user namespace one is in fails. Without a user namespace
/// of its own (root, `--userns host`) the container stays in the host's.
fn user_namespace_once<'a>(launch: &Launch<'a>) -> Vec<NsJoin<'a>> {
    launch
        .joins
        .iter()
        .enumerate()
        .map(|(i, join)| NsJoin {
            pidfd: join.pidfd,
            namespaces: if i == 0 && launch.own_userns {
                join.namespaces
            } else {
                join.namespaces & !libc::CLONE_NEWUSER
            },
        })
        .filter(|join| join.namespaces != 0)
        .collect()
}

/// Namespaces a process is started in by [`spawn_via_helper`].
pub(super) struct Join<'a> {
    /// Namespaces of other processes, joined in order.
    pub joins: &'a [NsJoin<'a>],
    /// Namespaces made new for the process (CLONE_NEW* flags for clone3).
    pub unshare: u64,
    /// The cgroup the process starts in.
    pub cgroup: Option<&'a super::cgroup::Cgroup>,
    /// The size its terminal starts with; None: that of our stdin.
    pub window: Option<libc::winsize>,
}

/// Starts a process in namespaces of another: a helper child joins them, clones the process
/// with CLONE_PARENT (so that we, outside, are its parent and can wait for it, while it
/// lives in the joined pid namespace), reports its pid and exits. `body` is the process;
/// it never returns. Returns once the process has executed its command (or failed to).
pub(super) fn spawn_via_helper(
    join: Join,
    (parent_sock, child_sock): (OwnedFd, OwnedFd),
    body: impl FnOnce(OwnedFd) -> Result<std::convert::Infallible>,
) -> Result<Started> {
    // SAFETY: single-threaded; the helper only joins namespaces and clones.
    let helper = match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Child => {
            drop(parent_sock);
            let error = match join_and_clone(&join, &child_sock, body) {
                Ok(()) => unsafe { libc::_exit(0) },
                Err(e) => e
                    .downcast::<StartError>()
                    .unwrap_or_else(|e| StartError::Setup(format!("{e:#}"))),
            };
            let _ = send(&child_sock, &ChildMessage::Failed(error), None);
            unsafe { libc::_exit(125) }
        }
        nix::unistd::ForkResult::Parent { child } => child,
    };
    drop(child_sock);
    let _ = nix::sys::wait::waitpid(helper, None);
    let received = receive_until_exec(&parent_sock, join.window)?;
    if let Some(error) = received.failed {
        // The process is our child (CLONE_PARENT): reap it, or it lingers as a zombie.
        if let Some(pid) = received.spawned {
            let _ = nix::sys::wait::waitpid(pid, None);
        }
        return Err(error.into());
    }
    let pid = received
        .spawned
        .ok_or_else(|| anyhow!("could not start the process"))?;
    let pidfd = super::exec::pidfd_open(pid).context("the started process vanished")?;
    Ok(Started {
        pid,
        pidfd,
        pty: received.pty,
        tun: received.tun,
    })
}

/// The helper: join, clone the process as our parent's child, report its pid.
fn join_and_clone(
    join: &Join,
    sock: &OwnedFd,
    body: impl FnOnce(OwnedFd) -> Result<std::convert::Infallible>,
) -> Result<()> {
    // Joined while still outside, where the cgroup's files are ours to write; the process
    // cloned below inherits it.
    if let Some(cgroup) = join.cgroup {
        cgroup.join(std::process::id() as i32)?;
    }
    for target in join.joins {
        if unsafe { libc::setns(target.pidfd.as_raw_fd(), target.namespaces) } != 0 {
            return Err(std::io::Error::last_os_error())
                .context("cannot join the container's namespaces");
        }
    }
    // With CLONE_PARENT the kernel takes the exit signal from us (SIGCHLD) and refuses one here.
    let ret = clone3(&CloneArgs {
        flags: join.unshare | libc::CLONE_PARENT as u64,
        ..Default::default()
    })
    .context("cannot start a process in the container")?;
    if ret != 0 {
        return send(sock, &ChildMessage::Spawned(ret), None);
    }
    // The process: `body` ends in execve or _exit.
    match body(sock.try_clone()?)? {}
}

/// Parent side: map ids, release the child, move it into its cgroup while it sets itself
/// up (the kernel may take milliseconds to move a process, which the child's setup hides),
/// and collect its descriptors or its error.
fn handshake(launch: &Launch, pid: Pid, sock: &OwnedFd) -> Result<Received> {
    if launch.own_userns {
        launch.maps.apply(pid.as_raw())?;
    }
    nix::unistd::write(sock, b"g")?;
    if let Some(cgroup) = launch.cgroup {
        let joined = cgroup.join(pid.as_raw());
        if joined.is_err() {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        }
        joined?;
        // A child that already failed has closed its end: its error is read below.
        let _ = nix::unistd::write(sock, IN_CGROUP);
    }
    let mut received = receive_until_exec(sock, launch.window)?;
    match received.failed.take() {
        Some(e) => Err(e.into()),
        None => Ok(received),
    }
}

/// Reads the child's messages until its end of the socket closes at execve: its terminal
/// and network device, or the error that stopped it.
/// Messages may come from a helper and from the process it cloned, in either order.
/// The terminal starts with size `window`, or that of our stdin.
pub(super) fn receive_until_exec(
    sock: &OwnedFd,
    window: Option<libc::winsize>,
) -> Result<Received> {
    let mut received = Received::default();
    loop {
        let (message, fd) = super::channel::receive(sock)?;
        if message.is_empty() {
            return Ok(received);
        }
        match serde_json::from_slice::<ChildMessage>(&message)? {
            ChildMessage::Terminal => {
                // The command must find its terminal sized when it starts: size it, then
                // let the child go on.
                match (&fd, window) {
                    (Some(master), Some(size)) => tty::set_window_size(master, &size),
                    (Some(master), None) => tty::copy_window_size(0, master),
                    (None, _) => {}
                }
                received.pty = fd;
                nix::unistd::write(sock, b"t")?;
            }
            ChildMessage::Network => received.tun = fd,
            ChildMessage::Spawned(pid) => received.spawned = Some(Pid::from_raw(pid)),
            // Keep reading: the other sender may still have something to say.
            ChildMessage::Failed(e) => received.failed = Some(e),
        }
    }
}

/// Sends one message (and optionally a descriptor) to the parent.
pub(super) fn send(sock: &OwnedFd, message: &ChildMessage, fd: Option<RawFd>) -> Result<()> {
    super::channel::send(sock, &serde_json::to_vec(message)?, fd)
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
    if clone_flags(launch) & libc::CLONE_NEWNET as u64 != 0 {
        bring_up_loopback()?;
    }
    for interface in launch.interfaces {
        crate::net::bridge::attach(interface)?;
    }
    // /dev/net/tun is the host's: the device is made before the root changes.
    if let Some(mtu) = launch.eth0_mtu {
        let tun = crate::net::device::create_eth0(mtu)?;
        send(sock, &ChildMessage::Network, Some(tun.as_raw_fd()))?;
    }
    crate::net::ports::route_replies_home(launch.inside, launch.published)?;
    rootfs::prepare(launch)?;
    if let Some(hostname) = spec.hostname() {
        nix::unistd::sethostname(hostname).context("cannot set the hostname")?;
    }
    if let Some(domainname) = spec.domainname() {
        set_domainname(domainname)?;
    }
    if launch.cgroup.is_some() {
        wait_for_cgroup(sock)?;
    }
    if wants_cgroupns(spec) {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWCGROUP)
            .context("cannot create the container's cgroup namespace")?;
    }
    security::apply_limits(process)?;
    become_process(process, launch.seccomp, sock, launch.init, true)
}

/// What the parent sends once the child is in its cgroup.
const IN_CGROUP: &[u8] = b"c";

/// The container's own processes must start in its cgroup, counted and limited.
fn wait_for_cgroup(sock: &OwnedFd) -> Result<()> {
    let mut byte = [0u8; 1];
    if nix::unistd::read(sock, &mut byte)? != 1 || byte != IN_CGROUP {
        bail!("skiff went away before the container joined its cgroup");
    }
    Ok(())
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

fn set_domainname(name: &str) -> Result<()> {
    // SAFETY: the buffer is valid for its length.
    if unsafe { libc::setdomainname(name.as_ptr().cast(), name.len()) } != 0 {
        return Err(std::io::Error::last_os_error()).context("cannot set the domain name");
    }
    Ok(())
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

pub(crate) fn reset_signals() {
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

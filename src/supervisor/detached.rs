//! The detached supervisor: `skiff __supervise ID`, one small process per running container,
//! started by `run -d` and `start`. It starts the container (reporting success or the error
//! to whoever launched it over an inherited pipe), keeps its output in the log, runs its
//! healthcheck, carries out its restart policy, and exits once the container is finally down.

use super::attach::{socket_path, Hub, Input};
use super::{health, output_pipe, signal_fd, supervise, Relay, SignalPolicy};
use crate::container::options::RestartPolicy;
use crate::container::resources::OwnCgroup;
use crate::container::start::{exited_state, failed_state, running_state, services, Prepared};
use crate::container::state::{self, ContainerState, Marker};
use crate::net::ports::Forwarder;
use crate::runtime::userns::IdMappings;
use crate::runtime::{self, tty, StartError, Stdio};
use crate::store::Store;
use anyhow::{bail, Context, Result};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio as ProcessStdio};
use std::time::{Duration, Instant};

/// What the supervisor tells its launcher once the container started (or failed to).
#[derive(serde::Serialize, serde::Deserialize)]
pub enum Ready {
    Started,
    Failed(StartError),
}

/// Who launches a supervisor, and what it does next.
#[derive(Clone, Copy, Default)]
pub enum Launcher {
    /// `run -d`, `start`: it leaves once the container runs.
    #[default]
    Leaves,
    /// `run -it`, `start -ai`: it attaches at once, from a terminal of this size; the
    /// container's terminal starts with that size and its output waits for that client.
    Attaches(Option<libc::winsize>),
}

impl Launcher {
    /// The supervisor's arguments that tell it so.
    pub fn args(&self) -> Vec<String> {
        match self {
            Launcher::Leaves => Vec::new(),
            Launcher::Attaches(None) => vec!["--launcher-attaches".into()],
            Launcher::Attaches(Some(window)) => vec![
                "--launcher-attaches".into(),
                "--window-size".into(),
                tty::format_window_size(window),
            ],
        }
    }
}

/// Launches the supervisor for container `id` and waits until the container has started.
pub fn spawn(store: &Store, id: &str, launcher: Launcher) -> Result<()> {
    let mut args = vec!["__supervise".to_string(), id.to_string()];
    args.extend(launcher.args());
    spawn_supervisor(store, &args)
}

/// Starts the supervisor `skiff ARGS` (of a container, or of one exec'd process) and waits
/// until what it supervises has started.
pub fn spawn_supervisor(store: &Store, args: &[String]) -> Result<()> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let message = spawn_helper(store, &args, "the container's supervisor")?;
    match serde_json::from_slice::<Ready>(&message) {
        Ok(Ready::Started) => Ok(()),
        Ok(Ready::Failed(e)) => Err(e.into()),
        Err(_) => bail!("the container's supervisor died before the container started"),
    }
}

/// Starts `skiff ARGS --ready-fd N` as a process of its own that outlives us (a supervisor,
/// a network's holder), and returns what it wrote on its ready pipe before closing it.
pub fn spawn_helper(store: &Store, args: &[&str], what: &str) -> Result<Vec<u8>> {
    let (ready_r, ready_w) = nix::unistd::pipe()?;
    let ready_fd = ready_w.as_raw_fd();
    let mut command = Command::new("/proc/self/exe");
    command
        .arg("--root")
        .arg(&store.root)
        .arg("--runroot")
        .arg(&store.runroot)
        .args(args)
        .args(["--ready-fd", &ready_fd.to_string()])
        .stdin(ProcessStdio::null())
        .stdout(ProcessStdio::null())
        .stderr(ProcessStdio::null());
    // SAFETY: fork and setsid are async-signal-safe. Forking once more makes the process
    // nobody's child, so a long-lived caller (a supervisor starting a network's holder) is
    // not left with a zombie when it exits; a session of its own keeps it out of the
    // caller's terminal and job control.
    // It outlives its caller, so it must hold none of the caller's descriptors (a
    // `$(skiff run -d ...)` would wait for them), only the pipe it reports on.
    unsafe {
        command.pre_exec(move || {
            match libc::fork() {
                0 => {}
                -1 => return Err(std::io::Error::last_os_error()),
                _ => libc::_exit(0),
            }
            nix::unistd::setsid().map_err(std::io::Error::from)?;
            libc::syscall(
                libc::SYS_close_range,
                3u32,
                (ready_fd - 1) as u32,
                libc::CLOSE_RANGE_CLOEXEC,
            );
            libc::syscall(
                libc::SYS_close_range,
                (ready_fd + 1) as u32,
                u32::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            );
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {what}"))?;
    drop(ready_w);
    let _ = child.wait();
    let mut message = Vec::new();
    std::fs::File::from(ready_r).read_to_end(&mut message)?;
    Ok(message)
}

/// The supervisor's main: returns when the container is down for good.
pub fn main(store: &Store, id: &str, ready_fd: i32, launcher: Launcher) -> Result<i32> {
    let mut ready = ready_pipe(ready_fd);
    let prepared = match Prepared::load(store, id) {
        Ok(p) => p,
        Err(e) => {
            report(
                &mut ready,
                &Ready::Failed(StartError::Setup(format!("{e:#}"))),
            );
            return Err(e);
        }
    };
    let maps = IdMappings::detect();
    // Bound once, before the first start, and kept across restarts.
    let inside = crate::container::network::inside(store, &prepared.record);
    let mut ports = match crate::container::network::bind_ports(&prepared.record.ports, inside) {
        Ok(ports) => ports,
        Err(e) => {
            report(
                &mut ready,
                &Ready::Failed(StartError::Setup(format!("{e:#}"))),
            );
            return Err(e);
        }
    };
    let signals = signal_fd()?;
    let mut previous: ContainerState = state::load(store, id).unwrap_or_default();
    let mut restarts = previous.restart_count;
    let mut backoff = Duration::from_millis(100);
    loop {
        let began = Instant::now();
        let code = match run_once(
            store, &maps, &prepared, &signals, restarts, &mut ready, &mut ports, launcher,
        ) {
            Ok((code, state, oom_killed)) => {
                previous = ContainerState {
                    oom_killed,
                    ..state
                };
                code
            }
            Err(e) => {
                let error = e
                    .downcast::<StartError>()
                    .unwrap_or_else(|e| StartError::Setup(format!("{e:#}")));
                if ready.is_some() {
                    state::save(store, id, &failed_state(&previous, &error))?;
                    report(&mut ready, &Ready::Failed(error.clone()));
                    return Ok(error.exit_code());
                }
                // A restart that could not start: the container is down, with this error.
                state::save(
                    store,
                    id,
                    &exited_state(&previous, error.exit_code(), error.to_string()),
                )?;
                break;
            }
        };
        let finished = ContainerState {
            oom_killed: previous.oom_killed,
            ..exited_state(&previous, code, String::new())
        };
        // Read now: `update --restart` may have changed the policy while the container ran.
        let policy = crate::container::record::load(store, id)
            .map(|r| r.options.restart)
            .unwrap_or_default();
        let policy = RestartPolicy::parse(&policy).unwrap_or(RestartPolicy::No);
        if !should_restart(
            policy,
            code,
            restarts,
            state::has_marker(store, id, Marker::StoppedByUser),
        ) {
            state::save(store, id, &finished)?;
            break;
        }
        // Docker's back-off: doubling from 100 ms, reset after a run of ten seconds or more.
        if began.elapsed() >= Duration::from_secs(10) {
            backoff = Duration::from_millis(100);
        }
        restarts += 1;
        state::save(
            store,
            id,
            &ContainerState {
                status: "restarting".into(),
                restart_count: restarts,
                exit_code: code,
                supervisor: std::process::id() as i32,
                supervisor_start: crate::store::process_start_time(std::process::id() as i32)
                    .unwrap_or(0),
                ..finished
            },
        )?;
        if !wait_unless_stopped(store, id, backoff) {
            state::save(store, id, &exited_state(&previous, code, String::new()))?;
            break;
        }
        backoff = (backoff * 2).min(Duration::from_secs(60));
        prepared.emit(store, "restart", &[]);
    }
    let _ = std::fs::remove_dir_all(store.runroot.join(id));
    if prepared.options().rm {
        crate::container::remove::remove_with_volumes(store, &maps, id)?;
    }
    Ok(0)
}

/// The launcher's pipe, passed to a supervisor as `--ready-fd`.
pub fn ready_pipe(ready_fd: i32) -> Option<std::fs::File> {
    // SAFETY: the launcher passed us this descriptor for exactly this purpose.
    Some(std::fs::File::from(unsafe {
        OwnedFd::from_raw_fd(ready_fd)
    }))
}

/// Tells the launcher how the start went, once.
pub fn report(ready: &mut Option<std::fs::File>, message: &Ready) {
    if let Some(mut pipe) = ready.take() {
        let _ = pipe.write_all(&serde_json::to_vec(message).unwrap_or_default());
    }
}

/// One run of the container: start, supervise, record. Returns the exit code, the
/// running state it had, and whether the kernel killed in it for memory.
#[allow(clippy::too_many_arguments)]
fn run_once(
    store: &Store,
    maps: &IdMappings,
    prepared: &Prepared,
    signals: &nix::sys::signalfd::SignalFd,
    restarts: u32,
    ready: &mut Option<std::fs::File>,
    ports: &mut Option<Forwarder>,
    launcher: Launcher,
) -> Result<(i32, ContainerState, bool)> {
    let opts = prepared.options();
    // Only the first start has a launcher, still waiting on its ready pipe.
    let launcher = if ready.is_some() {
        launcher
    } else {
        Launcher::Leaves
    };
    // With -i the container's stdin stays open for `attach`; without, it reads /dev/null.
    let (stdin_r, stdin_w) = if opts.interactive {
        let (r, w) = output_pipe()?;
        (r, Some(w))
    } else {
        (std::fs::File::open("/dev/null")?.into(), None)
    };
    let (out_r, out_w) = output_pipe()?;
    let (err_r, err_w) = output_pipe()?;
    let stdio = Stdio::Fds([stdin_r.as_raw_fd(), out_w.as_raw_fd(), err_w.as_raw_fd()]);
    let joins = crate::container::network::Joins::gather(store, &prepared.record)?;
    let inside = crate::container::network::inside(store, &prepared.record);
    let cgroup = crate::container::resources::make(&prepared.record)?;
    let mut launch = prepared.launch(maps, stdio, inside);
    joins.apply(&mut launch);
    launch.cgroup = cgroup.as_ref().map(OwnCgroup::cgroup);
    if let Launcher::Attaches(window) = launcher {
        launch.window = window;
    }
    let started = runtime::start(&launch);
    drop((out_w, err_w, stdin_r));
    let mut started = started?;
    let mut stack = crate::container::network::stack(store, &prepared.record, &mut started)?;
    let mut running = running_state(&started, restarts);
    running.cgroup = launch.cgroup.cloned();
    if let Some(ports) = ports.as_mut() {
        ports.attach(&started.pidfd)?;
        running.ports = ports.mappings();
    }
    // Everything that can fail is done before the launcher hears that the container runs.
    let log = prepared.open_log()?;
    let input = match &started.pty {
        Some(master) => Some(Input::Terminal(master.try_clone()?)),
        None => stdin_w.map(Input::Pipe),
    };
    let stdin_once = prepared.options().stdin_once;
    let mut hub = Hub::listen(
        &socket_path(&store.runroot, prepared.id()),
        input,
        stdin_once,
    )?;
    state::save(store, prepared.id(), &running)?;
    report(ready, &Ready::Started);
    prepared.emit(store, "start", &[]);
    if let Launcher::Attaches(_) = launcher {
        hub.wait_for_first_client();
    }
    let output = if started.pty.is_some() {
        None
    } else {
        Some([out_r, err_r])
    };
    let mut checker =
        health::Checker::for_container(store, prepared, started.pid.as_raw(), launch.cgroup)?;
    release_free_heap();
    release_unused_stack();
    let code = supervise(
        &started,
        signals,
        Relay {
            output,
            log,
            echo: [false, false],
            interactive: false,
            attach: Some(hub),
            signals: SignalPolicy::Forward,
        },
        checker.as_mut(),
        &mut services(&mut stack, ports),
    )?;
    if let Some(ports) = ports.as_mut() {
        ports.detach();
    }
    drop(checker);
    prepared.emit(store, "die", &[("exitCode", &code.to_string())]);
    Ok((code, running, OwnCgroup::oom_killed(cgroup)))
}

/// Hands the heap the start freed (the parsed spec, the seccomp filter, the mount plan) back to
/// the kernel: the supervisor lives as long as its container, one per container, and would
/// otherwise keep those pages resident for nothing.
fn release_free_heap() {
    // SAFETY: malloc_trim only returns free memory of the allocator's own arenas.
    #[cfg(target_env = "gnu")]
    unsafe {
        libc::malloc_trim(0);
    }
}

/// What stays untouched below this function's frame while it gives the stack's deeper pages
/// back: room for the frames of the calls it makes.
const STACK_MARGIN: usize = 32 * 1024;

/// Hands back the stack pages the start dirtied below where the supervision loop runs (parsing
/// the spec and the command line reach far deeper than polling does). Nothing lives below the
/// stack pointer: those pages come back zeroed if the stack ever grows into them again.
fn release_unused_stack() {
    let Some(lowest) = stack_mapping_start() else {
        return;
    };
    let marker = 0u8;
    let here = std::hint::black_box(&marker) as *const u8 as usize;
    let page = nix::unistd::sysconf(nix::unistd::SysconfVar::PAGE_SIZE)
        .ok()
        .flatten()
        .unwrap_or(4096) as usize;
    let unused_top = here.saturating_sub(STACK_MARGIN) & !(page - 1);
    if unused_top > lowest {
        // SAFETY: [lowest, unused_top) is the part of this thread's stack mapping below the
        // current frame and its margin, which holds no live data.
        unsafe {
            libc::madvise(
                lowest as *mut libc::c_void,
                unused_top - lowest,
                libc::MADV_DONTNEED,
            );
        }
    }
}

/// Where the main thread's stack mapping starts (its lowest address), from /proc/self/maps.
fn stack_mapping_start() -> Option<usize> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    let line = maps.lines().find(|l| l.ends_with("[stack]"))?;
    let start = line.split('-').next()?;
    usize::from_str_radix(start, 16).ok()
}

fn should_restart(policy: RestartPolicy, code: i32, restarts: u32, stopped_by_user: bool) -> bool {
    if stopped_by_user {
        return false;
    }
    match policy {
        RestartPolicy::No => false,
        RestartPolicy::Always | RestartPolicy::UnlessStopped => true,
        RestartPolicy::OnFailure(max) => code != 0 && max.is_none_or(|m| restarts < m),
    }
}

/// Sleeps `delay`, waking early (and answering false) if the user stops the container.
fn wait_unless_stopped(store: &Store, id: &str, delay: Duration) -> bool {
    let until = Instant::now() + delay;
    while Instant::now() < until {
        if state::has_marker(store, id, Marker::StoppedByUser) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
    }
    !state::has_marker(store, id, Marker::StoppedByUser)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_policies_as_docker() {
        assert!(!should_restart(RestartPolicy::No, 1, 0, false));
        assert!(should_restart(RestartPolicy::Always, 0, 5, false));
        assert!(!should_restart(RestartPolicy::Always, 0, 0, true));
        assert!(should_restart(
            RestartPolicy::OnFailure(Some(3)),
            1,
            2,
            false
        ));
        assert!(!should_restart(
            RestartPolicy::OnFailure(Some(3)),
            1,
            3,
            false
        ));
        assert!(!should_restart(RestartPolicy::OnFailure(None), 0, 0, false));
    }
}

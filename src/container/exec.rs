//! `skiff exec`: a command in a running container, with the container's environment,
//! working directory, user, privileges and seccomp unless the flags say otherwise.

use super::options::merge_env;
use super::spec;
use super::start::Prepared;
use super::state;
use crate::runtime::exec::{exec, Exec};
use crate::runtime::{tty, StartError, Started, Stdio};
use crate::store::Store;
use crate::supervisor::attach::{Hub, Input};
use crate::supervisor::detached::{self, Ready};
use crate::supervisor::{self, Relay, SignalPolicy};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct ExecOptions {
    pub command: Vec<String>,
    pub interactive: bool,
    pub tty: bool,
    pub detach: bool,
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub privileged: bool,
}

impl ExecOptions {
    /// Whether the user can detach from the process and leave it running (`exec -it`).
    pub fn detachable(&self) -> bool {
        self.tty && self.interactive && !self.detach
    }
}

/// Runs the command; returns its exit code (0 at once with `detach`).
pub fn run(store: &Store, id: &str, opts: &ExecOptions) -> Result<i32> {
    let signals = supervisor::signal_fd()?;
    let stdio = if opts.detach || !opts.interactive {
        let null = std::fs::File::open("/dev/null")?;
        let fd = std::os::fd::IntoRawFd::into_raw_fd(null);
        if opts.detach {
            Stdio::Fds([fd, fd, fd])
        } else {
            Stdio::Fds([fd, 1, 2])
        }
    } else {
        Stdio::Inherit { stdin: true }
    };
    let started = start(store, id, opts, stdio, None)?;
    if opts.detach {
        return Ok(0);
    }
    supervisor::supervise(
        &started,
        &signals,
        Relay {
            output: None,
            log: None,
            echo: [true, true],
            interactive: opts.interactive,
            attach: None,
            signals: SignalPolicy::Forward,
        },
        None,
        &mut [],
    )
}

/// Starts the command in the container, its terminal (`-t`) sized `window` (else as our stdin).
fn start(
    store: &Store,
    id: &str,
    opts: &ExecOptions,
    stdio: Stdio,
    window: Option<libc::winsize>,
) -> Result<Started> {
    let current = ready_for_exec(store, id)?;
    let prepared = Prepared::load(store, id)?;
    let container = prepared.spec.process().clone().unwrap_or_default();
    let mut env = container.env().clone().unwrap_or_default();
    if opts.tty {
        merge_env(&mut env, ["TERM=xterm".to_string()]);
    }
    merge_env(&mut env, opts.env.iter().cloned());
    let user = opts
        .user
        .clone()
        .or_else(|| container.user().username().clone())
        .unwrap_or_default();
    let cwd = opts
        .workdir
        .clone()
        .unwrap_or_else(|| container.cwd().display().to_string());
    let mut run_options = prepared.options().clone();
    run_options.privileged |= opts.privileged;
    let caps = spec::capabilities(&run_options)?;
    let process = spec::process(
        &run_options,
        &user,
        opts.command.clone(),
        env,
        cwd,
        opts.tty,
        &caps,
    )?;
    let seccomp = if opts.privileged {
        None
    } else {
        prepared.seccomp.as_ref()
    };
    exec(&Exec {
        target: current.pid,
        process: &process,
        seccomp,
        stdio,
        cgroup: current.cgroup.as_ref(),
        cgroupns: prepared.options().private_cgroupns,
        window,
    })
}

/// The state of container `id`, which must be running and not paused.
fn ready_for_exec(store: &Store, id: &str) -> Result<state::ContainerState> {
    let current = state::load(store, id)?;
    if current.status != "running" {
        bail!("container {} is not running", &id[..12]);
    }
    if state::has_marker(store, id, state::Marker::Paused) {
        bail!(
            "container {} is paused, unpause the container before exec",
            &id[..12]
        );
    }
    Ok(current)
}

/// The socket on which the supervisor of exec session `session` of container `id` serves
/// the process's terminal.
pub fn session_socket(store: &Store, id: &str, session: &str) -> PathBuf {
    store.runroot.join(id).join(format!("exec-{session}.sock"))
}

/// Where a session's options wait for its supervisor: in a file only the user can read,
/// as they may hold secrets (`-e`) that a command line would show everyone.
fn session_options(store: &Store, id: &str, session: &str) -> PathBuf {
    store.runroot.join(id).join(format!("exec-{session}.json"))
}

fn write_private(path: &std::path::Path, data: &[u8]) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::io::Write::write_all(&mut file, data)?;
    Ok(())
}

/// The options the launcher of session `session` left for its supervisor, taken.
fn take_session_options(store: &Store, id: &str, session: &str) -> Result<ExecOptions> {
    let path = session_options(store, id, session);
    let options = std::fs::read(&path);
    let _ = std::fs::remove_file(&path);
    Ok(serde_json::from_slice(&options?)?)
}

/// `exec -it`: starts the command under a supervisor of its own, which holds its output
/// until this process attaches from its terminal (stdin), whose size the process's
/// terminal starts with; the user can then detach and leave it running, as in docker.
/// Returns the socket to attach to.
pub fn for_terminal(store: &Store, id: &str, opts: &ExecOptions) -> Result<PathBuf> {
    // Checked here too, so that the user hears it as from any exec (the supervisor's
    // errors are those of starting a process).
    ready_for_exec(store, id)?;
    // Ours while we live, which is until the session is attached.
    let session = std::process::id().to_string();
    write_private(
        &session_options(store, id, &session),
        &serde_json::to_vec(opts)?,
    )?;
    let mut args = vec![
        "__supervise-exec".to_string(),
        id.to_string(),
        session.clone(),
    ];
    if let Some(window) = tty::window_size(0) {
        args.extend([
            "--window-size".to_string(),
            tty::format_window_size(&window),
        ]);
    }
    supervisor::detached::spawn_supervisor(store, &args)?;
    Ok(session_socket(store, id, &session))
}

/// The supervisor of one exec'd process (`skiff __supervise-exec`): starts it, reports to
/// its launcher, serves its terminal to attached clients and returns its exit code.
pub fn supervise_session(
    store: &Store,
    id: &str,
    session: &str,
    window: Option<libc::winsize>,
    ready_fd: i32,
) -> Result<i32> {
    let mut ready = detached::ready_pipe(ready_fd);
    let signals = supervisor::signal_fd()?;
    let null = std::os::fd::IntoRawFd::into_raw_fd(std::fs::File::open("/dev/null")?);
    let started = take_session_options(store, id, session)
        .and_then(|opts| start(store, id, &opts, Stdio::Fds([null, null, null]), window));
    let started = match started {
        Ok(started) => started,
        Err(e) => {
            let error = e
                .downcast::<StartError>()
                .unwrap_or_else(|e| StartError::Setup(format!("{e:#}")));
            detached::report(&mut ready, &Ready::Failed(error.clone()));
            return Ok(error.exit_code());
        }
    };
    let master = started
        .pty
        .as_ref()
        .context("the process has no terminal")?;
    let socket = session_socket(store, id, session);
    let mut hub = Hub::listen(&socket, Some(Input::Terminal(master.try_clone()?)), false)?;
    detached::report(&mut ready, &Ready::Started);
    hub.wait_for_first_client();
    let code = supervisor::supervise(
        &started,
        &signals,
        Relay {
            output: None,
            log: None,
            echo: [false, false],
            interactive: false,
            attach: Some(hub),
            signals: SignalPolicy::Forward,
        },
        None,
        &mut [],
    );
    let _ = std::fs::remove_file(&socket);
    code
}

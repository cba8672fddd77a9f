//! Starting a container that exists on disk: in the foreground (the CLI supervises, as
//! `run` and `start -a` do) or detached (a supervisor process of its own, as `run -d` and
//! `start` do).

use super::create::seccomp_filters;
use super::namespaces::UsernsMode;
use super::options::RunOptions;
use super::record::{self, ContainerRecord};
use super::resources::OwnCgroup;
use super::spec::{self, Paths};
use super::state::{self, ContainerState, Marker};
use crate::clock;
use crate::events;
use crate::net::ports::Forwarder;
use crate::net::stack::Stack;
use crate::runtime::seccomp::Filters;
use crate::runtime::userns::{IdMappings, MappingMode};
use crate::runtime::{self, Launch, Started, Stdio};
use crate::store::{self, Store};
use crate::supervisor::detached::Launcher;
use crate::supervisor::{self, log, Relay, Service, SignalPolicy};
use anyhow::{Context, Result};
use oci_spec::runtime::Spec;

/// A container ready to start: its record, spec and compiled seccomp filters.
pub struct Prepared {
    pub record: ContainerRecord,
    pub spec: Spec,
    pub paths: Paths,
    pub seccomp: Option<Filters>,
    pub layers_dir: std::path::PathBuf,
    /// The mappings of a `--userns keep-id` container, which it starts with instead of the
    /// caller's.
    pub keep_id: Option<IdMappings>,
    /// When the container is to join a cgroup as soon as it starts: the kernel's wait for
    /// that move, begun when the container was made.
    pub cgroup_primer: Option<crate::runtime::cgroup::Primer>,
}

impl Prepared {
    pub fn id(&self) -> &str {
        &self.record.id
    }

    /// Reads a created container back from its directory.
    pub fn load(store: &Store, id: &str) -> Result<Prepared> {
        let record = record::load(store, id)?;
        let paths = Paths::new(record::dir(store, id));
        let spec: Spec = store::read_json(&paths.dir.join("config.json"))?;
        let caps = spec::capabilities(&record.options)?;
        let seccomp = seccomp_filters(store, &record.options, &caps)?;
        let keep_id = super::namespaces::keep_id_maps(&record.options, &IdMappings::detect())?;
        Ok(Prepared {
            record,
            spec,
            paths,
            seccomp,
            layers_dir: store.layers(),
            keep_id,
            cgroup_primer: None,
        })
    }

    /// How the container is started; `inside`: its address and gateway on its primary
    /// network, where its published ports lead.
    pub fn launch<'a>(
        &'a self,
        maps: &'a IdMappings,
        stdio: Stdio,
        inside: crate::net::ports::Inside,
    ) -> Launch<'a> {
        Launch {
            spec: &self.spec,
            bundle: &self.paths.dir,
            layers_dir: &self.layers_dir,
            maps: self.keep_id.as_ref().unwrap_or(maps),
            seccomp: self.seccomp.as_ref(),
            init: self.record.options.init,
            stdio,
            eth0_mtu: super::network::eth0_mtu(&self.record.options),
            own_userns: self.record.options.userns != UsernsMode::Host
                || maps.mode != MappingMode::Root,
            joins: Vec::new(),
            shm_donor: None,
            interfaces: &[],
            published: &self.record.ports,
            inside,
            cgroup: None,
            window: None,
        }
    }

    pub fn log_path(&self) -> std::path::PathBuf {
        self.paths.dir.join("json.log")
    }

    /// The container's log, rotated as `--log-opt` says; none with `--log-driver none`.
    pub fn open_log(&self) -> Result<Option<log::Writer>> {
        let opts = self.options();
        if !opts.keeps_logs() {
            return Ok(None);
        }
        let rotation = log::Rotation::from_options(&opts.log_opts)?;
        Ok(Some(log::Writer::open(&self.log_path(), rotation)?))
    }

    pub fn options(&self) -> &RunOptions {
        &self.record.options
    }

    /// Records a container event, with the attributes docker gives every one of them.
    pub fn emit(&self, store: &Store, action: &str, extra: &[(&str, &str)]) {
        let mut attributes = vec![
            ("name", self.record.name.as_str()),
            ("image", self.record.image.as_str()),
        ];
        attributes.extend_from_slice(extra);
        events::emit(store, "container", action, self.id(), &attributes);
    }
}

/// The state of a container that has just started under supervisor `supervisor`.
pub fn running_state(started: &Started, restart_count: u32) -> ContainerState {
    let me = std::process::id() as i32;
    ContainerState {
        status: "running".into(),
        pid: started.pid.as_raw(),
        pid_start: crate::store::process_start_time(started.pid.as_raw()).unwrap_or(0),
        supervisor: me,
        supervisor_start: crate::store::process_start_time(me).unwrap_or(0),
        started_at: clock::format_rfc3339(clock::now()),
        restart_count,
        ..Default::default()
    }
}

/// The state after the container's process ended (or failed to start).
pub fn exited_state(previous: &ContainerState, exit_code: i32, error: String) -> ContainerState {
    ContainerState {
        status: "exited".into(),
        exit_code,
        error,
        finished_at: clock::format_rfc3339(clock::now()),
        started_at: previous.started_at.clone(),
        restart_count: previous.restart_count,
        ..Default::default()
    }
}

/// The state of a container whose process could not be started: docker keeps it "created",
/// with the error and its exit code.
pub fn failed_state(
    previous: &ContainerState,
    error: &crate::runtime::StartError,
) -> ContainerState {
    ContainerState {
        status: "created".into(),
        exit_code: error.exit_code(),
        error: error.to_string(),
        restart_count: previous.restart_count,
        ..Default::default()
    }
}

/// How a container run in the foreground meets the user.
pub struct Foreground {
    /// The user's stdin goes to the container (`-i`).
    pub interactive: bool,
    /// Which of stdout and stderr the user sees (`run -a`); the log keeps both.
    pub echo: [bool; 2],
    pub signals: SignalPolicy,
}

impl Foreground {
    /// Both output streams shown, signals forwarded: `run` and `start -a` as docker has them.
    pub fn attached(interactive: bool) -> Foreground {
        Foreground {
            interactive,
            echo: [true, true],
            signals: SignalPolicy::Forward,
        }
    }

    /// Whether the user can detach from the container and leave it running: with a
    /// terminal whose input and output both reach them (`run -it`), as in docker.
    pub fn detachable(&self, opts: &RunOptions) -> bool {
        opts.tty && opts.interactive && self.interactive && self.echo == [true, true]
    }
}

/// Runs a container with the CLI as its supervisor; returns its exit code. Output goes to
/// the user directly when nobody can read a log afterwards (`--rm`), else through the log.
pub fn foreground(
    store: &Store,
    maps: &IdMappings,
    prepared: &Prepared,
    how: &Foreground,
) -> Result<i32> {
    let opts = prepared.options();
    let interactive = how.interactive;
    let signals = supervisor::signal_fd()?;
    // With --rm nobody can read a log afterwards (nor with --log-driver none): output goes
    // straight to the user, unless a stream must be kept from them (`run -a`).
    let logged = !opts.rm && opts.keeps_logs();
    let (stdio, pipes) = if (logged || how.echo != [true, true]) && !opts.tty {
        let (out_r, out_w) = supervisor::output_pipe()?;
        let (err_r, err_w) = supervisor::output_pipe()?;
        let stdin = if interactive { 0 } else { dev_null()? };
        (
            Stdio::Fds([
                stdin,
                std::os::fd::IntoRawFd::into_raw_fd(out_w),
                std::os::fd::IntoRawFd::into_raw_fd(err_w),
            ]),
            Some([out_r, err_r]),
        )
    } else {
        (Stdio::Inherit { stdin: interactive }, None)
    };
    let inside = super::network::inside(store, &prepared.record);
    let mut ports = super::network::bind_ports(&prepared.record.ports, inside)?;
    let write_ends = match &stdio {
        Stdio::Fds(fds) => fds[1..].to_vec(),
        Stdio::Inherit { .. } => Vec::new(),
    };
    let joins = super::network::Joins::gather(store, &prepared.record)?;
    let cgroup = super::resources::make(&prepared.record)?;
    let mut launch = prepared.launch(maps, stdio, inside);
    joins.apply(&mut launch);
    launch.cgroup = cgroup.as_ref().map(OwnCgroup::cgroup);
    let started = runtime::start(&launch);
    if let Some(primer) = &prepared.cgroup_primer {
        primer.reap();
    }
    for fd in write_ends {
        unsafe { libc::close(fd) };
    }
    let mut started = started?;
    let mut stack = super::network::stack(store, &prepared.record, &mut started)?;
    let mut current = running_state(&started, 0);
    current.cgroup = launch.cgroup.cloned();
    if let Some(ports) = ports.as_mut() {
        ports.attach(&started.pidfd)?;
        current.ports = ports.mappings();
    }
    state::save(store, prepared.id(), &current)?;
    prepared.emit(store, "start", &[]);
    let log = if logged { prepared.open_log()? } else { None };
    let code = supervisor::supervise(
        &started,
        &signals,
        Relay {
            output: pipes,
            log,
            echo: how.echo,
            interactive,
            attach: None,
            signals: how.signals,
        },
        None,
        &mut services(&mut stack, &mut ports),
    )?;
    drop(stack);
    let oom_killed = OwnCgroup::oom_killed(cgroup);
    current = exited_state(&current, code, String::new());
    current.oom_killed = oom_killed;
    state::save(store, prepared.id(), &current)?;
    prepared.emit(store, "die", &[("exitCode", &code.to_string())]);
    Ok(code)
}

/// The network services a supervisor runs for its container.
pub fn services<'a>(
    stack: &'a mut Option<Stack>,
    ports: &'a mut Option<Forwarder>,
) -> Vec<&'a mut dyn Service> {
    let mut services: Vec<&mut dyn Service> = Vec::new();
    if let Some(stack) = stack {
        services.push(stack);
    }
    if let Some(ports) = ports {
        services.push(ports);
    }
    services
}

/// /dev/null as a raw descriptor the container gets as stdin (closed at our exit).
fn dev_null() -> Result<i32> {
    let file = std::fs::File::open("/dev/null").context("cannot open /dev/null")?;
    Ok(std::os::fd::IntoRawFd::into_raw_fd(file))
}

/// `start`: hands the container to a detached supervisor and returns once it runs.
pub fn detached(store: &Store, id: &str) -> Result<()> {
    state::set_marker(store, id, Marker::StoppedByUser, false)?;
    supervisor::detached::spawn(store, id, Launcher::Leaves)
}

/// `run -it`, `start -ai`: as [`detached`], but the supervisor holds the container's output
/// until a client attaches (this process from its terminal, or an Engine API client); the
/// container's terminal starts with size `window`. The user can then detach and leave the
/// container running.
pub fn for_terminal(store: &Store, id: &str, window: Option<libc::winsize>) -> Result<()> {
    state::set_marker(store, id, Marker::StoppedByUser, false)?;
    supervisor::detached::spawn(store, id, Launcher::Attaches(window))
}

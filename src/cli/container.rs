//! Container commands: ps, logs, start, stop, restart, kill, rm, exec, wait, pause, unpause,
//! top, rename, stats, update, prune, and the `container ...` forms of them.

use super::format::{self, Format};
use super::prune::{confirmed, Section};
use crate::clock;
use crate::container::exec::{self as executor, ExecOptions};
use crate::container::filter::ContainerFilters;
use crate::container::list::{self, Summary};
use crate::container::logs::{self, LogQuery};
use crate::container::options::RestartPolicy;
use crate::container::start::{self, Prepared};
use crate::container::stats::{self, Sample};
use crate::container::wait::{self, WaitCondition};
use crate::container::{processes, record, remove, state, stop, top};
use crate::filter::PruneFilters;
use crate::net::network::AttachmentsByContainer;
use crate::prune;
use crate::runtime::userns::IdMappings;
use crate::store::Store;
use crate::supervisor::attach::Session;
use crate::supervisor::log;
use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::io::Write;

#[derive(Subcommand)]
pub enum ContainerCommand {
    /// List containers
    #[command(visible_aliases = ["ps", "list"])]
    Ls(PsArgs),
    /// Remove containers
    Rm(RmArgs),
    /// Remove all stopped containers
    Prune(PruneArgs),
    /// Show low-level information about containers
    Inspect(super::image::InspectArgs),
    /// Fetch the logs of a container
    Logs(LogsArgs),
    /// Start stopped containers
    Start(StartArgs),
    /// Stop running containers
    Stop(StopArgs),
    /// Restart containers
    Restart(StopArgs),
    /// Send a signal to running containers
    Kill(KillArgs),
    /// Run a command in a running container
    Exec(ExecArgs),
    /// Attach to a running container's input and output
    Attach(AttachArgs),
    /// Block until containers stop, then print their exit codes
    Wait(NamesArgs),
    /// Pause all processes within containers
    Pause(NamesArgs),
    /// Unpause all processes within containers
    Unpause(NamesArgs),
    /// Display the running processes of a container
    Top(TopArgs),
    /// Rename a container
    Rename(RenameArgs),
    /// Display resource usage of containers
    Stats(StatsArgs),
    /// Update the configuration of containers
    Update(UpdateArgs),
    /// List port mappings or a specific mapping for the container
    Port(PortArgs),
    /// Run a command in a new container
    Run(Box<super::run::RunArgs>),
    /// Create a new container, to be started later
    Create(Box<super::run::RunArgs>),
    /// Create a new image from a container's changes
    Commit(super::authoring::CommitArgs),
    /// Copy files between a container and the local filesystem
    Cp(super::authoring::CpArgs),
    /// Inspect changes to files or directories on a container's filesystem
    Diff(super::authoring::DiffArgs),
    /// Export a container's filesystem as a tar archive
    Export(super::authoring::ExportArgs),
}

impl ContainerCommand {
    /// As the top-level command of the same name fails (see `cli::failure_code`).
    pub fn failure_code(&self) -> i32 {
        match self {
            ContainerCommand::Run(_)
            | ContainerCommand::Create(_)
            | ContainerCommand::Commit(_)
            | ContainerCommand::Diff(_)
            | ContainerCommand::Export(_) => 125,
            _ => 1,
        }
    }
}

pub fn dispatch(store: &Store, command: ContainerCommand) -> Result<i32> {
    match command {
        ContainerCommand::Ls(a) => ps(store, a),
        ContainerCommand::Rm(a) => rm(store, a),
        ContainerCommand::Prune(a) => prune(store, a),
        ContainerCommand::Inspect(a) => super::image::inspect(store, a.only("container")),
        ContainerCommand::Logs(a) => logs(store, a),
        ContainerCommand::Start(a) => start_cmd(store, a),
        ContainerCommand::Stop(a) => stop_cmd(store, a, false),
        ContainerCommand::Restart(a) => stop_cmd(store, a, true),
        ContainerCommand::Kill(a) => kill(store, a),
        ContainerCommand::Run(a) => super::run::run(store, *a),
        ContainerCommand::Create(a) => super::run::create(store, *a),
        ContainerCommand::Commit(a) => super::authoring::commit(store, a),
        ContainerCommand::Cp(a) => super::authoring::cp(store, a),
        ContainerCommand::Diff(a) => super::authoring::diff(store, a),
        ContainerCommand::Export(a) => super::authoring::export(store, a),
        ContainerCommand::Exec(a) => exec(store, a),
        ContainerCommand::Attach(a) => attach(store, a),
        ContainerCommand::Wait(a) => wait(store, a),
        ContainerCommand::Pause(a) => each(store, &a.containers, processes::pause),
        ContainerCommand::Unpause(a) => each(store, &a.containers, processes::unpause),
        ContainerCommand::Top(a) => top(store, a),
        ContainerCommand::Rename(a) => rename(store, a),
        ContainerCommand::Stats(a) => stats(store, a),
        ContainerCommand::Update(a) => update(store, a),
        ContainerCommand::Port(a) => port(store, a),
    }
}

#[derive(Args)]
pub struct PortArgs {
    container: String,
    /// A container port, optionally with its protocol (80, 53/udp)
    #[arg(value_name = "PRIVATE_PORT[/PROTO]")]
    port: Option<String>,
}

/// `port`: the container's published ports as `80/tcp -> 0.0.0.0:8080`, or the host
/// addresses of one of them.
pub fn port(store: &Store, args: PortArgs) -> Result<i32> {
    let id = record::resolve(store, &args.container)?;
    let summary = list::Summary::load(store, &id)?;
    let ports = summary.ports();
    let Some(wanted) = &args.port else {
        for p in ports {
            println!("{} -> {}", p.key(), p.host_address());
        }
        return Ok(0);
    };
    let wanted = if wanted.contains('/') {
        wanted.clone()
    } else {
        format!("{wanted}/tcp")
    };
    let matching: Vec<_> = ports.iter().filter(|p| p.key() == wanted).collect();
    if matching.is_empty() {
        eprintln!(
            "Error: No public port '{wanted}' published for {}",
            args.container
        );
        return Ok(1);
    }
    for p in matching {
        println!("{}", p.host_address());
    }
    Ok(0)
}

/// Runs `action` on every named container, printing each name on success and each error as
/// docker does; exit 1 if any failed.
fn each(
    store: &Store,
    names: &[String],
    action: impl Fn(&Store, &str) -> Result<()>,
) -> Result<i32> {
    let mut status = 0;
    for name in names {
        match record::resolve(store, name).and_then(|id| action(store, &id)) {
            Ok(()) => println!("{name}"),
            Err(e) => {
                eprintln!("Error: {e:#}");
                status = 1;
            }
        }
    }
    Ok(status)
}

#[derive(Args)]
pub struct NamesArgs {
    #[arg(required = true, value_name = "CONTAINER")]
    containers: Vec<String>,
}

#[derive(Args)]
pub struct PsArgs {
    /// Show all containers (default shows just running)
    #[arg(short, long)]
    all: bool,
    /// Only display container IDs
    #[arg(short, long)]
    quiet: bool,
    /// Show the latest created container (includes all states)
    #[arg(short, long)]
    latest: bool,
    /// Show n last created containers (includes all states)
    #[arg(short = 'n', long = "last", default_value_t = -1, allow_negative_numbers = true)]
    last: i64,
    /// Don't truncate output
    #[arg(long)]
    no_trunc: bool,
    /// Display total file sizes
    #[arg(short, long)]
    size: bool,
    /// Filter output: status=, name=, id=, ancestor=, label=, exited=, before=, since=, restart-policy=
    #[arg(short, long = "filter", value_name = "FILTER")]
    filters: Vec<String>,
    /// Format output with a Go template, 'table', 'table TEMPLATE' or 'json'
    #[arg(long)]
    format: Option<String>,
}

pub fn ps(store: &Store, args: PsArgs) -> Result<i32> {
    let format = Format::parse(args.format.as_deref())?;
    let filters = ContainerFilters::parse(store, &args.filters)?;
    let mut rows: Vec<Summary> = list::all(store)?;
    let show_all = args.all
        || args.latest
        || args.last >= 0
        || !filters.status.is_empty()
        || filters.exited.is_some();
    rows.retain(|s| (show_all || s.state.is_running()) && filters.keeps(store, s));
    let limit = if args.latest {
        1
    } else if args.last >= 0 {
        args.last as usize
    } else {
        usize::MAX
    };
    rows.truncate(limit);
    let mut out = std::io::stdout().lock();
    if args.quiet {
        for s in &rows {
            writeln!(
                out,
                "{}",
                if args.no_trunc { s.id() } else { &s.id()[..12] }
            )?;
        }
        return Ok(0);
    }
    let attached = crate::net::network::all_attachments(store).unwrap_or_default();
    let items: Vec<Value> = rows
        .iter()
        .map(|s| ps_json(store, s, &attached, args.no_trunc, args.size))
        .collect();
    let mut columns = vec![
        ("CONTAINER ID", "{{.ID}}"),
        ("IMAGE", "{{.Image}}"),
        ("COMMAND", "{{.Command}}"),
        ("CREATED", "{{.RunningFor}}"),
        ("STATUS", "{{.Status}}"),
        ("PORTS", "{{.Ports}}"),
        ("NAMES", "{{.Names}}"),
    ];
    if args.size {
        columns.push(("SIZE", "{{.Size}}"));
    }
    format::print_list(
        &mut out,
        &format,
        "*formatter.ContainerContext",
        &columns,
        &items,
    )?;
    Ok(0)
}

/// The command as `ps` shows it: quoted, cut to 20 characters unless `no_trunc`.
pub(super) fn quoted_command(s: &Summary, no_trunc: bool) -> String {
    let command = s.command();
    let command = if no_trunc || command.chars().count() <= 20 {
        command
    } else {
        format!("{}…", command.chars().take(19).collect::<String>())
    };
    format!("\"{command}\"")
}

/// What ps knows of one container; `attached`: every container's user-defined networks.
fn ps_json(
    store: &Store,
    s: &Summary,
    attached: &AttachmentsByContainer,
    no_trunc: bool,
    size: bool,
) -> Value {
    let created = s.created();
    let size_text = if size {
        format!(
            "{} (virtual {})",
            super::image::human_size(record::upper_size(store, s.id())),
            image_size(store, &s.record.image_id)
        )
    } else {
        String::new()
    };
    json!({
        "ID": if no_trunc { s.id().to_string() } else { s.id()[..12].to_string() },
        "Image": s.record.image,
        "Command": quoted_command(s, no_trunc),
        "CreatedAt": format!("{} +0000 UTC", clock::format_rfc3339((created.0, 0)).replace('T', " ").trim_end_matches('Z')),
        "RunningFor": clock::ago(created),
        "Ports": s.ports().iter().map(|p| p.display()).collect::<Vec<_>>().join(", "),
        "State": s.status_word(),
        "Status": s.status_text(),
        "Size": size_text,
        "Names": s.record.name,
        "Labels": s.labels().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
        "Mounts": s.record.mounts.iter().map(mount_label).collect::<Vec<_>>().join(","),
        "Networks": network_names(attached, s),
    })
}

/// The container's networks as `ps` names them: its user-defined networks by name, or the
/// one it was started on.
fn network_names(attached: &AttachmentsByContainer, s: &Summary) -> String {
    let Some(networks) = attached.get(s.id()).filter(|list| !list.is_empty()) else {
        return s.record.options.network.clone();
    };
    let mut names: Vec<String> = networks.iter().map(|(n, _)| n.name.clone()).collect();
    names.sort();
    names.join(",")
}

/// A mount as `ps` names it: a volume by its name, anything else by what is mounted.
fn mount_label(m: &crate::container::mounts::MountPoint) -> String {
    if m.name.is_empty() {
        m.source.display().to_string()
    } else {
        m.name.clone()
    }
}

fn image_size(store: &Store, image_id: &str) -> String {
    crate::image::store::resolve(store, image_id)
        .map(|i| super::image::human_size(i.record.size))
        .unwrap_or_default()
}

#[derive(Args)]
pub struct RmArgs {
    #[arg(required = true, value_name = "CONTAINER")]
    containers: Vec<String>,
    /// Force the removal of a running container (uses SIGKILL)
    #[arg(short, long)]
    force: bool,
    /// Remove anonymous volumes associated with the container
    #[arg(short, long)]
    volumes: bool,
}

pub fn rm(store: &Store, args: RmArgs) -> Result<i32> {
    let maps = IdMappings::detect();
    each(store, &args.containers, |store, id| {
        remove_container(store, &maps, id, args.force, args.volumes)
    })
}

fn remove_container(
    store: &Store,
    maps: &IdMappings,
    id: &str,
    force: bool,
    volumes: bool,
) -> Result<()> {
    let current = state::load(store, id)?;
    if current.is_running() {
        if !force {
            let name = record::load(store, id).map(|r| r.name).unwrap_or_default();
            bail!("cannot remove container \"/{name}\": container is running: stop the container before removing or force remove");
        }
        state::set_marker(store, id, state::Marker::StoppedByUser, true)?;
        processes::resume_if_paused(store, id);
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(current.pid),
            nix::sys::signal::Signal::SIGKILL,
        );
        stop::wait_for_exit(&current, std::time::Duration::from_secs(10));
        // The supervisor may still be writing the exit; it tolerates the directory vanishing.
        let supervisor = current.supervisor;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while crate::store::process_alive(supervisor, current.supervisor_start)
            && std::time::Instant::now() < deadline
            && supervisor != std::process::id() as i32
        {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
    if volumes {
        remove::remove_with_volumes(store, maps, id)
    } else {
        remove::remove(store, maps, id)
    }
}

#[derive(Args)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short, long)]
    force: bool,
    /// Filter: label=KEY[=VALUE], label!=KEY[=VALUE], until=TIMESTAMP
    #[arg(long = "filter", value_name = "FILTER")]
    filters: Vec<String>,
}

pub fn prune(store: &Store, args: PruneArgs) -> Result<i32> {
    let filters = PruneFilters::parse(&args.filters)?;
    if !confirmed(
        args.force,
        "WARNING! This will remove all stopped containers.",
    )? {
        return Ok(0);
    }
    prune_containers(store, &filters)?.print_with_total();
    Ok(0)
}

/// Removes the stopped containers `filters` keep.
pub fn prune_containers(store: &Store, filters: &PruneFilters) -> Result<Section> {
    let pruned = prune::prune(store, prune::Kind::Containers, false, filters)?;
    Ok(Section::new("Deleted Containers:", pruned))
}

#[derive(Args)]
pub struct LogsArgs {
    container: String,
    /// Follow log output
    #[arg(short, long)]
    follow: bool,
    /// Number of lines to show from the end of the logs ("all" for all)
    #[arg(short = 'n', long, default_value = "all")]
    tail: String,
    /// Show timestamps
    #[arg(short, long)]
    timestamps: bool,
    /// Show logs since a timestamp (2013-01-02T13:23:37Z) or relative (42m)
    #[arg(long)]
    since: Option<String>,
    /// Show logs before a timestamp or relative time
    #[arg(long)]
    until: Option<String>,
    /// Show extra details (accepted for compatibility)
    #[arg(long)]
    details: bool,
}

pub fn logs(store: &Store, args: LogsArgs) -> Result<i32> {
    let id = record::resolve(store, &args.container)?;
    let log = logs::open(store, &id, &args.container)?;
    let query = LogQuery {
        since: args.since.as_deref().map(logs::parse_time).transpose()?,
        until: args.until.as_deref().map(logs::parse_time).transpose()?,
        tail: logs::parse_tail(&args.tail)?,
    };
    for e in log.entries(&query) {
        print_entry(&e, args.timestamps)?;
    }
    if args.follow && query.until.is_none() {
        log.follow(store, |e| print_entry(e, args.timestamps), || false)?;
    }
    Ok(0)
}

fn print_entry(e: &log::Entry, timestamps: bool) -> Result<()> {
    let text = if timestamps {
        format!("{} {}", logs::shown_time(e), e.log)
    } else {
        e.log.clone()
    };
    if e.stream == "stderr" {
        std::io::stderr().lock().write_all(text.as_bytes())?;
    } else {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
    }
    Ok(())
}

#[derive(Args)]
pub struct StartArgs {
    #[arg(value_name = "CONTAINER")]
    containers: Vec<String>,
    /// Attach STDOUT/STDERR and forward signals
    #[arg(short, long)]
    attach: bool,
    /// Attach the container's STDIN
    #[arg(short, long)]
    interactive: bool,
    /// Override the key sequence for detaching a container (default ctrl-p,ctrl-q, or the
    /// detachKeys of docker's config.json)
    #[arg(long, value_name = "KEYS")]
    detach_keys: Option<String>,
    /// Start every container that matches the filters (for bringing containers back after a reboot)
    #[arg(long)]
    all: bool,
    /// Filter for --all, as in ps (e.g. restart-policy=always)
    #[arg(long = "filter", value_name = "FILTER")]
    filters: Vec<String>,
}

/// The limits the containers about to start cannot have here, each said once.
fn warn_about_limits(store: &Store, names: &[String]) {
    let warnings: std::collections::BTreeSet<String> = names
        .iter()
        .filter_map(|name| record::resolve(store, name).ok())
        .filter_map(|id| record::load(store, &id).ok())
        .flat_map(|r| crate::container::resources::warnings(&r.options.resources))
        .collect();
    for warning in warnings {
        eprintln!("WARNING: {warning}");
    }
}

pub fn start_cmd(store: &Store, args: StartArgs) -> Result<i32> {
    let mut names = args.containers.clone();
    if args.all {
        let filters = ContainerFilters::parse(store, &args.filters)?;
        names.extend(
            list::all(store)?
                .into_iter()
                .filter(|s| !s.state.is_running() && filters.keeps(store, s))
                .map(|s| s.record.name),
        );
    } else if names.is_empty() {
        bail!("\"start\" requires at least 1 container (or --all)");
    }
    warn_about_limits(store, &names);
    if args.attach || args.interactive {
        let [name] = names.as_slice() else {
            bail!("you cannot start and attach multiple containers at once")
        };
        let id = record::resolve(store, name)?;
        ensure_startable(store, &id, name)?;
        let prepared = Prepared::load(store, &id)?;
        let how = start::Foreground::attached(args.interactive);
        if how.detachable(prepared.options()) {
            let keys = crate::supervisor::attach::detach_keys(args.detach_keys.as_deref())?;
            start::for_terminal(store, &id, crate::runtime::tty::window_size(0))?;
            return attach_terminal(store, &id, &keys);
        }
        state::set_marker(store, &id, state::Marker::StoppedByUser, false)?;
        let maps = IdMappings::detect();
        let code = start::foreground(store, &maps, &prepared, &how);
        if prepared.options().rm {
            remove::remove_with_volumes(store, &maps, &id)?;
        }
        return code;
    }
    each(store, &names, |store, id| {
        ensure_startable(store, id, id)?;
        start::detached(store, id)
    })
}

fn ensure_startable(store: &Store, id: &str, name: &str) -> Result<()> {
    if state::load(store, id)?.is_running() {
        bail!("container {name} is already running");
    }
    Ok(())
}

#[derive(Args)]
pub struct StopArgs {
    #[arg(required = true, value_name = "CONTAINER")]
    containers: Vec<String>,
    /// Seconds to wait before killing the container
    #[arg(short, long = "time", visible_alias = "timeout")]
    time: Option<u64>,
    /// Signal to send instead of the container's stop signal
    #[arg(short, long)]
    signal: Option<String>,
}

pub fn stop_cmd(store: &Store, args: StopArgs, restart: bool) -> Result<i32> {
    if let Some(signal) = &args.signal {
        stop::parse_signal(signal)?;
    }
    each(store, &args.containers, |store, id| {
        if restart {
            stop::restart(store, id, args.time)
        } else {
            stop::stop(store, id, args.time)
        }
    })
}

#[derive(Args)]
pub struct KillArgs {
    #[arg(required = true, value_name = "CONTAINER")]
    containers: Vec<String>,
    /// Signal to send to the container
    #[arg(short, long, default_value = "KILL")]
    signal: String,
}

pub fn kill(store: &Store, args: KillArgs) -> Result<i32> {
    let signal = stop::parse_signal(&args.signal)?;
    each(store, &args.containers, |store, id| {
        stop::kill(store, id, signal)
    })
}

#[derive(Args)]
pub struct ExecArgs {
    /// Detached mode: run the command in the background
    #[arg(short, long)]
    detach: bool,
    /// Keep STDIN open
    #[arg(short, long)]
    interactive: bool,
    /// Allocate a pseudo-TTY
    #[arg(short, long)]
    tty: bool,
    /// Set environment variables
    #[arg(short, long = "env")]
    env: Vec<String>,
    /// Read environment variables from a file
    #[arg(long = "env-file", value_name = "FILE")]
    env_file: Vec<std::path::PathBuf>,
    /// Working directory inside the container
    #[arg(short, long)]
    workdir: Option<String>,
    /// Username or UID (name|uid[:group|gid])
    #[arg(short, long)]
    user: Option<String>,
    /// Give extended privileges to the command
    #[arg(long)]
    privileged: bool,
    /// Override the key sequence for detaching a container (default ctrl-p,ctrl-q, or the
    /// detachKeys of docker's config.json)
    #[arg(long, value_name = "KEYS")]
    detach_keys: Option<String>,
    container: String,
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

pub fn exec(store: &Store, args: ExecArgs) -> Result<i32> {
    let id = record::resolve(store, &args.container)?;
    let env = crate::container::options::environment(&args.env_file, &args.env)?;
    let opts = ExecOptions {
        command: args.command,
        interactive: args.interactive,
        tty: args.tty,
        detach: args.detach,
        env,
        workdir: args.workdir,
        user: args.user,
        privileged: args.privileged,
    };
    if !opts.detachable() {
        return executor::run(store, &id, &opts);
    }
    let keys = crate::supervisor::attach::detach_keys(args.detach_keys.as_deref())?;
    let socket = executor::for_terminal(store, &id, &opts)?;
    // As in the foreground: signals skiff receives go to the process, through the
    // supervisor of its session (which forwards what it receives).
    let forward = |signal, supervisor| {
        let _ = nix::sys::signal::kill(supervisor, signal);
    };
    match crate::supervisor::attach::client(&socket, true, true, &keys, forward)? {
        Session::Detached => Ok(0),
        Session::Ended(Some(code)) => Ok(code),
        Session::Ended(None) => {
            bail!("the exec'd process's supervisor ended without its exit code")
        }
    }
}

pub fn wait(store: &Store, args: NamesArgs) -> Result<i32> {
    let mut status = 0;
    for name in &args.containers {
        match record::resolve(store, name)
            .and_then(|id| wait::wait(store, &id, WaitCondition::NotRunning))
        {
            Ok(code) => println!("{code}"),
            Err(e) => {
                eprintln!("Error: {e:#}");
                status = 1;
            }
        }
    }
    Ok(status)
}

#[derive(Args)]
pub struct TopArgs {
    container: String,
}

pub fn top(store: &Store, args: TopArgs) -> Result<i32> {
    let id = record::resolve(store, &args.container)?;
    let rows: Vec<Value> = top::table(store, &id)?
        .iter()
        .map(|row| {
            Value::Object(
                top::TITLES
                    .iter()
                    .zip(row)
                    .map(|(t, v)| (t.to_string(), json!(v)))
                    .collect(),
            )
        })
        .collect();
    let templates: Vec<String> = top::TITLES
        .iter()
        .map(|t| format!("{{{{.{t}}}}}"))
        .collect();
    let columns: Vec<(&str, &str)> = top::TITLES
        .iter()
        .copied()
        .zip(templates.iter().map(String::as_str))
        .collect();
    format::print_list(
        &mut std::io::stdout().lock(),
        &Format::Default,
        "*container.topContext",
        &columns,
        &rows,
    )?;
    Ok(0)
}

#[derive(Args)]
pub struct RenameArgs {
    container: String,
    new_name: String,
}

pub fn rename(store: &Store, args: RenameArgs) -> Result<i32> {
    let id = record::resolve(store, &args.container)?;
    record::rename(store, &id, &args.new_name)?;
    Ok(0)
}

#[derive(Args)]
pub struct StatsArgs {
    containers: Vec<String>,
    /// Show all containers (default shows just running)
    #[arg(short, long)]
    all: bool,
    /// Print one sample and exit
    #[arg(long)]
    no_stream: bool,
    /// Don't truncate output
    #[arg(long)]
    no_trunc: bool,
    /// Format output with a Go template
    #[arg(long)]
    format: Option<String>,
}

pub fn stats(store: &Store, args: StatsArgs) -> Result<i32> {
    let format = Format::parse(args.format.as_deref())?;
    let chosen: Vec<Summary> = if args.containers.is_empty() {
        list::all(store)?
            .into_iter()
            .filter(|s| args.all || s.state.is_running())
            .collect()
    } else {
        args.containers
            .iter()
            .map(|n| record::resolve(store, n).and_then(|id| Summary::load(store, &id)))
            .collect::<Result<_>>()?
    };
    let columns = [
        ("CONTAINER ID", "{{.ID}}"),
        ("NAME", "{{.Name}}"),
        ("CPU %", "{{.CPUPerc}}"),
        ("MEM USAGE / LIMIT", "{{.MemUsage}}"),
        ("MEM %", "{{.MemPerc}}"),
        ("NET I/O", "{{.NetIO}}"),
        ("BLOCK I/O", "{{.BlockIO}}"),
        ("PIDS", "{{.PIDs}}"),
    ];
    loop {
        let first: Vec<Sample> = chosen.iter().map(stats::sample).collect();
        std::thread::sleep(std::time::Duration::from_millis(500));
        let second: Vec<Sample> = chosen.iter().map(stats::sample).collect();
        let items: Vec<Value> = chosen
            .iter()
            .zip(first.iter().zip(&second))
            .map(|(s, (a, b))| stats_json(s, a, b, 0.5, args.no_trunc))
            .collect();
        if !args.no_stream {
            print!("\x1b[2J\x1b[H");
        }
        format::print_list(
            &mut std::io::stdout().lock(),
            &format,
            "*container.statsContext",
            &columns,
            &items,
        )?;
        if args.no_stream {
            return Ok(0);
        }
    }
}

fn stats_json(s: &Summary, a: &Sample, b: &Sample, seconds: f64, no_trunc: bool) -> Value {
    let cpu = (b.cpu_nanos.saturating_sub(a.cpu_nanos)) as f64 / 1e9 / seconds * 100.0;
    let limit = b.memory_limit.unwrap_or_else(crate::host::mem_total);
    let h = super::image::human_size;
    json!({
        "ID": if no_trunc { s.id().to_string() } else { s.id()[..12].to_string() },
        "Name": s.record.name,
        "CPUPerc": format!("{cpu:.2}%"),
        "MemUsage": format!("{} / {}", binary_size(b.memory), binary_size(limit)),
        "MemPerc": format!("{:.2}%", if limit > 0 { b.memory as f64 / limit as f64 * 100.0 } else { 0.0 }),
        "NetIO": format!("{} / {}", h(b.net.0), h(b.net.1)),
        "BlockIO": format!("{} / {}", h(b.block.0), h(b.block.1)),
        "PIDs": b.pids.to_string(),
    })
}

/// Memory as docker's stats shows it: binary units ("1.5MiB").
fn binary_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    format!(
        "{}{}",
        format!("{size:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.'),
        UNITS[unit]
    )
}

#[derive(Args)]
pub struct UpdateArgs {
    #[arg(required = true, value_name = "CONTAINER")]
    containers: Vec<String>,
    /// Restart policy to apply when a container exits
    #[arg(long)]
    restart: Option<String>,
    #[command(flatten)]
    limits: super::resources::LimitArgs,
}

pub fn update(store: &Store, args: UpdateArgs) -> Result<i32> {
    let changes = args.limits.changes()?;
    if args.restart.is_none() && !changes.wants_cgroup() {
        bail!(
            "you must provide one or more flags when using this command (e.g. --restart, --memory)"
        )
    }
    if let Some(restart) = &args.restart {
        RestartPolicy::parse(restart)?;
    }
    for warning in crate::container::resources::warnings(&changes) {
        eprintln!("WARNING: {warning}");
    }
    // Where no cgroup can be written, the warning above said all there is to say.
    let cgroups = matches!(
        crate::runtime::cgroup::here(),
        crate::runtime::cgroup::Place::Usable { .. }
    );
    each(store, &args.containers, |store, id| {
        let mut rec = record::load(store, id)?;
        if let Some(restart) = &args.restart {
            if rec.options.rm && restart != "no" {
                bail!("cannot update the restart policy of a container started with --rm");
            }
            rec.options.restart = restart.clone();
        }
        if changes.wants_cgroup() {
            let current = state::load(store, id)?;
            let (updated, applied) =
                crate::container::resources::update(&rec.options.resources, &changes, &current)?;
            if cgroups && current.is_running() && !applied {
                eprintln!("WARNING: container {} runs without a cgroup of its own: the new limits apply from its next start", &id[..12]);
            }
            rec.options.resources = updated;
        }
        record::save(store, &rec)?;
        crate::events::emit(store, "container", "update", id, &[]);
        Ok(())
    })
}

#[derive(Args)]
pub struct AttachArgs {
    container: String,
    /// Override the key sequence for detaching a container (default ctrl-p,ctrl-q, or the
    /// detachKeys of docker's config.json)
    #[arg(long, value_name = "KEYS")]
    detach_keys: Option<String>,
    /// Do not attach STDIN
    #[arg(long)]
    no_stdin: bool,
    /// Proxy all received signals to the process
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    sig_proxy: bool,
}

pub fn attach(store: &Store, args: AttachArgs) -> Result<i32> {
    let keys = crate::supervisor::attach::detach_keys(args.detach_keys.as_deref())?;
    let id = record::resolve(store, &args.container)?;
    let current = state::load(store, &id)?;
    if current.status != "running" {
        bail!("you cannot attach to a stopped container, start it first");
    }
    let rec = record::load(store, &id)?;
    let pid = nix::unistd::Pid::from_raw(current.pid);
    let proxy = args.sig_proxy && !rec.options.tty;
    let socket = crate::supervisor::attach::socket_path(&store.runroot, &id);
    let stdin_open = !args.no_stdin && (rec.options.interactive || rec.options.tty);
    let session = crate::supervisor::attach::client(
        &socket,
        rec.options.tty,
        stdin_open,
        &keys,
        |signal, _| {
            if proxy {
                let _ = nix::sys::signal::kill(pid, signal);
            }
        },
    )?;
    match session {
        Session::Detached => {
            eprintln!("read escape sequence");
            Ok(0)
        }
        Session::Ended(Some(code)) => Ok(code),
        Session::Ended(None) => wait::wait(store, &id, WaitCondition::NotRunning),
    }
}

/// Attaches this terminal to a container started for it (`run -it`, `start -ai`): returns
/// its exit code, or 0 when the user detaches (docker then says nothing). A `--rm`
/// container is gone by the time this returns, as docker waits for the removal.
pub(super) fn attach_terminal(store: &Store, id: &str, keys: &[u8]) -> Result<i32> {
    let rm = record::load(store, id)?.options.rm;
    let current = state::load(store, id)?;
    // Opened while the supervisor surely lives: it waits for us.
    let supervisor =
        crate::runtime::exec::pidfd_open(nix::unistd::Pid::from_raw(current.supervisor))?;
    let socket = crate::supervisor::attach::socket_path(&store.runroot, id);
    // As in the foreground: signals skiff receives go to the container (with a terminal,
    // whatever --sig-proxy says).
    let pid = nix::unistd::Pid::from_raw(current.pid);
    let forward = |signal, _| {
        let _ = nix::sys::signal::kill(pid, signal);
    };
    match crate::supervisor::attach::client(&socket, true, true, keys, forward)? {
        Session::Detached => Ok(0),
        Session::Ended(Some(code)) => {
            if rm {
                wait_until_exited(&supervisor);
            }
            Ok(code)
        }
        // The supervisor went without saying: the state has the last word.
        Session::Ended(None) => wait::wait(store, id, WaitCondition::NotRunning),
    }
}

/// Waits for the process of `pidfd` to exit.
fn wait_until_exited(pidfd: &std::os::fd::OwnedFd) {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let mut fds = [PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
    while let Err(nix::errno::Errno::EINTR) = poll(&mut fds, PollTimeout::NONE) {}
}

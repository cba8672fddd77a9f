//! Command-line definitions and dispatch. Every command docker users know is spelled as in
//! docker; errors map to docker's exit codes (125 for skiff's own errors, 1 for "No such"
//! lookups outside `run`, the container's code otherwise).

mod authoring;
mod build;
mod compose;
mod container;
mod df;
mod docs;
use crate::filter;
pub mod format;
mod image;
mod network;
mod prune;
mod registry;
mod resources;
mod run;
mod service;
mod system;
mod volume;

use crate::store::{NotFound, Store};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "skiff",
    version,
    about = "Run containers without a daemon and without root",
    disable_help_subcommand = true
)]
pub struct Cli {
    /// Where images, layers and containers are stored
    #[arg(long, global = true, env = "SKIFF_ROOT", value_name = "DIR")]
    root: Option<PathBuf>,
    /// Where runtime state (pids, sockets) is kept
    #[arg(long, global = true, env = "SKIFF_RUNROOT", value_name = "DIR")]
    runroot: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a command in a new container
    Run(Box<run::RunArgs>),
    /// Create a new container, to be started later
    Create(Box<run::RunArgs>),
    /// List containers
    Ps(container::PsArgs),
    /// Fetch the logs of a container
    Logs(container::LogsArgs),
    /// Start stopped containers
    Start(container::StartArgs),
    /// Stop running containers
    Stop(container::StopArgs),
    /// Restart containers
    Restart(container::StopArgs),
    /// Send a signal to running containers
    Kill(container::KillArgs),
    /// Remove containers
    Rm(container::RmArgs),
    /// Run a command in a running container
    Exec(container::ExecArgs),
    /// Attach to a running container's input and output (detach with ctrl-p ctrl-q)
    Attach(container::AttachArgs),
    /// Block until containers stop, then print their exit codes
    Wait(container::NamesArgs),
    /// Pause all processes within containers
    Pause(container::NamesArgs),
    /// Unpause all processes within containers
    Unpause(container::NamesArgs),
    /// Display the running processes of a container
    Top(container::TopArgs),
    /// Rename a container
    Rename(container::RenameArgs),
    /// Display resource usage of containers
    Stats(container::StatsArgs),
    /// Update the configuration of containers
    Update(container::UpdateArgs),
    /// List port mappings or a specific mapping for the container
    Port(container::PortArgs),
    /// Manage containers
    #[command(subcommand)]
    Container(container::ContainerCommand),
    /// Show events from containers and images
    Events(system::EventsArgs),
    /// Create a new image from a container's changes
    Commit(authoring::CommitArgs),
    /// Inspect changes to files or directories on a container's filesystem
    Diff(authoring::DiffArgs),
    /// Show the history of an image
    History(authoring::HistoryArgs),
    /// Save images to a tar archive (standard output by default)
    Save(authoring::SaveArgs),
    /// Export a container's filesystem as a tar archive
    Export(authoring::ExportArgs),
    /// Copy files between a container and the local filesystem
    Cp(authoring::CpArgs),
    /// Build an image from a Dockerfile
    Build(Box<build::BuildArgs>),
    /// Define and run multi-container applications from compose files
    Compose(compose::ComposeArgs),
    /// Manage the build cache
    #[command(subcommand)]
    Builder(build::BuilderCommand),
    /// List images
    #[command(alias = "image-ls")]
    Images(image::ImagesArgs),
    /// Load images from a tar archive (docker save, podman save or OCI layout)
    Load(image::LoadArgs),
    /// Create an image from a root filesystem tarball
    Import(image::ImportArgs),
    /// Give an image another name
    Tag(image::TagArgs),
    /// Remove images
    Rmi(image::RmiArgs),
    /// Show low-level information about containers and images
    Inspect(image::InspectArgs),
    /// Manage images
    #[command(subcommand)]
    Image(image::ImageCommand),
    /// Download an image from a registry
    Pull(registry::PullArgs),
    /// Upload an image to a registry
    Push(registry::PushArgs),
    /// Search a registry for images
    Search(registry::SearchArgs),
    /// Log in to a registry
    Login(registry::LoginArgs),
    /// Log out from a registry
    Logout(registry::LogoutArgs),
    /// Manage volumes
    #[command(subcommand)]
    Volume(volume::VolumeCommand),
    /// Manage networks
    #[command(subcommand)]
    Network(network::NetworkCommand),
    /// Manage skiff: disk usage, information, events
    #[command(subcommand)]
    System(system::SystemCommand),
    /// Show the skiff version
    Version(system::VersionArgs),
    /// Show system-wide information
    Info(system::InfoArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completion(docs::CompletionArgs),
    /// The detached supervisor of one container (started by skiff itself)
    #[command(hide = true, name = "__supervise")]
    Supervise(SupervisorArgs),
    /// The supervisor of one process `exec -it` started (started by skiff itself)
    #[command(hide = true, name = "__supervise-exec")]
    SuperviseExec(SuperviseExecArgs),
    /// The holder of one user-defined network (started by skiff itself)
    #[command(hide = true, name = "__network-holder")]
    NetworkHolder(SuperviseArgs),
    /// Regenerate the repository's completions/ and man/ (for skiff's developers)
    #[command(hide = true, name = "__generate-docs")]
    GenerateDocs(docs::GenerateDocsArgs),
    /// Create a container of the run options given as JSON on stdin (run by the API service)
    #[command(hide = true, name = "__create")]
    CreateFromOptions,
    /// Start a container whose output waits for a client to attach (run by the API service)
    #[command(hide = true, name = "__start-for-client")]
    StartForClient { id: String },
    /// Prune one kind of object, printing what went as JSON (run by the API service)
    #[command(hide = true, name = "__prune")]
    Prune(prune::HiddenPruneArgs),
    /// Print docker's stat of a path in a container as JSON (run by the API service)
    #[command(hide = true, name = "__path-stat")]
    PathStat { container: String, path: String },
    /// Show how skiff reads a Dockerfile: stages and instructions as JSON (for debugging builds)
    #[command(hide = true, name = "__parse-dockerfile")]
    ParseDockerfile(build::ParseDockerfileArgs),
}

#[derive(clap::Args)]
struct SuperviseArgs {
    id: String,
    /// The pipe on which to report that the container (or network) is up
    #[arg(long)]
    ready_fd: i32,
}

#[derive(clap::Args)]
struct SupervisorArgs {
    #[command(flatten)]
    helper: SuperviseArgs,
    /// The launcher attaches right after: hold the container's output for it
    #[arg(long)]
    launcher_attaches: bool,
    /// The size of the launcher's terminal (ROWSxCOLUMNS), which the container's starts with
    #[arg(long, value_parser = crate::runtime::tty::parse_window_size)]
    window_size: Option<libc::winsize>,
}

#[derive(clap::Args)]
struct SuperviseExecArgs {
    #[command(flatten)]
    helper: SuperviseArgs,
    /// The session's name, that of its socket and of the file with what to run
    session: String,
    /// The size of the launcher's terminal (ROWSxCOLUMNS), which the process's starts with
    #[arg(long, value_parser = crate::runtime::tty::parse_window_size)]
    window_size: Option<libc::winsize>,
}

impl SupervisorArgs {
    fn launcher(&self) -> crate::supervisor::detached::Launcher {
        use crate::supervisor::detached::Launcher;
        if self.launcher_attaches {
            Launcher::Attaches(self.window_size)
        } else {
            Launcher::Leaves
        }
    }
}

/// Parses the command line, runs the command, and returns the process exit code.
/// Runs the command line `args` (the program's name first).
pub fn main(args: Vec<std::ffi::OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 125 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    // docker reports a failed `run` or `create` as itself, with a pointer to its help.
    let creating = match &cli.command {
        Command::Run(_) | Command::Container(container::ContainerCommand::Run(_)) => Some("run"),
        Command::Create(_) | Command::Container(container::ContainerCommand::Create(_)) => {
            Some("create")
        }
        _ => None,
    };
    let failure = failure_code(&cli.command);
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => report(e, creating, failure),
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<i32> {
    let store = || Store::open(cli.root.clone(), cli.runroot.clone());
    match cli.command {
        Command::Run(args) => run::run(&store()?, *args),
        Command::Create(args) => run::create(&store()?, *args),
        Command::Ps(args) => container::ps(&store()?, args),
        Command::Logs(args) => container::logs(&store()?, args),
        Command::Start(args) => container::start_cmd(&store()?, args),
        Command::Stop(args) => container::stop_cmd(&store()?, args, false),
        Command::Restart(args) => container::stop_cmd(&store()?, args, true),
        Command::Kill(args) => container::kill(&store()?, args),
        Command::Rm(args) => container::rm(&store()?, args),
        Command::Exec(args) => container::exec(&store()?, args),
        Command::Attach(args) => container::attach(&store()?, args),
        Command::Wait(args) => container::wait(&store()?, args),
        Command::Pause(args) => {
            container::dispatch(&store()?, container::ContainerCommand::Pause(args))
        }
        Command::Unpause(args) => {
            container::dispatch(&store()?, container::ContainerCommand::Unpause(args))
        }
        Command::Top(args) => container::top(&store()?, args),
        Command::Rename(args) => container::rename(&store()?, args),
        Command::Stats(args) => container::stats(&store()?, args),
        Command::Update(args) => container::update(&store()?, args),
        Command::Port(args) => container::port(&store()?, args),
        Command::Container(command) => container::dispatch(&store()?, command),
        Command::Events(args) => system::events(&store()?, args),
        Command::Supervise(args) => crate::supervisor::detached::main(
            &store()?,
            &args.helper.id,
            args.helper.ready_fd,
            args.launcher(),
        ),
        Command::SuperviseExec(args) => crate::container::exec::supervise_session(
            &store()?,
            &args.helper.id,
            &args.session,
            args.window_size,
            args.helper.ready_fd,
        ),
        Command::NetworkHolder(args) => {
            crate::net::holder::main(&store()?, &args.id, args.ready_fd).map(|()| 0)
        }
        Command::CreateFromOptions => service::create(&store()?),
        Command::StartForClient { id } => service::start_for_client(&store()?, &id),
        Command::Prune(args) => prune::hidden_prune(&store()?, args),
        Command::PathStat { container, path } => authoring::path_stat(&store()?, &container, &path),
        Command::Build(args) => build::build(&store()?, args),
        Command::Compose(args) => compose::compose(args),
        Command::Commit(args) => authoring::commit(&store()?, args),
        Command::Diff(args) => authoring::diff(&store()?, args),
        Command::History(args) => authoring::history(&store()?, args),
        Command::Save(args) => authoring::save(&store()?, args),
        Command::Export(args) => authoring::export(&store()?, args),
        Command::Cp(args) => authoring::cp(&store()?, args),
        Command::Builder(command) => build::builder_command(&store()?, command),
        Command::Images(args) => image::images(&store()?, args),
        Command::Load(args) => image::load(&store()?, args),
        Command::Import(args) => image::import(&store()?, args),
        Command::Tag(args) => image::tag(&store()?, args),
        Command::Rmi(args) => image::rmi(&store()?, args),
        Command::Inspect(args) => image::inspect(&store()?, args),
        Command::Image(command) => image::dispatch(&store()?, command),
        Command::Pull(args) => registry::pull(&store()?, args),
        Command::Push(args) => registry::push(&store()?, args),
        Command::Search(args) => registry::search(args),
        Command::Login(args) => registry::login(args),
        Command::Logout(args) => registry::logout(args),
        Command::Volume(command) => volume::dispatch(&store()?, command),
        Command::Network(command) => network::dispatch(&store()?, command),
        Command::System(command) => system::dispatch(&store()?, command),
        Command::Version(args) => system::version(args),
        Command::Info(args) => system::info(&store()?, args),
        Command::Completion(args) => docs::completion(args),
        Command::GenerateDocs(args) => docs::generate_docs(args),
        Command::ParseDockerfile(args) => build::parse_dockerfile(args),
    }
}

/// Prints an error the way docker does and picks its exit code.
/// The exit code of a failed command: docker's CLI exits 1 when the engine refuses a
/// container or network operation, while skiff's own failures at creating and storing things (run,
/// load, import, ...) are 125.
fn failure_code(command: &Command) -> i32 {
    match command {
        Command::Ps(_)
        | Command::Logs(_)
        | Command::Start(_)
        | Command::Stop(_)
        | Command::Restart(_)
        | Command::Kill(_)
        | Command::Rm(_)
        | Command::Exec(_)
        | Command::Attach(_)
        | Command::Wait(_)
        | Command::Pause(_)
        | Command::Unpause(_)
        | Command::Top(_)
        | Command::Rename(_)
        | Command::Stats(_)
        | Command::Update(_)
        | Command::Events(_)
        | Command::Network(_)
        | Command::Compose(_)
        | Command::Cp(_) => 1,
        Command::Container(command) => command.failure_code(),
        _ => 125,
    }
}

fn report(e: anyhow::Error, creating: Option<&str>, failure: i32) -> i32 {
    // Messages may quote what files and registries said: never let that drive the terminal.
    let printable = crate::text::printable;
    if let Some(start) = e.downcast_ref::<crate::runtime::StartError>() {
        eprintln!("skiff: {}", printable(&start.to_string()));
        return start.exit_code();
    }
    let message = printable(&format!("{e:#}"));
    // Like a lookup that found nothing, a template that fails is the CLI's own error (1).
    let exit_one =
        e.downcast_ref::<NotFound>().is_some() || e.downcast_ref::<format::FormatError>().is_some();
    if let Some(command) = creating {
        eprintln!("skiff: {message}");
        eprintln!("See 'skiff {command} --help'.");
        return 125;
    }
    eprintln!("Error: {message}");
    if exit_one {
        1
    } else {
        failure
    }
}

/// Removes each named object in turn, printing its name, as docker's `rm` commands do; one
/// that cannot go is reported and the rest still go (exit 1 then). With `force`, names that
/// do not exist are passed over in silence.
fn remove_each(
    names: &[String],
    force: bool,
    mut remove: impl FnMut(&str) -> anyhow::Result<()>,
) -> i32 {
    let mut status = 0;
    for name in names {
        match remove(name) {
            Ok(()) => println!("{name}"),
            Err(e) if force && e.downcast_ref::<crate::store::NotFound>().is_some() => {}
            Err(e) => {
                eprintln!("Error: {e:#}");
                status = 1;
            }
        }
    }
    status
}

/// `inspect` of named objects: each found one's JSON, printed together (or through the
/// `--format` template); the names not found are reported after, as one error (exit 1).
fn inspect_each(
    names: &[String],
    template: Option<&str>,
    mut find: impl FnMut(&str) -> anyhow::Result<serde_json::Value>,
) -> anyhow::Result<i32> {
    let mut items = Vec::new();
    let mut missing = Vec::new();
    for name in names {
        match find(name) {
            Ok(item) => items.push(item),
            Err(e) if e.downcast_ref::<crate::store::NotFound>().is_some() => {
                missing.push(e.to_string())
            }
            Err(e) => return Err(e),
        }
    }
    format::print_objects(&mut std::io::stdout().lock(), template, &items)?;
    if missing.is_empty() {
        Ok(0)
    } else {
        Err(crate::store::NotFound(missing.join("\n")).into())
    }
}

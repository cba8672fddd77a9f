//! `skiff version`, `skiff info`, `skiff events` and the `system` group that gathers them
//! with `system df`.

use super::format;
use crate::events::{self, EventFilters};
use crate::store::Store;
use anyhow::Result;
use clap::Args;
use serde_json::{json, Value};

#[derive(clap::Subcommand)]
pub enum SystemCommand {
    /// Show disk usage: images, containers and volumes
    Df(super::df::DfArgs),
    /// Show system-wide information
    Info(InfoArgs),
    /// Show events from containers and images
    Events(EventsArgs),
    /// Remove unused data: stopped containers, unused networks, dangling images, build cache
    Prune(super::prune::SystemPruneArgs),
    /// Serve the Docker Engine API, so docker's own clients (docker, docker-compose, SDKs) drive skiff
    Service(ServiceArgs),
}

#[derive(Args)]
pub struct ServiceArgs {
    /// Seconds without clients before the service leaves (0: never)
    #[arg(short, long, default_value_t = 5)]
    time: u64,
    /// unix:///PATH or tcp://127.0.0.1:PORT (default: $XDG_RUNTIME_DIR/skiff/skiff.sock)
    address: Option<String>,
}

fn service(store: Store, args: ServiceArgs) -> Result<i32> {
    let options = crate::api::ServiceOptions {
        idle: (args.time > 0).then(|| std::time::Duration::from_secs(args.time)),
        address: args.address,
    };
    crate::api::serve(store, options)
}

pub fn dispatch(store: &Store, command: SystemCommand) -> Result<i32> {
    match command {
        SystemCommand::Df(a) => super::df::df(store, a),
        SystemCommand::Info(a) => info(store, a),
        SystemCommand::Events(a) => events(store, a),
        SystemCommand::Prune(a) => super::prune::system_prune(store, a),
        SystemCommand::Service(a) => service(store.clone(), a),
    }
}

#[derive(Args)]
pub struct VersionArgs {
    /// Format output with a Go template
    #[arg(short, long)]
    format: Option<String>,
}

pub fn version(args: VersionArgs) -> Result<i32> {
    let info = json!({
        "Client": {
            "Version": env!("CARGO_PKG_VERSION"),
            "Os": "linux",
            "Arch": crate::image::config::host_architecture(),
            "Daemonless": true,
        }
    });
    match args.format {
        Some(template) => println!("{}", format::render(&template, &info)?),
        None => {
            let client = &info["Client"];
            println!("Client:\n Version:    {}\n OS/Arch:    linux/{}\n Daemon:     none (skiff runs without one)", client["Version"].as_str().unwrap_or_default(), client["Arch"].as_str().unwrap_or_default());
        }
    }
    Ok(0)
}

#[derive(Args)]
pub struct InfoArgs {
    /// Format output with a Go template
    #[arg(short, long)]
    format: Option<String>,
}

pub fn info(store: &Store, args: InfoArgs) -> Result<i32> {
    let info = crate::host::info(store)?;
    match args.format {
        Some(template) => println!("{}", format::render(&template, &info)?),
        None => print_info(&info),
    }
    Ok(0)
}

fn print_info(info: &Value) {
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    println!(
        "Client:\n Version:  {}\n Daemon:   none\n",
        s(&info["ServerVersion"])
    );
    println!(
        "Store:\n Root:      {}\n Run root:  {}\n Images:    {}\n Containers: {}\n",
        s(&info["Root"]),
        s(&info["RunRoot"]),
        info["Images"],
        info["Containers"]
    );
    println!(
        "Security:\n Rootless:  {}\n ID mapping: {}",
        info["Rootless"],
        s(&info["IDMappings"]["Mode"])
    );
    for (label, key) in [("UID map", "UIDMap"), ("GID map", "GIDMap")] {
        for r in info["IDMappings"][key].as_array().into_iter().flatten() {
            println!(
                "  {label}: container {} -> host {} (size {})",
                r["ContainerID"], r["HostID"], r["Size"]
            );
        }
    }
    println!("\nHost:\n Kernel Version:   {}\n Operating System: {}\n Architecture:     {}\n CPUs:             {}\n Total Memory:     {}", s(&info["KernelVersion"]), s(&info["OperatingSystem"]), s(&info["Architecture"]), info["NCPU"], info["MemTotal"]);
    println!("\nKernel features:");
    if let Some(features) = info["Features"].as_object() {
        for (name, present) in features {
            println!(
                " {name}: {}",
                if present.as_bool() == Some(true) {
                    "yes"
                } else {
                    "no"
                }
            );
        }
    }
}

#[derive(Args)]
pub struct EventsArgs {
    /// Show events created since this time (RFC 3339, Unix time, or relative like 10m)
    #[arg(long)]
    since: Option<String>,
    /// Stream events until this time; without it, keep following new events
    #[arg(long)]
    until: Option<String>,
    /// Filter: container=, image=, type=, event=
    #[arg(short, long = "filter", value_name = "FILTER")]
    filters: Vec<String>,
    /// Format output with a Go template or 'json'
    #[arg(long)]
    format: Option<String>,
}

pub fn events(store: &Store, args: EventsArgs) -> Result<i32> {
    let time = |v: &Option<String>| v.as_deref().map(events::parse_time).transpose();
    let window = events::Window {
        since: time(&args.since)?,
        until: time(&args.until)?,
    };
    let filters = EventFilters::parse(store, &args.filters)?;
    let format = format::Format::parse(args.format.as_deref())?;
    events::watch(
        store,
        &window,
        &filters,
        |e| print_event(e, &format),
        || false,
    )?;
    Ok(0)
}

fn print_event(event: &crate::events::Event, format: &format::Format) -> Result<()> {
    let secs = (event.time / 1_000_000_000) as i64;
    let nanos = (event.time % 1_000_000_000) as u32;
    let value = event.docker_json();
    let line = match format {
        format::Format::Default | format::Format::Table(_) => {
            let time = crate::clock::format_rfc3339((secs, nanos));
            let attrs = event
                .attributes
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "{time} {} {} {} ({attrs})",
                event.kind, event.action, event.id
            )
        }
        format::Format::Json => serde_json::to_string(&value)?,
        format::Format::Template(t) => format::render(t, &value)?,
    };
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    out.flush()?;
    Ok(())
}

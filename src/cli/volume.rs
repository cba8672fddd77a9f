//! `skiff volume create|ls|inspect|rm|prune`, with docker's flags and output shapes.

use super::format::{self, Format};
use super::prune::{confirmed, Section};
use crate::container::mounts;
use crate::filter::PruneFilters;
use crate::runtime::userns::IdMappings;
use crate::store::Store;
use crate::volume::{self, NewVolume, Volume, VolumeFilters};
use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;

#[derive(Subcommand)]
pub enum VolumeCommand {
    /// Create a volume
    Create(CreateArgs),
    /// List volumes
    #[command(visible_alias = "list")]
    Ls(LsArgs),
    /// Display detailed information on one or more volumes
    Inspect(InspectArgs),
    /// Remove one or more volumes (never one a container uses)
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
    /// Remove unused volumes (anonymous ones only, unless --all)
    Prune(PruneArgs),
}

pub fn dispatch(store: &Store, command: VolumeCommand) -> Result<i32> {
    match command {
        VolumeCommand::Create(a) => create(store, a),
        VolumeCommand::Ls(a) => ls(store, a),
        VolumeCommand::Inspect(a) => inspect(store, a),
        VolumeCommand::Rm(a) => rm(store, a),
        VolumeCommand::Prune(a) => prune(store, a),
    }
}

#[derive(Args)]
pub struct CreateArgs {
    /// The volume's name (a random one when not given)
    #[arg(value_name = "VOLUME")]
    name: Option<String>,
    /// The volume's name, as a flag
    #[arg(long = "name", hide = true, conflicts_with = "name")]
    name_flag: Option<String>,
    /// Volume driver (only "local")
    #[arg(short, long, default_value = "local")]
    driver: String,
    /// Set metadata on the volume (KEY=VALUE)
    #[arg(long = "label", value_name = "KEY=VALUE")]
    labels: Vec<String>,
    /// Driver options: type=tmpfs, device=tmpfs, o=size=64m (or type=none, o=bind, device=/path)
    #[arg(short, long = "opt", value_name = "KEY=VALUE")]
    opts: Vec<String>,
}

fn create(store: &Store, args: CreateArgs) -> Result<i32> {
    volume::driver::check_name(&args.driver)?;
    let mut options = BTreeMap::new();
    for opt in &args.opts {
        let (k, v) = opt
            .split_once('=')
            .ok_or_else(|| anyhow!("invalid option {opt:?}: expected KEY=VALUE"))?;
        options.insert(k.to_string(), v.to_string());
    }
    let new = NewVolume {
        name: args.name.or(args.name_flag),
        labels: args.labels.iter().map(|l| split_label(l)).collect(),
        options,
    };
    let (created, _) = volume::create(store, new)?;
    println!("{}", created.name);
    Ok(0)
}

/// `KEY=VALUE`, or `KEY` alone for an empty value.
fn split_label(label: &str) -> (String, String) {
    let (k, v) = label.split_once('=').unwrap_or((label, ""));
    (k.to_string(), v.to_string())
}

#[derive(Args)]
pub struct LsArgs {
    /// Only display volume names
    #[arg(short, long)]
    quiet: bool,
    /// Filter output: dangling=true|false, name=TEXT, label=KEY[=VALUE], driver=local
    #[arg(short, long = "filter", value_name = "FILTER")]
    filters: Vec<String>,
    /// Format output with a Go template, 'table', 'table TEMPLATE' or 'json'
    #[arg(long)]
    format: Option<String>,
}

fn ls(store: &Store, args: LsArgs) -> Result<i32> {
    let format = Format::parse(args.format.as_deref())?;
    let filters = VolumeFilters::parse(&args.filters)?;
    // Reading every container record is needed only to tell dangling volumes apart.
    let users = if filters.asks_use() {
        mounts::volume_users(store)?
    } else {
        BTreeMap::new()
    };
    let volumes: Vec<Volume> = volume::list(store)?
        .into_iter()
        .filter(|v| filters.keeps(v, |name| users.contains_key(name)))
        .collect();
    let mut out = std::io::stdout().lock();
    if args.quiet {
        for v in &volumes {
            writeln!(out, "{}", v.name)?;
        }
        return Ok(0);
    }
    let items: Vec<Value> = volumes.iter().map(|v| row_json(store, v)).collect();
    let columns = [("DRIVER", "{{.Driver}}"), ("VOLUME NAME", "{{.Name}}")];
    format::print_list(
        &mut out,
        &format,
        "*formatter.volumeContext",
        &columns,
        &items,
    )?;
    Ok(0)
}

/// The fields `volume ls --format` offers, as docker's.
fn row_json(store: &Store, v: &Volume) -> Value {
    let labels: Vec<String> = v.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    json!({
        "Name": v.name,
        "Driver": "local",
        "Scope": "local",
        "Mountpoint": v.mountpoint(store),
        "Labels": labels.join(","),
        "Links": "N/A",
        "Size": "N/A",
        "CreatedAt": v.created,
        "Availability": "N/A",
        "Group": "N/A",
        "Status": "N/A",
    })
}

#[derive(Args)]
pub struct InspectArgs {
    #[arg(required = true, value_name = "VOLUME")]
    names: Vec<String>,
    /// Format output with a Go template
    #[arg(short, long)]
    format: Option<String>,
}

fn inspect(store: &Store, args: InspectArgs) -> Result<i32> {
    super::inspect_each(&args.names, args.format.as_deref(), |name| {
        Ok(volume::load(store, name)?.inspect_json(store))
    })
}

#[derive(Args)]
pub struct RmArgs {
    #[arg(required = true, value_name = "VOLUME")]
    names: Vec<String>,
    /// Do not report volumes that do not exist
    #[arg(short, long)]
    force: bool,
}

fn rm(store: &Store, args: RmArgs) -> Result<i32> {
    let maps = IdMappings::detect();
    Ok(super::remove_each(&args.names, args.force, |name| {
        mounts::remove_volume(store, &maps, name)
    }))
}

#[derive(Args)]
pub struct PruneArgs {
    /// Do not prompt for confirmation
    #[arg(short, long)]
    force: bool,
    /// Remove all unused volumes, not just anonymous ones
    #[arg(short, long)]
    all: bool,
    /// Filter: label=KEY[=VALUE], label!=KEY[=VALUE]
    #[arg(long = "filter", value_name = "FILTER")]
    filters: Vec<String>,
}

fn prune(store: &Store, args: PruneArgs) -> Result<i32> {
    let filters = PruneFilters::parse(&args.filters)?;
    if filters.has_until() {
        bail!("The \"until\" filter is not supported for volumes");
    }
    let which = if args.all {
        "all local"
    } else {
        "anonymous local"
    };
    let warning =
        format!("WARNING! This will remove {which} volumes not used by at least one container.");
    if !confirmed(args.force, &warning)? {
        return Ok(0);
    }
    prune_volumes(store, args.all, &filters)?.print_with_total();
    Ok(0)
}

/// Removes the volumes no container uses that `filters` keep: anonymous ones only, unless
/// `all`.
pub fn prune_volumes(store: &Store, all: bool, filters: &PruneFilters) -> Result<Section> {
    let pruned = crate::prune::prune(store, crate::prune::Kind::Volumes, all, filters)?;
    Ok(Section::new("Deleted Volumes:", pruned))
}

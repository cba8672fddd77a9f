//! `skiff network create|ls|inspect|rm|prune`, with docker's flags and output shapes. The
//! predefined networks (`bridge`, `host`, `none`) are listed and inspectable as docker's are.

use super::format::{self, Format};
use super::prune::{confirmed, Section};
use crate::container::network_list::{Listed, NetworkFilters};
use crate::filter::PruneFilters;
use crate::net::network::{self, NewNetwork};
use crate::store::Store;
use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;

#[derive(Subcommand)]
pub enum NetworkCommand {
    /// Create a network
    Create(CreateArgs),
    /// List networks
    #[command(visible_alias = "list")]
    Ls(LsArgs),
    /// Display detailed information on one or more networks
    Inspect(InspectArgs),
    /// Remove one or more networks (never one a running container uses)
    #[command(visible_alias = "remove")]
    Rm(RmArgs),
    /// Remove all networks no container uses
    Prune(PruneArgs),
    /// Connect a container to a network
    Connect(ConnectArgs),
    /// Disconnect a container from a network
    Disconnect(DisconnectArgs),
}

pub fn dispatch(store: &Store, command: NetworkCommand) -> Result<i32> {
    match command {
        NetworkCommand::Create(a) => create(store, a),
        NetworkCommand::Ls(a) => ls(store, a),
        NetworkCommand::Inspect(a) => inspect(store, a),
        NetworkCommand::Rm(a) => rm(store, a),
        NetworkCommand::Prune(a) => prune(store, a),
        NetworkCommand::Connect(a) => connect(store, a),
        NetworkCommand::Disconnect(a) => disconnect(store, a),
    }
}

#[derive(Args)]
pub struct ConnectArgs {
    #[arg(value_name = "NETWORK")]
    network: String,
    #[arg(value_name = "CONTAINER")]
    container: String,
    /// Add a name for the container on the network
    #[arg(long, value_name = "ALIAS")]
    alias: Vec<String>,
    /// The container's IPv4 address on the network
    #[arg(long, value_name = "ADDRESS")]
    ip: Option<String>,
}

fn connect(store: &Store, args: ConnectArgs) -> Result<i32> {
    let network = network::load(store, &args.network)?;
    let requested = match &args.ip {
        Some(ip) => Some(
            ip.parse()
                .map_err(|_| anyhow::anyhow!("invalid --ip {ip:?}: not an IPv4 address"))?,
        ),
        None => None,
    };
    let maps = crate::runtime::userns::IdMappings::detect();
    crate::container::connect::connect(
        store,
        &maps,
        &network,
        &args.container,
        requested,
        &args.alias,
    )?;
    Ok(0)
}

#[derive(Args)]
pub struct DisconnectArgs {
    #[arg(value_name = "NETWORK")]
    network: String,
    #[arg(value_name = "CONTAINER")]
    container: String,
}

fn disconnect(store: &Store, args: DisconnectArgs) -> Result<i32> {
    let network = network::load(store, &args.network)?;
    let maps = crate::runtime::userns::IdMappings::detect();
    crate::container::connect::disconnect(store, &maps, &network, &args.container)?;
    Ok(0)
}

#[derive(Args)]
pub struct CreateArgs {
    #[arg(value_name = "NETWORK")]
    name: String,
    /// Network driver (only "bridge")
    #[arg(short, long, default_value = network::DRIVER)]
    driver: String,
    /// Subnet in CIDR format (IPv4), e.g. 10.90.0.0/24; the first free 10.89.N.0/24 by default
    #[arg(long, value_name = "CIDR")]
    subnet: Option<String>,
    /// IPv4 gateway of the subnet (its first address by default)
    #[arg(long, value_name = "IP")]
    gateway: Option<String>,
    /// Allocate container addresses from this part of the subnet (CIDR)
    #[arg(long, value_name = "CIDR")]
    ip_range: Option<String>,
    /// Restrict external access to the network
    #[arg(long)]
    internal: bool,
    /// Set metadata on the network (KEY=VALUE)
    #[arg(long = "label", value_name = "KEY=VALUE")]
    labels: Vec<String>,
    /// Driver options, e.g. com.docker.network.driver.mtu=9000
    #[arg(short, long = "opt", value_name = "KEY=VALUE")]
    opts: Vec<String>,
    /// Mark the network attachable (every skiff network takes containers anyway)
    #[arg(long)]
    attachable: bool,
    /// Enable IPv6 (not supported: skiff networks are IPv4 only)
    #[arg(long)]
    ipv6: bool,
}

fn create(store: &Store, args: CreateArgs) -> Result<i32> {
    if args.ipv6 {
        bail!("--ipv6 is not supported: skiff networks are IPv4 only");
    }
    let mut options = BTreeMap::new();
    for opt in &args.opts {
        let (k, v) = opt
            .split_once('=')
            .ok_or_else(|| anyhow!("invalid option {opt:?}: expected KEY=VALUE"))?;
        options.insert(k.to_string(), v.to_string());
    }
    let new = NewNetwork {
        name: args.name,
        subnet: args.subnet,
        gateway: args.gateway,
        ip_range: args.ip_range,
        internal: args.internal,
        attachable: args.attachable,
        labels: args.labels.iter().map(|l| split_label(l)).collect(),
        options,
        driver: Some(args.driver),
    };
    println!("{}", network::create(store, new)?.id);
    Ok(0)
}

/// `KEY=VALUE`, or `KEY` alone for an empty value.
fn split_label(label: &str) -> (String, String) {
    let (k, v) = label.split_once('=').unwrap_or((label, ""));
    (k.to_string(), v.to_string())
}

#[derive(Args)]
pub struct LsArgs {
    /// Only display network IDs
    #[arg(short, long)]
    quiet: bool,
    /// Do not truncate the output
    #[arg(long)]
    no_trunc: bool,
    /// Filter output: name=TEXT, id=PREFIX, driver=NAME, label=KEY[=VALUE], type=custom|builtin, dangling=true|false
    #[arg(short, long = "filter", value_name = "FILTER")]
    filters: Vec<String>,
    /// Format output with a Go template, 'table', 'table TEMPLATE' or 'json'
    #[arg(long)]
    format: Option<String>,
}

fn ls(store: &Store, args: LsArgs) -> Result<i32> {
    let format = Format::parse(args.format.as_deref())?;
    let shown = NetworkFilters::parse(&args.filters)?.select(store)?;
    let mut out = std::io::stdout().lock();
    if args.quiet {
        for n in &shown {
            writeln!(out, "{}", short_id(&n.id(), args.no_trunc))?;
        }
        return Ok(0);
    }
    let items: Vec<Value> = shown
        .iter()
        .map(|n| row_json(store, n, args.no_trunc))
        .collect();
    let columns = [
        ("NETWORK ID", "{{.ID}}"),
        ("NAME", "{{.Name}}"),
        ("DRIVER", "{{.Driver}}"),
        ("SCOPE", "{{.Scope}}"),
    ];
    format::print_list(
        &mut out,
        &format,
        "*network.networkContext",
        &columns,
        &items,
    )?;
    Ok(0)
}

fn short_id(id: &str, no_trunc: bool) -> &str {
    if no_trunc {
        id
    } else {
        &id[..12]
    }
}

/// The fields `network ls --format` offers, as docker's (booleans as text, as docker prints them).
fn row_json(store: &Store, n: &Listed, no_trunc: bool) -> Value {
    let labels: Vec<String> = n.labels().iter().map(|(k, v)| format!("{k}={v}")).collect();
    let created = n.created(store);
    json!({
        "ID": short_id(&n.id(), no_trunc),
        "Name": n.name(),
        "Driver": n.driver(),
        "Scope": "local",
        "IPv4": "true",
        "IPv6": "false",
        "Internal": n.internal().to_string(),
        "Labels": labels.join(","),
        "CreatedAt": format!("{} +0000 UTC", created.replace('T', " ").trim_end_matches('Z')),
    })
}

#[derive(Args)]
pub struct InspectArgs {
    #[arg(required = true, value_name = "NETWORK")]
    names: Vec<String>,
    /// Format output with a Go template
    #[arg(short, long)]
    format: Option<String>,
}

fn inspect(store: &Store, args: InspectArgs) -> Result<i32> {
    super::inspect_each(&args.names, args.format.as_deref(), |name| {
        Listed::find(store, name)?.inspect_json(store)
    })
}

#[derive(Args)]
pub struct RmArgs {
    #[arg(required = true, value_name = "NETWORK")]
    names: Vec<String>,
    /// Do not report networks that do not exist
    #[arg(short, long)]
    force: bool,
}

fn rm(store: &Store, args: RmArgs) -> Result<i32> {
    Ok(super::remove_each(&args.names, args.force, |name| {
        network::remove(store, name).map(drop)
    }))
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

fn prune(store: &Store, args: PruneArgs) -> Result<i32> {
    let filters = PruneFilters::parse(&args.filters)?;
    let warning =
        "WARNING! This will remove all custom networks not used by at least one container.";
    if !confirmed(args.force, warning)? {
        return Ok(0);
    }
    prune_networks(store, &filters)?.print();
    Ok(0)
}

/// Removes the networks no container uses that `filters` keep.
pub fn prune_networks(store: &Store, filters: &PruneFilters) -> Result<Section> {
    let pruned = crate::prune::prune(store, crate::prune::Kind::Networks, false, filters)?;
    Ok(Section::new("Deleted Networks:", pruned))
}

//! `skiff network create|ls|inspect|rm|prune`, with docker's flags and output shapes. The
//! predefined networks (`bridge`, `host`, `none`) are listed and inspectable as docker's are.

use super::filter::NamePattern;
use super::filter::{self, Label};
use super::format::{self, Format};
use super::prune::{confirmed, PruneFilters, Section};
use crate::clock;
use crate::container::{record, state};
use crate::net::network::{self, Network, NewNetwork};
use crate::net::{mode, GATEWAY_IP};
use crate::store::Store;
use anyhow::{anyhow, bail, Result};
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};
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

/// A network as `ls` and `inspect` show it: one of docker's predefined networks, or a user's.
enum Shown {
    Builtin {
        name: &'static str,
        driver: &'static str,
    },
    Custom(Network),
}

impl Shown {
    /// The predefined networks and the user's, by name as docker sorts them.
    fn all(store: &Store) -> Result<Vec<Shown>> {
        let builtins = network::LISTED_BUILTINS
            .iter()
            .map(|&(name, driver)| Shown::Builtin { name, driver });
        let custom = network::list(store)?.into_iter().map(Shown::Custom);
        let mut all: Vec<Shown> = builtins.chain(custom).collect();
        all.sort_by(|a, b| a.name().cmp(b.name()));
        Ok(all)
    }

    /// A predefined network by name or id, else a user's by name, id or id prefix.
    fn find(store: &Store, name_or_id: &str) -> Result<Shown> {
        let builtin = network::LISTED_BUILTINS
            .iter()
            .find(|(name, _)| *name == name_or_id || network::builtin_id(name) == name_or_id);
        match builtin {
            Some(&(name, driver)) => Ok(Shown::Builtin { name, driver }),
            None => network::load(store, name_or_id).map(Shown::Custom),
        }
    }

    fn name(&self) -> &str {
        match self {
            Shown::Builtin { name, .. } => name,
            Shown::Custom(n) => &n.name,
        }
    }

    fn id(&self) -> String {
        match self {
            Shown::Builtin { name, .. } => network::builtin_id(name),
            Shown::Custom(n) => n.id.clone(),
        }
    }

    fn driver(&self) -> &str {
        match self {
            Shown::Builtin { driver, .. } => driver,
            Shown::Custom(n) => &n.driver,
        }
    }

    fn internal(&self) -> bool {
        matches!(self, Shown::Custom(n) if n.internal)
    }

    fn labels(&self) -> BTreeMap<String, String> {
        match self {
            Shown::Builtin { .. } => BTreeMap::new(),
            Shown::Custom(n) => n.labels.clone(),
        }
    }

    /// The predefined networks exist since the store does, as docker's since its daemon started.
    fn created(&self, store: &Store) -> String {
        match self {
            Shown::Builtin { .. } => {
                let made =
                    std::fs::metadata(&store.root).and_then(|m| m.created().or(m.modified()));
                clock::format_rfc3339(made.map(clock::from_system).unwrap_or((0, 0)))
            }
            Shown::Custom(n) => n.created.clone(),
        }
    }

    /// Whether any container, running or not, is attached: prune's and `dangling=`'s test.
    /// The predefined networks count as used, as in docker.
    fn in_use(&self, store: &Store) -> Result<bool> {
        match self {
            Shown::Builtin { .. } => Ok(true),
            Shown::Custom(n) => Ok(!network::endpoints(store, n)?.is_empty()),
        }
    }
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

#[derive(Default)]
struct NetworkFilters {
    names: Vec<NamePattern>,
    ids: Vec<String>,
    drivers: Vec<String>,
    labels: Vec<Label>,
    /// `type=custom` (Some(true)) or `type=builtin` (Some(false)).
    custom: Option<bool>,
    dangling: Option<bool>,
    until: Option<clock::Instant>,
}

impl NetworkFilters {
    fn parse(filters: &[String]) -> Result<NetworkFilters> {
        let mut f = NetworkFilters::default();
        for text in filters {
            let (key, value) = filter::split(text)?;
            match key {
                "name" => f.names.push(NamePattern::parse(value)?),
                "id" => f.ids.push(value.to_string()),
                "driver" => f.drivers.push(value.to_string()),
                "label" => f.labels.push(Label::parse(value)),
                "type" => {
                    f.custom = Some(match value {
                        "custom" => true,
                        "builtin" => false,
                        _ => bail!("invalid filter: 'type'='{value}' (use custom or builtin)"),
                    })
                }
                "dangling" => f.dangling = Some(filter::boolean(key, value)?),
                "until" => {
                    f.until = Some(
                        clock::parse_point_in_time(value)
                            .ok_or_else(|| anyhow!("invalid filter 'until={value}'"))?,
                    )
                }
                other => bail!("invalid filter '{other}'"),
            }
        }
        Ok(f)
    }

    fn keeps(&self, store: &Store, n: &Shown) -> Result<bool> {
        let id = n.id();
        let created = clock::parse_rfc3339(&n.created(store)).unwrap_or((0, 0));
        let kept = (self.names.is_empty() || self.names.iter().any(|x| x.matches(n.name())))
            && (self.ids.is_empty() || self.ids.iter().any(|x| id.starts_with(x.as_str())))
            && (self.drivers.is_empty() || self.drivers.iter().any(|d| d == n.driver()))
            && self.labels.iter().all(|l| l.matches(&n.labels()))
            && self
                .custom
                .is_none_or(|c| c == matches!(n, Shown::Custom(_)))
            && self.until.is_none_or(|u| created < u);
        Ok(kept && (self.dangling.is_none() || self.dangling != Some(n.in_use(store)?)))
    }
}

fn ls(store: &Store, args: LsArgs) -> Result<i32> {
    let format = Format::parse(args.format.as_deref())?;
    let filters = NetworkFilters::parse(&args.filters)?;
    let mut shown = Vec::new();
    for n in Shown::all(store)? {
        if filters.keeps(store, &n)? {
            shown.push(n);
        }
    }
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
fn row_json(store: &Store, n: &Shown, no_trunc: bool) -> Value {
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
        inspect_json(store, &Shown::find(store, name)?)
    })
}

/// docker's `network inspect` object.
fn inspect_json(store: &Store, n: &Shown) -> Result<Value> {
    let (config, options, containers) = match n {
        Shown::Builtin { name, .. } => builtin_details(name),
        Shown::Custom(net) => {
            let mut config =
                json!({"Subnet": net.subnet_text(), "Gateway": net.gateway.to_string()});
            if let Some(range) = &net.ip_range {
                config["IPRange"] = json!(range);
            }
            (
                vec![config],
                json!(net.options),
                running_containers(store, net)?,
            )
        }
    };
    Ok(json!({
        "Name": n.name(),
        "Id": n.id(),
        "Created": n.created(store),
        "Scope": "local",
        "Driver": n.driver(),
        "EnableIPv4": true,
        "EnableIPv6": false,
        "IPAM": {"Driver": "default", "Options": {}, "Config": config},
        "Internal": n.internal(),
        "Attachable": matches!(n, Shown::Custom(net) if net.attachable),
        "Ingress": false,
        "ConfigFrom": {"Network": ""},
        "ConfigOnly": false,
        "Containers": containers,
        "Options": options,
        "Labels": n.labels(),
    }))
}

/// IPAM config and options of a predefined network: only `bridge` (the default network) has
/// addresses.
fn builtin_details(name: &str) -> (Vec<Value>, Value, Value) {
    if name != "bridge" {
        return (Vec::new(), json!({}), json!({}));
    }
    let config =
        json!({"Subnet": network::default_subnet_text(), "Gateway": GATEWAY_IP.to_string()});
    let options = json!({ network::MTU_OPTION: mode::DEFAULT_MTU.to_string() });
    (vec![config], options, json!({}))
}

/// The running containers on a network, by id, as docker lists them.
fn running_containers(store: &Store, net: &Network) -> Result<Value> {
    let mut containers = Map::new();
    for e in network::endpoints(store, net)? {
        let running = state::load(store, &e.container_id).is_ok_and(|s| s.is_running());
        let Ok(container) = record::load(store, &e.container_id) else {
            continue;
        };
        if running {
            containers.insert(
                e.container_id.clone(),
                json!({
                    "Name": container.name,
                    "EndpointID": e.endpoint_id,
                    "MacAddress": e.mac,
                    "IPv4Address": format!("{}/{}", e.ip, net.prefix_len),
                    "IPv6Address": "",
                }),
            );
        }
    }
    Ok(Value::Object(containers))
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
    let removed = network::prune(store, |n| {
        let created = clock::parse_rfc3339(&n.created).unwrap_or((0, 0));
        filters.keeps(&n.labels, created)
    })?;
    Ok(Section {
        heading: "Deleted Networks:",
        lines: removed.into_iter().map(|n| n.name).collect(),
        reclaimed: 0,
    })
}

//! User-defined networks (`network create`): their records, and the addresses handed to the
//! containers attached to them (IPAM).
//!
//! A network is `networks/<id>/` in the store, holding `network.json` (the [`Network`]) and
//! `endpoints.json` (its [`Endpoint`]s, one per attached container). Both files are written
//! atomically, and one lock (`networks.lock`) serialises every change: names and subnets
//! stay unique, and two containers never get the same address.
//!
//! The networks `--network` knows without a record (`bridge`, `host`, `none` and their
//! aliases, see `mode`) are built in: they have no directory here and cannot be created,
//! removed or attached to through this module.

use super::{GATEWAY_IP, PREFIX_LEN};
use crate::clock;
use crate::container::state;
use crate::events;
use crate::filter::PruneFilters;
use crate::store::{self, Lock, NotFound, Store};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::fs;
use std::net::Ipv4Addr;
use std::path::PathBuf;

/// The only driver skiff has, docker's default.
pub const DRIVER: &str = "bridge";
/// The MTU of a network's bridge and veths unless `-o com.docker.network.driver.mtu=N`, as
/// docker's bridge driver.
pub const DEFAULT_MTU: u32 = 1500;
/// docker's option for the MTU.
pub const MTU_OPTION: &str = "com.docker.network.driver.mtu";

/// Names `--network` gives a meaning of its own (see `mode`): no user network may take them.
const BUILTIN_NAMES: [&str; 7] = [
    "bridge",
    "host",
    "none",
    "default",
    "slirp4netns",
    "pasta",
    "private",
];

/// The predefined networks `network ls` shows, as docker users expect them: name and driver.
pub const LISTED_BUILTINS: [(&str, &str); 3] =
    [("bridge", "bridge"), ("host", "host"), ("none", "null")];

/// The store's directory of networks, under its root.
pub const DIR: &str = "networks";
const RECORD: &str = "network.json";
const ENDPOINTS: &str = "endpoints.json";

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Network {
    pub name: String,
    /// 64 hex digits.
    pub id: String,
    /// RFC 3339, like volumes and containers.
    pub created: String,
    pub driver: String,
    /// The subnet's network address and prefix length (`10.89.0.0`, 24).
    pub subnet: Ipv4Addr,
    pub prefix_len: u8,
    pub gateway: Ipv4Addr,
    /// No route out of the network (`--internal`).
    pub internal: bool,
    /// `--attachable`: kept for `inspect`; every skiff network takes containers.
    #[serde(default)]
    pub attachable: bool,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Driver options (`-o`), as given.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    pub mtu: u32,
    /// `--ip-range`: the part of the subnet automatic addresses come from (`10.89.0.128/25`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_range: Option<String>,
}

impl Network {
    /// The host's bridge device for this network; short enough for IFNAMSIZ (15 bytes).
    pub fn bridge_name(&self) -> String {
        format!("br-{}", &self.id[..12])
    }

    /// The subnet as CIDR text (`10.89.0.0/24`).
    pub fn subnet_text(&self) -> String {
        self.cidr().to_string()
    }

    fn cidr(&self) -> Cidr {
        Cidr::new(self.subnet, self.prefix_len)
    }
}

/// A container's place on a network.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub container_id: String,
    pub ip: Ipv4Addr,
    /// docker's scheme: `02:42:` followed by the four bytes of the address.
    pub mac: String,
    /// Extra names the container answers to on this network (`--network-alias`).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// 64 hex digits.
    pub endpoint_id: String,
}

/// What `network create` asks for.
#[derive(Default, Debug, Clone)]
pub struct NewNetwork {
    pub name: String,
    /// IPv4 CIDR; the first free 10.89.N.0/24 when `None`.
    pub subnet: Option<String>,
    /// The first host address of the subnet when `None`.
    pub gateway: Option<String>,
    /// IPv4 CIDR inside the subnet, where automatic addresses come from.
    pub ip_range: Option<String>,
    pub internal: bool,
    pub attachable: bool,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
    /// Only "bridge" (the default).
    pub driver: Option<String>,
}

/// Whether `--network NAME` means a built-in network rather than a user-defined one.
pub fn is_builtin_name(name: &str) -> bool {
    BUILTIN_NAMES.contains(&name)
}

/// The stable id a predefined network shows in `network ls` and `inspect`.
pub fn builtin_id(name: &str) -> String {
    store::hex_of(&store::sha256_digest(
        format!("skiff-builtin-{name}").as_bytes(),
    ))
    .to_string()
}

/// The built-in default network's subnet (`bridge` in `network ls`).
pub fn default_subnet_text() -> String {
    Cidr::new(GATEWAY_IP, PREFIX_LEN).to_string()
}

/// The directory of network `id`: its record, its endpoints, and what its holder keeps there.
pub fn dir(store: &Store, id: &str) -> PathBuf {
    store.networks().join(id)
}

fn lock(store: &Store) -> Result<Lock> {
    Lock::acquire(&store.root.join("networks.lock"))
}

fn not_found(name_or_id: &str) -> anyhow::Error {
    NotFound(format!("network {name_or_id} not found")).into()
}

/// Creates a network, checking its name, driver and addresses against the others.
pub fn create(store: &Store, new: NewNetwork) -> Result<Network> {
    check_name(&new.name)?;
    let driver = new.driver.as_deref().unwrap_or(DRIVER);
    if driver != DRIVER {
        bail!("plugin \"{driver}\" not found: skiff networks use the bridge driver only");
    }
    let mtu = mtu_of(&new.options)?;
    let _lock = lock(store)?;
    let existing = list(store)?;
    if existing.iter().any(|n| n.name == new.name) {
        bail!("network with name {} already exists", new.name);
    }
    let taken: Vec<Cidr> = existing.iter().map(Network::cidr).collect();
    let addressing = Addressing::choose(&new, &taken)?;
    let network = Network {
        name: new.name,
        id: store::random_hex(32),
        created: clock::format_rfc3339(clock::now()),
        driver: DRIVER.into(),
        subnet: addressing.subnet.network(),
        prefix_len: addressing.subnet.prefix_len,
        gateway: addressing.gateway,
        internal: new.internal,
        attachable: new.attachable,
        labels: new.labels,
        options: new.options,
        mtu,
        ip_range: addressing.ip_range.map(|r| r.to_string()),
    };
    place(store, &network)?;
    events::emit(
        store,
        "network",
        "create",
        &network.id,
        &[("name", &network.name), ("type", DRIVER)],
    );
    Ok(network)
}

/// The container-name rule, and none of the names `--network` reserves.
fn check_name(name: &str) -> Result<()> {
    if is_builtin_name(name) {
        bail!("{name} is a pre-defined network and cannot be created");
    }
    if !store::is_valid_name(name) {
        bail!("invalid network name {name:?}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    }
    Ok(())
}

fn mtu_of(options: &BTreeMap<String, String>) -> Result<u32> {
    let Some(text) = options.get(MTU_OPTION) else {
        return Ok(DEFAULT_MTU);
    };
    match text.parse::<u32>() {
        Ok(mtu) if (68..=65535).contains(&mtu) => Ok(mtu),
        _ => bail!("invalid {MTU_OPTION} {text:?}: the MTU must be a number from 68 to 65535"),
    }
}

/// Writes the network's directory whole, then renames it into place.
fn place(store: &Store, network: &Network) -> Result<()> {
    let staging = store.staging_dir()?;
    let placed = (|| -> Result<()> {
        store::write_json(&staging.join(RECORD), network)?;
        store::write_json(&staging.join(ENDPOINTS), &Vec::<Endpoint>::new())?;
        fs::rename(&staging, dir(store, &network.id))
            .with_context(|| format!("cannot create network {}", network.name))
    })();
    if placed.is_err() {
        let _ = store::remove_tree(&staging);
    }
    placed
}

/// Finds a network by name, full id or unique id prefix.
pub fn load(store: &Store, name_or_id: &str) -> Result<Network> {
    let networks = list(store)?;
    if let Some(n) = networks
        .iter()
        .find(|n| n.id == name_or_id)
        .or_else(|| networks.iter().find(|n| n.name == name_or_id))
    {
        return Ok(n.clone());
    }
    let is_hex = !name_or_id.is_empty() && name_or_id.bytes().all(|b| b.is_ascii_hexdigit());
    let matches: Vec<&Network> = networks
        .iter()
        .filter(|n| is_hex && n.id.starts_with(name_or_id))
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(not_found(name_or_id)),
        many => Err(NotFound(format!(
            "network {name_or_id} is ambiguous ({} matches found based on ID prefix)",
            many.len()
        ))
        .into()),
    }
}

/// Every user-defined network, by name.
pub fn list(store: &Store) -> Result<Vec<Network>> {
    let mut networks = Vec::new();
    for entry in fs::read_dir(store.networks())? {
        // A network being removed right now may have lost its record: skip it.
        if let Ok(network) = store::read_json::<Network>(&entry?.path().join(RECORD)) {
            networks.push(network);
        }
    }
    networks.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(networks)
}

/// Removes a network and the endpoints of its stopped containers; refused while a running
/// container is attached.
pub fn remove(store: &Store, name_or_id: &str) -> Result<Network> {
    if is_builtin_name(name_or_id) {
        bail!("{name_or_id} is a pre-defined network and cannot be removed");
    }
    let _lock = lock(store)?;
    let network = load(store, name_or_id)?;
    if endpoints(store, &network)?
        .iter()
        .any(|e| container_running(store, &e.container_id))
    {
        bail!(
            "error while removing network: network {} id {} has active endpoints",
            network.name,
            network.id
        );
    }
    discard(store, &network)?;
    Ok(network)
}

/// Removes the networks `filters` keep that no container is attached to, running or not.
pub fn prune(store: &Store, filters: &PruneFilters) -> Result<Vec<Network>> {
    let _lock = lock(store)?;
    let mut removed = Vec::new();
    for network in list(store)? {
        let created = clock::parse_rfc3339(&network.created).unwrap_or((0, 0));
        if filters.keeps(&network.labels, created) && endpoints(store, &network)?.is_empty() {
            discard(store, &network)?;
            removed.push(network);
        }
    }
    Ok(removed)
}

/// Takes a network out of the store; the caller holds the lock.
fn discard(store: &Store, network: &Network) -> Result<()> {
    let doomed = store.tmp_path("network");
    fs::rename(dir(store, &network.id), &doomed)
        .with_context(|| format!("cannot remove network {}", network.name))?;
    events::emit(
        store,
        "network",
        "destroy",
        &network.id,
        &[("name", &network.name), ("type", DRIVER)],
    );
    store::remove_tree(&doomed)
        .with_context(|| format!("network {} is gone, but not all of its files", network.name))
}

fn container_running(store: &Store, container_id: &str) -> bool {
    state::load(store, container_id).is_ok_and(|s| s.is_running())
}

/// The containers attached to a network, running or not.
pub fn endpoints(store: &Store, network: &Network) -> Result<Vec<Endpoint>> {
    let path = dir(store, &network.id).join(ENDPOINTS);
    if !path.exists() {
        return Err(not_found(&network.name));
    }
    store::read_json(&path)
}

/// Reserves an address for a container on a network; calling it again for the same container
/// returns its endpoint (with aliases replaced by the new ones when given non-empty).
/// `requested`: docker's --ip (must be inside the subnet, not the gateway, network address
/// or broadcast, and free). Lowest free address otherwise. Two concurrent callers never get
/// one address.
#[allow(
    dead_code,
    reason = "for `run --network` and `network connect`, which land apart"
)]
pub fn allocate(
    store: &Store,
    network: &Network,
    container_id: &str,
    requested: Option<Ipv4Addr>,
    mac: Option<&str>,
    aliases: &[String],
) -> Result<Endpoint> {
    let _lock = lock(store)?;
    let mut all = endpoints(store, network)?;
    if let Some(existing) = all.iter_mut().find(|e| e.container_id == container_id) {
        if !aliases.is_empty() && existing.aliases != aliases {
            existing.aliases = aliases.to_vec();
            let endpoint = existing.clone();
            save_endpoints(store, network, &all)?;
            return Ok(endpoint);
        }
        return Ok(existing.clone());
    }
    let ip = match requested {
        Some(ip) => check_requested(network, &all, ip)?,
        None => lowest_free(network, &all)?,
    };
    let endpoint = Endpoint {
        container_id: container_id.into(),
        ip,
        mac: mac.map_or_else(|| mac_of(ip), String::from),
        aliases: aliases.to_vec(),
        endpoint_id: store::random_hex(32),
    };
    all.push(endpoint.clone());
    save_endpoints(store, network, &all)?;
    Ok(endpoint)
}

/// Frees a container's address; nothing to do when it has none there, or the network is gone.
pub fn release(store: &Store, network: &Network, container_id: &str) -> Result<()> {
    let _lock = lock(store)?;
    let mut all = match endpoints(store, network) {
        Ok(all) => all,
        Err(e) if e.downcast_ref::<NotFound>().is_some() => return Ok(()),
        Err(e) => return Err(e),
    };
    let before = all.len();
    all.retain(|e| e.container_id != container_id);
    if all.len() != before {
        save_endpoints(store, network, &all)?;
    }
    Ok(())
}

/// Every network the container has an endpoint on, by network name.
pub fn attachments(store: &Store, container_id: &str) -> Result<Vec<(Network, Endpoint)>> {
    Ok(all_attachments(store)?
        .remove(container_id)
        .unwrap_or_default())
}

/// Containers' networks and their endpoints there, by container id.
pub type AttachmentsByContainer = HashMap<String, Vec<(Network, Endpoint)>>;

/// Every container's attachments at once (one read of each network, for listings of many
/// containers).
pub fn all_attachments(store: &Store) -> Result<AttachmentsByContainer> {
    let mut found = AttachmentsByContainer::new();
    for network in list(store)? {
        // A network removed since it was listed has no endpoints left.
        let Ok(all) = endpoints(store, &network) else {
            continue;
        };
        for endpoint in all {
            found
                .entry(endpoint.container_id.clone())
                .or_default()
                .push((network.clone(), endpoint));
        }
    }
    Ok(found)
}

fn save_endpoints(store: &Store, network: &Network, all: &[Endpoint]) -> Result<()> {
    store::write_json(&dir(store, &network.id).join(ENDPOINTS), &all)
}

/// docker's `--ip` checks: inside the subnet, a host address that is not the gateway, free.
fn check_requested(network: &Network, taken: &[Endpoint], ip: Ipv4Addr) -> Result<Ipv4Addr> {
    let subnet = network.cidr();
    if !subnet.contains(ip) {
        bail!(
            "invalid address {ip}: it does not belong to network {}'s subnet {subnet}",
            network.name
        );
    }
    if ip == subnet.network() || ip == subnet.broadcast() || ip == network.gateway {
        bail!(
            "invalid address {ip}: it is the network address, broadcast address or gateway of network {}",
            network.name
        );
    }
    if let Some(holder) = taken.iter().find(|e| e.ip == ip) {
        bail!(
            "Address already in use: {ip} belongs to container {} on network {}",
            &holder.container_id[..holder.container_id.len().min(12)],
            network.name
        );
    }
    Ok(ip)
}

/// The lowest free host address, inside `--ip-range` when the network has one.
fn lowest_free(network: &Network, taken: &[Endpoint]) -> Result<Ipv4Addr> {
    let subnet = network.cidr();
    let range = match &network.ip_range {
        Some(text) => Cidr::parse(text, "ip-range")?,
        None => subnet,
    };
    let used: HashSet<u32> = taken
        .iter()
        .map(|e| u32::from(e.ip))
        .chain([u32::from(network.gateway)])
        .collect();
    let first = u32::from(range.network()).max(u32::from(subnet.network()) + 1);
    let last = u32::from(range.broadcast()).min(u32::from(subnet.broadcast()) - 1);
    (first..=last)
        .find(|ip| !used.contains(ip))
        .map(Ipv4Addr::from)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no available IPv4 addresses on network {} ({}): remove a container from it, or create a network with a larger subnet",
                network.name,
                range
            )
        })
}

/// docker's MAC for an address: the locally administered prefix 02:42 and the address.
fn mac_of(ip: Ipv4Addr) -> String {
    let [a, b, c, d] = ip.octets();
    format!("02:42:{a:02x}:{b:02x}:{c:02x}:{d:02x}")
}

/// A network's subnet, gateway and address range, checked or chosen.
struct Addressing {
    subnet: Cidr,
    gateway: Ipv4Addr,
    ip_range: Option<Cidr>,
}

impl Addressing {
    fn choose(new: &NewNetwork, taken: &[Cidr]) -> Result<Addressing> {
        let Some(text) = &new.subnet else {
            if new.gateway.is_some() || new.ip_range.is_some() {
                bail!("--gateway and --ip-range need a --subnet to belong to");
            }
            let subnet = automatic_subnet(taken)?;
            return Ok(Addressing {
                subnet,
                gateway: subnet.host(1),
                ip_range: None,
            });
        };
        let subnet = Cidr::parse(text, "subnet")?;
        if subnet.prefix_len > 30 {
            bail!("subnet {subnet} is too small: a network needs at least a /30 (a gateway and one container)");
        }
        if subnet.overlaps(&Cidr::new(GATEWAY_IP, PREFIX_LEN)) {
            bail!("Pool overlaps with other one on this address space: {subnet} overlaps {}, the default network", default_subnet_text());
        }
        if let Some(other) = taken.iter().find(|t| t.overlaps(&subnet)) {
            bail!("Pool overlaps with other one on this address space: {subnet} overlaps the subnet {other} of another network");
        }
        let gateway = match &new.gateway {
            None => subnet.host(1),
            Some(text) => {
                let gateway: Ipv4Addr = text.parse().with_context(|| {
                    format!("invalid gateway {text:?}: expected an IPv4 address")
                })?;
                if !subnet.contains(gateway)
                    || gateway == subnet.network()
                    || gateway == subnet.broadcast()
                {
                    bail!("no matching subnet for gateway {gateway}: it must be a host address of {subnet}");
                }
                gateway
            }
        };
        let ip_range = match &new.ip_range {
            None => None,
            Some(text) => {
                let range = Cidr::parse(text, "ip-range")?;
                if !subnet.contains(range.network()) || range.prefix_len < subnet.prefix_len {
                    bail!("no matching subnet for range {range}: it must lie inside {subnet}");
                }
                Some(range)
            }
        };
        Ok(Addressing {
            subnet,
            gateway,
            ip_range,
        })
    }
}

/// The first 10.89.N.0/24 that overlaps no other network (podman's range).
fn automatic_subnet(taken: &[Cidr]) -> Result<Cidr> {
    let default = Cidr::new(GATEWAY_IP, PREFIX_LEN);
    (0..=255u8)
        .map(|n| Cidr::new(Ipv4Addr::new(10, 89, n, 0), 24))
        .find(|c| !c.overlaps(&default) && !taken.iter().any(|t| t.overlaps(c)))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "all automatic subnets (10.89.0.0/24 to 10.89.255.0/24) are in use: choose one with --subnet"
            )
        })
}

/// An IPv4 prefix: `10.89.0.0/24`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Cidr {
    addr: u32,
    prefix_len: u8,
}

impl Cidr {
    /// The prefix holding `addr` (host bits dropped).
    fn new(addr: Ipv4Addr, prefix_len: u8) -> Cidr {
        let mask = mask(prefix_len);
        Cidr {
            addr: u32::from(addr) & mask,
            prefix_len,
        }
    }

    /// Parses CIDR text, refusing IPv6 and host bits; `what` names the flag in errors.
    fn parse(text: &str, what: &str) -> Result<Cidr> {
        if text.contains(':') {
            bail!("invalid {what} {text}: skiff networks are IPv4 only");
        }
        let parsed = text.split_once('/').and_then(|(addr, len)| {
            let addr: Ipv4Addr = addr.parse().ok()?;
            let len: u8 = len.parse().ok().filter(|l| *l <= 32)?;
            Some((addr, len))
        });
        let Some((addr, prefix_len)) = parsed else {
            bail!("invalid {what} {text}: expected an IPv4 CIDR such as 10.89.0.0/24");
        };
        let cidr = Cidr::new(addr, prefix_len);
        if cidr.network() != addr {
            bail!("invalid {what} {text}: it should be {cidr}");
        }
        Ok(cidr)
    }

    fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.addr)
    }

    fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.addr | !mask(self.prefix_len))
    }

    /// The `n`th address after the network address.
    fn host(&self, n: u32) -> Ipv4Addr {
        Ipv4Addr::from(self.addr + n)
    }

    fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & mask(self.prefix_len) == self.addr
    }

    fn overlaps(&self, other: &Cidr) -> bool {
        self.contains(other.network()) || other.contains(self.network())
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network(), self.prefix_len)
    }
}

fn mask(prefix_len: u8) -> u32 {
    u32::MAX
        .checked_shl(32 - u32::from(prefix_len))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_store() -> Store {
        let base = std::env::temp_dir().join(format!("skiff-unit-{}", store::random_hex(8)));
        Store::open(Some(base.join("root")), Some(base.join("run"))).unwrap()
    }

    fn cleanup(store: &Store) {
        let _ = fs::remove_dir_all(store.root.parent().unwrap());
    }

    fn named(name: &str) -> NewNetwork {
        NewNetwork {
            name: name.into(),
            ..Default::default()
        }
    }

    fn with_subnet(name: &str, subnet: &str) -> NewNetwork {
        NewNetwork {
            subnet: Some(subnet.into()),
            ..named(name)
        }
    }

    fn ip(text: &str) -> Ipv4Addr {
        text.parse().unwrap()
    }

    fn error_of(result: Result<impl fmt::Debug>) -> String {
        format!("{:#}", result.unwrap_err())
    }

    #[test]
    fn cidr_text() {
        let c = Cidr::parse("10.89.3.0/24", "subnet").unwrap();
        assert_eq!(c.to_string(), "10.89.3.0/24");
        assert_eq!(c.broadcast(), ip("10.89.3.255"));
        assert!(c.contains(ip("10.89.3.7")) && !c.contains(ip("10.89.4.0")));
        assert!(c.overlaps(&Cidr::parse("10.89.0.0/16", "subnet").unwrap()));
        assert!(!c.overlaps(&Cidr::parse("10.89.4.0/24", "subnet").unwrap()));
        assert!(Cidr::parse("0.0.0.0/0", "subnet")
            .unwrap()
            .contains(ip("1.2.3.4")));
        assert!(error_of(Cidr::parse("10.1.2.3/24", "subnet")).contains("it should be 10.1.2.0/24"));
        assert!(error_of(Cidr::parse("fd00::/64", "subnet")).contains("IPv4 only"));
        for bad in ["10.0.0.0", "10.0.0.0/33", "x/24", "10.0.0/24"] {
            assert!(Cidr::parse(bad, "subnet").is_err(), "{bad}");
        }
    }

    #[test]
    fn automatic_subnets_increment_and_skip_taken_ones() {
        let store = temp_store();
        let a = create(&store, named("a1")).unwrap();
        assert_eq!(
            (a.subnet_text(), a.gateway, a.mtu),
            ("10.89.0.0/24".into(), ip("10.89.0.1"), DEFAULT_MTU)
        );
        assert_eq!(a.bridge_name(), format!("br-{}", &a.id[..12]));
        create(&store, with_subnet("b1", "10.89.1.0/24")).unwrap();
        let c = create(&store, named("c1")).unwrap();
        assert_eq!(c.subnet_text(), "10.89.2.0/24");
        remove(&store, "a1").unwrap();
        assert_eq!(
            create(&store, named("d1")).unwrap().subnet_text(),
            "10.89.0.0/24"
        );
        cleanup(&store);
    }

    #[test]
    fn creation_is_checked() {
        let store = temp_store();
        let n = create(
            &store,
            NewNetwork {
                gateway: Some("172.30.0.254".into()),
                options: [(MTU_OPTION.to_string(), "9000".to_string())].into(),
                ..with_subnet("net", "172.30.0.0/16")
            },
        )
        .unwrap();
        assert_eq!((n.gateway, n.mtu), (ip("172.30.0.254"), 9000));
        assert_eq!(load(&store, &n.id[..5]).unwrap(), n);
        assert_eq!(load(&store, "net").unwrap(), n);
        let refused = [
            (with_subnet("o1", "172.30.5.0/24"), "Pool overlaps"),
            (with_subnet("o2", "172.0.0.0/8"), "Pool overlaps"),
            (with_subnet("o3", "10.0.0.0/16"), "the default network"),
            (with_subnet("o4", "192.168.0.0/31"), "at least a /30"),
            (named("net"), "network with name net already exists"),
            (named("bridge"), "pre-defined"),
            (named("a b"), "invalid network name"),
            (
                NewNetwork {
                    gateway: Some("192.168.1.1".into()),
                    ..with_subnet("g", "192.168.0.0/24")
                },
                "no matching subnet for gateway",
            ),
            (
                NewNetwork {
                    gateway: Some("192.168.0.1".into()),
                    ..named("g2")
                },
                "need a --subnet",
            ),
            (
                NewNetwork {
                    ip_range: Some("192.168.1.0/25".into()),
                    ..with_subnet("r", "192.168.0.0/24")
                },
                "no matching subnet for range",
            ),
            (
                NewNetwork {
                    driver: Some("overlay".into()),
                    ..named("d")
                },
                "plugin \"overlay\" not found",
            ),
            (
                NewNetwork {
                    options: [(MTU_OPTION.to_string(), "big".to_string())].into(),
                    ..named("m")
                },
                "MTU",
            ),
        ];
        for (new, message) in refused {
            let name = new.name.clone();
            let error = error_of(create(&store, new));
            assert!(error.contains(message), "{name}: {error}");
        }
        assert_eq!(list(&store).unwrap().len(), 1);
        assert!(load(&store, "nope")
            .unwrap_err()
            .downcast_ref::<NotFound>()
            .is_some());
        cleanup(&store);
    }

    #[test]
    fn allocation_takes_the_lowest_free_address_and_is_idempotent() {
        let store = temp_store();
        let n = create(&store, with_subnet("net", "192.168.7.0/24")).unwrap();
        let a = allocate(&store, &n, "aaa", None, None, &[]).unwrap();
        let b = allocate(&store, &n, "bbb", None, None, &["web".into()]).unwrap();
        assert_eq!((a.ip, b.ip), (ip("192.168.7.2"), ip("192.168.7.3")));
        assert_eq!(a.mac, "02:42:c0:a8:07:02");
        assert_eq!(a.endpoint_id.len(), 64);
        let again = allocate(&store, &n, "bbb", None, None, &[]).unwrap();
        assert_eq!(again, b);
        let renamed = allocate(&store, &n, "bbb", None, None, &["api".into()]).unwrap();
        assert_eq!(
            (renamed.ip, renamed.aliases),
            (b.ip, vec!["api".to_string()])
        );
        release(&store, &n, "aaa").unwrap();
        release(&store, &n, "aaa").unwrap();
        assert_eq!(
            allocate(&store, &n, "ccc", None, None, &[]).unwrap().ip,
            a.ip
        );
        let found = attachments(&store, "ccc").unwrap();
        assert_eq!((found.len(), found[0].0.name.as_str()), (1, "net"));
        assert!(attachments(&store, "aaa").unwrap().is_empty());
        cleanup(&store);
    }

    #[test]
    fn requested_addresses_are_checked() {
        let store = temp_store();
        let n = create(&store, with_subnet("net", "192.168.7.0/24")).unwrap();
        let fixed = allocate(&store, &n, "aaa", Some(ip("192.168.7.50")), None, &[]).unwrap();
        assert_eq!(fixed.ip, ip("192.168.7.50"));
        for (bad, message) in [
            ("192.168.8.1", "does not belong"),
            ("192.168.7.0", "network address"),
            ("192.168.7.1", "gateway"),
            ("192.168.7.255", "broadcast"),
            ("192.168.7.50", "Address already in use"),
        ] {
            let error = error_of(allocate(&store, &n, "bbb", Some(ip(bad)), None, &[]));
            assert!(error.contains(message), "{bad}: {error}");
        }
        cleanup(&store);
    }

    #[test]
    fn a_slash_30_holds_one_container_and_ip_range_bounds_allocation() {
        let store = temp_store();
        let tiny = create(&store, with_subnet("tiny", "192.168.9.0/30")).unwrap();
        assert_eq!(
            allocate(&store, &tiny, "a", None, None, &[]).unwrap().ip,
            ip("192.168.9.2")
        );
        let error = error_of(allocate(&store, &tiny, "b", None, None, &[]));
        assert!(error.contains("no available IPv4 addresses"), "{error}");
        let ranged = create(
            &store,
            NewNetwork {
                ip_range: Some("192.168.10.252/30".into()),
                ..with_subnet("ranged", "192.168.10.0/24")
            },
        )
        .unwrap();
        let got: Vec<Ipv4Addr> = ["a", "b", "c"]
            .iter()
            .map(|c| allocate(&store, &ranged, c, None, None, &[]).unwrap().ip)
            .collect();
        assert_eq!(
            got,
            [
                ip("192.168.10.252"),
                ip("192.168.10.253"),
                ip("192.168.10.254")
            ]
        );
        assert!(allocate(&store, &ranged, "d", None, None, &[]).is_err());
        cleanup(&store);
    }

    #[test]
    fn removal_drops_endpoints_of_stopped_containers_and_prune_spares_used_networks() {
        let store = temp_store();
        let used = create(&store, named("used")).unwrap();
        create(&store, named("idle")).unwrap();
        allocate(&store, &used, "gone", None, None, &[]).unwrap();
        let pruned: Vec<String> = prune(&store, &PruneFilters::default())
            .unwrap()
            .into_iter()
            .map(|n| n.name)
            .collect();
        assert_eq!(pruned, ["idle"]);
        // "gone" has no container record, so it is not running.
        remove(&store, "used").unwrap();
        assert!(list(&store).unwrap().is_empty());
        assert!(attachments(&store, "gone").unwrap().is_empty());
        release(&store, &used, "gone").unwrap();
        assert!(error_of(remove(&store, "host")).contains("pre-defined"));
        cleanup(&store);
    }

    #[test]
    fn concurrent_allocations_never_share_an_address() {
        let store = temp_store();
        let n = create(&store, with_subnet("busy", "192.168.20.0/24")).unwrap();
        let threads: Vec<_> = (0..40)
            .map(|i| {
                let (store, n) = (store.clone(), n.clone());
                std::thread::spawn(move || {
                    allocate(&store, &n, &format!("c{i}"), None, None, &[])
                        .unwrap()
                        .ip
                })
            })
            .collect();
        let ips: HashSet<Ipv4Addr> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(ips.len(), 40);
        assert_eq!(endpoints(&store, &n).unwrap().len(), 40);
        cleanup(&store);
    }
}

//! A container's network, as its record says: which namespace it gets, the files that
//! name its hosts and resolvers, and the user-mode stack its supervisor serves.

use super::namespaces::Shared;
use super::options::RunOptions;
use super::record::{self, ContainerRecord};
use super::state;
use crate::image::store::Image;
use crate::net::bridge::Attachment;
use crate::net::holder::{self, Anchor};
use crate::net::mode::NetworkMode;
use crate::net::network::{self, Endpoint, Network};
use crate::net::ports::{Bound, Forwarder, Inside};
use crate::net::publish::{self, PortMapping};
use crate::net::stack::{self, Stack};
use crate::net::{dns, CONTAINER_IP, DNS_IP, GATEWAY_IP};
use crate::runtime::{Launch, NsJoin, Started};
use crate::store::Store;
use anyhow::{bail, Context, Result};
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsFd, OwnedFd};

/// The container's network mode; the record was checked when the container was created.
pub fn mode(opts: &RunOptions) -> NetworkMode {
    NetworkMode::parse(&opts.network).unwrap_or(NetworkMode::None)
}

/// The MTU of the `eth0` the container's first process creates, on the user-mode network.
pub fn eth0_mtu(opts: &RunOptions) -> Option<u32> {
    match mode(opts) {
        NetworkMode::UserMode(o) => Some(o.mtu),
        _ => None,
    }
}

/// The user-mode stack serving a started container's `eth0`, if it has one.
/// It answers the names of the container's user-defined networks itself, so that a container
/// connected to one (`network connect`) finds its peers there by name.
pub fn stack(
    store: &Store,
    record: &ContainerRecord,
    started: &mut Started,
) -> Result<Option<Stack>> {
    let (NetworkMode::UserMode(options), Some(tun)) = (mode(&record.options), started.tun.take())
    else {
        return Ok(None);
    };
    let config = stack::Config {
        mtu: options.mtu as usize,
        allow_host_loopback: options.allow_host_loopback,
        dns: dns::upstreams(),
    };
    let mut stack = Stack::new(tun, config).context("cannot start the container's network")?;
    let (store, id) = (store.clone(), record.id.clone());
    stack.answer_names(Box::new(move |name| {
        let networks: Vec<Network> = network::attachments(&store, &id)
            .unwrap_or_default()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        holder::addresses_on(&store, &networks, name)
    }));
    Ok(Some(stack))
}

/// The ports a container publishes: `-p`, and with `-P` every port its image EXPOSEs.
/// Only the default network has ports to publish; elsewhere they are dropped with a
/// warning, as docker does for the host's network.
pub fn requested_ports(opts: &RunOptions, image: &Image) -> Result<Vec<PortMapping>> {
    let mut ports = Vec::new();
    for spec in &opts.publish {
        ports.extend(publish::parse(spec)?);
    }
    if opts.publish_all {
        let exposed: Vec<String> = image
            .config
            .config
            .exposed_ports
            .iter()
            .flat_map(|p| p.keys().cloned())
            .chain(opts.expose.iter().cloned())
            .collect();
        for mapping in publish::exposed(&exposed) {
            if !ports.iter().any(|p| p.key() == mapping.key()) {
                ports.push(mapping);
            }
        }
    }
    if !ports.is_empty() && !matches!(mode(opts), NetworkMode::UserMode(_) | NetworkMode::Named(_))
    {
        eprintln!(
            "WARNING: Published ports are discarded when using the {} network",
            opts.network
        );
        ports.clear();
    }
    Ok(ports)
}

/// Binds the host sockets of a container's published ports, before it starts; they lead to
/// `inside`.
pub fn bind_ports(ports: &[PortMapping], inside: Inside) -> Result<Option<Forwarder>> {
    if ports.is_empty() {
        return Ok(None);
    }
    Ok(Some(Forwarder::new(Bound::bind(ports)?, inside)?))
}

/// The container as its published ports reach it: its address and gateway on its primary
/// network.
pub fn inside(store: &Store, record: &ContainerRecord) -> Inside {
    let on_its_network = || {
        let NetworkMode::Named(name) = mode(&record.options) else {
            return None;
        };
        let network = network::load(store, &name).ok()?;
        let endpoint = network::endpoints(store, &network)
            .ok()?
            .into_iter()
            .find(|e| e.container_id == record.id)?;
        Some(Inside {
            address: endpoint.ip,
            gateway: network.gateway,
        })
    };
    on_its_network().unwrap_or(Inside {
        address: CONTAINER_IP,
        gateway: GATEWAY_IP,
    })
}

/// For a container on a user-defined network (`--network NAME`), at its creation: the
/// network's canonical name in the options, and an address reserved there (`--ip`, with
/// `--network-alias`es). The caller releases it if the creation fails.
pub fn reserve(store: &Store, opts: &mut RunOptions, id: &str) -> Result<Option<Ipv4Addr>> {
    let NetworkMode::Named(name) = mode(opts) else {
        if !opts.network_aliases.is_empty() || opts.ip.is_some() {
            bail!("network-scoped aliases and --ip are only supported for user-defined networks");
        }
        return Ok(None);
    };
    let network = network::load(store, &name)?;
    let requested = match &opts.ip {
        Some(ip) => Some(
            ip.parse::<Ipv4Addr>()
                .with_context(|| format!("invalid --ip {ip:?}: not an IPv4 address"))?,
        ),
        None => None,
    };
    let endpoint = network::allocate(
        store,
        &network,
        id,
        requested,
        opts.mac_address.as_deref(),
        &opts.network_aliases,
    )?;
    opts.network = network.name;
    Ok(Some(endpoint.ip))
}

/// Releases every address the container holds on user-defined networks.
pub fn release_all(store: &Store, id: &str) {
    for (network, _) in network::attachments(store, id).unwrap_or_default() {
        let _ = network::release(store, &network, id);
    }
}

/// The container's user-defined networks with its endpoints there, its primary network
/// (`--network NAME`) first, then the ones it was connected to, by name.
pub fn attachments(store: &Store, record: &ContainerRecord) -> Result<Vec<(Network, Endpoint)>> {
    let mut list = network::attachments(store, &record.id)?;
    let primary = match mode(&record.options) {
        NetworkMode::Named(name) => Some(name),
        _ => None,
    };
    if let Some(primary) = &primary {
        network::load(store, primary).map_err(|e| anyhow::anyhow!("{e:#}"))?;
    }
    list.sort_by_key(|(n, _)| (Some(&n.name) != primary.as_ref(), n.name.clone()));
    Ok(list)
}

/// What a container's start takes from elsewhere: the namespaces of other containers
/// (`container:NAME` modes), or the user namespace and bridges of its user-defined networks.
#[derive(Default)]
pub struct Joins {
    /// The pidfd and pid of the container whose network is joined.
    target: Option<(OwnedFd, i32)>,
    anchor: Option<Anchor>,
    interfaces: Vec<Attachment>,
    shared: Shared,
}

impl Joins {
    /// Gathers them, bringing up the networks' holders where needed.
    pub fn gather(store: &Store, record: &ContainerRecord) -> Result<Joins> {
        let mut joins = Joins::gather_networks(store, record)?;
        joins.shared = Shared::gather(store, &record.options)?;
        joins.check_one_user_namespace()?;
        Ok(joins)
    }

    fn gather_networks(store: &Store, record: &ContainerRecord) -> Result<Joins> {
        let target = join_target(store, &record.options)?;
        let list = attachments(store, record)?;
        if list.is_empty() {
            return Ok(Joins {
                target,
                ..Default::default()
            });
        }
        // The default network's eth0 comes first when the container has it.
        let first = usize::from(matches!(mode(&record.options), NetworkMode::UserMode(_)));
        let mut joins = Joins::default();
        for (i, (network, endpoint)) in list.into_iter().enumerate() {
            let anchor = holder::ensure(store, &network)?;
            if let Some(first) = &joins.anchor {
                if first.userns_id()? != anchor.userns_id()? {
                    bail!(
                        "network {} was brought up apart from the container's other networks: \
                         stop the containers on it and start again",
                        network.name
                    );
                }
            }
            joins.interfaces.push(Attachment {
                network_netns: anchor.netns()?,
                bridge: network.bridge_name(),
                ifname: format!("eth{}", first + i),
                ip: endpoint.ip,
                prefix_len: network.prefix_len,
                gateway: network.gateway,
                mtu: network.mtu,
                mac: parse_mac(&endpoint.mac),
                default_route: first + i == 0 && !network.internal,
            });
            joins.anchor.get_or_insert(anchor);
        }
        Ok(joins)
    }

    /// Every namespace joined must belong to one user namespace, the one the container is
    /// in: rootless, a container's user namespace is its own, or its networks'.
    fn check_one_user_namespace(&self) -> Result<()> {
        let mut owners = self.shared.user_namespaces();
        if let Some(anchor) = &self.anchor {
            owners.push(anchor.userns_id()?);
        }
        if let Some((_, pid)) = &self.target {
            owners.extend(crate::runtime::userns_of(*pid));
        }
        owners.sort_unstable();
        owners.dedup();
        if owners.len() > 1 {
            bail!("cannot join the namespaces of containers that do not share a user namespace: start the container with its own network, or on the same user-defined network as the others");
        }
        Ok(())
    }

    pub fn apply<'a>(&'a self, launch: &mut Launch<'a>) {
        let network = self.target.as_ref().map(|(fd, _)| NsJoin {
            pidfd: fd.as_fd(),
            namespaces: libc::CLONE_NEWUSER | libc::CLONE_NEWNET,
        });
        let networks = self.anchor.as_ref().map(|a| NsJoin {
            pidfd: a.pidfd.as_fd(),
            namespaces: libc::CLONE_NEWUSER,
        });
        launch.joins = network
            .into_iter()
            .chain(networks)
            .chain(self.shared.joins())
            .collect();
        launch.shm_donor = self.shared.shm_donor();
        launch.interfaces = &self.interfaces;
    }
}

/// "02:42:0a:59:00:02" as bytes; a malformed one (never written by skiff) as a locally
/// administered address the kernel accepts.
pub(super) fn parse_mac(text: &str) -> [u8; 6] {
    let mut mac = [0x02, 0, 0, 0, 0, 1];
    let parts: Vec<u8> = text
        .split(':')
        .filter_map(|p| u8::from_str_radix(p, 16).ok())
        .collect();
    if parts.len() == 6 {
        mac.copy_from_slice(&parts);
    }
    mac
}

/// For `--network container:NAME`: the pidfd and pid of that container's pid 1, whose user
/// and network namespaces the container joins. It must be running.
fn join_target(store: &Store, opts: &RunOptions) -> Result<Option<(OwnedFd, i32)>> {
    let NetworkMode::Container(name) = mode(opts) else {
        return Ok(None);
    };
    let id = record::resolve(store, &name)?;
    let current = state::load(store, &id)?;
    if current.status != "running" || !current.is_running() {
        bail!("cannot join the network of container {name}: it is not running");
    }
    let pidfd = crate::runtime::exec::pidfd_open(nix::unistd::Pid::from_raw(current.pid))
        .with_context(|| {
            format!("cannot join the network of container {name}: it is not running")
        })?;
    Ok(Some((pidfd, current.pid)))
}

/// For `--network container:NAME`: that container's /etc/hosts or /etc/resolv.conf, which
/// the joining container shares, as docker does.
fn shared_file(store: &Store, name: &str, file: &str) -> Option<String> {
    let id = record::resolve(store, name).ok()?;
    std::fs::read_to_string(record::dir(store, &id).join(file)).ok()
}

/// The container's /etc/hosts; `address`: its own on a user-defined network.
pub fn hosts_file(
    store: &Store,
    opts: &RunOptions,
    hostname: &str,
    address: Option<Ipv4Addr>,
) -> String {
    let mode = mode(opts);
    if let NetworkMode::Container(name) = &mode {
        return shared_file(store, name, "hosts").unwrap_or_default();
    }
    let mut hosts = String::new();
    if mode == NetworkMode::Host {
        hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    } else {
        hosts.push_str("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n");
    }
    let own = match &mode {
        NetworkMode::UserMode(options) => Some((CONTAINER_IP, options.allow_host_loopback)),
        NetworkMode::Named(_) => address.map(|ip| (ip, false)),
        _ => None,
    };
    if let Some((ip, allow_host_loopback)) = own {
        hosts.push_str(&format!("{ip}\t{hostname}\n"));
        let host = host_address(allow_host_loopback);
        hosts.push_str(&format!(
            "{host}\thost.containers.internal host.docker.internal\n"
        ));
    }
    for entry in &opts.add_hosts {
        if let Ok((name, ip)) = parse_add_host(entry) {
            let ip = ip.unwrap_or_else(|| host_gateway(&mode));
            hosts.push_str(&format!("{ip}\t{name}\n"));
        }
    }
    hosts
}

/// `--mac-address`: six octets (`92:d0:c6:0a:29:33`, or with `-`), in the canonical
/// lower-case form. Only a user-defined network has a link layer to give it to: the default
/// network's `eth0` carries IP alone, and host, none and container:NAME are not the
/// container's to address, so docker's refusal covers them all.
pub fn mac_address(text: &str, network: &str) -> Result<String> {
    let octets: Vec<u8> = text
        .split([':', '-'])
        .map(|part| match part.len() {
            1 | 2 => u8::from_str_radix(part, 16).ok(),
            _ => None,
        })
        .collect::<Option<_>>()
        .filter(|o: &Vec<u8>| o.len() == 6)
        .with_context(|| format!("{text} is not a valid mac address"))?;
    if octets[0] & 1 != 0 {
        bail!("invalid --mac-address {text}: a multicast address cannot be an interface's");
    }
    if !matches!(NetworkMode::parse(network)?, NetworkMode::Named(_)) {
        bail!("conflicting options: mac-address and the network mode: only a user-defined network (`skiff network create`) gives containers a MAC address; the default network's eth0 has none");
    }
    Ok(octets
        .iter()
        .map(|o| format!("{o:02x}"))
        .collect::<Vec<_>>()
        .join(":"))
}

/// `--add-host NAME:IP` (also `NAME=IP`, and IPv6 addresses); `host-gateway` as the IP
/// (None here) means the host, as docker has it.
pub fn parse_add_host(entry: &str) -> Result<(String, Option<IpAddr>)> {
    let (name, ip) = entry
        .split_once('=')
        .or_else(|| entry.split_once(':'))
        .with_context(|| format!("invalid --add-host {entry:?}: use NAME:IP"))?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    if name.is_empty() {
        anyhow::bail!("invalid --add-host {entry:?}: the host name is empty");
    }
    if ip == "host-gateway" {
        return Ok((name.to_string(), None));
    }
    let ip = ip
        .parse()
        .with_context(|| format!("invalid --add-host {entry:?}: {ip:?} is not an IP address"))?;
    Ok((name.to_string(), Some(ip)))
}

/// docker's `host-gateway`: how the container reaches the host on its network.
fn host_gateway(mode: &NetworkMode) -> IpAddr {
    match mode {
        NetworkMode::UserMode(options) => host_address(options.allow_host_loopback),
        NetworkMode::Named(_) => host_address(false),
        _ => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
    }
}

/// Where `host.containers.internal` points: the gateway when it leads to the host's
/// loopback; else, as podman does, the host's first non-loopback address, which the
/// container reaches through the stack like any other; the gateway when there is none.
fn host_address(allow_host_loopback: bool) -> IpAddr {
    if !allow_host_loopback {
        if let Some(ip) = first_host_address() {
            return ip;
        }
    }
    IpAddr::V4(GATEWAY_IP)
}

fn first_host_address() -> Option<IpAddr> {
    nix::ifaddrs::getifaddrs()
        .ok()?
        .filter(|i| {
            !i.flags
                .contains(nix::net::if_::InterfaceFlags::IFF_LOOPBACK)
                && i.flags.contains(nix::net::if_::InterfaceFlags::IFF_UP)
        })
        .filter_map(|i| i.address?.as_sockaddr_in().map(|a| IpAddr::V4(a.ip())))
        .next()
}

/// The container's /etc/resolv.conf: the network's (the stack's DNS address on the
/// default network, the host's otherwise), with `--dns`, `--dns-search` and
/// `--dns-option` replacing its parts.
pub fn resolv_conf(store: &Store, opts: &RunOptions) -> String {
    let host = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let base = match mode(opts) {
        NetworkMode::Container(name) => shared_file(store, &name, "resolv.conf").unwrap_or(host),
        NetworkMode::UserMode(_) => dns::container_resolv_conf(&host, &[IpAddr::V4(DNS_IP)]),
        // Names on the network are answered by its holder, at the gateway.
        NetworkMode::Named(name) => match network::load(store, &name) {
            Ok(network) => dns::container_resolv_conf(&host, &[IpAddr::V4(network.gateway)]),
            Err(_) => host,
        },
        _ => host,
    };
    let servers: Vec<IpAddr> = opts.dns.iter().filter_map(|s| s.parse().ok()).collect();
    dns::with_overrides(&base, &servers, &opts.dns_search, &opts.dns_options)
}

#[cfg(test)]
mod mac_tests {
    use super::*;

    #[test]
    fn mac_addresses() {
        assert_eq!(
            mac_address("92:D0:C6:0A:29:33", "mynet").unwrap(),
            "92:d0:c6:0a:29:33"
        );
        assert_eq!(
            mac_address("2-0-c6-a-29-33", "mynet").unwrap(),
            "02:00:c6:0a:29:33"
        );
        for bad in [
            "92:d0:c6:0a:29",
            "92:d0:c6:0a:29:33:01",
            "zz:d0:c6:0a:29:33",
            "920:d0:c6:0a:29:3",
            "",
        ] {
            let error = mac_address(bad, "mynet").unwrap_err().to_string();
            assert!(
                error.contains("is not a valid mac address"),
                "{bad}: {error}"
            );
        }
        assert!(mac_address("01:00:5e:00:00:01", "mynet").is_err());
        for network in ["bridge", "host", "none", "container:web"] {
            let error = mac_address("92:d0:c6:0a:29:33", network)
                .unwrap_err()
                .to_string();
            assert!(
                error.starts_with("conflicting options: mac-address and the network mode"),
                "{error}"
            );
        }
    }
}

//! A container's network, as its record says: which namespace it gets, the files that
//! name its hosts and resolvers, and the user-mode stack its supervisor serves.

use super::options::RunOptions;
use super::{record, state};
use crate::image::store::Image;
use crate::net::mode::NetworkMode;
use crate::net::ports::{Bound, Forwarder};
use crate::net::publish::{self, PortMapping};
use crate::net::stack::{self, Stack};
use crate::net::{dns, CONTAINER_IP, DNS_IP, GATEWAY_IP};
use crate::runtime::Started;
use crate::store::Store;
use anyhow::{bail, Context, Result};
use std::net::IpAddr;
use std::os::fd::OwnedFd;

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
pub fn stack(opts: &RunOptions, started: &mut Started) -> Result<Option<Stack>> {
    let (NetworkMode::UserMode(options), Some(tun)) = (mode(opts), started.tun.take()) else {
        return Ok(None);
    };
    let config = stack::Config {
        mtu: options.mtu as usize,
        allow_host_loopback: options.allow_host_loopback,
        dns: dns::upstreams(),
    };
    Stack::new(tun, config)
        .map(Some)
        .context("cannot start the container's network")
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
            .collect();
        for mapping in publish::exposed(&exposed) {
            if !ports.iter().any(|p| p.key() == mapping.key()) {
                ports.push(mapping);
            }
        }
    }
    if !ports.is_empty() && !matches!(mode(opts), NetworkMode::UserMode(_)) {
        eprintln!(
            "WARNING: Published ports are discarded when using the {} network",
            opts.network
        );
        ports.clear();
    }
    Ok(ports)
}

/// Binds the host sockets of a container's published ports, before it starts.
pub fn bind_ports(ports: &[PortMapping]) -> Result<Option<Forwarder>> {
    if ports.is_empty() {
        return Ok(None);
    }
    Ok(Some(Forwarder::new(Bound::bind(ports)?)?))
}

/// For `--network container:NAME`: the pidfd of that container's pid 1, whose user and
/// network namespaces the container joins. It must be running.
pub fn join_target(store: &Store, opts: &RunOptions) -> Result<Option<OwnedFd>> {
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
    Ok(Some(pidfd))
}

/// For `--network container:NAME`: that container's /etc/hosts or /etc/resolv.conf, which
/// the joining container shares, as docker does.
fn shared_file(store: &Store, name: &str, file: &str) -> Option<String> {
    let id = record::resolve(store, name).ok()?;
    std::fs::read_to_string(record::dir(store, &id).join(file)).ok()
}

/// The container's /etc/hosts.
pub fn hosts_file(store: &Store, opts: &RunOptions, hostname: &str) -> String {
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
    if let NetworkMode::UserMode(options) = &mode {
        hosts.push_str(&format!("{CONTAINER_IP}\t{hostname}\n"));
        let host = host_address(options.allow_host_loopback);
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
        _ => host,
    };
    let servers: Vec<IpAddr> = opts.dns.iter().filter_map(|s| s.parse().ok()).collect();
    dns::with_overrides(&base, &servers, &opts.dns_search, &opts.dns_options)
}

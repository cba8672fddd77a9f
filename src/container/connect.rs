//! `network connect` and `network disconnect` of containers, running or not: the endpoint on
//! the network, and for a running container its interface there, made or removed at once.

use super::network::{mode, parse_mac};
use super::record::{self, ContainerRecord};
use super::state;
use crate::net::bridge::Attachment;
use crate::net::holder::{self, Anchor};
use crate::net::mode::NetworkMode;
use crate::net::network::{self, Endpoint, Network};
use crate::runtime::userns::{self, IdMappings};
use crate::store::Store;
use anyhow::{bail, Context, Result};
use std::net::Ipv4Addr;
use std::os::fd::OwnedFd;

/// `network connect`: a new endpoint for the container on the network, and, while it runs,
/// its interface there at once: a veth when it lives in the networks' user namespace (it was
/// started on a user-defined network), else a wire through the network's holder (skiff
/// cannot reach into a container's own user namespace and the network's at once); its next
/// start gives it a veth.
pub fn connect(
    store: &Store,
    maps: &IdMappings,
    network: &Network,
    container: &str,
    requested: Option<Ipv4Addr>,
    aliases: &[String],
) -> Result<()> {
    let id = record::resolve(store, container)?;
    let record = record::load(store, &id)?;
    if let NetworkMode::Host | NetworkMode::None | NetworkMode::Container(_) = mode(&record.options)
    {
        bail!(
            "container {} is on the {} network and cannot be connected to other networks",
            record.name,
            record.options.network
        );
    }
    if network::attachments(store, &id)?
        .iter()
        .any(|(n, _)| n.id == network.id)
    {
        bail!(
            "endpoint with name {} already exists in network {}",
            record.name,
            network.name
        );
    }
    let endpoint = network::allocate(store, network, &id, requested, None, aliases)?;
    let current = state::load(store, &id)?;
    if current.is_running() {
        if let Err(e) = attach_running(store, maps, network, &endpoint, &record, current.pid) {
            let _ = network::release(store, network, &id);
            return Err(e);
        }
    }
    emit(store, "connect", network, &id);
    Ok(())
}

/// docker's `network connect` and `disconnect` events.
fn emit(store: &Store, action: &str, network: &Network, container: &str) {
    crate::events::emit(
        store,
        "network",
        action,
        &network.id,
        &[
            ("container", container),
            ("name", &network.name),
            ("type", "bridge"),
        ],
    );
}

fn attach_running(
    store: &Store,
    maps: &IdMappings,
    network: &Network,
    endpoint: &Endpoint,
    record: &ContainerRecord,
    pid: i32,
) -> Result<()> {
    let anchor = holder::ensure(store, network)?;
    let attachment = Attachment {
        network_netns: anchor.netns()?,
        bridge: network.bridge_name(),
        ifname: String::new(),
        ip: endpoint.ip,
        prefix_len: network.prefix_len,
        gateway: network.gateway,
        mtu: network.mtu,
        mac: parse_mac(&endpoint.mac),
        default_route: false,
    };
    let in_container = |attachment: Attachment| Attachment {
        ifname: free_interface_name().unwrap_or_default(),
        ..attachment
    };
    if shares_userns(pid, &anchor)? {
        userns::run_in_container_network(maps, pid, || {
            crate::net::bridge::attach(&in_container(attachment))?;
            Ok(String::new())
        })?;
        return Ok(());
    }
    // A user namespace of its own: no veth can reach it, a wire through the holder does.
    let container_end = make_in(maps, pid, || {
        crate::net::bridge::tap_in_container(&in_container(attachment))
    })?;
    let network_end = make_in(maps, anchor.pid, || {
        crate::net::bridge::tap_on_bridge(&network.bridge_name(), network.mtu)
    })?;
    holder::wire(store, network, &record.id, [container_end, network_end])
}

/// Whether the process `pid` lives in the networks' user namespace (the anchor's).
fn shares_userns(pid: i32, anchor: &Anchor) -> Result<bool> {
    let own = std::fs::metadata(format!("/proc/{pid}/ns/user"))
        .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
        .context("the container is not running")?;
    Ok(own == anchor.userns_id()?)
}

/// A descriptor made by `make` in the user and network namespaces of `pid`.
fn make_in(maps: &IdMappings, pid: i32, make: impl FnOnce() -> Result<OwnedFd>) -> Result<OwnedFd> {
    let (ours, theirs) = crate::runtime::channel::pair()?;
    userns::run_in_container_network(maps, pid, || {
        let fd = make()?;
        crate::runtime::channel::send(&theirs, b"fd", Some(std::os::fd::AsRawFd::as_raw_fd(&fd)))?;
        Ok(String::new())
    })?;
    drop(theirs);
    crate::runtime::channel::receive(&ours)?
        .1
        .context("the descriptor did not arrive")
}

/// The first `ethN` not yet in the current network namespace.
fn free_interface_name() -> Result<String> {
    let taken = interface_names();
    Ok((0..)
        .map(|i| format!("eth{i}"))
        .find(|name| !taken.contains(name))
        .unwrap_or_default())
}

fn interface_names() -> Vec<String> {
    nix::ifaddrs::getifaddrs()
        .map(|list| list.map(|i| i.interface_name).collect())
        .unwrap_or_default()
}

/// `network disconnect`: the endpoint goes, and a running container's interface with it.
pub fn disconnect(
    store: &Store,
    maps: &IdMappings,
    network: &Network,
    container: &str,
) -> Result<()> {
    let id = record::resolve(store, container)?;
    let record = record::load(store, &id)?;
    let Some((_, endpoint)) = network::attachments(store, &id)?
        .into_iter()
        .find(|(n, _)| n.id == network.id)
    else {
        bail!(
            "container {} is not connected to network {}",
            record.name,
            network.name
        );
    };
    let current = state::load(store, &id)?;
    if current.is_running() {
        let anchor = holder::ensure(store, network)?;
        if shares_userns(current.pid, &anchor)? {
            userns::run_in_container_network(maps, current.pid, || {
                let name = interface_with(endpoint.ip).with_context(|| {
                    format!("the container has no interface on network {}", network.name)
                })?;
                crate::net::bridge::detach(&name)?;
                Ok(String::new())
            })?;
        } else {
            holder::unwire(store, network, &id)?;
        }
    }
    network::release(store, network, &id)?;
    emit(store, "disconnect", network, &id);
    Ok(())
}

/// The name of the interface that has `ip`, in the current network namespace.
fn interface_with(ip: Ipv4Addr) -> Option<String> {
    nix::ifaddrs::getifaddrs()
        .ok()?
        .find(|i| {
            i.address
                .and_then(|a| a.as_sockaddr_in().map(|s| s.ip()))
                .is_some_and(|a| a == ip)
        })
        .map(|i| i.interface_name)
}

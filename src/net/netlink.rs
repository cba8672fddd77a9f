//! User-defined networks through rtnetlink: a Linux bridge inside the network's own network
//! namespace, and per container a veth pair with one end on the bridge and the other as the
//! container's `ethN`. Everything happens inside user namespaces, where skiff is root but owns
//! no program like `ip`, so the requests are made here, synchronously, one at a time.
//!
//! A netlink socket acts on the network namespace it was created in, for its whole life;
//! [`in_netns`] opens one in another namespace.

// The runtime's user-defined networks are what use this; until they are wired in, only the
// tests do.
#![cfg_attr(not(test), allow(dead_code))]

use std::fs::File;
use std::io;
use std::net::Ipv4Addr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use anyhow::{anyhow, Context, Result};
use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL,
    NLM_F_REQUEST,
};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

/// A route netlink socket, acting on the network namespace that was current when it was opened.
pub struct Netlink {
    socket: Socket,
    sequence: u32,
}

impl Netlink {
    pub fn open() -> Result<Netlink> {
        let socket = Socket::new(NETLINK_ROUTE).context("cannot open a netlink socket")?;
        // Connected to the kernel, so replies from nothing else can arrive.
        socket
            .connect(&SocketAddr::new(0, 0))
            .context("cannot connect a netlink socket to the kernel")?;
        Ok(Netlink {
            socket,
            sequence: 0,
        })
    }

    /// The index of the network interface `name`, or None when there is none of that name.
    pub fn index_of(&mut self, name: &str) -> Result<Option<u32>> {
        let mut query = LinkMessage::default();
        query
            .attributes
            .push(LinkAttribute::IfName(name.to_string()));
        match self.request(RouteNetlinkMessage::GetLink(query), 0) {
            Ok(replies) => Ok(replies.iter().find_map(|reply| match reply {
                RouteNetlinkMessage::NewLink(link) => Some(link.header.index),
                _ => None,
            })),
            Err(e) if e.raw_os_error() == Some(libc::ENODEV) => Ok(None),
            Err(e) => {
                Err(e).with_context(|| format!("cannot look up the network interface {name}"))
            }
        }
    }

    /// Creates the bridge `name` (down) and returns its index.
    pub fn create_bridge(&mut self, name: &str, mtu: u32) -> Result<u32> {
        let bridge = new_link(name, mtu, vec![LinkInfo::Kind(InfoKind::Bridge)]);
        self.create_link(name, bridge, "the bridge")
    }

    /// A veth pair: `name` stays here, `peer` is created directly in the namespace behind
    /// `peer_netns` (an nsfs fd, e.g. /proc/PID/ns/net). Both ends are down; returns the index
    /// of `name`.
    pub fn create_veth(
        &mut self,
        name: &str,
        peer: &str,
        peer_netns: BorrowedFd,
        mtu: u32,
    ) -> Result<u32> {
        let mut peer_end = new_link(peer, mtu, Vec::new());
        peer_end
            .attributes
            .push(LinkAttribute::NetNsFd(peer_netns.as_raw_fd()));
        let pair = new_link(
            name,
            mtu,
            vec![
                LinkInfo::Kind(InfoKind::Veth),
                LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer_end))),
            ],
        );
        self.create_link(name, pair, "the veth pair")
    }

    /// Makes the interface `index` a port of the bridge `master`.
    pub fn set_master(&mut self, index: u32, master: u32) -> Result<()> {
        let result = self.change_link(index, |link| {
            link.attributes.push(LinkAttribute::Controller(master))
        });
        result.map_err(|e| {
            let (port, bridge) = (self.name_of(index), self.name_of(master));
            anyhow!(e).context(format!("cannot attach {port} to the bridge {bridge}"))
        })
    }

    pub fn set_up(&mut self, index: u32) -> Result<()> {
        let result = self.change_link(index, |link| {
            link.header.flags = LinkFlags::Up;
            link.header.change_mask = LinkFlags::Up;
        });
        result.map_err(|e| self.failed_on(index, |link| format!("cannot bring {link} up"), e))
    }

    pub fn set_down(&mut self, index: u32) -> Result<()> {
        let result = self.change_link(index, |link| link.header.change_mask = LinkFlags::Up);
        result.map_err(|e| self.failed_on(index, |link| format!("cannot bring {link} down"), e))
    }

    pub fn rename(&mut self, index: u32, name: &str) -> Result<()> {
        let result = self.change_link(index, |link| {
            link.attributes
                .push(LinkAttribute::IfName(name.to_string()))
        });
        result
            .map_err(|e| self.failed_on(index, |link| format!("cannot rename {link} to {name}"), e))
    }

    pub fn set_mac(&mut self, index: u32, mac: [u8; 6]) -> Result<()> {
        let result = self.change_link(index, |link| {
            link.attributes.push(LinkAttribute::Address(mac.to_vec()))
        });
        let what =
            |link: &str| format!("cannot set the MAC address of {link} to {}", mac_text(mac));
        result.map_err(|e| self.failed_on(index, what, e))
    }

    pub fn add_address(&mut self, index: u32, ip: Ipv4Addr, prefix_len: u8) -> Result<()> {
        let mut address = AddressMessage::default();
        address.header.family = AddressFamily::Inet;
        address.header.prefix_len = prefix_len;
        address.header.index = index;
        address.attributes = vec![
            AddressAttribute::Local(ip.into()),
            AddressAttribute::Address(ip.into()),
        ];
        let result = self.request(
            RouteNetlinkMessage::NewAddress(address),
            NLM_F_CREATE | NLM_F_EXCL,
        );
        let what = |link: &str| format!("cannot add the address {ip}/{prefix_len} to {link}");
        result.map(drop).map_err(|e| self.failed_on(index, what, e))
    }

    /// The default route via `gateway`, which must be on a connected subnet.
    pub fn add_default_route(&mut self, gateway: Ipv4Addr) -> Result<()> {
        let mut route = RouteMessage::default();
        route.header.address_family = AddressFamily::Inet;
        route.header.table = RouteHeader::RT_TABLE_MAIN;
        route.header.protocol = RouteProtocol::Boot;
        route.header.scope = RouteScope::Universe;
        route.header.kind = RouteType::Unicast;
        route
            .attributes
            .push(RouteAttribute::Gateway(RouteAddress::Inet(gateway)));
        self.request(
            RouteNetlinkMessage::NewRoute(route),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .with_context(|| format!("cannot add the default route via {gateway}"))?;
        Ok(())
    }

    /// Deletes the interface `index` (for a veth, both ends).
    pub fn delete_link(&mut self, index: u32) -> Result<()> {
        let mut link = LinkMessage::default();
        link.header.index = index;
        let result = self.request(RouteNetlinkMessage::DelLink(link), 0);
        let what = |link: &str| format!("cannot delete {link}");
        result.map(drop).map_err(|e| self.failed_on(index, what, e))
    }

    /// Creates the link `name` and returns its index, which the kernel does not report.
    fn create_link(&mut self, name: &str, link: LinkMessage, what: &str) -> Result<u32> {
        self.request(
            RouteNetlinkMessage::NewLink(link),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .with_context(|| format!("cannot create {what} {name}"))?;
        self.index_of(name)?
            .with_context(|| format!("{what} {name} vanished right after its creation"))
    }

    fn change_link(&mut self, index: u32, change: impl FnOnce(&mut LinkMessage)) -> io::Result<()> {
        let mut link = LinkMessage::default();
        link.header.index = index;
        change(&mut link);
        self.request(RouteNetlinkMessage::SetLink(link), 0)
            .map(drop)
    }

    /// The error `e` of an operation on the interface `index`, which `what` tells given the
    /// interface's name.
    fn failed_on(
        &mut self,
        index: u32,
        what: impl FnOnce(&str) -> String,
        e: io::Error,
    ) -> anyhow::Error {
        let link = self.name_of(index);
        anyhow!(e).context(what(&link))
    }

    /// The name of the interface `index`, for messages; "the network interface with index N"
    /// when it has none (any longer).
    fn name_of(&mut self, index: u32) -> String {
        let mut query = LinkMessage::default();
        query.header.index = index;
        let name = self
            .request(RouteNetlinkMessage::GetLink(query), 0)
            .ok()
            .into_iter()
            .flatten()
            .find_map(|reply| match reply {
                RouteNetlinkMessage::NewLink(link) => {
                    link.attributes
                        .into_iter()
                        .find_map(|attribute| match attribute {
                            LinkAttribute::IfName(name) => Some(name),
                            _ => None,
                        })
                }
                _ => None,
            });
        name.unwrap_or_else(|| format!("the network interface with index {index}"))
    }

    /// Sends one request and collects the replies up to the kernel's acknowledgement, which
    /// carries the request's errno when it failed.
    fn request(
        &mut self,
        message: RouteNetlinkMessage,
        flags: u16,
    ) -> io::Result<Vec<RouteNetlinkMessage>> {
        self.sequence = self.sequence.wrapping_add(1);
        let mut header = NetlinkHeader::default();
        header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
        header.sequence_number = self.sequence;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(message));
        packet.finalize();
        let mut bytes = vec![0; packet.buffer_len()];
        packet.serialize(&mut bytes);
        self.socket.send(&bytes, 0)?;
        let mut replies = Vec::new();
        loop {
            let (datagram, _) = self.socket.recv_from_full()?;
            let mut rest = &datagram[..];
            while !rest.is_empty() {
                let reply = NetlinkMessage::<RouteNetlinkMessage>::deserialize(rest)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                // Messages in a datagram are aligned to 4 bytes.
                let length = (reply.header.length as usize).next_multiple_of(4);
                rest = &rest[length.min(rest.len())..];
                if reply.header.sequence_number != self.sequence {
                    continue;
                }
                match reply.payload {
                    NetlinkPayload::Error(error) if error.code.is_some() => {
                        return Err(error.to_io())
                    }
                    NetlinkPayload::Error(_) | NetlinkPayload::Done(_) => return Ok(replies),
                    NetlinkPayload::InnerMessage(message) => replies.push(message),
                    _ => {}
                }
            }
        }
    }
}

/// A link to create: named, with its MTU and kind.
fn new_link(name: &str, mtu: u32, info: Vec<LinkInfo>) -> LinkMessage {
    let mut link = LinkMessage::default();
    link.attributes = vec![
        LinkAttribute::IfName(name.to_string()),
        LinkAttribute::Mtu(mtu),
    ];
    if !info.is_empty() {
        link.attributes.push(LinkAttribute::LinkInfo(info));
    }
    link
}

fn mac_text(mac: [u8; 6]) -> String {
    let octets: Vec<String> = mac.iter().map(|octet| format!("{octet:02x}")).collect();
    octets.join(":")
}

/// Runs `f` with the calling thread in the network namespace `netns`, then returns to the one
/// it was in (both must be owned by a user namespace where the caller has CAP_SYS_ADMIN). For
/// opening a [`Netlink`] or a socket inside a network's namespace.
pub fn in_netns<T>(netns: BorrowedFd, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let _return = ReturnToNetns(current_netns()?);
    nix::sched::setns(netns, nix::sched::CloneFlags::CLONE_NEWNET)
        .context("cannot enter the network's namespace")?;
    f()
}

/// Takes the thread back to its network namespace when dropped, even when unwinding.
struct ReturnToNetns(File);

impl Drop for ReturnToNetns {
    fn drop(&mut self) {
        // Going on in the wrong namespace would put whatever follows in the wrong place.
        if let Err(e) = nix::sched::setns(self.0.as_fd(), nix::sched::CloneFlags::CLONE_NEWNET) {
            panic!("cannot return to the original network namespace: {e}");
        }
    }
}

/// The calling thread's network namespace.
fn current_netns() -> Result<File> {
    File::open("/proc/thread-self/ns/net").context("cannot open the current network namespace")
}

/// Inside the network's namespace (the current one): bridge `name` with `gateway/prefix_len`,
/// up; `lo` up; IPv4 forwarding on.
pub fn setup_bridge(name: &str, gateway: Ipv4Addr, prefix_len: u8, mtu: u32) -> Result<()> {
    let mut netlink = Netlink::open()?;
    let bridge = netlink.create_bridge(name, mtu)?;
    netlink.add_address(bridge, gateway, prefix_len)?;
    netlink.set_up(bridge)?;
    let lo = netlink
        .index_of("lo")?
        .context("the network's namespace has no loopback interface")?;
    netlink.set_up(lo)?;
    // Per network namespace; the containers' traffic to elsewhere is routed through here.
    std::fs::write("/proc/sys/net/ipv4/ip_forward", "1")
        .context("cannot turn on IPv4 forwarding in the network's namespace")
}

/// A container's place on a user-defined network.
pub struct Attachment {
    /// The network's namespace, where its bridge is.
    pub network_netns: OwnedFd,
    pub bridge: String,
    /// The container's name of its end (eth0, eth1, ...).
    pub ifname: String,
    pub ip: Ipv4Addr,
    pub prefix_len: u8,
    pub gateway: Ipv4Addr,
    pub mtu: u32,
    pub mac: [u8; 6],
    /// Whether the container's default route goes through this network.
    pub default_route: bool,
}

/// Called from inside the container's network namespace (current): creates the veth pair with
/// its host end (named "veth" + 8 random hex) in the network's namespace on the bridge, up; the
/// container end becomes `ifname` with the address, mac and mtu, up, and the default route via
/// the gateway when `default_route`. On failure, the pair is removed again.
pub fn attach(attachment: &Attachment) -> Result<()> {
    let container_netns = current_netns()?;
    let mut network = in_netns(attachment.network_netns.as_fd(), Netlink::open)?;
    // Random names keep containers that attach at the same time apart, as the host ends share
    // the network's namespace; the container end is renamed to `ifname` from the container's
    // side, so that a taken name there is reported as such.
    let suffix = crate::store::random_hex(4);
    let host_end = format!("veth{suffix}");
    let temporary = format!("new{suffix}");
    let host_index = network.create_veth(
        &host_end,
        &temporary,
        container_netns.as_fd(),
        attachment.mtu,
    )?;
    let configured = plug_into_bridge(&mut network, host_index, &attachment.bridge)
        .and_then(|()| configure_container_end(&temporary, attachment));
    if configured.is_err() {
        // The first error is the one to report; the cleanup's own would only hide it.
        let _ = network.delete_link(host_index);
    }
    configured
}

fn plug_into_bridge(network: &mut Netlink, index: u32, bridge: &str) -> Result<()> {
    let bridge = network
        .index_of(bridge)?
        .with_context(|| format!("the network's bridge {bridge} does not exist"))?;
    network.set_master(index, bridge)?;
    network.set_up(index)
}

/// Turns the container end, still under its temporary name, into the configured interface.
fn configure_container_end(temporary: &str, attachment: &Attachment) -> Result<()> {
    let mut container = Netlink::open()?;
    let index = container
        .index_of(temporary)?
        .with_context(|| format!("the new network interface {temporary} did not arrive"))?;
    container.rename(index, &attachment.ifname)?;
    container.set_mac(index, attachment.mac)?;
    container.add_address(index, attachment.ip, attachment.prefix_len)?;
    container.set_up(index)?;
    if attachment.default_route {
        container.add_default_route(attachment.gateway)?;
    }
    Ok(())
}

/// Removes the container's interface `ifname` (the veth pair goes with it).
pub fn detach(ifname: &str) -> Result<()> {
    let mut netlink = Netlink::open()?;
    let index = netlink
        .index_of(ifname)?
        .with_context(|| format!("the container has no network interface {ifname}"))?;
    netlink.delete_link(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::ensure;
    use netlink_packet_route::link::State;
    use nix::sched::CloneFlags;
    use std::net::UdpSocket;
    use std::time::Duration;

    const BRIDGE: &str = "skiff0";
    const GATEWAY: Ipv4Addr = Ipv4Addr::new(10, 89, 7, 1);
    const PREFIX_LEN: u8 = 24;
    const MTU: u32 = 1400;
    /// The exit status of a child that found user namespaces disabled.
    const SKIPPED: i32 = 77;

    #[test]
    fn attached_container_reaches_the_gateway_and_detaches() {
        in_user_namespace(|| {
            let network = network_with_bridge()?;
            let ip = Ipv4Addr::new(10, 89, 7, 2);
            let mac = [0x02, 0x42, 0x0a, 0x59, 0x07, 0x02];
            attach(&attachment(&network, "eth0", ip, mac)?)?;

            let attributes = link_attributes("eth0")?;
            ensure!(
                attributes.contains(&LinkAttribute::Mtu(MTU)),
                "eth0 lacks the MTU {MTU}: {attributes:?}"
            );
            // A veth is operationally up only when both its ends are.
            ensure!(
                attributes.contains(&LinkAttribute::OperState(State::Up)),
                "eth0 is not up: {attributes:?}"
            );
            let forwarding = in_netns(network.as_fd(), || {
                Ok(std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward")?)
            })?;
            ensure!(forwarding.trim() == "1", "the network does not forward");
            let from = send_to_gateway(&network)?;
            ensure!(
                from == ip,
                "the gateway got the packet from {from}, not {ip}"
            );
            // The gateway's neighbour entry tells which MAC address the packet came from.
            let arp = in_netns(network.as_fd(), || {
                Ok(std::fs::read_to_string("/proc/thread-self/net/arp")?)
            })?;
            ensure!(
                arp.lines().any(
                    |line| line.starts_with(&format!("{ip} ")) && line.contains(&mac_text(mac))
                ),
                "the gateway does not know {ip} at {}: {arp}",
                mac_text(mac)
            );
            // Connecting a UDP socket only looks up the route: no packet leaves.
            let probe = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
            probe
                .connect((Ipv4Addr::new(192, 0, 2, 1), 9))
                .context("the container has no default route")?;
            ensure!(
                probe.local_addr()?.ip() == ip,
                "the default route does not use {ip}"
            );

            let mut netlink = Netlink::open()?;
            let eth0 = netlink.index_of("eth0")?.context("eth0 is gone")?;
            netlink.set_down(eth0)?;
            let attributes = link_attributes("eth0")?;
            ensure!(
                attributes.contains(&LinkAttribute::OperState(State::Down)),
                "eth0 is not down: {attributes:?}"
            );

            detach("eth0")?;
            ensure!(
                Netlink::open()?.index_of("eth0")?.is_none(),
                "eth0 is still there"
            );
            let devices = in_netns(network.as_fd(), || {
                Ok(std::fs::read_to_string("/proc/thread-self/net/dev")?)
            })?;
            ensure!(
                !devices.contains("veth"),
                "a veth is left behind: {devices}"
            );
            Ok(())
        });
    }

    #[test]
    fn two_containers_attaching_at_once_reach_each_other() {
        in_user_namespace(|| {
            let network = network_with_bridge()?;
            let (first_ip, second_ip) = (Ipv4Addr::new(10, 89, 7, 2), Ipv4Addr::new(10, 89, 7, 3));
            let first = (
                OwnedFd::from(current_netns()?),
                attachment(&network, "eth0", first_ip, [2, 0, 0, 0, 0, 2])?,
            );
            let second = (
                new_netns()?,
                attachment(&network, "eth0", second_ip, [2, 0, 0, 0, 0, 3])?,
            );
            std::thread::scope(|scope| {
                let attaching = [&first, &second].map(|(netns, attachment)| {
                    scope.spawn(move || in_netns(netns.as_fd(), || attach(attachment)))
                });
                attaching
                    .into_iter()
                    .try_for_each(|thread| thread.join().expect("attaching panicked"))
            })?;
            let receiver = in_netns(second.0.as_fd(), || Ok(UdpSocket::bind((second_ip, 0))?))?;
            let from = send_to(&receiver)?;
            ensure!(
                from == first_ip,
                "the packet came from {from}, not {first_ip}"
            );
            Ok(())
        });
    }

    #[test]
    fn failures_name_what_failed_and_leave_nothing_behind() {
        in_user_namespace(|| {
            let network = network_with_bridge()?;
            let error = in_netns(network.as_fd(), || {
                Netlink::open()?.create_bridge(BRIDGE, MTU)
            })
            .expect_err("a second bridge of the same name");
            let text = format!("{error:#}");
            ensure!(
                text == format!("cannot create the bridge {BRIDGE}: File exists (os error 17)"),
                "unexpected error: {text}"
            );

            let mut netlink = Netlink::open()?;
            let bridge = netlink.create_bridge("extra", MTU)?;
            let text = format!(
                "{:#}",
                netlink.rename(bridge, "lo").expect_err("a taken name")
            );
            ensure!(
                text == "cannot rename extra to lo: File exists (os error 17)",
                "unexpected error: {text}"
            );

            let mut wrong = attachment(&network, "eth0", Ipv4Addr::new(10, 89, 7, 2), [2; 6])?;
            wrong.bridge = "nosuch".to_string();
            let text = format!("{:#}", attach(&wrong).expect_err("attaching to no bridge"));
            ensure!(
                text == "the network's bridge nosuch does not exist",
                "unexpected error: {text}"
            );
            let devices = in_netns(network.as_fd(), || {
                Ok(std::fs::read_to_string("/proc/thread-self/net/dev")?)
            })?;
            ensure!(
                !devices.contains("veth"),
                "a veth is left behind: {devices}"
            );
            ensure!(
                Netlink::open()?.index_of("eth0")?.is_none(),
                "eth0 is left behind"
            );
            Ok(())
        });
    }

    /// A network namespace of its own with the bridge set up; the thread stays where it was.
    fn network_with_bridge() -> Result<OwnedFd> {
        let network = new_netns()?;
        in_netns(network.as_fd(), || {
            setup_bridge(BRIDGE, GATEWAY, PREFIX_LEN, MTU)
        })?;
        Ok(network)
    }

    fn attachment(
        network: &OwnedFd,
        ifname: &str,
        ip: Ipv4Addr,
        mac: [u8; 6],
    ) -> Result<Attachment> {
        Ok(Attachment {
            network_netns: network.try_clone()?,
            bridge: BRIDGE.to_string(),
            ifname: ifname.to_string(),
            ip,
            prefix_len: PREFIX_LEN,
            gateway: GATEWAY,
            mtu: MTU,
            mac,
            default_route: true,
        })
    }

    /// A new network namespace, in the current user namespace; the thread stays where it was.
    fn new_netns() -> Result<OwnedFd> {
        let current = current_netns()?;
        nix::sched::unshare(CloneFlags::CLONE_NEWNET).context("cannot make a network namespace")?;
        let new = current_netns()?;
        nix::sched::setns(current.as_fd(), CloneFlags::CLONE_NEWNET)?;
        Ok(new.into())
    }

    /// Sends a datagram from here to a socket on the gateway's address, and returns the
    /// source address it arrived from.
    fn send_to_gateway(network: &OwnedFd) -> Result<Ipv4Addr> {
        let receiver = in_netns(network.as_fd(), || Ok(UdpSocket::bind((GATEWAY, 0))?))?;
        send_to(&receiver)
    }

    /// Sends a datagram from here to `receiver` and returns the source address it arrived from.
    fn send_to(receiver: &UdpSocket) -> Result<Ipv4Addr> {
        receiver.set_read_timeout(Some(Duration::from_secs(5)))?;
        let sender = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
        sender
            .send_to(b"skiff", receiver.local_addr()?)
            .context("cannot send")?;
        let mut buffer = [0; 16];
        let (length, from) = receiver.recv_from(&mut buffer).context("nothing arrived")?;
        ensure!(
            &buffer[..length] == b"skiff",
            "a different datagram arrived"
        );
        match from.ip() {
            std::net::IpAddr::V4(ip) => Ok(ip),
            other => Err(anyhow!("the datagram came from {other}")),
        }
    }

    /// What the kernel reports about the interface `name` here.
    fn link_attributes(name: &str) -> Result<Vec<LinkAttribute>> {
        let mut query = LinkMessage::default();
        query
            .attributes
            .push(LinkAttribute::IfName(name.to_string()));
        let replies = Netlink::open()?.request(RouteNetlinkMessage::GetLink(query), 0)?;
        replies
            .into_iter()
            .find_map(|reply| match reply {
                RouteNetlinkMessage::NewLink(link) => Some(link.attributes),
                _ => None,
            })
            .context("no such link")
    }

    /// Runs `scenario` in a forked child that is root in a user namespace of its own (so it
    /// has no privilege elsewhere, even when the tests run as root), in a network namespace of
    /// that user namespace. The child's error comes back through a pipe.
    fn in_user_namespace(scenario: fn() -> Result<()>) {
        let (uid, gid) = (nix::unistd::getuid(), nix::unistd::getgid());
        let host_netns = current_netns().unwrap();
        let (report, write_end) = nix::unistd::pipe().unwrap();
        // SAFETY: the child only runs this test's code and leaves through _exit.
        let child = match unsafe { nix::unistd::fork() }.unwrap() {
            nix::unistd::ForkResult::Child => {
                drop(report);
                let (status, text) = run_child(uid, gid, &host_netns, scenario);
                let _ = nix::unistd::write(&write_end, text.as_bytes());
                unsafe { libc::_exit(status) }
            }
            nix::unistd::ForkResult::Parent { child } => child,
        };
        drop(write_end);
        let mut text = String::new();
        io::Read::read_to_string(&mut File::from(report), &mut text).unwrap();
        let status = nix::sys::wait::waitpid(child, None).unwrap();
        match status {
            nix::sys::wait::WaitStatus::Exited(_, 0) => {}
            nix::sys::wait::WaitStatus::Exited(_, SKIPPED) => eprintln!("skipped: {text}"),
            other => panic!("the child ended with {other:?}: {text}"),
        }
    }

    /// The child's exit status and what it has to say.
    fn run_child(
        uid: nix::unistd::Uid,
        gid: nix::unistd::Gid,
        host_netns: &File,
        scenario: fn() -> Result<()>,
    ) -> (i32, String) {
        if let Err(e) = nix::sched::unshare(CloneFlags::CLONE_NEWUSER) {
            return (SKIPPED, format!("user namespaces are disabled here: {e}"));
        }
        let outcome = std::panic::catch_unwind(|| {
            become_root(uid, gid)?;
            ensure!(
                nix::sched::setns(host_netns.as_fd(), CloneFlags::CLONE_NEWNET)
                    == Err(nix::errno::Errno::EPERM),
                "the child can still enter the host's network namespace"
            );
            nix::sched::unshare(CloneFlags::CLONE_NEWNET)
                .context("cannot make the container's network namespace")?;
            scenario()
        });
        match outcome {
            Ok(Ok(())) => (0, String::new()),
            Ok(Err(e)) => (1, format!("{e:#}")),
            Err(_) => (2, "the scenario panicked".to_string()),
        }
    }

    fn become_root(uid: nix::unistd::Uid, gid: nix::unistd::Gid) -> Result<()> {
        std::fs::write("/proc/self/setgroups", "deny").context("cannot write setgroups")?;
        std::fs::write("/proc/self/uid_map", format!("0 {uid} 1"))
            .context("cannot write uid_map")?;
        std::fs::write("/proc/self/gid_map", format!("0 {gid} 1")).context("cannot write gid_map")
    }
}

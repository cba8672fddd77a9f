//! Network interfaces through rtnetlink, for user-defined networks (`bridge` builds them from
//! these steps). Everything happens inside user namespaces, where skiff is root but has no
//! program like `ip`, so the requests are made here, synchronously, one at a time.
//!
//! A netlink socket acts on the network namespace it was created in, for its whole life;
//! [`in_netns`] opens one in another namespace.

use std::fs::File;
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

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
use netlink_packet_route::rule::{RuleAction, RuleAttribute, RuleMessage, RulePortRange};
use netlink_packet_route::{AddressFamily, IpProtocol, RouteNetlinkMessage};
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

    #[cfg(test)]
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

    pub fn set_mtu(&mut self, index: u32, mtu: u32) -> Result<()> {
        let result = self.change_link(index, |link| link.attributes.push(LinkAttribute::Mtu(mtu)));
        result.map_err(|e| self.failed_on(index, |link| format!("cannot set the MTU of {link}"), e))
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
        self.add_route(
            RouteType::Unicast,
            RouteScope::Universe,
            vec![RouteAttribute::Gateway(RouteAddress::Inet(gateway))],
        )
        .with_context(|| format!("cannot add the default route via {gateway}"))
    }

    /// Adds a route to every destination (0.0.0.0/0) in the main table unless `attributes`
    /// name another.
    fn add_route(
        &mut self,
        kind: RouteType,
        scope: RouteScope,
        attributes: Vec<RouteAttribute>,
    ) -> io::Result<()> {
        let mut route = RouteMessage::default();
        route.header.address_family = AddressFamily::Inet;
        route.header.table = RouteHeader::RT_TABLE_MAIN;
        route.header.protocol = RouteProtocol::Boot;
        route.header.scope = scope;
        route.header.kind = kind;
        route.attributes = attributes;
        self.request(
            RouteNetlinkMessage::NewRoute(route),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .map(drop)
    }

    /// In routing table `table`, every destination is this host (a "local" default route on
    /// `lo`, with `source` as the address to send from): what the rule of
    /// [`Netlink::add_port_rule`] sends there comes back in.
    pub fn add_local_default_route(&mut self, table: u32, source: Ipv4Addr) -> Result<()> {
        let lo = self
            .index_of("lo")?
            .context("the network namespace has no lo")?;
        self.add_route(
            RouteType::Local,
            RouteScope::Host,
            vec![
                RouteAttribute::Oif(lo),
                RouteAttribute::Table(table),
                RouteAttribute::PrefSource(RouteAddress::Inet(source)),
            ],
        )
        .with_context(|| format!("cannot add the local default route of table {table}"))
    }

    /// A policy rule of priority `priority`: what leaves local port `port` (TCP or UDP, as
    /// `protocol`), for `to` alone when given, is routed by table `table`. No source address
    /// in it: a socket bound to 0.0.0.0 is routed before its source is known.
    pub fn add_port_rule(
        &mut self,
        priority: u32,
        protocol: IpProtocol,
        port: u16,
        to: Option<Ipv4Addr>,
        table: u32,
    ) -> Result<()> {
        let mut rule = RuleMessage::default();
        rule.header.family = AddressFamily::Inet;
        rule.header.action = RuleAction::ToTable;
        rule.attributes = vec![
            RuleAttribute::Priority(priority),
            RuleAttribute::IpProtocol(protocol),
            RuleAttribute::SourcePortRange(RulePortRange {
                start: port,
                end: port,
            }),
            RuleAttribute::Table(table),
        ];
        if let Some(to) = to {
            rule.header.dst_len = 32;
            rule.attributes
                .push(RuleAttribute::Destination(IpAddr::V4(to)));
        }
        self.add_rule(rule)
            .with_context(|| format!("cannot add the routing rule for port {port}"))
    }

    /// A policy rule of priority `priority`: what the main table routes to an attached
    /// subnet (any route but the default one) goes by the main table.
    pub fn add_attached_subnets_rule(&mut self, priority: u32) -> Result<()> {
        let mut rule = RuleMessage::default();
        rule.header.family = AddressFamily::Inet;
        rule.header.action = RuleAction::ToTable;
        rule.attributes = vec![
            RuleAttribute::Priority(priority),
            RuleAttribute::Table(RouteHeader::RT_TABLE_MAIN as u32),
            RuleAttribute::SuppressPrefixLen(0),
        ];
        self.add_rule(rule)
            .context("cannot add the routing rule for attached subnets")
    }

    fn add_rule(&mut self, rule: RuleMessage) -> io::Result<()> {
        self.request(
            RouteNetlinkMessage::NewRule(rule),
            NLM_F_CREATE | NLM_F_EXCL,
        )
        .map(drop)
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

/// What tests look at.
#[cfg(test)]
impl Netlink {
    /// What the kernel reports about the interface `name`.
    pub(super) fn attributes_of(&mut self, name: &str) -> Result<Vec<LinkAttribute>> {
        let mut query = LinkMessage::default();
        query
            .attributes
            .push(LinkAttribute::IfName(name.to_string()));
        let replies = self.request(RouteNetlinkMessage::GetLink(query), 0)?;
        replies
            .into_iter()
            .find_map(|reply| match reply {
                RouteNetlinkMessage::NewLink(link) => Some(link.attributes),
                _ => None,
            })
            .with_context(|| format!("no network interface {name}"))
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

pub(super) fn mac_text(mac: [u8; 6]) -> String {
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
pub(super) fn current_netns() -> Result<File> {
    File::open("/proc/thread-self/ns/net").context("cannot open the current network namespace")
}

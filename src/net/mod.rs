//! Container networking. The default network is slirp-style and built in: the container's
//! namespace gets a TUN device `eth0` (`device`, created by the container's first process),
//! and its supervisor serves it with a user-mode TCP/IP stack (`stack`, with `tcp`, `udp`
//! and smoltcp's view of the TUN in `tun`) that turns the container's flows into ordinary
//! host sockets; DNS goes to the host's resolvers (`dns`). Published ports (`publish` reads
//! `-p`) are host sockets whose connections the supervisor continues through sockets it
//! makes inside the container's namespace (`netns`) and splices (`ports`). `mode` reads
//! `--network`; `network` keeps the user-defined networks and their addresses.

pub mod bridge;
pub mod device;
pub mod dns;
pub mod holder;
pub mod mode;
pub mod names;
pub mod netlink;
mod netns;
pub mod network;
pub mod ports;
pub mod publish;
pub mod stack;
mod tcp;
mod tun;
mod udp;
mod wire;

use std::net::Ipv4Addr;

/// The container's address on the default network, as slirp4netns users know it.
pub const CONTAINER_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 100);
/// The gateway, played by the stack; the host's loopback when allowed.
pub const GATEWAY_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 2);
/// Where the container sends DNS queries; the stack forwards them to the host's resolvers.
pub const DNS_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 3);
/// The length of the default network's prefix (10.0.2.0/24).
pub const PREFIX_LEN: u8 = 24;

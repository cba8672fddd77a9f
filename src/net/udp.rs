//! UDP on the default network, without smoltcp: each flow of the container (its address
//! and port, and the address it sends to) gets a connected host socket; datagrams go out
//! through it, and replies come back as IP packets from the address the container wrote to.
//! Flows expire when idle, and their number is capped, so a container sending to many
//! addresses cannot make the supervisor grow without bound.

use super::tun::{checksums, Tun};
use smoltcp::wire::{
    Icmpv4Packet, Icmpv4Repr, IpAddress, IpProtocol, Ipv4Packet, Ipv4Repr, UdpPacket, UdpRepr,
};
use std::net::{SocketAddr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

/// At most this many UDP flows at once; a new one evicts the least recently used.
pub const MAX_FLOWS: usize = 256;
/// A flow unused this long is closed.
const IDLE: Duration = Duration::from_secs(60);
/// DNS answers come at once or not at all.
const IDLE_DNS: Duration = Duration::from_secs(10);

const IPV4_HEADER: usize = 20;
const UDP_HEADER: usize = 8;

/// The container's side of a flow: its own endpoint and the one it sent to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Key {
    pub guest: SocketAddrV4,
    pub addressed: SocketAddrV4,
}

pub struct Flow {
    pub key: Key,
    pub socket: UdpSocket,
    last_used: Instant,
    idle_limit: Duration,
}

impl Flow {
    pub fn open(key: Key, target: SocketAddr) -> std::io::Result<Flow> {
        let local: SocketAddr = if target.is_ipv4() {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local)?;
        socket.connect(target)?;
        socket.set_nonblocking(true)?;
        Ok(Flow {
            key,
            socket,
            last_used: Instant::now(),
            idle_limit: if key.addressed.port() == 53 {
                IDLE_DNS
            } else {
                IDLE
            },
        })
    }

    /// Sends one datagram of the container's to the host side.
    pub fn send(&mut self, payload: &[u8]) {
        self.last_used = Instant::now();
        // Lost like any datagram when the host refuses it.
        let _ = self.socket.send(payload);
    }

    /// Passes every waiting reply to the container.
    pub fn deliver_replies(&mut self, tun: &mut Tun, mtu: usize, buf: &mut [u8]) {
        loop {
            match self.socket.recv(buf) {
                Ok(n) => {
                    self.last_used = Instant::now();
                    send_datagram(tun, mtu, self.key.addressed, self.key.guest, &buf[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                // An ICMP error from the host side (refused port): nothing to deliver.
                Err(_) => return,
            }
        }
    }

    pub fn expired(&self, now: Instant) -> bool {
        now.duration_since(self.last_used) >= self.idle_limit
    }

    pub fn last_used(&self) -> Instant {
        self.last_used
    }
}

/// Writes one UDP datagram `from` → `to` into the container, if it fits its MTU.
pub fn send_datagram(tun: &mut Tun, mtu: usize, from: SocketAddrV4, to: SocketAddrV4, data: &[u8]) {
    let len = IPV4_HEADER + UDP_HEADER + data.len();
    if len > mtu {
        return;
    }
    let (src, dst) = (*from.ip(), *to.ip());
    let ip = Ipv4Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Udp,
        payload_len: UDP_HEADER + data.len(),
        hop_limit: 64,
    };
    let udp = UdpRepr {
        src_port: from.port(),
        dst_port: to.port(),
    };
    tun.send(len, |buf| {
        let caps = checksums();
        let mut packet = Ipv4Packet::new_unchecked(&mut *buf);
        ip.emit(&mut packet, &caps);
        let mut datagram = UdpPacket::new_unchecked(packet.payload_mut());
        udp.emit(
            &mut datagram,
            &IpAddress::Ipv4(src),
            &IpAddress::Ipv4(dst),
            data.len(),
            |payload| payload.copy_from_slice(data),
            &caps,
        );
    });
}

/// Answers an ICMP echo request addressed to one of the stack's own addresses.
pub fn answer_echo(tun: &mut Tun, ip: &Ipv4Repr, icmp_bytes: &[u8]) {
    let caps = checksums();
    let Ok(packet) = Icmpv4Packet::new_checked(icmp_bytes) else {
        return;
    };
    let Ok(Icmpv4Repr::EchoRequest {
        ident,
        seq_no,
        data,
    }) = Icmpv4Repr::parse(&packet, &caps)
    else {
        return;
    };
    let reply = Icmpv4Repr::EchoReply {
        ident,
        seq_no,
        data,
    };
    let reply_ip = Ipv4Repr {
        src_addr: ip.dst_addr,
        dst_addr: ip.src_addr,
        next_header: IpProtocol::Icmp,
        payload_len: reply.buffer_len(),
        hop_limit: 64,
    };
    tun.send(IPV4_HEADER + reply.buffer_len(), |buf| {
        let mut packet = Ipv4Packet::new_unchecked(&mut *buf);
        reply_ip.emit(&mut packet, &caps);
        reply.emit(
            &mut Icmpv4Packet::new_unchecked(packet.payload_mut()),
            &caps,
        );
    });
}

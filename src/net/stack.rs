//! The user-mode TCP/IP stack the supervisor runs for a container on the default network
//! (what slirp4netns does as a separate program). It reads the container's IP packets from
//! its TUN `eth0` and turns them into ordinary, non-blocking host sockets:
//! - TCP through smoltcp (`tcp`): every destination is accepted (smoltcp's "any IP"), each
//!   connection gets its smoltcp socket once the host connection is made;
//! - UDP by hand (`udp`), a connected host socket per flow;
//! - DNS to 10.0.2.3 is UDP/TCP to the host's resolvers (`dns`);
//! - ICMP echo to the gateway and DNS addresses is answered here.
//!
//! Everything runs in the supervisor's poll loop: the stack owns an epoll descriptor that
//! the loop waits on ([`Stack::fd`]), [`Stack::process`] does the work that is ready, and
//! [`Stack::timeout`] says when smoltcp's timers need it next. Nothing is allocated for an
//! idle container beyond the interface itself; flows and their buffers are capped.

use super::tcp::{self, Interest};
use super::tun::{Read, Tun};
use super::udp;
use super::{DNS_IP, GATEWAY_IP, PREFIX_LEN};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use smoltcp::iface::{Config as IfaceConfig, Interface, SocketSet};
use smoltcp::socket::tcp::Socket as TcpSocket;
use smoltcp::wire::{
    HardwareAddress, IpAddress, IpCidr, IpProtocol, Ipv4Address, Ipv4Packet, Ipv4Repr, TcpPacket,
    UdpPacket,
};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

/// The addresses of a name known locally (empty when it is not).
pub type NameLookup = Box<dyn FnMut(&str) -> Vec<Ipv4Addr>>;

/// How the stack treats the container's traffic.
#[derive(Debug, Clone)]
pub struct Config {
    pub mtu: usize,
    /// 10.0.2.2 leads to the host's 127.0.0.1 (else connections to it are refused).
    pub allow_host_loopback: bool,
    /// The resolvers DNS queries to 10.0.2.3 go to; the first one is used.
    pub dns: Vec<SocketAddr>,
}

const TUN_TOKEN: u64 = 0;
/// Packets read from the container per call, so the supervisor's other duties (output,
/// signals) are served even while the container floods its network.
const READ_BATCH: usize = 256;
/// How often idle UDP flows are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

enum Flow {
    Tcp(tcp::Flow),
    Udp(udp::Flow),
}

pub struct Stack {
    tun: Tun,
    config: Config,
    iface: Interface,
    sockets: SocketSet<'static>,
    epoll: Epoll,
    /// Host-side flows by epoll token.
    flows: HashMap<u64, Flow>,
    tcp_keys: HashMap<tcp::Key, u64>,
    udp_keys: HashMap<udp::Key, u64>,
    /// What each TCP flow's host socket is registered for.
    interests: HashMap<u64, Interest>,
    next_token: u64,
    epoch: Instant,
    last_sweep: Instant,
    /// More packets were waiting when the last batch ended.
    backlog: bool,
    /// Names answered here rather than by the host's resolvers (see [`Stack::answer_names`]).
    names: Option<NameLookup>,
    closed: bool,
    buf: Vec<u8>,
}

impl Stack {
    pub fn new(tun: OwnedFd, config: Config) -> std::io::Result<Stack> {
        let mut tun = Tun::new(tun, config.mtu)?;
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
        epoll.add(tun.fd(), EpollEvent::new(EpollFlags::EPOLLIN, TUN_TOKEN))?;
        let epoch = Instant::now();
        let mut iface_config = IfaceConfig::new(HardwareAddress::Ip);
        iface_config.random_seed = u64::from(std::process::id()) ^ epoch_nanos();
        let mut iface = Interface::new(iface_config, &mut tun, smol_now(epoch));
        iface.update_ip_addrs(|addrs| {
            for ip in [GATEWAY_IP, DNS_IP] {
                let _ = addrs.push(IpCidr::new(IpAddress::Ipv4(ip), PREFIX_LEN));
            }
        });
        // Every destination the container connects to is answered here, as if we were it.
        iface.set_any_ip(true);
        // Replies may go beyond our subnet: a user-defined network's containers have
        // addresses of their own and reach the stack through their network's namespace.
        let _ = iface.routes_mut().add_default_ipv4_route(GATEWAY_IP);
        Ok(Stack {
            tun,
            config,
            iface,
            sockets: SocketSet::new(Vec::new()),
            epoll,
            flows: HashMap::new(),
            tcp_keys: HashMap::new(),
            udp_keys: HashMap::new(),
            interests: HashMap::new(),
            next_token: TUN_TOKEN + 1,
            epoch,
            last_sweep: epoch,
            backlog: false,
            names: None,
            closed: false,
            buf: Vec::new(),
        })
    }

    /// DNS questions to 10.0.2.3 for names `lookup` knows (a container's user-defined
    /// networks') are answered here; the rest still go to the host's resolvers.
    pub fn answer_names(&mut self, lookup: NameLookup) {
        self.names = Some(lookup);
    }

    /// The descriptor to poll for readiness.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.epoll.0.as_fd()
    }

    /// How long the supervisor may sleep before calling [`Stack::process`] again.
    pub fn timeout(&mut self) -> Option<Duration> {
        if self.backlog || self.tun.has_queued() {
            return Some(Duration::ZERO);
        }
        let smol = self
            .iface
            .poll_delay(smol_now(self.epoch), &self.sockets)
            .map(|d| Duration::from_micros(d.total_micros()));
        let sweep = (!self.udp_keys.is_empty())
            .then(|| SWEEP_EVERY.saturating_sub(self.last_sweep.elapsed()));
        match (smol, sweep) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Does whatever is ready: packets from the container, host sockets, smoltcp's timers.
    /// `ready`: the descriptor from [`Stack::fd`] was; if not, only due timers are served.
    pub fn process(&mut self, ready: bool) {
        if self.closed || (!ready && !self.timers_due()) {
            return;
        }
        let mut events = [EpollEvent::empty(); 64];
        let ready = self
            .epoll
            .wait(&mut events, EpollTimeout::ZERO)
            .unwrap_or(0);
        let mut connect_done = Vec::new();
        for event in &events[..ready] {
            match event.data() {
                TUN_TOKEN => {}
                token => match self.flows.get_mut(&token) {
                    Some(Flow::Udp(flow)) => {
                        self.buf.resize(self.config.mtu, 0);
                        flow.deliver_replies(&mut self.tun, self.config.mtu, &mut self.buf);
                    }
                    Some(Flow::Tcp(flow))
                        if matches!(flow.phase, tcp::Phase::Connecting { .. }) =>
                    {
                        connect_done.push(token)
                    }
                    _ => {}
                },
            }
        }
        for token in connect_done {
            self.finish_connect(token);
        }
        self.read_packets();
        self.poll_smoltcp();
        self.pump_tcp();
        self.poll_smoltcp();
        self.remove_finished_tcp();
        if self.last_sweep.elapsed() >= SWEEP_EVERY {
            self.sweep_udp();
        }
        if self.udp_keys.is_empty() {
            // Idle: give back the receive buffer.
            self.buf = Vec::new();
        }
    }

    fn timers_due(&mut self) -> bool {
        self.timeout().is_some_and(|wait| wait.is_zero())
    }

    fn poll_smoltcp(&mut self) {
        let now = smol_now(self.epoch);
        self.iface.poll(now, &mut self.tun, &mut self.sockets);
    }

    fn read_packets(&mut self) {
        self.backlog = false;
        for _ in 0..READ_BATCH {
            match self.tun.read() {
                Read::Packet(packet) => self.classify(packet),
                Read::Empty => return,
                Read::Closed => {
                    self.closed = true;
                    let _ = self.epoll.delete(self.tun.fd());
                    return;
                }
            }
        }
        self.backlog = true;
    }

    /// Looks at one packet from the container before smoltcp does: new TCP connections,
    /// UDP and ICMP are the stack's own business.
    fn classify(&mut self, packet: Vec<u8>) {
        let Ok(ip) = Ipv4Packet::new_checked(&packet[..]) else {
            return;
        };
        // Fragments are never produced by a container whose MTU fits its packets.
        if ip.more_frags() || ip.frag_offset() != 0 {
            return;
        }
        let Ok(repr) = Ipv4Repr::parse(&ip, &super::tun::checksums()) else {
            return;
        };
        let payload = ip.payload();
        match repr.next_header {
            IpProtocol::Tcp => {
                let Ok(segment) = TcpPacket::new_checked(payload) else {
                    return;
                };
                let opening = segment.syn() && !segment.ack();
                let key = tcp::Key {
                    guest: SocketAddrV4::new(repr.src_addr, segment.src_port()),
                    addressed: SocketAddrV4::new(repr.dst_addr, segment.dst_port()),
                };
                self.tcp_packet(key, opening, packet)
            }
            IpProtocol::Udp => self.udp_packet(&repr, payload),
            IpProtocol::Icmp if is_own(repr.dst_addr) => {
                udp::answer_echo(&mut self.tun, &repr, payload)
            }
            _ => {}
        }
    }

    fn tcp_packet(&mut self, key: tcp::Key, opening: bool, packet: Vec<u8>) {
        if !opening {
            return self.tun.enqueue(packet, false);
        }
        match self.tcp_keys.get(&key).and_then(|t| self.flows.get(t)) {
            // The container is repeating a SYN we hold: the answer is on its way.
            Some(Flow::Tcp(flow)) if matches!(flow.phase, tcp::Phase::Connecting { .. }) => {}
            Some(_) => self.tun.enqueue(packet, false),
            None => self.open_tcp(key, packet),
        }
    }

    /// A new connection from the container: connect on the host side, holding its SYN.
    fn open_tcp(&mut self, key: tcp::Key, syn: Vec<u8>) {
        let target = self.target(key.addressed);
        let flow = match target {
            Some(target) if self.tcp_keys.len() < tcp::MAX_FLOWS => {
                tcp::Flow::connect(key, target, syn.clone()).ok()
            }
            _ => None,
        };
        let Some(flow) = flow else {
            return self.refuse(syn);
        };
        let token = self.token();
        self.tcp_keys.insert(key, token);
        self.flows.insert(token, Flow::Tcp(flow));
        self.register(
            token,
            Interest {
                readable: false,
                writable: true,
            },
        );
    }

    /// Refuses a container's connection: smoltcp answers a SYN nobody listens for with a
    /// reset, so the container sees "connection refused".
    fn refuse(&mut self, syn: Vec<u8>) {
        self.tun.enqueue(syn, false);
    }

    /// The host connection of a flow finished connecting (or failed to).
    fn finish_connect(&mut self, token: u64) {
        let open_sockets = self.sockets.iter().count();
        let Some(Flow::Tcp(flow)) = self.flows.get_mut(&token) else {
            return;
        };
        let tcp::Phase::Connecting { syn } = &mut flow.phase else {
            return;
        };
        let syn = std::mem::take(syn);
        let listener = if flow.connected() {
            flow.listener(open_sockets)
        } else {
            None
        };
        match listener {
            Some(listener) => {
                flow.phase = tcp::Phase::Open {
                    handle: self.sockets.add(listener),
                };
                // The SYN goes in alone and now, so that it meets this flow's listener and
                // no other.
                self.tun.enqueue(syn, true);
                self.iface.poll_ingress_single(
                    smol_now(self.epoch),
                    &mut self.tun,
                    &mut self.sockets,
                );
            }
            None => {
                self.drop_tcp(token);
                self.refuse(syn);
            }
        }
    }

    fn pump_tcp(&mut self) {
        let mut changes = Vec::new();
        for (&token, flow) in self.flows.iter_mut() {
            let Flow::Tcp(flow) = flow else { continue };
            let tcp::Phase::Open { handle } = flow.phase else {
                continue;
            };
            let socket = self.sockets.get_mut::<TcpSocket>(handle);
            let interest = flow.pump(socket);
            if self.interests.get(&token) != Some(&interest) {
                changes.push((token, interest));
            }
        }
        for (token, interest) in changes {
            self.register(token, interest);
        }
    }

    /// Updates what a TCP flow's host socket is watched for. A socket watched for nothing
    /// leaves the epoll set, so that a hang-up nobody waits for cannot wake the loop again
    /// and again.
    fn register(&mut self, token: u64, interest: Interest) {
        let Some(Flow::Tcp(flow)) = self.flows.get(&token) else {
            return;
        };
        let before = self.interests.get(&token).copied().unwrap_or_default();
        let fd = flow.host_fd();
        let mut event = EpollEvent::new(flags(interest), token);
        let _ = match (before.any(), interest.any()) {
            (false, true) => self.epoll.add(fd, event),
            (true, false) => self.epoll.delete(fd),
            (true, true) => self.epoll.modify(fd, &mut event),
            (false, false) => Ok(()),
        };
        self.interests.insert(token, interest);
    }

    fn remove_finished_tcp(&mut self) {
        let done: Vec<u64> = self
            .flows
            .iter()
            .filter_map(|(&token, flow)| match flow {
                Flow::Tcp(tcp::Flow {
                    phase: tcp::Phase::Open { handle },
                    ..
                }) if tcp::finished(self.sockets.get::<TcpSocket>(*handle)) => Some(token),
                _ => None,
            })
            .collect();
        for token in done {
            self.drop_tcp(token);
        }
    }

    fn drop_tcp(&mut self, token: u64) {
        if let Some(Flow::Tcp(flow)) = self.flows.remove(&token) {
            self.tcp_keys.remove(&flow.key);
            self.interests.remove(&token);
            if let tcp::Phase::Open { handle } = flow.phase {
                self.sockets.remove(handle);
            }
            // Dropping the host socket closes it, which takes it out of the epoll set.
        }
    }

    fn udp_packet(&mut self, ip: &Ipv4Repr, datagram: &[u8]) {
        let Ok(udp) = UdpPacket::new_checked(datagram) else {
            return;
        };
        let key = udp::Key {
            guest: SocketAddrV4::new(ip.src_addr, udp.src_port()),
            addressed: SocketAddrV4::new(ip.dst_addr, udp.dst_port()),
        };
        if key.addressed == SocketAddrV4::new(DNS_IP, 53)
            && self.answer_locally(&key, udp.payload())
        {
            return;
        }
        let token = match self.udp_keys.get(&key) {
            Some(&token) => token,
            None => match self.open_udp(key) {
                Some(token) => token,
                None => return,
            },
        };
        if let Some(Flow::Udp(flow)) = self.flows.get_mut(&token) {
            flow.send(udp.payload());
        }
    }

    /// Answers a DNS query from the name lookup, if it knows the name.
    fn answer_locally(&mut self, key: &udp::Key, query: &[u8]) -> bool {
        let (Some(lookup), Some(question)) = (self.names.as_mut(), super::names::question(query))
        else {
            return false;
        };
        let addresses = lookup(&question.name);
        let Some(reply) = (!addresses.is_empty())
            .then(|| super::names::answer(query, &addresses, 0))
            .flatten()
        else {
            return false;
        };
        udp::send_datagram(
            &mut self.tun,
            self.config.mtu,
            key.addressed,
            key.guest,
            &reply,
        );
        true
    }

    fn open_udp(&mut self, key: udp::Key) -> Option<u64> {
        let target = self.target(key.addressed)?;
        if self.udp_keys.len() >= udp::MAX_FLOWS {
            self.evict_oldest_udp();
        }
        let flow = udp::Flow::open(key, target).ok()?;
        let token = self.token();
        self.epoll
            .add(&flow.socket, EpollEvent::new(EpollFlags::EPOLLIN, token))
            .ok()?;
        self.udp_keys.insert(key, token);
        self.flows.insert(token, Flow::Udp(flow));
        Some(token)
    }

    fn evict_oldest_udp(&mut self) {
        let oldest = self
            .flows
            .iter()
            .filter_map(|(&token, flow)| match flow {
                Flow::Udp(f) => Some((f.last_used(), token)),
                Flow::Tcp(_) => None,
            })
            .min();
        if let Some((_, token)) = oldest {
            self.drop_udp(token);
        }
    }

    fn sweep_udp(&mut self) {
        let now = Instant::now();
        self.last_sweep = now;
        let expired: Vec<u64> = self
            .flows
            .iter()
            .filter_map(|(&token, flow)| match flow {
                Flow::Udp(f) if f.expired(now) => Some(token),
                _ => None,
            })
            .collect();
        for token in expired {
            self.drop_udp(token);
        }
    }

    fn drop_udp(&mut self, token: u64) {
        if let Some(Flow::Udp(flow)) = self.flows.remove(&token) {
            self.udp_keys.remove(&flow.key);
        }
    }

    fn target(&self, dst: SocketAddrV4) -> Option<SocketAddr> {
        target(&self.config, dst)
    }

    fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token
    }
}

/// Where a flow the container addressed to `dst` really goes on the host, if anywhere: DNS
/// to the resolvers, the gateway to the host's loopback when allowed, the container's own
/// subnet and special addresses nowhere, everything else where it was addressed.
fn target(config: &Config, dst: SocketAddrV4) -> Option<SocketAddr> {
    let ip = *dst.ip();
    if ip == DNS_IP {
        return (dst.port() == 53)
            .then(|| config.dns.first().copied())
            .flatten();
    }
    if ip == GATEWAY_IP {
        return config
            .allow_host_loopback
            .then(|| SocketAddr::from((Ipv4Addr::LOCALHOST, dst.port())));
    }
    let outside = !in_own_subnet(ip)
        && !ip.is_loopback()
        && !ip.is_unspecified()
        && !ip.is_broadcast()
        && !ip.is_multicast();
    (outside && dst.port() != 0).then_some(SocketAddr::V4(dst))
}

fn flags(interest: Interest) -> EpollFlags {
    let mut flags = EpollFlags::empty();
    if interest.readable {
        flags |= EpollFlags::EPOLLIN;
    }
    if interest.writable {
        flags |= EpollFlags::EPOLLOUT;
    }
    flags
}

fn is_own(ip: Ipv4Address) -> bool {
    ip == GATEWAY_IP || ip == DNS_IP
}

fn in_own_subnet(ip: Ipv4Addr) -> bool {
    u32::from(ip) >> (32 - PREFIX_LEN) == u32::from(GATEWAY_IP) >> (32 - PREFIX_LEN)
}

fn smol_now(epoch: Instant) -> smoltcp::time::Instant {
    smoltcp::time::Instant::from_micros(epoch.elapsed().as_micros() as i64)
}

fn epoch_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(allow_host_loopback: bool) -> Config {
        Config {
            mtu: 65520,
            allow_host_loopback,
            dns: vec!["127.0.0.53:53".parse().unwrap()],
        }
    }

    fn addr(text: &str) -> SocketAddrV4 {
        text.parse().unwrap()
    }

    #[test]
    fn where_flows_go() {
        let closed = config(false);
        assert_eq!(
            target(&closed, addr("10.0.2.3:53")),
            Some("127.0.0.53:53".parse().unwrap())
        );
        assert_eq!(target(&closed, addr("10.0.2.3:80")), None);
        assert_eq!(target(&closed, addr("10.0.2.2:8080")), None);
        assert_eq!(
            target(&config(true), addr("10.0.2.2:8080")),
            Some("127.0.0.1:8080".parse().unwrap())
        );
        assert_eq!(
            target(&closed, addr("192.0.2.10:443")),
            Some("192.0.2.10:443".parse().unwrap())
        );
        for nowhere in [
            "10.0.2.7:80",
            "10.0.2.255:80",
            "127.0.0.1:80",
            "0.0.0.0:80",
            "224.0.0.1:5353",
            "255.255.255.255:67",
            "192.0.2.10:0",
        ] {
            assert_eq!(target(&closed, addr(nowhere)), None, "{nowhere}");
        }
        assert_eq!(
            target(
                &Config {
                    dns: Vec::new(),
                    ..closed
                },
                addr("10.0.2.3:53")
            ),
            None
        );
    }
}

//! Serving published ports. The supervisor binds every host socket before the container
//! starts (a busy port fails the start, with nothing left behind), and keeps them across
//! restarts. A connection accepted on the host is continued by a socket the supervisor
//! creates inside the container's network namespace (`netns`), connected to the
//! container's address, and the two are joined with splice(2): the bytes never leave the
//! kernel, and the user-mode stack is not involved.
//!
//! The container sees the client's own address as the source of a connection (a client on
//! the host's loopback as the gateway, so that no outsider looks like the container's own
//! 127.0.0.1): the inner socket is transparent (IP_TRANSPARENT, set where skiff is root, in
//! the container's user namespace) and bound to that address before it connects. The
//! container's replies to it would follow its default route out; a policy rule for each
//! published port ([`route_replies_home`], made by the container's first process) sends
//! what leaves the published port through a routing table where every address is local, so
//! the replies come back to the supervisor's socket. Replies to the container's neighbours
//! on its networks are spared. The price: connections the container itself opens *from* a
//! published port number to outside its networks do not get out.

use super::netlink::Netlink;
use super::netns;
use super::publish::{PortMapping, Protocol};
use anyhow::{Context, Result};
use netlink_packet_route::IpProtocol;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

/// At most this many forwarded TCP connections at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 1024;
/// At most this many UDP clients per supervisor; more evict the least recently seen.
const MAX_UDP_CLIENTS: usize = 256;
const UDP_IDLE: Duration = Duration::from_secs(60);
/// Bytes a pipe between two spliced sockets holds; more per trip means fewer system calls.
const PIPE_SIZE: i32 = 256 * 1024;

/// The routing table of replies to published ports' clients: every address is local.
const REPLY_TABLE: u32 = 0x534b;
/// The priorities of the policy rules that lead replies there, in the order they apply:
/// replies to the gateway, then what goes to an attached subnet (by the main table), then
/// the rest of what leaves a published port.
const RULES_TO_GATEWAY: u32 = 1000;
const RULE_ATTACHED_SUBNETS: u32 = 1001;
const RULES_HOME: u32 = 1002;

/// The container as published connections reach it.
#[derive(Clone, Copy, Debug)]
pub struct Inside {
    /// Its address, where connections are continued.
    pub address: Ipv4Addr,
    /// Its gateway, the source shown for clients on the host's loopback.
    pub gateway: Ipv4Addr,
}

impl Inside {
    /// The source address the container is shown for `client`: the client's own, or the
    /// gateway for clients on the host's loopback. None for IPv6 clients (the container's
    /// network is IPv4): they appear as the container's own address.
    fn shown_source(&self, client: SocketAddr) -> Option<SocketAddrV4> {
        let ip = match client.ip() {
            IpAddr::V4(ip) => ip,
            IpAddr::V6(ip) => ip.to_ipv4_mapped()?,
        };
        let ip = if ip.is_loopback() { self.gateway } else { ip };
        Some(SocketAddrV4::new(ip, client.port()))
    }
}

/// In the container's network namespace, as its first process, before the command runs:
/// what leaves a published port for a client shown from outside the container's subnets is
/// routed back to this host, where the supervisor's transparent sockets take it. Replies to
/// its neighbours on its networks go out as usual, save those to the gateway: that is where
/// clients on the host's loopback are shown from.
pub fn route_replies_home(inside: Inside, published: &[PortMapping]) -> Result<()> {
    if published.is_empty() {
        return Ok(());
    }
    let mut netlink = Netlink::open()?;
    netlink.add_local_default_route(REPLY_TABLE, inside.address)?;
    let mut ports: Vec<(u16, Protocol)> = published
        .iter()
        .map(|p| (p.container_port, p.protocol))
        .collect();
    ports.sort_by_key(|&(port, protocol)| (port, protocol.name()));
    ports.dedup();
    let ports: Vec<(u16, IpProtocol)> = ports
        .into_iter()
        .map(|(port, protocol)| match protocol {
            Protocol::Tcp => (port, IpProtocol::Tcp),
            Protocol::Udp => (port, IpProtocol::Udp),
        })
        .collect();
    for &(port, protocol) in &ports {
        netlink.add_port_rule(
            RULES_TO_GATEWAY,
            protocol,
            port,
            Some(inside.gateway),
            REPLY_TABLE,
        )?;
    }
    netlink.add_attached_subnets_rule(RULE_ATTACHED_SUBNETS)?;
    for &(port, protocol) in &ports {
        netlink.add_port_rule(RULES_HOME, protocol, port, None, REPLY_TABLE)?;
    }
    Ok(())
}

/// Binds a transparent socket to the source the container is shown for `client`. Without
/// it (no transparency, an IPv6 client, a clash) the connection comes from the container's
/// own address, as before.
fn bind_shown_source(socket: BorrowedFd, inside: &Inside, client: SocketAddr) {
    if let Some(source) = inside.shown_source(client) {
        let _ = nix::sys::socket::bind(
            socket.as_raw_fd(),
            &nix::sys::socket::SockaddrIn::from(source),
        );
    }
}

enum Host {
    Tcp(TcpListener),
    Udp(UdpSocket),
}

struct Listener {
    mapping: PortMapping,
    socket: Host,
}

/// The host sockets of a container's published ports, bound.
pub struct Bound {
    listeners: Vec<Listener>,
}

impl Bound {
    /// Binds every mapping's host socket; any failure releases the ones already bound.
    pub fn bind(mappings: &[PortMapping]) -> Result<Bound> {
        let mut listeners = Vec::new();
        for mapping in mappings {
            listeners.push(bind_one(mapping)?);
        }
        Ok(Bound { listeners })
    }
}

fn bind_one(mapping: &PortMapping) -> Result<Listener> {
    let ip: IpAddr = if mapping.host_ip.is_empty() {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        mapping.host_ip.parse()?
    };
    let address = SocketAddr::new(ip, mapping.host_port);
    let shown = if mapping.host_port == 0 {
        format!("{}/{}", mapping.container_port, mapping.protocol.name())
    } else {
        format!("{address}/{}", mapping.protocol.name())
    };
    let context =
        || format!("cannot publish port {shown}: the host address {address} is not available");
    let (socket, local) = match mapping.protocol {
        Protocol::Tcp => {
            let listener = TcpListener::bind(address).with_context(context)?;
            listener.set_nonblocking(true)?;
            let local = listener.local_addr()?;
            (Host::Tcp(listener), local)
        }
        Protocol::Udp => {
            let socket = UdpSocket::bind(address).with_context(context)?;
            socket.set_nonblocking(true)?;
            let local = socket.local_addr()?;
            (Host::Udp(socket), local)
        }
    };
    Ok(Listener {
        mapping: PortMapping {
            host_port: local.port(),
            ..mapping.clone()
        },
        socket,
    })
}

/// One forwarded TCP connection: the client's socket and ours in the container, with a
/// pipe for each direction.
struct Splice {
    client: OwnedFd,
    inner: OwnedFd,
    /// The epoll token of `inner` (the splice's id is the client's).
    inner_token: u64,
    connecting: bool,
    ahead: Direction,
    back: Direction,
}

/// One direction of a splice: bytes waiting in the pipe, and whether the source ended.
struct Direction {
    pipe: (OwnedFd, OwnedFd),
    pending: usize,
    ended: bool,
}

impl Direction {
    fn new() -> std::io::Result<Direction> {
        let (r, w) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK)?;
        // A larger pipe moves more per splice; the default size is fine if this is refused.
        let _ = nix::fcntl::fcntl(&w, nix::fcntl::FcntlArg::F_SETPIPE_SZ(PIPE_SIZE));
        Ok(Direction {
            pipe: (r, w),
            pending: 0,
            ended: false,
        })
    }

    /// Moves bytes from `from` to `to` until one of them would block; Err on a broken side.
    fn pump(&mut self, from: &OwnedFd, to: &OwnedFd) -> std::io::Result<()> {
        loop {
            if self.pending > 0 {
                match splice(&self.pipe.0, to, self.pending) {
                    Ok(n) => self.pending -= n,
                    Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => return Ok(()),
                    Err(e) => return Err(e),
                }
                continue;
            }
            if self.ended {
                return Ok(());
            }
            match splice(from, &self.pipe.1, PIPE_SIZE as usize) {
                Ok(0) => {
                    self.ended = true;
                    let _ = nix::sys::socket::shutdown(
                        to.as_raw_fd(),
                        nix::sys::socket::Shutdown::Write,
                    );
                }
                Ok(n) => self.pending += n,
                Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    fn done(&self) -> bool {
        self.ended && self.pending == 0
    }
}

fn splice(from: &OwnedFd, to: &OwnedFd, len: usize) -> std::io::Result<usize> {
    // SAFETY: plain descriptors, no offsets.
    let n = unsafe {
        libc::splice(
            from.as_raw_fd(),
            std::ptr::null_mut(),
            to.as_raw_fd(),
            std::ptr::null_mut(),
            len,
            libc::SPLICE_F_MOVE | libc::SPLICE_F_NONBLOCK,
        )
    };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(n as usize)
}

/// A UDP client of a published port, and our socket in the container for it.
struct UdpClient {
    listener: usize,
    client: SocketAddr,
    inner: UdpSocket,
    last_used: Instant,
}

#[derive(Clone, Copy)]
enum Token {
    Listener(usize),
    /// One of the two sockets of a splice: the client's (false) or ours inside (true).
    Splice(u64, bool),
    Udp(u64),
}

/// The published ports of a running container, served in the supervisor's poll loop.
pub struct Forwarder {
    listeners: Vec<Listener>,
    epoll: Epoll,
    /// The pidfd of the container's pid 1: the door into its network namespace.
    target: Option<OwnedFd>,
    /// The container as connections reach it.
    inside: Inside,
    tokens: HashMap<u64, Token>,
    splices: HashMap<u64, Splice>,
    udp: HashMap<u64, UdpClient>,
    udp_by_client: HashMap<(usize, SocketAddr), u64>,
    /// Sockets made in the container's namespace ahead of need, a batch per helper trip.
    spare_tcp: Vec<OwnedFd>,
    next: u64,
    buf: Vec<u8>,
}

impl Forwarder {
    pub fn new(bound: Bound, inside: Inside) -> Result<Forwarder> {
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
        let mut tokens = HashMap::new();
        for (i, listener) in bound.listeners.iter().enumerate() {
            let fd = match &listener.socket {
                Host::Tcp(l) => l.as_fd(),
                Host::Udp(s) => s.as_fd(),
            };
            epoll.add(fd, EpollEvent::new(EpollFlags::EPOLLIN, i as u64))?;
            tokens.insert(i as u64, Token::Listener(i));
        }
        Ok(Forwarder {
            next: bound.listeners.len() as u64,
            listeners: bound.listeners,
            epoll,
            target: None,
            inside,
            tokens,
            splices: HashMap::new(),
            udp: HashMap::new(),
            udp_by_client: HashMap::new(),
            spare_tcp: Vec::new(),
            buf: Vec::new(),
        })
    }

    /// The mappings with the host ports really bound (random ones resolved).
    pub fn mappings(&self) -> Vec<PortMapping> {
        self.listeners.iter().map(|l| l.mapping.clone()).collect()
    }

    /// Points the ports at a (re)started container, through the pidfd of its pid 1.
    pub fn attach(&mut self, pidfd: &OwnedFd) -> Result<()> {
        self.detach();
        self.target = Some(
            pidfd
                .try_clone()
                .context("cannot keep the container's pidfd")?,
        );
        Ok(())
    }

    /// The container is gone: its connections and spare sockets go too.
    pub fn detach(&mut self) {
        self.target = None;
        self.spare_tcp.clear();
        self.splices.clear();
        self.udp.clear();
        self.udp_by_client.clear();
        self.tokens.retain(|_, t| matches!(t, Token::Listener(_)));
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.epoll.0.as_fd()
    }

    pub fn timeout(&self) -> Option<Duration> {
        (!self.udp.is_empty()).then_some(UDP_IDLE)
    }

    pub fn process(&mut self, ready: bool) {
        if !ready {
            if !self.udp.is_empty() {
                self.expire_udp();
            }
            return;
        }
        let mut events = [EpollEvent::empty(); 64];
        let ready = self
            .epoll
            .wait(&mut events, EpollTimeout::ZERO)
            .unwrap_or(0);
        for event in &events[..ready] {
            match self.tokens.get(&event.data()).copied() {
                Some(Token::Listener(i)) => self.serve_listener(i),
                Some(Token::Splice(id, inner)) => self.pump_splice(id, inner, event.events()),
                Some(Token::Udp(id)) => self.udp_replies(id),
                None => {}
            }
        }
        self.expire_udp();
    }

    fn serve_listener(&mut self, i: usize) {
        let port = self.listeners[i].mapping.container_port;
        loop {
            let accepted = match &self.listeners[i].socket {
                Host::Tcp(listener) => listener.accept(),
                Host::Udp(_) => return self.forward_udp(i),
            };
            match accepted {
                Ok((stream, peer)) => self.forward_tcp(OwnedFd::from(stream), peer, port),
                Err(_) => return,
            }
        }
    }

    /// Continues an accepted connection inside the container; without a container (or
    /// over the limit) the client's connection is closed.
    fn forward_tcp(&mut self, client: OwnedFd, peer: SocketAddr, port: u16) {
        if self.splices.len() >= MAX_CONNECTIONS {
            return;
        }
        let Some(inner) = self.tcp_socket() else {
            return;
        };
        bind_shown_source(inner.as_fd(), &self.inside, peer);
        let target =
            nix::sys::socket::SockaddrIn::from(SocketAddrV4::new(self.inside.address, port));
        match nix::sys::socket::connect(inner.as_raw_fd(), &target) {
            Ok(()) | Err(nix::errno::Errno::EINPROGRESS) => {}
            Err(_) => return,
        }
        let _ = nix::fcntl::fcntl(
            &client,
            nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
        );
        let (Ok(ahead), Ok(back)) = (Direction::new(), Direction::new()) else {
            return;
        };
        let id = self.token();
        let inner_token = self.token();
        self.tokens.insert(id, Token::Splice(id, false));
        self.tokens.insert(inner_token, Token::Splice(id, true));
        let edges = EpollFlags::EPOLLIN
            | EpollFlags::EPOLLOUT
            | EpollFlags::EPOLLRDHUP
            | EpollFlags::EPOLLET;
        if self.epoll.add(&client, EpollEvent::new(edges, id)).is_err()
            || self
                .epoll
                .add(&inner, EpollEvent::new(edges, inner_token))
                .is_err()
        {
            self.tokens.remove(&id);
            self.tokens.remove(&inner_token);
            return;
        }
        self.splices.insert(
            id,
            Splice {
                client,
                inner,
                inner_token,
                connecting: true,
                ahead,
                back,
            },
        );
    }

    /// A TCP socket in the container's namespace, from the spares or a new batch.
    fn tcp_socket(&mut self) -> Option<OwnedFd> {
        if self.spare_tcp.is_empty() {
            let target = self.target.as_ref()?;
            self.spare_tcp = netns::sockets(target.as_fd(), libc::SOCK_STREAM, 8).ok()?;
        }
        self.spare_tcp.pop()
    }

    /// Moves what an event on one of a splice's sockets allows: data it can now read goes
    /// one way, room it now has to write takes data the other way.
    fn pump_splice(&mut self, id: u64, inner: bool, events: EpollFlags) {
        let Some(splice) = self.splices.get_mut(&id) else {
            return;
        };
        let readable = events.intersects(
            EpollFlags::EPOLLIN
                | EpollFlags::EPOLLRDHUP
                | EpollFlags::EPOLLHUP
                | EpollFlags::EPOLLERR,
        );
        let writable = events.intersects(EpollFlags::EPOLLOUT | EpollFlags::EPOLLERR);
        let (mut ahead, mut back) = if inner {
            (writable, readable)
        } else {
            (readable, writable)
        };
        if splice.connecting {
            if !inner {
                return;
            }
            // Connected once it has a peer; a failed connect leaves its error behind.
            let peer = nix::sys::socket::getpeername::<nix::sys::socket::SockaddrIn>(
                splice.inner.as_raw_fd(),
            );
            if peer.is_err() {
                let failed = !matches!(
                    nix::sys::socket::getsockopt(
                        &splice.inner,
                        nix::sys::socket::sockopt::SocketError
                    ),
                    Ok(0)
                );
                if failed {
                    self.end_splice(id);
                }
                return;
            }
            splice.connecting = false;
            // Whatever the client sent meanwhile waits: both ways, now.
            (ahead, back) = (true, true);
        }
        let moved_ahead = if ahead {
            splice.ahead.pump(&splice.client, &splice.inner)
        } else {
            Ok(())
        };
        let moved_back = if back {
            splice.back.pump(&splice.inner, &splice.client)
        } else {
            Ok(())
        };
        if moved_ahead.is_err()
            || moved_back.is_err()
            || (splice.ahead.done() && splice.back.done())
        {
            self.end_splice(id);
        }
    }

    fn end_splice(&mut self, id: u64) {
        // Closing the descriptors takes them out of the epoll set.
        if let Some(splice) = self.splices.remove(&id) {
            self.tokens.remove(&splice.inner_token);
        }
        self.tokens.remove(&id);
    }

    /// Datagrams from host clients go to the container, each client through a socket of
    /// its own, so that replies find their way back.
    fn forward_udp(&mut self, i: usize) {
        self.buf.resize(65536, 0);
        loop {
            let Host::Udp(socket) = &self.listeners[i].socket else {
                return;
            };
            let Ok((n, client)) = socket.recv_from(&mut self.buf) else {
                return;
            };
            let id = match self.udp_by_client.get(&(i, client)) {
                Some(&id) => id,
                None => match self.open_udp_client(i, client) {
                    Some(id) => id,
                    None => continue,
                },
            };
            if let Some(relay) = self.udp.get_mut(&id) {
                relay.last_used = Instant::now();
                let _ = relay.inner.send(&self.buf[..n]);
            }
        }
    }

    fn open_udp_client(&mut self, listener: usize, client: SocketAddr) -> Option<u64> {
        if self.udp.len() >= MAX_UDP_CLIENTS {
            let oldest = self
                .udp
                .iter()
                .min_by_key(|(_, c)| c.last_used)
                .map(|(&id, _)| id)?;
            self.drop_udp(oldest);
        }
        let target = self.target.as_ref()?;
        let fd = netns::sockets(target.as_fd(), libc::SOCK_DGRAM, 1)
            .ok()?
            .pop()?;
        bind_shown_source(fd.as_fd(), &self.inside, client);
        let inner = UdpSocket::from(fd);
        let port = self.listeners[listener].mapping.container_port;
        inner.connect((self.inside.address, port)).ok()?;
        let id = self.token();
        self.tokens.insert(id, Token::Udp(id));
        self.epoll
            .add(&inner, EpollEvent::new(EpollFlags::EPOLLIN, id))
            .ok()?;
        self.udp_by_client.insert((listener, client), id);
        self.udp.insert(
            id,
            UdpClient {
                listener,
                client,
                inner,
                last_used: Instant::now(),
            },
        );
        Some(id)
    }

    fn udp_replies(&mut self, id: u64) {
        self.buf.resize(65536, 0);
        let Some(relay) = self.udp.get_mut(&id) else {
            return;
        };
        let Host::Udp(host) = &self.listeners[relay.listener].socket else {
            return;
        };
        while let Ok(n) = relay.inner.recv(&mut self.buf) {
            relay.last_used = Instant::now();
            let _ = host.send_to(&self.buf[..n], relay.client);
        }
    }

    fn expire_udp(&mut self) {
        let now = Instant::now();
        let idle: Vec<u64> = self
            .udp
            .iter()
            .filter(|(_, c)| now.duration_since(c.last_used) >= UDP_IDLE)
            .map(|(&id, _)| id)
            .collect();
        for id in idle {
            self.drop_udp(id);
        }
        if self.udp.is_empty() {
            self.buf = Vec::new();
        }
    }

    fn drop_udp(&mut self, id: u64) {
        if let Some(relay) = self.udp.remove(&id) {
            self.udp_by_client.remove(&(relay.listener, relay.client));
            self.tokens.remove(&id);
        }
    }

    fn token(&mut self) -> u64 {
        self.next += 1;
        self.next
    }
}

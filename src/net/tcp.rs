//! TCP on the default network: each connection the container opens is ended by a smoltcp
//! socket on the stack's side and continued by an ordinary host socket. The container's SYN
//! is held until the host connection is established, so the container sees the host's
//! answer: a refused or unreachable destination is a reset, as it would be on a wire.

use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp;
use smoltcp::wire::IpListenEndpoint;
use std::net::{SocketAddr, SocketAddrV4};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// At most this many TCP connections at once (pending ones included); more are refused.
/// Each holds a host descriptor: with the usual limit of 1024 descriptors, room remains for
/// UDP flows and published ports.
pub const MAX_FLOWS: usize = 512;
/// Buffer size per direction of the first connections: large enough to keep the container
/// streaming at memory speed...
const LARGE_BUFFER: usize = 512 * 1024;
/// ...and of connections beyond `LARGE_FLOWS`, so that many connections stay cheap.
const SMALL_BUFFER: usize = 32 * 1024;
const LARGE_FLOWS: usize = 32;

/// The container's side of a connection: its endpoint, and the one it connected to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Key {
    pub guest: SocketAddrV4,
    pub addressed: SocketAddrV4,
}

pub enum Phase {
    /// The host connection is under way; the container's SYN waits here.
    Connecting {
        syn: Vec<u8>,
    },
    Open {
        handle: SocketHandle,
    },
}

pub struct Flow {
    pub key: Key,
    pub host: OwnedFd,
    pub phase: Phase,
    /// The host closed its sending side; the container got (or gets) a FIN.
    host_done: bool,
    /// The container closed its sending side and the host got a shutdown.
    guest_done: bool,
    /// Data from the container waits for the host socket to take it.
    pub blocked_on_host: bool,
}

/// What the epoll registration of a flow's host socket should wait for.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Interest {
    pub readable: bool,
    pub writable: bool,
}

impl Interest {
    pub fn any(&self) -> bool {
        self.readable || self.writable
    }
}

impl Flow {
    /// Starts connecting to `target` for the container's connection `key`.
    pub fn connect(key: Key, target: SocketAddr, syn: Vec<u8>) -> std::io::Result<Flow> {
        use nix::sys::socket::{self, AddressFamily, SockFlag, SockType};
        let family = if target.is_ipv4() {
            AddressFamily::Inet
        } else {
            AddressFamily::Inet6
        };
        let host = socket::socket(
            family,
            SockType::Stream,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            None,
        )?;
        let _ = socket::setsockopt(&host, socket::sockopt::TcpNoDelay, &true);
        let fd = std::os::fd::AsRawFd::as_raw_fd(&host);
        let started = match target {
            SocketAddr::V4(v4) => socket::connect(fd, &socket::SockaddrIn::from(v4)),
            SocketAddr::V6(v6) => socket::connect(fd, &socket::SockaddrIn6::from(v6)),
        };
        match started {
            Ok(()) | Err(nix::errno::Errno::EINPROGRESS) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(Flow {
            key,
            host,
            phase: Phase::Connecting { syn },
            host_done: false,
            guest_done: false,
            blocked_on_host: false,
        })
    }

    /// Whether the host connection, once the socket reports writable, succeeded.
    pub fn connected(&self) -> bool {
        matches!(
            nix::sys::socket::getsockopt(&self.host, nix::sys::socket::sockopt::SocketError),
            Ok(0)
        )
    }

    /// The smoltcp socket that takes over the container's side: listening on exactly the
    /// address and port the container connected to, so that its held SYN lands there.
    pub fn listener(&self, open_flows: usize) -> Option<tcp::Socket<'static>> {
        let size = if open_flows < LARGE_FLOWS {
            LARGE_BUFFER
        } else {
            SMALL_BUFFER
        };
        let mut socket = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; size]),
            tcp::SocketBuffer::new(vec![0; size]),
        );
        // Local peers: acknowledge at once rather than waiting for more data.
        socket.set_ack_delay(None);
        socket.set_nagle_enabled(false);
        socket
            .listen(IpListenEndpoint {
                addr: Some((*self.key.addressed.ip()).into()),
                port: self.key.addressed.port(),
            })
            .ok()?;
        Some(socket)
    }

    pub fn host_fd(&self) -> BorrowedFd<'_> {
        self.host.as_fd()
    }

    /// Moves what can be moved between the two sides; returns what to wait for next.
    pub fn pump(&mut self, socket: &mut tcp::Socket) -> Interest {
        self.deliver_to_host(socket);
        self.deliver_to_guest(socket);
        Interest {
            readable: !self.host_done && socket.can_send(),
            writable: self.blocked_on_host,
        }
    }

    /// The container's data to the host; its FIN becomes a shutdown once all is delivered.
    fn deliver_to_host(&mut self, socket: &mut tcp::Socket) {
        self.blocked_on_host = false;
        while socket.can_recv() {
            let written = socket.recv(|data| match nix::unistd::write(&self.host, data) {
                Ok(n) => (n, Ok(n)),
                Err(e) => (0, Err(e)),
            });
            match written {
                Ok(Ok(_)) => {}
                Ok(Err(nix::errno::Errno::EAGAIN)) => {
                    self.blocked_on_host = true;
                    return;
                }
                Ok(Err(_)) | Err(_) => {
                    socket.abort();
                    return;
                }
            }
        }
        if !self.guest_done && !socket.may_recv() && past_handshake(socket.state()) {
            self.guest_done = true;
            let _ = nix::sys::socket::shutdown(
                std::os::fd::AsRawFd::as_raw_fd(&self.host),
                nix::sys::socket::Shutdown::Write,
            );
        }
    }

    /// The host's data to the container; the host's end of stream becomes a FIN.
    fn deliver_to_guest(&mut self, socket: &mut tcp::Socket) {
        while !self.host_done && socket.can_send() {
            let read = socket.send(|room| {
                if room.is_empty() {
                    return (0, Ok(None));
                }
                match nix::unistd::read(&self.host, room) {
                    Ok(n) => (n, Ok(Some(n))),
                    Err(e) => (0, Err(e)),
                }
            });
            match read {
                Ok(Ok(Some(0))) => {
                    self.host_done = true;
                    socket.close();
                }
                Ok(Ok(Some(_))) => {}
                Ok(Ok(None)) | Ok(Err(nix::errno::Errno::EAGAIN)) => return,
                Ok(Err(_)) | Err(_) => {
                    socket.abort();
                    return;
                }
            }
        }
    }
}

/// Whether the connection got as far as exchanging data (a listener that never received
/// its SYN has nothing to shut down).
fn past_handshake(state: tcp::State) -> bool {
    !matches!(
        state,
        tcp::State::Listen | tcp::State::SynReceived | tcp::State::SynSent
    )
}

/// Whether smoltcp is done with the container's side and the flow can go.
pub fn finished(socket: &tcp::Socket) -> bool {
    matches!(socket.state(), tcp::State::Closed | tcp::State::TimeWait)
}

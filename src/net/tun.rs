//! The supervisor's end of the container's `eth0`: smoltcp's view of the TUN descriptor.
//! Packets are read by the stack (which looks at each one first) and queued here for
//! smoltcp; what smoltcp sends is written straight back to the TUN.

use smoltcp::phy::{self, Checksum, ChecksumCapabilities, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use std::collections::VecDeque;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

pub struct Tun {
    fd: OwnedFd,
    mtu: usize,
    /// Packets read from the container, waiting for smoltcp.
    queue: VecDeque<Vec<u8>>,
    /// Where outgoing packets are assembled; kept to avoid an allocation per packet.
    out: Vec<u8>,
}

/// What reading one packet gave.
pub enum Read {
    Packet(Vec<u8>),
    /// Nothing more to read now.
    Empty,
    /// The container's end is gone.
    Closed,
}

impl Tun {
    pub fn new(fd: OwnedFd, mtu: usize) -> std::io::Result<Tun> {
        set_nonblocking(&fd)?;
        Ok(Tun {
            fd,
            mtu,
            queue: VecDeque::new(),
            out: Vec::new(),
        })
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub fn read(&mut self) -> Read {
        let mut packet = Vec::with_capacity(self.mtu);
        // SAFETY: reads at most the vector's capacity into its spare room, then keeps what
        // the kernel wrote.
        let n = unsafe {
            libc::read(
                self.fd.as_raw_fd(),
                packet.as_mut_ptr() as *mut libc::c_void,
                self.mtu,
            )
        };
        match n {
            n if n > 0 => {
                unsafe { packet.set_len(n as usize) };
                Read::Packet(packet)
            }
            0 => Read::Closed,
            _ => match std::io::Error::last_os_error().raw_os_error() {
                Some(libc::EAGAIN) | Some(libc::EINTR) => Read::Empty,
                _ => Read::Closed,
            },
        }
    }

    /// Hands a packet to smoltcp (at the front: to be processed next).
    pub fn enqueue(&mut self, packet: Vec<u8>, first: bool) {
        if first {
            self.queue.push_front(packet);
        } else {
            self.queue.push_back(packet);
        }
    }

    pub fn has_queued(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Writes a packet of `len` bytes that `fill` assembles.
    pub fn send(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) {
        transmit(&self.fd, &mut self.out, len, fill);
    }
}

fn transmit(fd: &OwnedFd, out: &mut Vec<u8>, len: usize, fill: impl FnOnce(&mut [u8])) {
    out.clear();
    out.resize(len, 0);
    fill(out);
    // A full queue in the container drops the packet, as a wire would; TCP sends it again.
    let _ = nix::unistd::write(fd, out);
}

fn set_nonblocking(fd: &OwnedFd) -> std::io::Result<()> {
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    let flags = OFlag::from_bits_truncate(fcntl(fd, FcntlArg::F_GETFL)?);
    fcntl(fd, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    Ok(())
}

/// Checksums as the stack handles them: the container's kernel computed every checksum of
/// what it sends (a TUN delivers complete packets), so they are not verified again; the
/// container's kernel verifies ours, so they are computed.
pub fn checksums() -> ChecksumCapabilities {
    let mut caps = ChecksumCapabilities::default();
    caps.ipv4 = Checksum::Tx;
    caps.tcp = Checksum::Tx;
    caps.udp = Checksum::Tx;
    caps.icmpv4 = Checksum::Tx;
    caps
}

pub struct RxToken(Vec<u8>);
pub struct TxToken<'a> {
    fd: &'a OwnedFd,
    out: &'a mut Vec<u8>,
}

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut result = None;
        transmit(self.fd, self.out, len, |buf| result = Some(f(buf)));
        result.expect("the packet was assembled")
    }
}

impl phy::Device for Tun {
    type RxToken<'a> = RxToken;
    type TxToken<'a> = TxToken<'a>;

    fn receive(&mut self, _: Instant) -> Option<(RxToken, TxToken<'_>)> {
        let packet = self.queue.pop_front()?;
        Some((
            RxToken(packet),
            TxToken {
                fd: &self.fd,
                out: &mut self.out,
            },
        ))
    }

    fn transmit(&mut self, _: Instant) -> Option<TxToken<'_>> {
        Some(TxToken {
            fd: &self.fd,
            out: &mut self.out,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ip;
        caps.max_transmission_unit = self.mtu;
        caps.checksum = checksums();
        caps
    }
}

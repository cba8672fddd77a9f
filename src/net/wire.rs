//! Wires: pairs of TAP devices whose Ethernet frames a user-defined network's holder carries
//! from one to the other, a veth pair in user space. They join a network's bridge to a
//! running container that has a user namespace of its own, which no veth can reach (see
//! `bridge::tap_in_container`). Slower than a veth, as every frame passes through the
//! holder; the container gets a veth at its next start.

use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use std::collections::HashMap;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// Frames carried per side per call, so one busy wire cannot starve the holder's other work.
const BATCH: usize = 64;
/// The largest frame: the bridge's MTU is at most 65520, plus the Ethernet header.
const FRAME: usize = 65536;

struct Wire {
    /// Who the wire serves (a container id), to cut it on `disconnect`.
    owner: String,
    ends: [OwnedFd; 2],
}

pub struct Wires {
    epoll: Epoll,
    /// By token: wires have tokens 2n (end 0) and 2n+1 (end 1).
    wires: HashMap<u64, Wire>,
    next: u64,
    buf: Vec<u8>,
}

impl Wires {
    pub fn new() -> std::io::Result<Wires> {
        Ok(Wires {
            epoll: Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?,
            wires: HashMap::new(),
            next: 0,
            buf: Vec::new(),
        })
    }

    /// Starts carrying frames between two TAP devices, for `owner`.
    pub fn add(&mut self, owner: &str, ends: [OwnedFd; 2]) -> std::io::Result<()> {
        let id = self.next;
        self.next += 1;
        for (side, end) in ends.iter().enumerate() {
            nix::fcntl::fcntl(
                end,
                nix::fcntl::FcntlArg::F_SETFL(nix::fcntl::OFlag::O_NONBLOCK),
            )?;
            self.epoll.add(
                end,
                EpollEvent::new(EpollFlags::EPOLLIN, 2 * id + side as u64),
            )?;
        }
        self.wires.insert(
            id,
            Wire {
                owner: owner.to_string(),
                ends,
            },
        );
        Ok(())
    }

    /// Cuts `owner`'s wires; the container's TAP device goes with its last descriptor.
    pub fn remove(&mut self, owner: &str) {
        self.wires.retain(|_, w| w.owner != owner);
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.epoll.0.as_fd()
    }

    /// Carries what is waiting. A wire whose end fails (its container's namespace is gone)
    /// is cut.
    pub fn process(&mut self) {
        let mut events = [EpollEvent::empty(); 32];
        let Ok(n) = self.epoll.wait(&mut events, EpollTimeout::ZERO) else {
            return;
        };
        self.buf.resize(FRAME, 0);
        for event in &events[..n] {
            let (id, side) = (event.data() / 2, (event.data() % 2) as usize);
            let Some(wire) = self.wires.get(&id) else {
                continue;
            };
            if !carry(&wire.ends[side], &wire.ends[1 - side], &mut self.buf) {
                self.wires.remove(&id);
            }
        }
    }
}

/// Moves up to a batch of frames from one end to the other; false when `from` failed.
/// A frame the other end cannot take now is dropped, as a busy link would.
fn carry(from: &OwnedFd, to: &OwnedFd, buf: &mut [u8]) -> bool {
    for _ in 0..BATCH {
        match nix::unistd::read(from, buf) {
            Ok(0) => return false,
            Ok(len) => {
                let _ = nix::unistd::write(to, &buf[..len]);
            }
            Err(nix::errno::Errno::EAGAIN) => return true,
            Err(_) => return false,
        }
    }
    true
}

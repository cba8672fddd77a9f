//! The holder of a user-defined network: `skiff __network-holder ID`, one small process per
//! network in use, alive while containers are attached and gone after the last one leaves.
//!
//! An unprivileged user cannot put two sibling user namespaces' network namespaces on one
//! bridge, so a network lives in namespaces of its own: the holder's child, the *anchor*,
//! sits in the networks' user namespace (one for all networks, so that a container can be
//! on several) and in the network's own network namespace, which holds the bridge. Containers
//! are created inside that user namespace and get a veth on the bridge (`bridge::attach`).
//! The holder itself stays outside, in the user's namespaces, where it can open host
//! sockets: it serves the network's way out through the user-mode stack (a TUN device in
//! the network's namespace, the default route there) and answers DNS for the names of the
//! network's containers on the gateway's address (`names`).
//!
//! Nothing but the holder keeps the network's namespace: if it is killed, the namespace and
//! the bridge go with it, and the next container that needs the network starts a new holder.

use super::names::NameServer;
use super::network::{self, Network};
use super::stack::{self, Stack};
use super::wire::Wires;
use crate::container::{record, state};
use crate::runtime::userns::IdMappings;
use crate::store::{self, Lock, Store};
use anyhow::{anyhow, bail, Context, Result};
use nix::poll::{PollFd, PollFlags, PollTimeout};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

const HOLDER: &str = "holder.json";
const HOLDER_LOCK: &str = "holder.lock";
/// Touched by every container that attaches: the holder stays at least this long after,
/// so that a container between its attachment and its first "running" state keeps its
/// network.
const ATTACHED_MARK: &str = "attached";
const GRACE: Duration = Duration::from_secs(10);
/// How often the holder looks whether anyone still uses the network.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// The MTU of the TUN device that is the network's way out.
const UPLINK_MTU: u32 = super::mode::DEFAULT_MTU;

/// Who holds a network, as `holder.json` records it.
#[derive(Serialize, Deserialize)]
struct Holder {
    pid: i32,
    pid_start: u64,
    anchor: i32,
    anchor_start: u64,
}

/// A network in use: the process whose user and network namespaces are the network's.
pub struct Anchor {
    pub pid: i32,
    pub pidfd: OwnedFd,
}

impl Anchor {
    /// The network's namespace, for `bridge::attach`.
    pub fn netns(&self) -> Result<OwnedFd> {
        open_ns(self.pid, "net")
    }

    /// Identifies the user namespace, to tell whether two networks share one.
    pub fn userns_id(&self) -> Result<u64> {
        let meta = std::fs::metadata(format!("/proc/{}/ns/user", self.pid))
            .context("the network's holder went away")?;
        Ok(std::os::unix::fs::MetadataExt::ino(&meta))
    }
}

fn open_ns(pid: i32, kind: &str) -> Result<OwnedFd> {
    let file = std::fs::File::open(format!("/proc/{pid}/ns/{kind}"))
        .context("the network's holder went away")?;
    Ok(file.into())
}

fn dir(store: &Store, network: &Network) -> PathBuf {
    network::dir(store, &network.id)
}

/// The network's anchor, starting a holder when none is alive. Marks the network as just
/// attached to, so its holder stays while the caller's container starts.
pub fn ensure(store: &Store, network: &Network) -> Result<Anchor> {
    let dir = dir(store, network);
    let _lock = Lock::acquire(&dir.join(HOLDER_LOCK))?;
    store::write_atomic(&dir.join(ATTACHED_MARK), b"")?;
    if let Some(anchor) = live_anchor(&dir) {
        return Ok(anchor);
    }
    let message = crate::supervisor::detached::spawn_helper(
        store,
        &["__network-holder", &network.id],
        "the network's holder",
    )?;
    if !message.is_empty() {
        bail!(
            "cannot bring up network {}: {}",
            network.name,
            String::from_utf8_lossy(&message)
        );
    }
    live_anchor(&dir).ok_or_else(|| anyhow!("the holder of network {} died", network.name))
}

/// The anchor of a network whose holder lives.
fn live_anchor(dir: &Path) -> Option<Anchor> {
    let holder: Holder = store::read_json(&dir.join(HOLDER)).ok()?;
    if !crate::store::process_alive(holder.pid, holder.pid_start)
        || !crate::store::process_alive(holder.anchor, holder.anchor_start)
    {
        return None;
    }
    let pidfd = crate::runtime::exec::pidfd_open(nix::unistd::Pid::from_raw(holder.anchor)).ok()?;
    // The pid might have been reused between the check and the open.
    crate::store::process_alive(holder.anchor, holder.anchor_start).then_some(Anchor {
        pid: holder.anchor,
        pidfd,
    })
}

/// The user namespace networks share: that of any live anchor.
fn shared_userns(store: &Store) -> Option<Anchor> {
    let networks = std::fs::read_dir(store.networks()).ok()?;
    networks
        .flatten()
        .find_map(|entry| live_anchor(&entry.path()))
}

/// The holder's main: brings the network up, reports to `ready_fd`, serves until the
/// network is unused.
pub fn main(store: &Store, id: &str, ready_fd: i32) -> Result<()> {
    // SAFETY: the launcher passed us this descriptor for exactly this purpose.
    let mut ready = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(ready_fd) });
    // Whoever started us (a supervisor) blocks signals for its own signalfd: the holder is
    // ended by plain signals, as any process.
    crate::runtime::reset_signals();
    let network = network::load(store, id)?;
    let dir = dir(store, &network);
    let up = bring_up(store, &network, &dir);
    let report = match &up {
        Ok(_) => Vec::new(),
        Err(e) => format!("{e:#}").into_bytes(),
    };
    let _ = std::io::Write::write_all(&mut ready, &report);
    drop(ready);
    serve(store, &network, &dir, up?);
    Ok(())
}

/// What the holder serves once the network is up.
struct Up {
    /// The network's TUN device, its way out (none when internal).
    uplink: Option<OwnedFd>,
    /// The DNS socket bound on the gateway's address.
    dns: OwnedFd,
    /// The holder's control socket.
    control: OwnedFd,
    /// The anchor's pidfd: without the anchor there is no network to serve.
    anchor: OwnedFd,
}

/// Starts the anchor, records it, and returns what the holder serves.
fn bring_up(store: &Store, network: &Network, dir: &Path) -> Result<Up> {
    let control = listen(store, network)?;
    // One user namespace for all networks: creating it is serialised with looking for it.
    let _lock = Lock::acquire(&store.networks().join("userns.lock"))?;
    let shared = shared_userns(store);
    let (anchor, uplink, dns) = start_anchor(network, shared.as_ref())?;
    let me = std::process::id() as i32;
    store::write_json(
        &dir.join(HOLDER),
        &Holder {
            pid: me,
            pid_start: crate::store::process_start_time(me).unwrap_or(0),
            anchor,
            anchor_start: crate::store::process_start_time(anchor).unwrap_or(0),
        },
    )?;
    let anchor = crate::runtime::exec::pidfd_open(nix::unistd::Pid::from_raw(anchor))?;
    Ok(Up {
        uplink,
        dns,
        control,
        anchor,
    })
}

/// Forks the anchor into the networks' user namespace (joined, or new and mapped like a
/// container's) and a new network namespace, where it builds the bridge, the way out and the
/// DNS socket, hands their descriptors over, and then only waits to die with us.
fn start_anchor(
    network: &Network,
    shared: Option<&Anchor>,
) -> Result<(i32, Option<OwnedFd>, OwnedFd)> {
    let (ours, theirs) = crate::runtime::channel::pair()?;
    // SAFETY: the holder is single-threaded.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Child => {
            drop(ours);
            let result = anchor_main(network, shared.map(|a| a.pidfd.as_fd()), &theirs);
            if let Err(e) = result {
                let _ = crate::runtime::channel::send(&theirs, format!("{e:#}").as_bytes(), None);
            }
            unsafe { libc::_exit(1) }
        }
        nix::unistd::ForkResult::Parent { child } => {
            drop(theirs);
            receive_part(&ours, b"userns")?;
            if shared.is_none() {
                IdMappings::detect().apply(child.as_raw())?;
            }
            nix::unistd::write(&ours, b"g")?;
            let uplink = receive_part(&ours, b"uplink")?;
            let dns = receive_part(&ours, b"dns")?
                .ok_or_else(|| anyhow!("the network's DNS socket is missing"))?;
            Ok((child.as_raw(), uplink, dns))
        }
    }
}

/// One of the anchor's messages: the named part (with its descriptor, if any), or its error.
fn receive_part(channel: &OwnedFd, part: &[u8]) -> Result<Option<OwnedFd>> {
    let (message, fd) = crate::runtime::channel::receive(channel)?;
    if message != part {
        bail!("{}", String::from_utf8_lossy(&message));
    }
    Ok(fd)
}

fn anchor_main(network: &Network, shared: Option<BorrowedFd>, channel: &OwnedFd) -> Result<()> {
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    // The anchor lives on: it must not keep the holder's descriptors (its ready pipe, whose
    // reader waits for the end of it, above all).
    let keep = [Some(channel.as_raw_fd()), shared.map(|fd| fd.as_raw_fd())];
    close_all_but(&keep.into_iter().flatten().collect::<Vec<_>>());
    match shared {
        Some(userns) => nix::sched::setns(userns, nix::sched::CloneFlags::CLONE_NEWUSER)
            .context("cannot join the networks' user namespace")?,
        None => nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWUSER)
            .context("cannot create the networks' user namespace")?,
    }
    crate::runtime::channel::send(channel, b"userns", None)?;
    let mut go = [0u8; 1];
    if nix::unistd::read(channel, &mut go)? != 1 {
        bail!("the network's holder went away");
    }
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
        .context("cannot create the network's namespace")?;
    super::bridge::setup_bridge(
        &network.bridge_name(),
        network.gateway,
        network.prefix_len,
        network.mtu,
    )?;
    let uplink = if network.internal {
        None
    } else {
        Some(super::device::create_eth0(UPLINK_MTU)?)
    };
    crate::runtime::channel::send(channel, b"uplink", uplink.as_ref().map(|fd| fd.as_raw_fd()))?;
    let dns = std::net::UdpSocket::bind(SocketAddrV4::new(network.gateway, 53))
        .context("cannot open the network's DNS socket")?;
    crate::runtime::channel::send(channel, b"dns", Some(dns.as_raw_fd()))?;
    drop((uplink, dns));
    // Nothing more to do than to be the namespaces' anchor until the holder dies.
    loop {
        nix::unistd::pause();
    }
}

/// Closes every descriptor from 3 up except those in `keep`.
fn close_all_but(keep: &[i32]) {
    let mut keep = keep.to_vec();
    keep.sort_unstable();
    let mut from = 3;
    for fd in keep.into_iter().filter(|&fd| fd >= 3) {
        if fd > from {
            unsafe { libc::syscall(libc::SYS_close_range, from as u32, (fd - 1) as u32, 0) };
        }
        from = fd + 1;
    }
    unsafe { libc::syscall(libc::SYS_close_range, from as u32, u32::MAX, 0) };
}

/// The holder's loop: the way out, DNS, wires, requests on the control socket, and the
/// periodic look whether the network is used.
fn serve(store: &Store, network: &Network, dir: &Path, up: Up) {
    let Up {
        uplink,
        dns,
        control,
        anchor,
    } = up;
    let upstreams = super::dns::upstreams();
    let mut stack = uplink.and_then(|tun| {
        Stack::new(
            tun,
            stack::Config {
                mtu: UPLINK_MTU as usize,
                allow_host_loopback: allows_host_loopback(network),
                dns: upstreams.clone(),
            },
        )
        .ok()
    });
    let (Ok(mut names), Ok(mut wires)) = (
        NameServer::new(dns, upstreams.first().copied()),
        Wires::new(),
    ) else {
        return;
    };
    let mut next_check = Instant::now() + CHECK_EVERY;
    loop {
        let timeout = [
            stack.as_mut().and_then(|s| s.timeout()),
            names.timeout(),
            Some(next_check.saturating_duration_since(Instant::now())),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(CHECK_EVERY);
        let ready = {
            let mut fds = vec![
                PollFd::new(names.fd(), PollFlags::POLLIN),
                PollFd::new(wires.fd(), PollFlags::POLLIN),
                PollFd::new(control.as_fd(), PollFlags::POLLIN),
                PollFd::new(anchor.as_fd(), PollFlags::POLLIN),
            ];
            if let Some(stack) = &stack {
                fds.push(PollFd::new(stack.fd(), PollFlags::POLLIN));
            }
            let millis = timeout.as_millis().min(u16::MAX as u128) as u16;
            let _ = nix::poll::poll(&mut fds, PollTimeout::from(millis));
            fds.iter()
                .map(|fd| fd.revents().is_some_and(|r| !r.is_empty()))
                .collect::<Vec<bool>>()
        };
        if let Some(stack) = stack.as_mut() {
            stack.process(ready.get(4).copied().unwrap_or(false));
        }
        if ready[0] {
            names.process(&mut |name, client| local_addresses(store, network, name, client));
        }
        if ready[1] {
            wires.process();
        }
        if ready[2] {
            serve_request(&control, &mut wires);
        }
        // A killed anchor took the network with it: the next container starts a new holder.
        if ready[3] {
            forget(dir);
            let _ = std::fs::remove_file(control_path(store, network));
            return;
        }
        if Instant::now() >= next_check {
            if unused(store, network, dir) {
                // Looked at again under the lock: a container may have attached meanwhile.
                if let Some(_held) = leave(dir).filter(|_| unused(store, network, dir)) {
                    forget(dir);
                    let _ = std::fs::remove_file(control_path(store, network));
                    return;
                }
            }
            next_check = Instant::now() + CHECK_EVERY;
        }
    }
}

/// Where the holder takes requests: `<runroot>/net-<short id>.sock`.
fn control_path(store: &Store, network: &Network) -> PathBuf {
    store
        .runroot
        .join(format!("net-{}.sock", &network.id[..12]))
}

/// The holder's control socket, listening (a socket of sequenced packets, which carry
/// descriptors message by message).
fn listen(store: &Store, network: &Network) -> Result<OwnedFd> {
    use nix::sys::socket::{bind, listen, socket, AddressFamily, Backlog, SockFlag, SockType};
    let path = control_path(store, network);
    let _ = std::fs::create_dir_all(&store.runroot);
    let _ = std::fs::remove_file(&path);
    let socket = socket(
        AddressFamily::Unix,
        SockType::SeqPacket,
        SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        None,
    )?;
    let short = store::socket_path(&path)?;
    bind(
        socket.as_raw_fd(),
        &nix::sys::socket::UnixAddr::new(&short.path)?,
    )
    .with_context(|| format!("cannot listen on {}", path.display()))?;
    listen(&socket, Backlog::new(16)?)?;
    Ok(socket)
}

/// One request on the control socket: `wire OWNER` with the container's end, then the
/// network's end; or `unwire OWNER`. Answered with "ok" once done.
fn serve_request(control: &OwnedFd, wires: &mut Wires) {
    let Ok(fd) = nix::sys::socket::accept(control.as_raw_fd()) else {
        return;
    };
    // SAFETY: accept just gave us this descriptor.
    let client = unsafe { OwnedFd::from_raw_fd(fd) };
    let timeout = nix::sys::time::TimeVal::new(2, 0);
    let _ =
        nix::sys::socket::setsockopt(&client, nix::sys::socket::sockopt::ReceiveTimeout, &timeout);
    let Ok((request, first)) = crate::runtime::channel::receive(&client) else {
        return;
    };
    let request = String::from_utf8_lossy(&request).into_owned();
    let done = match (request.split_once(' '), first) {
        (Some(("wire", owner)), Some(container_end)) => {
            match crate::runtime::channel::receive(&client) {
                Ok((_, Some(network_end))) => {
                    wires.add(owner, [container_end, network_end]).is_ok()
                }
                _ => false,
            }
        }
        (Some(("unwire", owner)), None) => {
            wires.remove(owner);
            true
        }
        _ => false,
    };
    let _ = crate::runtime::channel::send(&client, if done { b"ok" } else { b"refused" }, None);
}

/// Asks the network's holder to carry frames between the two TAP devices of a container
/// (`bridge::tap_in_container`, `bridge::tap_on_bridge`).
pub fn wire(store: &Store, network: &Network, container: &str, ends: [OwnedFd; 2]) -> Result<()> {
    let client = connect(store, network)?;
    let [container_end, network_end] = ends;
    crate::runtime::channel::send(
        &client,
        format!("wire {container}").as_bytes(),
        Some(container_end.as_raw_fd()),
    )?;
    crate::runtime::channel::send(&client, b"end", Some(network_end.as_raw_fd()))?;
    answered(&client)
}

/// Asks the network's holder to cut a container's wires (its TAP device goes with them).
pub fn unwire(store: &Store, network: &Network, container: &str) -> Result<()> {
    let client = connect(store, network)?;
    crate::runtime::channel::send(&client, format!("unwire {container}").as_bytes(), None)?;
    answered(&client)
}

fn connect(store: &Store, network: &Network) -> Result<OwnedFd> {
    use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType, UnixAddr};
    let client = socket(
        AddressFamily::Unix,
        SockType::SeqPacket,
        SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    let short = store::socket_path(&control_path(store, network))?;
    nix::sys::socket::connect(client.as_raw_fd(), &UnixAddr::new(&short.path)?)
        .with_context(|| format!("cannot reach the holder of network {}", network.name))?;
    Ok(client)
}

fn answered(client: &OwnedFd) -> Result<()> {
    match crate::runtime::channel::receive(client)?.0.as_slice() {
        b"ok" => Ok(()),
        _ => bail!("the network's holder refused the request"),
    }
}

/// `network create -o allow_host_loopback=true`: as the default network's option of that
/// name, 10.0.2.2 leads to the host's loopback through the network's way out.
pub fn allows_host_loopback(network: &Network) -> bool {
    network
        .options
        .get("allow_host_loopback")
        .is_some_and(|v| v == "true")
}

/// Whether no running container is on the network and none attached lately.
fn unused(store: &Store, network: &Network, dir: &Path) -> bool {
    // No mark (the network was removed) is no attachment either.
    let attached_lately = std::fs::metadata(dir.join(ATTACHED_MARK))
        .and_then(|m| m.modified())
        .ok()
        .is_some_and(|t| {
            SystemTime::now()
                .duration_since(t)
                .map_or(true, |age| age < GRACE)
        });
    !attached_lately
        && network::endpoints(store, network)
            .unwrap_or_default()
            .iter()
            .all(|e| !is_running(store, &e.container_id))
}

/// Gives the network up, unless a container is attaching right now: the holder lock, held
/// until the holder is gone (a network removed meanwhile has none to take).
fn leave(dir: &Path) -> Option<Option<std::fs::File>> {
    let Ok(lock) = std::fs::File::open(dir.join(HOLDER_LOCK)) else {
        return Some(None);
    };
    let taken = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 };
    taken.then_some(Some(lock))
}

/// Takes the holder's record away, if it is still this holder's.
fn forget(dir: &Path) {
    let path = dir.join(HOLDER);
    if store::read_json::<Holder>(&path).is_ok_and(|h| h.pid == std::process::id() as i32) {
        let _ = std::fs::remove_file(path);
    }
}

fn is_running(store: &Store, id: &str) -> bool {
    state::load(store, id).is_ok_and(|s| s.is_running())
}

/// The addresses under which `name` (a container's name, an alias, or its short id) is
/// known to `client`, as docker's DNS has it: on this network, and on the other networks the
/// asking container is on, with its address there.
fn local_addresses(store: &Store, network: &Network, name: &str, client: IpAddr) -> Vec<Ipv4Addr> {
    let asking = network::endpoints(store, network)
        .unwrap_or_default()
        .into_iter()
        .find(|e| IpAddr::V4(e.ip) == client)
        .map(|e| e.container_id);
    let mut networks = vec![network.clone()];
    if let Some(asking) = asking {
        networks.extend(
            network::attachments(store, &asking)
                .unwrap_or_default()
                .into_iter()
                .map(|(n, _)| n)
                .filter(|n| n.id != network.id),
        );
    }
    addresses_on(store, &networks, name)
}

/// The addresses of the running containers known as `name` on `networks`.
pub fn addresses_on(store: &Store, networks: &[Network], name: &str) -> Vec<Ipv4Addr> {
    networks
        .iter()
        .flat_map(|n| network::endpoints(store, n).unwrap_or_default())
        .filter(|e| known_as(store, e, name) && is_running(store, &e.container_id))
        .map(|e| e.ip)
        .collect()
}

/// Whether the endpoint's container is called `name`: its name, an alias or its short id.
fn known_as(store: &Store, endpoint: &network::Endpoint, name: &str) -> bool {
    let same = |n: &str| n.eq_ignore_ascii_case(name);
    endpoint.container_id.get(..12).is_some_and(same)
        || endpoint.aliases.iter().any(|a| same(a))
        || record::load(store, &endpoint.container_id).is_ok_and(|r| same(&r.name))
}

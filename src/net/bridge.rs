//! The bridge of a user-defined network and the containers' veth pairs on it, built with
//! [`netlink`](super::netlink): the bridge lives in the network's own network namespace, with
//! the gateway's address; each container gets a veth pair with one end on the bridge and the
//! other as its `ethN`.

use std::net::Ipv4Addr;
use std::os::fd::{AsFd, OwnedFd};

use anyhow::{Context, Result};

use super::netlink::{current_netns, in_netns, Netlink};

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
    configure(&mut container, index, attachment)
}

/// A container's place on the network when no veth can join the two namespaces (a running
/// container with a user namespace of its own): a TAP device on each side, whose frames the
/// network's holder carries across. Called in the container's network namespace: its end,
/// `ifname`, configured as a veth end would be.
pub fn tap_in_container(attachment: &Attachment) -> Result<OwnedFd> {
    let tap = super::device::open_tap(&attachment.ifname)?;
    let mut container = Netlink::open()?;
    let index = container
        .index_of(&attachment.ifname)?
        .with_context(|| format!("the new network interface {} vanished", attachment.ifname))?;
    container.set_mtu(index, attachment.mtu)?;
    configure(&mut container, index, attachment)?;
    Ok(tap)
}

/// The network's end of [`tap_in_container`], in the network's namespace (current): a TAP
/// device on `bridge`, up.
pub fn tap_on_bridge(bridge: &str, mtu: u32) -> Result<OwnedFd> {
    let name = format!("tap{}", crate::store::random_hex(4));
    let tap = super::device::open_tap(&name)?;
    let mut network = Netlink::open()?;
    let index = network
        .index_of(&name)?
        .with_context(|| format!("the new network interface {name} vanished"))?;
    network.set_mtu(index, mtu)?;
    plug_into_bridge(&mut network, index, bridge)?;
    Ok(tap)
}

/// The container's end with its mac, address, up, and the default route if it has it.
fn configure(container: &mut Netlink, index: u32, attachment: &Attachment) -> Result<()> {
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
    use crate::net::netlink::mac_text;
    use anyhow::{anyhow, ensure};
    use netlink_packet_route::link::{LinkAttribute, State};
    use nix::sched::CloneFlags;
    use std::fs::File;
    use std::io;
    use std::net::UdpSocket;
    use std::os::fd::BorrowedFd;
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

            let attributes = Netlink::open()?.attributes_of("eth0")?;
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
            let attributes = netlink.attributes_of("eth0")?;
            ensure!(
                attributes.contains(&LinkAttribute::OperState(State::Down)),
                "eth0 is not down: {attributes:?}"
            );

            detach("eth0")?;
            ensure!(
                Netlink::open()?.index_of("eth0")?.is_none(),
                "eth0 is still there"
            );
            no_veth_left(network.as_fd())?;
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
            no_veth_left(network.as_fd())?;
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

    /// Fails if the network's namespace still has a veth.
    fn no_veth_left(network: BorrowedFd) -> Result<()> {
        let devices = in_netns(network, || {
            Ok(std::fs::read_to_string("/proc/thread-self/net/dev")?)
        })?;
        ensure!(
            !devices.contains("veth"),
            "a veth is left behind: {devices}"
        );
        Ok(())
    }
}

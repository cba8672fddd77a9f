//! The default network's `eth0`: a TUN device created inside the container's network
//! namespace by its first process (root in its user namespace there), configured with the
//! container's address and default route, and handed to the supervisor, which reads and
//! writes the container's IP packets through it.
//!
//! A TUN (layer 3, no link header) rather than a TAP: no ARP to answer, and every read is
//! exactly one IP packet.

use super::{CONTAINER_IP, GATEWAY_IP, PREFIX_LEN};
use anyhow::{Context, Result};
use std::net::Ipv4Addr;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

/// _IOW('T', 202, int)
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
/// _IOW('T', 203, int)
const TUNSETPERSIST: libc::c_ulong = 0x4004_54cb;
const NAME: &[u8] = b"eth0";

/// Creates and configures `eth0` in the current network namespace; returns the TUN fd.
pub fn create_eth0(mtu: u32) -> Result<OwnedFd> {
    let tun = open_tun().context("cannot create the container's eth0 (/dev/net/tun)")?;
    let control = nix::sys::socket::socket(
        nix::sys::socket::AddressFamily::Inet,
        nix::sys::socket::SockType::Datagram,
        nix::sys::socket::SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    let fd = control.as_raw_fd();
    let mut request = ifreq();
    request.ifr_ifru.ifru_mtu = mtu as libc::c_int;
    ioctl(fd, libc::SIOCSIFMTU, &mut request).context("cannot set eth0's MTU")?;
    request.ifr_ifru.ifru_addr = sockaddr(CONTAINER_IP);
    ioctl(fd, libc::SIOCSIFADDR, &mut request).context("cannot set eth0's address")?;
    request.ifr_ifru.ifru_netmask = sockaddr(netmask(PREFIX_LEN));
    ioctl(fd, libc::SIOCSIFNETMASK, &mut request).context("cannot set eth0's netmask")?;
    request.ifr_ifru.ifru_flags = (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
    ioctl(fd, libc::SIOCSIFFLAGS, &mut request).context("cannot bring eth0 up")?;
    add_default_route(fd).context("cannot add the default route via 10.0.2.2")?;
    Ok(tun)
}

fn open_tun() -> Result<OwnedFd> {
    let fd = open_device(NAME, libc::IFF_TUN)?;
    // Closing the last descriptor of a device that is not persistent unregisters it on the
    // spot, which waits for RCU grace periods: tens of milliseconds added to every container
    // exit. A persistent device goes with its network namespace instead, in the kernel's
    // own time, after the supervisor has closed its descriptor.
    // SAFETY: TUNSETPERSIST takes its argument by value.
    if unsafe { libc::ioctl(fd.as_raw_fd(), TUNSETPERSIST as _, 1 as libc::c_ulong) } != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    Ok(fd)
}

/// A TUN or TAP device (`kind`: IFF_TUN or IFF_TAP) named `name` in the current network
/// namespace, without packet information headers.
fn open_device(name: &[u8], kind: libc::c_int) -> std::io::Result<OwnedFd> {
    let fd = nix::fcntl::open(
        "/dev/net/tun",
        nix::fcntl::OFlag::O_RDWR | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )?;
    let mut request = named_ifreq(name);
    request.ifr_ifru.ifru_flags = (kind | libc::IFF_NO_PI) as libc::c_short;
    ioctl(fd.as_raw_fd(), TUNSETIFF, &mut request)?;
    Ok(fd)
}

/// A TAP device `name` (an Ethernet interface whose frames are read and written through the
/// returned descriptor); it goes away with the descriptor.
pub fn open_tap(name: &str) -> Result<OwnedFd> {
    open_device(name.as_bytes(), libc::IFF_TAP)
        .with_context(|| format!("cannot create the network interface {name} (/dev/net/tun)"))
}

fn ifreq() -> libc::ifreq {
    named_ifreq(NAME)
}

fn named_ifreq(name: &[u8]) -> libc::ifreq {
    // SAFETY: ifreq is plain data; all zeroes is its empty value.
    let mut request: libc::ifreq = unsafe { std::mem::zeroed() };
    for (i, b) in name.iter().take(libc::IFNAMSIZ - 1).enumerate() {
        request.ifr_name[i] = *b as libc::c_char;
    }
    request
}

fn ioctl<T>(fd: RawFd, op: libc::c_ulong, arg: &mut T) -> std::io::Result<()> {
    // SAFETY: every caller passes the structure the request expects.
    if unsafe { libc::ioctl(fd, op as _, arg as *mut T) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

fn sockaddr(ip: Ipv4Addr) -> libc::sockaddr {
    let addr = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from(ip).to_be(),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: sockaddr_in and sockaddr have the same size; the kernel reads it by family.
    unsafe { std::mem::transmute::<libc::sockaddr_in, libc::sockaddr>(addr) }
}

fn netmask(prefix: u8) -> Ipv4Addr {
    Ipv4Addr::from(u32::MAX << (32 - prefix))
}

/// The kernel's `struct rtentry` (for SIOCADDRT), which the libc crate does not define.
#[repr(C)]
struct RtEntry {
    rt_pad1: libc::c_ulong,
    rt_dst: libc::sockaddr,
    rt_gateway: libc::sockaddr,
    rt_genmask: libc::sockaddr,
    rt_flags: libc::c_ushort,
    rt_pad2: libc::c_short,
    rt_pad3: libc::c_ulong,
    rt_pad4: *mut libc::c_void,
    rt_metric: libc::c_short,
    rt_dev: *mut libc::c_char,
    rt_mtu: libc::c_ulong,
    rt_window: libc::c_ulong,
    rt_irtt: libc::c_ushort,
}

const RTF_UP: libc::c_ushort = 0x1;
const RTF_GATEWAY: libc::c_ushort = 0x2;

fn add_default_route(fd: RawFd) -> std::io::Result<()> {
    let mut dev = *b"eth0\0";
    let mut route = RtEntry {
        rt_pad1: 0,
        rt_dst: sockaddr(Ipv4Addr::UNSPECIFIED),
        rt_gateway: sockaddr(GATEWAY_IP),
        rt_genmask: sockaddr(Ipv4Addr::UNSPECIFIED),
        rt_flags: RTF_UP | RTF_GATEWAY,
        rt_pad2: 0,
        rt_pad3: 0,
        rt_pad4: std::ptr::null_mut(),
        rt_metric: 0,
        rt_dev: dev.as_mut_ptr() as *mut libc::c_char,
        rt_mtu: 0,
        rt_window: 0,
        rt_irtt: 0,
    };
    ioctl(fd, libc::SIOCADDRT as libc::c_ulong, &mut route)
}

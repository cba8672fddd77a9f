//! What skiff knows of the host and its store: the facts `skiff info` prints and the API's
//! `/info` reports, read without privileges.

use crate::runtime::userns::{IdMappings, MappingMode};
use crate::store::Store;
use anyhow::Result;
use serde_json::{json, Value};
use std::path::Path;

/// skiff's own view of the host, the store and the kernel features it relies on.
pub fn info(store: &Store) -> Result<Value> {
    let maps = IdMappings::detect();
    let uname = nix::sys::utsname::uname()?;
    let images = std::fs::read_dir(store.images())?.count();
    let containers = std::fs::read_dir(store.containers())?.count();
    let ranges = |r: &[crate::runtime::userns::IdRange]| {
        r.iter()
            .map(|r| json!({"ContainerID": r.container, "HostID": r.host, "Size": r.size}))
            .collect::<Vec<_>>()
    };
    Ok(json!({
        "ServerVersion": env!("CARGO_PKG_VERSION"),
        "Root": store.root,
        "RunRoot": store.runroot,
        "Rootless": !nix::unistd::geteuid().is_root(),
        "IDMappings": {
            "Mode": match maps.mode { MappingMode::Root => "root", MappingMode::Subordinate => "subordinate ids (newuidmap)", MappingMode::Single => "single id" },
            "UIDMap": ranges(&maps.uids),
            "GIDMap": ranges(&maps.gids),
        },
        "Images": images,
        "Containers": containers,
        "KernelVersion": uname.release().to_string_lossy(),
        "OperatingSystem": operating_system(),
        "Architecture": crate::image::config::host_architecture(),
        "NCPU": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "MemTotal": mem_total(),
        "Features": features(),
    }))
}

fn operating_system() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("PRETTY_NAME=")
                    .map(|v| v.trim_matches('"').to_string())
            })
        })
        .unwrap_or_else(|| "Linux".into())
}

/// The machine's memory in bytes (0 when /proc does not say).
pub fn mem_total() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("MemTotal:")
                    .and_then(|v| v.trim().trim_end_matches(" kB").parse::<u64>().ok())
            })
        })
        .map_or(0, |kb| kb * 1024)
}

/// What the kernel offers that skiff relies on, read from /proc and /sys without privileges.
fn features() -> Value {
    let exists = |p: &str| Path::new(p).exists();
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let max_userns = read("/proc/sys/user/max_user_namespaces")
        .trim()
        .parse::<u64>()
        .unwrap_or(0);
    let unprivileged_userns = read("/proc/sys/kernel/unprivileged_userns_clone").trim() != "0";
    let release = nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut numbers = release
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse::<u32>().ok());
    let version = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
    json!({
        "user_namespaces": max_userns > 0 && unprivileged_userns,
        "overlay": read("/proc/filesystems").contains("overlay"),
        "overlay_in_user_namespace": version >= (5, 11),
        "seccomp": read("/proc/self/status").contains("Seccomp:"),
        "pidfd": version >= (5, 3),
        "cgroup_v2": exists("/sys/fs/cgroup/cgroup.controllers"),
        "tun": exists("/dev/net/tun"),
        "newuidmap": exists("/usr/bin/newuidmap"),
    })
}

/// The CPU time the whole machine has spent since boot, in nanoseconds, from /proc/stat's
/// first line: docker's `system_cpu_usage`, against which container CPU time is a share.
pub fn cpu_time_nanos() -> u64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: u64 = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|f| f.parse::<u64>().ok())
        .sum();
    ticks * 1_000_000_000 / ticks_per_second()
}

/// Clock ticks per second, for turning /proc times into seconds.
pub fn ticks_per_second() -> u64 {
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).max(1) as u64
}

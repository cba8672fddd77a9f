//! cgroup v1: one hierarchy per controller, the container's cgroup at the same relative
//! path in each.

use super::{keyed, settle, write, Cgroup, Limit, Limits, Resources, Usage};
use anyhow::{Context, Result};
use std::path::Path;

/// The controllers a container's cgroup is made in (devices only with device rules).
pub const CONTROLLERS: [&str; 8] = [
    "memory", "cpu", "cpuacct", "cpuset", "pids", "blkio", "freezer", "devices",
];

/// The devices every container may use when it has device rules: runc's defaults (the
/// standard nodes, terminals, mknod of any), plus /dev/net/tun, which skiff opens for the
/// container's network after it has joined its cgroup.
const DEFAULT_DEVICES: [&str; 12] = [
    "c *:* m",
    "b *:* m",
    "c 1:3 rwm",
    "c 1:5 rwm",
    "c 1:7 rwm",
    "c 1:8 rwm",
    "c 1:9 rwm",
    "c 5:0 rwm",
    "c 5:1 rwm",
    "c 5:2 rwm",
    "c 136:* rwm",
    "c 10:200 rwm",
];

fn limits(r: &Resources) -> Vec<Limit> {
    let mut limits = Limits::default();
    let mut add = |controller, file, value| limits.add(controller, file, value);
    if r.memory > 0 {
        add("memory", "memory.limit_in_bytes", r.memory.to_string());
    }
    if r.memory_swap != 0 {
        add(
            "memory",
            "memory.memsw.limit_in_bytes",
            r.memory_swap.to_string(),
        );
    }
    if r.memory_reservation > 0 {
        let reservation = r.memory_reservation.to_string();
        add("memory", "memory.soft_limit_in_bytes", reservation);
    }
    if r.oom_kill_disable {
        add("memory", "memory.oom_control", "1".into());
    }
    if r.cpu_shares > 0 {
        add("cpu", "cpu.shares", r.cpu_shares.to_string());
    }
    if let Some((quota, period)) = r.cfs() {
        add("cpu", "cpu.cfs_period_us", period.to_string());
        add("cpu", "cpu.cfs_quota_us", quota.to_string());
    }
    if r.blkio_weight > 0 {
        add("blkio", "blkio.weight", r.blkio_weight.to_string());
    }
    limits.add_common(r);
    limits.0
}

/// Whether the machine can take the limit: its controller is mounted and the kernel has
/// the file (seen at the hierarchy's root, which has every file but pids.max: the root of
/// the pids hierarchy cannot be limited).
fn supported(root: &Path, limit: &Limit) -> bool {
    let hierarchy = root.join(limit.controller);
    hierarchy.is_dir() && (limit.file == "pids.max" || hierarchy.join(limit.file).exists())
}

pub fn unsupported(root: &Path, resources: &Resources) -> Vec<String> {
    limits(resources)
        .iter()
        .filter(|l| !supported(root, l))
        .map(|l| match l.file {
            "memory.memsw.limit_in_bytes" => "Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.".to_string(),
            "blkio.weight" => "Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.".to_string(),
            file => format!("the {} cgroup controller is not mounted: {file} is not set", l.controller),
        })
        .collect()
}

pub fn create(cgroup: &Cgroup, resources: &Resources, devices: &[String]) -> Result<()> {
    let with_devices = !resources.device_cgroup_rules.is_empty();
    for controller in CONTROLLERS {
        let hierarchy = cgroup.root.join(controller);
        if !hierarchy.is_dir() || (controller == "devices" && !with_devices) {
            continue;
        }
        let dir = hierarchy.join(&cgroup.path);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the cgroup {}", dir.display()))?;
        if controller == "cpuset" {
            inherit_cpuset(&hierarchy, &cgroup.path)?;
        }
    }
    set(cgroup, resources)?;
    if with_devices {
        let dir = cgroup.root.join("devices").join(&cgroup.path);
        write(&dir.join("devices.deny"), "a")?;
        let rules = DEFAULT_DEVICES.iter().map(|r| r.to_string());
        for rule in rules.chain(devices.iter().cloned()) {
            write(&dir.join("devices.allow"), &rule)?;
        }
        for rule in &resources.device_cgroup_rules {
            write(&dir.join("devices.allow"), rule)?;
        }
    }
    Ok(())
}

/// A new v1 cpuset has no CPUs and no memory nodes, and takes no process until it has
/// some: each level skiff made gets its parent's.
fn inherit_cpuset(hierarchy: &Path, path: &str) -> Result<()> {
    let mut dir = hierarchy.to_path_buf();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        let parent = dir.clone();
        dir.push(part);
        for file in ["cpuset.cpus", "cpuset.mems"] {
            let own = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
            if own.trim().is_empty() {
                let inherited = std::fs::read_to_string(parent.join(file))?;
                write(&dir.join(file), inherited.trim())?;
            }
        }
    }
    Ok(())
}

/// Writes the limits the machine supports. Memory and swap limits must be written in the
/// order that keeps swap above memory at each step; a second pass settles what the first
/// wrote in the wrong order.
pub fn set(cgroup: &Cgroup, resources: &Resources) -> Result<()> {
    let path_of = |l: &Limit| {
        cgroup
            .root
            .join(l.controller)
            .join(&cgroup.path)
            .join(l.file)
    };
    let wanted: Vec<Limit> = limits(resources)
        .into_iter()
        .filter(|l| supported(&cgroup.root, l))
        .collect();
    let failed: Vec<&Limit> = wanted
        .iter()
        .filter(|l| write(&path_of(l), &l.value).is_err())
        .collect();
    for limit in failed {
        write(&path_of(limit), &limit.value)?;
    }
    Ok(())
}

/// The kernel's "no limit" for memory (a page-aligned i64::MAX).
const UNLIMITED: u64 = 0x7FFF_FFFF_FFFF_F000;

pub fn usage(cgroup: &Cgroup) -> Usage {
    let read = |controller: &str, file: &str| {
        let path = cgroup.root.join(controller).join(&cgroup.path).join(file);
        std::fs::read_to_string(path).unwrap_or_default()
    };
    let number =
        |controller: &str, file: &str| read(controller, file).trim().parse::<u64>().unwrap_or(0);
    let inactive = keyed(&read("memory", "memory.stat"), "total_inactive_file").unwrap_or(0);
    let limit: u64 = number("memory", "memory.limit_in_bytes");
    Usage {
        cpu_nanos: number("cpuacct", "cpuacct.usage"),
        memory: number("memory", "memory.usage_in_bytes").saturating_sub(inactive),
        memory_limit: (limit > 0 && limit < UNLIMITED).then_some(limit),
        pids: number("pids", "pids.current"),
        block: block_io(&read("blkio", "blkio.throttle.io_service_bytes_recursive")),
    }
}

/// Bytes read and written from blkio's `MAJOR:MINOR Read N` lines.
fn block_io(text: &str) -> (u64, u64) {
    text.lines().fold((0, 0), |(read, written), line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [_, "Read", n] => (read + n.parse::<u64>().unwrap_or(0), written),
            [_, "Write", n] => (read, written + n.parse::<u64>().unwrap_or(0)),
            _ => (read, written),
        }
    })
}

pub fn freeze(cgroup: &Cgroup, frozen: bool) -> Result<bool> {
    let state = cgroup
        .root
        .join("freezer")
        .join(&cgroup.path)
        .join("freezer.state");
    if !state.exists() {
        return Ok(false);
    }
    let wanted = if frozen { "FROZEN" } else { "THAWED" };
    write(&state, wanted)?;
    settle(|| std::fs::read_to_string(&state).is_ok_and(|s| s.trim() == wanted));
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_io_lines() {
        let text = "8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\n8:16 Read 4\nTotal 4612\n";
        assert_eq!(block_io(text), (4100, 512));
    }

    #[test]
    fn limits_in_v1_files() {
        let r = Resources {
            memory: 64 << 20,
            nano_cpus: 1_500_000_000,
            pids_limit: Some(0),
            ..Default::default()
        };
        let written: Vec<(&str, String)> =
            limits(&r).into_iter().map(|l| (l.file, l.value)).collect();
        assert_eq!(
            written,
            [
                ("memory.limit_in_bytes", "67108864".to_string()),
                ("cpu.cfs_period_us", "100000".to_string()),
                ("cpu.cfs_quota_us", "150000".to_string()),
                ("pids.max", "max".to_string()),
            ]
        );
    }
}

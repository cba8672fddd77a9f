//! cgroup v2: one tree, controllers handed down level by level through each parent's
//! `cgroup.subtree_control`.

use super::{keyed, settle, write, Cgroup, Limit, Limits, Resources, Usage};
use anyhow::{Context, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The controllers enabled for a container's cgroup even without a limit of theirs, so
/// that `stats` can read its memory and process count.
const ALWAYS: [&str; 2] = ["memory", "pids"];

fn limits(r: &Resources) -> Vec<Limit> {
    let mut limits = Limits::default();
    let mut add = |controller, file, value| limits.add(controller, file, value);
    if r.memory > 0 {
        add("memory", "memory.max", r.memory.to_string());
    }
    // v2 limits swap alone; docker's MemorySwap counts memory too.
    match r.memory_swap {
        -1 => add("memory", "memory.swap.max", "max".into()),
        swap if swap > 0 && r.memory > 0 => {
            add("memory", "memory.swap.max", (swap - r.memory).to_string())
        }
        _ => {}
    }
    if r.memory_reservation > 0 {
        add("memory", "memory.low", r.memory_reservation.to_string());
    }
    if r.cpu_shares > 0 {
        // runc's mapping of shares (2..262144) onto weights (1..10000).
        let weight = 1 + (r.cpu_shares - 2) * 9999 / 262_142;
        add("cpu", "cpu.weight", weight.to_string());
    }
    if let Some((quota, period)) = r.cfs() {
        let quota = if quota > 0 {
            quota.to_string()
        } else {
            "max".to_string()
        };
        add("cpu", "cpu.max", format!("{quota} {period}"));
    }
    if r.blkio_weight > 0 {
        // runc's mapping of blkio weights (10..1000) onto io weights (1..10000).
        let weight = 1 + (i64::from(r.blkio_weight) - 10) * 9999 / 990;
        add("io", "io.weight", weight.to_string());
    }
    limits.add_common(r);
    limits.0
}

/// The cgroup below which a rootless process may make cgroups: the parent of its own (its
/// own holds itself, and a v2 cgroup with processes cannot hand controllers down), when
/// the user may write there, as systemd's delegation allows.
pub fn delegated_parent(root: &Path, own: &str) -> Result<String, String> {
    let Some(path) = own.lines().find_map(|l| l.strip_prefix("0::")) else {
        return Err("skiff's process has no cgroup v2 of its own".to_string());
    };
    let own = path.trim().trim_matches('/');
    let parent = own.rsplit_once('/').map_or("", |(parent, _)| parent);
    let dir = root.join(parent);
    let writable = |p: &Path| nix::unistd::access(p, nix::unistd::AccessFlags::W_OK).is_ok();
    if parent.is_empty() || !writable(&dir) || !writable(&dir.join("cgroup.procs")) {
        return Err(format!(
            "the cgroup {} is not delegated to the user (run skiff in a systemd user session, or under systemd-run --user --scope)",
            dir.display()
        ));
    }
    Ok(format!("{parent}/skiff"))
}

/// The controllers a cgroup's children may have.
fn controllers(dir: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(dir.join("cgroup.controllers"))
        .unwrap_or_default()
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// The controllers a cgroup hands its children (read with or without the `+` written).
fn delegated(dir: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(dir.join("cgroup.subtree_control"))
        .unwrap_or_default()
        .split_whitespace()
        .map(|c| c.trim_start_matches('+').to_string())
        .collect()
}

/// The nearest existing directory at or above `dir`.
fn existing(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|d| d.is_dir())
        .unwrap_or(dir)
        .to_path_buf()
}

pub fn unsupported(base: &Path, resources: &Resources) -> Vec<String> {
    let available = controllers(&existing(base));
    let mut warnings: Vec<String> = limits(resources)
        .iter()
        .filter(|l| !available.contains(l.controller))
        .map(|l| {
            format!(
                "the {} cgroup controller is not delegated to skiff: {} is not set",
                l.controller, l.file
            )
        })
        .collect();
    warnings.dedup();
    if resources.oom_kill_disable {
        warnings
            .push("cgroup v2 cannot disable the OOM killer: --oom-kill-disable is ignored".into());
    }
    if !resources.device_cgroup_rules.is_empty() {
        warnings.push("device rules on cgroup v2 need an eBPF program, which skiff does not load: --device-cgroup-rule is ignored".into());
    }
    warnings
}

/// Makes the cgroup, handing the controllers its limits need down every level from the
/// root, then writes the limits.
pub fn create(cgroup: &Cgroup, resources: &Resources) -> Result<()> {
    let mut wanted: BTreeSet<&str> = limits(resources).iter().map(|l| l.controller).collect();
    wanted.extend(ALWAYS);
    let dir = cgroup.root.join(&cgroup.path);
    let mut level = cgroup.root.clone();
    for part in cgroup.path.split('/').filter(|p| !p.is_empty()) {
        enable(&level, &wanted);
        level.push(part);
        match std::fs::create_dir(&level) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(e)
                    .with_context(|| format!("cannot create the cgroup {}", level.display()))
            }
            _ => {}
        }
    }
    set(&dir, resources)
}

/// Hands the wanted controllers that `dir` has to its children, in one write. Levels above
/// a delegated cgroup are not the user's to write; they already hand down what they have.
fn enable(dir: &Path, wanted: &BTreeSet<&str>) {
    let (available, enabled) = (controllers(dir), delegated(dir));
    let missing: Vec<String> = wanted
        .iter()
        .filter(|c| available.contains(**c) && !enabled.contains(**c))
        .map(|c| format!("+{c}"))
        .collect();
    if !missing.is_empty() {
        let _ = write(&dir.join("cgroup.subtree_control"), &missing.join(" "));
    }
}

/// Writes the limits whose controllers the cgroup has.
pub fn set(dir: &Path, resources: &Resources) -> Result<()> {
    let parent = dir.parent().unwrap_or(dir);
    let enabled = delegated(parent);
    for limit in limits(resources) {
        if enabled.contains(limit.controller) {
            write(&dir.join(limit.file), &limit.value)?;
        }
    }
    Ok(())
}

pub fn usage(dir: &Path) -> Usage {
    let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap_or_default();
    let number = |file: &str| read(file).trim().parse::<u64>().unwrap_or(0);
    let inactive = keyed(&read("memory.stat"), "inactive_file").unwrap_or(0);
    Usage {
        cpu_nanos: keyed(&read("cpu.stat"), "usage_usec").unwrap_or(0) * 1000,
        memory: number("memory.current").saturating_sub(inactive),
        memory_limit: read("memory.max").trim().parse().ok(),
        pids: number("pids.current"),
        block: block_io(&read("io.stat")),
    }
}

/// Bytes read and written from io.stat's `MAJOR:MINOR rbytes=N wbytes=N ...` lines.
fn block_io(text: &str) -> (u64, u64) {
    let field = |name: &str| -> u64 {
        text.split_whitespace()
            .filter_map(|f| f.strip_prefix(name)?.parse::<u64>().ok())
            .sum()
    };
    (field("rbytes="), field("wbytes="))
}

pub fn freeze(dir: &Path, frozen: bool) -> Result<bool> {
    let control = dir.join("cgroup.freeze");
    if !control.exists() {
        return Ok(false);
    }
    write(&control, if frozen { "1" } else { "0" })?;
    let wanted = if frozen { 1 } else { 0 };
    settle(|| {
        keyed(
            &std::fs::read_to_string(dir.join("cgroup.events")).unwrap_or_default(),
            "frozen",
        ) == Some(wanted)
    });
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::super::{find, Place, Version};
    use super::*;
    use crate::testdir::TempDir;

    /// A directory laid out as the kernel lays out a v2 hierarchy: the root and a user's
    /// delegated service cgroup, which holds the caller's own. A fake cgroup file keeps
    /// what was last written to it.
    fn hierarchy() -> TempDir {
        let tree = TempDir::new("cgroup2");
        let put = |path: &str, text: &str| put(&tree, path, text);
        put(
            "cgroup.controllers",
            "cpuset cpu io memory hugetlb pids rdma misc\n",
        );
        put("cgroup.subtree_control", "cpu memory pids\n");
        let service = "user.slice/user@1000.service";
        put(
            &format!("{service}/cgroup.controllers"),
            "cpu memory pids\n",
        );
        put(
            &format!("{service}/cgroup.subtree_control"),
            "memory pids\n",
        );
        put(&format!("{service}/cgroup.procs"), "");
        put(&format!("{service}/term.scope/cgroup.procs"), "4242\n");
        tree
    }

    fn put(tree: &TempDir, path: &str, text: &str) {
        let file = tree.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }

    const OWN: &str = "0::/user.slice/user@1000.service/term.scope\n";

    #[test]
    fn rootless_below_the_delegated_parent() {
        let tree = hierarchy();
        // skiff's level exists from an earlier container; the kernel fills its
        // cgroup.controllers from what its parent hands down.
        let service = "user.slice/user@1000.service";
        put(
            &tree,
            &format!("{service}/skiff/cgroup.controllers"),
            "cpu memory pids\n",
        );
        let place = find(tree.path(), false, OWN);
        assert_eq!(
            place,
            Place::Usable {
                root: tree.path().to_path_buf(),
                version: Version::V2,
                base: "user.slice/user@1000.service/skiff".into(),
            }
        );
        let cgroup = place.cgroup_for("c0ffee", "").unwrap();
        let r = Resources {
            memory: 32 << 20,
            memory_swap: 48 << 20,
            nano_cpus: 500_000_000,
            pids_limit: Some(10),
            ..Default::default()
        };
        cgroup.create(&r, &[]).unwrap();
        let read = |p: &str| std::fs::read_to_string(tree.path().join(p)).unwrap();
        // The service handed down the cpu controller it lacked; skiff's level all three.
        assert_eq!(read(&format!("{service}/cgroup.subtree_control")), "+cpu");
        assert_eq!(
            read(&format!("{service}/skiff/cgroup.subtree_control")),
            "+cpu +memory +pids"
        );
        let dir = format!("{service}/skiff/c0ffee");
        assert_eq!(read(&format!("{dir}/memory.max")), "33554432");
        assert_eq!(read(&format!("{dir}/memory.swap.max")), "16777216");
        assert_eq!(read(&format!("{dir}/cpu.max")), "50000 100000");
        assert_eq!(read(&format!("{dir}/pids.max")), "10");
        cgroup.join(4242).unwrap();
        assert_eq!(read(&format!("{dir}/cgroup.procs")), "4242");
        assert_eq!(cgroup.procs(), [4242]);
    }

    #[test]
    fn root_under_skiffs_base() {
        let tree = hierarchy();
        put(
            &tree,
            "skiff/cgroup.controllers",
            "cpuset cpu memory pids\n",
        );
        let place = find(tree.path(), true, "0::/\n");
        let cgroup = place.cgroup_for("beef", "").unwrap();
        assert_eq!(cgroup.path, "skiff/beef");
        cgroup
            .create(
                &Resources {
                    cpu_shares: 1024,
                    cpuset_cpus: "0".into(),
                    ..Default::default()
                },
                &[],
            )
            .unwrap();
        let read = |p: &str| std::fs::read_to_string(tree.path().join(p)).unwrap();
        // The root hands down the cpuset it lacked; memory and pids it has.
        assert_eq!(read("cgroup.subtree_control"), "+cpuset");
        assert_eq!(
            read("skiff/cgroup.subtree_control"),
            "+cpu +cpuset +memory +pids"
        );
        assert_eq!(read("skiff/beef/cpu.weight"), "39");
        assert_eq!(read("skiff/beef/cpuset.cpus"), "0");
    }

    #[test]
    fn undelegated_controllers_warned() {
        let tree = hierarchy();
        let place = find(tree.path(), false, OWN);
        let warnings = place.unsupported(&Resources {
            memory: 64 << 20,
            cpuset_cpus: "0".into(),
            oom_kill_disable: true,
            ..Default::default()
        });
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("cpuset"));
        assert!(warnings[1].contains("OOM"));
    }

    #[test]
    fn unwritable_or_missing_own_cgroup() {
        let tree = hierarchy();
        assert!(matches!(
            find(tree.path(), false, "1:name=systemd:/\n"),
            Place::Unusable(_)
        ));
        // A process in the root cgroup has no parent to make cgroups in.
        assert!(matches!(
            find(tree.path(), false, "0::/\n"),
            Place::Unusable(_)
        ));
    }

    #[test]
    fn freezer_and_oom_events() {
        let tree = hierarchy();
        let cgroup = find(tree.path(), true, "0::/\n")
            .cgroup_for("f", "")
            .unwrap();
        // The kernel reports the freeze done in cgroup.events; the fake tree says so at once.
        put(&tree, "skiff/f/cgroup.freeze", "0\n");
        put(&tree, "skiff/f/cgroup.events", "populated 1\nfrozen 1\n");
        put(
            &tree,
            "skiff/f/memory.events",
            "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n",
        );
        assert!(cgroup.freeze(true).unwrap());
        let control = std::fs::read_to_string(tree.path().join("skiff/f/cgroup.freeze")).unwrap();
        assert_eq!(control, "1");
        assert!(cgroup.oom_killed());
        let plain = find(tree.path(), true, "0::/\n")
            .cgroup_for("g", "")
            .unwrap();
        tree.subdir("skiff/g");
        assert!(!plain.freeze(true).unwrap());
        assert!(!plain.oom_killed());
    }

    #[test]
    fn usage_from_v2_files() {
        let tree = hierarchy();
        let dir = tree.subdir("skiff/x");
        let put = |f: &str, t: &str| std::fs::write(dir.join(f), t).unwrap();
        put("cpu.stat", "usage_usec 1500\nuser_usec 1000\n");
        put("memory.current", "10000\n");
        put("memory.stat", "anon 8000\ninactive_file 2000\n");
        put("memory.max", "max\n");
        put("pids.current", "3\n");
        put(
            "io.stat",
            "8:0 rbytes=100 wbytes=20 rios=1 wios=1\n8:16 rbytes=1 wbytes=2\n",
        );
        assert_eq!(
            usage(&dir),
            Usage {
                cpu_nanos: 1_500_000,
                memory: 8000,
                memory_limit: None,
                pids: 3,
                block: (101, 22),
            }
        );
    }
}

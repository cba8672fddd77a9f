//! Resource limits: `--memory`, `--cpus`, `--pids-limit` and the other cgroup flags, as the
//! kernel applies them (root, cgroup v1 on the test machine: the values in the cgroup's
//! files and their effect inside the container), as rootless skiff warns about them where
//! no cgroup can be written, and as they are refused when bad.

mod common;
use common::Skiff;
use std::path::{Path, PathBuf};

/// The v1 hierarchy of `controller`, when the machine has cgroup v1 as these tests expect.
fn v1(controller: &str) -> Option<PathBuf> {
    let dir = Path::new("/sys/fs/cgroup").join(controller);
    (dir.is_dir() && !Path::new("/sys/fs/cgroup/cgroup.controllers").exists()).then_some(dir)
}

/// The value of a file of container `id`'s cgroup in `controller`'s hierarchy.
fn cgroup_file(controller: &str, id: &str, file: &str) -> String {
    let path = v1(controller).unwrap().join("skiff").join(id).join(file);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .to_string()
}

/// A root store on a cgroup v1 machine, or None (the test is skipped).
fn root_v1() -> Option<Skiff> {
    v1("memory")?;
    Skiff::as_root()
}

#[test]
fn limits_are_in_the_kernels_files() {
    let Some(s) = root_v1() else { return };
    let id = s.ok(&[
        "run",
        "-d",
        "--memory",
        "64m",
        "--memory-swap",
        "96m",
        "--memory-reservation",
        "32m",
        "--cpus",
        "0.5",
        "--cpu-shares",
        "512",
        "--cpuset-cpus",
        "0",
        "--pids-limit",
        "20",
        s.busybox(),
        "sleep",
        "1000",
    ]);
    let id = id.trim();
    assert_eq!(
        cgroup_file("memory", id, "memory.limit_in_bytes"),
        "67108864"
    );
    assert_eq!(
        cgroup_file("memory", id, "memory.memsw.limit_in_bytes"),
        "100663296"
    );
    assert_eq!(
        cgroup_file("memory", id, "memory.soft_limit_in_bytes"),
        "33554432"
    );
    assert_eq!(cgroup_file("cpu", id, "cpu.cfs_quota_us"), "50000");
    assert_eq!(cgroup_file("cpu", id, "cpu.cfs_period_us"), "100000");
    assert_eq!(cgroup_file("cpu", id, "cpu.shares"), "512");
    assert_eq!(cgroup_file("cpuset", id, "cpuset.cpus"), "0");
    assert_eq!(cgroup_file("pids", id, "pids.max"), "20");
    // The container's processes are in it, as the container itself sees.
    let pid = s.ok(&["inspect", "-f", "{{.State.Pid}}", id]);
    let procs = cgroup_file("pids", id, "cgroup.procs");
    assert!(procs.lines().any(|p| p == pid.trim()), "{procs}");
    let own = s.ok(&["exec", id, "cat", "/proc/self/cgroup"]);
    assert!(own.contains(&format!("pids:/skiff/{id}")), "{own}");
    let allowed = s.ok(&[
        "exec",
        id,
        "sh",
        "-c",
        "grep Cpus_allowed_list /proc/1/status",
    ]);
    assert!(allowed.trim().ends_with('0'), "{allowed}");
    // docker's names and values in inspect.
    let shown = s.ok(&[
        "inspect", "-f",
        "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.CpuShares}} {{.HostConfig.PidsLimit}} {{.HostConfig.CpusetCpus}}",
        id,
    ]);
    assert_eq!(shown.trim(), "67108864 100663296 500000000 512 20 0");
    s.ok(&["rm", "-f", id]);
    assert!(!v1("memory").unwrap().join("skiff").join(id).exists());
}

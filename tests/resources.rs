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

/// `FLAGS IMAGE COMMAND...` as arguments: the flags are words without spaces.
fn command<'a>(flags: &'a str, image: &'a str, command: &[&'a str]) -> Vec<&'a str> {
    let mut args: Vec<&str> = flags.split_whitespace().collect();
    args.push(image);
    args.extend_from_slice(command);
    args
}

/// A root store on a cgroup v1 machine, or None (the test is skipped).
fn root_v1() -> Option<Skiff> {
    v1("memory")?;
    Skiff::as_root()
}

#[test]
fn limits_are_in_the_kernels_files() {
    let Some(s) = root_v1() else { return };
    let flags = concat!(
        "run -d --memory 64m --memory-swap 96m --memory-reservation 32m --cpus 0.5 ",
        "--cpu-shares 512 --cpuset-cpus 0 --pids-limit 20"
    );
    let id = s.ok(&command(flags, s.busybox(), &["sleep", "1000"]));
    let id = id.trim();
    let expected = [
        ("memory", "memory.limit_in_bytes", "67108864"),
        ("memory", "memory.memsw.limit_in_bytes", "100663296"),
        ("memory", "memory.soft_limit_in_bytes", "33554432"),
        ("cpu", "cpu.cfs_quota_us", "50000"),
        ("cpu", "cpu.cfs_period_us", "100000"),
        ("cpu", "cpu.shares", "512"),
        ("cpuset", "cpuset.cpus", "0"),
        ("pids", "pids.max", "20"),
    ];
    for (controller, file, value) in expected {
        assert_eq!(cgroup_file(controller, id, file), value, "{file}");
    }
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

#[test]
fn oom_kill_is_reported() {
    let Some(s) = root_v1() else { return };
    // The shell keeps all of `yes`'s output in memory, past the limit, with no swap to
    // spill into.
    let out = s.run(&command(
        "run --name hungry --memory 32m --memory-swap 32m",
        s.busybox(),
        &["sh", "-c", "x=$(yes); echo survived"],
    ));
    assert_eq!(out.code, 137, "{out}");
    assert!(!out.stdout.contains("survived"));
    let state = s.ok(&[
        "inspect",
        "-f",
        "{{.State.OOMKilled}} {{.State.ExitCode}}",
        "hungry",
    ]);
    assert_eq!(state.trim(), "true 137");
}

#[test]
fn without_oom_the_flag_stays_false() {
    let Some(s) = root_v1() else { return };
    s.ok(&command(
        "run --name fed --memory 64m",
        s.busybox(),
        &["true"],
    ));
    let state = s.ok(&["inspect", "-f", "{{.State.OOMKilled}}", "fed"]);
    assert_eq!(state.trim(), "false");
}

#[test]
fn pids_limit_stops_a_fork_bomb() {
    let Some(s) = root_v1() else { return };
    // Each background sleep is a process; the tenth fork (the shell is the first process)
    // must fail, and the shell sees it fail.
    let script = "i=0; while [ $i -lt 30 ]; do sleep 60 & i=$((i+1)); done; echo started $i";
    let out = s.run(&command(
        "run --rm --pids-limit 10",
        s.busybox(),
        &["sh", "-c", script],
    ));
    assert!(out.stderr.contains("can't fork"), "{out}");
    assert!(!out.stdout.contains("started 30"), "{out}");
}

#[test]
fn rootless_warns_once_and_runs() {
    let s = Skiff::new();
    if !s.rootless() || v1("memory").is_none() {
        return;
    }
    let out = s.run(&command(
        "run --rm --memory 64m --cpus 1",
        s.busybox(),
        &["echo", "ran"],
    ));
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout.trim(), "ran");
    assert_eq!(out.stderr.matches("WARNING").count(), 1, "{out}");
    assert!(
        out.stderr
            .contains("resource limits are not supported and ignored"),
        "{out}"
    );
    assert!(out.stderr.contains("cgroup v1"), "{out}");
    let quiet = s.run(&["run", "--rm", s.busybox(), "echo", "ran"]);
    assert_eq!(quiet.stderr, "", "{quiet}");
    let created = s.run(&["create", "--pids-limit", "5", s.busybox(), "true"]);
    assert_eq!(created.code, 0, "{created}");
    assert_eq!(created.stderr.matches("WARNING").count(), 1, "{created}");
    let started = s.run(&["start", "-a", created.stdout.trim()]);
    assert_eq!(started.code, 0, "{started}");
    assert_eq!(started.stderr.matches("WARNING").count(), 1, "{started}");
}

#[test]
fn bad_values_are_refused_and_nothing_is_created() {
    let s = Skiff::new();
    let image = s.busybox();
    let cases: [(&[&str], &str); 11] = [
        (
            &["--memory", "abc"],
            "invalid argument \"abc\" for \"-m, --memory\" flag",
        ),
        (&["-m", "1k"], "Minimum memory limit allowed is 6MB"),
        (&["--cpus", "-1"], "Range of CPUs is from 0.01 to"),
        (
            &["--cpus", "two"],
            "failed to parse two as a rational number",
        ),
        (
            &["--cpuset-cpus", "99"],
            "Requested CPUs are not available - requested 99",
        ),
        (
            &["--cpuset-mems", "a-b"],
            "Invalid value a-b for cpuset mems",
        ),
        (
            &["--memory", "64m", "--memory-swap", "32m"],
            "Minimum memoryswap limit should be larger than memory limit",
        ),
        (
            &["--cpu-period", "10"],
            "CPU cfs period can not be less than 1ms",
        ),
        (
            &["--blkio-weight", "5"],
            "Range of blkio weight is from 10 to 1000",
        ),
        (
            &["--device-cgroup-rule", "q 1:3 rwm"],
            "invalid device cgroup format 'q 1:3 rwm'",
        ),
        (&["--cgroupns", "shared"], "--cgroupns: invalid CGROUP mode"),
    ];
    for (flags, message) in cases {
        for command in ["run", "create"] {
            let mut args = vec![command];
            args.extend_from_slice(flags);
            args.extend([image, "true"]);
            let out = s.fails(&args, 125);
            assert!(out.stderr.contains(message), "{flags:?}: {out}");
        }
    }
    assert_eq!(s.ok(&["ps", "-aq"]), "");
}

#[test]
fn private_cgroup_namespace() {
    let s = Skiff::new();
    let own = s.ok(&command(
        "run --rm --cgroupns private",
        s.busybox(),
        &["cat", "/proc/self/cgroup"],
    ));
    assert!(own.lines().all(|l| l.ends_with(":/")), "{own}");
    let shown = s.ok(&["create", "--cgroupns", "private", s.busybox()]);
    let mode = s.ok(&[
        "inspect",
        "-f",
        "{{.HostConfig.CgroupnsMode}}",
        shown.trim(),
    ]);
    assert_eq!(mode.trim(), "private");
}

#[test]
fn update_changes_the_running_containers_limits() {
    let Some(s) = root_v1() else { return };
    let id = s.ok(&["run", "-d", "--memory", "64m", s.busybox(), "sleep", "1000"]);
    let id = id.trim();
    s.ok(&[
        "update",
        "--memory",
        "96m",
        "--cpus",
        "1.5",
        "--pids-limit",
        "50",
        id,
    ]);
    assert_eq!(
        cgroup_file("memory", id, "memory.limit_in_bytes"),
        "100663296"
    );
    assert_eq!(cgroup_file("cpu", id, "cpu.cfs_quota_us"), "150000");
    assert_eq!(cgroup_file("pids", id, "pids.max"), "50");
    let shown = s.ok(&[
        "inspect",
        "-f",
        "{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}",
        id,
    ]);
    assert_eq!(shown.trim(), "100663296 1500000000");
    // Past the swap limit (twice the first memory limit) only with a new swap limit; as
    // docker's update, a container that cannot be updated makes the exit code 1.
    let out = s.fails(&["update", "--memory", "256m", id], 1);
    assert!(
        out.stderr
            .contains("update the memoryswap at the same time"),
        "{out}"
    );
    s.ok(&["update", "--memory", "256m", "--memory-swap", "512m", id]);
    assert_eq!(
        cgroup_file("memory", id, "memory.limit_in_bytes"),
        "268435456"
    );
    assert_eq!(
        cgroup_file("memory", id, "memory.memsw.limit_in_bytes"),
        "536870912"
    );
    s.ok(&["rm", "-f", id]);
}

#[test]
fn stats_pause_and_top_use_the_cgroup() {
    let Some(s) = root_v1() else { return };
    let id = s.ok(&command(
        "run -d --memory 64m --pids-limit 30",
        s.busybox(),
        &["sh", "-c", "sleep 1000 & sleep 1000"],
    ));
    let id = id.trim();
    let stats = s.ok(&[
        "stats",
        "--no-stream",
        "--format",
        "{{.MemUsage}} {{.PIDs}}",
        id,
    ]);
    assert!(stats.trim().ends_with("/ 64MiB 2"), "{stats}");
    let top = s.ok(&["top", id]);
    assert_eq!(
        top.lines().filter(|l| l.contains("sleep 1000")).count(),
        2,
        "{top}"
    );
    s.ok(&["pause", id]);
    assert_eq!(cgroup_file("freezer", id, "freezer.state"), "FROZEN");
    let status = s.ok(&["inspect", "-f", "{{.State.Status}}", id]);
    assert_eq!(status.trim(), "paused");
    s.ok(&["unpause", id]);
    assert_eq!(cgroup_file("freezer", id, "freezer.state"), "THAWED");
    s.ok(&["exec", id, "true"]);
    s.ok(&["rm", "-f", id]);
}

#[test]
fn rootless_update_warns_and_records() {
    let s = Skiff::new();
    if !s.rootless() || v1("memory").is_none() {
        return;
    }
    let id = s.ok(&["run", "-d", s.busybox(), "sleep", "1000"]);
    let id = id.trim();
    let out = s.run(&["update", "--memory", "64m", id]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stderr.matches("WARNING").count(), 1, "{out}");
    assert!(
        out.stderr
            .contains("resource limits are not supported and ignored"),
        "{out}"
    );
    let shown = s.ok(&["inspect", "-f", "{{.HostConfig.Memory}}", id]);
    assert_eq!(shown.trim(), "67108864");
    s.ok(&["rm", "-f", id]);
}

#[test]
fn build_steps_run_with_the_limits() {
    let Some(s) = root_v1() else { return };
    let dockerfile = format!(
        "FROM {}\nRUN cat /proc/self/cgroup > /cgroup && grep Cpus_allowed_list /proc/self/status > /cpus\n",
        s.busybox()
    );
    let context = s.write_file("limited/Dockerfile", dockerfile.as_bytes());
    let context = context.parent().unwrap().to_str().unwrap();
    s.ok(&[
        "build",
        "-q",
        "-t",
        "limited",
        "--memory",
        "64m",
        "--cpuset-cpus",
        "0",
        context,
    ]);
    let seen = s.ok(&["run", "--rm", "limited", "cat", "/cgroup", "/cpus"]);
    assert!(seen.contains("memory:/skiff/"), "{seen}");
    assert!(seen.trim().ends_with("Cpus_allowed_list:\t0"), "{seen}");
    // A step past its memory limit is killed.
    let hungry = format!("FROM {}\nRUN x=$(yes)\n", s.busybox());
    let context = s.write_file("hungry/Dockerfile", hungry.as_bytes());
    let context = context.parent().unwrap().to_str().unwrap();
    let out = s.fails(
        &["build", "--memory", "32m", "--memory-swap", "32m", context],
        1,
    );
    assert!(out.stderr.contains("exit code 137"), "{out}");
}

#[test]
fn build_refuses_bad_limits() {
    let s = Skiff::new();
    let context = s.write_file("any/Dockerfile", b"FROM scratch\n");
    let context = context.parent().unwrap().to_str().unwrap();
    let out = s.fails(&["build", "--memory", "lots", context], 125);
    assert!(
        out.stderr
            .contains("invalid argument \"lots\" for \"-m, --memory\" flag"),
        "{out}"
    );
    let out = s.fails(&["build", "--cpuset-cpus", "99", context], 125);
    assert!(
        out.stderr.contains("Requested CPUs are not available"),
        "{out}"
    );
}

#[test]
fn device_cgroup_rules_decide_what_devices_allow() {
    let Some(s) = root_v1() else { return };
    if !Path::new("/dev/loop0").exists() {
        return;
    }
    let open_both = "dd if=/dev/loop0 of=/dev/null count=0 && echo read; dd if=/dev/zero of=/dev/loop0 count=0 && echo written";
    let run_with_rule = |rule: &str| {
        s.run(&[
            "run",
            "--rm",
            "--device",
            "/dev/loop0:/dev/loop0:r",
            "--device-cgroup-rule",
            rule,
            s.busybox(),
            "sh",
            "-c",
            open_both,
        ])
    };
    // The device's own permissions: read only.
    let out = run_with_rule("c 1:11 r");
    assert!(out.stdout.contains("read"), "{out}");
    assert!(!out.stdout.contains("written"), "{out}");
    assert!(out.stderr.contains("Operation not permitted"), "{out}");
    // A rule allows more.
    let out = run_with_rule("b 7:0 rw");
    assert!(out.stdout.contains("written"), "{out}");
}

#[test]
fn oom_killer_disabled_and_unsupported_limits_warned() {
    let Some(s) = root_v1() else { return };
    let out = s.run(&command(
        "run -d --memory 64m --oom-kill-disable --blkio-weight 300",
        s.busybox(),
        &["sleep", "1000"],
    ));
    assert_eq!(out.code, 0, "{out}");
    let id = out.stdout.trim();
    let control = cgroup_file("memory", id, "memory.oom_control");
    assert!(control.contains("oom_kill_disable 1"), "{control}");
    // This machine's I/O scheduler has no blkio weight: docker's warning, and the rest applies.
    if !v1("blkio").unwrap().join("blkio.weight").exists() {
        assert!(
            out.stderr.contains("does not support Block I/O weight"),
            "{out}"
        );
    }
    s.ok(&["rm", "-f", id]);
}

#[test]
fn a_container_joining_anothers_network_has_its_own_cgroup() {
    let Some(s) = root_v1() else { return };
    s.ok(&[
        "run",
        "-d",
        "--name",
        "netowner",
        "--network",
        "none",
        s.busybox(),
        "sleep",
        "1000",
    ]);
    let seen = s.ok(&command(
        "run --rm --network container:netowner --memory 64m",
        s.busybox(),
        &["cat", "/proc/self/cgroup"],
    ));
    assert!(seen.contains("memory:/skiff/"), "{seen}");
    s.ok(&["rm", "-f", "netowner"]);
}

#[test]
fn cgroup_parent_places_the_cgroup() {
    let Some(s) = root_v1() else { return };
    let parent = format!("skiff-test-parent-{}", std::process::id());
    let id = s.ok(&command(
        &format!("run -d --cgroup-parent /{parent} --pids-limit 7"),
        s.busybox(),
        &["sleep", "1000"],
    ));
    let id = id.trim();
    let dir = v1("pids").unwrap().join(&parent).join(id);
    let limit = std::fs::read_to_string(dir.join("pids.max")).unwrap();
    assert_eq!(limit.trim(), "7");
    let shown = s.ok(&["inspect", "-f", "{{.HostConfig.CgroupParent}}", id]);
    assert_eq!(shown.trim(), format!("/{parent}"));
    s.ok(&["rm", "-f", id]);
    assert!(!dir.exists());
    for controller in [
        "memory", "cpu", "cpuacct", "cpuset", "pids", "blkio", "freezer",
    ] {
        if let Some(hierarchy) = v1(controller) {
            let _ = std::fs::remove_dir(hierarchy.join(&parent));
        }
    }
}

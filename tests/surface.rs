//! docker's spellings and filters that scripts rely on: `container …`/`image …` forms of
//! commands skiff has, and `name=` filters as regular expressions.

mod common;

use common::Skiff;

fn lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    lines
}

#[test]
fn name_filters_are_unanchored_regular_expressions() {
    let s = Skiff::new();
    let image = s.busybox();
    for name in ["web-1", "myweb", "api-v1", "api-v2"] {
        s.ok(&["run", "--name", name, image, "true"]);
    }
    let names = |filter: &str| s.ok(&["ps", "-a", "--format", "{{.Names}}", "-f", filter]);
    assert_eq!(lines(&names("name=^web")), ["web-1"]);
    assert_eq!(lines(&names("name=^/web")), ["web-1"]);
    assert_eq!(lines(&names("name=web")), ["myweb", "web-1"]);
    assert_eq!(lines(&names("name=api.+1")), ["api-v1"]);
    assert_eq!(lines(&names("name=^/myweb$")), ["myweb"]);
    let out = s.run(&["ps", "-a", "-f", "name=("]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("name=("), "{out}");

    for volume in ["data-1", "olddata"] {
        s.ok(&["volume", "create", volume]);
    }
    assert_eq!(
        lines(&s.ok(&["volume", "ls", "-q", "-f", "name=^data"])),
        ["data-1"]
    );
    for network in ["front-net", "backfront"] {
        s.ok(&["network", "create", network]);
    }
    assert_eq!(
        lines(&s.ok(&[
            "network",
            "ls",
            "--format",
            "{{.Name}}",
            "-f",
            "name=^front"
        ])),
        ["front-net"]
    );
}

#[test]
fn container_and_image_spellings_of_existing_commands() {
    let s = Skiff::new();
    let image = s.busybox();
    let out = s.ok(&[
        "container",
        "run",
        "--name",
        "spelled",
        image,
        "sh",
        "-c",
        "echo hi > /f",
    ]);
    assert_eq!(out, "");
    assert_eq!(s.ok(&["container", "diff", "spelled"]), "A /f\n");
    let out = s.ok(&["container", "cp", "spelled:/f", "-"]);
    assert!(out.contains("hi"), "{out}");
    let id = s.ok(&["container", "commit", "spelled", "spelled:1"]);
    assert!(id.starts_with("sha256:"), "{id}");
    assert!(
        s.ok(&["image", "history", "-q", "spelled:1"])
            .lines()
            .count()
            >= 1
    );
    let out = s.run(&["container", "run", image, "/nonexistent"]);
    assert_eq!(out.code, 127, "{out}");
    let out = s.run(&["container", "cp", "nosuch:/f", "-"]);
    assert_eq!(out.code, 1, "{out}");
}

#[test]
fn kill_sends_real_time_signals() {
    let s = Skiff::new();
    let script = "trap 'echo caught; exit 7' 37; echo ready; while true; do sleep 0.1; done";
    s.ok(&["run", "-d", "--name", "rt", s.busybox(), "sh", "-c", script]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !s.ok(&["logs", "rt"]).contains("ready") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    s.ok(&["kill", "-s", "SIGRTMIN+3", "rt"]);
    assert_eq!(s.ok(&["wait", "rt"]), "7\n");
    assert_eq!(s.ok(&["logs", "rt"]), "ready\ncaught\n");
    let out = s.run(&["kill", "-s", "RTMIN+40", "rt"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("invalid signal: RTMIN+40"), "{out}");
}

#[test]
fn create_makes_a_container_that_start_runs() {
    let s = Skiff::new();
    let image = s.busybox();
    let cidfile = s.tempdir().join("cid");
    let id = s.ok(&[
        "create",
        "--name",
        "made",
        "--cidfile",
        cidfile.to_str().unwrap(),
        image,
        "echo",
        "hello",
    ]);
    let id = id.trim();
    assert_eq!(id.len(), 64, "{id}");
    assert_eq!(std::fs::read_to_string(&cidfile).unwrap(), id);
    assert_eq!(
        s.ok(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"]),
        "made Created\n"
    );
    assert_eq!(
        s.ok(&["inspect", "-f", "{{.State.Status}}", "made"]),
        "created\n"
    );
    assert_eq!(s.ok(&["start", "-a", "made"]), "hello\n");
    assert_eq!(
        s.ok(&["inspect", "-f", "{{.State.Status}}", "made"]),
        "exited\n"
    );

    // A second container with the same ID file is refused, and nothing is made.
    let out = s.run(&["create", "--cidfile", cidfile.to_str().unwrap(), image]);
    assert_eq!(out.code, 125, "{out}");
    assert!(out.stderr.contains("container ID file found"), "{out}");
    assert!(out.stderr.contains("See 'skiff create --help'."), "{out}");
    assert_eq!(s.ok(&["ps", "-aq"]).lines().count(), 1);

    // `--rm` takes effect when the container that create made exits.
    s.ok(&[
        "create", "--rm", "--name", "gone", image, "sh", "-c", "exit 3",
    ]);
    assert_eq!(
        s.ok(&["ps", "-a", "-q", "-f", "name=gone"]).lines().count(),
        1
    );
    let out = s.run(&["start", "-a", "gone"]);
    assert_eq!(out.code, 3, "{out}");
    assert_eq!(s.ok(&["ps", "-a", "-q", "-f", "name=gone"]), "");

    s.ok(&[
        "container",
        "create",
        "--name",
        "detached",
        image,
        "sleep",
        "600",
    ]);
    s.ok(&["start", "detached"]);
    assert_eq!(
        s.ok(&["inspect", "-f", "{{.State.Status}}", "detached"]),
        "running\n"
    );
    s.ok(&["rm", "-f", "detached"]);
}

#[test]
fn one_character_names_are_valid_and_bad_ones_are_refused() {
    let s = Skiff::new();
    let image = s.busybox();
    s.ok(&["run", "--name", "w", image, "true"]);
    assert_eq!(s.ok(&["inspect", "-f", "{{.Name}}", "w"]), "/w\n");
    s.ok(&["network", "create", "n"]);
    s.ok(&["run", "--rm", "--network", "n", image, "true"]);
    let out = s.run(&["run", "--name=_bad", image, "true"]);
    assert_eq!(out.code, 125, "{out}");
    assert!(
        out.stderr.contains("Invalid container name (_bad)"),
        "{out}"
    );
    assert_eq!(s.ok(&["ps", "-aq"]).lines().count(), 1);
}

#[test]
fn ulimits_shm_size_sysctls_and_oom_score_reach_the_container() {
    let s = Skiff::new();
    let image = s.busybox();
    let run = |flags: &[&str], script: &str| {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&[image, "sh", "-c", script]);
        s.ok(&args)
    };
    assert_eq!(
        run(&["--ulimit", "nofile=1024:2048"], "ulimit -n; ulimit -Hn"),
        "1024\n2048\n"
    );
    assert_eq!(run(&["--ulimit", "core=0"], "ulimit -c"), "0\n");
    assert_eq!(
        run(
            &["--shm-size", "1.5m"],
            "df -k /dev/shm | tail -1 | awk '{print $2}'"
        ),
        "1536\n"
    );
    assert_eq!(
        run(&[], "df -k /dev/shm | tail -1 | awk '{print $2}'"),
        "65536\n"
    );
    assert_eq!(
        run(
            &[
                "--sysctl",
                "net.ipv4.ip_forward=1",
                "--sysctl",
                "kernel.shmmax=123456789"
            ],
            "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax"
        ),
        "1\n123456789\n"
    );
    assert_eq!(
        run(&["--oom-score-adj", "500"], "cat /proc/self/oom_score_adj"),
        "500\n"
    );
    assert_eq!(
        run(
            &["--domainname", "example.org"],
            "cat /proc/sys/kernel/domainname"
        ),
        "example.org\n"
    );
    let out = s.run(&["run", "--rm", "--kernel-memory", "1g", image, "true"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stderr.contains("--kernel-memory has been deprecated"),
        "{out}"
    );
}

#[test]
fn bad_limits_are_refused_and_create_nothing() {
    let s = Skiff::new();
    let image = s.busybox();
    for (flags, message) in [
        (
            &["--ulimit", "nofile=2:1"][..],
            "ulimit soft limit must be less than or equal to hard limit: 2 > 1",
        ),
        (&["--ulimit", "files=1"][..], "invalid ulimit type: files"),
        (
            &["--sysctl", "vm.swappiness=1"][..],
            "sysctl 'vm.swappiness' is not allowed",
        ),
        (
            &["--network", "host", "--sysctl", "net.ipv4.ip_forward=1"][..],
            "not allowed in host network namespace",
        ),
        (&["--shm-size", "abc"][..], "invalid size"),
        (
            &["--oom-score-adj", "2000"][..],
            "range for oom score adj is [-1000, 1000]",
        ),
        (&["--annotation", "novalue"][..], "invalid annotation"),
    ] {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&[image, "true"]);
        let out = s.run(&args);
        assert_eq!(out.code, 125, "{flags:?}: {out}");
        assert!(out.stderr.contains(message), "{flags:?}: {out}");
    }
    assert_eq!(s.ok(&["ps", "-aq"]), "");
}

#[test]
fn label_files_annotations_and_expose() {
    let s = Skiff::new();
    let image = s.busybox();
    let file = s.write_file("labels", b"# team labels\nteam=infra\n\ntier=web\n");
    s.ok(&[
        "run",
        "--name",
        "labelled",
        "--label-file",
        file.to_str().unwrap(),
        "--label",
        "tier=db",
        "--annotation",
        "org.example/owner=me",
        image,
        "true",
    ]);
    let labels = s.ok(&["inspect", "-f", "{{json .Config.Labels}}", "labelled"]);
    assert_eq!(labels, "{\"team\":\"infra\",\"tier\":\"db\"}\n");
    let annotations = s.ok(&[
        "inspect",
        "-f",
        "{{json .HostConfig.Annotations}}",
        "labelled",
    ]);
    assert_eq!(annotations, "{\"org.example/owner\":\"me\"}\n");
    s.ok(&[
        "run", "-d", "--name", "exposed", "--expose", "8080", "-P", image, "sleep", "600",
    ]);
    let port = s.ok(&["port", "exposed", "8080"]);
    assert!(port.starts_with("0.0.0.0:"), "{port}");
    s.ok(&["rm", "-f", "exposed"]);
}

#[test]
fn log_drivers_json_file_local_and_none() {
    let s = Skiff::new();
    let image = s.busybox();
    s.ok(&[
        "run",
        "--name",
        "quiet",
        "--log-driver",
        "none",
        image,
        "echo",
        "lost",
    ]);
    let out = s.run(&["logs", "quiet"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .contains("configured logging driver does not support reading"),
        "{out}"
    );
    assert_eq!(
        s.ok(&["inspect", "-f", "{{.HostConfig.LogConfig.Type}}", "quiet"]),
        "none\n"
    );
    s.ok(&[
        "run",
        "-d",
        "--name",
        "kept",
        "--log-driver",
        "local",
        image,
        "echo",
        "kept",
    ]);
    s.ok(&["wait", "kept"]);
    assert_eq!(s.ok(&["logs", "kept"]), "kept\n");
    let out = s.run(&["run", "--rm", "--log-driver", "syslog", image, "true"]);
    assert_eq!(out.code, 125, "{out}");
    assert!(
        out.stderr
            .contains("logging driver \"syslog\" is not supported"),
        "{out}"
    );
}

#[test]
fn devices_are_the_hosts_nodes() {
    let s = Skiff::new();
    let image = s.busybox();
    let out = s.ok(&[
        "run",
        "--rm",
        "--device",
        "/dev/null:/dev/mynull",
        "--device",
        "/dev/zero",
        image,
        "sh",
        "-c",
        "stat -c '%t,%T' /dev/mynull /dev/zero; echo gone > /dev/mynull && head -c 2 /dev/zero | od -An -c",
    ]);
    assert_eq!(out, "1,3\n1,5\n  \\0  \\0\n");
    let out = s.run(&["run", "--rm", "--device", "/nonexistent", image, "true"]);
    assert_eq!(out.code, 125, "{out}");
    assert!(
        out.stderr.contains(
            "error gathering device information while adding custom device \"/nonexistent\""
        ),
        "{out}"
    );
    let out = s.run(&["run", "--rm", "--device", "/etc/passwd", image, "true"]);
    assert_eq!(out.code, 125, "{out}");
}

#[test]
fn health_checks_run_at_the_start_interval_during_the_start_period() {
    let s = Skiff::new();
    s.ok(&[
        "run",
        "-d",
        "--name",
        "starting",
        "--health-cmd",
        "true",
        "--health-interval",
        "1h",
        "--health-start-period",
        "10m",
        "--health-start-interval",
        "100ms",
        s.busybox(),
        "sleep",
        "600",
    ]);
    let status = || s.ok(&["inspect", "-f", "{{.State.Health.Status}}", "starting"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while status() != "healthy\n" && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(status(), "healthy\n");
    let out = s.run(&[
        "run",
        "--rm",
        "--health-start-interval",
        "soon",
        s.busybox(),
        "true",
    ]);
    assert_eq!(out.code, 125, "{out}");
    s.ok(&["rm", "-f", "starting"]);
}

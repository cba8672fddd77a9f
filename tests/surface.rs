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

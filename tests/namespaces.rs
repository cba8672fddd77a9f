//! `--ipc`, `--pid`, `--uts` and `--userns`: which namespaces a container has of its own,
//! shares with the host, or takes from another container, seen from inside the containers
//! (`/proc/self/ns/*`, `ps`, `hostname`, files in /dev/shm), and the values refused.

mod common;

use common::Skiff;

/// `readlink /proc/self/ns/KIND` inside a new container run with `flags`.
fn namespace_in(s: &Skiff, flags: &[&str], kind: &str) -> String {
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(flags);
    let link = format!("/proc/self/ns/{kind}");
    args.extend_from_slice(&[s.busybox(), "readlink", &link]);
    s.ok(&args).trim().to_string()
}

/// The namespace of KIND the host's processes are in.
fn host_namespace(kind: &str) -> String {
    std::fs::read_link(format!("/proc/self/ns/{kind}"))
        .unwrap()
        .display()
        .to_string()
}

/// A detached busybox container named `name` that sleeps, with `flags`.
fn sleeper(s: &Skiff, name: &str, flags: &[&str]) {
    let mut args = vec!["run", "-d", "--name", name];
    args.extend_from_slice(flags);
    args.extend_from_slice(&[s.busybox(), "sleep", "600"]);
    s.ok(&args);
}

/// `skiff exec NAME sh -c SCRIPT`, its stdout.
fn exec_sh(s: &Skiff, name: &str, script: &str) -> String {
    s.ok(&["exec", name, "sh", "-c", script])
}

#[test]
fn ipc_container_shares_the_donors_namespace_and_shm() {
    let s = Skiff::new();
    sleeper(&s, "donor", &["--ipc", "shareable"]);
    let donor_ns = exec_sh(&s, "donor", "readlink /proc/self/ns/ipc");
    exec_sh(&s, "donor", "echo shared > /dev/shm/note");
    let out = s.ok(&[
        "run",
        "--rm",
        "--ipc",
        "container:donor",
        s.busybox(),
        "sh",
        "-c",
        "readlink /proc/self/ns/ipc; cat /dev/shm/note; echo back > /dev/shm/reply",
    ]);
    assert_eq!(out, format!("{donor_ns}shared\n"));
    assert_eq!(exec_sh(&s, "donor", "cat /dev/shm/reply"), "back\n");
    // A container of its own is elsewhere.
    assert_ne!(namespace_in(&s, &[], "ipc"), donor_ns.trim());
    let inspect = s.ok(&["inspect", "-f", "{{.HostConfig.IpcMode}}", "donor"]);
    assert_eq!(inspect, "shareable\n");
}

#[test]
fn ipc_container_shares_system_v_segments() {
    let s = Skiff::new();
    let img = s.debian();
    s.ok(&[
        "run",
        "-d",
        "--name",
        "donor",
        "--ipc",
        "shareable",
        img,
        "sleep",
        "600",
    ]);
    let made = s.ok(&["exec", "donor", "ipcmk", "-M", "4096"]);
    let id = made.trim().rsplit(' ').next().unwrap().to_string();
    let seen = s.ok(&[
        "run",
        "--rm",
        "--ipc",
        "container:donor",
        img,
        "ipcs",
        "-m",
        "-i",
        &id,
    ]);
    assert!(seen.contains("bytes=4096"), "{seen}");
    let private = s.run(&["run", "--rm", img, "ipcs", "-m", "-i", &id]);
    assert!(
        !private.stdout.contains("bytes=4096"),
        "a private IPC namespace has the segment: {private}"
    );
}

#[test]
fn ipc_private_donors_and_missing_ones_are_refused() {
    let s = Skiff::new();
    sleeper(&s, "private", &[]);
    let before = s.ok(&["ps", "-aq"]);
    let out = s.fails(
        &["run", "--ipc", "container:private", s.busybox(), "true"],
        125,
    );
    assert!(out.stderr.contains("non-shareable IPC"), "{out}");
    let out = s.fails(
        &["create", "--ipc", "container:missing", s.busybox(), "true"],
        125,
    );
    assert!(
        out.stderr
            .contains("failed to join IPC namespace: No such container: missing"),
        "{out}"
    );
    s.ok(&[
        "create",
        "--name",
        "stopped",
        "--ipc",
        "shareable",
        s.busybox(),
    ]);
    let out = s.fails(
        &["run", "--pid", "container:stopped", s.busybox(), "true"],
        125,
    );
    assert!(out.stderr.contains("is not running"), "{out}");
    let after = s.ok(&["ps", "-aq"]);
    assert_eq!(before.lines().count() + 1, after.lines().count());
}

#[test]
fn ipc_host_and_none() {
    let s = Skiff::new();
    assert_eq!(
        namespace_in(&s, &["--ipc", "host"], "ipc"),
        host_namespace("ipc")
    );
    assert_ne!(namespace_in(&s, &[], "ipc"), host_namespace("ipc"));
    // The host's /dev/shm: a file made there is seen inside.
    let name = format!("skiff-test-{}", std::process::id());
    let path = format!("/dev/shm/{name}");
    std::fs::write(&path, "from the host").unwrap();
    let out = s.run(&["run", "--rm", "--ipc", "host", s.busybox(), "cat", &path]);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(out.stdout, "from the host", "{out}");
    let out = s.run(&[
        "run",
        "--rm",
        "--ipc",
        "none",
        s.busybox(),
        "ls",
        "/dev/shm",
    ]);
    assert_ne!(out.code, 0, "--ipc none has a /dev/shm: {out}");
}

#[test]
fn pid_container_sees_the_other_containers_processes() {
    let s = Skiff::new();
    sleeper(&s, "target", &[]);
    let ps = s.ok(&[
        "run",
        "--rm",
        "--pid",
        "container:target",
        s.busybox(),
        "ps",
        "-o",
        "pid,args",
    ]);
    assert!(
        ps.lines().any(|l| l.trim() == "1 sleep 600"),
        "the target's pid 1 is missing: {ps}"
    );
    let target_ns = exec_sh(&s, "target", "readlink /proc/self/ns/pid");
    assert_eq!(
        namespace_in(&s, &["--pid", "container:target"], "pid"),
        target_ns.trim()
    );
    // exec into the joining container works too.
    sleeper(&s, "joiner", &["--pid", "container:target"]);
    let seen = exec_sh(&s, "joiner", "ps -o args");
    assert_eq!(seen.matches("sleep 600").count(), 2, "{seen}");
}

#[test]
fn pid_host_sees_the_hosts_processes() {
    let s = Skiff::new();
    assert_eq!(
        namespace_in(&s, &["--pid", "host"], "pid"),
        host_namespace("pid")
    );
    // This test's own process is on the host.
    let me = std::process::id().to_string();
    let out = s.ok(&[
        "run",
        "--rm",
        "--pid",
        "host",
        s.busybox(),
        "sh",
        "-c",
        &format!("test -d /proc/{me} && echo seen"),
    ]);
    assert_eq!(out, "seen\n");
    let inspect_flags = [
        "run",
        "-d",
        "--name",
        "h",
        "--pid",
        "host",
        s.busybox(),
        "sleep",
        "600",
    ];
    s.ok(&inspect_flags);
    assert_eq!(
        s.ok(&["inspect", "-f", "{{.HostConfig.PidMode}}", "h"]),
        "host\n"
    );
    assert_eq!(exec_sh(&s, "h", "test -d /proc/1 && echo ok"), "ok\n");
}

#[test]
fn uts_host_keeps_the_hosts_name() {
    let s = Skiff::new();
    let host = nix_hostname();
    let out = s.ok(&["run", "--rm", "--uts", "host", s.busybox(), "hostname"]);
    assert_eq!(out.trim(), host);
    assert_eq!(
        namespace_in(&s, &["--uts", "host"], "uts"),
        host_namespace("uts")
    );
    let out = s.fails(
        &["run", "--uts", "host", "-h", "name", s.busybox(), "true"],
        125,
    );
    assert!(
        out.stderr
            .contains("conflicting options: hostname and the UTS mode"),
        "{out}"
    );
}

#[test]
fn bad_namespace_values_are_refused_and_create_nothing() {
    let s = Skiff::new();
    for (flag, value) in [
        ("--ipc", "hots"),
        ("--ipc", "container:"),
        ("--pid", "shareable"),
        ("--uts", "container:web"),
        ("--userns", "auto"),
    ] {
        let out = s.fails(&["run", flag, value, s.busybox(), "true"], 125);
        assert!(out.stderr.contains(&format!("{flag}: invalid")), "{out}");
    }
    assert_eq!(s.ok(&["ps", "-aq"]), "");
}

#[test]
fn userns_host_rootless_is_the_default_user_namespace() {
    let s = Skiff::new();
    let map = s.ok(&[
        "run",
        "--rm",
        "--userns",
        "host",
        s.busybox(),
        "cat",
        "/proc/self/uid_map",
    ]);
    let default = s.ok(&["run", "--rm", s.busybox(), "cat", "/proc/self/uid_map"]);
    assert_eq!(map, default);
    assert_ne!(
        namespace_in(&s, &["--userns", "host"], "user"),
        host_namespace("user")
    );
}

#[test]
fn as_root_userns_host_has_no_user_namespace() {
    let Some(r) = Skiff::as_root() else {
        eprintln!("skipped: the tests do not run as root");
        return;
    };
    assert_eq!(
        namespace_in(&r, &["--userns", "host"], "user"),
        host_namespace("user")
    );
    assert_ne!(namespace_in(&r, &[], "user"), host_namespace("user"));
    sleeper(&r, "hostns", &["--userns", "host"]);
    assert_eq!(
        exec_sh(&r, "hostns", "readlink /proc/self/ns/user"),
        format!("{}\n", host_namespace("user"))
    );
    assert_eq!(
        r.ok(&["inspect", "-f", "{{.HostConfig.UsernsMode}}", "hostns"]),
        "host\n"
    );
}

#[test]
fn userns_keep_id_keeps_the_callers_ids_and_the_images_owners() {
    let s = Skiff::new();
    if !s.rootless() {
        eprintln!("skipped: keep-id maps a rootless caller");
        return;
    }
    let data = s.tempdir();
    std::fs::write(data.join("mine"), "x").unwrap();
    std::os::unix::fs::chown(data.join("mine"), Some(s.uid()), Some(s.gid())).unwrap();
    let bind = format!("{}:/data", data.display());
    let script = "id -u; id -g; id -un; stat -c %u /data/mine; \
                  stat -c %u:%g /etc/passwd /bin /; touch /data/made";
    let out = s.ok(&[
        "run",
        "--rm",
        "--userns",
        "keep-id",
        "-v",
        &bind,
        s.busybox(),
        "sh",
        "-c",
        script,
    ]);
    let name = user_name(s.uid());
    let (uid, gid) = (s.uid(), s.gid());
    assert_eq!(out, format!("{uid}\n{gid}\n{name}\n{uid}\n0:0\n0:0\n0:0\n"));
    let made = std::fs::metadata(data.join("made")).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&made), uid);
    // --user still chooses; root is the image's root.
    let out = s.ok(&[
        "run",
        "--rm",
        "--userns",
        "keep-id",
        "-u",
        "0",
        s.busybox(),
        "id",
        "-u",
    ]);
    assert_eq!(out, "0\n");
    // A Debian image, with many owners in its layers: they keep theirs.
    let out = s.ok(&[
        "run",
        "--rm",
        "--userns",
        "keep-id",
        s.debian(),
        "stat",
        "-c",
        "%U:%G",
        "/var/mail",
        "/etc/shadow",
        "/usr/bin/passwd",
    ]);
    assert_eq!(out, "root:mail\nroot:shadow\nroot:root\n");
    // exec runs as the caller too, and inspect says what was asked.
    let mut args = vec!["run", "-d", "--name", "kept", "--userns", "keep-id"];
    args.extend_from_slice(&[s.busybox(), "sleep", "600"]);
    s.ok(&args);
    assert_eq!(s.ok(&["exec", "kept", "id", "-u"]), format!("{uid}\n"));
    assert_eq!(
        s.ok(&["inspect", "-f", "{{.HostConfig.UsernsMode}}", "kept"]),
        "keep-id\n"
    );
    // Its files belong to keep-id's ids, not to those of an image's layers.
    let out = s.fails(&["commit", "kept", "kept:1"], 125);
    assert!(out.stderr.contains("--userns keep-id"), "{out}");
    // Containers in another user namespace cannot have keep-id's ids.
    s.ok(&["network", "create", "kidnet"]);
    for (flag, value) in [("--network", "kidnet"), ("--pid", "container:kept")] {
        let out = s.fails(
            &[
                "run",
                "--userns",
                "keep-id",
                flag,
                value,
                s.busybox(),
                "true",
            ],
            125,
        );
        assert!(
            out.stderr.contains("conflicting options: --userns keep-id"),
            "{out}"
        );
    }
    assert_eq!(s.ok(&["ps", "-aq"]).lines().count(), 1);
    // The layers' keep-id copies go with their layers.
    s.ok(&["rm", "-f", "kept"]);
    s.ok(&["rmi", s.busybox(), s.debian()]);
    assert_eq!(s.layer_dirs(), Vec::<String>::new());
}

#[test]
fn as_root_userns_keep_id_is_the_default() {
    let Some(r) = Skiff::as_root() else {
        eprintln!("skipped: the tests do not run as root");
        return;
    };
    let out = r.ok(&[
        "run",
        "--rm",
        "--userns",
        "keep-id",
        r.busybox(),
        "id",
        "-u",
    ]);
    assert_eq!(out, "0\n");
}

fn user_name(uid: u32) -> String {
    std::fs::read_to_string("/etc/passwd")
        .unwrap()
        .lines()
        .find(|l| l.split(':').nth(2) == Some(uid.to_string().as_str()))
        .and_then(|l| l.split(':').next())
        .unwrap()
        .to_string()
}

fn nix_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

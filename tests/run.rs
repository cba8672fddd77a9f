//! `skiff run` in the foreground, as a user sees it: output, exit codes, every flag of the
//! foundation issue, what the container looks like from inside (pid 1, /proc, /dev, /sys,
//! /etc files, mounts) and from outside (files on the host, container records), signals and
//! the terminal.
//!
//! Skiff runs rootless (as `$SKIFF_TEST_USER` when the tests run as root, see tests/common);
//! the `as_root_*` tests repeat the key checks with skiff run by root.

mod common;

use common::fixtures;
use common::{find_program, mount_at, wait_for_path, Out, Skiff};
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::time::Duration;

/// How long a container that should end by itself (or on a signal) may take: generous, only
/// there so that a hang fails the test instead of blocking the run.
const LIMIT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// helpers

/// Runs `skiff run --rm BUSYBOX sh -c SCRIPT` with `flags` before the image, asserts it exits 0
/// and returns stdout.
fn sh(s: &Skiff, flags: &[&str], script: &str) -> String {
    let img = s.busybox();
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&[img, "sh", "-c", script]);
    s.ok(&args)
}

/// `skiff run --rm FLAGS BUSYBOX sh -c SCRIPT`, whatever its exit code.
fn sh_out(s: &Skiff, flags: &[&str], script: &str) -> Out {
    let img = s.busybox();
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&[img, "sh", "-c", script]);
    s.run(&args)
}

/// The lines of `ip -o link` (or similar) reduced to interface names ("2: eth0@if5: <...>" ->
/// "eth0").
fn link_names(ip_o_link: &str) -> Vec<String> {
    let mut names: Vec<String> = ip_o_link
        .lines()
        .filter_map(|l| l.split(": ").nth(1))
        .map(|n| n.split('@').next().unwrap().trim().to_string())
        .collect();
    names.sort();
    names
}

/// The flags between `<` and `>` of one `ip -o link` line.
fn link_flags(line: &str) -> Vec<String> {
    line.split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map(|(flags, _)| flags.split(',').map(String::from).collect())
        .unwrap_or_default()
}

/// A dir the container can write to, bound at /data: (host path, "-v" value).
fn data_dir(s: &Skiff) -> (std::path::PathBuf, String) {
    let dir = s.tempdir();
    let spec = format!("{}:/data", dir.display());
    (dir, spec)
}

/// Imports the busybox rootfs as `name` with `skiff import --change C...`.
fn import_with_changes(s: &Skiff, name: &str, changes: &[&str]) {
    let tar = s.write_file("rootfs.tar", fixtures::busybox_rootfs());
    let mut args = vec!["import"];
    for c in changes {
        args.extend_from_slice(&["--change", c]);
    }
    let tar = tar.to_str().unwrap().to_string();
    args.extend_from_slice(&[&tar, name]);
    s.ok(&args);
}

// ---------------------------------------------------------------------------------------------
// output and exit codes

#[test]
fn run_rm_echo_prints_hello() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.run(&["run", "--rm", img, "echo", "hello"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "hello\n", "{out}");
}

#[test]
fn exit_code_is_the_containers() {
    let s = Skiff::new();
    let img = s.busybox();
    s.fails(&["run", "--rm", img, "sh", "-c", "exit 3"], 3);
    s.fails(&["run", "--rm", img, "false"], 1);
}

#[test]
fn unknown_image_exits_125() {
    let s = Skiff::new();
    let out = s.fails(&["run", "--rm", "no-such-image:1", "true"], 125);
    assert!(
        out.stderr.contains("Unable to find image"),
        "expected docker's \"Unable to find image\": {out}"
    );
    assert!(
        out.stderr.contains("no-such-image:1"),
        "names the image: {out}"
    );
}

#[test]
fn bad_flag_exits_125() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.fails(&["run", "--no-such-flag", img, "true"], 125);
    assert!(
        out.stderr.contains("--no-such-flag"),
        "names the flag: {out}"
    );
    assert_eq!(out.stdout, "", "{out}");
}

#[test]
fn unknown_network_exits_125() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.fails(&["run", "--rm", "--network", "nosuchnet", img, "true"], 125);
    assert!(out.stderr.contains("nosuchnet"), "names the network: {out}");
}

#[test]
fn directory_as_command_exits_126() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.fails(&["run", "--rm", img, "/tmp"], 126);
    assert!(out.stderr.contains("/tmp"), "{out}");
}

#[test]
fn non_executable_file_as_command_exits_126() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.fails(&["run", "--rm", img, "/etc/passwd"], 126);
    assert!(out.stderr.contains("/etc/passwd"), "{out}");
    assert!(
        out.stderr.to_lowercase().contains("permission denied"),
        "{out}"
    );
}

#[test]
fn missing_command_exits_127() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.fails(&["run", "--rm", img, "no-such-command"], 127);
    assert!(out.stderr.contains("no-such-command"), "{out}");
    let out = s.fails(&["run", "--rm", img, "/bin/no-such-command"], 127);
    assert!(out.stderr.contains("/bin/no-such-command"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// environment, working directory, user, hostname, entrypoint

#[test]
fn env_flag_sets_a_variable() {
    let s = Skiff::new();
    let out = sh(&s, &["-e", "A=1", "-e", "B=two words"], "echo \"$A|$B\"");
    assert_eq!(out, "1|two words\n");
}

#[test]
fn env_flag_without_value_takes_skiffs_environment() {
    let s = Skiff::new();
    let img = s.busybox();
    let mut cmd = s.cmd(&[
        "run",
        "--rm",
        "-e",
        "SKIFF_TEST_FROM_HOST",
        "-e",
        "SKIFF_TEST_UNSET_VAR",
        img,
        "env",
    ]);
    cmd.env("SKIFF_TEST_FROM_HOST", "from the host")
        .env_remove("SKIFF_TEST_UNSET_VAR");
    let out = common::run_command(cmd, None);
    assert_eq!(out.code, 0, "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines.contains(&"SKIFF_TEST_FROM_HOST=from the host"),
        "-e VAR takes VAR from skiff's environment: {out}"
    );
    assert!(
        !out.stdout.contains("SKIFF_TEST_UNSET_VAR"),
        "-e VAR with VAR unset is dropped: {out}"
    );
}

#[test]
fn env_file_skips_comments_and_blank_lines() {
    let s = Skiff::new();
    let img = s.busybox();
    let file = s.write_file(
        "env.list",
        b"# a comment\n\nA=1\n   # an indented comment\nB=two words\nFROM_HOST\nUNSET_ONE\nC=overridden\n",
    );
    let file = file.to_str().unwrap();
    let mut cmd = s.cmd(&[
        "run",
        "--rm",
        "--env-file",
        file,
        "-e",
        "C=from flag",
        img,
        "env",
    ]);
    cmd.env("FROM_HOST", "h").env_remove("UNSET_ONE");
    let out = common::run_command(cmd, None);
    assert_eq!(out.code, 0, "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    for want in ["A=1", "B=two words", "FROM_HOST=h", "C=from flag"] {
        assert!(lines.contains(&want), "missing {want:?}: {out}");
    }
    assert!(
        !out.stdout.contains('#'),
        "comments are not variables: {out}"
    );
    assert!(!out.stdout.contains("UNSET_ONE"), "{out}");
    assert!(
        !lines.contains(&"C=overridden"),
        "-e wins over --env-file: {out}"
    );
}

#[test]
fn workdir_flag_sets_the_working_directory() {
    let s = Skiff::new();
    let img = s.busybox();
    assert_eq!(s.ok(&["run", "--rm", "-w", "/tmp", img, "pwd"]), "/tmp\n");
}

#[test]
fn missing_workdir_is_created() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.ok(&["run", "--rm", "-w", "/new/work/dir", img, "pwd"]);
    assert_eq!(out, "/new/work/dir\n");
    // Also for a user who could not create it himself: docker creates it before switching.
    let out = s.ok(&[
        "run",
        "--rm",
        "-u",
        "nobody",
        "-w",
        "/made/for/nobody",
        img,
        "pwd",
    ]);
    assert_eq!(out, "/made/for/nobody\n");
}

#[test]
fn user_flag_by_name_and_uid() {
    let s = Skiff::new();
    let img = s.busybox();
    assert_eq!(
        s.ok(&["run", "--rm", "-u", "nobody", img, "id"]),
        "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n"
    );
    assert_eq!(
        s.ok(&["run", "--rm", "-u", "33", img, "id", "-un"]),
        "www-data\n"
    );
    assert_eq!(
        s.ok(&[
            "run",
            "--rm",
            "-u",
            "1234:5678",
            img,
            "sh",
            "-c",
            "id -u; id -g"
        ]),
        "1234\n5678\n"
    );
}

#[test]
fn debian_user_names_resolve() {
    let s = Skiff::new();
    let img = s.debian();
    assert_eq!(
        s.ok(&["run", "--rm", "-u", "nobody", img, "id"]),
        "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n"
    );
    assert_eq!(
        s.ok(&["run", "--rm", "-u", "33", img, "id"]),
        "uid=33(www-data) gid=33(www-data) groups=33(www-data)\n"
    );
    assert_eq!(
        s.ok(&["run", "--rm", "-u", "www-data", img, "id"]),
        "uid=33(www-data) gid=33(www-data) groups=33(www-data)\n"
    );
    assert_eq!(
        s.ok(&["run", "--rm", img, "id"]),
        "uid=0(root) gid=0(root) groups=0(root)\n"
    );
}

#[test]
fn debian_files_keep_their_owners_and_chown_works() {
    let s = Skiff::new();
    let img = s.debian();
    // Files of the image owned by users other than root keep their owners.
    let out = s.ok(&[
        "run",
        "--rm",
        img,
        "stat",
        "-c",
        "%U %u %G",
        "/var/cache/apt/archives/partial",
    ]);
    assert_eq!(out, "_apt 42 root\n");
    let out = s.ok(&[
        "run",
        "--rm",
        img,
        "ls",
        "-ldn",
        "/var/cache/apt/archives/partial",
    ]);
    assert!(out.contains(" 42 0 "), "numeric owner 42:0: {out}");
    // chown to other users works in the container, and what it did stays visible.
    let out = s.ok(&[
        "run",
        "--rm",
        img,
        "sh",
        "-c",
        "touch /tmp/f && chown www-data:www-data /tmp/f && stat -c '%U:%G %u:%g' /tmp/f \
         && chown 1000:2000 /tmp/f && stat -c '%u:%g' /tmp/f \
         && chown _apt /var/cache/apt/archives/lock && stat -c %U /var/cache/apt/archives/lock",
    ]);
    assert_eq!(out, "www-data:www-data 33:33\n1000:2000\n_apt\n");
}

#[test]
fn chown_in_a_bind_mount_maps_to_the_subordinate_ids() {
    let s = Skiff::new();
    let (dir, vol) = data_dir(&s);
    let out = sh(
        &s,
        &["-v", &vol],
        "touch /data/f && chown 33:44 /data/f && cat /proc/self/uid_map && echo -- && cat /proc/self/gid_map",
    );
    let meta = fs::metadata(dir.join("f")).unwrap();
    if !s.rootless() {
        assert_eq!(
            (meta.uid(), meta.gid()),
            (33, 44),
            "as root, ids are the host's"
        );
        return;
    }
    // Each map line: inside outside count.
    let parse = |text: &str| -> Vec<Vec<u64>> {
        text.lines()
            .map(|l| l.split_whitespace().map(|n| n.parse().unwrap()).collect())
            .collect()
    };
    let (uid_map, gid_map) = out.split_once("--\n").unwrap();
    let (uid_map, gid_map) = (parse(uid_map), parse(gid_map));
    let host_id = |inside: u64, lines: &[Vec<u64>]| {
        lines
            .iter()
            .find(|m| inside >= m[0] && inside < m[0] + m[2])
            .map(|m| m[1] + inside - m[0])
            .unwrap_or_else(|| panic!("{inside} is not mapped: {out}"))
    };
    assert_eq!(
        (meta.uid() as u64, meta.gid() as u64),
        (host_id(33, &uid_map), host_id(44, &gid_map)),
        "the host sees the file owned by the subordinate ids mapped to 33:44: {out}"
    );
}

#[test]
fn hostname_flag_sets_hostname_and_etc_hostname() {
    let s = Skiff::new();
    let out = sh(&s, &["--hostname", "myhost"], "hostname; cat /etc/hostname");
    assert_eq!(out, "myhost\nmyhost\n");
}

#[test]
fn entrypoint_flag_replaces_the_images() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.ok(&["run", "--rm", "--entrypoint", "cat", img, "/etc/passwd"]);
    assert_eq!(out, fixtures::BUSYBOX_PASSWD);
}

#[test]
fn image_entrypoint_and_cmd_combine_as_docker_does() {
    let s = Skiff::new();
    import_with_changes(
        &s,
        "entry:test",
        &[r#"ENTRYPOINT ["echo","x"]"#, r#"CMD ["y"]"#],
    );
    // ENTRYPOINT + CMD
    assert_eq!(s.ok(&["run", "--rm", "entry:test"]), "x y\n");
    // Arguments replace CMD, ENTRYPOINT stays.
    assert_eq!(s.ok(&["run", "--rm", "entry:test", "z", "w"]), "x z w\n");
    // --entrypoint replaces ENTRYPOINT and clears the image's CMD.
    assert_eq!(
        s.ok(&["run", "--rm", "--entrypoint", "echo", "entry:test"]),
        "\n"
    );
    assert_eq!(
        s.ok(&["run", "--rm", "--entrypoint", "echo", "entry:test", "a"]),
        "a\n"
    );
}

#[test]
fn image_cmd_alone_runs_when_no_command_is_given() {
    let s = Skiff::new();
    import_with_changes(&s, "cmdonly:test", &[r#"CMD ["echo","from","cmd"]"#]);
    assert_eq!(s.ok(&["run", "--rm", "cmdonly:test"]), "from cmd\n");
    assert_eq!(
        s.ok(&["run", "--rm", "cmdonly:test", "echo", "mine"]),
        "mine\n"
    );
}

// ---------------------------------------------------------------------------------------------
// stdin

#[test]
fn stdin_is_attached_with_i() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.run_stdin(&["run", "-i", "--rm", img, "sh"], b"echo hi\n");
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "hi\n", "{out}");
    // Binary data goes through unchanged.
    let data: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    let out = s.run_stdin(&["run", "-i", "--rm", img, "md5sum"], &data);
    assert_eq!(out.code, 0, "{out}");
    let mut host = std::process::Command::new(fixtures::BUSYBOX_BIN);
    host.arg("md5sum");
    let want = common::run_command(host, Some(&data)).stdout;
    let want = want.split_whitespace().next().unwrap();
    assert!(out.stdout.starts_with(want), "md5 {want}: {out}");
}

#[test]
fn stdin_is_not_attached_without_i() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.run_stdin(
        &["run", "--rm", img, "sh", "-c", "cat; echo end"],
        b"not for the container\n",
    );
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        out.stdout, "end\n",
        "the container reads end of file: {out}"
    );
    let out = s.run_stdin(&["run", "--rm", img, "sh"], b"echo should-not-run\n");
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "", "{out}");
}

// ---------------------------------------------------------------------------------------------
// volumes, tmpfs, read-only

#[test]
fn bind_mount_is_read_write_and_files_belong_to_the_skiff_user() {
    let s = Skiff::new();
    let (dir, vol) = data_dir(&s);
    fs::write(dir.join("from-host"), "host data\n").unwrap();
    let out = sh(
        &s,
        &["-v", &vol],
        "cat /data/from-host; echo written > /data/from-container",
    );
    assert_eq!(out, "host data\n");
    let file = dir.join("from-container");
    assert_eq!(fs::read_to_string(&file).unwrap(), "written\n");
    let meta = fs::metadata(&file).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid()),
        (s.uid(), s.gid()),
        "a file root in the container writes belongs to the user running skiff"
    );
}

#[test]
fn bind_mount_of_a_file_read_only() {
    let s = Skiff::new();
    // Owned by the skiff user: only :ro can stop the container writing it.
    let file = s.write_file("x.conf", b"original\n");
    let vol = format!("{}:/etc/x:ro", file.display());
    let out = sh_out(&s, &["-v", &vol], "cat /etc/x; echo changed >> /etc/x");
    assert_ne!(out.code, 0, "writing a :ro bind mount must fail: {out}");
    assert_eq!(out.stdout, "original\n", "{out}");
    assert!(
        out.stderr.contains("Read-only file system"),
        "fails as read-only: {out}"
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), "original\n");
    let mounts = sh(&s, &["-v", &vol], "cat /proc/self/mounts");
    let m = mount_at(&mounts, "/etc/x").unwrap_or_else(|| panic!("/etc/x not mounted: {mounts}"));
    assert!(m.has("ro"), "{m:?}");
}

#[test]
fn bind_mount_source_that_is_missing_is_created() {
    let s = Skiff::new();
    let dir = s.tempdir().join("not/there/yet");
    let vol = format!("{}:/data", dir.display());
    sh(&s, &["-v", &vol], "touch /data/f");
    assert!(dir.is_dir(), "{} created", dir.display());
    assert!(dir.join("f").is_file());
}

#[test]
fn tmpfs_is_mounted_nosuid_nodev_noexec() {
    let s = Skiff::new();
    let out = sh(
        &s,
        &["--tmpfs", "/run"],
        "echo ok > /run/f && cat /run/f && cat /proc/self/mounts",
    );
    assert!(out.starts_with("ok\n"), "writable: {out}");
    let m = mount_at(&out, "/run").unwrap_or_else(|| panic!("/run not mounted: {out}"));
    assert_eq!(m.fstype, "tmpfs", "{m:?}");
    for opt in ["rw", "nosuid", "nodev", "noexec"] {
        assert!(m.has(opt), "{opt} missing: {m:?}");
    }
    // noexec in effect.
    let out = sh_out(
        &s,
        &["--tmpfs", "/run"],
        "cp /bin/busybox /run/bb && /run/bb true",
    );
    assert_eq!(out.code, 126, "exec from a noexec tmpfs fails: {out}");
}

#[test]
fn read_only_root_keeps_only_mounts_writable() {
    let s = Skiff::new();
    let (dir, vol) = data_dir(&s);
    let out = sh_out(&s, &["--read-only"], "touch /x");
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("Read-only file system"), "{out}");
    let out = sh_out(&s, &["--read-only"], "touch /tmp/x");
    assert_ne!(
        out.code, 0,
        "/tmp is part of the read-only root, as docker has it: {out}"
    );
    let out = sh(
        &s,
        &["--read-only", "-v", &vol, "--tmpfs", "/run"],
        "touch /dev/shm/x /data/x /run/x && echo writable && cat /proc/self/mounts",
    );
    assert!(out.starts_with("writable\n"), "{out}");
    assert!(dir.join("x").exists());
    let root = mount_at(&out, "/").unwrap_or_else(|| panic!("no / mount: {out}"));
    assert!(root.has("ro"), "{root:?}");
}

// ---------------------------------------------------------------------------------------------
// network

#[test]
fn network_none_has_only_loopback_up() {
    let s = Skiff::new();
    let out = sh(
        &s,
        &["--network", "none"],
        "ls /sys/class/net; echo --; ip -o link",
    );
    let (sys, links) = out.split_once("--\n").unwrap();
    assert_eq!(sys, "lo\n", "only lo: {out}");
    let lines: Vec<&str> = links.lines().collect();
    assert_eq!(lines.len(), 1, "only lo: {out}");
    assert_eq!(link_names(links), ["lo"], "{out}");
    assert!(
        link_flags(lines[0]).iter().any(|f| f == "UP"),
        "lo is up, as docker has it: {out}"
    );
}

#[test]
fn network_host_sees_the_hosts_interfaces() {
    let s = Skiff::new();
    let out = sh(&s, &["--network", "host"], "ip -o link");
    let mut host: Vec<String> = fs::read_dir("/sys/class/net")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    host.sort();
    assert_eq!(link_names(&out), host, "{out}");
}

// ---------------------------------------------------------------------------------------------
// pid 1, /proc, /dev, /sys, /etc

#[test]
fn command_is_pid_1_without_init() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.ok(&["run", "--rm", img, "cat", "/proc/1/cmdline"]);
    assert_eq!(out, "cat\0/proc/1/cmdline\0");
}

#[test]
fn init_flag_makes_skiff_pid_1() {
    let s = Skiff::new();
    let out = sh(
        &s,
        &["--init"],
        "tr '\\0' ' ' < /proc/1/cmdline; echo; echo pid=$$",
    );
    let mut lines = out.lines();
    let cmdline = lines.next().unwrap();
    let first = cmdline.split(' ').next().unwrap();
    assert!(first.ends_with("skiff"), "pid 1 is skiff: {out}");
    let pid = lines.next().unwrap();
    assert_ne!(pid, "pid=1", "the command is not pid 1: {out}");
}

#[test]
fn init_reaps_zombies() {
    let s = Skiff::new();
    // The subshell leaves a zombie child behind when it execs; once it ends, the zombie
    // belongs to pid 1, which must reap it.
    let out = sh_out(
        &s,
        &["--init"],
        "(sleep 0 & exec sleep 0.3); \
         i=0; while [ $i -lt 400 ]; do \
           if ps -o stat | grep -q Z; then sleep 0.05; i=$((i+1)); else echo reaped; exit 0; fi; \
         done; ps -o pid,ppid,stat,comm; exit 1",
    );
    assert_eq!(out.code, 0, "a zombie stayed: {out}");
    assert_eq!(out.stdout, "reaped\n", "{out}");
}

#[test]
fn proc_shows_only_the_containers_processes() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.ok(&["run", "--rm", img, "ps", "-o", "pid,comm"]);
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "only ps itself: {out}");
    assert_eq!(
        rows[0].split_whitespace().collect::<Vec<_>>(),
        ["1", "ps"],
        "{out}"
    );
    let mounts = s.ok(&["run", "--rm", img, "cat", "/proc/self/mounts"]);
    let m = mount_at(&mounts, "/proc").unwrap_or_else(|| panic!("no /proc: {mounts}"));
    assert_eq!(m.fstype, "proc", "{m:?}");
}

#[test]
fn container_has_its_own_hostname_its_short_id() {
    let s = Skiff::new();
    let img = s.busybox();
    let out = s.ok(&["run", img, "hostname"]);
    let ids = s.container_ids();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(out.trim(), &ids[0][..12], "hostname is the short id");
    let host = fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_ne!(out.trim(), host.trim());
}

#[test]
fn dev_is_minimal() {
    let s = Skiff::new();
    let out = sh(&s, &[], "ls -A /dev; echo --; ls -A /dev/pts");
    let (dev, pts) = out.split_once("--\n").unwrap();
    let dev: Vec<&str> = dev.split_whitespace().collect();
    for want in [
        "null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts", "shm", "mqueue",
    ] {
        assert!(dev.contains(&want), "/dev/{want} missing: {dev:?}");
    }
    // docker's /dev also has these links; nothing else.
    let allowed = [
        "null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts", "shm", "mqueue", "fd",
        "stdin", "stdout", "stderr", "core",
    ];
    let extra: Vec<&&str> = dev.iter().filter(|d| !allowed.contains(d)).collect();
    assert!(extra.is_empty(), "unexpected entries in /dev: {extra:?}");
    assert!(
        pts.split_whitespace().all(|p| p == "ptmx"),
        "no terminals without -t: {pts}"
    );
    // The devices are the real ones and work.
    let out = sh(
        &s,
        &[],
        "stat -c '%n %F %t:%T' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty; \
         echo x > /dev/null && head -c 5 /dev/zero | wc -c && head -c 5 /dev/urandom | wc -c; \
         echo x > /dev/full || echo full-is-full",
    );
    assert_eq!(
        out,
        "/dev/null character special file 1:3\n\
         /dev/zero character special file 1:5\n\
         /dev/full character special file 1:7\n\
         /dev/random character special file 1:8\n\
         /dev/urandom character special file 1:9\n\
         /dev/tty character special file 5:0\n\
         5\n5\nfull-is-full\n"
    );
    let mounts = sh(&s, &[], "cat /proc/self/mounts");
    for (target, fstype) in [
        ("/dev/pts", "devpts"),
        ("/dev/shm", "tmpfs"),
        ("/dev/mqueue", "mqueue"),
    ] {
        let m = mount_at(&mounts, target).unwrap_or_else(|| panic!("{target}: {mounts}"));
        assert_eq!(m.fstype, fstype, "{m:?}");
    }
}

#[test]
fn dev_console_exists_only_with_t() {
    let s = Skiff::new();
    let out = sh_out(&s, &[], "test -e /dev/console");
    assert_eq!(out.code, 1, "no /dev/console without -t: {out}");
    let img = s.busybox();
    let out = s.run(&[
        "run",
        "-t",
        "--rm",
        img,
        "sh",
        "-c",
        "test -c /dev/console && echo console; tty",
    ]);
    assert_eq!(out.code, 0, "{out}");
    let text = out.stdout.replace('\r', "");
    assert_eq!(text, "console\n/dev/pts/0\n", "{out}");
}

#[test]
fn sys_is_read_only() {
    let s = Skiff::new();
    let out = sh(&s, &[], "cat /proc/self/mounts");
    let m = mount_at(&out, "/sys").unwrap_or_else(|| panic!("no /sys: {out}"));
    assert_eq!(m.fstype, "sysfs", "{m:?}");
    assert!(m.has("ro"), "{m:?}");
    let out = sh_out(&s, &[], "mkdir /sys/x");
    assert_ne!(out.code, 0, "{out}");
}

#[test]
fn etc_hosts_hostname_and_resolv_conf_are_generated() {
    let s = Skiff::new();
    // The busybox image has none of them. Without a network of its own the container uses
    // the host's name servers (tests/network.rs checks the default network's).
    let out = sh(
        &s,
        &["--hostname", "gen", "--network", "none"],
        "cat /etc/hosts; echo --; cat /etc/hostname; echo --; cat /etc/resolv.conf",
    );
    let parts: Vec<&str> = out.split("--\n").collect();
    assert_eq!(parts.len(), 3, "{out}");
    let localhost = parts[0].lines().any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.first() == Some(&"127.0.0.1") && f.contains(&"localhost")
    });
    assert!(localhost, "/etc/hosts maps localhost: {out}");
    assert_eq!(parts[1], "gen\n");
    // The host's own (non-loopback) name servers are passed on.
    let host = fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    for ns in host.lines().filter(|l| l.starts_with("nameserver")) {
        if !ns.contains("127.") && !ns.contains("::1") {
            assert!(parts[2].contains(ns), "{ns:?} missing: {out}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// names and records

#[test]
fn name_is_unique() {
    let s = Skiff::new();
    let img = s.busybox();
    s.ok(&["run", "--name", "web1", img, "true"]);
    let ids = s.container_ids();
    assert_eq!(ids.len(), 1, "{ids:?}");
    let out = s.fails(&["run", "--name", "web1", img, "true"], 125);
    assert!(out.stderr.contains("web1"), "names the name: {out}");
    assert!(
        out.stderr.contains(&ids[0][..12]),
        "names the container holding it ({}): {out}",
        ids[0]
    );
    assert_eq!(s.container_ids(), ids, "no second record");
}

#[test]
fn name_is_free_again_after_rm() {
    let s = Skiff::new();
    let img = s.busybox();
    s.ok(&["run", "--rm", "--name", "again", img, "true"]);
    s.ok(&["run", "--rm", "--name", "again", img, "true"]);
}

#[test]
fn run_without_rm_keeps_the_record() {
    let s = Skiff::new();
    let img = s.busybox();
    s.ok(&["run", img, "true"]);
    let ids = s.container_ids();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(
        ids[0].len() == 64 && ids[0].bytes().all(|b| b.is_ascii_hexdigit()),
        "a 64-hex id: {ids:?}"
    );
    // A failed start keeps it too (docker keeps the container, in state Created/Exited).
    s.fails(&["run", img, "no-such-command"], 127);
    assert_eq!(s.container_ids().len(), 2);
}

#[test]
fn run_rm_leaves_no_record() {
    let s = Skiff::new();
    let img = s.busybox();
    s.ok(&["run", "--rm", img, "true"]);
    s.fails(&["run", "--rm", img, "sh", "-c", "exit 4"], 4);
    s.fails(&["run", "--rm", img, "no-such-command"], 127);
    // Files written as another user in the container are removed too.
    s.ok(&[
        "run",
        "--rm",
        img,
        "sh",
        "-c",
        "mkdir /tmp/d && touch /tmp/d/f && chown -R 33:33 /tmp/d && chmod 700 /tmp/d",
    ]);
    assert_eq!(s.container_ids(), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------------------
// signals

/// Starts a container whose pid 1 (or, with --init, pid 2) traps `sig`, waits until the trap
/// is set, sends `sig` to the skiff process and checks the container saw it and skiff exits
/// with the trap's code.
fn signal_reaches_the_container(flags: &[&str], sig: i32, name: &str) {
    let s = Skiff::new();
    let img = s.busybox();
    let (dir, vol) = data_dir(&s);
    let script =
        format!("trap 'echo got {name}; exit 7' {name}; touch /data/ready; sleep 1000 & wait");
    let mut args = vec!["run", "--rm", "-v", &vol];
    args.extend_from_slice(flags);
    args.extend_from_slice(&[img, "sh", "-c", &script]);
    let bg = s.spawn(&args, false);
    assert!(
        wait_for_path(&dir.join("ready"), LIMIT),
        "the container never started: {}",
        bg.stderr_so_far()
    );
    bg.signal(sig);
    let out = bg.wait(LIMIT);
    assert_eq!(out.stdout, format!("got {name}\n"), "{out}");
    assert_eq!(out.code, 7, "{out}");
}

#[test]
fn sigterm_reaches_pid_1() {
    signal_reaches_the_container(&[], libc::SIGTERM, "TERM");
}

#[test]
fn sigint_reaches_pid_1() {
    signal_reaches_the_container(&[], libc::SIGINT, "INT");
}

#[test]
fn sighup_reaches_pid_1() {
    signal_reaches_the_container(&[], libc::SIGHUP, "HUP");
}

#[test]
fn sigquit_reaches_pid_1() {
    signal_reaches_the_container(&[], libc::SIGQUIT, "QUIT");
}

#[test]
fn sigusr1_reaches_pid_1() {
    signal_reaches_the_container(&[], libc::SIGUSR1, "USR1");
}

#[test]
fn sigusr2_reaches_pid_1() {
    signal_reaches_the_container(&[], libc::SIGUSR2, "USR2");
}

#[test]
fn sig_proxy_true_forwards_as_the_default_does() {
    signal_reaches_the_container(&["--sig-proxy=true"], libc::SIGUSR1, "USR1");
}

#[test]
fn sig_proxy_false_keeps_signals_from_the_container() {
    let s = Skiff::new();
    let img = s.busybox();
    let (dir, vol) = data_dir(&s);
    let script = "trap 'echo got USR1' USR1; trap 'echo got TERM' TERM; \
                  trap 'echo got INT; exit 9' INT; touch /data/ready; \
                  while true; do sleep 0.2; done";
    let bg = s.spawn(
        &[
            "run",
            "--rm",
            "--sig-proxy=false",
            "--name",
            "quiet",
            "-v",
            &vol,
            img,
            "sh",
            "-c",
            script,
        ],
        false,
    );
    assert!(
        wait_for_path(&dir.join("ready"), LIMIT),
        "the container never started: {}",
        bg.stderr_so_far()
    );
    for sig in [libc::SIGUSR1, libc::SIGTERM] {
        bg.signal(sig);
        common::wait_until_taken(bg.pid(), sig, LIMIT);
    }
    // The container still runs, and only what `kill` sends it reaches its traps.
    s.ok(&["kill", "--signal", "INT", "quiet"]);
    let out = bg.wait(LIMIT);
    assert_eq!(out.stdout, "got INT\n", "{out}");
    assert_eq!(out.code, 9, "{out}");
}

#[test]
fn run_attach_shows_only_the_attached_streams() {
    let s = Skiff::new();
    let img = s.busybox();
    let script = "echo out; echo err >&2";
    let out = s.run(&["run", "--rm", "-a", "stdout", img, "sh", "-c", script]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "out\n"), "{out}");
    assert!(!out.stderr.contains("err"), "{out}");
    let out = s.run(&["run", "--rm", "-a", "stderr", img, "sh", "-c", script]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{out}");
    assert!(out.stderr.contains("err"), "{out}");
    let out = s.run(&[
        "run", "--rm", "-a", "STDOUT", "-a", "stderr", img, "sh", "-c", script,
    ]);
    assert_eq!(out.stdout, "out\n", "{out}");
    assert!(out.stderr.contains("err"), "{out}");
    // The log keeps what the user was not shown.
    let out = s.run(&[
        "run", "--name", "logged", "-a", "stderr", img, "sh", "-c", script,
    ]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{out}");
    let logs = s.run(&["logs", "logged"]);
    assert_eq!(logs.stdout, "out\n", "{logs}");
    assert!(logs.stderr.contains("err"), "{logs}");
    // Neither stdout nor stderr: the id instead, and the exit code all the same.
    let out = s.run(&[
        "run",
        "--name",
        "quiet",
        "-a",
        "stdin",
        img,
        "sh",
        "-c",
        "echo out; exit 3",
    ]);
    assert_eq!(out.code, 3, "{out}");
    let id = s.ok(&["inspect", "--format", "{{.Id}}", "quiet"]);
    assert_eq!(out.stdout, id, "{out}");
    assert_eq!(out.stdout.trim().len(), 64, "{out}");
}

#[test]
fn run_attach_refuses_unknown_streams_and_detach() {
    let s = Skiff::new();
    let img = s.busybox();
    let cases: &[(&[&str], &str)] = &[
        (
            &["-a", "stdbad"],
            "valid streams are STDIN, STDOUT and STDERR",
        ),
        (&["-d", "-a", "stdout"], "Conflicting options: -a and -d"),
    ];
    for (flags, expected) in cases {
        let mut args = vec!["run"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&[img, "true"]);
        let out = s.run(&args);
        assert_eq!(out.code, 125, "{flags:?}: {out}");
        assert!(out.stderr.contains(expected), "{flags:?}: {out}");
    }
    assert_eq!(s.ok(&["ps", "-aq"]), "", "nothing created");
}

#[test]
fn sigterm_is_forwarded_by_init() {
    signal_reaches_the_container(&["--init"], libc::SIGTERM, "TERM");
}

#[test]
fn sigterm_stops_a_command_without_handler_under_init() {
    // Under --init the command is not pid 1, so the default action applies: it dies of the
    // signal, and skiff exits 128+15 as docker does.
    let s = Skiff::new();
    let img = s.busybox();
    let (dir, vol) = data_dir(&s);
    let bg = s.spawn(
        &[
            "run",
            "--rm",
            "--init",
            "-v",
            &vol,
            img,
            "sh",
            "-c",
            "touch /data/ready; exec sleep 1000",
        ],
        false,
    );
    assert!(
        wait_for_path(&dir.join("ready"), LIMIT),
        "{}",
        bg.stderr_so_far()
    );
    // Before or after the exec: neither sh nor sleep handles SIGTERM.
    bg.signal(libc::SIGTERM);
    let out = bg.wait(LIMIT);
    assert_eq!(out.code, 143, "{out}");
}

// ---------------------------------------------------------------------------------------------
// terminal

fn need_script() -> bool {
    if find_program("script").is_none() {
        eprintln!("skipped: util-linux `script` is not installed");
        return false;
    }
    true
}

#[test]
fn it_gives_a_real_pty_with_the_terminals_size() {
    if !need_script() {
        return;
    }
    let s = Skiff::new();
    let img = s.busybox();
    let bg = s
        .spawn_in_pty(
            &[
                "run",
                "-it",
                "--rm",
                img,
                "sh",
                "-c",
                "tty; stty size; exit 4",
            ],
            40,
            100,
        )
        .unwrap();
    let out = bg.wait(LIMIT);
    let text = out.stdout.replace('\r', "");
    assert!(text.contains("/dev/pts/0\n"), "{out}");
    assert!(text.contains("40 100\n"), "the terminal's size: {out}");
    assert_eq!(out.code, 4, "{out}");
}

#[test]
fn it_with_attach_stdin_takes_input_and_shows_only_the_id() {
    if !need_script() {
        return;
    }
    let s = Skiff::new();
    let img = s.busybox();
    let (dir, vol) = data_dir(&s);
    let mut bg = s
        .spawn_in_pty(
            &[
                "run",
                "-it",
                "-a",
                "stdin",
                "--name",
                "typed",
                "-v",
                &vol,
                img,
                "sh",
                "-c",
                "echo shown?; touch /data/ready; read l; echo \"$l\" > /data/got",
            ],
            24,
            80,
        )
        .unwrap();
    assert!(
        wait_for_path(&dir.join("ready"), LIMIT),
        "{}",
        bg.stderr_so_far()
    );
    bg.write(b"hello\r");
    let out = bg.wait(LIMIT);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(fs::read_to_string(dir.join("got")).unwrap(), "hello\n");
    let id = s.ok(&["inspect", "--format", "{{.Id}}", "typed"]);
    assert_eq!(out.stdout.replace('\r', ""), id, "only the id: {out}");
}

#[test]
fn t_alone_gives_a_pty_and_dev_console() {
    if !need_script() {
        return;
    }
    let s = Skiff::new();
    let img = s.busybox();
    let bg = s
        .spawn_in_pty(
            &[
                "run",
                "-t",
                "--rm",
                img,
                "sh",
                "-c",
                "test -c /dev/console && echo console; tty; stty size",
            ],
            30,
            90,
        )
        .unwrap();
    let out = bg.wait(LIMIT);
    let text = out.stdout.replace('\r', "");
    assert!(text.contains("console\n/dev/pts/0\n"), "{out}");
    assert!(text.contains("30 90\n"), "{out}");
    assert_eq!(out.code, 0, "{out}");
}

#[test]
fn ctrl_c_on_the_pty_reaches_the_container() {
    if !need_script() {
        return;
    }
    let s = Skiff::new();
    let img = s.busybox();
    let mut bg = s
        .spawn_in_pty(
            &[
                "run",
                "-it",
                "--rm",
                img,
                "sh",
                "-c",
                "trap 'echo got INT; exit 5' INT; echo ready; sleep 1000 & wait",
            ],
            24,
            80,
        )
        .unwrap();
    assert!(bg.wait_for_stdout("ready", LIMIT), "{}", bg.stdout_so_far());
    bg.write(b"\x03");
    let out = bg.wait(LIMIT);
    assert!(out.stdout.contains("got INT"), "{out}");
    assert_eq!(out.code, 5, "{out}");
}

#[test]
fn ctrl_c_stops_the_command_with_130() {
    if !need_script() {
        return;
    }
    let s = Skiff::new();
    let img = s.busybox();
    // With --init the command is not pid 1, so ^C kills it as on any terminal.
    let mut bg = s
        .spawn_in_pty(
            &[
                "run",
                "-it",
                "--init",
                "--rm",
                img,
                "sh",
                "-c",
                "echo ready; exec sleep 1000",
            ],
            24,
            80,
        )
        .unwrap();
    assert!(bg.wait_for_stdout("ready", LIMIT), "{}", bg.stdout_so_far());
    // Whether the ^C meets sh before its exec or sleep after it, neither handles SIGINT.
    bg.write(b"\x03");
    let out = bg.wait(LIMIT);
    assert_eq!(out.code, 130, "{out}");
}

#[test]
fn window_size_changes_reach_the_container() {
    if !need_script() {
        return;
    }
    let s = Skiff::new();
    let img = s.busybox();
    let (dir, vol) = data_dir(&s);
    let ready = dir.join("ready");
    // skiff runs in the background of the terminal's shell (its stdin kept on the terminal
    // through fd 3); once the container is ready, the shell resizes the terminal, which sends
    // SIGWINCH to skiff, which must pass the size on to the container's pty. (The trap ignores
    // other sizes: the start-up size is the business of it_gives_a_real_pty_with_...)
    let skiff = s.skiff_line(&[
        "run",
        "-it",
        "--rm",
        "-v",
        &vol,
        img,
        "sh",
        "-c",
        "trap '[ \"$(stty size)\" = \"50 120\" ] && { echo resized to 50 120; exit 0; }' WINCH; \
         touch /data/ready; while :; do sleep 0.1; done",
    ]);
    let line = format!(
        "stty rows 24 cols 80; exec 3<&0; {skiff} <&3 & \
         i=0; while [ ! -e {ready} ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done; \
         stty rows 50 cols 120; wait $!",
        ready = common::shell_quote(ready.to_str().unwrap()),
    );
    let bg = s.spawn_in_pty_line(&line).unwrap();
    let out = bg.wait(LIMIT);
    assert!(
        out.stdout.replace('\r', "").contains("resized to 50 120\n"),
        "the new size: {out}"
    );
    assert_eq!(out.code, 0, "{out}");
}

// ---------------------------------------------------------------------------------------------
// as root

#[test]
fn as_root_run_works_with_the_same_isolation() {
    let Some(s) = Skiff::as_root() else {
        eprintln!("skipped: the tests do not run as root");
        return;
    };
    let img = s.busybox();
    assert_eq!(s.ok(&["run", "--rm", img, "echo", "hello"]), "hello\n");
    s.fails(&["run", "--rm", img, "sh", "-c", "exit 3"], 3);
    s.fails(&["run", "--rm", img, "no-such-command"], 127);
    assert_eq!(
        s.ok(&["run", "--rm", img, "cat", "/proc/1/cmdline"]),
        "cat\0/proc/1/cmdline\0"
    );
    assert_eq!(
        s.ok(&["run", "--rm", "-u", "nobody", img, "id"]),
        "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n"
    );
    let out = s.ok(&["run", "--rm", img, "ps", "-o", "pid,comm"]);
    assert_eq!(out.lines().count(), 2, "only ps itself: {out}");
    let out = sh(
        &s,
        &["--network", "none"],
        "ls /sys/class/net; cat /proc/self/mounts",
    );
    assert!(out.starts_with("lo\n"), "{out}");
    let sys = mount_at(&out, "/sys").unwrap();
    assert!(sys.has("ro"), "{sys:?}");
    let (dir, vol) = data_dir(&s);
    sh(
        &s,
        &["-v", &vol, "--hostname", "r00t"],
        "hostname > /data/h",
    );
    assert_eq!(fs::read_to_string(dir.join("h")).unwrap(), "r00t\n");
    assert_eq!(fs::metadata(dir.join("h")).unwrap().uid(), 0);
}

#[test]
fn as_root_sigterm_reaches_pid_1() {
    let Some(s) = Skiff::as_root() else {
        eprintln!("skipped: the tests do not run as root");
        return;
    };
    let img = s.busybox();
    let (dir, vol) = data_dir(&s);
    let bg = s.spawn(
        &[
            "run",
            "--rm",
            "-v",
            &vol,
            img,
            "sh",
            "-c",
            "trap 'echo got TERM; exit 7' TERM; touch /data/ready; sleep 1000 & wait",
        ],
        false,
    );
    assert!(
        wait_for_path(&dir.join("ready"), LIMIT),
        "{}",
        bg.stderr_so_far()
    );
    bg.signal(libc::SIGTERM);
    let out = bg.wait(LIMIT);
    assert_eq!((out.code, out.stdout.as_str()), (7, "got TERM\n"), "{out}");
}

#[test]
fn store_paths_given_relative_are_taken_from_the_working_directory() {
    let s = Skiff::new();
    let skiff = |args: &[&str]| {
        let mut cmd = s.as_user(s.bin());
        cmd.args(["--root", "rel-store", "--runroot", "rel-run"])
            .args(args);
        common::run_command(cmd, None)
    };
    let archive = common::busybox_archive_file().to_str().unwrap();
    assert_eq!(skiff(&["load", "-i", archive]).code, 0);
    let out = skiff(&["run", "--rm", common::BUSYBOX, "echo", "hi"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "hi\n"), "{out}");
}

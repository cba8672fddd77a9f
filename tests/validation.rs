//! Bad input refused at the door: each case gets docker's message and exit code and leaves
//! the store as it was (no container record, no image, no volume). Also: error messages that
//! quote bad files stay printable and name the user's paths, and registries that stall are
//! given up on. Registries here are the shared one on `$SKIFF_TEST_REGISTRY` and small fakes
//! on 127.0.0.1 written below.

mod common;

use common::fixtures::{self, Entry};
use common::{run_command, Out, Skiff};
use serde_json::json;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Runs `args`, expects `code` and `message` in stderr, and that the store did not change.
#[track_caller]
fn refused(s: &Skiff, args: &[&str], code: i32, message: &str) -> Out {
    let before = s.store_listing();
    let out = s.fails(args, code);
    assert!(out.stderr.contains(message), "expected {message:?}: {out}");
    assert_eq!(
        s.store_listing(),
        before,
        "`skiff {}` changed the store",
        args.join(" ")
    );
    out
}

/// A store with the busybox image and the listing settled (the first command creates files).
fn store_with_busybox() -> Skiff {
    let s = Skiff::new();
    s.busybox();
    s.ok(&["ps", "-a"]);
    s
}

#[test]
fn a_bogus_stop_signal_is_refused() {
    let s = store_with_busybox();
    for args in [
        &["run", "--stop-signal", "BOGUS", "busybox:test", "true"][..],
        &[
            "run",
            "-d",
            "--stop-signal",
            "SIGBOGUS",
            "busybox:test",
            "sleep",
            "5",
        ],
    ] {
        refused(&s, args, 125, "invalid signal: ");
    }
    assert!(s.container_ids().is_empty());
}

#[test]
fn bad_health_durations_are_refused_before_a_detached_container_exists() {
    let s = store_with_busybox();
    for flag in [
        "--health-interval",
        "--health-timeout",
        "--health-start-period",
    ] {
        let args = [
            "run",
            "-d",
            "--health-cmd",
            "true",
            flag,
            "abc",
            "busybox:test",
            "sleep",
            "5",
        ];
        let out = refused(
            &s,
            &args,
            125,
            &format!(r#"invalid argument "abc" for "{flag}" flag"#),
        );
        assert!(out.stdout.is_empty(), "no container id: {out}");
    }
    assert!(s.container_ids().is_empty());
}

#[test]
fn an_environment_variable_without_a_name_is_refused() {
    let s = store_with_busybox();
    refused(
        &s,
        &["run", "--rm", "-e", "=value", "busybox:test", "true"],
        125,
        "invalid environment variable: =value",
    );
    let file = s.write_file("env", b"GOOD=1\n=value\n");
    refused(
        &s,
        &[
            "run",
            "--env-file",
            file.to_str().unwrap(),
            "busybox:test",
            "true",
        ],
        125,
        "invalid environment variable: =value",
    );
    assert!(s.container_ids().is_empty());
}

#[test]
fn repository_names_over_255_characters_are_refused() {
    let s = store_with_busybox();
    let long = "a".repeat(256);
    let message = "repository name must not be more than 255 characters";
    refused(&s, &["tag", "busybox:test", &long], 125, message);
    refused(&s, &["pull", &long], 125, message);
    refused(&s, &["run", "--rm", &long, "true"], 125, message);
    // Counted on the full name, as docker counts it: docker.io/library/ + 240 is too long.
    refused(&s, &["tag", "busybox:test", &"b".repeat(240)], 125, message);
    s.ok(&[
        "tag",
        "busybox:test",
        &format!("127.0.0.1:5000/{}", "c".repeat(240)),
    ]);
}

#[test]
fn importing_an_empty_file_makes_no_image() {
    let s = Skiff::new();
    s.ok(&["images"]);
    let empty = s.write_file("empty.tar", b"");
    refused(
        &s,
        &["import", empty.to_str().unwrap(), "empty:1"],
        125,
        "the archive is empty",
    );
    let before = s.store_listing();
    let out = s.run_stdin(&["import", "-", "empty:2"], b"");
    assert_eq!(out.code, 125, "{out}");
    assert!(out.stderr.contains("the archive is empty"), "{out}");
    assert_eq!(s.store_listing(), before);
}

#[test]
fn import_and_commit_refuse_a_bad_expose_change() {
    let s = store_with_busybox();
    let rootfs = s.write_file("rootfs.tar", fixtures::busybox_rootfs());
    let rootfs = rootfs.to_str().unwrap();
    for (change, message) in [
        ("EXPOSE abc", "invalid containerPort: abc"),
        ("EXPOSE 80/xyz", "invalid proto: xyz"),
        ("EXPOSE 90-80", "invalid containerPort: 90-80"),
    ] {
        refused(&s, &["import", "-c", change, rootfs, "x:1"], 125, message);
    }
    s.ok(&["run", "--name", "ctr", "busybox:test", "true"]);
    refused(
        &s,
        &["commit", "-c", "EXPOSE abc", "ctr", "y:1"],
        125,
        "invalid containerPort: abc",
    );
    // What is valid still works, a range as the ports it names.
    s.ok(&["import", "-c", "EXPOSE 8000-8001/udp", rootfs, "ok:1"]);
    let ports = s.ok(&[
        "inspect",
        "--format",
        "{{json .Config.ExposedPorts}}",
        "ok:1",
    ]);
    assert_eq!(ports.trim(), r#"{"8000/udp":{},"8001/udp":{}}"#);
}

/// `volume create` of a tmpfs volume named `v` with the mount options `o`.
fn create_tmpfs_volume(s: &Skiff, o: &str, code: i32) -> Out {
    let o = format!("o={o}");
    let args = [
        "volume",
        "create",
        "-o",
        "type=tmpfs",
        "-o",
        "device=tmpfs",
        "-o",
        &o,
        "v",
    ];
    let out = s.run(&args);
    assert_eq!(out.code, code, "{out}");
    out
}

#[test]
fn a_tmpfs_volume_with_a_bad_size_is_not_created() {
    let s = Skiff::new();
    s.ok(&["volume", "ls"]);
    let before = s.store_listing();
    for o in ["size=abc", "size=64m,mode=999", "uid=nobody"] {
        let out = create_tmpfs_volume(&s, o, 125);
        assert!(out.stderr.contains("invalid tmpfs option"), "{out}");
    }
    assert_eq!(s.store_listing(), before);
    assert_eq!(s.ok(&["volume", "ls", "-q"]), "");
    assert_eq!(create_tmpfs_volume(&s, "size=10%", 0).stdout, "v\n");
}

#[test]
fn pulling_a_platform_the_image_does_not_have_names_both() {
    let addr = std::env::var("SKIFF_TEST_REGISTRY")
        .expect("SKIFF_TEST_REGISTRY: the local registry (.ci/run --setup starts one)");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let reference = format!(
        "{addr}/skiff-tests/{}-{nanos:x}/platform:1",
        std::process::id()
    );
    let pusher = store_with_busybox();
    pusher.ok(&["tag", "busybox:test", &reference]);
    pusher.ok(&["push", &reference]);

    let s = Skiff::new();
    s.ok(&["images"]);
    let out = refused(
        &s,
        &["pull", "--platform", "linux/s390x", &reference],
        125,
        "does not match the specified platform",
    );
    let actual = format!("linux/{}", fixtures::host_arch());
    assert!(
        out.stderr.contains("wanted linux/s390x") && out.stderr.contains(&actual),
        "{out}"
    );
    s.ok(&["pull", "--platform", &actual, &reference]);
}

#[test]
fn a_field_a_template_cannot_evaluate_fails_as_docker_fails() {
    let s = store_with_busybox();
    s.ok(&["run", "--name", "ctr", "busybox:test", "true"]);
    let out = s.fails(&["ps", "-a", "--format", "{{.Bogus}}"], 1);
    assert_eq!(
        out.stderr.trim(),
        r#"Error: template parsing error: template: :1:2: executing "" at <.Bogus>: can't evaluate field Bogus in type *formatter.ContainerContext"#
    );
    assert!(out.stdout.is_empty(), "{out}");
    let out = s.fails(&["images", "--format", "table {{.ID}}\\t{{.Bogus}}"], 1);
    assert!(
        out.stderr.contains(
            r#"template: :1:10: executing "" at <.Bogus>: can't evaluate field Bogus in type *formatter.ImageContext"#
        ),
        "{out}"
    );
    assert!(out.stdout.is_empty(), "{out}");
    let out = s.fails(&["inspect", "--format", "{{.Bogus}}", "busybox:test"], 1);
    assert!(
        out.stderr.contains(
            r#"template: :1:2: executing "" at <.Bogus>: map has no entry for key "Bogus""#
        ),
        "{out}"
    );
    let out = s.fails(&["images", "--format", "{{.ID"], 1);
    assert!(
        out.stderr
            .contains("template parsing error: template: :1: unclosed action"),
        "{out}"
    );
    // Inside range the dot is another value, and a missing key of a nested map stays
    // "<no value>", as in docker.
    let env = s.ok(&[
        "inspect",
        "--format",
        "{{range .Config.Env}}{{.}}{{end}}",
        "busybox:test",
    ]);
    assert!(env.starts_with("PATH="), "{env}");
    let label = s.ok(&["inspect", "--format", "{{.Config.Labels.nope}}", "ctr"]);
    assert_eq!(label, "<no value>\n");
}

#[test]
fn a_user_beyond_the_subordinate_range_says_how_to_grow_it() {
    let s = store_with_busybox();
    if !s.rootless() {
        eprintln!("skipped: as root every id is mapped");
        return;
    }
    // The numeric id is checked before the container is made.
    let out = refused(
        &s,
        &["run", "--user", "100000", "busybox:test", "id"],
        125,
        "subordinate uid range is too small",
    );
    assert!(
        out.stderr.contains("usermod --add-subuids") && out.stderr.contains("/etc/subuid"),
        "{out}"
    );
    refused(
        &s,
        &["run", "--user", "0:100000", "busybox:test", "id"],
        125,
        "usermod --add-subgids",
    );
    assert!(s.container_ids().is_empty());
    // A name is looked up in the container when it starts: the same advice from there.
    let passwd = format!("{}big:x:100000:0::/:/bin/sh\n", fixtures::BUSYBOX_PASSWD);
    let rootfs = fixtures::busybox_rootfs_with(&[Entry::file("etc/passwd", passwd.as_bytes())]);
    let archive = fixtures::docker_archive("big:1", &rootfs, json!({}));
    let file = s.write_file("big.tar", &archive);
    s.ok(&["load", "-i", file.to_str().unwrap()]);
    let out = s.fails(&["run", "--rm", "--user", "big", "big:1", "id"], 125);
    assert!(
        out.stderr.contains("cannot run as uid 100000")
            && out.stderr.contains("usermod --add-subuids"),
        "{out}"
    );
}

/// Bytes a terminal would obey: a screen clear, a title change, a bell.
const HOSTILE: &[u8] = b"\x1b[2J\x1b]0;owned\x07\x9b";

#[track_caller]
fn assert_printable(out: &Out) {
    let bad = out
        .stderr
        .chars()
        .find(|c| c.is_control() && *c != '\n' && *c != '\t');
    assert!(
        bad.is_none(),
        "raw control character {bad:?} printed: {out}"
    );
    assert!(
        out.stderr.lines().all(|l| l.len() < 400),
        "an error line too long: {out}"
    );
}

#[test]
fn errors_quote_bad_files_printably_and_name_the_users_paths() {
    let s = store_with_busybox();
    let mut binary = HOSTILE.to_vec();
    binary.extend((0..4096u32).map(|i| (i * 7 % 256) as u8));
    let file = s.write_file("binary", &binary);
    let file = file.to_str().unwrap();

    let out = s.fails(&["load", "-i", file], 125);
    assert_printable(&out);
    let out = s.fails(&["import", file, "x:1"], 125);
    assert_printable(&out);
    let context = s.tempdir();
    let out = s.fails(&["build", "-f", file, context.to_str().unwrap()], 1);
    assert!(out.stderr.contains("unknown instruction"), "{out}");
    assert_printable(&out);

    // A mount the kernel refuses is named by its path in the container.
    let out = s.fails(
        &[
            "run",
            "--rm",
            "--tmpfs",
            "/data:bogus=1",
            "busybox:test",
            "true",
        ],
        125,
    );
    assert!(out.stderr.contains("on /data"), "{out}");
    assert!(!out.stderr.contains("/proc/self/fd"), "{out}");
}

// ---------------------------------------------------------------------------------------------
// Registries that stall

/// The stall timeout the tests give skiff, in seconds.
const STALL: &str = "2";
/// What "eventually" means for a stalled pull (several stall timeouts and then some).
const STALL_BOUND: Duration = Duration::from_secs(60);

/// A registry on 127.0.0.1 that answers `/v2/` and hands every other request (its path and
/// headers) to `answer` with the connection to write to. TLS is refused at once, so skiff's
/// try of HTTPS first falls back to plain HTTP without waiting.
fn fake_registry(answer: impl Fn(&str, &str, &mut TcpStream) + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let answer = Arc::new(answer);
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let answer = answer.clone();
            std::thread::spawn(move || {
                let Some(head) = read_head(&mut conn) else {
                    return;
                };
                let path = head
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_string();
                if path == "/v2/" {
                    let _ = conn.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
                    );
                } else {
                    answer(&path, &head, &mut conn);
                }
            });
        }
    });
    addr
}

/// The request head, or None for a TLS handshake (its first byte is 0x16).
fn read_head(conn: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if conn.read(&mut byte).ok()? == 0 || (head.is_empty() && byte[0] == 0x16) {
            return None;
        }
        head.push(byte[0]);
    }
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// Sends `bytes` one at a time, half a second apart, for as long as the client listens.
fn trickle(conn: &mut TcpStream, bytes: &[u8]) {
    for b in bytes {
        if conn.write_all(&[*b]).is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn pull_with_stall_timeout(s: &Skiff, reference: &str) -> (Out, Duration) {
    let mut cmd = s.cmd(&["pull", reference]);
    cmd.env("SKIFF_REGISTRY_STALL_TIMEOUT", STALL);
    let started = Instant::now();
    let out = run_command(cmd, None);
    (out, started.elapsed())
}

#[test]
fn a_registry_that_trickles_or_never_answers_is_given_up_on() {
    let trickling = fake_registry(|_, _, conn| {
        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 4096\r\n\r\n");
        trickle(conn, &[b' '; 4096]);
    });
    let silent = fake_registry(|_, _, _| std::thread::sleep(Duration::from_secs(120)));
    let trickling_head = fake_registry(|_, _, conn| {
        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nX-Slow: ");
        trickle(conn, &[b'a'; 4096]);
    });
    for addr in [trickling, silent, trickling_head] {
        let s = Skiff::new();
        s.ok(&["images"]);
        let before = s.store_listing();
        let (out, took) = pull_with_stall_timeout(&s, &format!("{addr}/slow/image:1"));
        assert_eq!(out.code, 125, "{out}");
        assert!(out.stderr.contains("stalled: no progress for 2 s"), "{out}");
        assert!(took < STALL_BOUND, "gave up only after {took:?}: {out}");
        assert_eq!(s.store_listing(), before);
    }
}

#[test]
fn a_layer_download_that_stalls_resumes_where_it_stopped() {
    let (manifest, config, layer) = fixtures::busybox_blobs();
    let layer_digest = fixtures::sha256(&layer);
    let layer_requests = Arc::new(AtomicUsize::new(0));
    let counter = layer_requests.clone();
    let addr = fake_registry(move |path, head, conn| {
        let body: &[u8] = if path.contains("/manifests/") {
            &manifest
        } else if path.ends_with(&layer_digest) {
            if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                // Half the layer, then silence while the connection stays open.
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                    layer.len()
                );
                let _ = conn.write_all(&layer[..layer.len() / 2]);
                std::thread::sleep(Duration::from_secs(120));
                return;
            }
            let start: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("range: bytes=")
                        .map(str::to_string)
                })
                .and_then(|r| r.trim_end_matches('-').parse().ok())
                .unwrap_or(0);
            let _ = write!(
                conn,
                "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {start}-{}/{}\r\nConnection: close\r\n\r\n",
                layer.len() - start,
                layer.len() - 1,
                layer.len()
            );
            let _ = conn.write_all(&layer[start..]);
            return;
        } else {
            &config
        };
        let _ = write!(
            conn,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = conn.write_all(body);
    });
    let s = Skiff::new();
    let reference = format!("{addr}/slow/image:1");
    let (out, took) = pull_with_stall_timeout(&s, &reference);
    assert_eq!(out.code, 0, "{out}");
    assert!(took < STALL_BOUND, "{took:?}");
    assert_eq!(
        layer_requests.load(Ordering::SeqCst),
        2,
        "the layer was asked for once more"
    );
    assert_eq!(
        s.ok(&["run", "--rm", &reference, "echo", "whole"]),
        "whole\n"
    );
}

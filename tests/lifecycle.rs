//! The container lifecycle (issue 4) as a user scripts it: `run -d` and its supervisor, `ps`,
//! `logs`, `stop`/`kill`/`start`/`restart`, `exec`, `wait`, `pause`/`unpause`, `top`,
//! `rename`, `stats`, `inspect`, `rm`/`prune`, `update`, `events`, restart policies,
//! healthchecks, what happens when a supervisor is killed, and the bad-input cases.
//!
//! Skiff runs rootless (as `$SKIFF_TEST_USER` when the tests run as root, see tests/common);
//! the `as_root_*` tests repeat key checks with skiff run by root. Nothing here asserts on a
//! duration: what takes time is polled with a generous deadline ([`LIMIT`]), which only turns
//! a hang into a failure. Every test removes its containers (`rm -f`, see [`Env`]).

mod common;

use common::fixtures;
use common::{Out, Skiff};
use serde_json::{json, Value};
use std::fmt::Debug;
use std::fs;
use std::time::{Duration, Instant};

/// The deadline for anything polled: generous, only there so that a hang fails the test.
const LIMIT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// helpers

/// A store whose containers are all removed (`rm -f`) when the test ends, pass or fail, and
/// whose supervisors are SIGKILLed if any survive that.
struct Env {
    s: Skiff,
}

impl Env {
    fn new() -> Env {
        Env { s: Skiff::new() }
    }
    fn root() -> Option<Env> {
        Skiff::as_root().map(|s| Env { s })
    }
}

impl std::ops::Deref for Env {
    type Target = Skiff;
    fn deref(&self) -> &Skiff {
        &self.s
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let ids = self.s.container_ids();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(ids.iter().map(String::as_str));
            let _ = self.s.run(&args);
        }
        // Whatever survived (a broken rm): no supervisor of this store may outlive the test.
        let root = self.s.root().to_str().unwrap().to_string();
        for (pid, args) in processes() {
            if args.iter().any(|a| a == "__supervise") && args.contains(&root) {
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    }
}

/// Every process: (pid, its command line split at NULs).
fn processes() -> Vec<(i32, Vec<String>)> {
    let Ok(rd) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let raw = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
            let args = raw
                .split(|&b| b == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            Some((pid, args))
        })
        .collect()
}

/// The live (not zombie) processes whose command line has `__supervise ID`.
fn supervisors(id: &str) -> Vec<i32> {
    processes()
        .into_iter()
        .filter(|(pid, args)| {
            args.windows(2).any(|w| w[0] == "__supervise" && w[1] == id) && alive(*pid)
        })
        .map(|(pid, _)| pid)
        .collect()
}

/// The state letter of a process (R, S, T, Z...), None when it is gone.
fn proc_state(pid: i32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Whether `pid` exists and is not a zombie.
fn alive(pid: i32) -> bool {
    pid > 0 && !matches!(proc_state(pid), None | Some('Z') | Some('X'))
}

/// Field `n` (1-based, as in proc(5)) of /proc/PID/stat.
fn stat_field(pid: i32, n: usize) -> Option<String> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    after.split_whitespace().nth(n - 3).map(String::from)
}

/// The host pids in the same pid namespace as `pid1` (the container's processes).
fn container_processes(pid1: i32) -> Vec<i32> {
    let Ok(ns) = fs::read_link(format!("/proc/{pid1}/ns/pid")) else {
        return Vec::new();
    };
    processes()
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| fs::read_link(format!("/proc/{p}/ns/pid")).is_ok_and(|n| n == ns))
        .collect()
}

/// Polls `probe` until `ok` holds of its value and returns that value; panics with the last
/// value seen after [`LIMIT`].
#[track_caller]
fn eventually<T: Debug>(what: &str, mut probe: impl FnMut() -> T, ok: impl Fn(&T) -> bool) -> T {
    let started = Instant::now();
    loop {
        let value = probe();
        if ok(&value) {
            return value;
        }
        if started.elapsed() > LIMIT {
            panic!("{what}: still not the case after {LIMIT:?}; last seen: {value:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn is_full_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn is_short_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `skiff run -d ARGS`: asserts it succeeds and prints one full id, and returns the id.
#[track_caller]
fn run_d(s: &Skiff, args: &[&str]) -> String {
    let mut all = vec!["run", "-d"];
    all.extend_from_slice(args);
    let out = s.run(&all);
    assert_eq!(out.code, 0, "`skiff {}`: {out}", all.join(" "));
    assert!(
        out.stdout.ends_with('\n') && is_full_id(out.stdout.trim_end()),
        "`run -d` prints the full 64-hex id and a newline: {out}"
    );
    out.stdout.trim_end().to_string()
}

/// `skiff inspect -f FORMAT C`, output without its final newline.
#[track_caller]
fn inspect_f(s: &Skiff, format: &str, c: &str) -> String {
    let out = s.ok(&["inspect", "-f", format, c]);
    out.strip_suffix('\n').unwrap_or(&out).to_string()
}

/// `skiff inspect C` parsed: the one object of the array.
#[track_caller]
fn inspect(s: &Skiff, c: &str) -> Value {
    let out = s.ok(&["inspect", c]);
    let v: Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("inspect prints JSON: {e}: {out}"));
    let arr = v.as_array().expect("inspect prints an array");
    assert_eq!(arr.len(), 1, "{out}");
    arr[0].clone()
}

fn status(s: &Skiff, c: &str) -> String {
    inspect_f(s, "{{.State.Status}}", c)
}

fn pid_of(s: &Skiff, c: &str) -> i32 {
    inspect_f(s, "{{.State.Pid}}", c).parse().unwrap()
}

fn restart_count(s: &Skiff, c: &str) -> u32 {
    inspect_f(s, "{{.RestartCount}}", c).parse().unwrap()
}

/// The STATUS `ps -a` shows for the container named `name` (None when not listed).
fn ps_status(s: &Skiff, name: &str) -> Option<String> {
    s.ok(&["ps", "-a", "--format", "{{.Names}}|{{.Status}}"])
        .lines()
        .find_map(|l| {
            let (n, st) = l.split_once('|')?;
            (n == name).then(|| st.to_string())
        })
}

/// The names `ps ARGS --format {{.Names}}` lists, in order.
fn ps_names(s: &Skiff, args: &[&str]) -> Vec<String> {
    let mut all = vec!["ps"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "{{.Names}}"]);
    s.ok(&all).lines().map(String::from).collect()
}

/// The cells of a table line: runs of two or more spaces separate them (empty cells vanish).
fn cells(line: &str) -> Vec<String> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

/// `skiff logs ARGS C`, stdout and stderr.
fn logs(s: &Skiff, args: &[&str], c: &str) -> Out {
    let mut all = vec!["logs"];
    all.extend_from_slice(args);
    all.push(c);
    s.run(&all)
}

/// Polls until `skiff logs C` (stdout) contains `needle`.
#[track_caller]
fn wait_for_log(s: &Skiff, c: &str, needle: &str) {
    eventually(
        &format!("logs of {c} contain {needle:?}"),
        || logs(s, &[], c).stdout,
        |out| out.contains(needle),
    );
}

/// Polls until the container is exited and its supervisor gone: it is down for good, no
/// restart policy can bring it back any more.
#[track_caller]
fn wait_down_for_good(s: &Skiff, c: &str, id: &str) {
    eventually(
        &format!("{c} exited and its supervisor gone"),
        || (status(s, c), supervisors(id)),
        |(st, sups)| st == "exited" && sups.is_empty(),
    );
}

/// A shell loop that keeps a container up and reacts to signals quickly.
const FOREVER: &str = "while true; do sleep 0.2; done";

/// `sh -c` script: trap `sig` running `action`, say "ready", loop forever.
fn trap_script(sig: &str, action: &str) -> String {
    format!("trap '{action}' {sig}; echo ready; {FOREVER}")
}

/// Loads a busybox image whose config has `config` merged in (e.g. StopSignal, Healthcheck,
/// Labels) as `name`.
fn load_image(s: &Skiff, name: &str, config: Value) {
    let archive = fixtures::docker_archive(
        name,
        fixtures::busybox_rootfs(),
        json!({ "config": config }),
    );
    let file = s.write_file(&format!("{}.tar", name.replace([':', '/'], "_")), &archive);
    s.ok(&["load", "-i", file.to_str().unwrap()]);
}

/// RFC 3339 with nanoseconds as docker's `logs -t` prints it: fixed 9-digit fraction, `Z`.
fn is_rfc3339_nano_fixed(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 30
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[29] == b'Z'
        && t[20..29].bytes().all(|c| c.is_ascii_digit())
}

// ---------------------------------------------------------------------------------------------
// run -d and the supervisor

#[test]
fn run_d_prints_the_full_id_and_returns_while_the_container_runs() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            "while true; do echo hello world; sleep 1; done",
        ],
    );
    assert_eq!(s.container_ids(), vec![id.clone()]);
    // It has started by the time run -d returns.
    let st = inspect(&s, "web");
    assert_eq!(st["State"]["Status"], "running", "{st:#}");
    assert_eq!(st["State"]["Running"], true, "{st:#}");
    let pid = st["State"]["Pid"].as_i64().unwrap() as i32;
    assert!(alive(pid), "State.Pid {pid} is a live process");
    wait_for_log(&s, "web", "hello world\n");
    assert!(s.ok(&["ps", "-q"]).lines().any(|l| l == &id[..12]));
    s.ok(&["rm", "-f", "web"]);
}

#[test]
fn exactly_one_supervisor_per_running_container_and_none_after_exit() {
    let s = Env::new();
    let img = s.busybox();
    let long = run_d(&s, &["--name", "long", img, "sh", "-c", FOREVER]);
    let short = run_d(
        &s,
        &[
            "--name",
            "short",
            img,
            "sh",
            "-c",
            "while [ ! -e /tmp/go ]; do sleep 0.2; done; rm /tmp/go",
        ],
    );
    assert_eq!(supervisors(&long).len(), 1, "one supervisor for long");
    assert_eq!(supervisors(&short).len(), 1, "one supervisor for short");
    // The container's pid 1 is the supervisor's child.
    let sup = supervisors(&long)[0];
    let pid = pid_of(&s, "long");
    assert_eq!(
        stat_field(pid, 4).as_deref(),
        Some(sup.to_string().as_str()),
        "pid 1 of the container ({pid}) is a child of its supervisor ({sup})"
    );
    s.ok(&["exec", "short", "touch", "/tmp/go"]);
    wait_down_for_good(&s, "short", &short);
    assert_eq!(supervisors(&long).len(), 1, "long keeps its one supervisor");
    // Restarting and starting again still leave one supervisor.
    s.ok(&["restart", "-t", "1", "long"]);
    assert_eq!(status(&s, "long"), "running");
    assert_eq!(supervisors(&long).len(), 1, "one supervisor after restart");
    s.ok(&["start", "short"]);
    assert_eq!(supervisors(&short).len(), 1, "one supervisor after start");
    s.ok(&["rm", "-f", "long", "short"]);
    eventually(
        "no supervisor after rm -f",
        || (supervisors(&long), supervisors(&short)),
        |(a, b)| a.is_empty() && b.is_empty(),
    );
}

#[test]
fn the_supervisor_is_detached_from_its_caller() {
    let s = Env::new();
    let img = s.busybox();
    // A descriptor the caller has open (not close-on-exec), e.g. a CI runner's pipe: skiff
    // may not keep it open in the supervisor, or the caller never sees end of file.
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    let (read_end, write_end) = (fds[0], fds[1]);
    let pipe_name = format!(
        "pipe:[{}]",
        fs::metadata(format!("/proc/self/fd/{read_end}"))
            .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
            .unwrap_or(0)
    );
    let mut cmd = s.cmd(&["run", "-d", "--name", "det", img, "sleep", "1000"]);
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
            // dup2 leaves the copy inheritable.
            if libc::dup2(write_end, 50) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = common::run_command(cmd, None);
    unsafe { libc::close(write_end) };
    assert_eq!(out.code, 0, "{out}");
    assert!(
        !out.stderr.contains("[harness:"),
        "run -d left its stdout/stderr open in a process it left behind: {out}"
    );
    let id = out.stdout.trim().to_string();
    let sups = supervisors(&id);
    assert_eq!(sups.len(), 1, "{sups:?}");
    let sup = sups[0];
    // setsid: it leads its own session, and has no controlling terminal.
    assert_eq!(
        stat_field(sup, 6),
        Some(sup.to_string()),
        "the supervisor leads its own session"
    );
    assert_eq!(
        stat_field(sup, 7).as_deref(),
        Some("0"),
        "no controlling terminal"
    );
    for fd in 0..3 {
        let target = fs::read_link(format!("/proc/{sup}/fd/{fd}"))
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        assert!(
            !target.starts_with("pipe:") && !target.starts_with("/dev/pts"),
            "the supervisor's fd {fd} is away from the caller: {target}"
        );
    }
    let mut pfd = libc::pollfd {
        fd: read_end,
        events: libc::POLLIN,
        revents: 0,
    };
    let ready = unsafe { libc::poll(&mut pfd, 1, 10_000) };
    let holders: Vec<String> = processes()
        .into_iter()
        .filter(|(p, _)| {
            fs::read_dir(format!("/proc/{p}/fd")).is_ok_and(|rd| {
                rd.filter_map(|e| e.ok())
                    .any(|e| fs::read_link(e.path()).is_ok_and(|l| l.to_str() == Some(&pipe_name)))
            })
        })
        .filter(|(p, _)| *p != std::process::id() as i32)
        .map(|(p, a)| format!("{p} {}", a.join(" ")))
        .collect();
    unsafe { libc::close(read_end) };
    assert!(
        ready == 1 && pfd.revents & libc::POLLHUP != 0,
        "a descriptor the caller passed to `run -d` (fd 50, a pipe) is still held open after \
         it returned (poll: {ready}, revents {:#x}); processes holding it: {holders:?}",
        pfd.revents
    );
}

#[test]
fn run_d_of_a_missing_command_fails_with_127_and_the_error() {
    let s = Env::new();
    let img = s.busybox();
    let out = s.fails(&["run", "-d", "--name", "bad", img, "no-such-command"], 127);
    assert!(out.stderr.contains("no-such-command"), "{out}");
    assert_eq!(
        out.stdout, "",
        "no id for a container that did not start: {out}"
    );
    let ids = s.container_ids();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(supervisors(&ids[0]).is_empty(), "no supervisor left");
    s.fails(&["run", "-d", img, "/etc"], 126);
}

#[test]
fn names_full_ids_and_unique_prefixes_all_name_a_container() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(&s, &["--name", "web", img, "sh", "-c", FOREVER]);
    for c in [id.as_str(), &id[..12], &id[..5], "web", "/web"] {
        assert_eq!(inspect_f(&s, "{{.Id}}", c), id, "inspect {c}");
        assert_eq!(s.ok(&["exec", c, "echo", "hi"]), "hi\n", "exec {c}");
        assert_eq!(s.run(&["logs", c]).code, 0, "logs {c}");
        assert_eq!(s.run(&["top", c]).code, 0, "top {c}");
    }
    s.ok(&["stop", "-t", "1", &id[..7]]);
    assert_eq!(status(&s, "web"), "exited");
    s.ok(&["rm", &id[..12]]);
    assert!(s.container_ids().is_empty());
}

// ---------------------------------------------------------------------------------------------
// ps

#[test]
fn ps_shows_running_containers_and_a_shows_all() {
    let s = Env::new();
    let img = s.busybox();
    let up = run_d(&s, &["--name", "up", img, "sh", "-c", FOREVER]);
    let done = run_d(&s, &["--name", "done", img, "true"]);
    wait_down_for_good(&s, "done", &done);

    let out = s.ok(&["ps"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        cells(lines[0]),
        [
            "CONTAINER ID",
            "IMAGE",
            "COMMAND",
            "CREATED",
            "STATUS",
            "PORTS",
            "NAMES"
        ],
        "{out}"
    );
    assert_eq!(lines.len(), 2, "only the running one: {out}");
    let row = cells(lines[1]);
    assert_eq!(row[0], &up[..12], "{out}");
    assert_eq!(row[1], img, "{out}");
    assert!(row[2].starts_with("\"sh -c while"), "{out}");
    assert!(row[3].ends_with(" ago"), "CREATED: {out}");
    assert!(row[4].starts_with("Up "), "STATUS: {out}");
    assert_eq!(row.last().unwrap(), "up", "{out}");

    assert_eq!(ps_names(&s, &["-a"]), ["done", "up"], "newest first");
    assert_eq!(s.ok(&["ps", "-q"]), format!("{}\n", &up[..12]));
    let all_q = s.ok(&["ps", "-aq"]);
    assert_eq!(all_q, format!("{}\n{}\n", &done[..12], &up[..12]));
    assert!(all_q.lines().all(is_short_id));
    assert_eq!(
        s.ok(&["ps", "-aq", "--no-trunc"]),
        format!("{done}\n{up}\n")
    );
}

#[test]
fn ps_latest_and_last_n() {
    let s = Env::new();
    let img = s.busybox();
    let mut ids = Vec::new();
    for name in ["c1", "c2", "c3", "c4"] {
        ids.push(run_d(&s, &["--name", name, img, "true"]));
    }
    // Include a running one: -l and -n take every state.
    ids.push(run_d(&s, &["--name", "c5", img, "sh", "-c", FOREVER]));
    wait_down_for_good(&s, "c4", &ids[3]);
    assert_eq!(s.ok(&["ps", "-l", "-q"]), format!("{}\n", &ids[4][..12]));
    assert_eq!(ps_names(&s, &["-l"]), ["c5"]);
    assert_eq!(ps_names(&s, &["-n", "3"]), ["c5", "c4", "c3"]);
    assert_eq!(ps_names(&s, &["--last", "2"]), ["c5", "c4"]);
    assert_eq!(ps_names(&s, &["-a"]), ["c5", "c4", "c3", "c2", "c1"]);
    s.ok(&["stop", "-t", "0", "c5"]);
    assert_eq!(ps_names(&s, &["-l"]), ["c5"], "-l includes exited ones");
}

#[test]
fn ps_no_trunc_size_and_format() {
    let s = Env::new();
    let img = s.busybox();
    let script =
        "echo a long command line that docker would truncate; while true; do sleep 0.2; done";
    let id = run_d(&s, &["--name", "web", img, "sh", "-c", script]);
    s.ok(&["exec", "web", "sh", "-c", "head -c 10000 /dev/zero > /big"]);

    let out = s.ok(&["ps", "--no-trunc"]);
    let line = out.lines().nth(1).expect(&out);
    assert!(line.starts_with(&id), "full id: {out}");
    assert!(
        line.contains(&format!("\"sh -c {script}\"")),
        "full command: {out}"
    );
    let out = s.ok(&["ps"]);
    assert!(
        out.contains("\"sh -c echo a long c…\""),
        "truncated command as docker does: {out}"
    );

    let out = s.ok(&["ps", "-s"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(cells(lines[0]).last().unwrap(), "SIZE", "{out}");
    let size = cells(lines[1]).last().unwrap().clone();
    assert!(
        size.starts_with("10kB (virtual ") && size.ends_with(')'),
        "SIZE shows the 10000 bytes written and the image: {out}"
    );

    let out = s.ok(&["ps", "--format", "table {{.ID}}\t{{.Names}}\t{{.Status}}"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(
        cells(lines[0]),
        ["CONTAINER ID", "NAMES", "STATUS"],
        "{out}"
    );
    let row = cells(lines[1]);
    assert_eq!(row[0], &id[..12], "{out}");
    assert_eq!(row[1], "web", "{out}");
    assert!(row[2].starts_with("Up "), "{out}");

    // A plain template: no header.
    assert_eq!(
        s.ok(&["ps", "--format", "{{.Names}} {{.State}}"]),
        "web running\n"
    );
    let out = s.ok(&["ps", "--format", "json"]);
    let v: Value = serde_json::from_str(out.trim()).expect(&out);
    assert_eq!(v["Names"], "web", "{out}");
}

#[test]
fn ps_filters() {
    let s = Env::new();
    let img = s.busybox();
    load_image(&s, "other:test", json!({"Labels": {"from": "other"}}));
    let web = run_d(
        &s,
        &[
            "--name",
            "web",
            "--label",
            "k=v",
            "--label",
            "tier=front",
            img,
            "sh",
            "-c",
            FOREVER,
        ],
    );
    let web2 = run_d(&s, &["--name", "web2", "--label", "k=w", img, "true"]);
    let db = run_d(&s, &["--name", "db", "other:test", "sh", "-c", FOREVER]);
    let gone = run_d(&s, &["--name", "gone", "other:test", "sh", "-c", "exit 3"]);
    wait_down_for_good(&s, "web2", &web2);
    wait_down_for_good(&s, "gone", &gone);

    assert_eq!(ps_names(&s, &["-f", "status=exited"]), ["gone", "web2"]);
    assert_eq!(ps_names(&s, &["-a", "-f", "status=running"]), ["db", "web"]);
    assert_eq!(ps_names(&s, &["-a", "-f", "name=web"]), ["web2", "web"]);
    assert_eq!(ps_names(&s, &["-f", "name=web"]), ["web"]);
    assert_eq!(
        ps_names(&s, &["-f", "status=exited", "-f", "name=web"]),
        ["web2"]
    );
    assert_eq!(
        ps_names(&s, &["-a", "-f", "ancestor=other:test"]),
        ["gone", "db"]
    );
    assert_eq!(
        ps_names(&s, &["-a", "-f", &format!("ancestor={img}")]),
        ["web2", "web"]
    );
    assert_eq!(ps_names(&s, &["-a", "-f", "label=k=v"]), ["web"]);
    assert_eq!(ps_names(&s, &["-a", "-f", "label=k"]), ["web2", "web"]);
    assert_eq!(
        ps_names(&s, &["-a", "-f", "label=k=v", "-f", "label=tier=front"]),
        ["web"]
    );

    assert_eq!(ps_names(&s, &["-a", "-f", "exited=3"]), ["gone"]);
    assert_eq!(
        ps_names(&s, &["-a", "-f", &format!("id={}", &db[..8])]),
        ["db"]
    );
    assert_eq!(
        s.ok(&["ps", "-q", "-f", "label=k=v"]),
        format!("{}\n", &web[..12])
    );
    let out = s.run(&["ps", "-f", "status=sleeping"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("status=sleeping"), "{out}");
}

#[test]
fn ps_label_filter_sees_the_images_labels() {
    // docker merges the image's labels into the container's (Config.Labels), so
    // `-f label=` matches them.
    let s = Env::new();
    s.busybox();
    load_image(&s, "other:test", json!({"Labels": {"from": "other"}}));
    run_d(
        &s,
        &["--name", "db", "--label", "k=v", "other:test", "true"],
    );
    assert_eq!(ps_names(&s, &["-a", "-f", "label=from=other"]), ["db"]);
    assert_eq!(
        inspect_f(&s, "{{.Config.Labels.from}} {{.Config.Labels.k}}", "db"),
        "other v"
    );
}

#[test]
fn status_and_created_read_like_docker() {
    let s = Env::new();
    let img = s.busybox();
    run_d(&s, &["--name", "up", img, "sh", "-c", FOREVER]);
    let three = run_d(&s, &["--name", "three", img, "sh", "-c", "exit 3"]);
    wait_down_for_good(&s, "three", &three);

    let up = ps_status(&s, "up").unwrap();
    assert!(
        up == "Up Less than a second" || (up.starts_with("Up ") && up.contains("second")),
        "{up}"
    );
    let three = ps_status(&s, "three").unwrap();
    assert!(
        three.starts_with("Exited (3) ") && three.ends_with(" ago"),
        "{three}"
    );
    let created = s.ok(&["ps", "-a", "--format", "{{.RunningFor}}"]);
    for c in created.lines() {
        assert!(
            c == "Less than a second ago"
                || c.ends_with(" seconds ago")
                || c == "1 second ago"
                || c.ends_with("minute ago")
                || c.ends_with(" minutes ago"),
            "CREATED reads like docker's: {created}"
        );
    }
    s.ok(&["pause", "up"]);
    let paused = ps_status(&s, "up").unwrap();
    assert!(
        paused.starts_with("Up ") && paused.ends_with(" (Paused)"),
        "{paused}"
    );
    s.ok(&["unpause", "up"]);
}

#[test]
fn a_container_whose_start_failed_reads_created() {
    let s = Env::new();
    let img = s.busybox();
    s.fails(
        &["run", "-d", "--name", "never", img, "no-such-command"],
        127,
    );
    // docker: a container whose process could not be started stays "Created" (the
    // error and code 127 are in its State).
    assert_eq!(ps_status(&s, "never").as_deref(), Some("Created"));
    assert_eq!(status(&s, "never"), "created");
    assert_eq!(inspect_f(&s, "{{.State.ExitCode}}", "never"), "127");
    assert!(inspect_f(&s, "{{.State.Error}}", "never").contains("no-such-command"));
}

#[test]
fn logs_of_a_container_that_never_ran_is_a_clear_error() {
    // No `create` command yet: a container whose start failed never ran either.
    let s = Env::new();
    let img = s.busybox();
    s.fails(
        &["run", "-d", "--name", "ghost", img, "no-such-command"],
        127,
    );
    let before = s.store_listing();
    let out = logs(&s, &[], "ghost");
    assert_ne!(out.code, 0, "{out}");
    assert!(
        (out.stderr.contains("never") || out.stderr.contains("not been started"))
            && !out.stderr.contains("--rm"),
        "says the container never ran (it was not run with --rm): {out}"
    );
    assert_eq!(s.store_listing(), before, "nothing changed");
}

// ---------------------------------------------------------------------------------------------
// logs

#[test]
fn logs_keep_stdout_and_stderr_apart_in_a_json_file() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            "echo out1; echo err1 >&2; echo out2; echo err2 >&2",
        ],
    );
    wait_down_for_good(&s, "web", &id);
    let out = logs(&s, &[], "web");
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "out1\nout2\n", "{out}");
    assert_eq!(
        out.stderr, "err1\nerr2\n",
        "stderr lines go to stderr: {out}"
    );

    // docker's json-file format: one JSON object per line with log, stream and time.
    let path = inspect_f(&s, "{{.LogPath}}", "web");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("LogPath {path}: {e}"));
    let entries: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    // Per stream in order (across the two streams the order is not kept: two pipes, as in
    // docker).
    let stream = |name: &str| -> Vec<&str> {
        entries
            .iter()
            .filter(|e| e["stream"] == name)
            .map(|e| e["log"].as_str().unwrap())
            .collect()
    };
    assert_eq!(stream("stdout"), ["out1\n", "out2\n"], "{text}");
    assert_eq!(stream("stderr"), ["err1\n", "err2\n"], "{text}");
    assert_eq!(entries.len(), 4, "{text}");
    for e in &entries {
        let t = e["time"].as_str().unwrap();
        assert!(
            t.starts_with("20") && t.ends_with('Z') && t.contains('.'),
            "{t}"
        );
    }
}

#[test]
fn logs_tail_timestamps_since_and_until() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            "i=1; while [ $i -le 40 ]; do echo line$i; i=$((i+1)); done",
        ],
    );
    wait_down_for_good(&s, "web", &id);
    assert_eq!(
        logs(&s, &["--tail", "3"], "web").stdout,
        "line38\nline39\nline40\n"
    );
    assert_eq!(logs(&s, &["-n", "1"], "web").stdout, "line40\n");
    assert_eq!(
        logs(&s, &["--tail", "all"], "web").stdout.lines().count(),
        40
    );
    assert_eq!(logs(&s, &["--tail", "0"], "web").stdout, "");

    let out = logs(&s, &["--timestamps"], "web");
    assert_eq!(out.code, 0, "{out}");
    let mut times = Vec::new();
    for (i, line) in out.stdout.lines().enumerate() {
        let (t, text) = line.split_once(' ').expect(line);
        assert_eq!(text, format!("line{}", i + 1));
        assert!(
            t.starts_with("20") && t.ends_with('Z') && t.len() >= 20,
            "RFC 3339 time stamp: {t:?} in\n{}",
            out.stdout
        );
        times.push(t.to_string());
    }
    assert_eq!(times.len(), 40);
    let t_tail = logs(&s, &["-t", "--tail", "2"], "web").stdout;
    assert_eq!(t_tail.lines().count(), 2, "{t_tail}");
    assert!(t_tail.ends_with(" line40\n"), "{t_tail}");

    // --since and --until take the time stamps the log shows (both ends included, as docker).
    let since = logs(&s, &["--since", &times[37]], "web").stdout;
    assert_eq!(since, "line38\nline39\nline40\n");
    let until = logs(&s, &["--until", &times[1]], "web").stdout;
    assert_eq!(until, "line1\nline2\n");
    // Relative times: everything is from the last minutes, nothing older than a minute.
    assert_eq!(
        logs(&s, &["--since", "10m"], "web").stdout.lines().count(),
        40
    );
    assert_eq!(
        logs(&s, &["--since", "10m", "--until", "1m"], "web").stdout,
        ""
    );
    let bad = logs(&s, &["--since", "yesterday-ish"], "web");
    assert_ne!(bad.code, 0, "{bad}");
}

#[test]
fn logs_timestamps_are_padded_to_nanoseconds() {
    // docker logs -t: "an RFC3339Nano timestamp, for example 2014-09-16T06:17:46.000000000Z
    // [...] the nano-second part of the timestamp will be padded with zero when necessary".
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            // One line at a time, so that each gets a time stamp of its own.
            "i=1; while [ $i -le 100 ]; do echo line$i; usleep 10000; i=$((i+1)); done",
        ],
    );
    wait_down_for_good(&s, "web", &id);
    let out = logs(&s, &["--timestamps"], "web");
    assert_eq!(out.stdout.lines().count(), 100, "{out}");
    let bad: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split_once(' ').unwrap().0)
        .filter(|t| !is_rfc3339_nano_fixed(t))
        .collect();
    assert!(
        bad.is_empty(),
        "time stamps not padded to 9 digits: {bad:?}"
    );
}

#[test]
fn logs_follow_ends_when_the_container_exits() {
    let s = Env::new();
    let img = s.busybox();
    run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            "echo one; echo two; while [ ! -e /tmp/go ]; do sleep 0.2; done; echo three; echo four >&2",
        ],
    );
    wait_for_log(&s, "web", "two\n");
    let mut follow = s.spawn(&["logs", "-f", "--tail", "1", "--timestamps", "web"], false);
    assert!(
        follow.wait_for_stdout("two\n", LIMIT),
        "{}",
        follow.stderr_so_far()
    );
    assert!(
        follow.running(),
        "logs -f keeps following a running container"
    );
    s.ok(&["exec", "web", "touch", "/tmp/go"]);
    let out = follow.wait(LIMIT);
    assert_eq!(out.code, 0, "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "the tail line, then what came: {out}");
    for (line, text) in lines.iter().zip(["two", "three"]) {
        let (t, rest) = line.split_once(' ').unwrap();
        assert!(t.starts_with("20") && t.ends_with('Z'), "{out}");
        assert_eq!(rest, text, "{out}");
    }
    assert!(out.stderr.ends_with(" four\n"), "stderr follows too: {out}");
}

#[test]
fn logs_are_rotated_by_max_size_and_max_file() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            "--log-opt",
            "max-size=1k",
            "--log-opt",
            "max-file=2",
            img,
            "sh",
            "-c",
            "i=0; while [ $i -lt 300 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; echo done",
        ],
    );
    wait_down_for_good(&s, "web", &id);
    let path = std::path::PathBuf::from(inspect_f(&s, "{{.LogPath}}", "web"));
    let dir = path.parent().unwrap();
    let base = path.file_name().unwrap().to_str().unwrap();
    let files: Vec<(String, u64)> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_str().unwrap().starts_with(base))
        .map(|e| {
            (
                e.file_name().to_str().unwrap().to_string(),
                e.metadata().unwrap().len(),
            )
        })
        .collect();
    assert!(files.len() <= 2, "at most max-file files: {files:?}");
    assert!(
        files.iter().all(|(_, len)| *len <= 2048),
        "each about max-size: {files:?}"
    );
    let out = logs(&s, &[], "web");
    assert!(out.stdout.ends_with("done\n"), "{out}");
    assert!(
        !out.stdout.contains("line-0-"),
        "the oldest lines rotated away: {out}"
    );
    let bad = s.run(&["run", "-d", "--log-opt", "max-size=lots", img, "true"]);
    assert_eq!(bad.code, 125, "{bad}");
}

// ---------------------------------------------------------------------------------------------
// stop, kill, start, restart, wait

#[test]
fn stop_sends_sigterm_and_records_the_exit_code() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            &trap_script("TERM", "echo got TERM; exit 3"),
        ],
    );
    wait_for_log(&s, "web", "ready\n");
    assert_eq!(s.ok(&["stop", "web"]), "web\n");
    // stop returns once the container is down.
    let st = inspect(&s, "web");
    assert_eq!(st["State"]["Status"], "exited", "{st:#}");
    assert_eq!(st["State"]["Running"], false, "{st:#}");
    assert_eq!(st["State"]["ExitCode"], 3, "{st:#}");
    assert_eq!(st["State"]["Pid"], 0, "{st:#}");
    assert!(logs(&s, &[], "web").stdout.contains("got TERM\n"));
    eventually("supervisor gone", || supervisors(&id), Vec::is_empty);
    let exited = ps_status(&s, "web").unwrap();
    assert!(exited.starts_with("Exited (3) "), "{exited}");
}

#[test]
fn stop_of_a_stopped_container_is_no_error() {
    // docker: `stop` of a container that is not running prints its name and exits 0.
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(&s, &["--name", "web", img, "true"]);
    wait_down_for_good(&s, "web", &id);
    let out = s.run(&["stop", "web"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "web\n"), "{out}");
    assert_eq!(status(&s, "web"), "exited");
}

#[test]
fn stop_t_kills_a_container_that_ignores_sigterm() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "stubborn",
            img,
            "sh",
            "-c",
            &trap_script("TERM", ""),
        ],
    );
    wait_for_log(&s, "stubborn", "ready\n");
    let pid = pid_of(&s, "stubborn");
    s.ok(&["stop", "-t", "1", "stubborn"]);
    assert_eq!(status(&s, "stubborn"), "exited");
    assert_eq!(inspect_f(&s, "{{.State.ExitCode}}", "stubborn"), "137");
    assert!(!alive(pid), "the container's process is gone");
    eventually("supervisor gone", || supervisors(&id), Vec::is_empty);
    // --time and --timeout are the long forms.
    s.ok(&["start", "stubborn"]);
    wait_for_log(&s, "stubborn", "ready\nready\n");
    s.ok(&["stop", "--time", "0", "stubborn"]);
    assert_eq!(inspect_f(&s, "{{.State.ExitCode}}", "stubborn"), "137");
}

#[test]
fn stop_sends_the_images_stopsignal() {
    let s = Env::new();
    s.busybox();
    load_image(&s, "usr1:test", json!({"StopSignal": "SIGUSR1"}));
    run_d(
        &s,
        &[
            "--name",
            "web",
            "usr1:test",
            "sh",
            "-c",
            &trap_script("USR1", "echo got USR1; exit 4"),
        ],
    );
    wait_for_log(&s, "web", "ready\n");
    s.ok(&["stop", "-t", "30", "web"]);
    assert_eq!(
        inspect_f(&s, "{{.State.ExitCode}}", "web"),
        "4",
        "the image's STOPSIGNAL (SIGUSR1) reached the trap"
    );
    // docker: the container's Config carries the image's stop signal.
    assert_eq!(inspect_f(&s, "{{.Config.StopSignal}}", "web"), "SIGUSR1");
}

#[test]
fn kill_sends_a_signal_to_pid_1() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            &trap_script("HUP", "echo got HUP"),
        ],
    );
    wait_for_log(&s, "web", "ready\n");
    assert_eq!(s.ok(&["kill", "-s", "HUP", "web"]), "web\n");
    wait_for_log(&s, "web", "got HUP\n");
    assert_eq!(
        status(&s, "web"),
        "running",
        "a trapped HUP does not end it"
    );
    s.ok(&["kill", "--signal", "SIGHUP", "web"]);
    wait_for_log(&s, "web", "got HUP\ngot HUP\n");
    s.ok(&["kill", "-s", "1", "web"]);
    wait_for_log(&s, "web", "got HUP\ngot HUP\ngot HUP\n");
    // Default: SIGKILL.
    assert_eq!(s.ok(&["kill", "web"]), "web\n");
    wait_down_for_good(&s, "web", &id);
    assert_eq!(inspect_f(&s, "{{.State.ExitCode}}", "web"), "137");
    let out = s.run(&["kill", "web"]);
    assert_ne!(
        out.code, 0,
        "kill of a stopped container is an error: {out}"
    );
    let out = s.run(&["kill", "-s", "NOSUCHSIG", "web"]);
    assert_ne!(out.code, 0, "{out}");
}

#[test]
fn start_runs_a_stopped_container_again() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(&s, &["--name", "web", img, "sh", "-c", "echo ran"]);
    wait_down_for_good(&s, "web", &id);
    let first_start = inspect_f(&s, "{{.State.StartedAt}}", "web");
    assert_eq!(logs(&s, &[], "web").stdout, "ran\n");
    assert_eq!(s.ok(&["start", "web"]), "web\n");
    wait_down_for_good(&s, "web", &id);
    assert_eq!(logs(&s, &[], "web").stdout, "ran\nran\n", "the log grows");
    assert_ne!(inspect_f(&s, "{{.State.StartedAt}}", "web"), first_start);
    assert_eq!(s.container_ids(), vec![id], "the same container");
}

#[test]
fn start_a_prints_the_output_and_returns_the_exit_code() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            "echo out; echo err >&2; exit 5",
        ],
    );
    wait_down_for_good(&s, "web", &id);
    let out = s.run(&["start", "-a", "web"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (5, "out\n", "err\n"),
        "{out}"
    );
    assert_eq!(inspect_f(&s, "{{.State.ExitCode}}", "web"), "5");
    assert_eq!(logs(&s, &[], "web").stdout, "out\nout\n");
    assert!(supervisors(&id).is_empty());
}

#[test]
fn start_a_i_feeds_stdin() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "-i",
            "--name",
            "web",
            img,
            "sh",
            "-c",
            "read line; echo got:$line; exit 6",
        ],
    );
    // docker keeps the stdin of a `run -d -i` container open with nobody writing: the read
    // may block; end this first run either way.
    let _ = s.run(&["kill", "web"]);
    wait_down_for_good(&s, "web", &id);
    let out = s.run_stdin(&["start", "-a", "-i", "web"], b"hello\n");
    assert_eq!((out.code, out.stdout.as_str()), (6, "got:hello\n"), "{out}");
    let out = s.run_stdin(&["start", "--attach", "--interactive", "web"], b"again\n");
    assert_eq!((out.code, out.stdout.as_str()), (6, "got:again\n"), "{out}");
}

#[test]
fn start_all_filter_restart_policy_brings_containers_back() {
    let s = Env::new();
    let img = s.busybox();
    let always = run_d(
        &s,
        &[
            "--name",
            "keep",
            "--restart",
            "always",
            img,
            "sh",
            "-c",
            FOREVER,
        ],
    );
    let plain = run_d(&s, &["--name", "plain", img, "sh", "-c", FOREVER]);
    s.ok(&["stop", "-t", "0", "keep", "plain"]);
    wait_down_for_good(&s, "keep", &always);
    wait_down_for_good(&s, "plain", &plain);
    s.ok(&["start", "--all", "--filter", "restart-policy=always"]);
    assert_eq!(status(&s, "keep"), "running");
    assert_eq!(status(&s, "plain"), "exited");
    assert_eq!(supervisors(&always).len(), 1);
}

#[test]
fn restart_stops_and_starts_the_container() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            &trap_script("TERM", "exit 0"),
        ],
    );
    wait_for_log(&s, "web", "ready\n");
    let pid = pid_of(&s, "web");
    let started = inspect_f(&s, "{{.State.StartedAt}}", "web");
    assert_eq!(s.ok(&["restart", "web"]), "web\n");
    assert_eq!(status(&s, "web"), "running");
    let new_pid = pid_of(&s, "web");
    assert_ne!(new_pid, pid);
    assert!(alive(new_pid) && !alive(pid));
    assert_ne!(inspect_f(&s, "{{.State.StartedAt}}", "web"), started);
    wait_for_log(&s, "web", "ready\nready\n");
    assert_eq!(supervisors(&id).len(), 1);
    // restart of a stopped container starts it.
    s.ok(&["stop", "web"]);
    s.ok(&["restart", "-t", "1", "web"]);
    assert_eq!(status(&s, "web"), "running");
}

#[test]
fn wait_prints_the_exit_code() {
    let s = Env::new();
    let img = s.busybox();
    run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            "while [ ! -e /tmp/go ]; do sleep 0.2; done; exit 3",
        ],
    );
    run_d(&s, &["--name", "zero", img, "true"]);
    let mut waiter = s.spawn(&["wait", "web"], false);
    std::thread::sleep(Duration::from_millis(300));
    assert!(waiter.running(), "wait blocks while the container runs");
    s.ok(&["exec", "web", "touch", "/tmp/go"]);
    let out = waiter.wait(LIMIT);
    assert_eq!((out.code, out.stdout.as_str()), (0, "3\n"), "{out}");
    // On a stopped container it returns at once; several names, one line each.
    assert_eq!(s.ok(&["wait", "web", "zero"]), "3\n0\n");
}

// ---------------------------------------------------------------------------------------------
// exec

#[test]
fn exec_runs_commands_in_the_container() {
    let s = Env::new();
    let img = s.busybox();
    run_d(
        &s,
        &[
            "--name",
            "web",
            "-e",
            "FROM_RUN=yes",
            img,
            "sh",
            "-c",
            FOREVER,
        ],
    );
    assert_eq!(s.ok(&["exec", "web", "echo", "hi"]), "hi\n");
    assert_eq!(
        s.ok(&[
            "exec",
            "-e",
            "X=1",
            "-w",
            "/tmp",
            "-u",
            "nobody",
            "web",
            "sh",
            "-c",
            "echo $X $(pwd) $(id -u) $FROM_RUN"
        ]),
        "1 /tmp 65534 yes\n"
    );
    // It joins the container: same hostname, same pid namespace (pid 1 is the container's).
    let hostname = s.ok(&["exec", "web", "hostname"]);
    assert_eq!(hostname.trim(), &inspect_f(&s, "{{.Id}}", "web")[..12]);
    assert_eq!(
        s.ok(&["exec", "web", "cat", "/proc/1/cmdline"]),
        format!("sh\0-c\0{FOREVER}\0")
    );
    // stdin with -i.
    let out = s.run_stdin(&["exec", "-i", "web", "cat"], b"piped\n");
    assert_eq!((out.code, out.stdout.as_str()), (0, "piped\n"), "{out}");
    // Exit codes: the command's, 126 cannot execute, 127 not found.
    s.fails(&["exec", "web", "sh", "-c", "exit 7"], 7);
    let out = s.fails(&["exec", "web", "no-such-command"], 127);
    assert!(out.stderr.contains("no-such-command"), "{out}");
    s.fails(&["exec", "web", "/etc"], 126);
    let out = s.run(&["exec", "web", "sh", "-c", "echo to-stderr >&2"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (0, "", "to-stderr\n"),
        "{out}"
    );
}

#[test]
fn exec_d_leaves_a_process_running() {
    let s = Env::new();
    let img = s.busybox();
    run_d(&s, &["--name", "web", img, "sh", "-c", FOREVER]);
    let out = s.run(&[
        "exec",
        "-d",
        "-e",
        "X=1",
        "-w",
        "/tmp",
        "-u",
        "nobody",
        "web",
        "sh",
        "-c",
        "echo $X $(pwd) $(id -u) > /tmp/bg-env; exec sleep 777",
    ]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{out}");
    let top = eventually(
        "top shows the detached exec's sleep 777",
        || s.ok(&["top", "web"]),
        |t| t.contains("sleep 777"),
    );
    let root_user = cells(top.lines().nth(1).unwrap())[0].clone();
    let row = top.lines().find(|l| l.contains("sleep 777")).unwrap();
    assert_ne!(
        cells(row)[0],
        root_user,
        "runs as another user than pid 1: {top}"
    );
    let ps = s.ok(&["exec", "web", "ps"]);
    assert!(
        ps.lines()
            .any(|l| l.contains("sleep 777") && l.contains("nobody")),
        "exec ps shows the detached process, as nobody: {ps}"
    );
    assert_eq!(
        s.ok(&["exec", "web", "cat", "/tmp/bg-env"]),
        "1 /tmp 65534\n"
    );
}

#[test]
fn exec_it_gives_a_terminal() {
    let s = Env::new();
    let img = s.busybox();
    run_d(&s, &["--name", "web", img, "sh", "-c", FOREVER]);
    let Some(mut term) = s.spawn_in_pty(&["exec", "-it", "web", "sh"], 24, 80) else {
        eprintln!("skipped: util-linux script is not installed");
        return;
    };
    // Type once the shell prompts, as a user would.
    assert!(
        term.wait_for_stdout("# ", LIMIT),
        "a prompt: {}\n{}",
        term.stdout_so_far(),
        term.stderr_so_far()
    );
    term.write(b"tty; echo cols=$(stty size); exit 3\n");
    assert!(
        term.wait_for_stdout("cols=24 80", LIMIT),
        "{}\n{}",
        term.stdout_so_far(),
        term.stderr_so_far()
    );
    let out = term.wait(LIMIT);
    assert_eq!(out.code, 3, "{out}");
    assert!(out.stdout.contains("/dev/pts/"), "a terminal: {out}");
    assert_eq!(status(&s, "web"), "running", "the container runs on");
}

#[test]
fn exec_it_works_every_time_even_with_input_typed_ahead() {
    // Twenty `exec -it` in a row, each fed at once: what is typed before the shell in the
    // container is up (a quick typist, a script feeding a terminal) waits in the terminal
    // for it, as with docker; and no start may fail (a race in starting the process would
    // show here).
    let s = Env::new();
    let img = s.busybox();
    run_d(&s, &["--name", "web", img, "sh", "-c", FOREVER]);
    for round in 0..20 {
        let Some(mut term) = s.spawn_in_pty(&["exec", "-it", "web", "sh"], 24, 80) else {
            eprintln!("skipped: util-linux script is not installed");
            return;
        };
        term.write(b"echo typed-$((6*7)); exit 3\n");
        let out = term.wait(LIMIT);
        assert!(
            out.code == 3 && out.stdout.contains("typed-42"),
            "round {round}: {out}"
        );
    }
}

#[test]
fn exec_into_a_stopped_container_is_an_error() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(&s, &["--name", "web", img, "true"]);
    wait_down_for_good(&s, "web", &id);
    for exec in [&["exec"][..], &["exec", "-it"]] {
        let out = s.run(&[exec, &["web", "echo", "hi"]].concat());
        assert_eq!(out.code, 1, "{exec:?} into a stopped container: {out}");
        assert_eq!(out.stdout, "", "{out}");
        assert!(out.stderr.contains("not running"), "{out}");
    }
    assert_eq!(status(&s, "web"), "exited", "nothing changed");
}

// ---------------------------------------------------------------------------------------------
// pause, top, rename, stats

#[test]
fn pause_stops_every_process_and_unpause_resumes_them() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            "sleep 1000 & while true; do echo tick; sleep 0.2; done",
        ],
    );
    let pid = pid_of(&s, "web");
    eventually(
        "the container has its processes",
        || container_processes(pid).len(),
        |n| *n >= 3,
    );
    assert_eq!(s.ok(&["pause", "web"]), "web\n");
    let st = inspect(&s, "web");
    assert_eq!(st["State"]["Status"], "paused", "{st:#}");
    assert_eq!(st["State"]["Paused"], true, "{st:#}");
    assert_eq!(st["State"]["Running"], true, "{st:#}");
    assert!(ps_status(&s, "web").unwrap().ends_with("(Paused)"));
    assert_eq!(ps_names(&s, &["-f", "status=paused"]), ["web"]);
    // Every process of the container is stopped (SIGSTOP fallback: state T; a cgroup freezer
    // would show them frozen).
    let frozen = |p: i32| {
        proc_state(p) == Some('T')
            || fs::read_to_string(format!("/proc/{p}/cgroup"))
                .ok()
                .and_then(|c| {
                    c.lines()
                        .next()
                        .map(|l| l.rsplit(':').next().unwrap().to_string())
                })
                .and_then(|cg| fs::read_to_string(format!("/sys/fs/cgroup{cg}/cgroup.events")).ok())
                .is_some_and(|ev| ev.contains("frozen 1"))
    };
    let states = eventually(
        "every process of the paused container is stopped",
        || {
            container_processes(pid)
                .into_iter()
                .map(|p| (p, proc_state(p), frozen(p)))
                .collect::<Vec<_>>()
        },
        |v| !v.is_empty() && v.iter().all(|(_, _, f)| *f),
    );
    assert!(states.len() >= 3, "{states:?}");
    let out = s.run(&["pause", "web"]);
    assert_ne!(out.code, 0, "pausing a paused container is an error: {out}");

    assert_eq!(s.ok(&["unpause", "web"]), "web\n");
    assert_eq!(status(&s, "web"), "running");
    assert!(!ps_status(&s, "web").unwrap().contains("Paused"));
    eventually(
        "no process of the container is stopped after unpause",
        || {
            container_processes(pid)
                .into_iter()
                .map(|p| (p, proc_state(p)))
                .collect::<Vec<_>>()
        },
        |v| !v.is_empty() && v.iter().all(|(_, st)| *st != Some('T')),
    );
    let ticks = logs(&s, &[], "web").stdout.lines().count();
    eventually(
        "the container runs again (its log grows)",
        || logs(&s, &[], "web").stdout.lines().count(),
        |n| *n > ticks,
    );
    let out = s.run(&["unpause", "web"]);
    assert_ne!(
        out.code, 0,
        "unpausing a running container is an error: {out}"
    );

    // A paused container can still be stopped and removed.
    s.ok(&["pause", "web"]);
    s.ok(&["stop", "-t", "1", "web"]);
    assert_eq!(status(&s, "web"), "exited");
    eventually("supervisor gone", || supervisors(&id), Vec::is_empty);
    assert!(container_processes(pid).is_empty());
    s.ok(&["start", "web"]);
    s.ok(&["pause", "web"]);
    let pid = pid_of(&s, "web");
    s.ok(&["rm", "-f", "web"]);
    assert!(s.container_ids().is_empty());
    eventually("supervisor gone", || supervisors(&id), Vec::is_empty);
    assert!(!alive(pid));
}

#[test]
fn top_lists_the_containers_processes() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            "sleep 999 & while true; do sleep 0.2; done",
        ],
    );
    let pid = pid_of(&s, "web");
    let top = eventually(
        "top shows sleep 999",
        || s.ok(&["top", "web"]),
        |t| t.contains("sleep 999"),
    );
    let lines: Vec<&str> = top.lines().collect();
    assert_eq!(
        cells(lines[0]),
        ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
        "{top}"
    );
    let pids: Vec<String> = lines[1..].iter().map(|l| cells(l)[1].clone()).collect();
    assert!(
        pids.contains(&pid.to_string()),
        "pid 1 (host pid {pid}) listed: {top}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.ends_with("sh -c sleep 999 & while true; do sleep 0.2; done")),
        "{top}"
    );
    // Nothing but the container's processes.
    for p in &pids {
        let p: i32 = p.parse().unwrap();
        assert!(
            !supervisors(&id).contains(&p),
            "the supervisor is not a process of the container: {top}"
        );
    }
    s.ok(&["stop", "-t", "0", "web"]);
    let out = s.run(&["top", "web"]);
    assert_ne!(out.code, 0, "top of a stopped container: {out}");
    assert!(out.stderr.contains("not running"), "{out}");
}

#[test]
fn rename_moves_the_name() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(&s, &["--name", "web", img, "sh", "-c", FOREVER]);
    let out = s.run(&["rename", "web", "web2"]);
    assert_eq!(out.code, 0, "{out}");
    let gone = s.fails(&["inspect", "--type", "container", "web"], 1);
    assert!(gone.stderr.contains("No such container: web"), "{gone}");
    assert_eq!(inspect_f(&s, "{{.Name}}", "web2"), "/web2");
    assert_eq!(inspect_f(&s, "{{.Id}}", "web2"), id);
    assert_eq!(s.ok(&["exec", "web2", "echo", "hi"]), "hi\n");
    assert_eq!(ps_names(&s, &[]), ["web2"]);
    // The old name is free again, the new one taken.
    run_d(&s, &["--name", "web", img, "true"]);
    let out = s.run(&["rename", "web", "web2"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(
        out.stderr.contains("web2") && out.stderr.contains(&id),
        "{out}"
    );
    let out = s.run(&["rename", "web2", "bad/name"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("bad/name"), "{out}");
    assert_eq!(
        inspect_f(&s, "{{.Name}}", "web2"),
        "/web2",
        "nothing changed"
    );
}

#[test]
fn stats_no_stream_lists_the_running_containers() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(&s, &["--name", "web", img, "sh", "-c", FOREVER]);
    let done = run_d(&s, &["--name", "done", img, "true"]);
    wait_down_for_good(&s, "done", &done);
    let out = s.run(&["stats", "--no-stream"]);
    assert_eq!(out.code, 0, "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        2,
        "header and the one running container: {out}"
    );
    assert_eq!(
        cells(lines[0]),
        [
            "CONTAINER ID",
            "NAME",
            "CPU %",
            "MEM USAGE / LIMIT",
            "MEM %",
            "NET I/O",
            "BLOCK I/O",
            "PIDS"
        ],
        "{out}"
    );
    let row = cells(lines[1]);
    assert_eq!(row[0], &id[..12], "{out}");
    assert_eq!(row[1], "web", "{out}");
    assert!(row[2].ends_with('%'), "{out}");
    let pids: u32 = row.last().unwrap().parse().expect(&out.stdout);
    assert!(pids >= 1, "{out}");
    assert!(
        !out.stdout.contains("\x1b"),
        "no screen control with --no-stream: {out:?}"
    );
    let named = s.ok(&[
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}} {{.ID}}",
        "web",
    ]);
    assert_eq!(named, format!("web {}\n", &id[..12]));
}

// ---------------------------------------------------------------------------------------------
// inspect

#[test]
fn inspect_is_docker_shaped() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            "-e",
            "FOO=bar",
            "--restart",
            "on-failure:5",
            "--label",
            "k=v",
            img,
            "sh",
            "-c",
            &trap_script("TERM", "exit 0"),
        ],
    );
    wait_for_log(&s, "web", "ready\n");
    let c = inspect(&s, "web");
    assert_eq!(c["Id"], id.as_str());
    assert_eq!(c["Name"], "/web");
    assert_eq!(c["Path"], "sh");
    assert_eq!(c["Args"], json!(["-c", trap_script("TERM", "exit 0")]));
    assert!(c["Image"].as_str().unwrap().starts_with("sha256:"), "{c:#}");
    assert!(c["Created"].as_str().unwrap().ends_with('Z'), "{c:#}");
    assert_eq!(c["RestartCount"], 0);
    let st = &c["State"];
    assert_eq!(st["Status"], "running", "{c:#}");
    assert_eq!(st["Running"], true);
    assert_eq!(st["Paused"], false);
    assert_eq!(st["Restarting"], false);
    assert_eq!(st["OOMKilled"], false);
    assert_eq!(st["Dead"], false);
    assert_eq!(st["ExitCode"], 0);
    assert_eq!(st["Error"], "");
    let pid = st["Pid"].as_i64().unwrap() as i32;
    assert!(alive(pid), "{c:#}");
    let started = st["StartedAt"].as_str().unwrap().to_string();
    assert!(started.starts_with("20") && started.ends_with('Z'), "{c:#}");
    assert_eq!(
        st["FinishedAt"], "0001-01-01T00:00:00Z",
        "not finished yet: {c:#}"
    );
    let env: Vec<&str> = c["Config"]["Env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(env.contains(&"FOO=bar"), "{env:?}");
    assert!(env.iter().any(|e| e.starts_with("PATH=")), "{env:?}");
    assert_eq!(c["Config"]["Labels"]["k"], "v", "{c:#}");
    assert_eq!(c["Config"]["Image"], img);
    assert_eq!(
        c["HostConfig"]["RestartPolicy"],
        json!({"Name": "on-failure", "MaximumRetryCount": 5})
    );
    assert!(c["Mounts"].is_array(), "{c:#}");
    assert!(c["NetworkSettings"].is_object(), "{c:#}");

    assert_eq!(
        inspect_f(
            &s,
            "{{.State.Status}} {{.State.ExitCode}} {{json .State.Health}}",
            "web"
        ),
        "running 0 null"
    );
    s.ok(&["stop", "web"]);
    let c = inspect(&s, "web");
    let st = &c["State"];
    assert_eq!(st["Status"], "exited", "{c:#}");
    assert_eq!(st["Running"], false);
    assert_eq!(st["Pid"], 0);
    assert_eq!(st["StartedAt"], started.as_str());
    let finished = st["FinishedAt"].as_str().unwrap();
    assert!(
        finished.starts_with("20") && finished[..19] >= started[..19],
        "FinishedAt {finished} after StartedAt {started}"
    );
    // Several at once, templates with docker's functions.
    run_d(&s, &["--name", "other", img, "true"]);
    let out = s.ok(&["inspect", "-f", "{{.Name}}", "web", "other"]);
    assert_eq!(out, "/web\n/other\n");
    assert_eq!(
        inspect_f(
            &s,
            "{{index .Config.Labels \"k\"}} {{upper .State.Status}} {{len .Args}}",
            "web"
        ),
        "v EXITED 2"
    );
    assert_eq!(
        inspect_f(
            &s,
            "{{range .Config.Env}}{{if eq . \"FOO=bar\"}}found{{end}}{{end}}",
            "web"
        ),
        "found"
    );
    // container inspect and the image inspect of the image it runs.
    let out = s.ok(&["container", "inspect", "-f", "{{.Id}}", "web"]);
    assert_eq!(out.trim(), id);
    let out = s.ok(&["inspect", "-f", "{{.Id}}", img]);
    assert_eq!(out.trim(), c["Image"].as_str().unwrap());
}

// ---------------------------------------------------------------------------------------------
// rm and prune

#[test]
fn rm_removes_stopped_containers_and_f_running_ones() {
    let s = Env::new();
    let img = s.busybox();
    let done = run_d(&s, &["--name", "done", img, "true"]);
    wait_down_for_good(&s, "done", &done);
    assert_eq!(s.ok(&["rm", "done"]), "done\n");
    assert!(s.container_ids().is_empty());
    s.fails(&["inspect", "--type", "container", "done"], 1);

    let id = run_d(&s, &["--name", "web", img, "sh", "-c", FOREVER]);
    let pid = pid_of(&s, "web");
    let out = s.fails(&["rm", "web"], 1);
    assert!(
        out.stderr.contains("web") && out.stderr.contains("running"),
        "{out}"
    );
    assert_eq!(status(&s, "web"), "running", "nothing changed");
    assert!(alive(pid));
    assert_eq!(s.ok(&["rm", "-f", "web"]), "web\n");
    assert!(s.container_ids().is_empty());
    assert!(!alive(pid), "the container's process is gone");
    eventually("supervisor gone", || supervisors(&id), Vec::is_empty);
    // The name is free again.
    run_d(&s, &["--name", "web", img, "true"]);
}

#[test]
fn rm_of_everything_ps_aq_lists() {
    let s = Env::new();
    let img = s.busybox();
    let mut stopped = Vec::new();
    for name in ["a1", "a2", "a3"] {
        stopped.push(run_d(&s, &["--name", name, img, "true"]));
    }
    let running = run_d(&s, &["--name", "busy", img, "sh", "-c", FOREVER]);
    for (id, name) in stopped.iter().zip(["a1", "a2", "a3"]) {
        wait_down_for_good(&s, name, id);
    }
    // rm $(skiff ps -aq): the stopped ones go, the running one stays, named in the error.
    let ids = s.ok(&["ps", "-aq"]);
    let mut args = vec!["rm"];
    args.extend(ids.lines());
    let out = s.run(&args);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("busy"), "{out}");
    assert_eq!(out.stdout.lines().count(), 3, "{out}");
    assert_eq!(s.container_ids(), vec![running.clone()]);
    let ids = s.ok(&["ps", "-aq"]);
    let mut args = vec!["rm", "-f"];
    args.extend(ids.lines());
    s.ok(&args);
    assert!(s.container_ids().is_empty());
    assert_eq!(s.ok(&["ps", "-aq"]), "");
}

#[test]
fn container_prune_removes_only_stopped_containers() {
    let s = Env::new();
    let img = s.busybox();
    let a = run_d(&s, &["--name", "a1", img, "true"]);
    let b = run_d(&s, &["--name", "a2", img, "sh", "-c", "exit 2"]);
    let up = run_d(&s, &["--name", "up", img, "sh", "-c", FOREVER]);
    wait_down_for_good(&s, "a1", &a);
    wait_down_for_good(&s, "a2", &b);
    let out = s.ok(&["container", "prune", "-f"]);
    assert!(out.starts_with("Deleted Containers:\n"), "{out}");
    assert!(
        out.contains(&format!("{a}\n")) && out.contains(&format!("{b}\n")),
        "{out}"
    );
    assert!(!out.contains(&up), "{out}");
    assert!(out.contains("Total reclaimed space:"), "{out}");
    assert_eq!(s.container_ids(), vec![up]);
    assert_eq!(status(&s, "up"), "running");
    let out = s.ok(&["container", "prune", "--force"]);
    assert_eq!(out, "Total reclaimed space: 0B\n");
}

// ---------------------------------------------------------------------------------------------
// restart policies

#[test]
fn on_failure_3_restarts_exactly_three_times() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "flaky",
            "--restart",
            "on-failure:3",
            img,
            "sh",
            "-c",
            "echo run; exit 3",
        ],
    );
    wait_down_for_good(&s, "flaky", &id);
    assert_eq!(restart_count(&s, "flaky"), 3);
    assert_eq!(inspect_f(&s, "{{.State.ExitCode}}", "flaky"), "3");
    assert_eq!(
        logs(&s, &[], "flaky").stdout,
        "run\nrun\nrun\nrun\n",
        "1 + 3 runs"
    );
    assert!(ps_status(&s, "flaky").unwrap().starts_with("Exited (3) "));
    let policy: Value = serde_json::from_str(&inspect_f(
        &s,
        "{{json .HostConfig.RestartPolicy}}",
        "flaky",
    ))
    .unwrap();
    assert_eq!(
        policy,
        json!({"Name": "on-failure", "MaximumRetryCount": 3})
    );

    // on-failure does not restart after a clean exit.
    let ok = run_d(
        &s,
        &[
            "--name",
            "fine",
            "--restart",
            "on-failure:3",
            img,
            "sh",
            "-c",
            "echo run",
        ],
    );
    wait_down_for_good(&s, "fine", &ok);
    assert_eq!(restart_count(&s, "fine"), 0);
    assert_eq!(logs(&s, &[], "fine").stdout, "run\n");
}

#[test]
fn restart_no_never_restarts() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "once",
            "--restart",
            "no",
            img,
            "sh",
            "-c",
            "echo run; exit 1",
        ],
    );
    wait_down_for_good(&s, "once", &id);
    assert_eq!(restart_count(&s, "once"), 0);
    assert_eq!(inspect_f(&s, "{{.State.ExitCode}}", "once"), "1");
    assert_eq!(logs(&s, &[], "once").stdout, "run\n");
    assert_eq!(
        inspect_f(&s, "{{.HostConfig.RestartPolicy.Name}}", "once"),
        "no"
    );
}

/// `always` and `unless-stopped`: restarts after every exit, never after `stop` or `rm`.
fn restarts_after_exit_but_not_after_stop(policy: &str) {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "svc",
            "--restart",
            policy,
            img,
            "sh",
            "-c",
            "echo run; exit 0",
        ],
    );
    eventually(
        &format!("{policy}: restarted at least twice"),
        || {
            (
                restart_count(&s, "svc"),
                logs(&s, &[], "svc").stdout.lines().count(),
            )
        },
        |(n, runs)| *n >= 2 && *runs >= 3,
    );
    assert_eq!(
        inspect_f(&s, "{{.HostConfig.RestartPolicy.Name}}", "svc"),
        policy
    );
    s.ok(&["stop", "-t", "1", "svc"]);
    // Down for good: the supervisor, which would restart it, is gone.
    wait_down_for_good(&s, "svc", &id);
    let count = restart_count(&s, "svc");
    let runs = logs(&s, &[], "svc").stdout.lines().count();
    assert_eq!(status(&s, "svc"), "exited");
    assert_eq!(restart_count(&s, "svc"), count);
    assert_eq!(logs(&s, &[], "svc").stdout.lines().count(), runs);

    // Started by hand, it runs under its policy again; rm -f is not undone either.
    let up = run_d(
        &s,
        &[
            "--name",
            "up",
            "--restart",
            policy,
            img,
            "sh",
            "-c",
            FOREVER,
        ],
    );
    s.ok(&["rm", "-f", "up"]);
    eventually("rm -f: supervisor gone", || supervisors(&up), Vec::is_empty);
    assert_eq!(s.container_ids(), vec![id]);
}

#[test]
fn restart_always_restarts_after_exit_but_not_after_stop() {
    restarts_after_exit_but_not_after_stop("always");
}

#[test]
fn restart_unless_stopped_restarts_after_exit_but_not_after_stop() {
    restarts_after_exit_but_not_after_stop("unless-stopped");
}

#[test]
fn kill_is_not_undone_by_a_restart_policy() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "svc",
            "--restart",
            "always",
            img,
            "sh",
            "-c",
            FOREVER,
        ],
    );
    s.ok(&["kill", "svc"]);
    wait_down_for_good(&s, "svc", &id);
    assert_eq!(restart_count(&s, "svc"), 0);
}

#[test]
fn update_restart_takes_effect() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            "echo run; while [ ! -e /tmp/go ]; do sleep 0.2; done; rm /tmp/go; exit 2",
        ],
    );
    assert_eq!(
        inspect_f(&s, "{{.HostConfig.RestartPolicy.Name}}", "web"),
        "no"
    );
    assert_eq!(s.ok(&["update", "--restart", "always", "web"]), "web\n");
    assert_eq!(
        inspect_f(&s, "{{.HostConfig.RestartPolicy.Name}}", "web"),
        "always"
    );
    wait_for_log(&s, "web", "run\n");
    s.ok(&["exec", "web", "touch", "/tmp/go"]);
    eventually(
        "restarted under the updated policy",
        || {
            (
                restart_count(&s, "web"),
                status(&s, "web"),
                logs(&s, &[], "web").stdout,
            )
        },
        |(n, st, log)| *n == 1 && st == "running" && log == "run\nrun\n",
    );
    assert_eq!(supervisors(&id).len(), 1);
    // And back to no: the next exit is final.
    s.ok(&["update", "--restart", "no", "web"]);
    s.ok(&["exec", "web", "touch", "/tmp/go"]);
    wait_down_for_good(&s, "web", &id);
    assert_eq!(restart_count(&s, "web"), 1);
    assert_eq!(inspect_f(&s, "{{.State.ExitCode}}", "web"), "2");
    let out = s.run(&["update", "--restart", "sometimes", "web"]);
    assert_ne!(out.code, 0, "{out}");
    assert_eq!(
        inspect_f(&s, "{{.HostConfig.RestartPolicy.Name}}", "web"),
        "no",
        "nothing changed"
    );
}

// ---------------------------------------------------------------------------------------------
// healthchecks

#[test]
fn healthcheck_passing_makes_the_container_healthy() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            "--health-cmd",
            "true",
            "--health-interval",
            "1s",
            img,
            "sh",
            "-c",
            FOREVER,
        ],
    );
    let st = eventually(
        "healthy in ps and inspect",
        || {
            (
                ps_status(&s, "web").unwrap_or_default(),
                inspect_f(&s, "{{.State.Health.Status}}", "web"),
            )
        },
        |(ps, h)| ps.ends_with("(healthy)") && h == "healthy",
    );
    assert!(st.0.starts_with("Up "), "{st:?}");
    let health: Value =
        serde_json::from_str(&inspect_f(&s, "{{json .State.Health}}", "web")).unwrap();
    assert_eq!(health["Status"], "healthy");
    assert_eq!(health["FailingStreak"], 0);
    let log = health["Log"].as_array().unwrap();
    assert!(
        !log.is_empty() && log.iter().all(|r| r["ExitCode"] == 0),
        "{health:#}"
    );
    assert!(
        log[0]["Start"].is_string() && log[0]["End"].is_string(),
        "{health:#}"
    );
    let events = s.ok(&[
        "events",
        "--since",
        "1m",
        "--until",
        "0s",
        "--filter",
        "container=web",
        "--filter",
        "event=health_status",
    ]);
    assert!(events.contains("health_status: healthy"), "{events}");
    assert!(events.contains(&id), "{events}");
}

#[test]
fn healthcheck_failing_makes_the_container_unhealthy_and_runs_inside_it() {
    let s = Env::new();
    let img = s.busybox();
    run_d(
        &s,
        &[
            "--name",
            "web",
            "--health-cmd",
            "cat /tmp/ok",
            "--health-interval",
            "1s",
            "--health-retries",
            "2",
            img,
            "sh",
            "-c",
            FOREVER,
        ],
    );
    eventually(
        "unhealthy in ps and inspect",
        || {
            (
                ps_status(&s, "web").unwrap_or_default(),
                inspect_f(&s, "{{.State.Health.Status}}", "web"),
            )
        },
        |(ps, h)| ps.ends_with("(unhealthy)") && h == "unhealthy",
    );
    let health: Value =
        serde_json::from_str(&inspect_f(&s, "{{json .State.Health}}", "web")).unwrap();
    assert!(health["FailingStreak"].as_u64().unwrap() >= 2, "{health:#}");
    let last = health["Log"].as_array().unwrap().last().unwrap().clone();
    assert_ne!(last["ExitCode"], 0, "{health:#}");
    assert!(
        last["Output"].as_str().unwrap().contains("/tmp/ok"),
        "the check's output: {health:#}"
    );
    assert_eq!(status(&s, "web"), "running", "unhealthy is not stopped");
    // The check runs inside the container: creating the file there makes it pass.
    s.ok(&["exec", "web", "sh", "-c", "echo fine > /tmp/ok"]);
    eventually(
        "healthy again",
        || inspect_f(&s, "{{.State.Health.Status}}", "web"),
        |h| h == "healthy",
    );
    let health: Value =
        serde_json::from_str(&inspect_f(&s, "{{json .State.Health}}", "web")).unwrap();
    let last = health["Log"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["Output"], "fine\n", "{health:#}");
}

#[test]
fn healthcheck_starts_in_starting() {
    let s = Env::new();
    let img = s.busybox();
    run_d(
        &s,
        &[
            "--name",
            "web",
            "--health-cmd",
            "true",
            "--health-interval",
            "1h",
            img,
            "sh",
            "-c",
            FOREVER,
        ],
    );
    assert_eq!(inspect_f(&s, "{{.State.Health.Status}}", "web"), "starting");
    let st = ps_status(&s, "web").unwrap();
    assert!(
        st.starts_with("Up ") && st.ends_with(" (health: starting)"),
        "{st}"
    );
}

#[test]
fn image_healthcheck_runs_and_no_healthcheck_disables_it() {
    let s = Env::new();
    s.busybox();
    load_image(
        &s,
        "hc:test",
        json!({"Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 1_000_000_000u64, "Retries": 2}}),
    );
    run_d(&s, &["--name", "checked", "hc:test", "sh", "-c", FOREVER]);
    run_d(
        &s,
        &[
            "--name",
            "unchecked",
            "--no-healthcheck",
            "hc:test",
            "sh",
            "-c",
            FOREVER,
        ],
    );
    eventually(
        "the image's HEALTHCHECK makes it healthy",
        || inspect_f(&s, "{{.State.Health.Status}}", "checked"),
        |h| h == "healthy",
    );
    assert_eq!(inspect_f(&s, "{{json .State.Health}}", "unchecked"), "null");
    let st = ps_status(&s, "unchecked").unwrap();
    assert!(st.starts_with("Up ") && !st.contains("health"), "{st}");
}

// ---------------------------------------------------------------------------------------------
// events

/// The actions of `events` default-format lines ("TIME container ACTION ID (attrs)").
fn event_actions(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            words.next()?;
            (words.next()? == "container").then_some(())?;
            Some(words.next()?.trim_end_matches(':').to_string())
        })
        .collect()
}

#[test]
fn events_list_the_lifecycle_of_a_container() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            &trap_script("TERM", "exit 0"),
        ],
    );
    run_d(&s, &["--name", "other", img, "true"]);
    wait_for_log(&s, "web", "ready\n");
    s.ok(&["stop", "web"]);
    s.ok(&["rm", "web"]);
    let out = s.ok(&[
        "events",
        "--since",
        "1m",
        "--until",
        "0s",
        "--filter",
        "container=web",
    ]);
    let actions = event_actions(&out);
    let mut want = ["create", "start", "die", "stop", "destroy"]
        .iter()
        .peekable();
    for a in &actions {
        if want.peek().is_some_and(|w| *w == a) {
            want.next();
        }
    }
    assert!(
        want.peek().is_none(),
        "create, start, die, stop, destroy in this order: {actions:?}\n{out}"
    );
    for line in out.lines() {
        assert!(
            line.contains(&id) && line.contains("name=web"),
            "only web's events: {out}"
        );
        let time = line.split_whitespace().next().unwrap();
        assert!(time.starts_with("20") && time.ends_with('Z'), "{line}");
    }
    let die = s.ok(&[
        "events",
        "--since",
        "1m",
        "--until",
        "0s",
        "--filter",
        "container=web",
        "--filter",
        "event=die",
    ]);
    assert_eq!(event_actions(&die), ["die"], "{die}");
    assert!(die.contains("exitCode=0"), "{die}");
    let formatted = s.ok(&[
        "events",
        "--since",
        "1m",
        "--until",
        "0s",
        "--filter",
        "container=other",
        "--format",
        "{{.Action}} {{.Actor.Attributes.name}}",
    ]);
    assert!(
        formatted.starts_with("create other\nstart other\n"),
        "{formatted}"
    );
    // Nothing from before --since.
    let later = s.ok(&["events", "--since", "0s", "--until", "0s"]);
    assert_eq!(later, "");
}

#[test]
fn events_record_kill_restart_pause_and_rename() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            &trap_script("TERM", "exit 0"),
        ],
    );
    wait_for_log(&s, "web", "ready\n");
    s.ok(&["kill", "-s", "HUP", "web"]);
    s.ok(&["pause", "web"]);
    s.ok(&["unpause", "web"]);
    s.ok(&["restart", "web"]);
    s.ok(&["rename", "web", "web2"]);
    let out = s.ok(&[
        "events",
        "--since",
        "1m",
        "--until",
        "0s",
        "--filter",
        &format!("container={id}"),
    ]);
    let actions = event_actions(&out);
    for want in ["kill", "pause", "unpause", "restart", "rename"] {
        assert!(
            actions.iter().any(|a| a == want),
            "a {want} event: {actions:?}\n{out}"
        );
    }
    let kill = out.lines().find(|l| l.contains(" kill ")).unwrap();
    assert!(
        kill.contains("signal=1") || kill.contains("signal=HUP"),
        "{kill}"
    );
}

#[test]
fn events_follow_shows_new_events() {
    let s = Env::new();
    let img = s.busybox();
    s.ok(&["run", "--name", "before", img, "true"]);
    let before = inspect_f(&s, "{{.Id}}", "before");
    let mut follow = s.spawn(&["events", "--filter", "type=container"], false);
    // Live once it shows an event made after it started.
    let started = Instant::now();
    while !follow.stdout_so_far().contains("container update") {
        assert!(
            started.elapsed() < LIMIT && follow.running(),
            "events (follow) shows nothing: {}\n{}",
            follow.stdout_so_far(),
            follow.stderr_so_far()
        );
        s.ok(&["update", "--restart", "no", "before"]);
        std::thread::sleep(Duration::from_millis(200));
    }
    let id = run_d(&s, &["--name", "live", img, "sh", "-c", FOREVER]);
    assert!(
        follow.wait_for_stdout(&format!("container start {id}"), LIMIT),
        "{}\n{}",
        follow.stdout_so_far(),
        follow.stderr_so_far()
    );
    s.ok(&["kill", "live"]);
    assert!(follow.wait_for_stdout(&format!("container die {id}"), LIMIT));
    assert!(follow.running(), "follow mode keeps going");
    let seen = follow.stdout_so_far();
    assert!(
        !seen.contains(&format!("create {before}")) && !seen.contains(&format!("start {before}")),
        "without --since only new events: {seen}"
    );
}

// ---------------------------------------------------------------------------------------------
// attach

#[test]
fn attach_follows_the_output_and_returns_the_exit_code() {
    let s = Env::new();
    let img = s.busybox();
    run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            "while [ ! -e /tmp/go ]; do echo tick; sleep 0.2; done; echo bye; echo err-bye >&2; exit 4",
        ],
    );
    let mut attached = s.spawn(&["attach", "web"], false);
    assert!(
        attached.wait_for_stdout("tick\n", LIMIT),
        "attach shows the output as it comes: {}",
        attached.stderr_so_far()
    );
    s.ok(&["exec", "web", "touch", "/tmp/go"]);
    let out = attached.wait(LIMIT);
    assert_eq!(
        out.code, 4,
        "attach returns the container's exit code: {out}"
    );
    assert!(out.stdout.ends_with("tick\nbye\n"), "{out}");
    assert!(out.stderr.contains("err-bye\n"), "{out}");
    let out = s.run(&["attach", "web"]);
    assert_ne!(out.code, 0, "attach to a stopped container: {out}");
}

#[test]
fn attach_feeds_stdin_of_an_i_container() {
    let s = Env::new();
    let img = s.busybox();
    run_d(
        &s,
        &[
            "-i",
            "--name",
            "web",
            img,
            "sh",
            "-c",
            "while read l; do echo got:$l; done",
        ],
    );
    let mut attached = s.spawn(&["attach", "web"], true);
    // Until the attach is through, what it writes may go nowhere: keep writing.
    let started = Instant::now();
    let mut n = 0;
    while !attached.stdout_so_far().contains("got:hello") {
        assert!(
            started.elapsed() < LIMIT && attached.running(),
            "attach passes stdin to the container: {}\n{}",
            attached.stdout_so_far(),
            attached.stderr_so_far()
        );
        attached.write(format!("hello{n}\n").as_bytes());
        n += 1;
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(status(&s, "web"), "running");
    s.ok(&["kill", "web"]);
    let out = attached.wait(LIMIT);
    assert_eq!(out.code, 137, "{out}");
}

/// `run -d` a container that traps USR1 and INT, `attach` with `flags`, send USR1 to attach,
/// then INT with `kill`: what the container printed.
fn attach_passes_usr1(flags: &[&str]) -> Out {
    let s = Env::new();
    let img = s.busybox();
    run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            "trap 'echo got USR1' USR1; trap 'echo got INT; exit 9' INT; \
             while true; do echo tick; sleep 0.2; done",
        ],
    );
    let mut args = vec!["attach"];
    args.extend_from_slice(flags);
    args.push("web");
    let mut attached = s.spawn(&args, false);
    assert!(
        attached.wait_for_stdout("tick\n", LIMIT),
        "{}",
        attached.stderr_so_far()
    );
    attached.signal(libc::SIGUSR1);
    common::wait_until_taken(attached.pid(), libc::SIGUSR1, LIMIT);
    if flags.is_empty() {
        assert!(
            attached.wait_for_stdout("got USR1\n", LIMIT),
            "{}",
            attached.stdout_so_far()
        );
    }
    s.ok(&["kill", "--signal", "INT", "web"]);
    attached.wait(LIMIT)
}

#[test]
fn attach_forwards_signals_to_the_container() {
    let out = attach_passes_usr1(&[]);
    assert!(out.stdout.contains("got USR1\n"), "{out}");
    assert!(out.stdout.ends_with("got INT\n"), "{out}");
    assert_eq!(out.code, 9, "{out}");
}

#[test]
fn attach_sig_proxy_false_keeps_them() {
    let out = attach_passes_usr1(&["--sig-proxy=false"]);
    assert!(!out.stdout.contains("got USR1"), "{out}");
    assert!(out.stdout.ends_with("got INT\n"), "{out}");
    assert_eq!(out.code, 9, "{out}");
}

/// `run -dit`, `attach` on a terminal, type `keys`: attach ends (0) and the container runs on.
fn attach_detaches_with(flags: &[&str], keys: &[u8]) {
    attach_detaches_with_config(flags, None, keys);
}

/// As [`attach_detaches_with`], with `detach_keys` as the `detachKeys` of docker's
/// config.json when given.
fn attach_detaches_with_config(flags: &[&str], detach_keys: Option<&str>, keys: &[u8]) {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "-i",
            "-t",
            "--name",
            "web",
            img,
            "sh",
            "-c",
            "while true; do echo tick; sleep 0.2; done",
        ],
    );
    let mut args = vec!["attach"];
    args.extend_from_slice(flags);
    args.push("web");
    let config = match detach_keys {
        Some(keys) => {
            let dir = s.tempdir();
            let file = dir.join("config.json");
            fs::write(&file, json!({ "detachKeys": keys }).to_string()).unwrap();
            format!(
                "DOCKER_CONFIG={} ",
                common::shell_quote(dir.to_str().unwrap())
            )
        }
        None => String::new(),
    };
    let line = format!("stty rows 24 cols 80; {config}exec {}", s.skiff_line(&args));
    let Some(mut attached) = s.spawn_in_pty_line(&line) else {
        eprintln!("skipped: util-linux script is not installed");
        return;
    };
    assert!(
        attached.wait_for_stdout("tick", LIMIT),
        "attach on a terminal shows the output: {}",
        attached.stderr_so_far()
    );
    attached.write(keys);
    let out = attached.wait(LIMIT);
    assert_eq!(out.code, 0, "detaching ends attach with 0: {out}");
    assert_eq!(status(&s, "web"), "running", "the container runs on");
    assert_eq!(supervisors(&id).len(), 1);
}

#[test]
fn attach_detaches_with_ctrl_p_ctrl_q() {
    attach_detaches_with(&[], b"\x10\x11");
}

#[test]
fn attach_detach_keys_sets_the_sequence() {
    attach_detaches_with(&["--detach-keys", "ctrl-x,x"], b"\x18x");
}

#[test]
fn attach_takes_the_detach_keys_of_dockers_config() {
    attach_detaches_with_config(&[], Some("ctrl-x"), b"\x18");
}

#[test]
fn the_detach_keys_flag_wins_over_dockers_config() {
    attach_detaches_with_config(&["--detach-keys", "ctrl-_"], Some("ctrl-x"), b"\x1f");
}

#[test]
fn invalid_detach_keys_are_refused() {
    let s = Env::new();
    let img = s.busybox();
    run_d(&s, &["--name", "web", img, "sleep", "1000"]);
    for keys in ["ctrl-1", "ctrl-P", "ab", "ctrl-p,,ctrl-q"] {
        let out = s.run(&["attach", "--detach-keys", keys, "web"]);
        // As docker, whose engine refuses them: attach's errors exit 1.
        assert_eq!(out.code, 1, "{keys}: {out}");
        assert!(
            out.stderr
                .contains(&format!("Invalid detach keys ({keys}) provided")),
            "{keys}: {out}"
        );
    }
    assert_eq!(status(&s, "web"), "running");
}

/// `skiff ARGS` on a terminal of 30 rows and 100 columns, its shell's first prompt seen
/// before anything is typed (none of the container's output may be lost to the attach).
fn on_a_terminal_at_the_prompt(s: &Skiff, args: &[&str]) -> Option<common::Bg> {
    let Some(mut term) = s.spawn_in_pty(args, 30, 100) else {
        eprintln!("skipped: util-linux script is not installed");
        return None;
    };
    assert!(
        term.wait_for_stdout("# ", LIMIT),
        "the shell's first prompt: {}\n{}",
        term.stdout_so_far(),
        term.stderr_so_far()
    );
    Some(term)
}

/// Types `line` (which runs `stty size`) on the 30x100 terminal of
/// [`on_a_terminal_at_the_prompt`], and sees that size.
fn shows_the_terminals_size(term: &mut common::Bg, line: &[u8]) {
    term.write(line);
    assert!(
        term.wait_for_stdout("30 100", LIMIT),
        "the terminal's size: {}",
        term.stdout_so_far()
    );
}

/// The pid of the one skiff command (`run`, `exec`) whose command line has the word `script`.
fn skiff_running(script: &str) -> i32 {
    let found: Vec<i32> = processes()
        .into_iter()
        .filter(|(_, a)| {
            a.iter().any(|w| w == "run" || w == "exec") && a.iter().any(|w| w == script)
        })
        .map(|(pid, _)| pid)
        .collect();
    assert_eq!(found.len(), 1, "one skiff command: {found:?}");
    found[0]
}

/// Types the detach keys on `term`, where skiff runs a shell in container `name`: skiff
/// leaves with 0, saying nothing, and the container runs on.
fn detaches(s: &Skiff, mut term: common::Bg, keys: &[u8], name: &str) {
    term.write(keys);
    let out = term.wait(LIMIT);
    assert_eq!(out.code, 0, "detaching ends skiff with 0: {out}");
    assert!(!out.stdout.contains("escape"), "docker says nothing: {out}");
    assert_eq!(status(s, name), "running", "the container runs on");
}

#[test]
fn run_it_detaches_with_its_detach_keys_and_attach_finds_the_shell() {
    let s = Env::new();
    let img = s.busybox();
    let args = [
        "run",
        "-it",
        "--detach-keys",
        "ctrl-x,x",
        "--name",
        "web",
        img,
        "sh",
    ];
    let Some(mut term) = on_a_terminal_at_the_prompt(&s, &args) else {
        return;
    };
    shows_the_terminals_size(&mut term, b"stty size\n");
    detaches(&s, term, b"\x18x", "web");
    let Some(mut again) = s.spawn_in_pty(&["attach", "web"], 24, 80) else {
        return;
    };
    again.write(b"echo back-$((6*7)); exit 3\n");
    assert!(
        again.wait_for_stdout("back-42", LIMIT),
        "attach reaches the same shell: {}",
        again.stdout_so_far()
    );
    let out = again.wait(LIMIT);
    assert_eq!(out.code, 3, "the shell's exit code: {out}");
}

#[test]
fn run_it_detaches_with_ctrl_p_ctrl_q() {
    let s = Env::new();
    let img = s.busybox();
    let args = ["run", "-it", "--name", "web", img, "sh"];
    if let Some(term) = on_a_terminal_at_the_prompt(&s, &args) {
        detaches(&s, term, b"\x10\x11", "web");
    }
}

#[test]
fn run_it_takes_the_detach_keys_of_dockers_config() {
    let s = Env::new();
    let img = s.busybox();
    let dir = s.tempdir();
    fs::write(dir.join("config.json"), r#"{"detachKeys": "ctrl-_"}"#).unwrap();
    let line = format!(
        "stty rows 30 cols 100; DOCKER_CONFIG={} exec {}",
        common::shell_quote(dir.to_str().unwrap()),
        s.skiff_line(&["run", "-it", "--name", "web", img, "sh"])
    );
    let Some(mut term) = s.spawn_in_pty_line(&line) else {
        eprintln!("skipped: util-linux script is not installed");
        return;
    };
    assert!(
        term.wait_for_stdout("# ", LIMIT),
        "{}",
        term.stdout_so_far()
    );
    detaches(&s, term, b"\x1f", "web");
}

#[test]
fn run_it_passes_on_the_exit_code_and_keeps_the_container() {
    let s = Env::new();
    let img = s.busybox();
    let Some(term) = s.spawn_in_pty(
        &["run", "-it", "--name", "done", img, "sh", "-c", "exit 3"],
        24,
        80,
    ) else {
        eprintln!("skipped: util-linux script is not installed");
        return;
    };
    let out = term.wait(LIMIT);
    assert_eq!(out.code, 3, "{out}");
    assert_eq!(status(&s, "done"), "exited");
    assert_eq!(inspect_f(&s, "{{.State.ExitCode}}", "done"), "3");
}

#[test]
fn run_it_shows_all_of_a_burst_of_output() {
    let s = Env::new();
    let img = s.busybox();
    // Megabytes at once: more than the socket to the supervisor holds.
    let script = "seq 1 400000; echo END-$((6*7))";
    let Some(term) = s.spawn_in_pty(&["run", "-it", img, "sh", "-c", script], 24, 80) else {
        eprintln!("skipped: util-linux script is not installed");
        return;
    };
    let out = term.wait(LIMIT);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = out.stdout.replace('\r', "");
    assert!(
        text.contains("\n399999\n400000\nEND-42"),
        "all of it, to the end"
    );
}

#[test]
fn run_it_rm_is_gone_when_skiff_returns() {
    let s = Env::new();
    let img = s.busybox();
    let Some(term) = s.spawn_in_pty(&["run", "-it", "--rm", img, "sh", "-c", "exit 2"], 24, 80)
    else {
        eprintln!("skipped: util-linux script is not installed");
        return;
    };
    let out = term.wait(LIMIT);
    assert_eq!(out.code, 2, "{out}");
    assert_eq!(s.container_ids(), Vec::<String>::new(), "removed: {out}");
}

/// `skiff ARGS sh -c SCRIPT` on a terminal, SCRIPT saying `greeting` and then exiting 7
/// on SIGUSR1: the USR1 sent to skiff must reach it.
fn passes_on_usr1(s: &Skiff, args: &[&str], greeting: &str) {
    let script =
        format!("trap 'echo got USR1; exit 7' USR1; echo {greeting}; while :; do sleep 0.1; done");
    let all = [args, &["sh", "-c", &script]].concat();
    let Some(mut term) = s.spawn_in_pty(&all, 24, 80) else {
        eprintln!("skipped: util-linux script is not installed");
        return;
    };
    assert!(
        term.wait_for_stdout(greeting, LIMIT),
        "{}",
        term.stdout_so_far()
    );
    unsafe { libc::kill(skiff_running(&script), libc::SIGUSR1) };
    let out = term.wait(LIMIT);
    assert!(out.stdout.contains("got USR1"), "{out}");
    assert_eq!(out.code, 7, "{out}");
}

#[test]
fn run_it_forwards_the_signals_skiff_receives() {
    let s = Env::new();
    let img = s.busybox();
    passes_on_usr1(&s, &["run", "-it", "--name", "sig", img], "run-ready");
}

#[test]
fn start_ai_detaches_and_the_container_runs_on() {
    let s = Env::new();
    let img = s.busybox();
    s.ok(&["create", "-it", "--name", "web", img, "sh"]);
    let args = ["start", "-a", "-i", "--detach-keys", "ctrl-x,x", "web"];
    if let Some(term) = on_a_terminal_at_the_prompt(&s, &args) {
        detaches(&s, term, b"\x18x", "web");
    }
}

#[test]
fn exec_it_detaches_and_the_process_runs_on() {
    let s = Env::new();
    let img = s.busybox();
    run_d(&s, &["--name", "web", img, "sh", "-c", FOREVER]);
    let args = ["exec", "-it", "--detach-keys", "ctrl-x,x", "web", "sh"];
    let Some(mut term) = on_a_terminal_at_the_prompt(&s, &args) else {
        return;
    };
    shows_the_terminals_size(&mut term, b"stty size; sleep 4242\n");
    detaches(&s, term, b"\x18x", "web");
    eventually(
        "the exec'd shell's sleep runs on",
        || s.ok(&["exec", "web", "ps"]),
        |ps| ps.contains("sleep 4242"),
    );
}

#[test]
fn exec_it_forwards_the_signals_skiff_receives() {
    let s = Env::new();
    let img = s.busybox();
    run_d(&s, &["--name", "web", img, "sh", "-c", FOREVER]);
    passes_on_usr1(&s, &["exec", "-it", "web"], "exec-ready");
}

#[test]
fn exec_it_of_a_missing_command_fails_as_exec_does() {
    let s = Env::new();
    let img = s.busybox();
    run_d(&s, &["--name", "web", img, "sh", "-c", FOREVER]);
    let plain = s.run(&["exec", "web", "no-such-command"]);
    assert!(matches!(plain.code, 126 | 127), "{plain}");
    let Some(term) = s.spawn_in_pty(&["exec", "-it", "web", "no-such-command"], 24, 80) else {
        eprintln!("skipped: util-linux script is not installed");
        return;
    };
    let out = term.wait(LIMIT);
    assert_eq!(out.code, plain.code, "{out}\n{plain}");
    assert!(out.stdout.contains("no-such-command"), "the error: {out}");
}

#[test]
fn invalid_detach_keys_are_refused_by_run_start_and_exec() {
    let s = Env::new();
    let img = s.busybox();
    let out = s.run(&["run", "-it", "--detach-keys", "ctrl-1", img, "sh"]);
    assert_eq!(out.code, 125, "{out}");
    assert!(
        out.stderr.contains("Invalid detach keys (ctrl-1) provided"),
        "{out}"
    );
    assert_eq!(s.container_ids(), Vec::<String>::new(), "nothing created");
    s.ok(&["create", "-it", "--name", "web", img, "sh"]);
    let out = s.run(&["start", "-ai", "--detach-keys", "ab", "web"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains("Invalid detach keys (ab) provided"),
        "{out}"
    );
    assert_eq!(status(&s, "web"), "created", "not started");
    s.ok(&["start", "web"]);
    let out = s.run(&["exec", "-it", "--detach-keys", "ctrl-P", "web", "true"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains("Invalid detach keys (ctrl-P) provided"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// the record never lies

#[test]
fn a_killed_supervisor_takes_its_container_down_and_ps_shows_it_exited() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &["--name", "victim", img, "sh", "-c", "sleep 1000 & wait"],
    );
    let pid = pid_of(&s, "victim");
    eventually(
        "the container has its sleep",
        || container_processes(pid).len(),
        |n| *n >= 2,
    );
    let members = container_processes(pid);
    let sups = supervisors(&id);
    assert_eq!(sups.len(), 1);
    unsafe { libc::kill(sups[0], libc::SIGKILL) };
    eventually(
        "every process of the container gone",
        || {
            members
                .iter()
                .copied()
                .filter(|p| alive(*p))
                .collect::<Vec<_>>()
        },
        Vec::is_empty,
    );
    let st = eventually(
        "ps -a shows it exited",
        || ps_status(&s, "victim").unwrap_or_default(),
        |st| st.starts_with("Exited ("),
    );
    assert!(st.ends_with(" ago"), "{st}");
    assert_eq!(status(&s, "victim"), "exited");
    assert_eq!(inspect_f(&s, "{{.State.Running}}", "victim"), "false");
    assert_eq!(s.ok(&["ps", "-q"]), "", "not listed as running");
    // It can be started again and removed.
    s.ok(&["start", "victim"]);
    assert_eq!(status(&s, "victim"), "running");
    assert_eq!(supervisors(&id).len(), 1);
    s.ok(&["rm", "-f", "victim"]);
}

#[test]
fn a_killed_supervisor_is_seen_dead_before_it_is_reaped() {
    // A SIGKILLed supervisor stays a zombie until its parent (init, or a subreaper) reaps
    // it, which may take a while: a zombie is dead all the same, and once it and the
    // container's processes are gone, ps may not say "Up".
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &["--name", "victim", img, "sh", "-c", "sleep 1000 & wait"],
    );
    let pid = pid_of(&s, "victim");
    let members = eventually(
        "the container has its sleep",
        || container_processes(pid),
        |m| m.len() >= 2,
    );
    let sup = supervisors(&id)[0];
    unsafe { libc::kill(sup, libc::SIGKILL) };
    eventually(
        "the supervisor and every process of the container dead",
        || {
            (
                proc_state(sup),
                members.iter().copied().filter(|p| alive(*p)).count(),
            )
        },
        |(st, n)| matches!(st, None | Some('Z')) && *n == 0,
    );
    let st = ps_status(&s, "victim").unwrap_or_default();
    let sup_state = proc_state(sup);
    assert!(
        st.starts_with("Exited ("),
        "supervisor {sup} is {sup_state:?} (Z: zombie, None: reaped), the container's \
         processes are gone, and ps -a says {st:?}"
    );
    assert_eq!(status(&s, "victim"), "exited");
}

#[test]
fn after_a_reboot_containers_show_exited_and_start_all_brings_them_back() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "svc",
            "--restart",
            "always",
            img,
            "sh",
            "-c",
            FOREVER,
        ],
    );
    let pid = pid_of(&s, "svc");
    // A "reboot": every process gone at once, the runtime dir with them.
    let members = container_processes(pid);
    for p in supervisors(&id).into_iter().chain(members.iter().copied()) {
        unsafe { libc::kill(p, libc::SIGKILL) };
    }
    eventually(
        "all gone",
        || {
            (
                supervisors(&id),
                members.iter().copied().filter(|p| alive(*p)).count(),
            )
        },
        |(sups, n)| sups.is_empty() && *n == 0,
    );
    let _ = fs::remove_dir_all(s.runroot());
    let st = eventually(
        "ps -a shows it exited",
        || ps_status(&s, "svc").unwrap_or_default(),
        |st| st.starts_with("Exited ("),
    );
    assert!(st.ends_with(" ago"), "{st}");
    assert_eq!(s.ok(&["ps", "-q"]), "");
    s.ok(&["start", "--all", "--filter", "restart-policy=always"]);
    assert_eq!(status(&s, "svc"), "running");
    assert_eq!(supervisors(&id).len(), 1);
}

// ---------------------------------------------------------------------------------------------
// bad input

#[test]
fn unknown_container_is_no_such_container_exit_1() {
    let s = Env::new();
    let img = s.busybox();
    run_d(&s, &["--name", "web", img, "sh", "-c", FOREVER]);
    let before = s.container_ids();
    let commands: Vec<Vec<&str>> = vec![
        vec!["stop", "nope"],
        vec!["kill", "nope"],
        vec!["start", "nope"],
        vec!["restart", "nope"],
        vec!["rm", "nope"],
        vec!["rm", "-f", "nope"],
        vec!["logs", "nope"],
        vec!["exec", "nope", "true"],
        vec!["wait", "nope"],
        vec!["pause", "nope"],
        vec!["unpause", "nope"],
        vec!["top", "nope"],
        vec!["rename", "nope", "other"],
        vec!["update", "--restart", "always", "nope"],
        vec!["stats", "--no-stream", "nope"],
        vec!["container", "inspect", "nope"],
        vec!["inspect", "--type", "container", "nope"],
    ];
    for args in commands {
        let out = s.run(&args);
        assert_eq!(out.code, 1, "`skiff {}`: {out}", args.join(" "));
        assert!(
            out.stderr.contains("No such container: nope"),
            "`skiff {}`: {out}",
            args.join(" ")
        );
    }
    // A name that only starts like one, and a prefix of no id, are unknown too.
    s.fails(&["stop", "we"], 1);
    s.fails(&["stop", "ffffffffffff"], 1);
    // One bad name among good ones: the good ones are done, exit 1.
    let out = s.run(&["kill", "-s", "HUP", "nope", "web"]);
    assert_eq!(out.code, 1, "{out}");
    assert_eq!(out.stdout, "web\n", "{out}");
    assert_eq!(s.container_ids(), before, "nothing changed");
    assert_eq!(status(&s, "web"), "running");
}

#[test]
fn ambiguous_prefix_is_refused_exit_1() {
    let s = Env::new();
    let img = s.busybox();
    // Create containers until two ids share their first digit.
    let prefix = loop {
        s.ok(&["run", img, "true"]);
        let ids = s.container_ids();
        let firsts: Vec<char> = ids.iter().map(|i| i.chars().next().unwrap()).collect();
        if let Some(c) = firsts
            .iter()
            .find(|c| firsts.iter().filter(|d| d == c).count() > 1)
        {
            break c.to_string();
        }
        assert!(ids.len() <= 17, "{ids:?}");
    };
    let before = s.container_ids();
    let p = prefix.as_str();
    let mut wrong = Vec::new();
    for args in [
        vec!["rm", p],
        vec!["rm", "-f", p],
        vec!["start", p],
        vec!["stop", p],
        vec!["kill", p],
        vec!["restart", p],
        vec!["logs", p],
        vec!["exec", p, "true"],
        vec!["wait", p],
        vec!["pause", p],
        vec!["top", p],
        vec!["rename", p, "other"],
        vec!["update", "--restart", "always", p],
        vec!["container", "inspect", p],
    ] {
        let out = s.run(&args);
        // inspect prints an empty list before the error, as docker does.
        let stdout_ok = out.stdout.is_empty() || (args[1] == "inspect" && out.stdout == "[]\n");
        if out.code != 1 || !out.stderr.contains(p) || !stdout_ok {
            wrong.push(format!("`skiff {}`: {out}", args.join(" ")));
        }
    }
    assert!(
        wrong.is_empty(),
        "an ambiguous prefix ({p}) must fail with exit 1 and name the prefix:\n{}",
        wrong.join("\n")
    );
    assert_eq!(s.container_ids(), before, "nothing changed");
}

#[test]
fn start_of_a_running_container_is_an_error() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(&s, &["--name", "web", img, "sh", "-c", FOREVER]);
    let pid = pid_of(&s, "web");
    let out = s.run(&["start", "web"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("running"), "{out}");
    assert!(
        out.stderr.contains("web") || out.stderr.contains(&id[..12]),
        "names the container: {out}"
    );
    let out = s.run(&["start", "-a", "web"]);
    assert_ne!(out.code, 0, "{out}");
    assert_eq!(pid_of(&s, "web"), pid, "nothing changed");
    assert_eq!(supervisors(&id).len(), 1, "no second supervisor");
}

#[test]
fn name_in_use_says_which_container_holds_it() {
    let s = Env::new();
    let img = s.busybox();
    let id = run_d(&s, &["--name", "web", img, "sh", "-c", FOREVER]);
    let out = s.fails(&["run", "-d", "--name", "web", img, "true"], 125);
    assert!(out.stderr.contains("\"/web\""), "{out}");
    assert!(out.stderr.contains(&id), "names the holder {id}: {out}");
    assert_eq!(out.stdout, "", "{out}");
    assert_eq!(s.container_ids(), vec![id.clone()], "nothing changed");
    assert_eq!(status(&s, "web"), "running");
}

#[test]
fn twenty_run_d_at_once_all_come_up_with_unique_ids() {
    let s = Env::new();
    let img = s.busybox();
    let outs: Vec<Out> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..20)
            .map(|_| scope.spawn(|| s.run(&["run", "-d", img, "sh", "-c", FOREVER])))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut ids: Vec<String> = outs
        .iter()
        .map(|o| {
            assert_eq!(o.code, 0, "{o}");
            let id = o.stdout.trim().to_string();
            assert!(is_full_id(&id), "{o}");
            id
        })
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20, "unique ids");
    let mut listed: Vec<String> = s
        .ok(&["ps", "-q", "--no-trunc"])
        .lines()
        .map(String::from)
        .collect();
    listed.sort();
    assert_eq!(listed, ids, "all 20 running");
    let mut names: Vec<String> = ps_names(&s, &[]);
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 20, "unique names: {names:?}");
    for id in &ids {
        assert_eq!(supervisors(id).len(), 1, "one supervisor for {id}");
    }
    let mut args = vec!["rm", "-f"];
    args.extend(ids.iter().map(String::as_str));
    s.ok(&args);
    assert_eq!(s.ok(&["ps", "-aq"]), "");
    eventually(
        "no supervisor left",
        || ids.iter().flat_map(|i| supervisors(i)).collect::<Vec<_>>(),
        Vec::is_empty,
    );
}

#[test]
fn racing_run_d_for_one_name_only_one_wins() {
    let s = Env::new();
    let img = s.busybox();
    let outs: Vec<Out> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                scope.spawn(|| s.run(&["run", "-d", "--name", "same", img, "sh", "-c", FOREVER]))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<&Out> = outs.iter().filter(|o| o.code == 0).collect();
    assert_eq!(winners.len(), 1, "{outs:#?}");
    for o in outs.iter().filter(|o| o.code != 0) {
        assert_eq!(o.code, 125, "{o}");
        assert!(o.stderr.contains("already in use"), "{o}");
    }
    assert_eq!(ps_names(&s, &["-a"]), ["same"]);
    assert_eq!(s.container_ids().len(), 1, "the losers left no record");
}

// ---------------------------------------------------------------------------------------------
// as root

#[test]
fn as_root_detached_lifecycle() {
    let Some(s) = Env::root() else {
        eprintln!("skipped: the tests do not run as root");
        return;
    };
    let img = s.busybox();
    let id = run_d(
        &s,
        &[
            "--name",
            "web",
            img,
            "sh",
            "-c",
            &trap_script("TERM", "echo got TERM; exit 3"),
        ],
    );
    assert_eq!(supervisors(&id).len(), 1);
    wait_for_log(&s, "web", "ready\n");
    assert_eq!(s.ok(&["ps", "-q"]), format!("{}\n", &id[..12]));
    assert_eq!(
        s.ok(&["exec", "-u", "nobody", "web", "id", "-u"]),
        "65534\n"
    );
    assert_eq!(s.ok(&["exec", "web", "id", "-u"]), "0\n");
    s.ok(&["pause", "web"]);
    assert!(ps_status(&s, "web").unwrap().ends_with("(Paused)"));
    s.ok(&["unpause", "web"]);
    s.ok(&["stop", "web"]);
    assert_eq!(
        inspect_f(&s, "{{.State.Status}} {{.State.ExitCode}}", "web"),
        "exited 3"
    );
    assert!(logs(&s, &[], "web").stdout.contains("got TERM\n"));
    eventually("supervisor gone", || supervisors(&id), Vec::is_empty);
    // start -a follows the second run until `stop` ends it with the trap's code.
    let attached = s.spawn(&["start", "-a", "web"], false);
    wait_for_log(&s, "web", "ready\ngot TERM\nready\n");

    s.ok(&["stop", "web"]);
    let out = attached.wait(LIMIT);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (3, "ready\ngot TERM\n"),
        "{out}"
    );
    s.ok(&["start", "web"]);
    assert_eq!(supervisors(&id).len(), 1);
    s.ok(&["rm", "-f", "web"]);
    assert!(s.container_ids().is_empty());
}

#[test]
fn as_root_killed_supervisor_leaves_no_lie() {
    let Some(s) = Env::root() else {
        eprintln!("skipped: the tests do not run as root");
        return;
    };
    let img = s.busybox();
    let id = run_d(&s, &["--name", "victim", img, "sh", "-c", FOREVER]);
    let pid = pid_of(&s, "victim");
    unsafe { libc::kill(supervisors(&id)[0], libc::SIGKILL) };
    eventually("container gone", || alive(pid), |a| !a);
    eventually(
        "ps -a shows it exited",
        || ps_status(&s, "victim").unwrap_or_default(),
        |st| st.starts_with("Exited ("),
    );
    s.ok(&["rm", "victim"]);
}

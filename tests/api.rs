//! `skiff system service`: the Docker Engine API on a socket, driven by docker's own clients
//! (the docker CLI and Debian's python3-docker) as the test user, the way users point them at
//! skiff with DOCKER_HOST.

mod common;

use common::{run_command, Out, Skiff};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `skiff system service`, ended when dropped.
struct Service {
    child: Child,
    docker_host: String,
    socket: PathBuf,
}

impl Service {
    /// Starts the service on a socket in a fresh directory and waits for it to say where it
    /// serves (it says so only once it listens).
    fn start(s: &Skiff, extra: &[&str]) -> Service {
        let socket = s.tempdir().join("api.sock");
        let address = format!("unix://{}", socket.display());
        let mut args = vec!["system", "service"];
        args.extend_from_slice(extra);
        args.push(&address);
        Service::spawn(s.cmd(&args), socket)
    }

    fn spawn(mut cmd: Command, socket: PathBuf) -> Service {
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the service");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let docker_host = lines
            .find_map(|l| {
                l.ok()?
                    .strip_prefix("export DOCKER_HOST=")
                    .map(String::from)
            })
            .expect("the service says which DOCKER_HOST to export");
        Service {
            child,
            docker_host,
            socket,
        }
    }

    /// The docker CLI, as the test user, pointed at this service.
    fn docker(&self, s: &Skiff, args: &[&str]) -> Out {
        let mut cmd = s.as_user("docker");
        cmd.env("DOCKER_HOST", &self.docker_host).args(args);
        run_command(cmd, None)
    }

    #[track_caller]
    fn docker_ok(&self, s: &Skiff, args: &[&str]) -> String {
        let out = self.docker(s, args);
        assert_eq!(out.code, 0, "`docker {}` failed: {out}", args.join(" "));
        out.stdout
    }

    /// The docker CLI with `stdin` as its input.
    fn docker_stdin(&self, s: &Skiff, args: &[&str], stdin: &[u8]) -> Out {
        let mut cmd = s.as_user("docker");
        cmd.env("DOCKER_HOST", &self.docker_host).args(args);
        run_command(cmd, Some(stdin))
    }

    /// A python3-docker script with `client = docker.from_env()` already made.
    fn python(&self, s: &Skiff, script: &str) -> Out {
        let mut cmd = s.as_user("/usr/bin/python3");
        cmd.env("DOCKER_HOST", &self.docker_host)
            .arg("-c")
            .arg(format!(
                "import docker, sys\nclient = docker.from_env()\n{script}"
            ));
        run_command(cmd, None)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn docker_version_and_info_are_answered_by_skiff() {
    let s = Skiff::new();
    let service = Service::start(&s, &["--time", "0"]);
    let version = service.docker_ok(
        &s,
        &[
            "version",
            "--format",
            "{{.Server.Version}} {{.Server.APIVersion}} {{.Server.Os}}",
        ],
    );
    assert_eq!(
        version.trim(),
        format!("{} 1.44 linux", env!("CARGO_PKG_VERSION"))
    );
    let info = service.docker_ok(
        &s,
        &[
            "info",
            "--format",
            "{{.OSType}} {{.Driver}} {{.LoggingDriver}} {{.Containers}}",
        ],
    );
    assert_eq!(info.trim(), "linux overlay json-file 0");
}

#[test]
fn python_docker_reads_the_version() {
    let s = Skiff::new();
    let service = Service::start(&s, &["--time", "0"]);
    let out = service.python(
        &s,
        "v = client.version()\nprint(v['ApiVersion'], v['Os'], client.ping())",
    );
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout.trim(), "1.44 linux True");
}

#[test]
fn the_default_socket_is_the_users_alone() {
    let s = Skiff::new();
    let runtime = s.tempdir();
    let mut cmd = s.cmd(&["system", "service", "--time", "0"]);
    cmd.env("XDG_RUNTIME_DIR", &runtime);
    let socket = runtime.join("skiff/skiff.sock");
    let service = Service::spawn(cmd, socket.clone());
    assert_eq!(service.docker_host, format!("unix://{}", socket.display()));
    assert_eq!(mode(&socket), 0o600);
    assert_eq!(mode(socket.parent().unwrap()), 0o700);
    service.docker_ok(&s, &["version"]);
}

#[test]
fn the_service_leaves_once_idle_and_removes_its_socket() {
    let s = Skiff::new();
    let mut service = Service::start(&s, &["--time", "1"]);
    service.docker_ok(&s, &["version"]);
    let status = service.child.wait().unwrap();
    assert!(status.success(), "{status}");
    assert!(!service.socket.exists());
}

#[test]
fn a_socket_passed_by_systemd_is_served() {
    let s = Skiff::new();
    let dir = s.tempdir();
    let socket = dir.join("activated.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o666)).unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&listener);
    // systemd's protocol: the socket as fd 3, LISTEN_FDS=1 and LISTEN_PID naming the service
    // itself (the shell's pid, which exec keeps).
    let mut cmd = s.as_user("/bin/sh");
    cmd.arg("-c")
        .arg("LISTEN_PID=$$ LISTEN_FDS=1 exec \"$@\"")
        .arg("sh")
        .arg(s.bin())
        .args([
            "--root",
            s.root().to_str().unwrap(),
            "--runroot",
            s.runroot().to_str().unwrap(),
        ])
        .args(["system", "service", "--time", "0"]);
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
            // dup2 onto itself would keep close-on-exec: clear it by hand then.
            let passed = if fd == 3 {
                libc::fcntl(3, libc::F_SETFD, 0)
            } else {
                libc::dup2(fd, 3)
            };
            if passed < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let service = Service::spawn(cmd, socket.clone());
    drop(listener);
    assert_eq!(service.docker_host, format!("unix://{}", socket.display()));
    let version = service.docker_ok(&s, &["version", "--format", "{{.Server.APIVersion}}"]);
    assert_eq!(version.trim(), "1.44");
}

#[test]
fn tcp_is_served_on_loopback_only() {
    let s = Skiff::new();
    let refused = s.fails(&["system", "service", "tcp://0.0.0.0:0"], 125);
    assert!(refused.stderr.contains("loopback"), "{refused}");
    let mut cmd = s.cmd(&["system", "service", "--time", "0", "tcp://127.0.0.1:0"]);
    cmd.stderr(Stdio::piped());
    let mut service = Service::spawn(cmd, PathBuf::new());
    assert!(
        service.docker_host.starts_with("tcp://127.0.0.1:"),
        "{}",
        service.docker_host
    );
    service.docker_ok(&s, &["version"]);
    service.child.kill().unwrap();
    let mut warning = String::new();
    std::io::Read::read_to_string(service.child.stderr.as_mut().unwrap(), &mut warning).unwrap();
    assert!(warning.contains("anyone on this machine"), "{warning}");
}

/// `skiff ps -a` as `NAME STATE` lines, sorted.
fn skiff_states(s: &Skiff) -> Vec<String> {
    let out = s.ok(&["ps", "-a", "--format", "{{.Names}} {{.State}}"]);
    let mut lines: Vec<String> = out.lines().map(String::from).collect();
    lines.sort();
    lines
}

/// `skiff run -d busybox sh -c SCRIPT`; returns the container's id.
fn run_script(s: &Skiff, script: &str) -> String {
    let id = s.ok(&["run", "-d", s.busybox(), "sh", "-c", script]);
    id.trim().to_string()
}

fn sorted_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    lines
}

#[test]
fn docker_ps_and_inspect_see_what_skiff_made() {
    let s = Skiff::new();
    let image = s.busybox();
    s.ok(&[
        "create", "--name", "made", "--label", "team=a", image, "true",
    ]);
    s.ok(&["run", "-d", "--name", "runner", image, "sleep", "1000"]);
    let service = Service::start(&s, &["--time", "0"]);
    let all = service.docker_ok(
        &s,
        &["ps", "-a", "--format", "{{.Names}} {{.State}} {{.Image}}"],
    );
    assert_eq!(
        sorted_lines(&all),
        [
            format!("made created {image}"),
            format!("runner running {image}")
        ]
    );
    let running = service.docker_ok(&s, &["ps", "--format", "{{.Names}}"]);
    assert_eq!(running.trim(), "runner");
    // The docker CLI sends filters as {"label":{"team=a":true}}.
    let labelled = service.docker_ok(
        &s,
        &[
            "ps",
            "-a",
            "--filter",
            "label=team=a",
            "--format",
            "{{.Names}}",
        ],
    );
    assert_eq!(labelled.trim(), "made");
    let limited = service.docker_ok(&s, &["ps", "-a", "-n", "1", "--format", "{{.Names}}"]);
    assert_eq!(limited.trim(), "runner");
    let inspected = service.docker_ok(&s, &["inspect", "--format", "{{.Name}} {{.Config.Image}} {{.State.Status}} {{.HostConfig.LogConfig.Type}} {{.Config.Tty}}", "made"]);
    assert_eq!(
        inspected.trim(),
        format!("/made {image} created json-file false")
    );
    // docker-py sends them as {"label":["team=a"]}.
    let out = service.python(
        &s,
        "print(sorted(c.name for c in client.containers.list(all=True)))\nprint([c.name for c in client.containers.list(all=True, filters={'label': ['team=a']})])",
    );
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "['made', 'runner']\n['made']\n");
    s.ok(&["rm", "-f", "runner"]);
}

#[test]
fn docker_starts_stops_kills_and_removes_skiffs_containers() {
    let s = Skiff::new();
    let image = s.busybox();
    s.ok(&["create", "--name", "life", image, "sleep", "1000"]);
    let service = Service::start(&s, &["--time", "0"]);
    service.docker_ok(&s, &["start", "life"]);
    assert_eq!(skiff_states(&s), ["life running"]);
    // Starting a running container is nothing to do (304), not an error.
    service.docker_ok(&s, &["start", "life"]);
    service.docker_ok(&s, &["stop", "-t", "1", "life"]);
    assert_eq!(skiff_states(&s), ["life exited"]);
    let not_running = service.docker(&s, &["kill", "life"]);
    assert_ne!(not_running.code, 0);
    assert!(
        not_running.stderr.contains("is not running"),
        "{not_running}"
    );
    service.docker_ok(&s, &["restart", "life"]);
    assert_eq!(skiff_states(&s), ["life running"]);
    service.docker_ok(&s, &["kill", "life"]);
    let code = service.docker_ok(&s, &["inspect", "--format", "{{.State.ExitCode}}", "life"]);
    assert_eq!(code.trim(), "137");
    service.docker_ok(&s, &["start", "life"]);
    let refused = service.docker(&s, &["rm", "life"]);
    assert!(
        refused.stderr.contains("cannot remove a running container"),
        "{refused}"
    );
    service.docker_ok(&s, &["rm", "-f", "life"]);
    assert!(skiff_states(&s).is_empty());
}

#[test]
fn docker_wait_and_logs_read_a_container() {
    let s = Skiff::new();
    let id = run_script(&s, "echo out; echo err >&2; echo last; exit 3");
    let id = id.as_str();
    let service = Service::start(&s, &["--time", "0"]);
    assert_eq!(service.docker_ok(&s, &["wait", id]).trim(), "3");
    let logs = service.docker(&s, &["logs", id]);
    assert_eq!(
        (logs.code, logs.stdout.as_str(), logs.stderr.as_str()),
        (0, "out\nlast\n", "err\n")
    );
    // stdout and stderr reach the log through two pipes: which came last is not fixed.
    let tail = service.docker(&s, &["logs", "--tail", "1", id]);
    let last = format!("{}{}", tail.stdout, tail.stderr);
    assert!(last == "last\n" || last == "err\n", "{tail}");
    let stamped = service.docker_ok(&s, &["logs", "--timestamps", id]);
    assert!(
        stamped
            .lines()
            .all(|l| l.contains("Z out") || l.contains("Z last")),
        "{stamped}"
    );
}

#[test]
fn docker_logs_follows_a_running_container_until_it_exits() {
    let s = Skiff::new();
    let script = "echo one; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo two";
    let id = run_script(&s, script);
    let id = id.as_str();
    let service = Service::start(&s, &["--time", "0"]);
    let mut follow = s.as_user("docker");
    follow
        .env("DOCKER_HOST", &service.docker_host)
        .args(["logs", "-f", id])
        .stdout(Stdio::piped());
    let mut child = follow.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "one");
    s.ok(&["exec", id, "touch", "/tmp/go"]);
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert_eq!(rest, ["two"]);
    assert!(child.wait().unwrap().success());
}

#[test]
fn unknown_containers_are_named_as_docker_names_them() {
    let s = Skiff::new();
    let service = Service::start(&s, &["--time", "0"]);
    let out = service.docker(&s, &["start", "nope"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("No such container: nope"), "{out}");
    let out = service.python(
        &s,
        "try:\n    client.containers.get('nope')\nexcept docker.errors.NotFound as e:\n    print('NotFound', e.explanation)",
    );
    assert_eq!(
        out.stdout.trim(),
        "NotFound No such container: nope",
        "{out}"
    );
}

#[test]
fn docker_images_tag_and_rmi_work_on_skiffs_store() {
    let s = Skiff::new();
    let image = s.busybox();
    let id = s.ok(&["inspect", "--format", "{{.Id}}", image]);
    let id = id.trim();
    let service = Service::start(&s, &["--time", "0"]);
    let listed = service.docker_ok(&s, &["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert_eq!(listed.trim(), image);
    // A name with `/` and a port in it: the route is matched from its end.
    let long_name = "127.0.0.1:5000/team/box:1";
    service.docker_ok(&s, &["tag", image, long_name]);
    assert_eq!(
        s.ok(&["inspect", "--format", "{{.Id}}", long_name]).trim(),
        id
    );
    let inspected = service.docker_ok(
        &s,
        &["image", "inspect", "--format", "{{.Id}} {{.Os}}", long_name],
    );
    assert_eq!(inspected.trim(), format!("{id} linux"));
    let out = service.python(
        &s,
        "print(sorted(t for i in client.images.list() for t in i.tags))",
    );
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout.trim(), format!("['{long_name}', '{image}']"));
    // Filters, and a repository named: only the names they keep.
    let named = service.docker_ok(
        &s,
        &["images", "--format", "{{.Repository}}:{{.Tag}}", "busybox"],
    );
    assert_eq!(named.trim(), image);
    let globbed = service.docker_ok(
        &s,
        &[
            "images",
            "--format",
            "{{.Repository}}:{{.Tag}}",
            "--filter",
            "reference=*/team/*",
        ],
    );
    assert_eq!(globbed.trim(), long_name);
    let dangling = service.docker_ok(&s, &["images", "-q", "--filter", "dangling=true"]);
    assert_eq!(dangling, "");
    let out = service.docker(&s, &["images", "--filter", "shape=round"]);
    assert!(
        out.code != 0 && out.stderr.contains("invalid filter"),
        "{out}"
    );
    let untagged = service.docker_ok(&s, &["rmi", long_name]);
    assert_eq!(untagged.trim(), format!("Untagged: {long_name}"));
    s.ok(&["create", "--name", "user", image, "true"]);
    let refused = service.docker(&s, &["rmi", image]);
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("conflict"), "{refused}");
    s.ok(&["rm", "user"]);
    let removed = service.docker_ok(&s, &["rmi", image]);
    assert_eq!(removed, format!("Untagged: {image}\nDeleted: {id}\n"));
    assert_eq!(s.ok(&["images", "-q"]), "");
    let missing = service.docker(&s, &["image", "inspect", image]);
    assert!(missing.stderr.contains("No such image"), "{missing}");
}

#[test]
fn docker_push_and_pull_go_through_a_registry_with_progress() {
    let registry = std::env::var("SKIFF_TEST_REGISTRY")
        .expect("SKIFF_TEST_REGISTRY: the local registry .ci/run starts");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let repo = format!(
        "{registry}/skiff-tests/api-{}-{nanos:x}/box",
        std::process::id()
    );
    let reference = format!("{repo}:1");
    let pusher = Skiff::new();
    let pushing = Service::start(&pusher, &["--time", "0"]);
    pushing.docker_ok(&pusher, &["tag", pusher.busybox(), &reference]);
    let pushed = pushing.docker_ok(&pusher, &["push", &reference]);
    assert!(pushed.contains(": Pushed"), "{pushed}");
    assert!(pushed.contains("1: digest: sha256:"), "{pushed}");
    let missing = pushing.docker(&pusher, &["push", &format!("{repo}:absent")]);
    assert!(
        missing.code != 0 && missing.stderr.contains("No such image"),
        "{missing}"
    );

    let s = Skiff::new();
    let service = Service::start(&s, &["--time", "0"]);
    let pulled = service.docker_ok(&s, &["pull", &reference]);
    assert!(pulled.contains("Pull complete"), "{pulled}");
    assert!(
        pulled.contains(&format!("Status: Downloaded newer image for {reference}")),
        "{pulled}"
    );
    assert_eq!(
        s.ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
            .trim(),
        reference
    );
    let again = service.docker_ok(&s, &["pull", &reference]);
    assert!(
        again.contains(&format!("Status: Image is up to date for {reference}")),
        "{again}"
    );
    // The SDK reads the same JSON lines.
    let out = service.python(
        &s,
        &format!("print(client.images.pull('{repo}', tag='1').tags)"),
    );
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout.trim(), format!("['{reference}']"));
    // A failure after the stream began travels inside it.
    let missing = service.docker(&s, &["pull", &format!("{repo}-missing:1")]);
    assert_ne!(missing.code, 0, "{missing}");
    assert!(missing.stderr.contains("cannot pull"), "{missing}");
}

#[test]
fn a_follower_that_hangs_up_ends_only_its_stream() {
    let s = Skiff::new();
    let id = run_script(&s, "echo ready; exec sleep 1000");
    let id = id.as_str();
    let mut service = Service::start(&s, &["--time", "1"]);
    let mut follow = s.as_user("docker");
    follow
        .env("DOCKER_HOST", &service.docker_host)
        .args(["logs", "-f", id])
        .stdout(Stdio::piped());
    let mut client = follow.spawn().unwrap();
    let mut lines = BufReader::new(client.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    client.kill().unwrap();
    client.wait().unwrap();
    // The follower's stream ended with its client although the container said nothing more:
    // with no client left, the service leaves once idle.
    assert!(service.child.wait().unwrap().success());
    assert_eq!(
        s.ok(&["inspect", "--format", "{{.State.Status}}", id])
            .trim(),
        "running"
    );
    s.ok(&["rm", "-f", id]);
}

#[test]
fn twenty_clients_are_served_at_once() {
    let s = Skiff::new();
    let image = s.busybox();
    let id = s.ok(&["run", "-d", image, "sleep", "1000"]);
    let id = id.trim();
    let service = Service::start(&s, &["--time", "0"]);
    let waiters: Vec<Child> = (0..20)
        .map(|_| {
            let mut cmd = s.as_user("docker");
            cmd.env("DOCKER_HOST", &service.docker_host)
                .args(["wait", id])
                .stdout(Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    // Twenty connections wait; another client is still answered, and ends them all.
    service.docker_ok(&s, &["version"]);
    service.docker_ok(&s, &["kill", id]);
    for waiter in waiters {
        let out = waiter.wait_with_output().unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "137");
    }
}

#[test]
fn docker_events_reads_skiffs_journal() {
    let s = Skiff::new();
    let image = s.busybox();
    s.ok(&["create", "--name", "ev", image, "true"]);
    s.ok(&["create", "--name", "other", image, "true"]);
    s.ok(&["rm", "ev"]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let until = format!("{}.{:09}", now.as_secs(), now.subsec_nanos());
    let service = Service::start(&s, &["--time", "0"]);
    let out = service.docker_ok(
        &s,
        &[
            "events",
            "--since",
            "0",
            "--until",
            &until,
            "--filter",
            "container=ev",
            "--format",
            "{{.Status}} {{.Type}} {{.Actor.Attributes.name}}",
        ],
    );
    assert_eq!(out, "create container ev\ndestroy container ev\n");
}

#[test]
fn docker_run_shows_the_output_and_exit_code_and_removes_the_container() {
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    let script = "echo out; echo err >&2; exit 3";
    let out = service.docker(&s, &["run", "--rm", image, "sh", "-c", script]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (3, "out\n", "err\n"),
        "{out}"
    );
    assert!(skiff_states(&s).is_empty());
    // Made through the API, seen by skiff: the same containers.
    service.docker_ok(
        &s,
        &[
            "run", "--name", "kept", "-e", "A=1", image, "sh", "-c", "echo $A",
        ],
    );
    assert_eq!(skiff_states(&s), ["kept exited"]);
    assert_eq!(s.ok(&["logs", "kept"]), "1\n");
    // With a terminal the stream is the terminal's bytes, not frames.
    let out = service.docker_ok(&s, &["run", "--rm", "-t", image, "echo", "hi"]);
    assert_eq!(out, "hi\r\n");
}

#[test]
fn docker_run_i_feeds_stdin_until_its_end() {
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    let out = service.docker_stdin(
        &s,
        &["run", "--rm", "-i", image, "sh", "-c", "cat; echo done"],
        b"line 1\nline 2\n",
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "line 1\nline 2\ndone\n"),
        "{out}"
    );
}

#[test]
fn docker_run_it_gives_a_terminal_of_the_clients_size() {
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    let line = format!(
        "stty rows 30 cols 100; DOCKER_HOST={} exec docker run -it --rm {image} sh",
        common::shell_quote(&service.docker_host)
    );
    let Some(mut term) = s.spawn_in_pty_line(&line) else {
        eprintln!("skipped: util-linux script is not installed");
        return;
    };
    let limit = Duration::from_secs(30);
    assert!(
        term.wait_for_stdout("# ", limit),
        "the prompt: {}",
        term.stdout_so_far()
    );
    term.write(b"stty size; exit 7\n");
    assert!(
        term.wait_for_stdout("30 100", limit),
        "the size: {}",
        term.stdout_so_far()
    );
    assert_eq!(term.wait(limit).code, 7);
    assert!(skiff_states(&s).is_empty());
}

#[test]
fn docker_exec_runs_commands_in_a_running_container() {
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    s.ok(&["run", "-d", "--name", "web", image, "sleep", "1000"]);
    let out = service.docker(
        &s,
        &[
            "exec",
            "-e",
            "A=1",
            "-w",
            "/tmp",
            "web",
            "sh",
            "-c",
            "echo $A; pwd; echo err >&2; exit 4",
        ],
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (4, "1\n/tmp\n", "err\n"),
        "{out}"
    );
    let out = service.docker_stdin(
        &s,
        &["exec", "-i", "web", "sh", "-c", "cat; echo done"],
        b"line\n",
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "line\ndone\n"),
        "{out}"
    );
    assert_eq!(service.docker(&s, &["exec", "web", "nosuch"]).code, 127);
    service.docker_ok(
        &s,
        &["exec", "-d", "web", "sh", "-c", "echo bg > /tmp/made"],
    );
    let made = (0..100).find_map(|_| {
        std::thread::sleep(Duration::from_millis(50));
        Some(s.run(&["exec", "web", "cat", "/tmp/made"])).filter(|o| o.success())
    });
    assert_eq!(made.map(|o| o.stdout).as_deref(), Some("bg\n"));
    let out = service.python(
        &s,
        "print(client.containers.get('web').exec_run(['sh', '-c', 'echo hi; exit 3']))",
    );
    assert_eq!(
        out.stdout, "ExecResult(exit_code=3, output=b'hi\\n')\n",
        "{out}"
    );
    let line = format!(
        "stty rows 30 cols 100; DOCKER_HOST={} exec docker exec -it web sh",
        common::shell_quote(&service.docker_host)
    );
    if let Some(mut term) = s.spawn_in_pty_line(&line) {
        let limit = Duration::from_secs(30);
        assert!(
            term.wait_for_stdout("# ", limit),
            "the prompt: {}",
            term.stdout_so_far()
        );
        term.write(b"stty size; exit 6\n");
        assert!(
            term.wait_for_stdout("30 100", limit),
            "the size: {}",
            term.stdout_so_far()
        );
        assert_eq!(term.wait(limit).code, 6);
    }
    s.ok(&["stop", "-t", "0", "web"]);
    let out = service.docker(&s, &["exec", "web", "true"]);
    assert!(
        out.code != 0 && out.stderr.contains("is not running"),
        "{out}"
    );
    let out = service.docker(&s, &["exec", "nosuch", "true"]);
    assert!(out.stderr.contains("No such container: nosuch"), "{out}");
}

#[test]
fn docker_volume_commands_work_on_skiffs_volumes() {
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    service.docker_ok(&s, &["volume", "create", "--label", "team=a", "data"]);
    assert_eq!(
        s.ok(&["volume", "inspect", "--format", "{{.Labels.team}}", "data"]),
        "a\n"
    );
    s.ok(&["volume", "create", "other"]);
    let listed = service.docker_ok(&s, &["volume", "ls", "-q", "--filter", "label=team=a"]);
    assert_eq!(listed, "data\n");
    let shown = service.docker_ok(
        &s,
        &[
            "volume",
            "inspect",
            "--format",
            "{{.Name}} {{.Driver}} {{.Mountpoint}}",
            "other",
        ],
    );
    assert_eq!(
        shown,
        s.ok(&[
            "volume",
            "inspect",
            "--format",
            "{{.Name}} {{.Driver}} {{.Mountpoint}}",
            "other"
        ])
    );
    // Made through the API, used by skiff: the same volume.
    service.docker_ok(
        &s,
        &[
            "run",
            "--rm",
            "-v",
            "data:/data",
            image,
            "sh",
            "-c",
            "echo kept > /data/f",
        ],
    );
    assert_eq!(
        s.ok(&["run", "--rm", "-v", "data:/data", image, "cat", "/data/f"]),
        "kept\n"
    );
    s.ok(&[
        "create",
        "--name",
        "user",
        "-v",
        "data:/data",
        image,
        "true",
    ]);
    let out = service.docker(&s, &["volume", "rm", "data"]);
    assert!(
        out.code != 0 && out.stderr.contains("volume is in use"),
        "{out}"
    );
    let dangling = service.docker_ok(&s, &["volume", "ls", "-q", "--filter", "dangling=true"]);
    assert_eq!(dangling, "other\n");
    s.ok(&["rm", "user"]);
    service.docker_ok(&s, &["volume", "rm", "data", "other"]);
    assert_eq!(s.ok(&["volume", "ls", "-q"]), "");
    let out = service.docker(&s, &["volume", "inspect", "data"]);
    assert!(
        out.code != 0 && out.stderr.contains("No such volume"),
        "{out}"
    );
    let out = service.docker(&s, &["volume", "create", "-d", "nfs", "x"]);
    assert!(
        out.code != 0 && out.stderr.contains("only the local driver"),
        "{out}"
    );
}

#[test]
fn docker_create_and_run_d_make_what_skiff_runs() {
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    let id = service.docker_ok(
        &s,
        &[
            "create",
            "--name",
            "made",
            "--label",
            "team=a",
            "--restart",
            "on-failure:2",
            "-w",
            "/tmp",
            "--memory",
            "64m",
            image,
            "sh",
            "-c",
            "pwd; sleep 1000",
        ],
    );
    assert_eq!(id.trim().len(), 64, "{id}");
    let inspected = s.ok(&["inspect", "--format", "{{.Config.Labels.team}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.HostConfig.Memory}}", "made"]);
    assert_eq!(inspected.trim(), "a on-failure 2 67108864");
    s.ok(&["start", "made"]);
    service.docker_ok(&s, &["rm", "-f", "made"]);
    let id = service.docker_ok(
        &s,
        &[
            "run",
            "-d",
            "--name",
            "web",
            "-p",
            "127.0.0.1::80",
            image,
            "sleep",
            "1000",
        ],
    );
    assert_eq!(skiff_states(&s), ["web running"]);
    let port = s.ok(&["port", "web", "80"]);
    assert!(port.starts_with("127.0.0.1:"), "{port}");
    s.ok(&["rm", "-f", id.trim()]);
    // A name in use is docker's conflict, and nothing is made.
    s.ok(&["create", "--name", "taken", image, "true"]);
    let out = service.docker(&s, &["create", "--name", "taken", image, "true"]);
    assert!(out.stderr.contains("is already in use"), "{out}");
    assert_eq!(skiff_states(&s), ["taken created"]);
    // As are flags skiff refuses.
    let out = service.docker(&s, &["create", "--ipc", "bogus", image, "true"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("bogus"), "{out}");
    assert_eq!(skiff_states(&s), ["taken created"]);
}

#[test]
fn python_docker_runs_containers() {
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    let script = format!(
        "print(client.containers.run('{image}', ['sh', '-c', 'echo hi; echo $A'], environment={{'A': 'b'}}, remove=True))
c = client.containers.run('{image}', 'sleep 1000', detach=True, name='bg', labels={{'k': 'v'}})
print(c.status, client.containers.get('bg').labels)
c.remove(force=True)
c = client.containers.run('{image}', ['sh', '-c', 'echo one; sleep 0.3; echo two'], detach=True)
print([line.decode().strip() for line in c.logs(stream=True, follow=True)])
c.remove()
try:
    client.containers.create('nosuch:1')
except docker.errors.ImageNotFound as e:
    print('not found')"
    );
    let out = service.python(&s, &script);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        out.stdout,
        "b'hi\\nb\\n'\ncreated {'k': 'v'}\n['one', 'two']\nnot found\n"
    );
    assert!(skiff_states(&s).is_empty());
}

#[test]
fn docker_network_commands_work_on_skiffs_networks() {
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    let id = service.docker_ok(
        &s,
        &[
            "network",
            "create",
            "--label",
            "team=a",
            "--subnet",
            "10.91.0.0/24",
            "appnet",
        ],
    );
    assert_eq!(
        s.ok(&[
            "network",
            "inspect",
            "-f",
            "{{.Id}} {{.Labels.team}}",
            "appnet"
        ]),
        format!("{} a\n", id.trim())
    );
    s.ok(&["network", "create", "other"]);
    let listed = service.docker_ok(&s, &["network", "ls", "-q", "--filter", "label=team=a"]);
    assert_eq!(listed.trim(), &id.trim()[..12]);
    let names = service.docker_ok(&s, &["network", "ls", "--format", "{{.Name}}"]);
    assert_eq!(
        sorted_lines(&names),
        ["appnet", "bridge", "host", "none", "other"]
    );
    let out = service.docker(&s, &["network", "create", "appnet"]);
    assert!(
        out.code != 0 && out.stderr.contains("already exists"),
        "{out}"
    );

    // Containers run through the API find each other on the network by name and alias.
    let script = "mkdir -p /www && echo from-db > /www/index.html && exec httpd -f -p 80 -h /www";
    service.docker_ok(
        &s,
        &[
            "run",
            "-d",
            "--name",
            "db",
            "--network",
            "appnet",
            "--network-alias",
            "database",
            image,
            "sh",
            "-c",
            script,
        ],
    );
    let fetch =
        "for i in $(seq 50); do wget -q -O- http://database/ && exit 0; sleep 0.2; done; exit 1";
    let fetched = service.docker_ok(
        &s,
        &[
            "run",
            "--rm",
            "--network",
            "appnet",
            image,
            "sh",
            "-c",
            fetch,
        ],
    );
    assert_eq!(fetched, "from-db\n");
    let members = service.docker_ok(
        &s,
        &[
            "network",
            "inspect",
            "-f",
            "{{range .Containers}}{{.Name}} {{.IPv4Address}}{{end}}",
            "appnet",
        ],
    );
    assert!(members.starts_with("db 10.91.0."), "{members}");

    // A running container joins and leaves a second network.
    service.docker_ok(
        &s,
        &["network", "connect", "--alias", "store", "other", "db"],
    );
    let joined = s.ok(&[
        "inspect",
        "-f",
        "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
        "db",
    ]);
    assert_eq!(joined.trim(), "appnet other");
    let fetched = s.ok(&[
        "run",
        "--rm",
        "--network",
        "other",
        image,
        "sh",
        "-c",
        &fetch.replace("database", "store"),
    ]);
    assert_eq!(fetched, "from-db\n");
    service.docker_ok(&s, &["network", "disconnect", "other", "db"]);
    let joined = s.ok(&[
        "inspect",
        "-f",
        "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
        "db",
    ]);
    assert_eq!(joined.trim(), "appnet");

    // In use, predefined, or missing: refused as docker refuses.
    let out = service.docker(&s, &["network", "rm", "appnet"]);
    assert!(
        out.code != 0 && out.stderr.contains("active endpoints"),
        "{out}"
    );
    let out = service.docker(&s, &["network", "rm", "bridge"]);
    assert!(out.code != 0 && out.stderr.contains("pre-defined"), "{out}");
    let out = service.docker(&s, &["network", "inspect", "nowhere"]);
    assert!(out.code != 0 && out.stderr.contains("not found"), "{out}");

    let pruned = service.docker_ok(&s, &["network", "prune", "-f"]);
    assert_eq!(pruned, "Deleted Networks:\nother\n\n");
    s.ok(&["rm", "-f", "db"]);
    service.docker_ok(&s, &["network", "rm", "appnet"]);
    assert_eq!(
        s.ok(&["network", "ls", "-q", "--filter", "type=custom"]),
        ""
    );
}

#[test]
fn docker_renames_pauses_and_lists_the_processes_of_a_container() {
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    s.ok(&["run", "-d", "--name", "first", image, "sleep", "1000"]);
    service.docker_ok(&s, &["rename", "first", "second"]);
    assert_eq!(skiff_states(&s), ["second running"]);
    s.ok(&["create", "--name", "other", image, "true"]);
    let out = service.docker(&s, &["rename", "second", "other"]);
    assert!(
        out.code != 0 && out.stderr.contains("already in use"),
        "{out}"
    );

    let table = service.docker_ok(&s, &["top", "second"]);
    let mut lines = table.lines();
    let titles: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        titles,
        ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    );
    assert!(lines.any(|l| l.ends_with("sleep 1000")), "{table}");
    let out = service.docker(&s, &["top", "other"]);
    assert!(
        out.code != 0 && out.stderr.contains("is not running"),
        "{out}"
    );

    service.docker_ok(&s, &["pause", "second"]);
    assert_eq!(
        s.ok(&[
            "inspect",
            "-f",
            "{{.State.Status}} {{.State.Paused}}",
            "second"
        ]),
        "paused true\n"
    );
    let out = service.docker(&s, &["pause", "second"]);
    assert!(
        out.code != 0 && out.stderr.contains("already paused"),
        "{out}"
    );
    service.docker_ok(&s, &["unpause", "second"]);
    assert_eq!(
        s.ok(&["inspect", "-f", "{{.State.Status}}", "second"]),
        "running\n"
    );
    let out = service.docker(&s, &["unpause", "second"]);
    assert!(
        out.code != 0 && out.stderr.contains("is not paused"),
        "{out}"
    );
    s.ok(&["rm", "-f", "second", "other"]);
}

/// A port on the host's loopback that nothing listens on, just now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn docker_compose_brings_a_project_up_and_down() {
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    let port = free_port();
    let project = s.write_file(
        "app/docker-compose.yml",
        format!(
            r#"version: "3.7"
services:
  web:
    image: {image}
    command: sh -c "mkdir -p /www && echo from-web > /www/index.html && exec httpd -f -p 80 -h /www"
    ports: ["127.0.0.1:{port}:80"]
    volumes: ["data:/data"]
    stop_grace_period: 1s
  client:
    image: {image}
    command: sh -c 'until wget -q -O- http://web/; do sleep 0.2; done; echo seen > /data/mark; exec sleep 1000'
    depends_on: [web]
    volumes: ["data:/data"]
    stop_grace_period: 1s
volumes:
  data: {{}}
"#
        )
        .as_bytes(),
    );
    let dir = project.parent().unwrap().to_path_buf();
    let compose = |args: &[&str]| {
        let mut cmd = s.as_user("docker-compose");
        cmd.current_dir(&dir)
            .env("DOCKER_HOST", &service.docker_host)
            .args(["-p", "app"])
            .args(args);
        let out = run_command(cmd, None);
        assert_eq!(
            out.code,
            0,
            "`docker-compose {}` failed: {out}",
            args.join(" ")
        );
        out
    };
    compose(&["up", "-d"]);
    assert_eq!(
        skiff_states(&s),
        ["app_client_1 running", "app_web_1 running"]
    );
    // The client reached the web service by its name, and wrote to the shared volume.
    let mut marked = String::new();
    for _ in 0..100 {
        marked = s.run(&["exec", "app_web_1", "cat", "/data/mark"]).stdout;
        if !marked.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(marked, "seen\n");
    let logs = compose(&["logs", "--no-color", "client"]).stdout;
    assert!(logs.contains("client_1  | from-web"), "{logs}");
    let mut page = String::new();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    std::io::Write::write_all(&mut stream, b"GET / HTTP/1.0\r\n\r\n").unwrap();
    std::io::Read::read_to_string(&mut stream, &mut page).unwrap();
    assert!(page.ends_with("from-web\n"), "{page}");
    let ps = compose(&["ps"]).stdout;
    assert!(ps.contains(&format!("127.0.0.1:{port}->80/tcp")), "{ps}");
    let exec = compose(&["exec", "-T", "web", "cat", "/www/index.html"]).stdout;
    assert_eq!(exec, "from-web\n");
    assert_eq!(
        s.ok(&["network", "ls", "-q", "--filter", "name=app_default"])
            .lines()
            .count(),
        1
    );
    assert_eq!(s.ok(&["volume", "ls", "-q"]), "app_data\n");

    // A changed service is recreated; the other stays as it was.
    let client_id = s.ok(&["inspect", "-f", "{{.Id}}", "app_client_1"]);
    let changed = std::fs::read_to_string(&project)
        .unwrap()
        .replace("echo from-web", "echo from-new-web");
    std::fs::write(&project, changed).unwrap();
    compose(&["up", "-d"]);
    assert_eq!(
        skiff_states(&s),
        ["app_client_1 running", "app_web_1 running"]
    );
    assert_eq!(
        s.ok(&["inspect", "-f", "{{.Id}}", "app_client_1"]),
        client_id
    );
    let exec = compose(&["exec", "-T", "web", "cat", "/www/index.html"]).stdout;
    assert_eq!(exec, "from-new-web\n");

    compose(&["down", "-v"]);
    assert_eq!(skiff_states(&s), Vec::<String>::new());
    assert_eq!(
        s.ok(&["network", "ls", "-q", "--filter", "type=custom"]),
        ""
    );
    assert_eq!(s.ok(&["volume", "ls", "-q"]), "");
}

#[test]
fn docker_build_and_python_docker_build_images_from_a_context() {
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    let dockerfile = format!(
        "FROM {image}\nARG WHO=nobody\nCOPY hello.txt /hello.txt\nRUN echo built by $WHO > /who\nCMD cat /hello.txt /who\n"
    );
    let context = s.write_file("ctx/Dockerfile", dockerfile.as_bytes());
    let context = context.parent().unwrap();
    s.write_file("ctx/hello.txt", b"hello-file\n");
    s.write_file(
        "ctx/bad.Dockerfile",
        format!("FROM {image}\nRUN echo oops; exit 3\n").as_bytes(),
    );
    let context_arg = context.to_str().unwrap();
    let built = service.docker_ok(
        &s,
        &[
            "build",
            "-t",
            "app:1",
            "--build-arg",
            "WHO=api",
            context_arg,
        ],
    );
    assert!(
        built.contains("Step 4/5 : RUN echo built by $WHO"),
        "{built}"
    );
    assert!(built.contains("Successfully tagged app:1"), "{built}");
    assert_eq!(
        s.ok(&["run", "--rm", "app:1"]),
        "hello-file\nbuilt by api\n"
    );
    // Quiet, the build says only the new image's id.
    let quiet = service.docker_ok(&s, &["build", "-q", context_arg]);
    assert!(
        quiet.starts_with("sha256:") && quiet.lines().count() == 1,
        "{quiet}"
    );
    assert_eq!(
        s.ok(&["run", "--rm", quiet.trim()]),
        "hello-file\nbuilt by nobody\n"
    );
    let failed = service.docker(
        &s,
        &[
            "build",
            "-f",
            &format!("{context_arg}/bad.Dockerfile"),
            context_arg,
        ],
    );
    assert_eq!(failed.code, 1, "{failed}");
    assert!(failed.stdout.contains("oops"), "{failed}");
    assert!(failed.stderr.contains("exit code 3"), "{failed}");
    let out = service.python(
        &s,
        &format!(
            "image, logs = client.images.build(path={context_arg:?}, tag='py:1', buildargs={{'WHO': 'py'}})\n\
             print(image.tags)\n\
             print(client.containers.run('py:1', remove=True).decode(), end='')"
        ),
    );
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "['py:1']\nhello-file\nbuilt by py\n");
}

#[test]
fn docker_cp_copies_in_and_out_of_running_and_stopped_containers() {
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    s.ok(&[
        "run",
        "-d",
        "--name",
        "box",
        image,
        "sh",
        "-c",
        "mkdir -p /srv/d && echo inside > /srv/d/f && ln -s /srv/d/f /srv/link && exec sleep 1000",
    ]);
    for _ in 0..100 {
        if s.run(&["exec", "box", "test", "-L", "/srv/link"]).code == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = s.tempdir();
    let host = |name: &str| out.join(name).to_str().unwrap().to_string();
    let dest = format!("{}/", host(""));
    // Out: a directory into a directory, a file under a new name, a link as a link.
    service.docker_ok(&s, &["cp", "box:/srv/d", &dest]);
    assert_eq!(
        std::fs::read_to_string(out.join("d/f")).unwrap(),
        "inside\n"
    );
    service.docker_ok(&s, &["cp", "box:/srv/d/f", &host("renamed")]);
    assert_eq!(
        std::fs::read_to_string(out.join("renamed")).unwrap(),
        "inside\n"
    );
    service.docker_ok(&s, &["cp", "box:/srv/link", &dest]);
    assert_eq!(
        std::fs::read_link(out.join("link")).unwrap(),
        Path::new("/srv/d/f")
    );
    // In: into a directory, and as a new name.
    let file = s.write_file("hostfile", b"from-host\n");
    let file = file.to_str().unwrap();
    service.docker_ok(&s, &["cp", file, "box:/srv/"]);
    service.docker_ok(&s, &["cp", file, "box:/srv/newname"]);
    assert_eq!(
        s.ok(&["exec", "box", "cat", "/srv/hostfile", "/srv/newname"]),
        "from-host\nfrom-host\n"
    );
    // What is missing or in the way is said as docker says it.
    let failed = service.docker(&s, &["cp", "box:/nope", &dest]);
    assert!(
        failed.code != 0
            && failed
                .stderr
                .contains("Could not find the file /nope in container box"),
        "{failed}"
    );
    let failed = service.docker(&s, &["cp", file, "box:/nodir/x"]);
    assert!(
        failed.code != 0 && failed.stderr.contains("Could not find the file /nodir"),
        "{failed}"
    );
    let failed = service.docker(&s, &["cp", file, "box:/srv/hostfile/x"]);
    assert!(
        failed.code != 0 && failed.stderr.contains("not a directory"),
        "{failed}"
    );
    // A stopped container's files, both ways.
    s.ok(&["stop", "-t", "0", "box"]);
    service.docker_ok(&s, &["cp", file, "box:/srv/later"]);
    service.docker_ok(&s, &["cp", "box:/srv/later", &host("later")]);
    assert_eq!(
        std::fs::read_to_string(out.join("later")).unwrap(),
        "from-host\n"
    );
    s.ok(&["rm", "box"]);
}

#[test]
fn docker_prunes_what_skiff_prunes() {
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    let stopped = s.ok(&["create", "--label", "keep=no", "-v", "/anon", image, "true"]);
    let kept = s.ok(&["create", "--label", "keep=yes", image, "true"]);
    s.ok(&["run", "-d", "--name", "up", image, "sleep", "1000"]);
    let pruned = service.docker_ok(
        &s,
        &["container", "prune", "-f", "--filter", "label=keep=no"],
    );
    assert!(
        pruned.starts_with(&format!("Deleted Containers:\n{}", stopped.trim())),
        "{pruned}"
    );
    let mut left = s
        .ok(&["ps", "-aq", "--no-trunc"])
        .lines()
        .map(String::from)
        .collect::<Vec<_>>();
    left.sort();
    let mut expected = vec![
        kept.trim().to_string(),
        s.ok(&["inspect", "-f", "{{.Id}}", "up"]).trim().to_string(),
    ];
    expected.sort();
    assert_eq!(left, expected);
    // Anonymous volumes go by default, named ones with --all.
    s.ok(&["volume", "create", "named"]);
    let pruned = service.docker_ok(&s, &["volume", "prune", "-f"]);
    assert!(
        pruned.starts_with("Deleted Volumes:\n") && !pruned.contains("named"),
        "{pruned}"
    );
    assert_eq!(s.ok(&["volume", "ls", "-q"]), "named\n");
    service.docker_ok(&s, &["volume", "prune", "-af"]);
    assert_eq!(s.ok(&["volume", "ls", "-q"]), "");
    // Images: dangling ones, then with -a every unused one; the running container's stays.
    let dockerfile = s.write_file(
        "Dockerfile",
        format!("FROM {image}\nLABEL made=here\n").as_bytes(),
    );
    s.ok(&[
        "build",
        "-t",
        "other:1",
        dockerfile.parent().unwrap().to_str().unwrap(),
    ]);
    let out = service.docker(&s, &["image", "prune", "-af"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains("untagged: other:1\ndeleted: sha256:"),
        "{out}"
    );
    assert_eq!(
        s.ok(&["images", "--format", "{{.Repository}}:{{.Tag}}"]),
        format!("{image}\n")
    );
    let bad = service.docker(&s, &["container", "prune", "-f", "--filter", "color=blue"]);
    assert!(
        bad.code != 0 && bad.stderr.contains("invalid filter"),
        "{bad}"
    );
    s.ok(&["rm", "-f", "up", kept.trim()]);
}

#[test]
fn docker_commits_diffs_exports_saves_loads_and_updates() {
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    s.ok(&[
        "run",
        "-d",
        "--name",
        "work",
        image,
        "sh",
        "-c",
        "echo x > /newfile; rm /bin/ls; touch /ready; exec sleep 1000",
    ]);
    for _ in 0..100 {
        if s.run(&["exec", "work", "test", "-e", "/ready"]).code == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let diff = service.docker_ok(&s, &["diff", "work"]);
    assert_eq!(
        sorted_lines(&diff),
        ["A /newfile", "A /ready", "C /bin", "D /bin/ls"]
    );
    let id = service.docker_ok(
        &s,
        &[
            "commit",
            "-m",
            "saved",
            "-c",
            "ENV STAGE=committed",
            "work",
            "made:1",
        ],
    );
    assert_eq!(s.ok(&["image", "inspect", "-f", "{{.Id}}", "made:1"]), id);
    assert_eq!(
        s.ok(&[
            "run",
            "--rm",
            "made:1",
            "sh",
            "-c",
            "cat /newfile; echo $STAGE"
        ]),
        "x\ncommitted\n"
    );
    let history = service.docker_ok(
        &s,
        &["history", "--format", "{{.Comment}}|{{.ID}}", "made:1"],
    );
    assert!(
        history.starts_with(&format!("saved|{}", &id.trim()[7..19])),
        "{history}"
    );
    assert_eq!(
        history.lines().count(),
        s.ok(&["history", "-q", "made:1"]).lines().count()
    );

    let listing = s.tempdir().join("export.tar");
    service.docker_ok(&s, &["export", "-o", listing.to_str().unwrap(), "work"]);
    let names = tar_names(&listing);
    assert!(
        names.contains(&"newfile".to_string()) && !names.contains(&"bin/ls".to_string()),
        "{names:?}"
    );

    let saved = s.tempdir().join("saved.tar");
    service.docker_ok(&s, &["save", "-o", saved.to_str().unwrap(), "made:1"]);
    s.ok(&["rmi", "made:1"]);
    let loaded = service.docker_ok(&s, &["load", "-i", saved.to_str().unwrap()]);
    assert_eq!(loaded, "Loaded image: made:1\n");
    assert_eq!(s.ok(&["image", "inspect", "-f", "{{.Id}}", "made:1"]), id);

    service.docker_ok(&s, &["update", "--restart", "on-failure:3", "work"]);
    assert_eq!(
        s.ok(&[
            "inspect",
            "-f",
            "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}",
            "work"
        ]),
        "on-failure 3\n"
    );
    let swarm = service.docker(&s, &["service", "ls"]);
    assert!(
        swarm.code != 0 && swarm.stderr.contains("not a swarm manager"),
        "{swarm}"
    );
    s.ok(&["rm", "-f", "work"]);
}

/// The names in a tar file, without a leading `./` or trailing `/`.
fn tar_names(path: &Path) -> Vec<String> {
    let out = Command::new("tar").arg("-tf").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_start_matches("./").trim_end_matches('/').to_string())
        .collect()
}

#[test]
fn docker_stats_samples_a_running_container() {
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    s.ok(&[
        "run",
        "-d",
        "--name",
        "busy",
        image,
        "sh",
        "-c",
        "while true; do :; done",
    ]);
    let table = service.docker_ok(
        &s,
        &[
            "stats",
            "--no-stream",
            "--format",
            "{{.Name}} {{.PIDs}} {{.CPUPerc}}",
            "busy",
        ],
    );
    let fields: Vec<&str> = table.split_whitespace().collect();
    assert_eq!(fields[..2], ["busy", "1"], "{table}");
    let cpu: f64 = fields[2].trim_end_matches('%').parse().unwrap();
    assert!(cpu > 0.0, "{table}");
    // The SDK's one sample and its stream, whose second sample knows the first.
    let out = service.python(
        &s,
        "c = client.containers.get('busy')\n\
         one = c.stats(stream=False)\n\
         print(one['name'], one['cpu_stats']['cpu_usage']['total_usage'] > 0)\n\
         samples = c.stats(stream=True, decode=True)\n\
         next(samples)\n\
         print(next(samples)['precpu_stats']['cpu_usage']['total_usage'] > 0)",
    );
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "/busy True\nTrue\n");
    s.ok(&["rm", "-f", "busy"]);
}

#[test]
fn docker_system_df_counts_what_the_store_holds() {
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    s.ok(&["create", "-v", "kept:/data", image, "true"]);
    s.ok(&["run", "-d", image, "sleep", "1000"]);
    let df = service.docker_ok(
        &s,
        &[
            "system",
            "df",
            "--format",
            "{{.Type}}: {{.TotalCount}} {{.Active}}",
        ],
    );
    assert_eq!(
        df.lines().collect::<Vec<_>>(),
        [
            "Images: 1 1",
            "Containers: 2 1",
            "Local Volumes: 1 1",
            "Build Cache: 0 0"
        ]
    );
    // The sizes docker computes from the answer are the ones skiff prints.
    let sizes = [
        "system",
        "df",
        "--format",
        "{{.Type}}: {{.Size}} {{.Reclaimable}}",
    ];
    let through_docker = service.docker_ok(&s, &sizes);
    let from_skiff = s.ok(&sizes);
    assert_eq!(
        through_docker.lines().take(3).collect::<Vec<_>>(),
        from_skiff.lines().collect::<Vec<_>>()
    );
    let verbose = service.docker_ok(&s, &["system", "df", "-v"]);
    assert!(
        verbose.contains("kept ") && verbose.contains("busybox "),
        "{verbose}"
    );
    for id in s.ok(&["ps", "-aq"]).split_whitespace() {
        s.ok(&["rm", "-f", "-v", id]);
    }
}

#[test]
fn testcontainers_starts_a_container_and_reaches_its_published_port() {
    let python = std::env::var("SKIFF_TEST_TESTCONTAINERS_PYTHON").expect(
        "SKIFF_TEST_TESTCONTAINERS_PYTHON: the python of the testcontainers environment .ci/run makes",
    );
    let s = Skiff::new();
    let image = s.busybox();
    let service = Service::start(&s, &["--time", "0"]);
    let script = format!(
        r#"
import time, urllib.request
from testcontainers.core.container import DockerContainer
server = DockerContainer('{image}').with_command(
    ['sh', '-c', 'echo from-testcontainers > /index.html; exec httpd -f -p 80 -h /']
).with_exposed_ports(80)
with server as c:
    url = 'http://%s:%s/index.html' % (c.get_container_host_ip(), c.get_exposed_port(80))
    for _ in range(100):
        try:
            print(urllib.request.urlopen(url).read().decode(), end='')
            break
        except OSError:
            time.sleep(0.1)
"#
    );
    let mut cmd = s.as_user(&python);
    // Ryuk (testcontainers' reaper) is an image from Docker Hub: the `with` block removes
    // the container itself. The docker host is the service's socket, whatever the machine
    // looks like from inside.
    cmd.env("DOCKER_HOST", &service.docker_host)
        .env("TESTCONTAINERS_RYUK_DISABLED", "true")
        .env("TESTCONTAINERS_CONNECTION_MODE", "docker_host")
        .env("TC_HOST", "127.0.0.1")
        .args(["-W", "ignore", "-c", &script]);
    let out = run_command(cmd, None);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "from-testcontainers\n");
    assert!(skiff_states(&s).is_empty());
}

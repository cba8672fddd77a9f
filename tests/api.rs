//! `skiff system service`: the Docker Engine API on a socket, driven by docker's own clients
//! (the docker CLI and Debian's python3-docker) as the test user, the way users point them at
//! skiff with DOCKER_HOST.

mod common;

use common::{run_command, Out, Skiff};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

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

//! The integration-test harness: runs the real `skiff` binary against a fresh, private store.
//!
//! Every test file says `mod common;` and then:
//! ```ignore
//! let s = common::Skiff::new();          // a fresh store, skiff runs rootless
//! let img = s.busybox();                 // "busybox:test", loaded once into this store
//! let out = s.run(&["run", "--rm", img, "id", "-u"]);
//! assert_eq!(out.code, 0, "{out}");
//! ```
//!
//! Who skiff runs as:
//! - tests running as root with `SKIFF_TEST_USER` set (what `.ci/run` does): skiff runs as that user
//!   (uid, gid and supplementary groups switched, `HOME` set to its home, `XDG_RUNTIME_DIR` removed),
//!   so it is rootless for real; [`Skiff::as_root`] gives a second, root-run store for the
//!   "works as root too" cases;
//! - otherwise skiff runs as the current user (a developer's `cargo test`).
//!
//! Everything lives under `/tmp/skiff-tests/`: `<pid>-<n>/` for stores and temp dirs (owned by the
//! user skiff runs as), `bin-<pid>/skiff` for a copy of the binary that user can execute (the cargo
//! target dir may be unreadable to it), `fixtures-<pid>/` for archives shared by the tests of one
//! process. Set `SKIFF_TEST_KEEP=1` to keep a test's dirs for inspection; `SKIFF_TEST_TIMEOUT`
//! (seconds, default 300) bounds every skiff invocation.
#![allow(dead_code)]

use std::ffi::{CStr, CString, OsStr};
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Where all test dirs live.
pub const TEST_DIR: &str = "/tmp/skiff-tests";

/// The name [`Skiff::busybox`] loads the busybox image under.
pub const BUSYBOX: &str = "busybox:test";
/// The name [`Skiff::debian`] imports the Debian rootfs under.
pub const DEBIAN: &str = "debian:test";

/// The output of one finished command.
#[derive(Clone, Debug)]
pub struct Out {
    /// The exit code; 128+N when killed by signal N (as a shell reports it).
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn success(&self) -> bool {
        self.code == 0
    }
}

impl std::fmt::Display for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {}\n--- stdout\n{}\n--- stderr\n{}\n---",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The account skiff runs as when the tests run as root.
#[derive(Clone, Debug)]
struct User {
    name: String,
    uid: u32,
    gid: u32,
    home: PathBuf,
    groups: Vec<libc::gid_t>,
}

/// One private skiff store (`--root` and `--runroot` in a fresh dir) and the user it runs as.
pub struct Skiff {
    base: PathBuf,
    root: PathBuf,
    runroot: PathBuf,
    /// None: skiff runs as the user running the tests.
    user: Option<User>,
    uid: u32,
    gid: u32,
    busybox_loaded: OnceLock<()>,
    debian_loaded: OnceLock<()>,
    temps: Mutex<Vec<PathBuf>>,
    scratch: OnceLock<PathBuf>,
}

impl Default for Skiff {
    fn default() -> Self {
        Skiff::new()
    }
}

impl Skiff {
    /// A fresh store, rootless: skiff runs as `$SKIFF_TEST_USER` when the tests run as root and
    /// that variable is set, as the current user otherwise.
    pub fn new() -> Skiff {
        Skiff::with_user(test_user())
    }

    /// A fresh store whose skiff runs as root; `Some` only when the tests run as root.
    pub fn as_root() -> Option<Skiff> {
        if is_root() {
            Some(Skiff::with_user(None))
        } else {
            None
        }
    }

    fn with_user(user: Option<User>) -> Skiff {
        let (uid, gid) = match &user {
            Some(u) => (u.uid, u.gid),
            None => unsafe { (libc::geteuid(), libc::getegid()) },
        };
        let base = fresh_dir(uid, gid, 0o755);
        Skiff {
            root: base.join("root"),
            runroot: base.join("run"),
            base,
            user,
            uid,
            gid,
            busybox_loaded: OnceLock::new(),
            debian_loaded: OnceLock::new(),
            temps: Mutex::new(Vec::new()),
            scratch: OnceLock::new(),
        }
    }

    /// The uid skiff runs as.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The primary gid skiff runs as.
    pub fn gid(&self) -> u32 {
        self.gid
    }

    /// Whether skiff runs unprivileged (not as root).
    pub fn rootless(&self) -> bool {
        self.uid != 0
    }

    /// The store's `--root` (skiff creates it on first use).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The store's `--runroot` (skiff creates it on first use).
    pub fn runroot(&self) -> &Path {
        &self.runroot
    }

    /// The path of the skiff binary the tests run.
    pub fn bin(&self) -> &'static Path {
        skiff_bin()
    }

    /// `skiff --root R --runroot RR ARGS` as the user skiff runs as, stdin null.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.as_user(skiff_bin());
        cmd.arg("--root")
            .arg(&self.root)
            .arg("--runroot")
            .arg(&self.runroot)
            .args(args);
        cmd
    }

    /// Any program, run the way skiff is run: as the user skiff runs as, with its HOME, without
    /// XDG_RUNTIME_DIR (and the other XDG/SKIFF location variables), PATH kept, stdin null,
    /// working directory this store's base dir.
    pub fn as_user(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new(program);
        cmd.stdin(Stdio::null()).current_dir(&self.base);
        for var in [
            "XDG_RUNTIME_DIR",
            "XDG_DATA_HOME",
            "XDG_CONFIG_HOME",
            "XDG_CACHE_HOME",
            "SKIFF_ROOT",
            "SKIFF_RUNROOT",
            "DOCKER_CONFIG",
            "DOCKER_HOST",
        ] {
            cmd.env_remove(var);
        }
        if let Some(user) = &self.user {
            cmd.env("HOME", &user.home)
                .env("USER", &user.name)
                .env("LOGNAME", &user.name);
            let (uid, gid, groups) = (user.uid, user.gid, user.groups.clone());
            // Done by hand rather than with Command::uid/gid: those drop every supplementary
            // group, and setting them (Command::groups) is not stable Rust.
            unsafe {
                cmd.pre_exec(move || {
                    if libc::setgroups(groups.len(), groups.as_ptr()) != 0
                        || libc::setgid(gid) != 0
                        || libc::setuid(uid) != 0
                    {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        cmd
    }

    /// Runs `skiff ARGS` and collects its output.
    pub fn run(&self, args: &[&str]) -> Out {
        run_command(self.cmd(args), None)
    }

    /// Runs `skiff ARGS` with `stdin` as its standard input.
    pub fn run_stdin(&self, args: &[&str], stdin: &[u8]) -> Out {
        run_command(self.cmd(args), Some(stdin))
    }

    /// Runs `skiff ARGS`, asserts it exits 0 and returns its stdout.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.code, 0, "`skiff {}` failed: {out}", args.join(" "));
        out.stdout
    }

    /// Runs `skiff ARGS` and asserts it exits with `code`; returns the output.
    #[track_caller]
    pub fn fails(&self, args: &[&str], code: i32) -> Out {
        let out = self.run(args);
        assert_eq!(
            out.code,
            code,
            "`skiff {}`: expected exit code {code}: {out}",
            args.join(" ")
        );
        out
    }

    /// Loads the busybox test image (see [`fixtures::busybox_rootfs_tar`]) into this store, once,
    /// as "busybox:test" with `skiff load -i`, and returns that name.
    pub fn busybox(&self) -> &'static str {
        self.busybox_loaded.get_or_init(|| {
            let archive = busybox_archive_file();
            self.ok(&["load", "-i", path_str(archive)]);
        });
        BUSYBOX
    }

    /// Imports the Debian bookworm minbase rootfs (`$SKIFF_TEST_DEBIAN_TAR`, made by `.ci/run`)
    /// into this store, once, as "debian:test" with `skiff import`, and returns that name.
    pub fn debian(&self) -> &'static str {
        self.debian_loaded.get_or_init(|| {
            let tar = debian_tar();
            self.ok(&["import", path_str(&tar), DEBIAN]);
        });
        DEBIAN
    }

    /// A fresh dir the skiff user can read and write, removed with this store.
    pub fn tempdir(&self) -> PathBuf {
        let dir = fresh_dir(self.uid, self.gid, 0o755);
        self.temps.lock().unwrap().push(dir.clone());
        dir
    }

    /// Writes `data` to a file named `name` in a scratch dir of this store (readable by the skiff
    /// user, owned by it) and returns its path.
    pub fn write_file(&self, name: &str, data: &[u8]) -> PathBuf {
        let dir = self.scratch.get_or_init(|| self.tempdir());
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&path, data).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        chown(&path, self.uid, self.gid);
        path
    }

    /// A listing of everything under the store's root: one line per file with its type, mode,
    /// owner, size and content hash (symlinks with their target), sorted; lock files
    /// (`lock`, `*.lock`) and the cache of compiled seccomp filters (`seccomp/`, which any
    /// run may fill, as a build fills its cache) left out. Equal listings mean the store did
    /// not change.
    pub fn store_listing(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.root.exists() {
            list_tree(&self.root, Path::new(""), &mut lines);
        }
        lines.retain(|line| !line.starts_with("seccomp"));
        lines.sort();
        lines
    }

    /// The extracted layers: names of the dirs under `<root>/layers/` (hidden names left out).
    pub fn layer_dirs(&self) -> Vec<String> {
        let mut names: Vec<String> = match fs::read_dir(self.root.join("layers")) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        names
    }
}

impl Drop for Skiff {
    fn drop(&mut self) {
        let mut dirs = vec![self.base.clone()];
        dirs.append(&mut self.temps.lock().unwrap_or_else(|e| e.into_inner()));
        if std::env::var_os("SKIFF_TEST_KEEP").is_some() {
            eprintln!("SKIFF_TEST_KEEP: kept {dirs:?}");
            return;
        }
        // In CI the tests run as root, which can remove files owned by the subordinate uids of
        // the test user (e.g. the layers of the Debian image). A developer running the tests as
        // an ordinary user cannot remove such files: errors are ignored and those files stay in
        // /tmp/skiff-tests (remove them with `podman unshare rm -rf` or as root).
        for dir in dirs {
            remove_tree(&dir);
        }
    }
}

/// Runs a command (e.g. from [`Skiff::cmd`], adjusted), feeding it `stdin` when given, and
/// collects its output. Panics when it runs longer than `SKIFF_TEST_TIMEOUT` seconds (300).
pub fn run_command(mut cmd: Command, stdin: Option<&[u8]>) -> Out {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    if stdin.is_some() {
        cmd.stdin(Stdio::piped());
    }
    let what = format!("{cmd:?}");
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let feeder = stdin.map(|data| {
        let data = data.to_vec();
        let mut pipe = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            // The command may exit without reading everything: a broken pipe is its business.
            let _ = pipe.write_all(&data);
        })
    });
    let stdout = reader(child.stdout.take().unwrap());
    let stderr = reader(child.stderr.take().unwrap());

    let limit = timeout();
    let started = Instant::now();
    let mut pause = Duration::from_millis(1);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let out = Out {
                code: -1,
                stdout: stdout.take(Duration::from_secs(2)),
                stderr: stderr.take(Duration::from_secs(2)),
            };
            panic!("{what} still running after {limit:?}, killed: {out}");
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    if let Some(feeder) = feeder {
        let _ = feeder.join();
    }
    // A process the command left behind (a detached container supervisor) may still hold the
    // pipes: wait a little for them to close, then take what came.
    let grace = Duration::from_secs(10);
    let out_text = stdout.take(grace);
    let mut err_text = stderr.take(grace);
    if !stdout.closed() || !stderr.closed() {
        err_text.push_str(
            "\n[harness: the output pipes were still open 10s after the command exited: \
             a process it left behind holds them]",
        );
    }
    Out {
        code: status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
        stdout: out_text,
        stderr: err_text,
    }
}

/// Collects one output pipe in a thread.
struct Reader {
    buf: Arc<Mutex<Vec<u8>>>,
    done: std::sync::mpsc::Receiver<()>,
    closed: std::cell::Cell<bool>,
}

fn reader(mut pipe: impl Read + Send + 'static) -> Reader {
    let buf = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = std::sync::mpsc::channel();
    let sink = buf.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 65536];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => sink.lock().unwrap().extend_from_slice(&chunk[..n]),
            }
        }
        let _ = tx.send(());
    });
    Reader {
        buf,
        done: rx,
        closed: std::cell::Cell::new(false),
    }
}

impl Reader {
    /// Waits up to `grace` for end of file, then returns what was read.
    fn take(&self, grace: Duration) -> String {
        if !self.closed.get() && self.done.recv_timeout(grace).is_ok() {
            self.closed.set(true);
        }
        String::from_utf8_lossy(&self.buf.lock().unwrap()).into_owned()
    }
    fn closed(&self) -> bool {
        self.closed.get()
    }
}

fn timeout() -> Duration {
    let secs = std::env::var("SKIFF_TEST_TIMEOUT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    Duration::from_secs(secs)
}

fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

/// The user named by `$SKIFF_TEST_USER`, when the tests run as root.
fn test_user() -> Option<User> {
    static USER: OnceLock<Option<User>> = OnceLock::new();
    USER.get_or_init(|| {
        let name = std::env::var("SKIFF_TEST_USER")
            .ok()
            .filter(|n| !n.is_empty());
        if !is_root() {
            return None;
        }
        let Some(name) = name else {
            eprintln!(
                "note: the tests run as root without SKIFF_TEST_USER: skiff runs as root, \
                 not rootless (.ci/run sets SKIFF_TEST_USER=skifftest)"
            );
            return None;
        };
        Some(lookup_user(&name).unwrap_or_else(|| {
            panic!("SKIFF_TEST_USER={name}: no such user (.ci/run creates skifftest)")
        }))
    })
    .clone()
}

fn lookup_user(name: &str) -> Option<User> {
    let cname = CString::new(name).ok()?;
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16384];
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    let rc = unsafe {
        libc::getpwnam_r(
            cname.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    if rc != 0 || result.is_null() {
        return None;
    }
    let home = unsafe { CStr::from_ptr(pwd.pw_dir) }
        .to_string_lossy()
        .into_owned();
    let (uid, gid) = (pwd.pw_uid, pwd.pw_gid);
    let mut groups = vec![0 as libc::gid_t; 256];
    let mut n = groups.len() as libc::c_int;
    let rc = unsafe { libc::getgrouplist(cname.as_ptr(), gid, groups.as_mut_ptr(), &mut n) };
    if rc < 0 {
        groups = vec![gid];
    } else {
        groups.truncate(n as usize);
    }
    Some(User {
        name: name.to_string(),
        uid,
        gid,
        home: PathBuf::from(home),
        groups,
    })
}

fn chown(path: &Path, uid: u32, gid: u32) {
    if is_root() {
        std::os::unix::fs::lchown(path, Some(uid), Some(gid))
            .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// `/tmp/skiff-tests`, world-writable and sticky like /tmp, with stale dirs of dead test
/// processes removed the first time.
fn test_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(TEST_DIR);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("create {TEST_DIR}: {e}"));
        if fs::metadata(&dir).map(|m| m.uid()).ok() == Some(unsafe { libc::geteuid() }) {
            let _ = fs::set_permissions(&dir, fs::Permissions::from_mode(0o1777));
        }
        remove_stale(&dir);
        dir
    })
}

/// Removes `<pid>-<n>`, `bin-<pid>` and `fixtures-<pid>` dirs of test processes that are gone
/// (and whose dir is over an hour old, in case the pid lives in another pid namespace).
fn remove_stale(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix("bin-")
            .or_else(|| name.strip_prefix("fixtures-"))
            .or_else(|| name.split('-').next())
            .and_then(|p| p.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        let old = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > Duration::from_secs(3600));
        if old {
            remove_tree(&entry.path());
        }
    }
}

/// A fresh `/tmp/skiff-tests/<pid>-<n>` owned by uid:gid.
fn fresh_dir(uid: u32, gid: u32, mode: u32) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = test_dir().join(format!("{}-{n}", std::process::id()));
        match fs::create_dir(&dir) {
            Ok(()) => {
                fs::set_permissions(&dir, fs::Permissions::from_mode(mode)).unwrap();
                chown(&dir, uid, gid);
                return dir;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => panic!("create {}: {e}", dir.display()),
        }
    }
}

/// Removes a tree, best effort: a second pass makes owned dirs writable first.
fn remove_tree(dir: &Path) {
    if fs::remove_dir_all(dir).is_ok() || !dir.exists() {
        return;
    }
    fn open_up(path: &Path) {
        let Ok(meta) = fs::symlink_metadata(path) else {
            return;
        };
        if meta.is_dir() {
            let _ = fs::set_permissions(path, fs::Permissions::from_mode(meta.mode() | 0o700));
            if let Ok(rd) = fs::read_dir(path) {
                for e in rd.filter_map(|e| e.ok()) {
                    open_up(&e.path());
                }
            }
        }
    }
    open_up(dir);
    let _ = fs::remove_dir_all(dir);
}

fn list_tree(dir: &Path, rel: &Path, lines: &mut Vec<String>) {
    let mut entries: Vec<_> = match fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok()).collect(),
        Err(e) => {
            lines.push(format!("{} <unreadable: {e}>", rel.display()));
            return;
        }
    };
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name_s = name.to_string_lossy();
        if name_s == "lock" || name_s.ends_with(".lock") {
            continue;
        }
        let path = entry.path();
        let rel = rel.join(&name);
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        let owner = format!("{:o} {}:{}", meta.mode(), meta.uid(), meta.gid());
        let ft = meta.file_type();
        if ft.is_dir() {
            lines.push(format!("{} dir {owner}", rel.display()));
            list_tree(&path, &rel, lines);
        } else if ft.is_symlink() {
            let target = fs::read_link(&path).unwrap_or_default();
            lines.push(format!(
                "{} symlink {owner} -> {}",
                rel.display(),
                target.display()
            ));
        } else if ft.is_file() {
            let hash = fs::read(&path)
                .map(|d| fixtures::sha256_hex(&d))
                .unwrap_or_else(|e| format!("<unreadable: {e}>"));
            lines.push(format!(
                "{} file {owner} {} {hash}",
                rel.display(),
                meta.len()
            ));
        } else {
            lines.push(format!(
                "{} special {owner} rdev {}",
                rel.display(),
                meta.rdev()
            ));
        }
    }
}

/// Removes this process's `bin-<pid>` and `fixtures-<pid>` dirs when it exits.
extern "C" fn remove_process_dirs() {
    if std::env::var_os("SKIFF_TEST_KEEP").is_some() {
        return;
    }
    let pid = std::process::id();
    let _ = fs::remove_dir_all(Path::new(TEST_DIR).join(format!("bin-{pid}")));
    let _ = fs::remove_dir_all(Path::new(TEST_DIR).join(format!("fixtures-{pid}")));
}

fn register_exit_cleanup() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| unsafe {
        libc::atexit(remove_process_dirs);
    });
}

/// A copy of the skiff binary that any user can run, made once per test process.
fn skiff_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        register_exit_cleanup();
        let src = Path::new(env!("CARGO_BIN_EXE_skiff"));
        let dir = test_dir().join(format!("bin-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let bin = dir.join("skiff");
        let _ = fs::remove_file(&bin);
        // A hard link when the target dir is on the same file system (the binary is 755
        // already, only the dirs above it may be closed), a copy otherwise.
        if fs::hard_link(src, &bin).is_err() {
            let tmp = dir.join("skiff.tmp");
            fs::copy(src, &tmp).unwrap_or_else(|e| panic!("copy {}: {e}", src.display()));
            fs::rename(&tmp, &bin).unwrap();
        }
        if fs::metadata(&bin).unwrap().mode() & 0o555 != 0o555 {
            fs::set_permissions(&bin, fs::Permissions::from_mode(0o755)).unwrap();
        }
        bin
    })
}

/// `/tmp/skiff-tests/fixtures-<pid>/`, readable by everyone.
fn fixtures_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        register_exit_cleanup();
        let dir = test_dir().join(format!("fixtures-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        dir
    })
}

/// Writes a fixture file shared by all tests of this process (mode 644), atomically.
pub fn shared_fixture(name: &str, data: &[u8]) -> PathBuf {
    let path = fixtures_dir().join(name);
    let tmp = fixtures_dir().join(format!(".{name}.{:?}", std::thread::current().id()));
    fs::write(&tmp, data).unwrap();
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644)).unwrap();
    fs::rename(&tmp, &path).unwrap();
    path
}

/// The docker archive of "busybox:test", written once per test process.
pub fn busybox_archive_file() -> &'static Path {
    static FILE: OnceLock<PathBuf> = OnceLock::new();
    FILE.get_or_init(|| {
        let archive =
            fixtures::docker_archive(BUSYBOX, fixtures::busybox_rootfs(), serde_json::json!({}));
        shared_fixture("busybox.tar", &archive)
    })
}

/// `$SKIFF_TEST_DEBIAN_TAR`, checked.
pub fn debian_tar() -> PathBuf {
    let Some(tar) = std::env::var_os("SKIFF_TEST_DEBIAN_TAR").filter(|v| !v.is_empty()) else {
        panic!(
            "SKIFF_TEST_DEBIAN_TAR is not set: the Debian rootfs is built by .ci/run \
             (run `.ci/run --setup` as root and export what it prints, or run `.ci/run`)"
        )
    };
    let tar = PathBuf::from(tar);
    assert!(
        tar.is_file(),
        "SKIFF_TEST_DEBIAN_TAR={} does not exist (.ci/run builds it)",
        tar.display()
    );
    tar
}

/// Test images and archives, built in memory.
pub mod fixtures {
    use serde_json::{json, Value};
    use sha2::{Digest, Sha256};
    use std::io::{Read, Write};
    use std::sync::OnceLock;

    /// The mtime of every fixture entry (2024-01-01T00:00:00Z): fixtures are reproducible.
    pub const MTIME: u64 = 1_704_067_200;
    /// The `created` time of fixture image configs.
    pub const CREATED: &str = "2024-01-01T00:00:00Z";
    /// PATH in the fixture images' config.
    pub const PATH_ENV: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// /etc/passwd of the busybox image.
    pub const BUSYBOX_PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
        www-data:x:33:33:www-data:/var/www:/bin/sh\n\
        nobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n";
    /// /etc/group of the busybox image: root is also in wheel (10), www-data also in staff (50),
    /// so `id` shows `groups=0(root),10(wheel)` for root (as docker's busybox image does) and
    /// `groups=33(www-data),50(staff)` for `-u www-data`.
    pub const BUSYBOX_GROUP: &str = "root:x:0:\n\
        wheel:x:10:root\n\
        www-data:x:33:\n\
        staff:x:50:www-data\n\
        nogroup:x:65534:\n";

    /// Host path of the busybox binary the image is made from (Debian's busybox-static).
    pub const BUSYBOX_BIN: &str = "/bin/busybox";

    /// "sha256:<hex>" of some bytes.
    pub fn sha256(data: &[u8]) -> String {
        format!("sha256:{}", sha256_hex(data))
    }

    pub fn sha256_hex(data: &[u8]) -> String {
        Sha256::digest(data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The docker/OCI architecture name of the host.
    pub fn host_arch() -> &'static str {
        match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "arm" => "arm",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            "s390x" => "s390x",
            "riscv64" => "riscv64",
            other => other,
        }
    }

    /// One tar entry, written as given: names and link targets are raw bytes, never checked or
    /// normalised, so hostile archives (`..`, absolute names, links out) can be made.
    #[derive(Clone, Debug)]
    pub struct Entry {
        pub name: Vec<u8>,
        pub kind: tar::EntryType,
        pub data: Vec<u8>,
        pub link: Vec<u8>,
        pub mode: u32,
        pub uid: u64,
        pub gid: u64,
        pub dev: (u32, u32),
    }

    impl Entry {
        fn new(name: &str, kind: tar::EntryType, mode: u32) -> Entry {
            Entry {
                name: name.as_bytes().to_vec(),
                kind,
                data: Vec::new(),
                link: Vec::new(),
                mode,
                uid: 0,
                gid: 0,
                dev: (0, 0),
            }
        }
        /// A regular file, mode 644.
        pub fn file(name: &str, data: &[u8]) -> Entry {
            Entry {
                data: data.to_vec(),
                ..Entry::new(name, tar::EntryType::Regular, 0o644)
            }
        }
        /// A directory, mode 755 (give the name a trailing `/` as tar does).
        pub fn dir(name: &str) -> Entry {
            Entry::new(name, tar::EntryType::Directory, 0o755)
        }
        pub fn symlink(name: &str, target: &str) -> Entry {
            Entry {
                link: target.as_bytes().to_vec(),
                ..Entry::new(name, tar::EntryType::Symlink, 0o777)
            }
        }
        /// A hard link to `target` (a name in the archive, or anything for hostile cases).
        pub fn hardlink(name: &str, target: &str) -> Entry {
            Entry {
                link: target.as_bytes().to_vec(),
                ..Entry::new(name, tar::EntryType::Link, 0o644)
            }
        }
        pub fn char_dev(name: &str, major: u32, minor: u32) -> Entry {
            Entry {
                dev: (major, minor),
                ..Entry::new(name, tar::EntryType::Char, 0o666)
            }
        }
        pub fn block_dev(name: &str, major: u32, minor: u32) -> Entry {
            Entry {
                dev: (major, minor),
                ..Entry::new(name, tar::EntryType::Block, 0o660)
            }
        }
        pub fn fifo(name: &str) -> Entry {
            Entry::new(name, tar::EntryType::Fifo, 0o644)
        }
        pub fn mode(mut self, mode: u32) -> Entry {
            self.mode = mode;
            self
        }
        pub fn owner(mut self, uid: u64, gid: u64) -> Entry {
            self.uid = uid;
            self.gid = gid;
            self
        }
    }

    /// Splits a name over the ustar prefix (155 bytes) and name (100 bytes) fields.
    fn split_name(name: &[u8]) -> (&[u8], &[u8]) {
        if name.len() <= 100 {
            return (&[], name);
        }
        for (i, &b) in name.iter().enumerate().rev() {
            if b == b'/' && i <= 155 && name.len() - i - 1 <= 100 && i > 0 {
                return (&name[..i], &name[i + 1..]);
            }
        }
        panic!(
            "tar entry name too long for a ustar header: {}",
            String::from_utf8_lossy(name)
        );
    }

    /// A tar of exactly these entries (ustar headers, fixed mtime), in this order.
    pub fn tar_of(entries: &[Entry]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for e in entries {
            let mut header = tar::Header::new_ustar();
            {
                let (prefix, name) = split_name(&e.name);
                let ustar = header.as_ustar_mut().unwrap();
                ustar.name = [0; 100];
                ustar.name[..name.len()].copy_from_slice(name);
                ustar.prefix = [0; 155];
                ustar.prefix[..prefix.len()].copy_from_slice(prefix);
                assert!(e.link.len() <= 100, "link target too long");
                ustar.linkname = [0; 100];
                ustar.linkname[..e.link.len()].copy_from_slice(&e.link);
            }
            header.set_entry_type(e.kind);
            header.set_mode(e.mode);
            header.set_uid(e.uid);
            header.set_gid(e.gid);
            header.set_mtime(MTIME);
            header.set_size(e.data.len() as u64);
            let user = match e.uid {
                0 => "root",
                33 => "www-data",
                _ => "",
            };
            header.set_username(user).unwrap();
            header.set_groupname(user).unwrap();
            if matches!(e.kind, tar::EntryType::Char | tar::EntryType::Block) {
                header.set_device_major(e.dev.0).unwrap();
                header.set_device_minor(e.dev.1).unwrap();
            }
            header.set_cksum();
            builder.append(&header, &e.data[..]).unwrap();
        }
        builder.into_inner().unwrap()
    }

    /// A tar with one regular file whose name is exactly `name` (e.g. "../escape", "/abs").
    pub fn tar_with_entry(name: &str, data: &[u8]) -> Vec<u8> {
        tar_of(&[Entry::file(name, data)])
    }

    /// The entries of the busybox rootfs (see [`busybox_rootfs_tar`]).
    pub fn busybox_entries() -> Vec<Entry> {
        let binary = std::fs::read(BUSYBOX_BIN).unwrap_or_else(|e| {
            panic!("{BUSYBOX_BIN}: {e}: install Debian's busybox-static (.ci/run does)")
        });
        let list = std::process::Command::new(BUSYBOX_BIN)
            .arg("--list")
            .output()
            .expect("busybox --list");
        let list = String::from_utf8(list.stdout).unwrap();
        let mut applets: Vec<&str> = list
            .lines()
            .map(str::trim)
            .filter(|a| !a.is_empty() && *a != "busybox" && !a.contains('/'))
            .collect();
        applets.sort();
        applets.dedup();
        assert!(applets.contains(&"sh"), "busybox --list has no sh");

        let mut entries = vec![
            Entry::dir("bin/"),
            Entry::file("bin/busybox", &binary).mode(0o755),
        ];
        for applet in applets {
            entries.push(Entry::symlink(&format!("bin/{applet}"), "busybox"));
        }
        entries.extend([
            Entry::dir("dev/"),
            Entry::dir("etc/"),
            Entry::file("etc/passwd", BUSYBOX_PASSWD.as_bytes()),
            Entry::file("etc/group", BUSYBOX_GROUP.as_bytes()),
            Entry::dir("home/"),
            Entry::dir("proc/").mode(0o555),
            Entry::dir("root/").mode(0o700),
            Entry::dir("sys/").mode(0o555),
            Entry::dir("tmp/").mode(0o1777),
            Entry::dir("usr/"),
            Entry::dir("var/"),
        ]);
        entries
    }

    /// A rootfs tar made from Debian's busybox-static: /bin/busybox and a symlink per applet
    /// (`busybox --list`) in /bin, /etc/passwd ([`BUSYBOX_PASSWD`]), /etc/group
    /// ([`BUSYBOX_GROUP`]), /tmp 1777, /root 700, empty /dev /proc /sys /home /usr /var; all
    /// owned by 0:0. Built once per test process (a copy of it is returned).
    pub fn busybox_rootfs_tar() -> Vec<u8> {
        busybox_rootfs().to_vec()
    }

    /// [`busybox_rootfs_tar`] without the copy.
    pub fn busybox_rootfs() -> &'static [u8] {
        static TAR: OnceLock<Vec<u8>> = OnceLock::new();
        TAR.get_or_init(|| tar_of(&busybox_entries()))
    }

    /// The busybox rootfs with more entries after it (later entries win on extraction).
    pub fn busybox_rootfs_with(extra: &[Entry]) -> Vec<u8> {
        let mut entries = busybox_entries();
        entries.extend_from_slice(extra);
        tar_of(&entries)
    }

    /// The busybox image as a registry serves it: (OCI manifest, config, gzip layer).
    pub fn busybox_blobs() -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let rootfs = busybox_rootfs();
        let layer = gzip(rootfs);
        let config = image_config(&[rootfs], &json!({}));
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(&config), "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha256(&layer), "size": layer.len()}],
        }))
        .unwrap();
        (manifest, config, layer)
    }

    /// gzip of some bytes.
    pub fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    /// Merges `extra` into `base`: objects key by key (recursively), anything else replaced,
    /// `null` removes the key.
    pub fn merge(base: &mut Value, extra: &Value) {
        match (base, extra) {
            (Value::Object(b), Value::Object(e)) => {
                for (k, v) in e {
                    if v.is_null() {
                        b.remove(k);
                    } else if let Some(slot) = b.get_mut(k) {
                        merge(slot, v);
                    } else {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
            (b, e) => *b = e.clone(),
        }
    }

    /// The image config the archives carry: architecture (host), os linux, created
    /// [`CREATED`], config {Env [PATH], Cmd ["sh"]}, rootfs {layers, diff_ids}, one history
    /// entry per layer; then `extra` merged in (see [`merge`]), e.g.
    /// `json!({"created": "2020-01-01T00:00:00Z", "config": {"Labels": {"k": "v"}}})`.
    pub fn image_config(layers: &[&[u8]], extra: &Value) -> Vec<u8> {
        let diff_ids: Vec<String> = layers.iter().map(|l| sha256(l)).collect();
        let history: Vec<Value> = layers
            .iter()
            .map(|_| json!({"created": CREATED, "created_by": "skiff test fixture"}))
            .collect();
        let mut config = json!({
            "architecture": host_arch(),
            "os": "linux",
            "created": CREATED,
            "config": {"Env": [PATH_ENV], "Cmd": ["sh"]},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        });
        merge(&mut config, extra);
        serde_json::to_vec(&config).unwrap()
    }

    /// The normalised docker name of a reference: "busybox:test" ->
    /// "docker.io/library/busybox:test", "localhost:5000/a/b" -> "localhost:5000/a/b:latest".
    pub fn full_name(name_tag: &str) -> String {
        let (first, _) = name_tag.split_once('/').unwrap_or(("", name_tag));
        let mut name = if first.contains('.') || first.contains(':') || first == "localhost" {
            name_tag.to_string()
        } else if name_tag.contains('/') {
            format!("docker.io/{name_tag}")
        } else {
            format!("docker.io/library/{name_tag}")
        };
        let last = name.rsplit('/').next().unwrap();
        if !last.contains(':') && !last.contains('@') {
            name.push_str(":latest");
        }
        name
    }

    /// (repository, tag) of a name as `docker save` writes it in `repositories`.
    fn repo_and_tag(name_tag: &str) -> (String, String) {
        let slash = name_tag.rfind('/').map(|i| i + 1).unwrap_or(0);
        match name_tag[slash..].rfind(':') {
            Some(i) => (
                name_tag[..slash + i].to_string(),
                name_tag[slash + i + 1..].to_string(),
            ),
            None => (name_tag.to_string(), "latest".to_string()),
        }
    }

    #[derive(Clone, Copy, PartialEq)]
    enum Style {
        /// `docker save` before 25: `<v1 id>/layer.tar`, `<config hex>.json`.
        Docker,
        /// `podman save`: `<diff id hex>.tar`, `<config hex>.json`.
        Podman,
        /// `docker save` 25 and later: an OCI layout plus manifest.json, blobs uncompressed.
        DockerOci,
    }

    struct TarWriter(tar::Builder<Vec<u8>>);

    impl TarWriter {
        fn new() -> Self {
            TarWriter(tar::Builder::new(Vec::new()))
        }
        fn dir(&mut self, name: &str) {
            let mut h = tar::Header::new_ustar();
            h.set_entry_type(tar::EntryType::Directory);
            h.set_mode(0o755);
            h.set_mtime(MTIME);
            h.set_size(0);
            self.0.append_data(&mut h, name, &[][..]).unwrap();
        }
        fn file(&mut self, name: &str, data: &[u8]) {
            let mut h = tar::Header::new_ustar();
            h.set_entry_type(tar::EntryType::Regular);
            h.set_mode(0o644);
            h.set_mtime(MTIME);
            h.set_size(data.len() as u64);
            self.0.append_data(&mut h, name, data).unwrap();
        }
        fn finish(self) -> Vec<u8> {
            self.0.into_inner().unwrap()
        }
    }

    fn save_archive(style: Style, name_tag: &str, layers: &[&[u8]], extra: &Value) -> Vec<u8> {
        let config = image_config(layers, extra);
        let config_hex = sha256_hex(&config);
        let tags: Value = if name_tag.is_empty() {
            Value::Null
        } else {
            json!([name_tag])
        };
        let mut w = TarWriter::new();
        let mut layer_paths = Vec::new();
        let mut top_id = String::new();
        match style {
            Style::Docker => {
                // Legacy v1 ids: a digest of the chain, not the diff id, as docker computes them.
                let mut parent = String::new();
                for layer in layers {
                    let id = sha256_hex(format!("{parent}\n{}", sha256(layer)).as_bytes());
                    w.dir(&format!("{id}/"));
                    w.file(&format!("{id}/VERSION"), b"1.0");
                    let mut v1 = json!({"id": id, "created": CREATED, "os": "linux"});
                    if !parent.is_empty() {
                        v1["parent"] = json!(parent);
                    }
                    w.file(&format!("{id}/json"), &serde_json::to_vec(&v1).unwrap());
                    w.file(&format!("{id}/layer.tar"), layer);
                    layer_paths.push(format!("{id}/layer.tar"));
                    parent = id.clone();
                    top_id = id;
                }
                w.file(&format!("{config_hex}.json"), &config);
            }
            Style::Podman => {
                for layer in layers {
                    let hex = sha256_hex(layer);
                    w.file(&format!("{hex}.tar"), layer);
                    layer_paths.push(format!("{hex}.tar"));
                    top_id = hex;
                }
                w.file(&format!("{config_hex}.json"), &config);
            }
            Style::DockerOci => {
                w.dir("blobs/");
                w.dir("blobs/sha256/");
                let mut descs = Vec::new();
                for layer in layers {
                    let hex = sha256_hex(layer);
                    w.file(&format!("blobs/sha256/{hex}"), layer);
                    layer_paths.push(format!("blobs/sha256/{hex}"));
                    descs.push(json!({
                        "mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": format!("sha256:{hex}"),
                        "size": layer.len(),
                    }));
                    top_id = hex;
                }
                w.file(&format!("blobs/sha256/{config_hex}"), &config);
                let manifest = serde_json::to_vec(&json!({
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {
                        "mediaType": "application/vnd.oci.image.config.v1+json",
                        "digest": format!("sha256:{config_hex}"),
                        "size": config.len(),
                    },
                    "layers": descs,
                }))
                .unwrap();
                w.file(
                    &format!("blobs/sha256/{}", sha256_hex(&manifest)),
                    &manifest,
                );
                let mut desc = json!({
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": sha256(&manifest),
                    "size": manifest.len(),
                });
                if !name_tag.is_empty() {
                    let (_, tag) = repo_and_tag(name_tag);
                    desc["annotations"] = json!({
                        "io.containerd.image.name": full_name(name_tag),
                        "org.opencontainers.image.ref.name": tag,
                    });
                }
                let index = json!({
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": [desc],
                });
                w.file("index.json", &serde_json::to_vec(&index).unwrap());
                w.file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
            }
        }
        let config_path = if style == Style::DockerOci {
            format!("blobs/sha256/{config_hex}")
        } else {
            format!("{config_hex}.json")
        };
        let manifest = json!([{"Config": config_path, "RepoTags": tags, "Layers": layer_paths}]);
        w.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
        if !name_tag.is_empty() {
            let (repo, tag) = repo_and_tag(name_tag);
            let repositories = json!({ repo: { tag: top_id } });
            w.file("repositories", &serde_json::to_vec(&repositories).unwrap());
        }
        w.finish()
    }

    /// A `docker save` archive (the classic format docker wrote before version 25):
    /// `<id>/VERSION`, `<id>/json`, `<id>/layer.tar`, `<config hex>.json`, `manifest.json`
    /// `[{Config, RepoTags, Layers}]` and `repositories`, in that order. `name_tag` "" makes an
    /// untagged archive (RepoTags null). See [`image_config`] for the config and `config_extra`.
    pub fn docker_archive(name_tag: &str, rootfs_tar: &[u8], config_extra: Value) -> Vec<u8> {
        save_archive(Style::Docker, name_tag, &[rootfs_tar], &config_extra)
    }

    /// A docker archive of an image with several layers (lowest first).
    pub fn docker_archive_layers(name_tag: &str, layers: &[&[u8]], config_extra: Value) -> Vec<u8> {
        save_archive(Style::Docker, name_tag, layers, &config_extra)
    }

    /// A `podman save` (docker-archive) archive: layers as `<diff id hex>.tar` at the top.
    pub fn podman_archive(name_tag: &str, rootfs_tar: &[u8], config_extra: Value) -> Vec<u8> {
        save_archive(Style::Podman, name_tag, &[rootfs_tar], &config_extra)
    }

    /// A `docker save` archive as docker 25+ writes it: an OCI image layout (uncompressed layer
    /// blobs, index.json with `io.containerd.image.name`) plus manifest.json and repositories.
    pub fn docker_oci_archive(name_tag: &str, rootfs_tar: &[u8], config_extra: Value) -> Vec<u8> {
        save_archive(Style::DockerOci, name_tag, &[rootfs_tar], &config_extra)
    }

    /// An OCI image layout tar (as `skopeo copy ... oci-archive:FILE:NAME` writes it):
    /// `oci-layout`, `index.json` whose manifest has the annotation
    /// `org.opencontainers.image.ref.name` = `name_tag` (and `io.containerd.image.name` = its
    /// full name), `blobs/sha256/` with the manifest, the config and a gzip layer. No
    /// manifest.json.
    pub fn oci_layout_archive(name_tag: &str, rootfs_tar: &[u8]) -> Vec<u8> {
        let layer_gz = gzip(rootfs_tar);
        let config = image_config(&[rootfs_tar], &json!({}));
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": sha256(&config),
                "size": config.len(),
            },
            "layers": [{
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": sha256(&layer_gz),
                "size": layer_gz.len(),
            }],
        }))
        .unwrap();
        let mut desc = json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha256(&manifest),
            "size": manifest.len(),
        });
        if !name_tag.is_empty() {
            desc["annotations"] = json!({
                "org.opencontainers.image.ref.name": name_tag,
                "io.containerd.image.name": full_name(name_tag),
            });
        }
        let index = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [desc],
        });
        let mut w = TarWriter::new();
        w.file("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
        w.file("index.json", &serde_json::to_vec(&index).unwrap());
        w.dir("blobs/");
        w.dir("blobs/sha256/");
        w.file(
            &format!("blobs/sha256/{}", sha256_hex(&manifest)),
            &manifest,
        );
        w.file(&format!("blobs/sha256/{}", sha256_hex(&config)), &config);
        w.file(
            &format!("blobs/sha256/{}", sha256_hex(&layer_gz)),
            &layer_gz,
        );
        w.finish()
    }

    /// The regular files of a tar: (name, content), in order.
    pub fn tar_files(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
        let mut ar = tar::Archive::new(archive);
        let mut files = Vec::new();
        for entry in ar.entries().unwrap() {
            let mut entry = entry.unwrap();
            if entry.header().entry_type() != tar::EntryType::Regular {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            files.push((name, data));
        }
        files
    }

    /// A tar of regular files (mode 644, fixed mtime), in this order; for rebuilding an archive
    /// from [`tar_files`] with entries reordered or replaced.
    pub fn tar_from_files(files: &[(String, Vec<u8>)]) -> Vec<u8> {
        let mut w = TarWriter::new();
        for (name, data) in files {
            w.file(name, data);
        }
        w.finish()
    }

    /// One regular file of a tar.
    pub fn tar_file(archive: &[u8], name: &str) -> Option<Vec<u8>> {
        tar_files(archive)
            .into_iter()
            .find(|(n, _)| n.trim_start_matches("./") == name)
            .map(|(_, d)| d)
    }

    /// Rewrites an archive's regular files: `f(name, content)` returns the new content, or
    /// None to drop the file. Other entries are kept as they are.
    pub fn map_tar_files(
        archive: &[u8],
        mut f: impl FnMut(&str, Vec<u8>) -> Option<Vec<u8>>,
    ) -> Vec<u8> {
        let mut ar = tar::Archive::new(archive);
        let mut out = tar::Builder::new(Vec::new());
        for entry in ar.entries().unwrap() {
            let mut entry = entry.unwrap();
            let mut header = entry.header().clone();
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            if header.entry_type() == tar::EntryType::Regular {
                match f(&name, data) {
                    Some(new) => data = new,
                    None => continue,
                }
            }
            header.set_size(data.len() as u64);
            out.append_data(&mut header, &name, &data[..]).unwrap();
        }
        out.into_inner().unwrap()
    }

    /// The image ID ("sha256:" + digest of the config) of a docker or OCI archive.
    pub fn archive_image_id(archive: &[u8]) -> String {
        if let Some(manifest) = tar_file(archive, "manifest.json") {
            let manifest: Value = serde_json::from_slice(&manifest).unwrap();
            let config_path = manifest[0]["Config"].as_str().unwrap();
            let config = tar_file(archive, config_path).unwrap();
            return sha256(&config);
        }
        let index: Value =
            serde_json::from_slice(&tar_file(archive, "index.json").unwrap()).unwrap();
        let digest = index["manifests"][0]["digest"].as_str().unwrap();
        let manifest = tar_file(archive, &format!("blobs/sha256/{}", &digest[7..])).unwrap();
        let manifest: Value = serde_json::from_slice(&manifest).unwrap();
        manifest["config"]["digest"].as_str().unwrap().to_string()
    }

    /// The 12-hex-digit short form of an ID, as `images` shows it.
    pub fn short_id(id: &str) -> String {
        id.trim_start_matches("sha256:")[..12].to_string()
    }
}

// =============================================================================================
// Background processes, ptys and output parsing (used by tests/run.rs and tests/security.rs)
// =============================================================================================

impl Skiff {
    /// The IDs of the containers whose records exist: the dirs under `<root>/containers/`
    /// (hidden names left out), sorted.
    pub fn container_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = match fs::read_dir(self.root.join("containers")) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.'))
                .collect(),
            Err(_) => Vec::new(),
        };
        ids.sort();
        ids
    }

    /// Starts `skiff ARGS` in the background (stdin null unless `stdin` is true), collecting
    /// its output; see [`Bg`].
    pub fn spawn(&self, args: &[&str], stdin: bool) -> Bg {
        Bg::start(self.cmd(args), stdin)
    }

    /// `skiff --root R --runroot RR ARGS` as one `sh` command line, every word quoted.
    pub fn skiff_line(&self, args: &[&str]) -> String {
        let root = [
            "--root",
            path_str(&self.root),
            "--runroot",
            path_str(&self.runroot),
        ];
        std::iter::once(path_str(self.bin()))
            .chain(root)
            .chain(args.iter().copied())
            .map(shell_quote)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Starts `skiff ARGS` on a terminal of its own, `rows` x `cols` big: see
    /// [`Skiff::spawn_in_pty_line`]. `None` when util-linux `script` is not installed.
    pub fn spawn_in_pty(&self, args: &[&str], rows: u16, cols: u16) -> Option<Bg> {
        let line = format!(
            "stty rows {rows} cols {cols}; exec {}",
            self.skiff_line(args)
        );
        self.spawn_in_pty_line(&line)
    }

    /// Runs the `sh` command line `line` (see [`Skiff::skiff_line`]) on a terminal of its own:
    /// util-linux `script -qec LINE /dev/null`, as the skiff user. Its stdin is a pipe (what is
    /// written to it is typed on that terminal), its stdout what the terminal shows; its exit
    /// code that of `line`. `None` when `script` is not installed.
    pub fn spawn_in_pty_line(&self, line: &str) -> Option<Bg> {
        let script = find_program("script")?;
        let mut cmd = self.as_user(script);
        cmd.env("SHELL", "/bin/sh").env("TERM", "xterm").args([
            "-q",
            "-e",
            "-c",
            line,
            "/dev/null",
        ]);
        Some(Bg::start(cmd, true))
    }
}

/// `word` single-quoted for `sh`.
pub fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// The first `name` in `$PATH` (and the sbin dirs) that is a file.
pub fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain([
            "/usr/local/sbin",
            "/usr/local/bin",
            "/usr/sbin",
            "/usr/bin",
            "/sbin",
            "/bin",
        ])
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file());
    found
}

/// Polls until process `pid` has no `sig` pending: it has read the signal (skiff reads
/// them from a signalfd, and forwards one, when it does, in the same breath). Panics after
/// `limit`.
pub fn wait_until_taken(pid: i32, sig: i32, limit: Duration) {
    let bit = 1u64 << (sig - 1);
    let pending = |field: &str, status: &str| {
        status_field(status, field)
            .and_then(|v| u64::from_str_radix(&v, 16).ok())
            .unwrap_or(0)
    };
    let deadline = Instant::now() + limit;
    loop {
        let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        if (pending("ShdPnd", &status) | pending("SigPnd", &status)) & bit == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "process {pid} never took signal {sig}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Polls until `path` exists; false after `limit`.
pub fn wait_for_path(path: &Path, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if path.exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    path.exists()
}

/// A process started in the background (usually skiff), its output collected as it comes.
/// Dropping it kills it and every process it started (SIGKILL to the whole tree), so a failed
/// test leaves nothing running.
pub struct Bg {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    stdout: Reader,
    stderr: Reader,
    what: String,
    status: Option<std::process::ExitStatus>,
}

impl Bg {
    /// Spawns `cmd` with stdout and stderr piped, and stdin piped when `stdin` is true.
    pub fn start(mut cmd: Command, stdin: bool) -> Bg {
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        if stdin {
            cmd.stdin(Stdio::piped());
        }
        let what = format!("{cmd:?}");
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        Bg {
            stdin: child.stdin.take(),
            stdout: reader(child.stdout.take().unwrap()),
            stderr: reader(child.stderr.take().unwrap()),
            child,
            what,
            status: None,
        }
    }

    /// The process id.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends signal `sig` (libc::SIGTERM, ...) to the process.
    pub fn signal(&self, sig: i32) {
        let rc = unsafe { libc::kill(self.pid(), sig) };
        assert_eq!(
            rc,
            0,
            "kill({}, {sig}): {}",
            self.pid(),
            std::io::Error::last_os_error()
        );
    }

    /// Writes to its stdin (started with `stdin` true).
    pub fn write(&mut self, data: &[u8]) {
        let pipe = self.stdin.as_mut().expect("started without stdin");
        pipe.write_all(data).expect("write to stdin");
        pipe.flush().expect("flush stdin");
    }

    /// Closes its stdin.
    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }

    /// What it printed to stdout so far.
    pub fn stdout_so_far(&self) -> String {
        String::from_utf8_lossy(&self.stdout.buf.lock().unwrap()).into_owned()
    }

    /// What it printed to stderr so far.
    pub fn stderr_so_far(&self) -> String {
        String::from_utf8_lossy(&self.stderr.buf.lock().unwrap()).into_owned()
    }

    /// Whether it still runs.
    pub fn running(&mut self) -> bool {
        if self.status.is_none() {
            self.status = self.child.try_wait().expect("wait");
        }
        self.status.is_none()
    }

    /// Polls until stdout contains `needle`; false after `limit` or when the process ended
    /// without printing it.
    pub fn wait_for_stdout(&mut self, needle: &str, limit: Duration) -> bool {
        let started = Instant::now();
        loop {
            if self.stdout_so_far().contains(needle) {
                return true;
            }
            if !self.running() {
                // Output may still be in the pipe.
                std::thread::sleep(Duration::from_millis(100));
                return self.stdout_so_far().contains(needle);
            }
            if started.elapsed() > limit {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for it to exit (stdin left as it is) and returns its output; panics, after killing
    /// it and its descendants, when it runs longer than `limit`.
    pub fn wait(mut self, limit: Duration) -> Out {
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        while self.running() {
            if started.elapsed() > limit {
                kill_tree(self.pid());
                self.status = self.child.wait().ok();
                panic!(
                    "{} still running after {limit:?}, killed\n--- stdout\n{}\n--- stderr\n{}\n---",
                    self.what,
                    self.stdout.take(Duration::from_secs(2)),
                    self.stderr.take(Duration::from_secs(2)),
                );
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(20));
        }
        let status = self.status.unwrap();
        let grace = Duration::from_secs(10);
        Out {
            code: status
                .code()
                .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
            stdout: self.stdout.take(grace),
            stderr: self.stderr.take(grace),
        }
    }
}

impl Drop for Bg {
    fn drop(&mut self) {
        if self.running() {
            kill_tree(self.pid());
            let _ = self.child.wait();
        }
    }
}

/// SIGKILLs `pid` and all its descendants (children first found, then killed top down, so none
/// can be reparented away unseen).
pub fn kill_tree(pid: i32) {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let parent = all[i];
        all.extend(children_of(parent));
        i += 1;
    }
    for p in all {
        unsafe { libc::kill(p, libc::SIGKILL) };
    }
}

/// The pids whose parent is `pid`, from /proc/*/stat.
fn children_of(pid: i32) -> Vec<i32> {
    let Ok(rd) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&p| {
            let Ok(stat) = fs::read_to_string(format!("/proc/{p}/stat")) else {
                return false;
            };
            // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            let after = stat.rsplit_once(')').map(|(_, a)| a).unwrap_or("");
            after
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse::<i32>().ok())
                == Some(pid)
        })
        .collect()
}

/// Reads an HTTP request up to the blank line that ends its headers (for tests that serve
/// one answer on a loopback socket: answering before the whole request is read may reset
/// the connection).
pub fn read_http_request(conn: &mut impl Read) {
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
        seen.push(byte[0]);
    }
}

/// The value of `Field:` in a `/proc/PID/status` text ("CapEff" -> "00000000a80425fb").
pub fn status_field(status: &str, field: &str) -> Option<String> {
    status.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == field).then(|| v.trim().to_string())
    })
}

/// One line of `/proc/self/mounts`.
#[derive(Clone, Debug)]
pub struct MountEntry {
    pub source: String,
    pub target: String,
    pub fstype: String,
    pub options: Vec<String>,
}

impl MountEntry {
    pub fn has(&self, option: &str) -> bool {
        self.options.iter().any(|o| o == option)
    }
}

/// The entries of a `/proc/self/mounts` text, in order.
pub fn parse_mounts(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 4).then(|| MountEntry {
                source: f[0].to_string(),
                target: f[1].replace("\\040", " "),
                fstype: f[2].to_string(),
                options: f[3].split(',').map(String::from).collect(),
            })
        })
        .collect()
}

/// The mount that is visible at `target` (the last one mounted there), if any.
pub fn mount_at(text: &str, target: &str) -> Option<MountEntry> {
    parse_mounts(text)
        .into_iter()
        .rev()
        .find(|m| m.target == target)
}

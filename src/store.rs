//! The per-user store: where images, layers and containers live, and the primitives every
//! multi-step change uses (a store-wide lock, atomic file writes, staging directories).

use anyhow::{Context, Result};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The two directory trees of one user's skiff: persistent data and runtime state.
#[derive(Clone, Debug)]
pub struct Store {
    pub root: PathBuf,
    pub runroot: PathBuf,
    /// This command's process as the names it leaves in `tmp/` and `leases/` record it,
    /// taken when the store is opened: helpers forked later work on its behalf.
    owner: String,
}

impl Store {
    /// Opens the store, creating its directories on first use. Relative paths are made
    /// absolute at once: container starts change directory, and supervisors outlive this one.
    pub fn open(root: Option<PathBuf>, runroot: Option<PathBuf>) -> Result<Store> {
        let absolute = |path: PathBuf| {
            std::path::absolute(&path)
                .with_context(|| format!("cannot resolve the store path {}", path.display()))
        };
        let store = Store {
            root: absolute(root.unwrap_or_else(default_root))?,
            runroot: absolute(runroot.unwrap_or_else(default_runroot))?,
            owner: owner_tag(std::process::id() as i32),
        };
        make_private_dir(&store.root)?;
        make_private_dir(&store.runroot)?;
        for dir in [
            store.blobs(),
            store.layers(),
            store.images(),
            store.containers(),
            store.names(),
            store.volumes(),
            store.networks(),
            store.tmp(),
            store.leases(),
        ] {
            if !dir.is_dir() {
                fs::create_dir_all(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
        }
        Ok(store)
    }

    pub fn blobs(&self) -> PathBuf {
        self.root.join("blobs/sha256")
    }
    pub fn blob(&self, digest: &str) -> PathBuf {
        self.blobs().join(hex_of(digest))
    }
    pub fn layers(&self) -> PathBuf {
        self.root.join("layers")
    }
    /// The directory of an extracted layer, named by its diff id.
    pub fn layer(&self, diff_id: &str) -> PathBuf {
        self.layers().join(hex_of(diff_id))
    }
    pub fn images(&self) -> PathBuf {
        self.root.join("images")
    }
    pub fn containers(&self) -> PathBuf {
        self.root.join("containers")
    }
    /// Container names, one symlink per name pointing at the container id: creating a symlink
    /// is atomic and exclusive, which makes names unique without a global lock.
    pub fn names(&self) -> PathBuf {
        self.root.join("names")
    }
    /// Volumes, one directory per volume: `<name>/_data` and its record.
    pub fn volumes(&self) -> PathBuf {
        self.root.join("volumes")
    }
    /// User-defined networks, one directory per network id: its record and its endpoints.
    pub fn networks(&self) -> PathBuf {
        self.root.join(crate::net::network::DIR)
    }
    /// Staging area: everything is built here and renamed into place when complete.
    pub fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Compiled seccomp filters, made on first use (see `runtime::seccomp::compile_cached`).
    pub fn seccomp_cache(&self) -> PathBuf {
        self.root.join("seccomp")
    }

    /// Leases on layers, one file per command in flight (see `image::lease`).
    pub fn leases(&self) -> PathBuf {
        self.root.join("leases")
    }

    /// A fresh, empty staging directory under `tmp/`, named after this command so that one
    /// a killed command left can be told from work in progress.
    pub fn staging_dir(&self) -> Result<PathBuf> {
        let dir = self.tmp_path("stage");
        fs::create_dir(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        Ok(dir)
    }

    /// A new name under `tmp/` for `kind` of thing (what a removal renames away before
    /// deleting it), named after this command as [`Store::staging_dir`] is.
    pub fn tmp_path(&self, kind: &str) -> PathBuf {
        self.tmp()
            .join(format!("{}.{kind}-{}", self.owner, random_hex(8)))
    }

    /// A name for something this command owns while it lives (a lease file).
    pub fn owned_name(&self) -> String {
        format!("{}.{}", self.owner, random_hex(8))
    }

    /// What killed commands left under `dir` (`tmp/`, `leases/`): entries named after a
    /// process that is gone. Entries of older skiff versions, without an owner in their
    /// name, count once they are a day old.
    pub fn abandoned(&self, dir: &Path) -> Vec<PathBuf> {
        let Ok(entries) = fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .flatten()
            .filter(|entry| {
                let name = entry.file_name();
                match owner_of(&name.to_string_lossy()) {
                    Some((pid, start)) => !process_alive(pid, start),
                    None => older_than_a_day(&entry.path()),
                }
            })
            .map(|entry| entry.path())
            .collect()
    }

    /// The layer every container's overlay has on top of its image: the files and
    /// directories the runtime mounts over (/etc/hosts, /proc, ...), so that creating those
    /// mount points never lands in the container's own changes (`diff`, `commit`, a build's
    /// RUN layer). Made on first use; its path is relative to `layers/`, as overlay lower
    /// directories are.
    pub fn init_layer(&self) -> Result<&'static str> {
        const RELATIVE: &str = "../init";
        let dir = self.root.join("init");
        if dir.is_dir() {
            return Ok(RELATIVE);
        }
        let staging = self.staging_dir()?;
        for sub in ["dev", "proc", "sys", "etc"] {
            fs::create_dir(staging.join(sub))?;
        }
        for file in ["etc/hosts", "etc/hostname", "etc/resolv.conf"] {
            File::create(staging.join(file))?;
        }
        if let Err(e) = fs::rename(&staging, &dir) {
            let _ = remove_tree(&staging);
            if !dir.is_dir() {
                return Err(e).with_context(|| format!("cannot create {}", dir.display()));
            }
        }
        Ok(RELATIVE)
    }

    /// Takes the store-wide lock that serialises updates of the image index and tags.
    pub fn lock(&self) -> Result<Lock> {
        Lock::acquire(&self.root.join("lock"))
    }
}

/// Creates `dir` (and its parents) readable by its owner alone, and takes group and other
/// access away from one that exists: layers hold world-writable directories and setuid
/// binaries owned by the store's user, which no other user of the machine may reach.
fn make_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    if !dir.is_dir() {
        if let Some(parent) = dir.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        match fs::DirBuilder::new().mode(0o700).create(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(e).with_context(|| format!("cannot create {}", dir.display()))
            }
            _ => {}
        }
    }
    let meta = fs::metadata(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    if meta.mode() & 0o077 != 0 && meta.uid() == nix::unistd::geteuid().as_raw() {
        fs::set_permissions(dir, fs::Permissions::from_mode(meta.mode() & 0o7700))
            .with_context(|| format!("cannot make {} private", dir.display()))?;
    }
    Ok(())
}

/// "PID-START": a process and its start time, which tells it from a later one with its pid.
fn owner_tag(pid: i32) -> String {
    format!("{pid}-{}", process_start_time(pid).unwrap_or(0))
}

/// The process a name made by [`owner_tag`] belongs to.
fn owner_of(name: &str) -> Option<(i32, u64)> {
    let tag = name.split('.').next()?;
    let (pid, start) = tag.split_once('-')?;
    Some((pid.parse().ok()?, start.parse().ok()?))
}

fn older_than_a_day(path: &Path) -> bool {
    fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age.as_secs() > 24 * 3600)
}

pub fn home_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

fn default_root() -> PathBuf {
    if is_root() {
        return PathBuf::from("/var/lib/skiff");
    }
    match std::env::var_os("XDG_DATA_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("skiff"),
        _ => home_dir().join(".local/share/skiff"),
    }
}

fn default_runroot() -> PathBuf {
    if is_root() {
        return PathBuf::from("/run/skiff");
    }
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("skiff"),
        _ => PathBuf::from(format!("/tmp/skiff-{}", nix::unistd::getuid())),
    }
}

/// The hex part of a "sha256:<hex>" digest (or the input when it has no algorithm prefix).
pub fn hex_of(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap_or(digest)
}

/// An exclusive advisory lock on a file, released on drop.
pub struct Lock {
    _file: File,
}

impl Lock {
    pub fn acquire(path: &Path) -> Result<Lock> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("cannot open lock {}", path.display()))?;
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(std::io::Error::last_os_error())
                .with_context(|| format!("cannot lock {}", path.display()));
        }
        Ok(Lock { _file: file })
    }
}

/// A name for the unix socket at `path` that fits a socket address (108 bytes) however long
/// the directory is: `/proc/self/fd/N/NAME`, through a descriptor of the directory that
/// lives as long as the returned value. For binding and for connecting alike.
pub struct SocketPath {
    _dir: File,
    pub path: PathBuf,
}

pub fn socket_path(path: &Path) -> Result<SocketPath> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{} names no socket", path.display()))?;
    let handle = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(dir)
        .with_context(|| format!("cannot open {}", dir.display()))?;
    let short = PathBuf::from(format!("/proc/self/fd/{}", handle.as_raw_fd())).join(name);
    Ok(SocketPath {
        _dir: handle,
        path: short,
    })
}

/// Writes a file so that readers see either the old content or the new, never a torn one.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    write_atomic_mode(path, data, 0o644)
}

/// [`write_atomic`] with the file's permission bits (0o600 for secrets).
pub fn write_atomic_mode(path: &Path, data: &[u8], mode: u32) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{}.tmp", random_hex(8)));
    let result = (|| -> std::io::Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        file.write_all(data)?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Serialises a value as JSON and writes it atomically.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    write_atomic(path, &serde_json::to_vec(value)?)
}

/// Reads and parses a JSON file, naming the file in errors.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T> {
    let data = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&data).with_context(|| format!("corrupt store file {}", path.display()))
}

/// `n` random bytes as lowercase hex, from the kernel's random source.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        let got = unsafe { libc::getrandom(buf[filled..].as_mut_ptr().cast(), n - filled, 0) };
        if got > 0 {
            filled += got as usize;
        }
    }
    to_hex(&buf)
}

pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// "sha256:<hex>" of some bytes.
pub fn sha256_digest(data: &[u8]) -> String {
    use sha2::Digest;
    format!("sha256:{}", to_hex(&sha2::Sha256::digest(data)))
}

/// The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat).
pub fn process_start_time(pid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 2..];
    after_comm.split(' ').nth(19)?.parse().ok()
}

/// Whether `pid` is still the process that started at `start` (not a reused pid, and not
/// a zombie waiting to be reaped).
pub fn process_alive(pid: i32, start: u64) -> bool {
    pid > 0 && process_start_time(pid) == Some(start) && !is_zombie(pid)
}

fn is_zombie(pid: i32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return true;
    };
    let state = stat.rfind(')').and_then(|i| stat[i + 2..].chars().next());
    matches!(state, Some('Z' | 'X'))
}

/// Removes a directory tree, for trees whose files all belong to the caller.
/// Returns the error so callers can fall back to removal inside the user namespace.
pub fn remove_tree(path: &Path) -> std::io::Result<()> {
    match fs::remove_dir_all(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Bytes of the files under `dir` (symlinks not followed); what cannot be read counts 0.
pub fn tree_size(dir: &Path) -> u64 {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => tree_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// The rule for the names users give containers, volumes and networks:
/// `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, one character being enough.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

/// A lookup that found nothing (`No such image: x`) or more than one thing (an ambiguous id
/// prefix). Docker exits 1 for these outside `run`.
#[derive(Debug)]
pub struct NotFound(pub String);

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotFound {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_tmp_tell_their_owner() {
        let me = std::process::id() as i32;
        let tag = owner_tag(me);
        let (pid, start) = owner_of(&format!("{tag}.stage-0123")).unwrap();
        assert_eq!(pid, me);
        assert!(process_alive(pid, start));
        assert_eq!(owner_of("0123456789abcdef"), None);
        assert_eq!(owner_of("rm-0123"), None);
    }

    #[test]
    fn own_process_is_alive_and_reuse_is_detected() {
        let me = std::process::id() as i32;
        let start = process_start_time(me).unwrap();
        assert!(process_alive(me, start));
        assert!(!process_alive(me, start + 1));
        assert!(!process_alive(0, 0));
    }
}

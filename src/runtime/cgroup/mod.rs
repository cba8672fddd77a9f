//! Resource limits through the kernel's control groups. A container that asks for limits
//! gets a cgroup of its own: as root under `skiff/` (in each v1 controller's hierarchy, or
//! in the v2 tree), rootless below the caller's delegated v2 cgroup. Its init is moved in
//! before it executes, and the cgroup goes when the container's run ends. Where no cgroup
//! can be written (rootless on cgroup v1), [`Place::Unusable`] says why, so the caller can
//! tell the user that the limits are not applied.
//!
//! Every path starts from a hierarchy root given as a parameter, so the code runs against
//! the kernel's `/sys/fs/cgroup` and, in tests, against a directory laid out like it.

mod primer;
mod resources;
mod v1;
mod v2;

pub use primer::Primer;
pub use resources::{Machine, Resources};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where the kernel mounts the cgroup hierarchies.
pub const ROOT: &str = "/sys/fs/cgroup";

/// The parent of the containers' cgroups when skiff runs as root.
const SKIFF_BASE: &str = "skiff";

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    /// One hierarchy per controller, `ROOT/<controller>/...`.
    V1,
    /// The unified hierarchy, `ROOT/...`.
    V2,
}

/// Where skiff can make cgroups for containers, or why it cannot.
#[derive(Debug, PartialEq, Eq)]
pub enum Place {
    Usable {
        root: PathBuf,
        version: Version,
        /// The parent of the containers' cgroups, relative to the root.
        base: String,
    },
    Unusable(String),
}

/// The place for this process: the kernel's hierarchies, as root or as the user.
pub fn here() -> Place {
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    find(Path::new(ROOT), nix::unistd::geteuid().is_root(), &own)
}

/// The place under `root` for a process whose `/proc/self/cgroup` reads `own`.
pub fn find(root: &Path, privileged: bool, own: &str) -> Place {
    let version = if root.join("cgroup.controllers").exists() {
        Version::V2
    } else if root.join("memory").is_dir() || root.join("pids").is_dir() {
        Version::V1
    } else {
        return Place::Unusable(format!(
            "no cgroup hierarchy is mounted at {}",
            root.display()
        ));
    };
    let usable = |base: String| Place::Usable {
        root: root.to_path_buf(),
        version,
        base,
    };
    match (privileged, version) {
        (true, _) => usable(SKIFF_BASE.to_string()),
        (false, Version::V1) => Place::Unusable(
            "cgroup v1 gives unprivileged users no cgroup of their own to write".to_string(),
        ),
        (false, Version::V2) => match v2::delegated_parent(root, own) {
            Ok(base) => usable(base),
            Err(reason) => Place::Unusable(reason),
        },
    }
}

impl Place {
    /// The cgroup a container `id` gets: under `parent` (`--cgroup-parent`, taken below
    /// the delegated cgroup when rootless) or under skiff's base.
    pub fn cgroup_for(&self, id: &str, parent: &str) -> Option<Cgroup> {
        let Place::Usable {
            root,
            version,
            base,
        } = self
        else {
            return None;
        };
        let parent = parent.trim_matches('/');
        let parent = match (base.as_str(), parent) {
            (_, "") => base.clone(),
            (SKIFF_BASE, parent) => parent.to_string(),
            (base, parent) => format!("{base}/{parent}"),
        };
        Some(Cgroup {
            root: root.clone(),
            version: *version,
            path: format!("{}/{id}", parent.trim_start_matches('/')),
        })
    }

    /// Starts paying the kernel's wait for a first cgroup move (see [`Primer`]), when
    /// this process can move itself here.
    pub fn primer(&self) -> Option<Primer> {
        let Place::Usable { root, version, .. } = self else {
            return None;
        };
        let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        Primer::start(root, *version, &own)
    }

    /// The requested limits this place cannot apply, as warnings for the user.
    pub fn unsupported(&self, resources: &Resources) -> Vec<String> {
        match self {
            Place::Usable {
                root,
                version: Version::V1,
                ..
            } => v1::unsupported(root, resources),
            Place::Usable {
                root,
                version: Version::V2,
                base,
            } => v2::unsupported(&root.join(base), resources),
            Place::Unusable(_) => Vec::new(),
        }
    }
}

/// A container's cgroup: the same relative path in each v1 hierarchy, or one v2 directory.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Cgroup {
    pub root: PathBuf,
    pub version: Version,
    /// Relative to the root (v2) or to each controller's hierarchy (v1).
    pub path: String,
}

/// What `stats` shows of a cgroup.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub cpu_nanos: u64,
    /// Memory in use, the page cache that can be dropped left out (as docker's stats).
    pub memory: u64,
    /// The limit; `None` when unlimited.
    pub memory_limit: Option<u64>,
    pub pids: u64,
    /// Bytes read and written on block devices.
    pub block: (u64, u64),
}

impl Cgroup {
    /// Makes the cgroup and writes the limits; `devices` are extra device rules allowed
    /// when the container has device rules of its own (its `--device` nodes).
    pub fn create(&self, resources: &Resources, devices: &[String]) -> anyhow::Result<()> {
        let made = match self.version {
            Version::V1 => v1::create(self, resources, devices),
            Version::V2 => v2::create(self, resources),
        };
        if made.is_err() {
            self.remove();
        }
        made
    }

    /// Writes changed limits (`update`).
    pub fn set(&self, resources: &Resources) -> anyhow::Result<()> {
        match self.version {
            Version::V1 => v1::set(self, resources),
            Version::V2 => v2::set(&self.root.join(&self.path), resources),
        }
    }

    /// Moves process `pid` (and so the children it makes from now on) into the cgroup.
    pub fn join(&self, pid: i32) -> anyhow::Result<()> {
        use anyhow::Context;
        for dir in self.dirs() {
            std::fs::write(dir.join("cgroup.procs"), pid.to_string()).with_context(|| {
                format!(
                    "cannot move the container into its cgroup {}",
                    dir.display()
                )
            })?;
        }
        Ok(())
    }

    /// Removes the cgroup once its processes are gone; they may take a moment to leave
    /// after the container's init died.
    pub fn remove(&self) {
        for dir in self.dirs() {
            for _ in 0..100 {
                match std::fs::remove_dir(&dir) {
                    Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                        std::thread::sleep(std::time::Duration::from_millis(2))
                    }
                    _ => break,
                }
            }
        }
    }

    /// Host pids of the processes in the cgroup.
    pub fn procs(&self) -> Vec<i32> {
        let dir = match self.version {
            Version::V1 => self.root.join("pids").join(&self.path),
            Version::V2 => self.root.join(&self.path),
        };
        let text = std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        let mut pids: Vec<i32> = text.lines().filter_map(|l| l.trim().parse().ok()).collect();
        pids.sort();
        pids
    }

    pub fn usage(&self) -> Usage {
        match self.version {
            Version::V1 => v1::usage(self),
            Version::V2 => v2::usage(&self.root.join(&self.path)),
        }
    }

    /// Whether the kernel's OOM killer has killed a process of the cgroup.
    pub fn oom_killed(&self) -> bool {
        let (file, dir) = match self.version {
            Version::V1 => (
                "memory.oom_control",
                self.root.join("memory").join(&self.path),
            ),
            Version::V2 => ("memory.events", self.root.join(&self.path)),
        };
        let text = std::fs::read_to_string(dir.join(file)).unwrap_or_default();
        keyed(&text, "oom_kill").is_some_and(|n| n > 0)
    }

    /// Freezes or thaws every process of the cgroup; false when it has no freezer.
    pub fn freeze(&self, frozen: bool) -> anyhow::Result<bool> {
        match self.version {
            Version::V1 => v1::freeze(self, frozen),
            Version::V2 => v2::freeze(&self.root.join(&self.path), frozen),
        }
    }

    /// The directories that make up the cgroup.
    fn dirs(&self) -> Vec<PathBuf> {
        match self.version {
            Version::V1 => v1::CONTROLLERS
                .iter()
                .map(|c| self.root.join(c).join(&self.path))
                .filter(|d| d.is_dir())
                .collect(),
            Version::V2 => vec![self.root.join(&self.path)],
        }
    }
}

/// One limit as a cgroup file takes it.
struct Limit {
    controller: &'static str,
    file: &'static str,
    value: String,
}

/// The limits of a container, in the order they are written.
#[derive(Default)]
struct Limits(Vec<Limit>);

impl Limits {
    fn add(&mut self, controller: &'static str, file: &'static str, value: String) {
        self.0.push(Limit {
            controller,
            file,
            value,
        });
    }

    /// The limits whose files cgroup v1 and v2 name alike: cpuset's and pids'.
    fn add_common(&mut self, r: &Resources) {
        if !r.cpuset_cpus.is_empty() {
            self.add("cpuset", "cpuset.cpus", r.cpuset_cpus.clone());
        }
        if !r.cpuset_mems.is_empty() {
            self.add("cpuset", "cpuset.mems", r.cpuset_mems.clone());
        }
        if let Some(pids) = r.pids_limit {
            self.add("pids", "pids.max", pids_max(pids));
        }
    }
}

/// docker's PidsLimit: 0 or less is no limit.
fn pids_max(limit: i64) -> String {
    if limit > 0 {
        limit.to_string()
    } else {
        "max".to_string()
    }
}

/// The number after `key` in a file of `key value` lines (memory.stat, cpu.stat, ...).
fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(' ')?;
        (k == key).then(|| v.trim().parse().ok())?
    })
}

/// Writes one cgroup file, naming it when the kernel refuses.
fn write(path: &Path, value: &str) -> anyhow::Result<()> {
    std::fs::write(path, value).map_err(|e| {
        anyhow::anyhow!(
            "cannot set {} to {value}: {e}",
            path.file_name().unwrap_or_default().to_string_lossy()
        )
    })
}

/// Waits for a freeze to settle: the kernel may take a moment to stop every process.
fn settle(done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_uses_skiffs_base_and_parents() {
        let dir = crate::testdir::TempDir::new("cgroup");
        dir.subdir("memory");
        let place = find(dir.path(), true, "4:memory:/\n");
        let cgroup = place.cgroup_for("abc", "").unwrap();
        assert_eq!(
            (cgroup.version, cgroup.path.as_str()),
            (Version::V1, "skiff/abc")
        );
        assert_eq!(place.cgroup_for("abc", "/mine/").unwrap().path, "mine/abc");
        assert!(matches!(
            find(dir.path(), false, "4:memory:/\n"),
            Place::Unusable(reason) if reason.contains("cgroup v1")
        ));
        let empty = crate::testdir::TempDir::new("cgroup");
        assert!(matches!(find(empty.path(), true, ""), Place::Unusable(_)));
    }

    #[test]
    fn keyed_lines() {
        assert_eq!(
            keyed("oom_kill_disable 0\noom_kill 3\n", "oom_kill"),
            Some(3)
        );
        assert_eq!(keyed("under_oom 0\n", "oom_kill"), None);
    }
}

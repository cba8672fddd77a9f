//! User namespace id mappings: who the container's users are on the host.
//!
//! Rootless, the caller becomes root in the container and the subordinate ids from
//! /etc/subuid and /etc/subgid (written by the setuid helpers newuidmap/newgidmap) become
//! the container's other users. Without a range, only the caller is mapped. As root, the
//! whole id space is mapped onto itself, so the container sees the host's ownership.

use anyhow::{bail, Context, Result};
use nix::unistd::{Gid, Uid};
use std::io::{Read, Write};
use std::process::Command;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct IdRange {
    pub container: u32,
    pub host: u32,
    pub size: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MappingMode {
    /// Running as root: identity mapping of every id.
    Root,
    /// The caller plus its subordinate range, written by newuidmap/newgidmap.
    Subordinate,
    /// Only the caller; files of other owners in images end up owned by root.
    Single,
}

#[derive(Clone, Debug)]
pub struct IdMappings {
    pub mode: MappingMode,
    pub uids: Vec<IdRange>,
    pub gids: Vec<IdRange>,
}

impl IdMappings {
    /// Works out the mappings for the calling user from /etc/subuid and /etc/subgid.
    pub fn detect() -> IdMappings {
        let (uid, gid) = (Uid::current(), Gid::current());
        if uid.is_root() {
            let all = vec![IdRange {
                container: 0,
                host: 0,
                size: u32::MAX,
            }];
            return IdMappings {
                mode: MappingMode::Root,
                uids: all.clone(),
                gids: all,
            };
        }
        let name = nix::unistd::User::from_uid(uid)
            .ok()
            .flatten()
            .map(|u| u.name)
            .unwrap_or_default();
        let sub_uids = subordinate_ranges("/etc/subuid", &name, uid.as_raw());
        let sub_gids = subordinate_ranges("/etc/subgid", &name, uid.as_raw());
        let helpers = helper_exists("newuidmap") && helper_exists("newgidmap");
        let own = |id| {
            vec![IdRange {
                container: 0,
                host: id,
                size: 1,
            }]
        };
        if helpers && !sub_uids.is_empty() && !sub_gids.is_empty() {
            IdMappings {
                mode: MappingMode::Subordinate,
                uids: stack_after_self(uid.as_raw(), &sub_uids),
                gids: stack_after_self(gid.as_raw(), &sub_gids),
            }
        } else {
            IdMappings {
                mode: MappingMode::Single,
                uids: own(uid.as_raw()),
                gids: own(gid.as_raw()),
            }
        }
    }

    /// The one-line warning a user with a single mapping gets.
    pub fn warning(&self) -> Option<String> {
        (self.mode == MappingMode::Single).then(|| {
            "skiff: warning: no subordinate id range for this user in /etc/subuid and /etc/subgid \
             (or newuidmap/newgidmap missing): only your own id is mapped into containers, so files \
             of other users in images belong to root; add a range with \
             `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER`"
                .to_string()
        })
    }

    /// Writes the mappings of the freshly created user namespace of process `pid`.
    pub fn apply(&self, pid: i32) -> Result<()> {
        match self.mode {
            MappingMode::Subordinate => {
                let mut uid_helper = helper_command("newuidmap", pid, &self.uids)
                    .spawn()
                    .context("cannot run newuidmap")?;
                let gid_status = helper_command("newgidmap", pid, &self.gids)
                    .status()
                    .context("cannot run newgidmap")?;
                let uid_status = uid_helper.wait()?;
                if !uid_status.success() || !gid_status.success() {
                    bail!("newuidmap/newgidmap failed to set up the user namespace; check /etc/subuid and /etc/subgid");
                }
                Ok(())
            }
            MappingMode::Root | MappingMode::Single => {
                let proc = format!("/proc/{pid}");
                if self.mode == MappingMode::Single {
                    std::fs::write(format!("{proc}/setgroups"), "deny")
                        .context("cannot write setgroups")?;
                }
                std::fs::write(format!("{proc}/uid_map"), map_text(&self.uids))
                    .context("cannot write uid_map")?;
                std::fs::write(format!("{proc}/gid_map"), map_text(&self.gids))
                    .context("cannot write gid_map")?;
                Ok(())
            }
        }
    }
}

/// `--userns keep-id`: the caller's own uid and gid are themselves in the container, the
/// subordinate ids its other users (container ids below the caller's shifted down by one,
/// as podman lays them out).
impl IdMappings {
    /// The mappings of a keep-id container. As root every id is itself already.
    pub fn keep_id(&self) -> Result<IdMappings> {
        match self.mode {
            MappingMode::Root => Ok(self.clone()),
            MappingMode::Single => bail!("--userns keep-id needs a subordinate id range for your user in /etc/subuid and /etc/subgid: add one with `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER`"),
            MappingMode::Subordinate => Ok(IdMappings {
                mode: self.mode,
                uids: keep_id_ranges(IdKind::Uid, &self.uids)?,
                gids: keep_id_ranges(IdKind::Gid, &self.gids)?,
            }),
        }
    }

    /// The owner a copy of a file owned by `uid`/`gid` (as root of the default mappings sees
    /// them) needs so that a keep-id container sees it owned as the default one sees the
    /// original: container root's files stay root's, the caller's ids become their own.
    pub fn keep_id_owner(&self, uid: u32, gid: u32) -> (u32, u32) {
        if self.mode == MappingMode::Root {
            return (uid, gid);
        }
        let shift = |id: u32, own: u32| match id {
            id if id < own => id + 1,
            id if id == own => 0,
            id => id,
        };
        (shift(uid, self.uids[0].host), shift(gid, self.gids[0].host))
    }
}

/// From the default ranges (`own` at 0, subordinate ids from 1 on): the subordinate ids at
/// container ids 1..=own move down to 0..own, the caller's own id sits at `own`, and the
/// rest stays.
fn keep_id_ranges(kind: IdKind, ranges: &[IdRange]) -> Result<Vec<IdRange>> {
    let own = ranges[0].host;
    let mut out = vec![IdRange {
        container: own,
        host: own,
        size: 1,
    }];
    for r in &ranges[1..] {
        let end = r.container + r.size;
        let below = end.min(own + 1).saturating_sub(r.container);
        if below > 0 {
            out.push(IdRange {
                container: r.container - 1,
                host: r.host,
                size: below,
            });
        }
        if below < r.size {
            out.push(IdRange {
                container: r.container + below,
                host: r.host + below,
                size: r.size - below,
            });
        }
    }
    let covered: u64 = ranges[1..].iter().map(|r| u64::from(r.size)).sum();
    if covered < u64::from(own) {
        let (name, file) = match kind {
            IdKind::Uid => ("uid", "/etc/subuid"),
            IdKind::Gid => ("gid", "/etc/subgid"),
        };
        bail!("--userns keep-id needs at least {own} subordinate {name}s (your {name} is {own}) in {file}, for the container's ids below yours");
    }
    out.sort_by_key(|r| r.container);
    Ok(out)
}

/// User ids or group ids: what an error about an unmapped id names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    Uid,
    Gid,
}

impl IdMappings {
    /// Refuses a `uid[:gid]` user (docker's `--user`, an image's USER) whose numeric ids the
    /// container's user namespace cannot have, before a container is made for it. Names are
    /// looked up in the container's own passwd file when it starts, and checked there.
    pub fn check_user(&self, user: &str) -> Result<(), super::StartError> {
        let (uid, gid) = match user.split_once(':') {
            Some((uid, gid)) => (uid, Some(gid)),
            None => (user, None),
        };
        let wanted = [
            (IdKind::Uid, Some(uid), &self.uids),
            (IdKind::Gid, gid, &self.gids),
        ];
        for (kind, text, ranges) in wanted {
            if let Some(id) = text.and_then(|t| t.parse::<u32>().ok()) {
                check_mapped(kind, id, ranges)?;
            }
        }
        Ok(())
    }
}

/// Fails with what to do about it when `id` is not among the container ids of `ranges`.
pub fn check_mapped(kind: IdKind, id: u32, ranges: &[IdRange]) -> Result<(), super::StartError> {
    let covered = ranges
        .iter()
        .any(|r| id >= r.container && u64::from(id - r.container) < u64::from(r.size));
    if covered {
        return Ok(());
    }
    let end = ranges
        .iter()
        .map(|r| u64::from(r.container) + u64::from(r.size))
        .max()
        .unwrap_or(0);
    let (name, file, option) = match kind {
        IdKind::Uid => ("uid", "/etc/subuid", "--add-subuids"),
        IdKind::Gid => ("gid", "/etc/subgid", "--add-subgids"),
    };
    Err(super::StartError::Setup(format!(
        "cannot run as {name} {id}: the container has only {name}s 0-{} (your own {name} and \
         the subordinate {name}s of your user in {file}), so your subordinate {name} range is \
         too small; as root, grow it to at least {id} ids with `usermod {option} FIRST-LAST \
         USER` (or by editing {file})",
        end.saturating_sub(1)
    )))
}

/// The id ranges of the user namespace this process is in (`uid_map` or `gid_map`).
pub fn own_ranges(kind: IdKind) -> Vec<IdRange> {
    let file = match kind {
        IdKind::Uid => "/proc/self/uid_map",
        IdKind::Gid => "/proc/self/gid_map",
    };
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace().map(|f| f.parse::<u32>().ok());
            Some(IdRange {
                container: fields.next()??,
                host: fields.next()??,
                size: fields.next()??,
            })
        })
        .collect()
}

fn map_text(ranges: &[IdRange]) -> String {
    ranges
        .iter()
        .map(|r| format!("{} {} {}\n", r.container, r.host, r.size))
        .collect()
}

fn helper_command(helper: &str, pid: i32, ranges: &[IdRange]) -> Command {
    // The full path spares a walk through $PATH on every container start.
    let mut cmd = Command::new(helper_path(helper).unwrap_or_else(|| helper.into()));
    cmd.arg(pid.to_string());
    for r in ranges {
        cmd.args([
            r.container.to_string(),
            r.host.to_string(),
            r.size.to_string(),
        ]);
    }
    cmd
}

fn helper_path(name: &str) -> Option<std::path::PathBuf> {
    ["/usr/bin", "/bin", "/usr/sbin", "/sbin", "/usr/local/bin"]
        .iter()
        .map(|dir| std::path::Path::new(dir).join(name))
        .find(|path| path.exists())
}

fn helper_exists(name: &str) -> bool {
    helper_path(name).is_some()
}

/// Container root is the caller; the subordinate ranges follow from container id 1 on.
fn stack_after_self(own: u32, ranges: &[(u32, u32)]) -> Vec<IdRange> {
    let mut out = vec![IdRange {
        container: 0,
        host: own,
        size: 1,
    }];
    let mut next = 1;
    for &(host, size) in ranges {
        out.push(IdRange {
            container: next,
            host,
            size,
        });
        next += size;
    }
    out
}

/// The (start, count) ranges of a user in a subuid/subgid file, by name or numeric id.
fn subordinate_ranges(file: &str, name: &str, uid: u32) -> Vec<(u32, u32)> {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Vec::new();
    };
    parse_subordinate(&text, name, uid)
}

fn parse_subordinate(text: &str, name: &str, uid: u32) -> Vec<(u32, u32)> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.trim().split(':');
            let owner = fields.next()?;
            let start = fields.next()?.parse().ok()?;
            let count = fields.next()?.parse().ok()?;
            let matches = (!name.is_empty() && owner == name) || owner == uid.to_string();
            (matches && count > 0).then_some((start, count))
        })
        .collect()
}

/// Runs `work` in a child process that is root in a new user namespace with the caller's
/// mappings: for work on files that belong to subordinate ids (extracting layers, removing a
/// container's files). As root there is nothing to gain, so `work` runs in this process.
/// The text `work` returns comes back to the caller.
pub fn run_in_userns(maps: &IdMappings, work: impl FnOnce() -> Result<String>) -> Result<String> {
    if maps.mode == MappingMode::Root {
        return work();
    }
    run_in_child(maps, Setup::UserNs { mount: false }, work)
}

/// Like [`run_in_userns`], but always in a child process that also has a mount namespace of
/// its own, private: for work that mounts an overlay of image layers to look into or change
/// it (build steps, `cp`, `export`). The mounts vanish with the child.
pub fn run_in_mount_ns(maps: &IdMappings, work: impl FnOnce() -> Result<String>) -> Result<String> {
    run_in_child(maps, Setup::UserNs { mount: true }, work)
}

/// Runs `work` in a child process that has joined the user and mount namespaces of the
/// running container whose pid 1 is `pid`: it sees the container's files (and mounts) as
/// the container does, with `/` its root. Host paths are out of sight there: open what is
/// needed before.
pub fn run_in_container(
    maps: &IdMappings,
    pid: i32,
    work: impl FnOnce() -> Result<String>,
) -> Result<String> {
    run_in_child(maps, Setup::Join(pid, libc::CLONE_NEWNS), work)
}

/// Like [`run_in_container`], but in the container's user and network namespaces: for
/// work on its interfaces.
pub fn run_in_container_network(
    maps: &IdMappings,
    pid: i32,
    work: impl FnOnce() -> Result<String>,
) -> Result<String> {
    run_in_child(maps, Setup::Join(pid, libc::CLONE_NEWNET), work)
}

/// The namespaces the child of [`run_in_child`] works in.
#[derive(Clone, Copy)]
enum Setup {
    /// A user namespace of its own (none as root), and a private mount namespace if asked.
    UserNs { mount: bool },
    /// A container's user namespace and others (CLONE_NEW* flags), by the pid of its pid 1.
    Join(i32, libc::c_int),
}

fn run_in_child(
    maps: &IdMappings,
    setup: Setup,
    work: impl FnOnce() -> Result<String>,
) -> Result<String> {
    let own_userns = maps.mode != MappingMode::Root && matches!(setup, Setup::UserNs { .. });
    let (ready_r, ready_w) = nix::unistd::pipe()?;
    let (go_r, go_w) = nix::unistd::pipe()?;
    let (out_r, out_w) = nix::unistd::pipe()?;
    let parent = nix::unistd::getpid();
    // SAFETY: skiff is single-threaded when it does this, so the child may run arbitrary code.
    match unsafe { nix::unistd::fork() }? {
        nix::unistd::ForkResult::Child => {
            drop((ready_r, go_w, out_r));
            die_with_parent(parent);
            let result = (|| -> Result<String> {
                if own_userns {
                    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWUSER)
                        .context("cannot create a user namespace")?;
                }
                std::fs::File::from(ready_w).write_all(b"r")?;
                let mut go = [0u8; 1];
                if std::fs::File::from(go_r).read(&mut go)? != 1 {
                    bail!("user namespace setup was abandoned");
                }
                match setup {
                    Setup::UserNs { mount: true } => private_mount_namespace()?,
                    Setup::UserNs { mount: false } => {}
                    Setup::Join(pid, namespaces) => join_container(pid, namespaces)?,
                }
                work()
            })();
            // The first byte says whether the rest is the result or the error.
            let (code, message) = match result {
                Ok(text) => (0, format!("O{text}")),
                Err(e) => (1, format!("E{e:#}")),
            };
            let _ = std::fs::File::from(out_w).write_all(message.as_bytes());
            unsafe { libc::_exit(code) }
        }
        nix::unistd::ForkResult::Parent { child } => {
            drop((ready_w, go_r, out_w));
            let mut ready = [0u8; 1];
            let mut ready_file = std::fs::File::from(ready_r);
            let mut go_file = std::fs::File::from(go_w);
            let setup = if ready_file.read(&mut ready)? == 1 {
                let mapped = if own_userns {
                    maps.apply(child.as_raw())
                } else {
                    Ok(())
                };
                mapped.and_then(|_| Ok(go_file.write_all(b"g")?))
            } else {
                Ok(())
            };
            drop(go_file);
            let mut message = String::new();
            std::fs::File::from(out_r).read_to_string(&mut message)?;
            let status = nix::sys::wait::waitpid(child, None)?;
            setup?;
            match (message.get(..1), status) {
                (Some("E"), _) => bail!("{}", &message[1..]),
                (Some("O"), nix::sys::wait::WaitStatus::Exited(_, 0)) => {
                    Ok(message[1..].to_string())
                }
                (_, other) => bail!("helper process in the user namespace failed: {other:?}"),
            }
        }
    }
}

/// A helper works for the command that forked it and for nobody else: when that command is
/// killed (SIGKILL, SIGTERM, a closed terminal), its download, extraction or archive stops
/// too, and what it left is swept as a dead command's.
fn die_with_parent(parent: nix::unistd::Pid) {
    // SAFETY: prctl with these arguments only sets a flag of this process.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    // The parent may have died before the flag was set.
    if nix::unistd::getppid() != parent {
        unsafe { libc::_exit(137) }
    }
}

/// Joins the user namespace and `namespaces` of a container (the user namespace first, in
/// one setns on a pidfd); with its mount namespace, the root and working directory become
/// the container's.
fn join_container(pid: i32, namespaces: libc::c_int) -> Result<()> {
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        bail!("the container is not running");
    }
    // SAFETY: the kernel just gave us this descriptor.
    let pidfd = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd as i32) };
    // A container in the host's user namespace (root, `--userns host`) is joined without.
    let flags = super::foreign_namespaces(pid, libc::CLONE_NEWUSER | namespaces);
    if unsafe { libc::setns(std::os::fd::AsRawFd::as_raw_fd(&pidfd), flags) } != 0 {
        return Err(std::io::Error::last_os_error())
            .context("cannot join the container's namespaces");
    }
    Ok(())
}

/// A mount namespace of our own whose mounts do not propagate back to the host's.
fn private_mount_namespace() -> Result<()> {
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)
        .context("cannot create a mount namespace")?;
    nix::mount::mount(
        None::<&str>,
        "/",
        None::<&str>,
        nix::mount::MsFlags::MS_REC | nix::mount::MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .context("cannot make the mount namespace private")
}

/// Removes a directory tree that may hold files of subordinate ids (a container's layer, a
/// volume): plainly when the caller may, else as root in the user namespace.
pub fn remove_tree(maps: &IdMappings, path: &std::path::Path) -> Result<()> {
    if crate::store::remove_tree(path).is_ok() {
        return Ok(());
    }
    let target = path.to_path_buf();
    run_in_userns(maps, move || {
        crate::store::remove_tree(&target)?;
        Ok(String::new())
    })?;
    Ok(())
}

/// Removes trees already taken out of the store (renamed into its staging area), as root in
/// the user namespace, where their subordinate owners are ours.
pub fn remove_trees(maps: &IdMappings, doomed: Vec<std::path::PathBuf>) -> Result<()> {
    if doomed.is_empty() {
        return Ok(());
    }
    run_in_userns(maps, move || {
        for dir in doomed {
            crate::store::remove_tree(&dir)?;
        }
        Ok(String::new())
    })?;
    Ok(())
}

/// Removes what killed commands left in the store's staging area.
pub fn sweep_abandoned(store: &crate::store::Store, maps: &IdMappings) -> Result<()> {
    remove_trees(maps, store.abandoned(&store.tmp()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subordinate_ranges_by_name_or_uid() {
        let text = "alice:100000:65536\n1001:300000:10\nbob:200000:65536\nbad line\n";
        assert_eq!(
            parse_subordinate(text, "alice", 1000),
            vec![(100000, 65536)]
        );
        assert_eq!(parse_subordinate(text, "carol", 1001), vec![(300000, 10)]);
        assert!(parse_subordinate(text, "dave", 5).is_empty());
    }

    #[test]
    fn keep_id_keeps_the_caller_and_shifts_the_ids_below() {
        let maps = IdMappings {
            mode: MappingMode::Subordinate,
            uids: stack_after_self(1000, &[(100000, 65536)]),
            gids: stack_after_self(1000, &[(100000, 500), (300000, 65536)]),
        };
        let keep = maps.keep_id().unwrap();
        assert_eq!(
            map_text(&keep.uids),
            "0 100000 1000\n1000 1000 1\n1001 101000 64536\n"
        );
        assert_eq!(
            map_text(&keep.gids),
            "0 100000 500\n500 300000 500\n1000 1000 1\n1001 300500 65036\n"
        );
        // Root's files stay root's, the caller's are its own, the others follow.
        assert_eq!(maps.keep_id_owner(0, 0), (1, 1));
        assert_eq!(maps.keep_id_owner(1000, 1000), (0, 0));
        assert_eq!(maps.keep_id_owner(33, 5), (34, 6));
        assert_eq!(maps.keep_id_owner(65534, 65534), (65534, 65534));
        let small = IdMappings {
            mode: MappingMode::Subordinate,
            uids: stack_after_self(1000, &[(100000, 10)]),
            gids: stack_after_self(1000, &[(100000, 65536)]),
        };
        assert!(small.keep_id().is_err());
    }

    #[test]
    fn ranges_stack_after_the_caller() {
        let maps = stack_after_self(1000, &[(100000, 65536), (300000, 10)]);
        assert_eq!(
            map_text(&maps),
            "0 1000 1\n1 100000 65536\n65537 300000 10\n"
        );
    }
}

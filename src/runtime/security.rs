//! Identity and privileges of the container's process: the user from the container's own
//! passwd and group files, capability sets, no_new_privs and seccomp, applied in the one
//! order that works: bounding set, groups and ids (keeping capabilities across the switch),
//! seccomp while CAP_SYS_ADMIN is still held (unless no_new_privs allows it later), then
//! the final capability sets.

use super::seccomp::Filters;
use super::userns::{self, IdKind};
use super::StartError;
use anyhow::{Context, Result};
use caps::{CapSet, CapsHashSet};
use oci_spec::runtime::PosixRlimitType;
use oci_spec::runtime::{Capabilities, Process};
use std::str::FromStr;

/// The resolved identity of the container's process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    pub groups: Vec<u32>,
    pub home: String,
}

/// Resolves the spec's user. A `username` (docker's `-u` value: `name`, `uid`, `name:group`,
/// `uid:gid`) is looked up in the container's /etc/passwd and /etc/group, as docker does.
pub fn resolve_user(user: &oci_spec::runtime::User) -> Result<User> {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let group = std::fs::read_to_string("/etc/group").unwrap_or_default();
    let spec = user
        .username()
        .clone()
        .unwrap_or_else(|| format!("{}:{}", user.uid(), user.gid()));
    let mut resolved =
        resolve_in(&spec, &passwd, &group).map_err(|e| StartError::Setup(e.to_string()))?;
    for gid in user.additional_gids().clone().unwrap_or_default() {
        if !resolved.groups.contains(&gid) {
            resolved.groups.push(gid);
        }
    }
    Ok(resolved)
}

fn resolve_in(spec: &str, passwd: &str, group: &str) -> Result<User, String> {
    let (user_part, group_part) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let entries: Vec<Vec<&str>> = passwd
        .lines()
        .map(|l| l.split(':').collect())
        .filter(|f: &Vec<&str>| f.len() >= 7)
        .collect();
    let by_name = entries.iter().find(|f| f[0] == user_part);
    let (uid, mut gid, home, name) = match (by_name, user_part.parse::<u32>()) {
        (Some(f), _) => (
            parse_id(f[2])?,
            parse_id(f[3])?,
            f[5].to_string(),
            Some(f[0]),
        ),
        (None, Ok(uid)) => match entries.iter().find(|f| f[2] == user_part) {
            Some(f) => (uid, parse_id(f[3])?, f[5].to_string(), Some(f[0])),
            None => (uid, 0, "/".to_string(), None),
        },
        (None, Err(_)) => {
            return Err(format!(
                "unable to find user {user_part}: no matching entries in passwd file"
            ))
        }
    };
    let groups_table: Vec<Vec<&str>> = group
        .lines()
        .map(|l| l.split(':').collect())
        .filter(|f: &Vec<&str>| f.len() >= 4)
        .collect();
    if let Some(g) = group_part {
        gid = match (groups_table.iter().find(|f| f[0] == g), g.parse::<u32>()) {
            (Some(f), _) => parse_id(f[2])?,
            (None, Ok(n)) => n,
            (None, Err(_)) => {
                return Err(format!(
                    "unable to find group {g}: no matching entries in group file"
                ))
            }
        };
    }
    let mut groups = vec![gid];
    if let (Some(name), None) = (name, group_part) {
        for f in &groups_table {
            if f[3].split(',').any(|m| m == name) {
                let id = parse_id(f[2])?;
                if !groups.contains(&id) {
                    groups.push(id);
                }
            }
        }
    }
    Ok(User {
        uid,
        gid,
        groups,
        home,
    })
}

fn parse_id(text: &str) -> Result<u32, String> {
    text.parse()
        .map_err(|_| format!("invalid id {text:?} in the container's passwd or group file"))
}

fn to_caps(set: &Option<Capabilities>) -> CapsHashSet {
    set.iter()
        .flatten()
        .filter_map(|c| caps::Capability::from_str(&format!("CAP_{c}")).ok())
        .collect()
}

fn rlimit_resource(typ: PosixRlimitType) -> libc::__rlimit_resource_t {
    match typ {
        PosixRlimitType::RlimitCpu => libc::RLIMIT_CPU,
        PosixRlimitType::RlimitFsize => libc::RLIMIT_FSIZE,
        PosixRlimitType::RlimitData => libc::RLIMIT_DATA,
        PosixRlimitType::RlimitStack => libc::RLIMIT_STACK,
        PosixRlimitType::RlimitCore => libc::RLIMIT_CORE,
        PosixRlimitType::RlimitRss => libc::RLIMIT_RSS,
        PosixRlimitType::RlimitNproc => libc::RLIMIT_NPROC,
        PosixRlimitType::RlimitNofile => libc::RLIMIT_NOFILE,
        PosixRlimitType::RlimitMemlock => libc::RLIMIT_MEMLOCK,
        PosixRlimitType::RlimitAs => libc::RLIMIT_AS,
        PosixRlimitType::RlimitLocks => libc::RLIMIT_LOCKS,
        PosixRlimitType::RlimitSigpending => libc::RLIMIT_SIGPENDING,
        PosixRlimitType::RlimitMsgqueue => libc::RLIMIT_MSGQUEUE,
        PosixRlimitType::RlimitNice => libc::RLIMIT_NICE,
        PosixRlimitType::RlimitRtprio => libc::RLIMIT_RTPRIO,
        PosixRlimitType::RlimitRttime => libc::RLIMIT_RTTIME,
    }
}

/// The container's resource limits (`--ulimit`) and OOM preference (`--oom-score-adj`),
/// which its processes inherit. Rootless, a hard limit cannot rise above skiff's own, nor
/// the OOM score fall below it: the kernel refuses, and so does the start.
pub fn apply_limits(process: &Process) -> Result<()> {
    for limit in process.rlimits().iter().flatten() {
        let resource = rlimit_resource(limit.typ());
        let value = libc::rlimit {
            rlim_cur: limit.soft(),
            rlim_max: limit.hard(),
        };
        // SAFETY: setrlimit reads the struct it is given.
        if unsafe { libc::setrlimit(resource, &value) } != 0 {
            return Err(std::io::Error::last_os_error()).with_context(|| {
                format!(
                    "cannot set the ulimit {} to {}:{} (without privileges a hard limit cannot rise above the caller's)",
                    limit.typ(),
                    limit.soft(),
                    limit.hard()
                )
            });
        }
    }
    if let Some(score) = process.oom_score_adj() {
        std::fs::write("/proc/self/oom_score_adj", score.to_string()).with_context(|| {
            format!("cannot set the OOM score adjustment to {score} (without privileges it can only rise)")
        })?;
    }
    Ok(())
}

/// Applies ids, capabilities, no_new_privs and seccomp. Afterwards only execve remains.
pub fn apply(process: &Process, user: &User, seccomp: Option<&Filters>) -> Result<()> {
    let sets = process.capabilities().clone().unwrap_or_default();
    let bounding = to_caps(sets.bounding());
    for cap in caps::runtime::thread_all_supported() {
        if !bounding.contains(&cap) {
            caps::drop(None, CapSet::Bounding, cap)
                .context("cannot drop a capability from the bounding set")?;
        }
    }
    switch_ids(user)?;
    let no_new_privileges = process.no_new_privileges() == Some(true);
    if no_new_privileges {
        nix::sys::prctl::set_no_new_privs().context("cannot set no_new_privs")?;
    }
    if let (Some(filters), false) = (seccomp, no_new_privileges) {
        // Installing a filter without no_new_privs takes CAP_SYS_ADMIN, still permitted here.
        caps::set(
            None,
            CapSet::Effective,
            &caps::read(None, CapSet::Permitted)?,
        )?;
        filters
            .install()
            .context("cannot install the seccomp filter")?;
    }
    set_final_caps(&sets)?;
    if let (Some(filters), true) = (seccomp, no_new_privileges) {
        filters
            .install()
            .context("cannot install the seccomp filter")?;
    }
    Ok(())
}

fn switch_ids(user: &User) -> Result<()> {
    if let Err(e) =
        nix::unistd::setgroups(&user.groups.iter().map(|&g| g.into()).collect::<Vec<_>>())
    {
        // With a single-id mapping the kernel denies setgroups; the container keeps none.
        let denied =
            std::fs::read_to_string("/proc/self/setgroups").is_ok_and(|s| s.trim() == "deny");
        if !denied {
            return Err(e).context("cannot set supplementary groups");
        }
    }
    unsafe { libc::prctl(libc::PR_SET_KEEPCAPS, 1, 0, 0, 0) };
    let (uid, gid) = (
        nix::unistd::Uid::from_raw(user.uid),
        nix::unistd::Gid::from_raw(user.gid),
    );
    nix::unistd::setresgid(gid, gid, gid).map_err(|e| switch_error(e, IdKind::Gid, user.gid))?;
    nix::unistd::setresuid(uid, uid, uid).map_err(|e| switch_error(e, IdKind::Uid, user.uid))?;
    unsafe { libc::prctl(libc::PR_SET_KEEPCAPS, 0, 0, 0, 0) };
    Ok(())
}

/// The kernel refuses an id outside the user namespace with EINVAL: say which range is short.
fn switch_error(e: nix::errno::Errno, kind: IdKind, id: u32) -> StartError {
    if e == nix::errno::Errno::EINVAL {
        if let Err(unmapped) = userns::check_mapped(kind, id, &userns::own_ranges(kind)) {
            return unmapped;
        }
    }
    let name = match kind {
        IdKind::Uid => "user",
        IdKind::Gid => "group",
    };
    StartError::Setup(format!("cannot switch to {name} {id}: {e}"))
}

/// Effective first (it must stay within permitted), then inheritable, permitted, ambient.
fn set_final_caps(sets: &oci_spec::runtime::LinuxCapabilities) -> Result<()> {
    let effective = to_caps(sets.effective());
    caps::set(None, CapSet::Effective, &effective)?;
    caps::set(None, CapSet::Inheritable, &to_caps(sets.inheritable()))?;
    caps::set(None, CapSet::Permitted, &to_caps(sets.permitted()))?;
    for cap in to_caps(sets.ambient()) {
        caps::raise(None, CapSet::Ambient, cap).context("cannot raise an ambient capability")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
    const GROUP: &str = "root:x:0:\nwww-data:x:33:\nstaff:x:50:www-data,other\nnogroup:x:65534:\n";

    #[test]
    fn resolves_like_docker() {
        assert_eq!(
            resolve_in("nobody", PASSWD, GROUP).unwrap(),
            User {
                uid: 65534,
                gid: 65534,
                groups: vec![65534],
                home: "/nonexistent".into()
            }
        );
        assert_eq!(
            resolve_in("33", PASSWD, GROUP).unwrap(),
            User {
                uid: 33,
                gid: 33,
                groups: vec![33, 50],
                home: "/var/www".into()
            }
        );
        assert_eq!(
            resolve_in("1234", PASSWD, GROUP).unwrap(),
            User {
                uid: 1234,
                gid: 0,
                groups: vec![0],
                home: "/".into()
            }
        );
        assert_eq!(
            resolve_in("www-data:nogroup", PASSWD, GROUP).unwrap().gid,
            65534
        );
        assert_eq!(resolve_in("5:7", PASSWD, GROUP).unwrap().gid, 7);
        assert!(resolve_in("ghost", PASSWD, GROUP)
            .unwrap_err()
            .contains("unable to find user ghost"));
        assert!(resolve_in("root:ghosts", PASSWD, GROUP).is_err());
    }
}

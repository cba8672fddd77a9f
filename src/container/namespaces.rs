//! `--ipc`, `--pid`, `--uts` and `--userns`: which namespaces a container makes for
//! itself, which it shares with the host, and which it takes from another container.

use super::options::RunOptions;
use super::record;
use super::state;
use crate::net::mode::NetworkMode;
use crate::runtime::userns::{self, IdMappings, MappingMode};
use crate::runtime::NsJoin;
use crate::store::Store;
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::os::fd::{AsFd, OwnedFd};

/// How a container gets one of its namespaces.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NamespaceMode {
    /// A namespace of its own (docker's default).
    #[default]
    Private,
    /// Of its own, and other containers may join it (`--ipc shareable`).
    Shareable,
    /// A namespace of its own without /dev/shm (`--ipc none`).
    None,
    /// The host's.
    Host,
    /// That of another container, by name or id (`container:NAME`).
    Container(String),
}

/// The namespaces of docker's flags, with the values each takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ipc,
    Pid,
    Uts,
}

impl Kind {
    fn flag(self) -> &'static str {
        match self {
            Kind::Ipc => "--ipc",
            Kind::Pid => "--pid",
            Kind::Uts => "--uts",
        }
    }

    /// docker's name of the namespace in its errors ("failed to join IPC namespace").
    fn name(self) -> &'static str {
        match self {
            Kind::Ipc => "IPC",
            Kind::Pid => "PID",
            Kind::Uts => "UTS",
        }
    }

    fn clone_flag(self) -> libc::c_int {
        match self {
            Kind::Ipc => libc::CLONE_NEWIPC,
            Kind::Pid => libc::CLONE_NEWPID,
            Kind::Uts => libc::CLONE_NEWUTS,
        }
    }

    fn of(self, opts: &RunOptions) -> &NamespaceMode {
        match self {
            Kind::Ipc => &opts.ipc,
            Kind::Pid => &opts.pid,
            Kind::Uts => &opts.uts,
        }
    }
}

impl NamespaceMode {
    /// The value of `--ipc`, `--pid` or `--uts`; an empty one is the default. Each flag
    /// takes what docker's takes: ipc every mode, pid `host` and `container:`, uts `host`.
    pub fn parse(kind: Kind, text: &str) -> Result<NamespaceMode> {
        let mode = match text.split_once(':') {
            Some(("container", name)) if !name.is_empty() => {
                NamespaceMode::Container(name.to_string())
            }
            None if text.is_empty() || text == "private" => NamespaceMode::Private,
            None if text == "host" => NamespaceMode::Host,
            None if text == "shareable" => NamespaceMode::Shareable,
            None if text == "none" => NamespaceMode::None,
            _ => return Err(invalid(kind, text)),
        };
        let allowed = matches!(
            (&mode, kind),
            (NamespaceMode::Private | NamespaceMode::Host, _)
                | (NamespaceMode::Container(_), Kind::Ipc | Kind::Pid)
                | (NamespaceMode::Shareable | NamespaceMode::None, Kind::Ipc)
        );
        if !allowed {
            return Err(invalid(kind, text));
        }
        Ok(mode)
    }

    /// Whether the container makes a namespace of its own.
    pub fn is_own(&self) -> bool {
        matches!(
            self,
            NamespaceMode::Private | NamespaceMode::Shareable | NamespaceMode::None
        )
    }

    /// docker's spelling in `inspect` (`HostConfig.IpcMode`, `PidMode`, `UTSMode`).
    pub fn shown(&self, kind: Kind) -> String {
        match (self, kind) {
            (NamespaceMode::Private, Kind::Ipc) => "private".into(),
            (NamespaceMode::Private, _) => String::new(),
            (NamespaceMode::Shareable, _) => "shareable".into(),
            (NamespaceMode::None, _) => "none".into(),
            (NamespaceMode::Host, _) => "host".into(),
            (NamespaceMode::Container(name), _) => format!("container:{name}"),
        }
    }
}

fn invalid(kind: Kind, text: &str) -> anyhow::Error {
    let choices = match kind {
        Kind::Ipc => "private, shareable, none, host or container:NAME",
        Kind::Pid => "host or container:NAME",
        Kind::Uts => "host",
    };
    anyhow!(
        "{}: invalid {} mode {text:?}: use {choices}",
        kind.flag(),
        kind.name()
    )
}

/// `--userns`: whose user namespace the container runs in.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum UsernsMode {
    /// skiff's: the caller is root in the container, its subordinate ids the other users.
    #[default]
    Private,
    /// The host's: as root, no user namespace at all; rootless, the same as the default,
    /// since a user's containers cannot be in the host's (docker's and podman's rootless
    /// meaning too).
    Host,
    /// podman's: the caller's uid and gid are themselves in the container, which runs as
    /// them; as root, where every id is itself, the default.
    KeepId,
}

impl UsernsMode {
    pub fn parse(text: &str) -> Result<UsernsMode> {
        match text {
            "" => Ok(UsernsMode::Private),
            "host" => Ok(UsernsMode::Host),
            "keep-id" => Ok(UsernsMode::KeepId),
            _ => bail!("--userns: invalid USER mode {text:?}: use host or keep-id"),
        }
    }

    pub fn shown(&self) -> &'static str {
        match self {
            UsernsMode::Private => "",
            UsernsMode::Host => "host",
            UsernsMode::KeepId => "keep-id",
        }
    }
}

/// For a keep-id container (rootless: as root every id is itself already): its mappings,
/// refused with the reason when the caller's subordinate ranges cannot give them.
pub fn keep_id_maps(opts: &RunOptions, maps: &IdMappings) -> Result<Option<IdMappings>> {
    if opts.userns != UsernsMode::KeepId || maps.mode == MappingMode::Root {
        return Ok(None);
    }
    // Those containers live in the user namespace of their network or of the other
    // container, whose mappings are not keep-id's.
    let joins_another = matches!(
        super::network::mode(opts),
        NetworkMode::Named(_) | NetworkMode::Container(_)
    ) || [&opts.ipc, &opts.pid]
        .iter()
        .any(|mode| matches!(mode, NamespaceMode::Container(_)));
    if joins_another {
        bail!("conflicting options: --userns keep-id and joining the namespaces of another container or of a user-defined network: those are in another user namespace, whose ids are not keep-id's");
    }
    maps.keep_id().map(Some)
}

/// The caller's uid and gid, which a keep-id container runs as unless told otherwise.
pub fn caller_ids(maps: &IdMappings) -> (u32, u32) {
    (maps.uids[0].host, maps.gids[0].host)
}

/// A new keep-id container's own files: its image's layers copied for keep-id, its upper
/// and work directories root's as the keep-id container sees root, and, as podman adds, a
/// passwd entry for the caller when the image has none.
pub fn prepare_keep_id(
    store: &Store,
    maps: &IdMappings,
    image: &crate::image::store::Image,
    paths: &super::spec::Paths,
) -> Result<()> {
    crate::image::keepid::prepare(store, maps, image.diff_ids())?;
    let layers = crate::image::overlay::layer_paths(store, image.diff_ids());
    let (uid, gid) = caller_ids(maps);
    let passwd = image_passwd(&layers).filter(|text| !has_uid(text, uid));
    let entry = passwd.map(|text| format!("{text}{}", passwd_entry(uid, gid)));
    let (upper, work) = (paths.upper.clone(), paths.work.clone());
    let root = maps.keep_id_owner(0, 0);
    userns::run_in_userns(maps, move || {
        for dir in [&upper, &work] {
            std::os::unix::fs::chown(dir, Some(root.0), Some(root.1))?;
        }
        if let Some(text) = entry {
            let etc = upper.join("etc");
            std::fs::create_dir(&etc)?;
            std::os::unix::fs::chown(&etc, Some(root.0), Some(root.1))?;
            std::fs::write(etc.join("passwd"), text)?;
            std::os::unix::fs::chown(etc.join("passwd"), Some(root.0), Some(root.1))?;
        }
        Ok(String::new())
    })
    .context("cannot prepare the container's files for keep-id")?;
    Ok(())
}

/// The image's /etc/passwd, as the container would find it in its layers (top first).
fn image_passwd(layers: &[std::path::PathBuf]) -> Option<String> {
    let path = std::path::Path::new("etc/passwd");
    crate::image::overlay::lookup(layers, path).filter(|meta| meta.is_file())?;
    let layer = layers.iter().find(|l| l.join(path).is_file())?;
    let text = std::fs::read_to_string(layer.join(path)).ok()?;
    Some(if text.ends_with('\n') || text.is_empty() {
        text
    } else {
        format!("{text}\n")
    })
}

fn has_uid(passwd: &str, uid: u32) -> bool {
    passwd
        .lines()
        .any(|line| line.split(':').nth(2) == Some(uid.to_string().as_str()))
}

/// The caller as the host's passwd names it, with a POSIX shell.
fn passwd_entry(uid: u32, gid: u32) -> String {
    let user = nix::unistd::User::from_uid(uid.into()).ok().flatten();
    let name = user
        .as_ref()
        .map_or_else(|| uid.to_string(), |u| u.name.clone());
    let home = user
        .as_ref()
        .map_or_else(|| "/".to_string(), |u| u.dir.display().to_string());
    format!("{name}:*:{uid}:{gid}:{name}:{home}:/bin/sh\n")
}

/// Flag combinations docker refuses: a host name needs a UTS namespace of the container's
/// own.
pub fn validate(opts: &RunOptions) -> Result<()> {
    if opts.uts == NamespaceMode::Host {
        if opts.hostname.is_some() {
            bail!("conflicting options: hostname and the UTS mode");
        }
        if opts.domainname.is_some() {
            bail!("conflicting options: domainname and the UTS mode");
        }
    }
    Ok(())
}

/// At creation and at each start: the containers named by `container:NAME` modes exist,
/// run, and (for IPC) let others in, with docker's errors otherwise.
pub fn check_targets(store: &Store, opts: &RunOptions) -> Result<()> {
    for kind in [Kind::Ipc, Kind::Pid] {
        if let NamespaceMode::Container(name) = kind.of(opts) {
            running_target(store, kind, name)?;
        }
    }
    Ok(())
}

/// The host pid of the pid 1 of `name`, which must run and, for IPC, be shareable.
fn running_target(store: &Store, kind: Kind, name: &str) -> Result<i32> {
    let context = || format!("failed to join {} namespace", kind.name());
    let id = record::resolve(store, name).with_context(context)?;
    let current = state::load(store, &id)?;
    if current.status != "running" || current.pid == 0 {
        return Err(anyhow!("Container {id} is not running")).with_context(context);
    }
    if kind == Kind::Ipc {
        let donor = record::load(store, &id)?;
        if matches!(
            donor.options.ipc,
            NamespaceMode::Private | NamespaceMode::None
        ) {
            return Err(anyhow!(
                "container {id}: non-shareable IPC (hint: use IpcMode:shareable for the donor container)"
            ))
            .with_context(context);
        }
    }
    Ok(current.pid)
}

/// What a container's start takes from other containers' namespaces: pidfds of their
/// pid 1s, which of their namespaces to join, and where its /dev/shm comes from.
#[derive(Default)]
pub struct Shared {
    /// pidfd, pid, and the namespaces joined.
    targets: Vec<(OwnedFd, i32, libc::c_int)>,
    shm_donor: Option<OwnedFd>,
}

impl Shared {
    pub fn gather(store: &Store, opts: &RunOptions) -> Result<Shared> {
        let mut shared = Shared::default();
        for kind in [Kind::Ipc, Kind::Pid] {
            let NamespaceMode::Container(name) = kind.of(opts) else {
                continue;
            };
            let pid = running_target(store, kind, name)?;
            let open = || {
                crate::runtime::exec::pidfd_open(nix::unistd::Pid::from_raw(pid))
                    .map_err(|_| anyhow!("Container {name} is not running"))
            };
            // A donor that shares the host's namespace leaves the host's to us: there is
            // nothing to join (and rootless, no right to).
            let namespaces = crate::runtime::foreign_namespaces(pid, kind.clone_flag());
            if namespaces != 0 {
                shared.targets.push((open()?, pid, namespaces));
            }
            if kind == Kind::Ipc {
                shared.shm_donor = Some(open()?);
            }
        }
        Ok(shared)
    }

    /// The joins, each of which takes the user namespace of its container along.
    pub fn joins(&self) -> impl Iterator<Item = NsJoin<'_>> {
        self.targets.iter().map(|(fd, _, namespaces)| NsJoin {
            pidfd: fd.as_fd(),
            namespaces: namespaces | libc::CLONE_NEWUSER,
        })
    }

    /// The user namespaces the joined namespaces are in.
    pub fn user_namespaces(&self) -> Vec<u64> {
        self.targets
            .iter()
            .filter_map(|(_, pid, _)| crate::runtime::userns_of(*pid))
            .collect()
    }

    pub fn shm_donor(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        self.shm_donor.as_ref().map(|fd| fd.as_fd())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_per_flag() {
        let parse = NamespaceMode::parse;
        assert_eq!(parse(Kind::Ipc, "").unwrap(), NamespaceMode::Private);
        assert_eq!(
            parse(Kind::Ipc, "shareable").unwrap(),
            NamespaceMode::Shareable
        );
        assert_eq!(parse(Kind::Ipc, "none").unwrap(), NamespaceMode::None);
        assert_eq!(
            parse(Kind::Ipc, "container:web").unwrap(),
            NamespaceMode::Container("web".into())
        );
        assert_eq!(parse(Kind::Pid, "host").unwrap(), NamespaceMode::Host);
        assert_eq!(
            parse(Kind::Pid, "container:1a2b").unwrap(),
            NamespaceMode::Container("1a2b".into())
        );
        assert_eq!(parse(Kind::Uts, "host").unwrap(), NamespaceMode::Host);
        for (kind, bad) in [
            (Kind::Ipc, "container:"),
            (Kind::Ipc, "hots"),
            (Kind::Pid, "shareable"),
            (Kind::Pid, "none"),
            (Kind::Uts, "container:web"),
            (Kind::Uts, "shareable"),
        ] {
            let error = parse(kind, bad).unwrap_err().to_string();
            assert!(error.contains(": invalid "), "{kind:?} {bad}: {error}");
        }
    }

    #[test]
    fn userns_values() {
        assert_eq!(UsernsMode::parse("host").unwrap(), UsernsMode::Host);
        assert_eq!(UsernsMode::parse("").unwrap(), UsernsMode::Private);
        assert_eq!(UsernsMode::parse("keep-id").unwrap(), UsernsMode::KeepId);
        assert!(UsernsMode::parse("auto").is_err());
    }
}

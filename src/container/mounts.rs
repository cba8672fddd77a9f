//! A container's mounts: what `-v`, `--mount`, `--volumes-from` and the image's VOLUMEs ask
//! for, turned into the mount points its record keeps (and its spec mounts), with docker's
//! precedence: the user's own mounts over `--volumes-from`, both over image volumes.
//!
//! Creation goes in two steps so that bad input changes nothing: `plan` reads and checks
//! every flag, then `materialize` creates what is missing (named volumes on first use, one
//! new anonymous volume per `-v /path` and image VOLUME, missing `-v` bind sources).
//! The records are also where "which containers use this volume" is answered.

use super::options::{self, RunOptions};
use super::record;
use crate::image::store::Image;
use crate::runtime::userns::IdMappings;
use crate::store::Store;
use crate::volume::{self, driver::Backing, NewVolume, Volume};
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Bind,
    Volume,
    Tmpfs,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Bind => "bind",
            Kind::Volume => "volume",
            Kind::Tmpfs => "tmpfs",
        }
    }
}

/// One mount of a container, as its record keeps it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct MountPoint {
    pub kind: Kind,
    /// The volume's name (volumes only).
    #[serde(default)]
    pub name: String,
    /// What is mounted: a bind's host path, a volume's data directory; empty for tmpfs.
    #[serde(default)]
    pub source: PathBuf,
    pub destination: PathBuf,
    #[serde(default)]
    pub readonly: bool,
    /// The mode words of `-v` (docker's `Mode`).
    #[serde(default)]
    pub mode: String,
    /// Mounted as a new tmpfs with these options (tmpfs mounts and tmpfs volumes).
    #[serde(default)]
    pub tmpfs: Option<Vec<String>>,
    /// An empty volume starts with a copy of what the image has at the destination.
    #[serde(default)]
    pub copy_up: bool,
}

impl MountPoint {
    /// docker's entry in `inspect`'s `Mounts`.
    pub fn inspect_json(&self) -> Value {
        let mut entry = json!({
            "Type": self.kind.name(),
            "Source": self.source,
            "Destination": self.destination,
            "Mode": self.mode,
            "RW": !self.readonly,
            "Propagation": if self.kind == Kind::Bind { "rprivate" } else { "" },
        });
        if self.kind == Kind::Volume {
            entry["Name"] = json!(self.name);
            entry["Driver"] = json!("local");
        }
        entry
    }
}

/// A mount the user asked for, before the volumes it names exist.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Request {
    kind: Option<Kind>,
    /// A bind's host path, a volume's name ("" for a new anonymous volume).
    source: String,
    destination: PathBuf,
    readonly: bool,
    mode: String,
    /// tmpfs options from `--mount tmpfs-size=,tmpfs-mode=`.
    tmpfs: Vec<String>,
    nocopy: bool,
    /// `-v` creates a missing bind source, as docker does; `--mount` refuses it.
    create_source: bool,
    /// For a volume this mount creates: `volume-label=` and `volume-opt=`.
    volume_labels: BTreeMap<String, String>,
    volume_options: BTreeMap<String, String>,
}

impl Request {
    fn kind(&self) -> Kind {
        self.kind.unwrap_or(Kind::Volume)
    }
}

/// `-v [SOURCE:]DESTINATION[:MODE]`: SOURCE is a host path when absolute, else a volume
/// name; without it, a new anonymous volume.
pub fn parse_volume_flag(spec: &str) -> Result<Request> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, destination, mode) = match parts.as_slice() {
        [dst] => ("", *dst, ""),
        [src, dst] if !src.is_empty() => (*src, *dst, ""),
        [src, dst, mode] if !src.is_empty() => (*src, *dst, *mode),
        _ => bail!(
            "invalid volume specification: {spec:?} (use [NAME|/HOST/PATH:]/CONTAINER/PATH[:ro])"
        ),
    };
    let destination = options::check_destination(destination, spec)?;
    let kind = if source.starts_with('/') {
        Kind::Bind
    } else {
        if !source.is_empty() {
            volume::check_name(source).with_context(|| format!("create {source}"))?;
        }
        Kind::Volume
    };
    let mut request = Request {
        kind: Some(kind),
        source: source.to_string(),
        destination,
        // What docker's inspect shows for `-v name:/path` without a mode.
        mode: if mode.is_empty() && kind == Kind::Volume && !source.is_empty() {
            "z".to_string()
        } else {
            mode.to_string()
        },
        create_source: true,
        ..Default::default()
    };
    for word in mode.split(',').filter(|w| !w.is_empty()) {
        match word {
            "ro" => request.readonly = true,
            "rw" => request.readonly = false,
            "nocopy" => request.nocopy = true,
            "z" | "Z" | "consistent" | "cached" | "delegated" => {}
            "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave"
                if kind == Kind::Bind => {}
            other => bail!("invalid volume specification {spec:?}: invalid mode {other:?}"),
        }
    }
    Ok(request)
}

/// `--mount type=bind|volume|tmpfs,src=,dst=,readonly,...`, with docker's keys; unknown keys
/// and keys of another mount type are refused.
pub fn parse_mount_flag(spec: &str) -> Result<Request> {
    let mut request = Request::default();
    let mut typed_keys: Vec<String> = Vec::new();
    for field in spec.split(',').filter(|f| !f.is_empty()) {
        let (key, value) = match field.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v)),
            None => (field.trim().to_ascii_lowercase(), None),
        };
        let Some(value) = value.or(match key.as_str() {
            "readonly" | "ro" | "volume-nocopy" => Some("true"),
            _ => None,
        }) else {
            bail!("invalid field '{field}' must be a key=value pair");
        };
        if ["bind-", "volume-", "tmpfs-"]
            .iter()
            .any(|p| key.starts_with(p))
        {
            typed_keys.push(key.clone());
        }
        apply_mount_key(&mut request, &key, value, field)?;
    }
    check_typed_keys(request.kind(), &typed_keys)?;
    check_mount_source(&mut request, spec)?;
    Ok(request)
}

fn apply_mount_key(request: &mut Request, key: &str, value: &str, field: &str) -> Result<()> {
    match key {
        "type" => {
            request.kind = Some(match value {
                "bind" => Kind::Bind,
                "volume" => Kind::Volume,
                "tmpfs" => Kind::Tmpfs,
                other => bail!(
                    "mount type {other:?} is not supported (skiff mounts bind, volume and tmpfs)"
                ),
            })
        }
        "source" | "src" => request.source = value.to_string(),
        "target" | "destination" | "dst" => {
            request.destination = options::check_destination(value, field)?
        }
        "readonly" | "ro" => request.readonly = parse_bool(value, field)?,
        "consistency" => {}
        "bind-propagation" => match value {
            "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave" => {}
            other => bail!("invalid bind propagation {other:?}"),
        },
        "volume-nocopy" => request.nocopy = parse_bool(value, field)?,
        "volume-driver" if value == "local" => {}
        "volume-driver" => {
            bail!("volume driver {value:?} is not available: skiff has only the local driver")
        }
        "volume-label" => {
            let (k, v) = value.split_once('=').unwrap_or((value, ""));
            request.volume_labels.insert(k.to_string(), v.to_string());
        }
        "volume-opt" => {
            let (k, v) = value
                .split_once('=')
                .ok_or_else(|| anyhow!("invalid volume-opt {value:?}: expected KEY=VALUE"))?;
            request.volume_options.insert(k.to_string(), v.to_string());
        }
        "tmpfs-size" => request
            .tmpfs
            .push(format!("size={}", crate::size::parse(value)?)),
        "tmpfs-mode" => {
            let mode = u32::from_str_radix(value, 8)
                .map_err(|_| anyhow!("invalid tmpfs-mode {value:?}: expected octal, e.g. 1770"))?;
            request.tmpfs.push(format!("mode={mode:o}"));
        }
        _ => bail!("unexpected key '{key}' in '{field}'"),
    }
    Ok(())
}

/// `bind-*`, `volume-*` and `tmpfs-*` keys belong to their own type, as docker insists.
fn check_typed_keys(kind: Kind, keys: &[String]) -> Result<()> {
    for key in keys {
        let prefix = key.split('-').next().unwrap_or_default();
        if prefix != kind.name() {
            bail!(
                "cannot mix '{prefix}-*' options with mount type '{}'",
                kind.name()
            );
        }
    }
    Ok(())
}

fn check_mount_source(request: &mut Request, spec: &str) -> Result<()> {
    if request.destination.as_os_str().is_empty() {
        bail!("invalid --mount {spec:?}: target is required");
    }
    let source = request.source.as_str();
    match request.kind() {
        Kind::Bind if source.is_empty() => {
            bail!("invalid mount config for type \"bind\": field Source must not be empty")
        }
        Kind::Bind if !source.starts_with('/') => bail!(
            "invalid mount config for type \"bind\": invalid mount path: '{source}' mount path must be absolute"
        ),
        Kind::Bind if !Path::new(source).exists() => bail!(
            "invalid mount config for type \"bind\": bind source path does not exist: {source}"
        ),
        Kind::Volume if !source.is_empty() => volume::check_name(source),
        Kind::Tmpfs if !source.is_empty() => {
            bail!("invalid mount config for type \"tmpfs\": source must not be specified")
        }
        _ => Ok(()),
    }
}

fn parse_bool(value: &str, field: &str) -> Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => bail!("invalid value for '{field}': expected true or false"),
    }
}

/// `--volumes-from CONTAINER[:ro|:rw]`: the container and the forced access mode.
fn parse_volumes_from(spec: &str) -> Result<(&str, Option<bool>)> {
    match spec.split_once(':') {
        None => Ok((spec, None)),
        Some((c, "ro")) => Ok((c, Some(true))),
        Some((c, "rw")) => Ok((c, Some(false))),
        Some((_, mode)) => {
            bail!("invalid --volumes-from {spec:?}: invalid mode {mode:?} (use ro or rw)")
        }
    }
}

/// A mount to make: one the user asked for, or one shared from another container.
#[derive(Debug)]
pub enum Planned {
    New(Request),
    Shared(MountPoint),
}

/// Reads and checks every mount flag; changes nothing.
pub fn plan(store: &Store, opts: &RunOptions, image: &Image) -> Result<Vec<Planned>> {
    let mut requests = Vec::new();
    for spec in &opts.volumes {
        requests.push(parse_volume_flag(spec)?);
    }
    for spec in &opts.mounts {
        requests.push(parse_mount_flag(spec)?);
    }
    let mut taken = HashSet::new();
    let tmpfs = opts
        .tmpfs
        .iter()
        .map(|t| options::parse_tmpfs(t).map(|(d, _)| d));
    for destination in requests
        .iter()
        .map(|r| Ok(r.destination.clone()))
        .chain(tmpfs)
    {
        let destination = destination?;
        if !taken.insert(destination.clone()) {
            bail!("Duplicate mount point: {}", destination.display());
        }
    }
    let mut planned = Vec::new();
    for spec in &opts.volumes_from {
        for shared in shared_mounts(store, spec)? {
            if taken.insert(shared.destination.clone()) {
                planned.push(Planned::Shared(shared));
            }
        }
    }
    planned.extend(requests.into_iter().map(Planned::New));
    let image_volumes = image.config.config.volumes.iter().flat_map(|v| v.keys());
    for path in image_volumes {
        let destination = options::check_destination(path, path)
            .with_context(|| format!("the image's VOLUME {path}"))?;
        if taken.insert(destination.clone()) {
            planned.push(Planned::New(Request {
                kind: Some(Kind::Volume),
                destination,
                ..Default::default()
            }));
        }
    }
    Ok(planned)
}

/// The volumes and binds of another container (itself maybe sharing a third's), as
/// `--volumes-from` gives them.
fn shared_mounts(store: &Store, spec: &str) -> Result<Vec<MountPoint>> {
    let (container, readonly) = parse_volumes_from(spec)?;
    let id = record::resolve(store, container)?;
    let source = record::load(store, &id)?;
    Ok(source
        .mounts
        .into_iter()
        .filter(|m| m.kind != Kind::Tmpfs)
        .map(|mut m| {
            if let Some(readonly) = readonly {
                m.readonly = readonly;
                m.mode = if readonly { "ro" } else { "rw" }.to_string();
            }
            m
        })
        .collect())
}

/// The mounts made real, and the volumes made for them (to undo if the container is not
/// created after all).
#[derive(Default)]
pub struct Materialized {
    pub mounts: Vec<MountPoint>,
    pub created_volumes: Vec<String>,
}

impl Materialized {
    /// Removes the volumes this container creation made.
    pub fn discard(&self, store: &Store, maps: &IdMappings) {
        for name in &self.created_volumes {
            let _ = volume::remove(store, maps, name);
        }
    }
}

/// Creates what the planned mounts need. Call with the volume lock held, and keep it until
/// the container's record (which makes the volumes "in use") is written.
pub fn materialize(
    store: &Store,
    maps: &IdMappings,
    planned: Vec<Planned>,
) -> Result<Materialized> {
    let mut done = Materialized::default();
    for p in planned {
        let result = match p {
            Planned::Shared(m) => still_there(store, m),
            Planned::New(request) => make(store, request, &mut done.created_volumes),
        };
        match result {
            Ok(m) => done.mounts.push(m),
            Err(e) => {
                done.discard(store, maps);
                return Err(e);
            }
        }
    }
    Ok(done)
}

/// A shared volume was looked up before the volume lock was taken: it may have gone since.
fn still_there(store: &Store, m: MountPoint) -> Result<MountPoint> {
    if m.kind == Kind::Volume {
        volume::load(store, &m.name)?;
    }
    Ok(m)
}

fn make(store: &Store, request: Request, created: &mut Vec<String>) -> Result<MountPoint> {
    let mut mount = MountPoint {
        kind: request.kind(),
        name: String::new(),
        source: PathBuf::from(&request.source),
        destination: request.destination.clone(),
        readonly: request.readonly,
        mode: request.mode.clone(),
        tmpfs: None,
        copy_up: false,
    };
    match request.kind() {
        Kind::Bind => {
            if request.create_source && !mount.source.exists() {
                std::fs::create_dir_all(&mount.source).with_context(|| {
                    format!("cannot create bind mount source {}", mount.source.display())
                })?;
            }
        }
        Kind::Tmpfs => {
            let mut opts: Vec<String> = ["nosuid", "nodev", "noexec"].map(String::from).into();
            opts.extend(request.tmpfs.iter().cloned());
            if request.readonly {
                opts.push("ro".into());
            }
            mount.tmpfs = Some(opts);
        }
        Kind::Volume => {
            let (volume, new) = volume::create(store, new_volume(&request))?;
            if new {
                created.push(volume.name.clone());
            }
            attach_volume(store, &mut mount, &volume)?;
            mount.copy_up = !request.nocopy;
        }
    }
    Ok(mount)
}

fn new_volume(request: &Request) -> NewVolume {
    let mut labels = request.volume_labels.clone();
    if request.source.is_empty() {
        labels.insert(volume::ANONYMOUS_LABEL.to_string(), String::new());
    }
    NewVolume {
        name: (!request.source.is_empty()).then(|| request.source.clone()),
        labels,
        options: request.volume_options.clone(),
    }
}

/// Points a mount at a volume, the way its driver options say.
fn attach_volume(store: &Store, mount: &mut MountPoint, volume: &Volume) -> Result<()> {
    mount.name = volume.name.clone();
    mount.source = volume.mountpoint(store);
    match volume.backing()? {
        Backing::Directory => {}
        Backing::Tmpfs(opts) => mount.tmpfs = Some(opts),
        Backing::HostDir(dir) => mount.source = dir,
    }
    Ok(())
}

/// Which containers use each volume: volume name -> (container id, container name).
pub fn volume_users(store: &Store) -> Result<BTreeMap<String, Vec<(String, String)>>> {
    let mut users: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for entry in std::fs::read_dir(store.containers())? {
        let id = entry?.file_name().to_string_lossy().into_owned();
        let Ok(container) = record::load(store, &id) else {
            continue;
        };
        for m in container.mounts.iter().filter(|m| m.kind == Kind::Volume) {
            let holders = users.entry(m.name.clone()).or_default();
            if !holders.iter().any(|(h, _)| *h == id) {
                holders.push((id.clone(), container.name.clone()));
            }
        }
    }
    Ok(users)
}

/// `volume rm`: removes a volume no container (running or not) uses; else says which does.
pub fn remove_volume(store: &Store, maps: &IdMappings, name: &str) -> Result<()> {
    let _lock = volume::lock(store)?;
    volume::load(store, name)?;
    if let Some(holders) = volume_users(store)?.get(name) {
        let named: Vec<String> = holders
            .iter()
            .map(|(id, cname)| format!("{cname} ({})", &id[..12]))
            .collect();
        bail!(
            "remove {name}: volume is in use by container {}: remove the container first",
            named.join(", ")
        );
    }
    volume::remove(store, maps, name)
}

/// `volume prune`: removes the volumes no container uses that `wanted` picks (docker's
/// default: only anonymous ones); returns each removed volume with its size.
pub fn prune_volumes(
    store: &Store,
    maps: &IdMappings,
    wanted: impl Fn(&Volume) -> bool,
) -> Result<Vec<(String, u64)>> {
    let _lock = volume::lock(store)?;
    let users = volume_users(store)?;
    let mut removed = Vec::new();
    for v in volume::list(store)? {
        if users.contains_key(&v.name) || !wanted(&v) {
            continue;
        }
        let size = volume::size(store, &v.name);
        volume::remove(store, maps, &v.name)?;
        removed.push((v.name, size));
    }
    Ok(removed)
}

/// `rm -v` and `run --rm`: the anonymous volumes of a removed container's mounts, unless
/// another container still uses them (not an error, as docker sees it).
pub fn remove_anonymous_volumes(
    store: &Store,
    maps: &IdMappings,
    mounts: &[MountPoint],
) -> Result<()> {
    // Named volumes always stay: only anonymous ones are worth the lock and the scan of
    // every container's record.
    let anonymous: Vec<&str> = mounts
        .iter()
        .filter(|m| m.kind == Kind::Volume)
        .filter(|m| volume::load(store, &m.name).is_ok_and(|v| v.is_anonymous()))
        .map(|m| m.name.as_str())
        .collect();
    if anonymous.is_empty() {
        return Ok(());
    }
    let _lock = volume::lock(store)?;
    let users = volume_users(store)?;
    for name in anonymous {
        if !users.contains_key(name) {
            volume::remove(store, maps, name)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_flag_forms() {
        let bind = parse_volume_flag("/h:/c:ro").unwrap();
        assert_eq!(bind.kind(), Kind::Bind);
        assert!(bind.readonly && bind.create_source);
        let named = parse_volume_flag("data:/c/").unwrap();
        assert_eq!(
            (named.kind(), named.source.as_str()),
            (Kind::Volume, "data")
        );
        assert_eq!(named.destination, PathBuf::from("/c"));
        let anonymous = parse_volume_flag("/c").unwrap();
        assert_eq!(
            (anonymous.kind(), anonymous.source.as_str()),
            (Kind::Volume, "")
        );
        assert!(parse_volume_flag("data:/c:nocopy").unwrap().nocopy);
        for bad in [
            "rel/x:/c",
            "./x:/c",
            "_:/c",
            "/h:c",
            "/h:/",
            "v:/proc/x",
            "/h:/c:bogus",
            ":/c",
            "a:b:c:d",
        ] {
            assert!(parse_volume_flag(bad).is_err(), "{bad}");
        }
        let err = parse_volume_flag("./x:/c").unwrap_err();
        assert!(format!("{err:#}").contains("absolute path"), "{err:#}");
    }

    #[test]
    fn mount_flag_forms() {
        let m = parse_mount_flag("type=bind,src=/,dst=/c,readonly").unwrap();
        assert_eq!((m.kind(), m.readonly), (Kind::Bind, true));
        assert!(!m.create_source);
        let v = parse_mount_flag(
            "type=volume,source=v,target=/d,volume-opt=type=tmpfs,volume-label=a=b",
        )
        .unwrap();
        assert_eq!(
            v.volume_options.get("type").map(String::as_str),
            Some("tmpfs")
        );
        assert_eq!(v.volume_labels.get("a").map(String::as_str), Some("b"));
        let t = parse_mount_flag("type=tmpfs,dst=/t,tmpfs-size=64m,tmpfs-mode=1770").unwrap();
        assert_eq!(t.tmpfs, ["size=67108864", "mode=1770"]);
        assert_eq!(parse_mount_flag("dst=/d").unwrap().kind(), Kind::Volume);
        for bad in [
            "type=bind,src=/,dst=/c,bogus=1",
            "type=bind,src=/does/not/exist,dst=/c",
            "type=bind,dst=/c",
            "type=bind,src=rel,dst=/c",
            "type=tmpfs,src=x,dst=/t",
            "type=bind,src=/,dst=/c,tmpfs-size=1m",
            "type=volume,dst=/c,bind-propagation=shared",
            "type=volume,src=a/b,dst=/c",
            "type=npipe,dst=/c",
            "type=volume,src=v",
            "type=volume,dst=/",
            "type=tmpfs,dst=/t,tmpfs-size=lots",
            "type=volume,dst=/c,readonly=maybe",
            "type=volume,dst=/c,oops",
        ] {
            assert!(parse_mount_flag(bad).is_err(), "{bad}");
        }
        let err = parse_mount_flag("type=bind,src=/,dst=/c,bogus=1").unwrap_err();
        assert_eq!(err.to_string(), "unexpected key 'bogus' in 'bogus=1'");
    }

    #[test]
    fn volumes_from_modes() {
        assert_eq!(parse_volumes_from("c").unwrap(), ("c", None));
        assert_eq!(parse_volumes_from("c:ro").unwrap(), ("c", Some(true)));
        assert!(parse_volumes_from("c:z").is_err());
    }
}

//! Volumes: data that outlives containers. A volume is `volumes/<name>/` in the store, holding
//! `_data` (what containers mount) and `volume.json` (labels, driver options, creation time).
//!
//! A volume appears whole or not at all: it is built in the staging area and renamed into
//! place, so two racing creators of one name both end up with the same volume. Which
//! containers use a volume is known from the containers' records (see `container::mounts`);
//! the volume lock serialises "is it unused?" with "now it is used".

pub mod driver;
mod filter;

use crate::clock;
use crate::events;
use crate::runtime::userns::{self, IdMappings};
use crate::store::{self, Lock, NotFound, Store};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

pub use filter::VolumeFilters;

/// The label docker (23 and later) puts on anonymous volumes; `volume prune` without `--all`
/// removes only volumes that carry it.
pub const ANONYMOUS_LABEL: &str = "com.docker.volume.anonymous";

const RECORD: &str = "volume.json";

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct Volume {
    pub name: String,
    pub created: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Driver options (`--opt`): type, device, o.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

impl Volume {
    pub fn is_anonymous(&self) -> bool {
        self.labels.contains_key(ANONYMOUS_LABEL)
    }

    /// The directory containers see (docker's `Mountpoint`).
    pub fn mountpoint(&self, store: &Store) -> PathBuf {
        dir(store, &self.name).join("_data")
    }

    /// docker's `volume inspect` object (also the Engine API's).
    pub fn inspect_json(&self, store: &Store) -> serde_json::Value {
        let or_null = |m: &BTreeMap<String, String>| match m.is_empty() {
            true => serde_json::Value::Null,
            false => serde_json::json!(m),
        };
        serde_json::json!({
            "CreatedAt": self.created,
            "Driver": "local",
            "Labels": or_null(&self.labels),
            "Mountpoint": self.mountpoint(store),
            "Name": self.name,
            "Options": or_null(&self.options),
            "Scope": "local",
        })
    }

    /// How the volume is mounted into a container.
    pub fn backing(&self) -> Result<driver::Backing> {
        driver::backing(&self.options)
    }
}

pub fn dir(store: &Store, name: &str) -> PathBuf {
    store.volumes().join(name)
}

/// Held while deciding whether a volume is in use and acting on it (removal), and while a
/// container that uses volumes is being created.
pub fn lock(store: &Store) -> Result<Lock> {
    Lock::acquire(&store.root.join("volumes.lock"))
}

/// The container-name rule, with docker's message for volumes.
pub fn check_name(name: &str) -> Result<()> {
    if !store::is_valid_name(name) {
        bail!("{name:?} includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path");
    }
    Ok(())
}

/// What a new volume gets: its name (a random one when `None`), labels and driver options.
#[derive(Default)]
pub struct NewVolume {
    pub name: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
}

/// Creates a volume, or returns the existing one of that name (as docker does). The flag
/// says whether this call created it.
pub fn create(store: &Store, new: NewVolume) -> Result<(Volume, bool)> {
    let name = new.name.unwrap_or_else(|| store::random_hex(32));
    check_name(&name)?;
    if let Ok(existing) = load(store, &name) {
        return Ok((existing, false));
    }
    driver::backing(&new.options)?;
    let volume = Volume {
        name,
        created: clock::format_rfc3339((clock::now().0, 0)),
        labels: new.labels,
        options: new.options,
    };
    let staging = store.staging_dir()?;
    let placed = (|| -> Result<bool> {
        fs::create_dir(staging.join("_data"))?;
        store::write_json(&staging.join(RECORD), &volume)?;
        match fs::rename(&staging, dir(store, &volume.name)) {
            Ok(()) => Ok(true),
            // Someone created it first: theirs stands.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EEXIST | libc::ENOTEMPTY)) => Ok(false),
            Err(e) => Err(e).context(format!("cannot create volume {}", volume.name)),
        }
    })();
    let _ = store::remove_tree(&staging);
    if placed? {
        events::emit(
            store,
            "volume",
            "create",
            &volume.name,
            &[("driver", "local")],
        );
        Ok((volume, true))
    } else {
        Ok((load(store, &volume.name)?, false))
    }
}

pub fn load(store: &Store, name: &str) -> Result<Volume> {
    let path = dir(store, name).join(RECORD);
    if name.contains('/') || !path.exists() {
        return Err(NotFound(format!("No such volume: {name}")).into());
    }
    store::read_json(&path)
}

/// Every volume, by name.
pub fn list(store: &Store) -> Result<Vec<Volume>> {
    let mut volumes = Vec::new();
    for entry in fs::read_dir(store.volumes())? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        // A volume being removed right now may have lost its record: skip it.
        if let Ok(volume) = store::read_json::<Volume>(&dir(store, &name).join(RECORD)) {
            volumes.push(volume);
        }
    }
    volumes.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(volumes)
}

/// Removes a volume and its data; the caller has made sure no container uses it. The volume
/// leaves the store at once (renamed away), then its files go, as root in the user
/// namespace when containers left files of other users in it.
pub fn remove(store: &Store, maps: &IdMappings, name: &str) -> Result<()> {
    load(store, name)?;
    let doomed = store.tmp_path("volume");
    fs::rename(dir(store, name), &doomed)
        .with_context(|| format!("cannot remove volume {name}"))?;
    events::emit(store, "volume", "destroy", name, &[("driver", "local")]);
    // Containers may have left files of other users, or directories without write access.
    userns::remove_tree(maps, &doomed)
        .with_context(|| format!("volume {name} is gone, but not all of its files"))
}

/// Bytes of the files in a volume (what `system df` reports); unreadable corners count 0.
pub fn size(store: &Store, name: &str) -> u64 {
    store::tree_size(&dir(store, name).join("_data"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_store() -> Store {
        let base = std::env::temp_dir().join(format!("skiff-unit-{}", store::random_hex(8)));
        Store::open(Some(base.join("root")), Some(base.join("run"))).unwrap()
    }

    #[test]
    fn create_is_idempotent_and_listed_by_name() {
        let store = temp_store();
        let (a, created) = create(
            &store,
            NewVolume {
                name: Some("data".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(created);
        assert!(a.mountpoint(&store).is_dir());
        let (again, created) = create(
            &store,
            NewVolume {
                name: Some("data".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(!created);
        assert_eq!(a, again);
        let (anon, _) = create(&store, NewVolume::default()).unwrap();
        assert_eq!(anon.name.len(), 64);
        let names: Vec<String> = list(&store).unwrap().into_iter().map(|v| v.name).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), 2);
        remove(&store, &IdMappings::detect(), "data").unwrap();
        assert!(load(&store, "data").is_err());
        let _ = fs::remove_dir_all(store.root.parent().unwrap());
    }

    #[test]
    fn bad_names_are_refused() {
        let store = temp_store();
        for bad in ["", "_", "a/b", "../x", ".hidden", "-x", "with space"] {
            let new = NewVolume {
                name: Some(bad.into()),
                ..Default::default()
            };
            assert!(create(&store, new).is_err(), "{bad}");
        }
        assert!(fs::read_dir(store.volumes()).unwrap().next().is_none());
        let _ = fs::remove_dir_all(store.root.parent().unwrap());
    }
}

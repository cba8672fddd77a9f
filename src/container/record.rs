//! The container record (`containers/<id>/container.json`, written once at creation and on
//! `rename`/`update`), and container names, which are symlinks in `names/` so that two racing
//! `run --name x` cannot both win.

use super::mounts::MountPoint;
use super::options::RunOptions;
use crate::net::publish::PortMapping;
use crate::store::{self, NotFound, Store};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::PathBuf;

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct ContainerRecord {
    pub id: String,
    pub name: String,
    pub created: String,
    /// The image as the user named it, and the id it resolved to.
    pub image: String,
    pub image_id: String,
    /// The command the container runs (entrypoint and arguments combined).
    pub path: String,
    pub args: Vec<String>,
    pub options: RunOptions,
    /// The ports to publish (`-p`, and `-P` with the image's EXPOSEd ports); host port 0
    /// is any free one, chosen at each start.
    #[serde(default)]
    pub ports: Vec<PortMapping>,
    /// The container's binds, volumes and tmpfs mounts, as resolved at creation (the names
    /// of its anonymous volumes included).
    #[serde(default)]
    pub mounts: Vec<MountPoint>,
}

pub fn dir(store: &Store, id: &str) -> PathBuf {
    store.containers().join(id)
}

pub fn save(store: &Store, record: &ContainerRecord) -> Result<()> {
    store::write_json(&dir(store, &record.id).join("container.json"), record)
}

pub fn load(store: &Store, id: &str) -> Result<ContainerRecord> {
    store::read_json(&dir(store, id).join("container.json"))
}

/// Reserves `name` for container `id`; fails, naming the holder, when it is taken.
pub fn claim_name(store: &Store, name: &str, id: &str) -> Result<()> {
    validate_name(name)?;
    let link = store.names().join(name);
    match std::os::unix::fs::symlink(id, &link) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let holder = fs::read_link(&link)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            bail!(
                "Conflict. The container name \"/{name}\" is already in use by container \"{holder}\". You have to remove (or rename) that container to be able to reuse that name."
            )
        }
        Err(e) => Err(e).with_context(|| format!("cannot reserve the name {name}")),
    }
}

pub fn release_name(store: &Store, name: &str) {
    let _ = fs::remove_file(store.names().join(name));
}

fn validate_name(name: &str) -> Result<()> {
    if !store::is_valid_name(name) {
        bail!("Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
    }
    Ok(())
}

/// Finds a container by name, full id or unique id prefix, as docker does.
pub fn resolve(store: &Store, name_or_id: &str) -> Result<String> {
    let name = name_or_id.strip_prefix('/').unwrap_or(name_or_id);
    if let Ok(target) = fs::read_link(store.names().join(name)) {
        return Ok(target.display().to_string());
    }
    let mut found = None;
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_hexdigit()) {
        for entry in fs::read_dir(store.containers())? {
            let id = entry?.file_name().to_string_lossy().into_owned();
            if id.starts_with(name) {
                if found.is_some() {
                    return Err(NotFound(format!(
                        "multiple containers match the prefix {name}; give more of the id"
                    ))
                    .into());
                }
                found = Some(id);
            }
        }
    }
    found.ok_or_else(|| NotFound(format!("No such container: {name_or_id}")).into())
}

/// Bytes the container wrote into its own layer.
pub fn upper_size(store: &Store, id: &str) -> u64 {
    crate::store::tree_size(&dir(store, id).join("upper"))
}

/// Gives container `id` the name `new` in place of `old`.
pub fn rename(store: &Store, id: &str, new: &str) -> Result<()> {
    let mut record = load(store, id)?;
    if record.name == new {
        bail!("renaming a container with the same name as its current name");
    }
    claim_name(store, new, id)?;
    let old = std::mem::replace(&mut record.name, new.to_string());
    if let Err(e) = save(store, &record) {
        release_name(store, new);
        return Err(e);
    }
    release_name(store, &old);
    crate::events::emit(
        store,
        "container",
        "rename",
        id,
        &[("name", new), ("oldName", &old)],
    );
    Ok(())
}

/// A docker-style random name (`adjective_noun`).
pub fn generate_name() -> String {
    const ADJECTIVES: [&str; 16] = [
        "brave", "calm", "eager", "fond", "gentle", "happy", "jolly", "keen", "lucid", "merry",
        "nimble", "quiet", "sharp", "swift", "tidy", "witty",
    ];
    const NOUNS: [&str; 16] = [
        "albatross",
        "beacon",
        "cove",
        "dinghy",
        "eddy",
        "fjord",
        "gull",
        "harbor",
        "inlet",
        "jetty",
        "keel",
        "lagoon",
        "mast",
        "oar",
        "rudder",
        "tide",
    ];
    let r = store::random_hex(4);
    let n = u32::from_str_radix(&r, 16).unwrap_or(0);
    format!(
        "{}_{}{}",
        ADJECTIVES[(n & 15) as usize],
        NOUNS[((n >> 4) & 15) as usize],
        (n >> 8) % 100
    )
}

/// Ids of the containers created from image `image_id`.
/// Every container record that can be read (one being created or removed right now may
/// lack its files).
fn all_records(store: &Store) -> Result<Vec<ContainerRecord>> {
    let mut records = Vec::new();
    for entry in fs::read_dir(store.containers())? {
        let id = entry?.file_name().to_string_lossy().into_owned();
        if let Ok(record) = load(store, &id) {
            records.push(record);
        }
    }
    Ok(records)
}

/// The ids of the images that containers use.
pub fn images_in_use(store: &Store) -> Result<std::collections::HashSet<String>> {
    Ok(all_records(store)?
        .into_iter()
        .map(|r| r.image_id)
        .collect())
}

pub fn users_of_image(store: &Store, image_id: &str) -> Result<Vec<String>> {
    Ok(all_records(store)?
        .into_iter()
        .filter(|r| r.image_id == image_id)
        .map(|r| r.id)
        .collect())
}

//! The build cache. Each step of a build turns one snapshot (an image config with its layers)
//! into the next; the cache remembers the result under a key made of the parent snapshot's
//! id and what the step does (the instruction with its variables expanded, the build
//! arguments a RUN sees, the digest of the files a COPY copies). A step whose key is known
//! is not run again: its snapshot is taken from the cache, timestamps included, so an
//! unchanged rebuild makes the very same image.
//!
//! Entries are files `build-cache/<key>` holding the resulting config. They outlive the
//! images built with them: the layers they name are kept by `rmi` until `builder prune`.

use crate::image::config::ImageConfig;
use crate::store::{self, Store};
use anyhow::Result;
use std::collections::HashSet;
use std::fs;
use std::path::PathBuf;

fn dir(store: &Store) -> PathBuf {
    store.root.join("build-cache")
}

/// The key of a step: sha256 of the parent snapshot's id and the step's description.
pub fn key(parent: &str, step: &str) -> String {
    store::hex_of(&store::sha256_digest(
        format!("{parent}\n{step}").as_bytes(),
    ))
    .to_string()
}

/// The config a step made before, if its layers are still in the store.
pub fn load(store: &Store, key: &str) -> Option<Vec<u8>> {
    let bytes = fs::read(dir(store).join(key)).ok()?;
    let config = ImageConfig::parse(&bytes).ok()?;
    let complete = config
        .rootfs
        .diff_ids
        .iter()
        .all(|d| store.layer(d).join("diff").is_dir());
    complete.then_some(bytes)
}

pub fn save(store: &Store, key: &str, config: &[u8]) -> Result<()> {
    let dir = dir(store);
    fs::create_dir_all(&dir)?;
    store::write_atomic(&dir.join(key), config)
}

/// The layers that cache entries name: `rmi` keeps them.
pub fn layers_in_use(store: &Store) -> HashSet<String> {
    let mut layers = HashSet::new();
    let Ok(entries) = fs::read_dir(dir(store)) else {
        return layers;
    };
    for entry in entries.flatten() {
        if let Some(config) = fs::read(entry.path())
            .ok()
            .and_then(|b| ImageConfig::parse(&b).ok())
        {
            layers.extend(config.rootfs.diff_ids);
        }
    }
    layers
}

/// Forgets every entry; returns their keys.
pub fn clear(store: &Store) -> Result<Vec<String>> {
    let mut keys = Vec::new();
    let Ok(entries) = fs::read_dir(dir(store)) else {
        return Ok(keys);
    };
    for entry in entries.flatten() {
        fs::remove_file(entry.path())?;
        keys.push(entry.file_name().to_string_lossy().into_owned());
    }
    keys.sort();
    Ok(keys)
}

//! What skiff knows about the compressed forms of its layers. Extracted layers are stored
//! uncompressed (by diff id); a registry knows them by the digest of a compressed blob. For
//! each layer this remembers those blobs: digest, size, media type, and the registry
//! repositories known to hold them, so a push can skip or mount what a registry already has
//! and reproduce the digests of a pulled image. Blobs skiff compressed itself are kept in
//! `blobs/`, so pushing a local image twice uploads nothing and gives the same digest.

use crate::store::{self, hex_of, Store};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CompressedBlob {
    pub digest: String,
    pub size: u64,
    pub media_type: String,
    /// `registry/repository` names known to hold this blob.
    #[serde(default)]
    pub repositories: Vec<String>,
}

fn path(store: &Store, diff_id: &str) -> PathBuf {
    store.root.join("blobinfo").join(hex_of(diff_id))
}

/// The known compressed forms of a layer, most recently learnt first.
pub fn known(store: &Store, diff_id: &str) -> Vec<CompressedBlob> {
    let path = path(store, diff_id);
    if !path.exists() {
        return Vec::new();
    }
    store::read_json(&path).unwrap_or_default()
}

/// Forgets a deleted layer's compressed forms, removing the blobs kept of them. The caller
/// holds the store lock.
pub fn forget(store: &Store, diff_id: &str) {
    for blob in known(store, diff_id) {
        let _ = std::fs::remove_file(store.blob(&blob.digest));
    }
    let _ = std::fs::remove_file(path(store, diff_id));
}

/// Remembers a compressed form of a layer, adding `blob.repositories` to what was known.
pub fn remember(store: &Store, diff_id: &str, blob: CompressedBlob) -> Result<()> {
    let path = path(store, diff_id);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let _lock = store.lock()?;
    let mut all = known(store, diff_id);
    let mut merged = blob;
    if let Some(i) = all.iter().position(|b| b.digest == merged.digest) {
        let old = all.remove(i);
        for repo in old.repositories {
            if !merged.repositories.contains(&repo) {
                merged.repositories.push(repo);
            }
        }
    }
    all.insert(0, merged);
    store::write_json(&path, &all)
}

//! The image index: one record per image (`images/<id>.json`), its config blob
//! (`blobs/sha256/<id>`), extracted layers (`layers/<diff id>/`), and the tags
//! (`repositories.json`), all changed under the store lock and written atomically.

use super::config::ImageConfig;
use super::reference::Reference;
use crate::clock;
use crate::store::{self, hex_of, NotFound, Store};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::PathBuf;

/// What the store keeps about an image besides its config blob.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct ImageRecord {
    pub id: String,
    /// Bytes of the extracted layers, summed.
    pub size: u64,
    /// When this image was added to the store.
    pub added: String,
    /// `repository@digest` for each registry repository this image was pulled from or
    /// pushed to, as docker's RepoDigests.
    #[serde(default)]
    pub repo_digests: Vec<String>,
    /// The digest of the image manifest kept in `blobs/`, when the image came from or went
    /// to a registry: pushing it again reproduces the same digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
}

/// An image with its parsed config and current tags.
#[derive(Clone, Debug)]
pub struct Image {
    pub record: ImageRecord,
    pub config: ImageConfig,
    pub tags: Vec<Reference>,
}

impl Image {
    pub fn id(&self) -> &str {
        &self.record.id
    }
    pub fn diff_ids(&self) -> &[String] {
        &self.config.rootfs.diff_ids
    }
    /// Creation time as seconds since the epoch (0 when the config has none).
    pub fn created(&self) -> clock::Instant {
        self.config
            .created
            .as_deref()
            .and_then(clock::parse_rfc3339)
            .unwrap_or((0, 0))
    }
}

type Tags = BTreeMap<String, String>;

fn tags_path(store: &Store) -> std::path::PathBuf {
    store.root.join("repositories.json")
}

fn read_tags(store: &Store) -> Result<Tags> {
    let path = tags_path(store);
    if !path.exists() {
        return Ok(Tags::new());
    }
    store::read_json(&path)
}

fn record_path(store: &Store, id: &str) -> std::path::PathBuf {
    store.images().join(format!("{}.json", hex_of(id)))
}

fn load_image(store: &Store, record: ImageRecord, tags: &Tags) -> Result<Image> {
    let bytes = fs::read(store.blob(&record.id))
        .with_context(|| format!("image {} has lost its config blob", short_id(&record.id)))?;
    let config = ImageConfig::parse(&bytes)?;
    let mut refs: Vec<Reference> = tags
        .iter()
        .filter(|(_, id)| **id == record.id)
        .filter_map(|(name, _)| Reference::parse(name).ok())
        .collect();
    refs.sort();
    Ok(Image {
        record,
        config,
        tags: refs,
    })
}

/// Every image in the store.
pub fn list(store: &Store) -> Result<Vec<Image>> {
    let tags = read_tags(store)?;
    let mut images = Vec::new();
    for entry in fs::read_dir(store.images())? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let record: ImageRecord = store::read_json(&path)?;
            images.push(load_image(store, record, &tags)?);
        }
    }
    Ok(images)
}

/// Finds an image by name[:tag], name@digest, full id or unique id prefix, as docker does.
pub fn resolve(store: &Store, name: &str) -> Result<Image> {
    let tags = read_tags(store)?;
    if let Ok(reference) = Reference::parse(name) {
        let reference = reference.with_default_tag();
        if let Some(id) = tags.get(&reference.to_string()) {
            let record = store::read_json(&record_path(store, id))?;
            return load_image(store, record, &tags);
        }
        if let Some(digest) = &reference.digest {
            if let Some(image) = list(store)?.into_iter().find(|i| {
                i.record
                    .repo_digests
                    .iter()
                    .any(|d| d.ends_with(digest.as_str()))
            }) {
                return Ok(image);
            }
        }
    }
    if let Some(record) = find_by_id(store, name)? {
        return load_image(store, record, &tags);
    }
    Err(NotFound(format!("No such image: {name}")).into())
}

fn find_by_id(store: &Store, name: &str) -> Result<Option<ImageRecord>> {
    let prefix = hex_of(name);
    if prefix.is_empty()
        || !prefix
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    {
        return Ok(None);
    }
    if prefix.len() == 64 {
        let path = record_path(store, prefix);
        return path.exists().then(|| store::read_json(&path)).transpose();
    }
    let mut found = None;
    for entry in fs::read_dir(store.images())? {
        let file = entry?.file_name();
        let file = file.to_string_lossy();
        if file.starts_with(prefix) && file.ends_with(".json") {
            if found.is_some() {
                return Err(NotFound(format!(
                    "image id prefix {prefix} is ambiguous; give more characters"
                ))
                .into());
            }
            found = Some(store::read_json(&store.images().join(&*file))?);
        }
    }
    Ok(found)
}

/// Adds an image whose layers are already in `layers/`: writes its config blob and
/// record, then points `tags` at it (moving them from any image that had them).
pub fn add(store: &Store, config_bytes: &[u8], tags: &[Reference]) -> Result<ImageRecord> {
    let id = store::sha256_digest(config_bytes);
    let config = ImageConfig::parse(config_bytes)?;
    let size = config
        .rootfs
        .diff_ids
        .iter()
        .map(|d| layer_size(store, d))
        .sum();
    let _lock = store.lock()?;
    let blob = store.blob(&id);
    if !blob.exists() {
        store::write_atomic(&blob, config_bytes)?;
    }
    let path = record_path(store, &id);
    let record = if path.exists() {
        store::read_json(&path)?
    } else {
        let record = ImageRecord {
            id: id.clone(),
            size,
            added: clock::format_rfc3339(clock::now()),
            ..Default::default()
        };
        store::write_json(&path, &record)?;
        record
    };
    if !tags.is_empty() {
        let mut all = read_tags(store)?;
        for tag in tags {
            all.insert(tag.clone().with_default_tag().to_string(), id.clone());
        }
        store::write_json(&tags_path(store), &all)?;
    }
    Ok(record)
}

/// Records that the image `id` is `repo_digest` (`repository@sha256:...`) in a registry, with
/// its manifest (already in `blobs/`): a digest of the same repository replaces the old one.
pub fn set_repo_digest(
    store: &Store,
    id: &str,
    repo_digest: &str,
    manifest: &str,
) -> Result<ImageRecord> {
    let _lock = store.lock()?;
    let path = record_path(store, id);
    let mut record: ImageRecord = store::read_json(&path)?;
    let repository = repo_digest.split('@').next().unwrap_or_default();
    record
        .repo_digests
        .retain(|d| d.split('@').next() != Some(repository));
    record.repo_digests.push(repo_digest.to_string());
    record.repo_digests.sort();
    record.manifest = Some(manifest.to_string());
    store::write_json(&path, &record)?;
    Ok(record)
}

/// The image known as `repository@digest`, if any.
pub fn find_by_repo_digest(store: &Store, repo_digest: &str) -> Result<Option<Image>> {
    Ok(list(store)?
        .into_iter()
        .find(|i| i.record.repo_digests.iter().any(|d| d == repo_digest)))
}

/// The content size recorded for an extracted layer.
pub fn layer_size(store: &Store, diff_id: &str) -> u64 {
    fs::read_to_string(store.layer(diff_id).join("size"))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// Points `target` at the image `source` resolves to.
pub fn tag(store: &Store, source: &str, target: &str) -> Result<()> {
    let image = resolve(store, source)?;
    let target = Reference::parse(target)?.with_default_tag();
    if target.digest.is_some() {
        bail!("refusing to create a tag with a digest reference");
    }
    let _lock = store.lock()?;
    let mut all = read_tags(store)?;
    all.insert(target.to_string(), image.record.id.clone());
    store::write_json(&tags_path(store), &all)
}

/// Removes one tag; returns false when it did not exist.
pub fn untag(store: &Store, reference: &Reference) -> Result<bool> {
    let _lock = store.lock()?;
    let mut all = read_tags(store)?;
    let removed = all
        .remove(&reference.clone().with_default_tag().to_string())
        .is_some();
    if removed {
        store::write_json(&tags_path(store), &all)?;
    }
    Ok(removed)
}

/// Deletes an untagged image's record and config. The layers that no remaining image, no
/// lease and nothing in `keep` (the build cache's) uses leave `layers/` at once, renamed into
/// the staging area while the lock is held, so that no command can start reusing them; their
/// new paths are returned for the caller to delete (their files may belong to subordinate
/// ids).
pub fn delete(store: &Store, id: &str, keep: &HashSet<String>) -> Result<Vec<PathBuf>> {
    let _lock = store.lock()?;
    let tags = read_tags(store)?;
    if tags.values().any(|v| v == id) {
        bail!("image {} is still tagged", short_id(id));
    }
    let removed = load_image(store, store::read_json(&record_path(store, id))?, &tags)?;
    fs::remove_file(record_path(store, id))?;
    let _ = fs::remove_file(store.blob(id));
    let others = list(store)?;
    let used = layers_in_use(store, &others, keep);
    let unused: Vec<String> = removed
        .diff_ids()
        .iter()
        .filter(|d| !used.contains(*d))
        .cloned()
        .collect();
    // The registry forms of what goes: the manifest, and compressed blobs skiff kept.
    if let Some(manifest) = &removed.record.manifest {
        if !others
            .iter()
            .any(|i| i.record.manifest.as_ref() == Some(manifest))
        {
            let _ = fs::remove_file(store.blob(manifest));
        }
    }
    Ok(take_layers(store, &unused))
}

/// What an image prune did: docker's `untagged: NAME` and `deleted: ID` lines, the layer
/// trees it took out of the store (for the caller to delete) and their bytes.
#[derive(Default)]
pub struct Pruned {
    pub lines: Vec<String>,
    pub doomed: Vec<PathBuf>,
    pub reclaimed: u64,
}

/// Removes the images that no container uses (`in_use`, image ids) and `select` picks, with
/// their tags; layers go as [`delete`] lets them.
pub fn prune(
    store: &Store,
    in_use: &HashSet<String>,
    keep: &HashSet<String>,
    select: impl Fn(&Image) -> bool,
) -> Result<Pruned> {
    let mut pruned = Pruned::default();
    for image in list(store)? {
        if in_use.contains(image.id()) || !select(&image) {
            continue;
        }
        for tag in &image.tags {
            untag(store, tag)?;
            pruned.lines.push(format!("untagged: {}", tag.familiar()));
        }
        let taken = delete(store, image.id(), keep)?;
        pruned.reclaimed += taken_size(&taken);
        pruned.lines.push(format!("deleted: {}", image.id()));
        pruned.doomed.extend(taken);
    }
    Ok(pruned)
}

/// Takes every layer that no image, no lease and nothing in `keep` uses out of `layers/`,
/// as [`delete`] does; returns their new paths.
pub fn take_unused_layers(store: &Store, keep: &HashSet<String>) -> Result<Vec<PathBuf>> {
    let _lock = store.lock()?;
    let used = layers_in_use(store, &list(store)?, keep);
    let mut unused = Vec::new();
    for entry in fs::read_dir(store.layers())? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let diff_id = format!("sha256:{name}");
        if name.len() == 64 && !used.contains(&diff_id) {
            unused.push(diff_id);
        }
    }
    Ok(take_layers(store, &unused))
}

/// The layers `images`, live leases and `keep` hold; the caller holds the lock.
fn layers_in_use(store: &Store, images: &[Image], keep: &HashSet<String>) -> HashSet<String> {
    let mut used = super::lease::leased(store);
    used.extend(keep.iter().cloned());
    used.extend(images.iter().flat_map(|i| i.diff_ids().to_vec()));
    used
}

/// The content bytes of layers taken out of the store, as recorded when they were stored
/// (their trees may hold directories of subordinate ids that cannot be walked).
pub fn taken_size(taken: &[PathBuf]) -> u64 {
    taken
        .iter()
        .filter_map(|dir| fs::read_to_string(dir.join("size")).ok())
        .filter_map(|size| size.trim().parse::<u64>().ok())
        .sum()
}

/// Renames the layers out of `layers/` into the staging area; returns where they went.
fn take_layers(store: &Store, diff_ids: &[String]) -> Vec<PathBuf> {
    let mut taken = Vec::new();
    for diff_id in diff_ids {
        super::blobinfo::forget(store, diff_id);
        let target = store.tmp_path("rm");
        if fs::rename(store.layer(diff_id), &target).is_ok() {
            taken.push(target);
        }
    }
    taken
}

/// The 12-hex-digit id docker shows.
pub fn short_id(id: &str) -> &str {
    let hex = hex_of(id);
    &hex[..hex.len().min(12)]
}

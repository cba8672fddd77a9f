//! Image archives: `docker save` / `podman save` tars (manifest.json) and OCI image layouts
//! (index.json + blobs), possibly compressed, read by `skiff load`.

use super::ingest::{self, LayerSource};
use super::layer::{self, ExtractOptions};
use super::reference::Reference;
use super::store as images;
use crate::runtime::userns::IdMappings;
use crate::store::{self, Store};
use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use std::fs;
use std::io::{BufReader, Read};
use std::path::{Component, Path, PathBuf};

/// What `load` reports per image.
pub struct Loaded {
    pub id: String,
    pub tags: Vec<Reference>,
}

/// One image found in an archive, before its layers are stored.
struct ArchiveImage {
    config: Vec<u8>,
    layers: Vec<PathBuf>,
    tags: Vec<Reference>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifestEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    annotations: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct OciIndex {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

#[derive(Deserialize)]
struct OciManifest {
    config: Descriptor,
    layers: Vec<Descriptor>,
}

/// Reads an archive from `input` and stores its images. The archive is unpacked into a
/// staging directory first; nothing reaches the image index unless every layer is good.
pub fn load(store: &Store, maps: &IdMappings, input: impl Read) -> Result<Vec<Loaded>> {
    let staging = store.staging_dir()?;
    let result = load_staged(store, maps, input, &staging);
    let _ = store::remove_tree(&staging);
    result
}

fn load_staged(
    store: &Store,
    maps: &IdMappings,
    input: impl Read,
    staging: &Path,
) -> Result<Vec<Loaded>> {
    let reader = layer::decompress(BufReader::with_capacity(1 << 20, input))?;
    unpack_outer(reader, staging)?;
    let images = if archive_file(staging, "manifest.json").is_ok() {
        read_docker_archive(staging)?
    } else if archive_file(staging, "index.json").is_ok() {
        read_oci_layout(staging)?
    } else {
        bail!("not an image archive: it has neither manifest.json (docker archive) nor index.json (OCI layout)");
    };
    if images.is_empty() {
        bail!("the archive contains no images");
    }
    let mut sources = Vec::new();
    for image in &images {
        let config = super::config::ImageConfig::parse(&image.config)?;
        if config.rootfs.diff_ids.len() != image.layers.len() {
            bail!(
                "invalid archive: the image config lists {} layers but the manifest has {}",
                config.rootfs.diff_ids.len(),
                image.layers.len()
            );
        }
        for (path, diff_id) in image.layers.iter().zip(&config.rootfs.diff_ids) {
            let path = path.clone();
            let label = path
                .strip_prefix(staging)
                .unwrap_or(&path)
                .display()
                .to_string();
            let mut source = LayerSource::new(
                label,
                Box::new(move || {
                    let file = fs::File::open(&path).with_context(|| {
                        format!("layer {} is missing from the archive", path.display())
                    })?;
                    Ok(Box::new(file) as Box<dyn Read + Send>)
                }),
            );
            source.expected_diff_id = Some(diff_id.clone());
            sources.push(source);
        }
    }
    let lease = super::lease::Lease::new(store);
    ingest::warn_about(&ingest::ingest(store, maps, sources, &lease)?);
    let mut loaded = Vec::new();
    for image in images {
        let record = images::add(store, &image.config, &image.tags)?;
        loaded.push(Loaded {
            id: record.id,
            tags: image.tags,
        });
    }
    Ok(loaded)
}

/// Unpacks the archive with the extractor layers use: each entry is created relative to its
/// parent directory opened without following symlinks, so a symlink of the archive never
/// redirects a later entry out of `dest`. Symlinks (docker writes them for repeated layers)
/// must point inside the archive by their text; what they really resolve to is checked
/// again whenever a file is read through them ([`archive_file`]).
fn unpack_outer(reader: impl Read, dest: &Path) -> Result<()> {
    let options = ExtractOptions {
        no_whiteouts: true,
        archive_files: true,
        ..Default::default()
    };
    layer::extract(reader, dest, &options).map_err(|e| anyhow!("invalid archive: {e:#}"))?;
    Ok(())
}

/// `path` without `.` components, or None when it is absolute or climbs out with `..`.
fn safe_relative(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

fn archive_file(root: &Path, name: &str) -> Result<PathBuf> {
    let relative = safe_relative(Path::new(name))
        .ok_or_else(|| anyhow!("archive names a file outside itself: {name:?}"))?;
    let path = root.join(relative);
    let canonical = path
        .canonicalize()
        .with_context(|| format!("{name} is missing from the archive"))?;
    if !canonical.starts_with(root.canonicalize()?) {
        bail!("archive names a file outside itself: {name:?}");
    }
    Ok(canonical)
}

fn read_docker_archive(root: &Path) -> Result<Vec<ArchiveImage>> {
    let manifest: Vec<DockerManifestEntry> =
        serde_json::from_slice(&fs::read(archive_file(root, "manifest.json")?)?)
            .context("invalid manifest.json in the archive")?;
    manifest
        .into_iter()
        .map(|entry| {
            let config = fs::read(archive_file(root, &entry.config)?)?;
            let layers = entry
                .layers
                .iter()
                .map(|l| archive_file(root, l))
                .collect::<Result<_>>()?;
            let tags = entry
                .repo_tags
                .unwrap_or_default()
                .iter()
                .map(|t| Reference::parse(t))
                .collect::<Result<_>>()?;
            Ok(ArchiveImage {
                config,
                layers,
                tags,
            })
        })
        .collect()
}

fn oci_blob(root: &Path, digest: &str) -> Result<PathBuf> {
    let (algorithm, hex) = digest
        .split_once(':')
        .ok_or_else(|| anyhow!("invalid digest {digest:?}"))?;
    if algorithm != "sha256" || hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("unsupported digest {digest:?}");
    }
    archive_file(root, &format!("blobs/sha256/{hex}"))
}

/// Reads a small blob (index, manifest, config) and checks it against its digest.
fn read_verified(root: &Path, digest: &str) -> Result<Vec<u8>> {
    let bytes = fs::read(oci_blob(root, digest)?)?;
    if store::sha256_digest(&bytes) != digest {
        bail!(
            "blob {digest} does not match its digest: the archive is corrupt or was tampered with"
        );
    }
    Ok(bytes)
}

/// A layer blob's path, after checking its bytes against its digest (the digest of the
/// uncompressed content is checked again during extraction).
fn verified_blob_path(root: &Path, digest: &str) -> Result<PathBuf> {
    use sha2::Digest;
    let path = oci_blob(root, digest)?;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut fs::File::open(&path)?, &mut hasher)?;
    if format!("sha256:{}", store::to_hex(&hasher.finalize())) != digest {
        bail!(
            "blob {digest} does not match its digest: the archive is corrupt or was tampered with"
        );
    }
    Ok(path)
}

fn read_oci_layout(root: &Path) -> Result<Vec<ArchiveImage>> {
    let index: OciIndex = serde_json::from_slice(&fs::read(archive_file(root, "index.json")?)?)
        .context("invalid index.json in the archive")?;
    let mut images = Vec::new();
    let mut pending: Vec<(Descriptor, Option<String>)> =
        index.manifests.into_iter().map(|d| (d, None)).collect();
    while let Some((descriptor, inherited_name)) = pending.pop() {
        let name = image_name(&descriptor).or(inherited_name);
        let bytes = read_verified(root, &descriptor.digest)?;
        if descriptor.media_type.contains("index")
            || descriptor.media_type.contains("manifest.list")
        {
            let nested: OciIndex =
                serde_json::from_slice(&bytes).context("invalid nested index")?;
            pending.extend(nested.manifests.into_iter().map(|d| (d, name.clone())));
            continue;
        }
        let manifest: OciManifest =
            serde_json::from_slice(&bytes).context("invalid image manifest in the archive")?;
        let config = read_verified(root, &manifest.config.digest)?;
        let layers = manifest
            .layers
            .iter()
            .map(|l| verified_blob_path(root, &l.digest))
            .collect::<Result<_>>()?;
        let tags = name
            .map(|n| Reference::parse(&n))
            .transpose()?
            .into_iter()
            .collect();
        images.push(ArchiveImage {
            config,
            layers,
            tags,
        });
    }
    images.reverse();
    Ok(images)
}

/// The image name an OCI index entry carries: containerd's full name, or the OCI ref name
/// (which podman and skopeo write as a full reference, and others as a bare tag).
fn image_name(descriptor: &Descriptor) -> Option<String> {
    let a = &descriptor.annotations;
    if let Some(name) = a.get("io.containerd.image.name") {
        return Some(name.clone());
    }
    let name = a.get("org.opencontainers.image.ref.name")?;
    let full = name.contains(':') || name.contains('/');
    (full && Reference::parse(name).is_ok()).then(|| name.clone())
}

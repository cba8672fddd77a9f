//! `skiff pull`: manifest (choosing the platform from an index), config, then every missing
//! layer streamed once through download, digest check, decompression and extraction, layers
//! in parallel. Nothing reaches the image index until every byte has been checked.

use super::config::Settings;
use super::manifest::{ImageManifest, Manifest, Platform};
use super::progress::{Counting, Progress};
use super::repository::{Fetched, Repository};
use crate::image::blobinfo::{self, CompressedBlob};
use crate::image::config::ImageConfig;
use crate::image::ingest::{self, LayerSource};
use crate::image::lease::Lease;
use crate::image::reference::Reference;
use crate::image::store::{self as images, short_id};
use crate::runtime::userns::IdMappings;
use crate::store::{self, Store};
use anyhow::{bail, Context, Result};
use std::io::Read;
use std::sync::Arc;

pub struct PullOptions {
    pub platform: Option<Platform>,
    pub progress: Arc<Progress>,
}

/// What a pull did.
pub struct Pulled {
    pub id: String,
    /// The digest of what the reference pointed to (an index or a manifest).
    pub digest: String,
    /// False when the image was already in the store.
    pub downloaded: bool,
}

pub fn pull(
    store: &Store,
    maps: &IdMappings,
    reference: &Reference,
    settings: &Settings,
    opts: &PullOptions,
) -> Result<Pulled> {
    let reference = reference.clone().with_default_tag();
    if let Some(pulled) = pinned_and_present(store, &reference)? {
        return Ok(pulled);
    }
    let what = reference.tag.as_ref().or(reference.digest.as_ref());
    opts.progress.line(&format!(
        "{}: Pulling from {}",
        what.map_or("", |w| w.as_str()),
        reference.path
    ));
    let (repo, top) = Repository::open_for_pull(&reference, settings)?;
    let top_digest = top.digest.clone();
    let repo_digest = format!("{}@{top_digest}", reference.familiar_repository());
    let platform = opts.platform.clone().unwrap_or_else(Platform::host);
    if let Some(id) = up_to_date(store, &reference, &repo_digest, &top_digest, &platform)? {
        return Ok(Pulled {
            id,
            digest: top_digest,
            downloaded: false,
        });
    }
    let (manifest_fetched, manifest) = image_manifest(&repo, top, &platform)?;
    let config_bytes = fetch_config(&repo, &manifest)?;
    let id = store::sha256_digest(&config_bytes);
    let config = ImageConfig::parse(&config_bytes)?;
    // An index chose by platform already; a lone manifest is checked by its config.
    let lone_manifest = manifest_fetched.digest == top_digest;
    if let (Some(wanted), true) = (&opts.platform, lone_manifest) {
        check_platform(&reference, wanted, &config)?;
    }
    let diff_ids = config.rootfs.diff_ids;
    let lease = Lease::new(store);
    lease.add(store, &diff_ids)?;
    let present = images::resolve(store, &id).is_ok() && all_layers_present(store, &diff_ids);
    if !present {
        let repo = Arc::new(repo);
        fetch_layers(
            store,
            maps,
            repo,
            &manifest,
            &diff_ids,
            &opts.progress,
            &lease,
        )?;
    }
    // Blobs before records: a record never names a manifest that is not there.
    store::write_atomic(
        &store.blob(&manifest_fetched.digest),
        &manifest_fetched.bytes,
    )?;
    let tags: Vec<Reference> = reference.tag.iter().map(|_| reference.clone()).collect();
    images::add(store, &config_bytes, &tags)?;
    images::set_repo_digest(store, &id, &repo_digest, &manifest_fetched.digest)?;
    remember_blobs(store, &reference, &manifest, &diff_ids)?;
    Ok(Pulled {
        id,
        digest: top_digest,
        downloaded: !present,
    })
}

/// A reference pinned by digest names immutable content: when it is here, nothing is asked.
fn pinned_and_present(store: &Store, reference: &Reference) -> Result<Option<Pulled>> {
    let Some(digest) = &reference.digest else {
        return Ok(None);
    };
    let repo_digest = format!("{}@{digest}", reference.familiar_repository());
    Ok(
        images::find_by_repo_digest(store, &repo_digest)?.map(|image| Pulled {
            id: image.id().to_string(),
            digest: digest.clone(),
            downloaded: false,
        }),
    )
}

/// The image already stored as `repo_digest` for `platform`, tagged as the reference says.
fn up_to_date(
    store: &Store,
    reference: &Reference,
    repo_digest: &str,
    top_digest: &str,
    platform: &Platform,
) -> Result<Option<String>> {
    let Some(image) = images::find_by_repo_digest(store, repo_digest)? else {
        return Ok(None);
    };
    // An index's digest names every platform's image: the one here must be the one wanted.
    let same_platform = platform.accepts(&platform_of(&image.config));
    if !same_platform || !all_layers_present(store, image.diff_ids()) {
        return Ok(None);
    }
    let manifest = image.record.manifest.as_deref().unwrap_or(top_digest);
    tag_pulled(store, reference, image.id(), repo_digest, manifest)?;
    Ok(Some(image.id().to_string()))
}

fn platform_of(config: &ImageConfig) -> Platform {
    Platform {
        os: config.os.clone(),
        architecture: config.architecture.clone(),
        variant: config.variant.clone(),
    }
}

/// An image that is not a manifest list is for one platform: a `--platform` that names
/// another is refused, as docker refuses it, rather than storing what cannot run.
fn check_platform(reference: &Reference, wanted: &Platform, config: &ImageConfig) -> Result<()> {
    let actual = platform_of(config);
    if !wanted.accepts(&actual) {
        bail!(
            "image with reference {} was found but does not match the specified platform: wanted {wanted}, actual: {actual}",
            reference.familiar()
        );
    }
    Ok(())
}

/// The image config, checked against its digest and against the manifest's layer count.
fn fetch_config(repo: &Repository, manifest: &ImageManifest) -> Result<Vec<u8>> {
    let bytes = repo
        .small_blob(&manifest.config.digest, manifest.config.size)
        .context("cannot fetch the image config")?;
    let layers = ImageConfig::parse(&bytes)?.rootfs.diff_ids.len();
    if layers != manifest.layers.len() {
        bail!(
            "invalid image: its config lists {layers} layers but its manifest {}",
            manifest.layers.len()
        );
    }
    Ok(bytes)
}

fn all_layers_present(store: &Store, diff_ids: &[String]) -> bool {
    diff_ids
        .iter()
        .all(|d| store.layer(d).join("diff").is_dir())
}

/// Points the reference's tag at an image that is already here and notes its repo digest.
fn tag_pulled(
    store: &Store,
    reference: &Reference,
    id: &str,
    repo_digest: &str,
    manifest: &str,
) -> Result<()> {
    if reference.tag.is_some() {
        images::tag(store, id, &reference.to_string())?;
    }
    images::set_repo_digest(store, id, repo_digest, manifest)?;
    Ok(())
}

/// The image manifest for `platform`: `top` itself, or its entry in an index.
fn image_manifest(
    repo: &Repository,
    top: Fetched,
    platform: &Platform,
) -> Result<(Fetched, ImageManifest)> {
    match Manifest::parse(&top.bytes, &top.media_type)? {
        Manifest::Image(manifest) => Ok((top, *manifest)),
        Manifest::Index(index) => {
            let entry = index.choose(platform)?;
            let fetched = repo.manifest(&entry.digest)?;
            match Manifest::parse(&fetched.bytes, &fetched.media_type)? {
                Manifest::Image(manifest) => Ok((fetched, *manifest)),
                Manifest::Index(_) => {
                    bail!("the manifest list for {platform} names another manifest list")
                }
            }
        }
    }
}

fn fetch_layers(
    store: &Store,
    maps: &IdMappings,
    repo: Arc<Repository>,
    manifest: &ImageManifest,
    diff_ids: &[String],
    progress: &Arc<Progress>,
    lease: &Lease,
) -> Result<()> {
    let mut sources = Vec::new();
    for (descriptor, diff_id) in manifest.layers.iter().zip(diff_ids) {
        let layer = Arc::new(progress.layer(short_id(&descriptor.digest), descriptor.size));
        if store.layer(diff_id).join("diff").is_dir() {
            layer.finish("Already exists");
            continue;
        }
        layer.step("Pulling fs layer");
        let (open_repo, digest, open_layer) =
            (repo.clone(), descriptor.digest.clone(), layer.clone());
        let mut source = LayerSource::new(
            format!("layer {}", descriptor.digest),
            Box::new(move || {
                open_layer.step("Downloading");
                let reader = Counting {
                    inner: open_repo.blob_reader(&digest),
                    layer: open_layer,
                };
                Ok(Box::new(reader) as Box<dyn Read + Send>)
            }),
        );
        source.expected_diff_id = Some(diff_id.clone());
        source.expected_blob = Some((descriptor.digest.clone(), descriptor.size));
        source.on_done = Some(Box::new(move |existed| {
            layer.finish(if existed {
                "Already exists"
            } else {
                "Pull complete"
            })
        }));
        sources.push(source);
    }
    progress.flush();
    let result = ingest::ingest(store, maps, sources, lease);
    progress.settle();
    ingest::warn_about(&result?);
    Ok(())
}

/// Remembers the compressed blob of each layer and where it came from, so a push to that
/// registry can mount or skip it and keep the image's digests.
fn remember_blobs(
    store: &Store,
    reference: &Reference,
    manifest: &ImageManifest,
    diff_ids: &[String],
) -> Result<()> {
    for (descriptor, diff_id) in manifest.layers.iter().zip(diff_ids) {
        let known = blobinfo::known(store, diff_id);
        let repository = reference.repository();
        if known
            .iter()
            .any(|b| b.digest == descriptor.digest && b.repositories.contains(&repository))
        {
            continue;
        }
        let blob = CompressedBlob {
            digest: descriptor.digest.clone(),
            size: descriptor.size,
            media_type: descriptor.media_type.clone(),
            repositories: vec![repository],
        };
        blobinfo::remember(store, diff_id, blob)?;
    }
    Ok(())
}

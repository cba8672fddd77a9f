//! `skiff push`: each layer goes up as a compressed blob the registry may already have
//! (HEAD), may mount from another of its repositories, or gets uploaded; then the config, then
//! the manifest. A layer without a known compressed form is compressed once (gzip, or zstd)
//! from its exact original tar stream, and the blob is kept: pushing again uploads nothing
//! and gives the same digest.

use super::client::Payload;
use super::config::Settings;
use super::manifest::{self, Descriptor, ImageManifest};
use super::progress::{LayerProgress, Progress};
use super::repository::{endpoint_of, Repository};
use crate::image::blobinfo::{self, CompressedBlob};
use crate::image::reference::Reference;
use crate::image::store::{self as images, short_id, Image};
use crate::image::tarsplit;
use crate::runtime::userns::{self, IdMappings};
use crate::store::{self, Store};
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::io::{self, Write};
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    Gzip,
    Zstd,
}

impl Compression {
    fn media_type(self) -> &'static str {
        match self {
            Compression::Gzip => manifest::OCI_LAYER_GZIP,
            Compression::Zstd => manifest::OCI_LAYER_ZSTD,
        }
    }
}

pub struct PushOptions {
    pub compression: Compression,
    pub progress: Arc<Progress>,
}

pub struct Pushed {
    pub digest: String,
    pub size: usize,
}

/// How many blobs are uploaded at once.
const PARALLEL_UPLOADS: usize = 3;

pub fn push(
    store: &Store,
    maps: &IdMappings,
    reference: &Reference,
    settings: &Settings,
    opts: &PushOptions,
) -> Result<Pushed> {
    let reference = reference.clone().with_default_tag();
    let Some(tag) = reference.tag.clone().filter(|_| reference.digest.is_none()) else {
        bail!("push needs a tag, not a digest: {}", reference.familiar());
    };
    let image = images::resolve(store, &reference.to_string())
        .ok()
        .filter(|i| i.tags.contains(&reference));
    let image = image.ok_or_else(|| {
        anyhow!(
            "An image does not exist locally with the tag: {}",
            reference.familiar_repository()
        )
    })?;
    opts.progress.line(&format!(
        "The push refers to repository [{}]",
        reference.repository()
    ));
    let repo = Repository::open(&reference, endpoint_of(&reference.domain), settings, true)?;
    let plans = plan_layers(store, &reference, &image, opts.compression);
    let layers = compress_missing(store, maps, plans, opts.compression)?;
    let uploaded = upload_layers(store, &repo, &reference, &layers, &opts.progress);
    opts.progress.settle();
    uploaded?;
    let config = store.blob(image.id());
    repo.upload_blob(image.id(), Payload::File(config))
        .context("cannot upload the image config")?;
    let (bytes, media_type) = manifest_for(store, &image, &layers)?;
    let digest = store::sha256_digest(&bytes);
    let size = bytes.len();
    store::write_atomic(&store.blob(&digest), &bytes)?;
    let given = repo
        .put_manifest(&tag, bytes, &media_type)
        .context("the registry refused the manifest")?;
    if !given.is_empty() && given != digest {
        bail!("the registry stored the manifest under digest {given}, not {digest}");
    }
    images::set_repo_digest(
        store,
        image.id(),
        &format!("{}@{digest}", reference.familiar_repository()),
        &digest,
    )?;
    Ok(Pushed { digest, size })
}

/// A layer of the image and the blob it will be pushed as (None: to be compressed).
struct Layer {
    diff_id: String,
    blob: Option<CompressedBlob>,
}

/// The known blob for each layer: one this registry has seen first, else one kept in the
/// store in the wanted compression, else None (compress it).
fn plan_layers(
    store: &Store,
    reference: &Reference,
    image: &Image,
    compression: Compression,
) -> Vec<Layer> {
    let on_registry = |b: &CompressedBlob| {
        b.repositories
            .iter()
            .any(|r| r.starts_with(&format!("{}/", reference.domain)))
    };
    let kept = |b: &CompressedBlob| {
        b.media_type == compression.media_type() && store.blob(&b.digest).is_file()
    };
    image
        .diff_ids()
        .iter()
        .map(|diff_id| {
            let known = blobinfo::known(store, diff_id);
            let blob = known
                .iter()
                .find(|b| on_registry(b))
                .or_else(|| known.iter().find(|b| kept(b)))
                .cloned();
            Layer {
                diff_id: diff_id.clone(),
                blob,
            }
        })
        .collect()
}

#[derive(Serialize, Deserialize)]
struct Compressed {
    diff_id: String,
    digest: String,
    size: u64,
}

/// Compresses the layers that have no blob yet, in the user namespace (their files may
/// belong to subordinate ids), in parallel; each stream is checked against its diff id.
fn compress_missing(
    store: &Store,
    maps: &IdMappings,
    mut layers: Vec<Layer>,
    compression: Compression,
) -> Result<Vec<Layer>> {
    let missing: Vec<String> = layers
        .iter()
        .filter(|l| l.blob.is_none())
        .map(|l| l.diff_id.clone())
        .collect();
    if missing.is_empty() {
        return Ok(layers);
    }
    let store_in_ns = store.clone();
    let text = userns::run_in_userns(maps, move || {
        let results: Mutex<Vec<Result<Compressed>>> = Mutex::new(Vec::new());
        let queue = Mutex::new(missing);
        std::thread::scope(|scope| {
            for _ in 0..2 {
                scope.spawn(|| loop {
                    let Some(diff_id) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    let result = compress_layer(&store_in_ns, &diff_id, compression);
                    results.lock().unwrap().push(result);
                });
            }
        });
        let done: Vec<Compressed> = results
            .into_inner()
            .unwrap()
            .into_iter()
            .collect::<Result<_>>()?;
        Ok(serde_json::to_string(&done)?)
    })?;
    let done: Vec<Compressed> = serde_json::from_str(&text)?;
    for item in done {
        let blob = CompressedBlob {
            digest: item.digest,
            size: item.size,
            media_type: compression.media_type().to_string(),
            repositories: Vec::new(),
        };
        blobinfo::remember(store, &item.diff_id, blob.clone())?;
        for layer in layers.iter_mut().filter(|l| l.diff_id == item.diff_id) {
            layer.blob = Some(blob.clone());
        }
    }
    Ok(layers)
}

/// Reproduces a layer's tar, compresses it into a blob file, and checks the tar's digest.
fn compress_layer(store: &Store, diff_id: &str, compression: Compression) -> Result<Compressed> {
    let tmp = store.tmp_path("blob");
    let result = (|| -> Result<Compressed> {
        let file = io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&tmp)?);
        let mut tar = HashingWriter::new(compressor(HashingWriter::new(file), compression)?);
        tarsplit::reproduce(&store.layer(diff_id), &mut tar)
            .with_context(|| format!("cannot reproduce layer {diff_id}"))?;
        let (encoder, tar_digest, _) = tar.finish();
        if tar_digest != diff_id {
            bail!("layer {diff_id} cannot be reproduced exactly (its files give {tar_digest}): it cannot be pushed");
        }
        let (mut file, digest, size) = encoder.finish()?.finish();
        file.flush()?;
        std::fs::rename(&tmp, store.blob(&digest))?;
        Ok(Compressed {
            diff_id: diff_id.to_string(),
            digest,
            size,
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A compressor that hands back its inner writer when finished.
enum Encoder<W: Write> {
    Gzip(flate2::write::GzEncoder<W>),
    Zstd(zstd::stream::write::Encoder<'static, W>),
}

fn compressor<W: Write>(inner: W, compression: Compression) -> Result<Encoder<W>> {
    Ok(match compression {
        Compression::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
            inner,
            flate2::Compression::default(),
        )),
        Compression::Zstd => Encoder::Zstd(zstd::stream::write::Encoder::new(inner, 3)?),
    })
}

impl<W: Write> Encoder<W> {
    fn finish(self) -> io::Result<W> {
        match self {
            Encoder::Gzip(e) => e.finish(),
            Encoder::Zstd(e) => e.finish(),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Encoder::Gzip(e) => e.write(buf),
            Encoder::Zstd(e) => e.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::Gzip(e) => e.flush(),
            Encoder::Zstd(e) => e.flush(),
        }
    }
}

/// Digests (and counts) what is written through it.
struct HashingWriter<W> {
    inner: W,
    state: sha2::Sha256,
    count: u64,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            state: sha2::Sha256::new(),
            count: 0,
        }
    }

    /// The inner writer, the digest and the byte count.
    fn finish(self) -> (W, String, u64) {
        (
            self.inner,
            format!("sha256:{:x}", self.state.finalize()),
            self.count,
        )
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.state.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Sends each layer's blob: skipped when the repository has it, mounted when another
/// repository of the registry does, uploaded from the store otherwise.
fn upload_layers(
    store: &Store,
    repo: &Repository,
    reference: &Reference,
    layers: &[Layer],
    progress: &Arc<Progress>,
) -> Result<()> {
    let queue = Mutex::new(layers.iter().collect::<Vec<_>>());
    let errors = Mutex::new(Vec::new());
    let bars: Vec<(String, Arc<LayerProgress>)> = layers
        .iter()
        .map(|l| {
            let blob = l.blob.as_ref().expect("every layer has a blob by now");
            let bar = Arc::new(progress.layer(short_id(&blob.digest), blob.size));
            bar.step("Preparing");
            (blob.digest.clone(), bar)
        })
        .collect();
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL_UPLOADS.min(layers.len()) {
            scope.spawn(|| {
                while let Some(layer) = take_first(&queue) {
                    let blob = layer.blob.as_ref().unwrap();
                    let bar = &bars.iter().find(|(d, _)| *d == blob.digest).unwrap().1;
                    if let Err(e) = upload_one(store, repo, reference, &layer.diff_id, blob, bar) {
                        errors.lock().unwrap().push(e);
                    }
                }
            });
        }
    });
    match errors.into_inner().unwrap().into_iter().next() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The first item of a shared work list, in order.
fn take_first<T>(queue: &Mutex<Vec<T>>) -> Option<T> {
    let mut queue = queue.lock().unwrap();
    (!queue.is_empty()).then(|| queue.remove(0))
}

fn upload_one(
    store: &Store,
    repo: &Repository,
    reference: &Reference,
    diff_id: &str,
    blob: &CompressedBlob,
    bar: &LayerProgress,
) -> Result<()> {
    let mount_from = blob
        .repositories
        .iter()
        .filter_map(|r| r.strip_prefix(&format!("{}/", reference.domain)))
        .find(|path| *path != reference.path)
        .map(str::to_string);
    let local = store.blob(&blob.digest);
    if repo.has_blob(&blob.digest)? {
        bar.finish("Layer already exists");
    } else if mount_from
        .as_deref()
        .is_some_and(|from| repo.mount_blob(&blob.digest, from).unwrap_or(false))
    {
        bar.finish(&format!("Mounted from {}", mount_from.unwrap()));
    } else if local.is_file() {
        bar.step("Pushing");
        repo.upload_blob(&blob.digest, Payload::File(local))
            .with_context(|| format!("cannot upload layer {}", blob.digest))?;
        bar.finish("Pushed");
    } else {
        bail!("layer {} is not in the registry and its blob {} is not kept locally: pull it again or push with another compression", diff_id, blob.digest);
    }
    let mut known = blob.clone();
    known.repositories = vec![reference.repository()];
    blobinfo::remember(store, diff_id, known)
}

/// The manifest to push: the one the image came with when its layers are the same blobs
/// (the digest stays), else a new one (Docker schema 2 for gzip, OCI when zstd is used).
fn manifest_for(store: &Store, image: &Image, layers: &[Layer]) -> Result<(Vec<u8>, String)> {
    let blobs: Vec<&CompressedBlob> = layers.iter().map(|l| l.blob.as_ref().unwrap()).collect();
    if let Some(digest) = &image.record.manifest {
        if let Ok(bytes) = std::fs::read(store.blob(digest)) {
            if let Ok(manifest::Manifest::Image(old)) = manifest::Manifest::parse(&bytes, "") {
                let same = old.config.digest == image.id()
                    && old.layers.len() == blobs.len()
                    && old
                        .layers
                        .iter()
                        .zip(&blobs)
                        .all(|(d, b)| d.digest == b.digest);
                if same {
                    let media_type = if old.media_type.is_empty() {
                        manifest::OCI_MANIFEST.to_string()
                    } else {
                        old.media_type.clone()
                    };
                    return Ok((bytes, media_type));
                }
            }
        }
    }
    let zstd = blobs.iter().any(|b| b.media_type.contains("zstd"));
    let (manifest_type, config_type) = if zstd {
        (manifest::OCI_MANIFEST, manifest::OCI_CONFIG)
    } else {
        (manifest::DOCKER_MANIFEST, manifest::DOCKER_CONFIG)
    };
    let config_size = std::fs::metadata(store.blob(image.id()))?.len();
    let descriptor = |media_type: &str, digest: &str, size: u64| Descriptor {
        media_type: media_type.to_string(),
        digest: digest.to_string(),
        size,
        platform: None,
        annotations: None,
        urls: None,
    };
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: manifest_type.to_string(),
        config: descriptor(config_type, image.id(), config_size),
        layers: blobs
            .iter()
            .map(|b| descriptor(&layer_media_type(&b.media_type, zstd), &b.digest, b.size))
            .collect(),
        annotations: None,
    };
    Ok((
        serde_json::to_vec_pretty(&manifest)?,
        manifest_type.to_string(),
    ))
}

/// A layer's media type in the manifest's family: Docker's names for a schema 2 manifest.
fn layer_media_type(known: &str, oci: bool) -> String {
    let gzip = known.contains("gzip");
    match (oci, gzip) {
        (true, _) if known.starts_with("application/vnd.oci.") => known.to_string(),
        (true, true) => manifest::OCI_LAYER_GZIP.to_string(),
        (true, false) if known.contains("zstd") => manifest::OCI_LAYER_ZSTD.to_string(),
        (true, false) => "application/vnd.oci.image.layer.v1.tar".to_string(),
        (false, true) => manifest::DOCKER_LAYER_GZIP.to_string(),
        (false, false) => "application/vnd.docker.image.rootfs.diff.tar".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_types_follow_the_manifest() {
        assert_eq!(
            layer_media_type(manifest::OCI_LAYER_GZIP, false),
            manifest::DOCKER_LAYER_GZIP
        );
        assert_eq!(
            layer_media_type(manifest::DOCKER_LAYER_GZIP, true),
            manifest::OCI_LAYER_GZIP
        );
        assert_eq!(
            layer_media_type(manifest::OCI_LAYER_ZSTD, true),
            manifest::OCI_LAYER_ZSTD
        );
    }
}

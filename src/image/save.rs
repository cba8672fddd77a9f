//! `skiff save`: images as a docker archive (manifest.json, repositories, configs, one
//! uncompressed tar per layer, what `docker load` and `podman load` read) or an OCI archive
//! (an OCI image layout in a tar). Each layer's tar is reproduced from its extracted files
//! (from the record of its stream kept at extraction, see [`super::tarsplit`]) and checked
//! against its diff id before it is written, so the archive's digests are the image's.

use super::reference::Reference;
use super::store::{self as images, Image};
use super::tarball::{Digester, TarWriter, WriteOptions};
use super::{ingest, tarsplit};
use crate::runtime::userns::{self, IdMappings};
use crate::store::{self, hex_of, Store};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::Write;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// docker's archive (manifest.json), which docker and podman load
    DockerArchive,
    /// an OCI image layout in a tar
    OciArchive,
}

/// An image to save and the names it is saved under.
struct Saved {
    image: Image,
    config: Vec<u8>,
    tags: Vec<Reference>,
}

/// Writes the images `names` to `out` in `format`.
pub fn save(
    store: &Store,
    maps: &IdMappings,
    names: &[String],
    format: Format,
    out: &File,
) -> Result<()> {
    let mut saved: Vec<Saved> = Vec::new();
    for name in names {
        let image = images::resolve(store, name)?;
        // Named by a tag, the image is saved under that tag; by id, under none (as docker).
        let tag = Reference::parse(name)
            .ok()
            .map(|r| r.with_default_tag())
            .filter(|r| image.tags.contains(r));
        if let Some(existing) = saved.iter_mut().find(|s| s.image.id() == image.id()) {
            existing.tags.extend(tag);
            continue;
        }
        let config = std::fs::read(store.blob(image.id()))
            .with_context(|| format!("image {} has lost its config", image.id()))?;
        saved.push(Saved {
            image,
            config,
            tags: tag.into_iter().collect(),
        });
    }
    let store = store.clone();
    // Layer files belong to the image's owners: read them in the user namespace.
    userns::run_in_userns(maps, move || {
        let mut builder = tar::Builder::new(out);
        match format {
            Format::DockerArchive => write_docker(&store, &saved, &mut builder)?,
            Format::OciArchive => write_oci(&store, &saved, &mut builder)?,
        }
        builder.into_inner()?.flush()?;
        Ok(String::new())
    })?;
    Ok(())
}

fn add_file(builder: &mut tar::Builder<&File>, name: &str, data: &[u8]) -> Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_mode(0o644);
    header.set_size(data.len() as u64);
    header.set_mtime(0);
    builder.append_data(&mut header, name, data)?;
    Ok(())
}

/// Writes the uncompressed tar of layer `diff_id` under `name`, after checking that what
/// its files give back is the layer the image names.
fn add_layer(
    store: &Store,
    builder: &mut tar::Builder<&File>,
    diff_id: &str,
    name: &str,
) -> Result<u64> {
    let mut digester = Digester::default();
    write_layer(store, diff_id, &mut digester)?;
    let (len, digest) = (digester.len, digester.digest());
    if digest != diff_id {
        bail!("layer {diff_id} cannot be reproduced from its files (they give {digest}): the layer was changed in the store");
    }
    let mut header = tar::Header::new_ustar();
    header.set_mode(0o644);
    header.set_size(len);
    header.set_mtime(0);
    let layer_store = store.clone();
    let layer = diff_id.to_string();
    let reader = ingest::tar_in_thread(move |mut out| write_layer(&layer_store, &layer, &mut out))?;
    builder.append_data(&mut header, name, reader)?;
    Ok(len)
}

/// The tar stream of a stored layer: replayed from its record when it has one, else written
/// afresh from its files (layers made before records were kept).
pub fn write_layer(store: &Store, diff_id: &str, out: &mut impl Write) -> Result<()> {
    let dir = store.layer(diff_id);
    if dir.join(tarsplit::FILE_NAME).is_file() {
        return tarsplit::reproduce(&dir, out);
    }
    let mut writer = TarWriter::new(
        out,
        WriteOptions {
            layer: true,
            ..Default::default()
        },
    );
    writer.add(&dir.join("diff"), "", None)?;
    writer.finish()?;
    Ok(())
}

fn write_docker(store: &Store, saved: &[Saved], builder: &mut tar::Builder<&File>) -> Result<()> {
    let mut written = HashSet::new();
    let mut manifest = Vec::new();
    let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for item in saved {
        let config_name = format!("{}.json", hex_of(item.image.id()));
        add_file(builder, &config_name, &item.config)?;
        let mut layers = Vec::new();
        for diff_id in item.image.diff_ids() {
            let name = format!("{}.tar", hex_of(diff_id));
            if written.insert(diff_id.clone()) {
                add_layer(store, builder, diff_id, &name)?;
            }
            layers.push(name);
        }
        let tags: Vec<String> = item.tags.iter().map(|t| t.familiar()).collect();
        if let Some(top) = item.image.diff_ids().last() {
            for tag in &item.tags {
                repositories
                    .entry(tag.familiar_repository())
                    .or_default()
                    .insert(tag.tag.clone().unwrap_or_default(), hex_of(top).to_string());
            }
        }
        manifest.push(json!({
            "Config": config_name,
            "RepoTags": if tags.is_empty() { Value::Null } else { json!(tags) },
            "Layers": layers,
        }));
    }
    add_file(builder, "manifest.json", &serde_json::to_vec(&manifest)?)?;
    add_file(builder, "repositories", &serde_json::to_vec(&repositories)?)?;
    Ok(())
}

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn write_oci(store: &Store, saved: &[Saved], builder: &mut tar::Builder<&File>) -> Result<()> {
    add_file(builder, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    let mut written = HashSet::new();
    let mut sizes: HashMap<String, u64> = HashMap::new();
    let mut index = Vec::new();
    for item in saved {
        let mut layers = Vec::new();
        for diff_id in item.image.diff_ids() {
            let name = format!("blobs/sha256/{}", hex_of(diff_id));
            if !sizes.contains_key(diff_id) {
                let size = add_layer(store, builder, diff_id, &name)?;
                sizes.insert(diff_id.clone(), size);
            }
            layers.push(json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": diff_id,
                "size": sizes[diff_id],
            }));
        }
        let config_digest = item.image.id().to_string();
        if written.insert(config_digest.clone()) {
            add_file(
                builder,
                &format!("blobs/sha256/{}", hex_of(&config_digest)),
                &item.config,
            )?;
        }
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest,
                "size": item.config.len(),
            },
            "layers": layers,
        }))?;
        let manifest_digest = store::sha256_digest(&manifest);
        if written.insert(manifest_digest.clone()) {
            add_file(
                builder,
                &format!("blobs/sha256/{}", hex_of(&manifest_digest)),
                &manifest,
            )?;
        }
        let descriptor = |annotations: Value| {
            json!({
                "mediaType": OCI_MANIFEST,
                "digest": manifest_digest,
                "size": manifest.len(),
                "annotations": annotations,
            })
        };
        if item.tags.is_empty() {
            index.push(descriptor(json!({})));
        }
        for tag in &item.tags {
            index.push(descriptor(json!({
                "io.containerd.image.name": tag.to_string(),
                "org.opencontainers.image.ref.name": tag.tag.clone().unwrap_or_default(),
            })));
        }
    }
    let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": index});
    add_file(builder, "index.json", &serde_json::to_vec(&index)?)?;
    Ok(())
}

//! Bringing layers into the store. Every layer is extracted into a staging directory inside
//! the user namespace (so files get the ownership the image declares), checked against the
//! digest its image names, and only when all of them are good are they renamed into
//! `layers/`. A rename onto an existing layer loses the race harmlessly: the layer is stored
//! once, and a failed or killed run leaves only staging debris, never a half layer.

use super::layer::{self, ExtractOptions};
use crate::runtime::userns::{self, IdMappings, MappingMode};
use crate::store::{self, Store};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::{BufReader, Read};
use std::path::PathBuf;

/// Where a layer's bytes come from, and what its uncompressed digest must be, when known.
pub struct LayerSource {
    pub open: Box<dyn FnOnce() -> Result<Box<dyn Read>>>,
    pub expected_diff_id: Option<String>,
    /// How the user knows this layer, for error messages.
    pub label: String,
}

/// The outcome for one layer, in the order of the sources.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct IngestedLayer {
    pub diff_id: String,
    pub size: u64,
    pub skipped_devices: u64,
}

/// Extracts and commits `sources`, skipping the ones whose layer is already stored.
pub fn ingest(
    store: &Store,
    maps: &IdMappings,
    sources: Vec<LayerSource>,
) -> Result<Vec<IngestedLayer>> {
    let store_in_ns = store.clone();
    let ignore_chown_errors = maps.mode == MappingMode::Single;
    let text = userns::run_in_userns(maps, move || {
        let results = extract_all(&store_in_ns, sources, ignore_chown_errors)?;
        Ok(serde_json::to_string(&results)?)
    })?;
    let results: Vec<IngestedLayer> = serde_json::from_str(&text)?;
    let skipped: u64 = results.iter().map(|r| r.skipped_devices).sum();
    if skipped > 0 {
        eprintln!("skiff: warning: skipped {skipped} device node(s) in the image: they cannot be created without privileges (containers get their own /dev)");
    }
    Ok(results)
}

fn extract_all(
    store: &Store,
    sources: Vec<LayerSource>,
    ignore_chown_errors: bool,
) -> Result<Vec<IngestedLayer>> {
    let mut staged: Vec<(PathBuf, IngestedLayer)> = Vec::new();
    let mut results = Vec::new();
    let outcome = (|| -> Result<()> {
        for source in sources {
            if let Some(expected) = source.expected_diff_id.clone() {
                if store.layer(&expected).join("diff").is_dir() {
                    // Stored already; the bytes offered must still be the layer they claim.
                    verify_only(source, &expected)?;
                    let size = super::store::layer_size(store, &expected);
                    results.push(IngestedLayer {
                        diff_id: expected,
                        size,
                        skipped_devices: 0,
                    });
                    continue;
                }
            }
            let dir = store.staging_dir()?;
            staged.push((
                dir.clone(),
                IngestedLayer {
                    diff_id: String::new(),
                    size: 0,
                    skipped_devices: 0,
                },
            ));
            let layer = extract_one(&dir, source, ignore_chown_errors)?;
            staged.last_mut().unwrap().1 = layer.clone();
            results.push(layer);
        }
        Ok(())
    })();
    if let Err(e) = outcome {
        for (dir, _) in &staged {
            let _ = store::remove_tree(dir);
        }
        return Err(e);
    }
    for (dir, layer) in staged {
        commit(store, &dir, &layer.diff_id)?;
    }
    Ok(results)
}

fn extract_one(
    dir: &std::path::Path,
    source: LayerSource,
    ignore_chown_errors: bool,
) -> Result<IngestedLayer> {
    let diff = dir.join("diff");
    fs::create_dir(&diff)?;
    let reader = (source.open)()?;
    let decompressed = layer::decompress(BufReader::with_capacity(1 << 20, reader))
        .with_context(|| format!("{}: cannot read the layer", source.label))?;
    let extracted = layer::extract(
        decompressed,
        &diff,
        &ExtractOptions {
            ignore_chown_errors,
        },
    )
    .with_context(|| format!("{}: invalid layer", source.label))?;
    if let Some(expected) = &source.expected_diff_id {
        if *expected != extracted.diff_id {
            bail!(
                "{}: layer content does not match its digest (expected {expected}, got {}): the archive is corrupt or was tampered with",
                source.label,
                extracted.diff_id
            );
        }
    }
    fs::write(dir.join("size"), extracted.size.to_string())?;
    Ok(IngestedLayer {
        diff_id: extracted.diff_id,
        size: extracted.size,
        skipped_devices: extracted.skipped_devices,
    })
}

/// Reads a layer through to the end and checks it against its digest, writing nothing.
fn verify_only(source: LayerSource, expected: &str) -> Result<()> {
    use sha2::Digest;
    let reader = (source.open)()?;
    let mut decompressed = layer::decompress(BufReader::with_capacity(1 << 20, reader))
        .with_context(|| format!("{}: cannot read the layer", source.label))?;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut decompressed, &mut hasher)
        .with_context(|| format!("{}: cannot read the layer", source.label))?;
    let actual = format!("sha256:{}", store::to_hex(&hasher.finalize()));
    if actual != expected {
        bail!("{}: layer content does not match its digest (expected {expected}, got {actual}): the archive is corrupt or was tampered with", source.label);
    }
    Ok(())
}

fn commit(store: &Store, staged: &std::path::Path, diff_id: &str) -> Result<()> {
    let target = store.layer(diff_id);
    match fs::rename(staged, &target) {
        Ok(()) => Ok(()),
        // Another skiff stored the same layer first: ours is a duplicate.
        Err(e) if target.join("diff").is_dir() => {
            let _ = e;
            store::remove_tree(staged).ok();
            Ok(())
        }
        Err(e) => Err(e).with_context(|| format!("cannot store layer {diff_id}")),
    }
}

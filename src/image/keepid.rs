//! The layers of `--userns keep-id` containers. The store's layers belong to the ids of the
//! default mappings (container root is the caller); seen through keep-id mappings they would
//! have the wrong owners, and the kernel lets no unprivileged user idmap a mount of the
//! host's filesystem. So, as podman does, such containers get copies of the layers owned as
//! the keep-id mappings need, made once and kept beside each layer (removed with it).

use crate::runtime::userns::{self, IdMappings};
use crate::store::{hex_of, Store};
use anyhow::{Context, Result};
use std::path::Path;

/// Where a layer's keep-id copy lives, inside the layer's directory.
const COPY: &str = "keep-id";
/// The init layer's keep-id copy, relative to the layer store as the init layer is.
pub const INIT_LAYER: &str = "../init-keep-id";

/// The lower directories of an image's keep-id layers, top first, relative to `layers/`.
pub fn lower_dirs(diff_ids: &[String]) -> Vec<String> {
    diff_ids
        .iter()
        .rev()
        .map(|d| format!("{}/{COPY}/diff", hex_of(d)))
        .collect()
}

/// Makes the keep-id copies of the init layer and of the image's layers that lack one.
pub fn prepare(store: &Store, maps: &IdMappings, diff_ids: &[String]) -> Result<()> {
    let layers = store.layers();
    copy_once(
        store,
        maps,
        &layers.join(store.init_layer()?),
        &layers.join(INIT_LAYER),
    )?;
    for diff_id in diff_ids {
        let layer = store.layer(diff_id);
        copy_once(
            store,
            maps,
            &layer.join("diff"),
            &layer.join(COPY).join("diff"),
        )?;
    }
    Ok(())
}

/// Copies `source` to `target`, unless there already, with the owners keep-id needs: in the
/// user namespace, as root there, into the staging area, then renamed into place (there too:
/// moving a directory needs rights over it; when another command got there first, ours
/// goes).
fn copy_once(store: &Store, maps: &IdMappings, source: &Path, target: &Path) -> Result<()> {
    if target.exists() {
        return Ok(());
    }
    let staging = store.staging_dir()?;
    let (from, tree, to) = (
        source.to_path_buf(),
        staging.join("tree"),
        target.to_path_buf(),
    );
    let owners = maps.clone();
    let copied = userns::run_in_userns(maps, move || {
        crate::runtime::copy_layer(&from, &tree, &|uid, gid| owners.keep_id_owner(uid, gid))?;
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        match std::fs::rename(&tree, &to) {
            Err(_) if to.exists() => Ok(String::new()),
            other => other
                .map(|_| String::new())
                .with_context(|| format!("cannot store {}", to.display())),
        }
    })
    .with_context(|| format!("cannot copy the layer {} for keep-id", source.display()));
    let _ = userns::remove_trees(maps, vec![staging]);
    copied.map(|_| ())
}

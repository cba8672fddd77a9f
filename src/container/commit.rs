//! What a container changed, and making an image of it: `diff` lists the changes of its
//! overlay upper directory as docker does (`A` added, `C` changed, `D` deleted); `commit`
//! stores that directory as one new layer on top of the container's image.

use super::files;
use super::options::merge_env;
use super::{processes, record, state};
use crate::clock;
use crate::image::change;
use crate::image::config::History;
use crate::image::ingest;
use crate::image::overlay;
use crate::image::reference::Reference;
use crate::image::store as images;
use crate::image::tarball;
use crate::runtime::userns::{self, IdMappings};
use crate::store::Store;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// The changes of a container, sorted by path: (`A`|`C`|`D`, absolute path).
pub fn diff(store: &Store, maps: &IdMappings, id: &str) -> Result<Vec<(char, String)>> {
    let upper = record::dir(store, id).join("upper");
    let lowers = files::image_layers(store, id)?;
    // Inside the user namespace: the files of every owner can be looked at there.
    let text = userns::run_in_userns(maps, move || {
        let mut changes = Vec::new();
        walk_changes(&upper, Path::new(""), &lowers, &mut changes)?;
        changes.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(serde_json::to_string(&changes)?)
    })?;
    Ok(serde_json::from_str(&text)?)
}

fn walk_changes(
    upper: &Path,
    relative: &Path,
    lowers: &[PathBuf],
    changes: &mut Vec<(char, String)>,
) -> Result<()> {
    let dir = upper.join(relative);
    let entries =
        std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let entry = entry?;
        let path = relative.join(entry.file_name());
        let meta = entry.metadata()?;
        let shown = format!("/{}", path.display());
        if tarball::is_whiteout(&meta) {
            changes.push(('D', shown));
            continue;
        }
        let kind = if overlay::lookup(lowers, &path).is_some() {
            'C'
        } else {
            'A'
        };
        changes.push((kind, shown));
        if meta.is_dir() {
            walk_changes(upper, &path, lowers, changes)?;
        }
    }
    Ok(())
}

pub struct CommitOptions {
    pub author: Option<String>,
    pub message: Option<String>,
    /// Dockerfile instructions applied to the new image's config (`--change`).
    pub changes: Vec<String>,
    pub tag: Option<Reference>,
    /// Pause a running container while its changes are read (docker's default).
    pub pause: bool,
}

/// Makes an image of the container's image plus its changes; returns the image id.
pub fn commit(store: &Store, maps: &IdMappings, id: &str, opts: &CommitOptions) -> Result<String> {
    let container = record::load(store, id)?;
    if super::namespaces::keep_id_maps(&container.options, maps)?.is_some() {
        bail!("cannot commit container {}: it runs with --userns keep-id, whose files belong to other ids than an image's layers", &id[..12]);
    }
    let image = images::resolve(store, &container.image_id).with_context(|| {
        format!(
            "the image of container {} is gone: nothing to commit on",
            &id[..12]
        )
    })?;
    let mut config = image.config.clone();
    let options = &container.options;
    let run_config = &mut config.config;
    // The container's own settings become the image's, as docker commits them.
    if !options.env.is_empty() {
        merge_env(
            run_config.env.get_or_insert_with(Vec::new),
            options.env.iter().cloned(),
        );
    }
    if let Some(entrypoint) = &options.entrypoint {
        run_config.entrypoint = (!entrypoint.is_empty()).then(|| entrypoint.clone());
    }
    if !options.command.is_empty() {
        run_config.cmd = Some(options.command.clone());
    }
    for change in &opts.changes {
        change::apply(run_config, change)?;
    }
    let running = state::load(store, id)?.is_running();
    let pause = opts.pause && running && !state::has_marker(store, id, state::Marker::Paused);
    if pause {
        processes::pause(store, id)?;
    }
    let lease = crate::image::lease::Lease::new(store);
    let layer = ingest::ingest_dir(store, maps, &record::dir(store, id).join("upper"), &lease);
    if pause {
        processes::unpause(store, id)?;
    }
    let layer = layer?;
    let now = clock::format_rfc3339(clock::now());
    if let Some(author) = &opts.author {
        config.author = Some(author.clone());
    }
    config.created = Some(now.clone());
    config.history.push(History {
        created: Some(now),
        created_by: Some(
            std::iter::once(container.path.clone())
                .chain(container.args.iter().cloned())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        author: opts.author.clone(),
        comment: opts.message.clone(),
        empty_layer: layer.is_none(),
    });
    if let Some(layer) = layer {
        config.rootfs.diff_ids.push(layer.diff_id);
    }
    let bytes = serde_json::to_vec(&config)?;
    let tags: Vec<Reference> = opts.tag.iter().cloned().collect();
    Ok(images::add(store, &bytes, &tags)?.id)
}

//! The prunes' decisions: what each `… prune` removes and the bytes that frees, shared by
//! the CLI (which asks, then prints docker's sections) and the API's `/…/prune` endpoints
//! (which run them in a child skiff: removals do namespace work).

use crate::container::{list, mounts, record, remove};
use crate::filter::PruneFilters;
use crate::image::store::{self as images, Image};
use crate::net::network;
use crate::runtime::userns::{self, IdMappings};
use crate::store::Store;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a prune removed: ids or names (for images, docker's `untagged: …`/`deleted: …`
/// lines), and the bytes freed.
#[derive(Serialize, Deserialize, Default, Debug)]
pub struct Pruned {
    pub removed: Vec<String>,
    pub reclaimed: u64,
}

/// The kinds of prune, as `__prune` names them.
#[derive(Clone, Copy, Debug, PartialEq, clap::ValueEnum)]
pub enum Kind {
    Containers,
    Images,
    Volumes,
    Networks,
    BuildCache,
}

/// Runs the prune of `kind`; `all` widens images to every unused one and volumes to named
/// ones too.
pub fn prune(store: &Store, kind: Kind, all: bool, filters: &PruneFilters) -> Result<Pruned> {
    match kind {
        Kind::Containers => containers(store, filters),
        Kind::Images => images(store, all, filters),
        Kind::Volumes => volumes(store, all, filters),
        Kind::Networks => networks(store, filters),
        Kind::BuildCache => build_cache(store),
    }
}

/// The stopped containers.
fn containers(store: &Store, filters: &PruneFilters) -> Result<Pruned> {
    let maps = IdMappings::detect();
    let mut pruned = Pruned::default();
    for s in list::all(store)? {
        if s.state.is_running() || !filters.keeps(&s.labels(), s.created()) {
            continue;
        }
        pruned.reclaimed += record::upper_size(store, s.id());
        remove::remove(store, &maps, s.id())?;
        pruned.removed.push(s.id().to_string());
    }
    Ok(pruned)
}

/// The volumes no container uses: anonymous ones, or all with `all`.
fn volumes(store: &Store, all: bool, filters: &PruneFilters) -> Result<Pruned> {
    let removed = mounts::prune_volumes(store, &IdMappings::detect(), |v| {
        (all || v.is_anonymous()) && filters.keeps(&v.labels, (0, 0))
    })?;
    Ok(Pruned {
        reclaimed: removed.iter().map(|(_, size)| size).sum(),
        removed: removed.into_iter().map(|(name, _)| name).collect(),
    })
}

/// The dangling images, or with `all` every image no container uses.
fn images(store: &Store, all: bool, filters: &PruneFilters) -> Result<Pruned> {
    let in_use = record::images_in_use(store)?;
    let cached = crate::build::cache::layers_in_use(store);
    let no_labels = BTreeMap::new();
    let select = |image: &Image| {
        let labels = image.config.config.labels.as_ref().unwrap_or(&no_labels);
        (all || image.tags.is_empty()) && filters.keeps(labels, image.created())
    };
    let pruned = images::prune(store, &in_use, &cached, select)?;
    userns::remove_trees(&IdMappings::detect(), pruned.doomed)?;
    Ok(Pruned {
        removed: pruned.lines,
        reclaimed: pruned.reclaimed,
    })
}

/// The networks no container is attached to.
fn networks(store: &Store, filters: &PruneFilters) -> Result<Pruned> {
    let removed = network::prune(store, filters)?;
    Ok(Pruned {
        removed: removed.into_iter().map(|n| n.name).collect(),
        reclaimed: 0,
    })
}

/// The build cache, and the layers only it kept.
fn build_cache(store: &Store) -> Result<Pruned> {
    let removed = crate::build::cache::clear(store)?;
    let reclaimed = unused_layers(store, &IdMappings::detect())?;
    Ok(Pruned { removed, reclaimed })
}

/// Removes the layers that neither an image nor the build cache uses; returns their bytes.
pub fn unused_layers(store: &Store, maps: &IdMappings) -> Result<u64> {
    let cached = crate::build::cache::layers_in_use(store);
    let doomed = images::take_unused_layers(store, &cached)?;
    let bytes = images::taken_size(&doomed);
    userns::remove_trees(maps, doomed)?;
    Ok(bytes)
}

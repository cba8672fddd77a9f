//! The space images, containers and volumes take, and what of it is in use: what
//! `system df` prints and `GET /system/df` answers.

use crate::container::list::{self, Summary};
use crate::container::mounts;
use crate::image::store::{self as images, Image};
use crate::store::Store;
use crate::volume::{self, Volume};
use anyhow::Result;
use std::collections::{HashMap, HashSet};

/// One image with what it shares with others and how many containers use it.
pub struct ImageUsage {
    pub image: Image,
    pub size: u64,
    pub shared: u64,
    pub containers: usize,
}

pub struct ContainerUsage {
    pub summary: Summary,
    pub size: u64,
}

pub struct VolumeUsage {
    pub volume: Volume,
    pub links: usize,
    pub size: u64,
}

/// Everything `system df` reports.
pub struct Usage {
    pub images: Vec<ImageUsage>,
    /// Bytes of all layers, each counted once, and of the layers of images in use.
    pub layers_total: u64,
    pub layers_active: u64,
    pub containers: Vec<ContainerUsage>,
    pub volumes: Vec<VolumeUsage>,
}

/// Measures everything once.
pub fn measure(store: &Store) -> Result<Usage> {
    let containers: Vec<ContainerUsage> = list::all(store)?
        .into_iter()
        .map(|summary| ContainerUsage {
            size: crate::container::record::upper_size(store, summary.id()),
            summary,
        })
        .collect();
    let mut per_image: HashMap<String, usize> = HashMap::new();
    for c in &containers {
        *per_image
            .entry(c.summary.record.image_id.clone())
            .or_default() += 1;
    }
    let all_images = images::list(store)?;
    let mut layer_users: HashMap<&str, usize> = HashMap::new();
    for image in &all_images {
        for layer in distinct_layers(image) {
            *layer_users.entry(layer).or_default() += 1;
        }
    }
    let layer_size: HashMap<&str, u64> = layer_users
        .keys()
        .map(|l| (*l, images::layer_size(store, l)))
        .collect();
    let mut active_layers = HashSet::new();
    let mut usages = Vec::new();
    for image in &all_images {
        let containers = per_image.get(image.id()).copied().unwrap_or(0);
        let layers = distinct_layers(image);
        if containers > 0 {
            active_layers.extend(layers.iter().copied());
        }
        usages.push(ImageUsage {
            size: layers.iter().map(|l| layer_size[l]).sum(),
            shared: layers
                .iter()
                .filter(|l| layer_users[*l] > 1)
                .map(|l| layer_size[l])
                .sum(),
            containers,
            image: image.clone(),
        });
    }
    let layers_total = layer_size.values().sum();
    let layers_active = active_layers.iter().map(|l| layer_size[l]).sum();
    let users = mounts::volume_users(store)?;
    let volumes = volume::list(store)?
        .into_iter()
        .map(|v| VolumeUsage {
            links: users.get(&v.name).map_or(0, Vec::len),
            size: volume::size(store, &v.name),
            volume: v,
        })
        .collect();
    Ok(Usage {
        images: usages,
        layers_total,
        layers_active,
        containers,
        volumes,
    })
}

fn distinct_layers(image: &Image) -> Vec<&str> {
    let mut seen = HashSet::new();
    image
        .diff_ids()
        .iter()
        .map(String::as_str)
        .filter(|l| seen.insert(*l))
        .collect()
}

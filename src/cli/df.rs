//! `skiff system df [-v]`: the space images, containers and volumes take, and how much of it
//! removing unused ones would give back, in docker's table shapes.

use super::format::{self, Format};
use super::image::human_size;
use crate::clock;
use crate::container::list::{self, Summary};
use crate::container::mounts::{self, Kind};
use crate::image::store::{self as images, Image};
use crate::store::Store;
use crate::volume::{self, Volume};
use anyhow::Result;
use clap::Args;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::io::Write;

#[derive(Args)]
pub struct DfArgs {
    /// Show detailed information on space usage
    #[arg(short, long, conflicts_with = "format")]
    verbose: bool,
    /// Format output with a Go template, 'table', 'table TEMPLATE' or 'json'
    #[arg(long)]
    format: Option<String>,
}

/// One image with what it shares with others and how many containers use it.
struct ImageUsage {
    image: Image,
    size: u64,
    shared: u64,
    containers: usize,
}

struct ContainerUsage {
    summary: Summary,
    size: u64,
}

struct VolumeUsage {
    volume: Volume,
    links: usize,
    size: u64,
}

/// Everything `df` reports, measured once.
struct Usage {
    images: Vec<ImageUsage>,
    /// Bytes of all layers, each counted once, and of the layers of images in use.
    layers_total: u64,
    layers_active: u64,
    containers: Vec<ContainerUsage>,
    volumes: Vec<VolumeUsage>,
}

fn measure(store: &Store) -> Result<Usage> {
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

pub fn df(store: &Store, args: DfArgs) -> Result<i32> {
    let format = Format::parse(args.format.as_deref())?;
    // What killed commands left is no one's: gone before the space is counted.
    crate::runtime::userns::sweep_abandoned(store, &crate::runtime::userns::IdMappings::detect())?;
    let usage = measure(store)?;
    let mut out = std::io::stdout().lock();
    if args.verbose {
        print_verbose(&mut out, &usage)?;
    } else {
        let columns = [
            ("TYPE", "{{.Type}}"),
            ("TOTAL", "{{.TotalCount}}"),
            ("ACTIVE", "{{.Active}}"),
            ("SIZE", "{{.Size}}"),
            ("RECLAIMABLE", "{{.Reclaimable}}"),
        ];
        let rows = summary_rows(&usage);
        let kind = "*formatter.diskUsageImagesContext";
        format::print_list(&mut out, &format, kind, &columns, &rows)?;
    }
    Ok(0)
}

fn summary_rows(u: &Usage) -> Vec<Value> {
    let active_images = u.images.iter().filter(|i| i.containers > 0).count();
    let running: Vec<&ContainerUsage> = u
        .containers
        .iter()
        .filter(|c| c.summary.state.is_running())
        .collect();
    let container_total: u64 = u.containers.iter().map(|c| c.size).sum();
    let container_active: u64 = running.iter().map(|c| c.size).sum();
    let volume_total: u64 = u.volumes.iter().map(|v| v.size).sum();
    let volume_unused: u64 = u
        .volumes
        .iter()
        .filter(|v| v.links == 0)
        .map(|v| v.size)
        .sum();
    let active_volumes = u.volumes.iter().filter(|v| v.links > 0).count();
    vec![
        row(
            "Images",
            u.images.len(),
            active_images,
            u.layers_total,
            u.layers_total - u.layers_active,
        ),
        row(
            "Containers",
            u.containers.len(),
            running.len(),
            container_total,
            container_total - container_active,
        ),
        row(
            "Local Volumes",
            u.volumes.len(),
            active_volumes,
            volume_total,
            volume_unused,
        ),
    ]
}

fn row(kind: &str, total: usize, active: usize, size: u64, reclaimable: u64) -> Value {
    json!({
        "Type": kind,
        "TotalCount": total.to_string(),
        "Active": active.to_string(),
        "Size": human_size(size),
        "Reclaimable": reclaimable_text(reclaimable, size),
    })
}

/// `11.6MB (70%)`, docker's reclaimable column (the share rounded down).
fn reclaimable_text(reclaimable: u64, total: u64) -> String {
    match (reclaimable * 100).checked_div(total) {
        Some(percent) => format!("{} ({percent}%)", human_size(reclaimable)),
        None => human_size(reclaimable),
    }
}

fn print_verbose(out: &mut impl Write, u: &Usage) -> Result<()> {
    writeln!(out, "Images space usage:\n")?;
    let image_rows: Vec<Value> = u.images.iter().flat_map(image_rows).collect();
    let columns = [
        ("REPOSITORY", "{{.Repository}}"),
        ("TAG", "{{.Tag}}"),
        ("IMAGE ID", "{{.ID}}"),
        ("CREATED", "{{.CreatedSince}}"),
        ("SIZE", "{{.Size}}"),
        ("SHARED SIZE", "{{.SharedSize}}"),
        ("UNIQUE SIZE", "{{.UniqueSize}}"),
        ("CONTAINERS", "{{.Containers}}"),
    ];
    let kind = "*formatter.ImageContext";
    format::print_list(out, &Format::Default, kind, &columns, &image_rows)?;
    writeln!(out, "\nContainers space usage:\n")?;
    let container_rows: Vec<Value> = u.containers.iter().map(container_row).collect();
    let columns = [
        ("CONTAINER ID", "{{.ID}}"),
        ("IMAGE", "{{.Image}}"),
        ("COMMAND", "{{.Command}}"),
        ("LOCAL VOLUMES", "{{.LocalVolumes}}"),
        ("SIZE", "{{.Size}}"),
        ("CREATED", "{{.RunningFor}}"),
        ("STATUS", "{{.Status}}"),
        ("NAMES", "{{.Names}}"),
    ];
    let kind = "*formatter.ContainerContext";
    format::print_list(out, &Format::Default, kind, &columns, &container_rows)?;
    writeln!(out, "\nLocal Volumes space usage:\n")?;
    let volume_rows: Vec<Value> = u
        .volumes
        .iter()
        .map(|v| json!({"Name": v.volume.name, "Links": v.links.to_string(), "Size": human_size(v.size)}))
        .collect();
    let columns = [
        ("VOLUME NAME", "{{.Name}}"),
        ("LINKS", "{{.Links}}"),
        ("SIZE", "{{.Size}}"),
    ];
    let kind = "*formatter.volumeContext";
    format::print_list(out, &Format::Default, kind, &columns, &volume_rows)?;
    Ok(())
}

/// One row per name of the image (`<none>` when it has none), as docker lists them.
fn image_rows(i: &ImageUsage) -> Vec<Value> {
    let names: Vec<(String, String)> = if i.image.tags.is_empty() {
        vec![("<none>".into(), "<none>".into())]
    } else {
        i.image
            .tags
            .iter()
            .map(|t| {
                (
                    t.familiar_repository(),
                    t.tag.clone().unwrap_or_else(|| "<none>".into()),
                )
            })
            .collect()
    };
    let id = crate::store::hex_of(i.image.id());
    names
        .into_iter()
        .map(|(repository, tag)| {
            json!({
                "Repository": repository,
                "Tag": tag,
                "ID": &id[..12.min(id.len())],
                "CreatedSince": clock::ago(i.image.created()),
                "Size": human_size(i.size),
                "SharedSize": human_size(i.shared),
                "UniqueSize": human_size(i.size - i.shared),
                "Containers": i.containers.to_string(),
            })
        })
        .collect()
}

fn container_row(c: &ContainerUsage) -> Value {
    let s = &c.summary;
    let volumes = s
        .record
        .mounts
        .iter()
        .filter(|m| m.kind == Kind::Volume)
        .count();
    json!({
        "ID": &s.id()[..12],
        "Image": s.record.image,
        "Command": super::container::quoted_command(s, false),
        "LocalVolumes": volumes.to_string(),
        "Size": human_size(c.size),
        "RunningFor": clock::ago(s.created()),
        "Status": s.status_text(),
        "Names": s.record.name,
    })
}

#[cfg(test)]
mod tests {
    use super::reclaimable_text;

    #[test]
    fn reclaimable_as_docker() {
        assert_eq!(reclaimable_text(0, 0), "0B");
        assert_eq!(reclaimable_text(11_630_000, 16_430_000), "11.6MB (70%)");
        assert_eq!(reclaimable_text(212, 212), "212B (100%)");
    }
}

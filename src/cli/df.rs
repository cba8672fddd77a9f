//! `skiff system df [-v]`: the space images, containers and volumes take, and how much of it
//! removing unused ones would give back, in docker's table shapes.

use super::format::{self, Format};
use super::image::human_size;
use crate::clock;
use crate::container::mounts::Kind;
use crate::disk_usage::{self, ContainerUsage, ImageUsage, Usage};
use crate::store::Store;
use anyhow::Result;
use clap::Args;
use serde_json::{json, Value};
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

pub fn df(store: &Store, args: DfArgs) -> Result<i32> {
    let format = Format::parse(args.format.as_deref())?;
    // What killed commands left is no one's: gone before the space is counted.
    crate::runtime::userns::sweep_abandoned(store, &crate::runtime::userns::IdMappings::detect())?;
    let usage = disk_usage::measure(store)?;
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
        "Size": summary_size(size),
        "Reclaimable": reclaimable_text(reclaimable, size),
    })
}

/// Sizes as docker's df prints them in its summary and volume rows: four significant digits
/// (its image and container rows have three, as `images` and `ps` do).
fn summary_size(bytes: u64) -> String {
    crate::size::human(bytes, 4)
}

/// `11.63MB (70%)`, docker's reclaimable column (the share rounded down).
fn reclaimable_text(reclaimable: u64, total: u64) -> String {
    match (reclaimable * 100).checked_div(total) {
        Some(percent) => format!("{} ({percent}%)", summary_size(reclaimable)),
        None => summary_size(reclaimable),
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
        .map(|v| json!({"Name": v.volume.name, "Links": v.links.to_string(), "Size": summary_size(v.size)}))
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
        assert_eq!(reclaimable_text(11_630_000, 16_430_000), "11.63MB (70%)");
        assert_eq!(reclaimable_text(1_982_256, 1_982_256), "1.982MB (100%)");
        assert_eq!(reclaimable_text(212, 212), "212B (100%)");
    }
}

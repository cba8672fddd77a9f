//! Image commands: images, load, import, tag, rmi, inspect, and `image ...` forms of them.

use super::format::{self, Format};
use crate::clock;
use crate::image::reference::Reference;
use crate::image::store::{self as images, short_id, Image};
use crate::image::{archive, import as importer};
use crate::runtime::userns::{self, IdMappings};
use crate::store::{NotFound, Store};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::io::Write;

#[derive(Subcommand)]
pub enum ImageCommand {
    /// List images
    #[command(visible_alias = "list")]
    Ls(ImagesArgs),
    /// Remove images
    #[command(visible_alias = "remove")]
    Rm(RmiArgs),
    /// Show low-level information about images
    Inspect(InspectArgs),
    /// Give an image another name
    Tag(TagArgs),
    /// Load images from a tar archive
    Load(LoadArgs),
    /// Create an image from a root filesystem tarball
    Import(ImportArgs),
    /// Download an image from a registry
    Pull(super::registry::PullArgs),
    /// Upload an image to a registry
    Push(super::registry::PushArgs),
    /// Remove unused images
    Prune(super::prune::ImagePruneArgs),
    /// Show the history of an image
    History(super::authoring::HistoryArgs),
    /// Save images to a tar archive (standard output by default)
    Save(super::authoring::SaveArgs),
    /// Build an image from a Dockerfile
    Build(Box<super::build::BuildArgs>),
}

pub fn dispatch(store: &Store, command: ImageCommand) -> Result<i32> {
    match command {
        ImageCommand::Ls(args) => images(store, args),
        ImageCommand::Rm(args) => rmi(store, args),
        ImageCommand::Inspect(args) => inspect(store, args.only("image")),
        ImageCommand::Tag(args) => tag(store, args),
        ImageCommand::Load(args) => load(store, args),
        ImageCommand::Import(args) => import(store, args),
        ImageCommand::Pull(args) => super::registry::pull(store, args),
        ImageCommand::Push(args) => super::registry::push(store, args),
        ImageCommand::Prune(args) => super::prune::image_prune(store, args),
        ImageCommand::History(args) => super::authoring::history(store, args),
        ImageCommand::Save(args) => super::authoring::save(store, args),
        ImageCommand::Build(args) => super::build::build(store, args),
    }
}

#[derive(Args)]
pub struct ImagesArgs {
    /// Only show images of this repository (and tag)
    repository: Option<String>,
    /// Show all images (by default intermediate images are hidden)
    #[arg(short, long)]
    all: bool,
    /// Only show image IDs
    #[arg(short, long)]
    quiet: bool,
    /// Don't truncate output
    #[arg(long)]
    no_trunc: bool,
    /// Show digests
    #[arg(long)]
    digests: bool,
    /// Filter output: dangling=true|false, label=KEY[=VALUE], reference=PATTERN, since=IMAGE, before=IMAGE
    #[arg(short, long = "filter", value_name = "FILTER")]
    filters: Vec<String>,
    /// Format output with a Go template, 'table', 'table TEMPLATE' or 'json'
    #[arg(long)]
    format: Option<String>,
}

/// One row of `images`: an image under one of its names (or `<none>`).
struct Row<'a> {
    image: &'a Image,
    reference: Option<&'a Reference>,
}

pub fn images(store: &Store, args: ImagesArgs) -> Result<i32> {
    let format = Format::parse(args.format.as_deref())?;
    let mut all = images::list(store)?;
    all.sort_by(|a, b| {
        b.created()
            .cmp(&a.created())
            .then_with(|| a.id().cmp(b.id()))
    });
    let filters = crate::image::filter::ImageFilters::parse(store, &args.filters)?;
    let wanted_repo = args
        .repository
        .as_deref()
        .map(Reference::parse)
        .transpose()?;
    let mut rows = Vec::new();
    for image in all.iter().filter(|i| filters.keeps_image(i)) {
        if image.tags.is_empty() {
            if wanted_repo.is_none() && !filters.names_references() {
                rows.push(Row {
                    image,
                    reference: None,
                });
            }
            continue;
        }
        for reference in &image.tags {
            let repo_matches = wanted_repo.as_ref().is_none_or(|w| {
                w.repository() == reference.repository()
                    && w.tag
                        .as_ref()
                        .is_none_or(|t| Some(t) == reference.tag.as_ref())
            });
            if repo_matches && filters.keeps_reference(reference) {
                rows.push(Row {
                    image,
                    reference: Some(reference),
                });
            }
        }
    }
    let mut out = std::io::stdout().lock();
    if args.quiet {
        let mut seen = HashSet::new();
        for row in &rows {
            let id = display_id(row.image.id(), args.no_trunc);
            if seen.insert(id.clone()) {
                writeln!(out, "{id}")?;
            }
        }
        return Ok(0);
    }
    let items: Vec<Value> = rows.iter().map(|r| row_json(r, args.no_trunc)).collect();
    let mut columns = vec![("REPOSITORY", "{{.Repository}}"), ("TAG", "{{.Tag}}")];
    if args.digests {
        columns.push(("DIGEST", "{{.Digest}}"));
    }
    columns.extend([
        ("IMAGE ID", "{{.ID}}"),
        ("CREATED", "{{.CreatedSince}}"),
        ("SIZE", "{{.Size}}"),
    ]);
    format::print_list(
        &mut out,
        &format,
        "*formatter.ImageContext",
        &columns,
        &items,
    )?;
    Ok(0)
}

fn display_id(id: &str, no_trunc: bool) -> String {
    if no_trunc {
        id.to_string()
    } else {
        short_id(id).to_string()
    }
}

fn row_json(row: &Row, no_trunc: bool) -> Value {
    let image = row.image;
    let (repository, tag) = match row.reference {
        Some(r) => (
            r.familiar_repository(),
            r.tag.clone().unwrap_or_else(|| "<none>".into()),
        ),
        None => ("<none>".into(), "<none>".into()),
    };
    // The digest this row's repository knows the image by (an untagged row: any).
    let digest = image
        .record
        .repo_digests
        .iter()
        .filter_map(|d| d.split_once('@'))
        .find(|(repo, _)| {
            row.reference
                .is_none_or(|r| r.familiar_repository() == *repo)
        })
        .map_or("<none>", |(_, digest)| digest);
    json!({
        "ID": display_id(image.id(), no_trunc),
        "Repository": repository,
        "Tag": tag,
        "Digest": digest,
        "CreatedSince": clock::ago(image.created()),
        "CreatedAt": docker_time(image.created()),
        "Size": human_size(image.record.size),
        "VirtualSize": human_size(image.record.size),
        "SharedSize": "N/A",
        "UniqueSize": "N/A",
        "Containers": "N/A",
    })
}

/// `2026-11-23 10:36:32 +0000 UTC`, Go's default time format as docker prints it.
fn docker_time(t: clock::Instant) -> String {
    let text = clock::format_rfc3339((t.0, 0));
    format!("{} {} +0000 UTC", &text[..10], &text[11..19])
}

/// Docker's sizes: decimal units, three significant digits ("4.26MB", "77.8MB", "123MB").
pub fn human_size(bytes: u64) -> String {
    crate::size::human(bytes, 3)
}

#[derive(Args)]
pub struct LoadArgs {
    /// Read from a tar archive file instead of standard input
    #[arg(short, long)]
    input: Option<String>,
    /// Suppress the progress output (the loaded images are still named)
    #[arg(short, long)]
    quiet: bool,
}

pub fn load(store: &Store, args: LoadArgs) -> Result<i32> {
    let maps = IdMappings::detect();
    let loaded = match &args.input {
        Some(path) => archive::load(
            store,
            &maps,
            std::fs::File::open(path).with_context(|| format!("cannot open {path}"))?,
        ),
        None => {
            if nix::unistd::isatty(std::io::stdin()).unwrap_or(false) {
                bail!("requested load from stdin, but stdin is empty: use -i FILE or redirect an archive into skiff load");
            }
            archive::load(store, &maps, std::io::stdin().lock())
        }
    }?;
    // Like docker, -q only silences progress; the result is always printed.
    let mut out = std::io::stdout().lock();
    for image in loaded {
        if image.tags.is_empty() {
            writeln!(out, "Loaded image ID: {}", image.id)?;
        }
        for tag in image.tags {
            writeln!(out, "Loaded image: {}", tag.with_default_tag().familiar())?;
        }
    }
    Ok(0)
}

#[derive(Args)]
pub struct ImportArgs {
    /// A tarball path, or - for standard input
    file: String,
    /// Name the new image
    reference: Option<String>,
    /// Apply a Dockerfile instruction to the image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)
    #[arg(short, long = "change")]
    changes: Vec<String>,
    /// Set a commit message for the imported image
    #[arg(short, long)]
    message: Option<String>,
}

pub fn import(store: &Store, args: ImportArgs) -> Result<i32> {
    let tag = args
        .reference
        .as_deref()
        .map(Reference::parse)
        .transpose()?;
    let maps = IdMappings::detect();
    let id = importer::import(
        store,
        &maps,
        &args.file,
        &importer::ImportOptions {
            changes: args.changes,
            message: args.message,
            tag,
        },
    )?;
    println!("{id}");
    Ok(0)
}

#[derive(Args)]
pub struct TagArgs {
    source: String,
    target: String,
}

pub fn tag(store: &Store, args: TagArgs) -> Result<i32> {
    images::tag(store, &args.source, &args.target)?;
    Ok(0)
}

#[derive(Args)]
pub struct RmiArgs {
    #[arg(required = true)]
    images: Vec<String>,
    /// Force removal of the image
    #[arg(short, long)]
    force: bool,
}

pub fn rmi(store: &Store, args: RmiArgs) -> Result<i32> {
    let maps = IdMappings::detect();
    let mut status = 0;
    for name in &args.images {
        match remove_image(store, &maps, name, args.force) {
            Ok(lines) => {
                for line in lines {
                    println!("{line}");
                }
            }
            Err(e) => {
                eprintln!("Error: {e:#}");
                status = 1;
            }
        }
    }
    Ok(status)
}

/// Untags or deletes one image as docker's `rmi` does; returns the lines to print.
fn remove_image(store: &Store, maps: &IdMappings, name: &str, force: bool) -> Result<Vec<String>> {
    let image = images::resolve(store, name)?;
    let by_tag = Reference::parse(name)
        .ok()
        .map(|r| r.with_default_tag())
        .filter(|r| image.tags.contains(r));
    let users = crate::container::record::users_of_image(store, image.id())?;
    let mut lines = Vec::new();
    let untag_all = match &by_tag {
        Some(reference) if image.tags.len() > 1 => {
            images::untag(store, reference)?;
            return Ok(vec![format!("Untagged: {}", reference.familiar())]);
        }
        Some(_) => true,
        None if image.tags.len() > 1 && !force => {
            bail!("conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories", short_id(image.id()))
        }
        None => true,
    };
    if let Some(user) = users.first() {
        if !force {
            let what = by_tag
                .as_ref()
                .map(|r| format!("repository reference \"{}\"", r.familiar()))
                .unwrap_or_else(|| short_id(image.id()).to_string());
            bail!("conflict: unable to remove {what} (must be forced) - container {} is using its referenced image {}", &user[..12], short_id(image.id()));
        }
    }
    if untag_all {
        for reference in &image.tags {
            images::untag(store, reference)?;
            lines.push(format!("Untagged: {}", reference.familiar()));
        }
    }
    if users.is_empty() {
        // The build cache keeps its layers until `builder prune`.
        let cached = crate::build::cache::layers_in_use(store);
        let mut doomed = images::delete(store, image.id(), &cached)?;
        lines.push(format!("Deleted: {}", image.id()));
        doomed.extend(store.abandoned(&store.tmp()));
        userns::remove_trees(maps, doomed)?;
    }
    Ok(lines)
}

#[derive(Args)]
pub struct InspectArgs {
    #[arg(required = true)]
    names: Vec<String>,
    /// Format output with a Go template
    #[arg(short, long)]
    format: Option<String>,
    /// Only look for objects of this type (container, image)
    #[arg(long = "type")]
    kind: Option<String>,
    /// Display total file sizes (accepted for compatibility)
    #[arg(short, long)]
    size: bool,
}

impl InspectArgs {
    /// The same request, restricted to one kind of object.
    pub fn only(self, kind: &str) -> InspectArgs {
        InspectArgs {
            kind: Some(kind.into()),
            ..self
        }
    }
}

/// `inspect`: containers first, then images, as docker resolves names.
pub fn inspect(store: &Store, args: InspectArgs) -> Result<i32> {
    let kind = args.kind.as_deref();
    if let Some(k) = kind.filter(|k| !matches!(*k, "image" | "container")) {
        bail!("\"{k}\" is not a valid value for --type");
    }
    let mut items = Vec::new();
    let mut missing = Vec::new();
    for name in &args.names {
        if kind != Some("image") {
            if let Ok(id) = crate::container::record::resolve(store, name) {
                let summary = crate::container::list::Summary::load(store, &id)?;
                items.push(crate::container::list::inspect_json(store, &summary));
                continue;
            }
        }
        if kind != Some("container") {
            match images::resolve(store, name) {
                Ok(image) => {
                    items.push(crate::image::inspect::inspect_json(store, &image));
                    continue;
                }
                Err(e) if e.downcast_ref::<NotFound>().is_none() => return Err(e),
                Err(_) => {}
            }
        }
        missing.push(name.clone());
    }
    format::print_objects(
        &mut std::io::stdout().lock(),
        args.format.as_deref(),
        &items,
    )?;
    if missing.is_empty() {
        return Ok(0);
    }
    let what = kind.unwrap_or("object");
    Err(NotFound(
        missing
            .iter()
            .map(|m| format!("No such {what}: {m}"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .into())
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_as_docker() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(999), "999B");
        assert_eq!(human_size(4_264_960), "4.26MB");
        assert_eq!(human_size(77_812_345), "77.8MB");
        assert_eq!(human_size(123_456_789), "123MB");
        assert_eq!(human_size(1_200_000_000), "1.2GB");
    }
}

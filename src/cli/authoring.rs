//! Commands that make images from containers and move files and images around: commit,
//! diff, history, save, export and cp.

use super::format::{self, Format};
use super::image::human_size;
use crate::clock;
use crate::container::commit::{self, CommitOptions};
use crate::container::files::{self, CopyOptions};
use crate::container::record;
use crate::image::history;
use crate::image::reference::Reference;
use crate::image::save::{self, Format as SaveFormat};
use crate::image::store::{self as images, short_id};
use crate::runtime::userns::IdMappings;
use crate::store::Store;
use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::{json, Value};
use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, FromRawFd};

#[derive(Args)]
pub struct CommitArgs {
    container: String,
    /// Name the new image (name[:tag])
    reference: Option<String>,
    /// Author (e.g. "Tao <t@example.com>")
    #[arg(short, long)]
    author: Option<String>,
    /// Commit message
    #[arg(short, long)]
    message: Option<String>,
    /// Apply a Dockerfile instruction to the image (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)
    #[arg(short, long = "change")]
    changes: Vec<String>,
    /// Pause the container while committing
    #[arg(short, long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pause: bool,
}

pub fn commit(store: &Store, args: CommitArgs) -> Result<i32> {
    let id = record::resolve(store, &args.container)?;
    let tag = args
        .reference
        .as_deref()
        .map(Reference::parse)
        .transpose()?;
    let maps = IdMappings::detect();
    let image = commit::commit(
        store,
        &maps,
        &id,
        &CommitOptions {
            author: args.author,
            message: args.message,
            changes: args.changes,
            tag,
            pause: args.pause,
        },
    )?;
    println!("{image}");
    Ok(0)
}

#[derive(Args)]
pub struct DiffArgs {
    container: String,
}

pub fn diff(store: &Store, args: DiffArgs) -> Result<i32> {
    let id = record::resolve(store, &args.container)?;
    let changes = commit::diff(store, &IdMappings::detect(), &id)?;
    let mut out = std::io::stdout().lock();
    for (kind, path) in changes {
        writeln!(out, "{kind} {path}")?;
    }
    Ok(0)
}

#[derive(Args)]
pub struct HistoryArgs {
    image: String,
    /// Don't truncate output
    #[arg(long)]
    no_trunc: bool,
    /// Only show image IDs
    #[arg(short, long)]
    quiet: bool,
    /// Print sizes and dates in human readable format (the default)
    #[arg(short = 'H', long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    human: bool,
    /// Format output with a Go template, 'table', 'table TEMPLATE' or 'json'
    #[arg(long)]
    format: Option<String>,
}

/// docker shortens CREATED BY to 45 characters.
const CREATED_BY_WIDTH: usize = 45;

pub fn history(store: &Store, args: HistoryArgs) -> Result<i32> {
    let format = Format::parse(args.format.as_deref())?;
    let image = images::resolve(store, &args.image)?;
    let mut rows: Vec<Value> = Vec::new();
    for step in history::steps(store, &image) {
        let id = match &step.image_id {
            Some(id) if args.no_trunc => id.clone(),
            Some(id) => short_id(id).to_string(),
            None => "<missing>".to_string(),
        };
        let created_at = step.created.clone().unwrap_or_default();
        let created = clock::parse_rfc3339(&created_at).unwrap_or((0, 0));
        let created_by = step.created_by;
        let shown = if args.no_trunc || created_by.chars().count() <= CREATED_BY_WIDTH {
            created_by
        } else {
            let cut: String = created_by.chars().take(CREATED_BY_WIDTH - 1).collect();
            format!("{cut}…")
        };
        rows.push(json!({
            "ID": id,
            "CreatedSince": if args.human { clock::ago(created) } else { created_at.clone() },
            "CreatedAt": created_at,
            "CreatedBy": shown,
            "Size": if args.human { human_size(step.size) } else { step.size.to_string() },
            "Comment": step.comment,
        }));
    }
    let mut out = std::io::stdout().lock();
    if args.quiet {
        for row in &rows {
            writeln!(out, "{}", row["ID"].as_str().unwrap_or_default())?;
        }
        return Ok(0);
    }
    format::print_list(
        &mut out,
        &format,
        "*formatter.historyContext",
        &[
            ("IMAGE", "{{.ID}}"),
            ("CREATED", "{{.CreatedSince}}"),
            ("CREATED BY", "{{.CreatedBy}}"),
            ("SIZE", "{{.Size}}"),
            ("COMMENT", "{{.Comment}}"),
        ],
        &rows,
    )?;
    Ok(0)
}

#[derive(Args)]
pub struct SaveArgs {
    #[arg(required = true)]
    images: Vec<String>,
    /// Write to a file instead of standard output
    #[arg(short, long)]
    output: Option<String>,
    /// The archive format
    #[arg(long, value_enum, default_value = "docker-archive")]
    format: SaveFormat,
}

pub fn save(store: &Store, args: SaveArgs) -> Result<i32> {
    let maps = IdMappings::detect();
    let out = output(args.output.as_deref(), "save")?;
    let result = save::save(store, &maps, &args.images, args.format, &out);
    if result.is_err() {
        if let Some(path) = &args.output {
            let _ = std::fs::remove_file(path);
        }
    }
    result?;
    Ok(0)
}

/// The file named by `-o`, or standard output when it is not a terminal.
fn output(path: Option<&str>, command: &str) -> Result<File> {
    match path {
        Some(path) => File::create(path).with_context(|| format!("cannot create {path}")),
        None => {
            if nix::unistd::isatty(std::io::stdout().as_fd()).unwrap_or(false) {
                bail!("cowardly refusing to write an archive to a terminal: use skiff {command} -o FILE or redirect the output");
            }
            // SAFETY: a duplicate of standard output, ours to own.
            let fd = nix::unistd::dup(std::io::stdout().as_fd())?;
            Ok(unsafe { File::from_raw_fd(std::os::fd::IntoRawFd::into_raw_fd(fd)) })
        }
    }
}

#[derive(Args)]
pub struct ExportArgs {
    container: String,
    /// Write to a file instead of standard output
    #[arg(short, long)]
    output: Option<String>,
}

pub fn export(store: &Store, args: ExportArgs) -> Result<i32> {
    let id = record::resolve(store, &args.container)?;
    let out = output(args.output.as_deref(), "export")?;
    files::export(store, &IdMappings::detect(), &id, &out)?;
    Ok(0)
}

#[derive(Args)]
pub struct CpArgs {
    /// CONTAINER:SRC_PATH, a host path, or - (a tar on standard input)
    source: String,
    /// CONTAINER:DEST_PATH, a host path, or - (a tar on standard output)
    dest: String,
    /// Archive mode: keep the owners (uid/gid) of the source
    #[arg(short, long)]
    archive: bool,
    /// Follow a symbolic link given as the source
    #[arg(short = 'L', long)]
    follow_link: bool,
    /// Suppress progress output (there is none; accepted for compatibility)
    #[arg(short, long)]
    quiet: bool,
}

/// `__path-stat CONTAINER PATH`: what the API's archive endpoints say of a path.
pub fn path_stat(store: &Store, container: &str, path: &str) -> Result<i32> {
    let id = record::resolve(store, container)?;
    let stat = files::stat(store, &IdMappings::detect(), &id, path)?;
    println!("{stat}");
    Ok(0)
}

pub fn cp(store: &Store, args: CpArgs) -> Result<i32> {
    let maps = IdMappings::detect();
    let opts = CopyOptions {
        archive: args.archive,
        follow: args.follow_link,
    };
    match (container_path(&args.source), container_path(&args.dest)) {
        (Some((container, path)), None) => {
            let id = record::resolve(store, container)?;
            files::copy_out(store, &maps, &id, path, &args.dest, &opts)?;
        }
        (None, Some((container, path))) => {
            let id = record::resolve(store, container)?;
            files::copy_in(store, &maps, &id, &args.source, path, &opts)?;
        }
        (Some(_), Some(_)) => bail!("copying between containers is not supported"),
        (None, None) => bail!("must specify at least one container source (CONTAINER:PATH)"),
    }
    Ok(0)
}

/// `CONTAINER:PATH` split; a path with a `/` before any `:` is a host path, as docker reads it.
fn container_path(arg: &str) -> Option<(&str, &str)> {
    let (container, path) = arg.split_once(':')?;
    if container.is_empty() || container.contains('/') || container.starts_with('.') {
        return None;
    }
    Some((container, if path.is_empty() { "/" } else { path }))
}

#[cfg(test)]
mod tests {
    use super::container_path;

    #[test]
    fn container_paths() {
        assert_eq!(
            container_path("web:/etc/passwd"),
            Some(("web", "/etc/passwd"))
        );
        assert_eq!(container_path("./a:b"), None);
        assert_eq!(container_path("/tmp/x"), None);
        assert_eq!(container_path("web:"), Some(("web", "/")));
    }
}

//! A container's files seen from outside: `export` (the whole tree as a tar) and `cp` (in
//! and out). A running container is entered (its user and mount namespaces, so a copy in
//! lands in its live filesystem); a stopped one is mounted in a helper from its layers and
//! its changes. Paths inside are always resolved with the container's root as `/`, so no
//! symlink of the container can lead out of it.

use super::{record, state};
use crate::build::copy;
use crate::clock;
use crate::image::layer::{self, ExtractOptions};
use crate::image::overlay::Overlay;
use crate::image::tarball::{TarWriter, WriteOptions};
use crate::runtime::userns::{self, IdMappings, MappingMode};
use crate::store::{self, Store};
use anyhow::{anyhow, bail, Context, Result};
use oci_spec::runtime::Spec;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The lower directories of a container's overlay (its image's layers, top first), from its
/// spec: they stay known even when its image was removed.
pub fn image_layers(store: &Store, id: &str) -> Result<Vec<PathBuf>> {
    Ok(lower_entries(store, id)?
        .into_iter()
        .map(|l| store.layers().join(l))
        .collect())
}

/// The `lowerdir=` entries of the container's root overlay, relative to `layers/`, without
/// the init layer.
fn lower_entries(store: &Store, id: &str) -> Result<Vec<String>> {
    let spec: Spec = store::read_json(&record::dir(store, id).join("config.json"))?;
    let mounts = spec.mounts().clone().unwrap_or_default();
    let root = mounts
        .iter()
        .find(|m| m.destination() == Path::new("/"))
        .ok_or_else(|| anyhow!("the container has no root filesystem in its spec"))?;
    let lowers = root
        .options()
        .iter()
        .flatten()
        .find_map(|o| o.strip_prefix("lowerdir="))
        .unwrap_or_default();
    Ok(lowers
        .split(':')
        .filter(|l| !l.is_empty() && !l.starts_with("../"))
        .map(String::from)
        .collect())
}

/// Runs `work` with the container's root directory: the live one of a running container
/// when `write` is set (a copy into it), else its layers and changes mounted in a helper
/// (writable for a stopped container when `write` is set).
fn with_root(
    store: &Store,
    maps: &IdMappings,
    id: &str,
    write: bool,
    work: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    with_root_answering(store, maps, id, write, |root| {
        work(root).map(|_| String::new())
    })
    .map(drop)
}

/// As [`with_root`], for work whose answer (a text) comes back from the helper.
fn with_root_answering(
    store: &Store,
    maps: &IdMappings,
    id: &str,
    write: bool,
    work: impl FnOnce(&Path) -> Result<String>,
) -> Result<String> {
    let current = state::load(store, id)?;
    if write && current.is_running() && current.pid > 0 {
        return userns::run_in_container(maps, current.pid, || work(Path::new("/")));
    }
    let dir = record::dir(store, id);
    let (upper, work_dir) = (dir.join("upper"), dir.join("work"));
    let mut lowers = lower_entries(store, id)?;
    if !write {
        // Its changes as one more read-only layer: nothing is written, even while it runs.
        lowers.insert(0, upper.display().to_string());
    }
    let staging = store.staging_dir()?.canonicalize()?;
    let (merged, empty) = (staging.join("merged"), staging.join("empty"));
    std::fs::create_dir(&merged)?;
    std::fs::create_dir(&empty)?;
    let result = userns::run_in_mount_ns(maps, || {
        Overlay {
            lowers,
            upper: write.then_some((upper.as_path(), work_dir.as_path())),
            empty: &empty,
        }
        .mount(store, &merged)?;
        work(&merged)
    });
    let _ = store::remove_tree(&staging);
    result
}

/// docker's stat of a path in a container, as its archive endpoints send it: the name,
/// size, mode (Go's file mode bits), modification time and, for a symlink, the path in the
/// container it leads to.
pub fn stat(store: &Store, maps: &IdMappings, id: &str, path: &str) -> Result<serde_json::Value> {
    let answer = with_root_answering(store, maps, id, false, |root| {
        let full = resolve_source(root, path, false)?;
        let meta = std::fs::symlink_metadata(&full)?;
        let link_target = match meta.file_type().is_symlink() {
            true => copy::resolve_in_root(root, path.trim_start_matches('/'))
                .map(|to| Path::new("/").join(to.strip_prefix(root).unwrap_or(&to)))
                .map(|to| to.display().to_string())
                .unwrap_or_default(),
            false => String::new(),
        };
        let modified = meta.modified().map(clock::from_system).unwrap_or((0, 0));
        let name = full.file_name().map(|n| n.to_string_lossy().into_owned());
        let stat = serde_json::json!({
            "name": name.unwrap_or_else(|| "/".into()),
            "size": meta.len(),
            "mode": go_file_mode(&meta),
            "mtime": clock::format_rfc3339(modified),
            "linkTarget": link_target,
        });
        Ok(stat.to_string())
    })?;
    Ok(serde_json::from_str(&answer)?)
}

/// A file's type and permission bits as Go's `os.FileMode`, which docker's clients decode.
fn go_file_mode(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::{FileTypeExt, PermissionsExt};
    let kind = meta.file_type();
    let mode = meta.permissions().mode();
    let mut bits = mode & 0o777;
    for (set, bit) in [
        (kind.is_dir(), 1 << 31),
        (kind.is_symlink(), 1 << 27),
        (kind.is_block_device(), 1 << 26),
        (kind.is_char_device(), (1 << 26) | (1 << 21)),
        (kind.is_fifo(), 1 << 25),
        (kind.is_socket(), 1 << 24),
        (mode & 0o4000 != 0, 1 << 23),
        (mode & 0o2000 != 0, 1 << 22),
        (mode & 0o1000 != 0, 1 << 20),
    ] {
        if set {
            bits |= bit;
        }
    }
    bits
}

/// `export`: the container's whole tree as a tar, to `out`.
pub fn export(store: &Store, maps: &IdMappings, id: &str, out: &File) -> Result<()> {
    with_root(store, maps, id, false, |root| {
        let mut writer = TarWriter::new(out, WriteOptions::default());
        writer.add(root, "", None)?;
        writer.finish()?.flush()?;
        Ok(())
    })
}

/// Where a `cp` puts what it copies: into an existing directory (keeping the source's
/// name), or as a new name in an existing directory.
#[derive(Clone, Debug, PartialEq)]
enum Target {
    IntoDir(PathBuf),
    /// The parent directory and the new name.
    As(PathBuf, String),
}

/// How a `cp` destination is, before the copy: docker's rules follow from it.
#[derive(Clone, Copy, Debug, PartialEq)]
enum DestState {
    Dir,
    File,
    Missing,
}

fn target(dest: &Path, state: DestState, source_is_dir: bool, dest_text: &str) -> Result<Target> {
    match state {
        DestState::Dir => Ok(Target::IntoDir(dest.to_path_buf())),
        DestState::File if source_is_dir => {
            bail!("cannot copy a directory to a file: {dest_text}")
        }
        DestState::Missing if dest_text.ends_with('/') && !source_is_dir => {
            bail!("no such directory: {dest_text}")
        }
        DestState::File | DestState::Missing => {
            let name = dest
                .file_name()
                .ok_or_else(|| anyhow!("invalid destination {dest_text}"))?
                .to_string_lossy()
                .into_owned();
            Ok(Target::As(
                dest.parent().unwrap_or(Path::new("/")).to_path_buf(),
                name,
            ))
        }
    }
}

/// The archive name of a source under a target: its own name, nothing (its content, for
/// `dir/.`), or the target's new name.
fn entry_name(source: &Path, source_text: &str, target: &Target) -> String {
    match target {
        Target::As(_, name) => name.clone(),
        Target::IntoDir(_) if source_text.ends_with("/.") => String::new(),
        Target::IntoDir(_) => source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

pub struct CopyOptions {
    /// `-a`: keep the owners of the source.
    pub archive: bool,
    /// `-L`: copy what a source symlink points to.
    pub follow: bool,
}

/// `cp CONTAINER:SRC HOST_DEST` (HOST_DEST `-`: a tar on standard output).
pub fn copy_out(
    store: &Store,
    maps: &IdMappings,
    id: &str,
    source: &str,
    dest: &str,
    opts: &CopyOptions,
) -> Result<()> {
    let staging = store.staging_dir()?;
    let archive_path = staging.join("archive.tar");
    let archive = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&archive_path)?;
    let result = copy_out_via(store, maps, id, source, dest, opts, &archive);
    let _ = store::remove_tree(&staging);
    result
}

fn copy_out_via(
    store: &Store,
    maps: &IdMappings,
    id: &str,
    source: &str,
    dest: &str,
    opts: &CopyOptions,
    archive: &File,
) -> Result<()> {
    let to_stdout = dest == "-";
    let dest_path = PathBuf::from(dest);
    let dest_state = if to_stdout {
        DestState::Dir
    } else {
        match std::fs::metadata(&dest_path) {
            Ok(m) if m.is_dir() => DestState::Dir,
            Ok(_) => DestState::File,
            Err(_) => DestState::Missing,
        }
    };
    let follow = opts.follow;
    with_root(store, maps, id, false, |root| {
        let path = resolve_source(root, source, follow)?;
        let is_dir = std::fs::symlink_metadata(&path)?.is_dir();
        let target = target(&dest_path, dest_state, is_dir, dest)?;
        let name = entry_name(&path, source, &target);
        archive_one(archive, &path, &name, opts)
    })?;
    let mut archive = archive;
    archive.seek(SeekFrom::Start(0))?;
    if to_stdout {
        std::io::copy(&mut archive, &mut std::io::stdout().lock())?;
        return Ok(());
    }
    // The helper ran in a child process: where it put things is known again here.
    let is_dir = tar_top_is_dir(archive)?;
    archive.seek(SeekFrom::Start(0))?;
    let target = target(&dest_path, dest_state, is_dir, dest)?;
    let dir = match &target {
        Target::IntoDir(dir) | Target::As(dir, _) => dir.clone(),
    };
    if !dir.is_dir() {
        bail!("no such directory: {}", dir.display());
    }
    let open_dir = || -> Result<std::os::fd::OwnedFd> {
        Ok(File::open(&dir)
            .with_context(|| format!("cannot open {}", dir.display()))?
            .into())
    };
    layer::check_no_type_change(archive, open_dir()?, &dir)?;
    archive.seek(SeekFrom::Start(0))?;
    layer::extract_into(
        archive,
        open_dir()?,
        &ExtractOptions {
            ignore_chown_errors: !opts.archive || maps.mode != MappingMode::Root,
            no_whiteouts: true,
            ..Default::default()
        },
    )?;
    Ok(())
}

/// Whether the first entry of a tar is a directory.
fn tar_top_is_dir(archive: &File) -> Result<bool> {
    let mut tar = tar::Archive::new(archive);
    let mut entries = tar.entries()?;
    Ok(match entries.next() {
        Some(entry) => entry?.header().entry_type().is_dir(),
        None => false,
    })
}

/// `cp HOST_SRC CONTAINER:DEST` (HOST_SRC `-`: a tar on standard input, unpacked into the
/// directory DEST). The source is archived here, where the host's owners are known, under
/// its own name; inside the container the names are rebased onto the destination's.
pub fn copy_in(
    store: &Store,
    maps: &IdMappings,
    id: &str,
    source: &str,
    dest: &str,
    opts: &CopyOptions,
) -> Result<()> {
    let staging = store.staging_dir()?;
    let result = (|| {
        let mut archive = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(staging.join("archive.tar"))?;
        let from_stdin = source == "-";
        let (source_is_dir, name) = if from_stdin {
            // docker takes compressed tars on standard input too.
            let stdin = std::io::BufReader::new(std::io::stdin().lock());
            std::io::copy(&mut layer::decompress(stdin)?, &mut archive)?;
            (true, String::new())
        } else {
            archive_host_source(source, opts, &archive)?
        };
        let dest_text = dest.to_string();
        let source_text = source.to_string();
        let ignore_chown_errors = maps.mode == MappingMode::Single;
        with_root(store, maps, id, true, |root| {
            let dest_path = Path::new(&dest_text);
            // Through descriptors: a running container's /proc does not know this process.
            let state = match copy::open_in_root(root, dest_text.trim_start_matches('/'))
                .and_then(|fd| File::from(fd).metadata())
            {
                Ok(m) if m.is_dir() => DestState::Dir,
                Ok(_) => DestState::File,
                Err(_) => DestState::Missing,
            };
            if from_stdin {
                if state != DestState::Dir {
                    bail!("destination {dest_text} must be a directory");
                }
                return unpack_in_root(root, dest_path, &archive, None, ignore_chown_errors);
            }
            let target = target(dest_path, state, source_is_dir, &dest_text)?;
            let wanted = entry_name(Path::new(&source_text), &source_text, &target);
            let (dir, rename) = match &target {
                Target::IntoDir(dir) | Target::As(dir, _) => {
                    (dir, (wanted != name).then(|| (name.clone(), wanted)))
                }
            };
            unpack_in_root(root, dir, &archive, rename, ignore_chown_errors)
        })
    })();
    let _ = store::remove_tree(&staging);
    result
}

/// Writes the host path `source` to `archive` under its own name (none for `dir/.`);
/// returns whether it is a directory, and that name.
fn archive_host_source(source: &str, opts: &CopyOptions, archive: &File) -> Result<(bool, String)> {
    let path = if opts.follow {
        std::fs::canonicalize(source)
    } else {
        Ok(PathBuf::from(source))
    }
    .with_context(|| format!("no such file or directory: {source}"))?;
    let meta = std::fs::symlink_metadata(&path)
        .with_context(|| format!("no such file or directory: {source}"))?;
    let name = if source.ends_with("/.") {
        String::new()
    } else {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    archive_one(archive, &path, &name, opts)?;
    Ok((meta.is_dir(), name))
}

/// Writes `path` (a tree, if a directory) into `archive` as `name`; files belong to root
/// unless `cp -a` keeps their owners.
fn archive_one(archive: &File, path: &Path, name: &str, opts: &CopyOptions) -> Result<()> {
    let owner = (!opts.archive).then_some((0, 0));
    let mut writer = TarWriter::new(
        archive,
        WriteOptions {
            owner,
            ..Default::default()
        },
    );
    writer.add(path, name, None)?;
    writer.finish()?;
    Ok(())
}

/// Unpacks the archive (from its start) into `dir` of the container's root, its top name
/// `rename.0` becoming `rename.1` when given.
fn unpack_in_root(
    root: &Path,
    dir: &Path,
    archive: &File,
    rename: Option<(String, String)>,
    ignore_chown_errors: bool,
) -> Result<()> {
    let relative = dir.to_string_lossy();
    let resolved = copy::open_dir_in_root(root, relative.trim_start_matches('/'))
        .with_context(|| format!("no such directory: {}", dir.display()))?;
    let renamed = |archive: &File| -> Result<Box<dyn Read>> {
        let mut archive = archive.try_clone()?;
        archive.seek(SeekFrom::Start(0))?;
        Ok(match rename.clone() {
            Some((from, to)) => Box::new(crate::image::ingest::tar_in_thread(move |out| {
                rebase(archive, &from, &to, out)
            })?),
            None => Box::new(archive),
        })
    };
    layer::check_no_type_change(renamed(archive)?, resolved.try_clone()?, dir)?;
    layer::extract_into(
        renamed(archive)?,
        resolved,
        &ExtractOptions {
            ignore_chown_errors,
            no_whiteouts: true,
            ..Default::default()
        },
    )?;
    Ok(())
}

/// Copies a tar, names under `from` put under `to` (hard link targets too).
fn rebase(input: File, from: &str, to: &str, out: impl Write) -> Result<()> {
    let rename = |path: &Path| -> PathBuf {
        match path.strip_prefix(from) {
            Ok(rest) if from.is_empty() || rest.as_os_str().is_empty() => {
                if from.is_empty() {
                    path.to_path_buf()
                } else {
                    PathBuf::from(to)
                }
            }
            Ok(rest) => Path::new(to).join(rest),
            _ => path.to_path_buf(),
        }
    };
    let mut tar = tar::Archive::new(input);
    let mut builder = tar::Builder::new(out);
    for entry in tar.entries()? {
        let mut entry = entry?;
        let path = rename(&entry.path()?);
        let mut header = entry.header().clone();
        if let Some(extensions) = entry.pax_extensions()? {
            let records: Vec<(String, Vec<u8>)> = extensions
                .flatten()
                .filter(|e| e.key_bytes().starts_with(b"SCHILY.xattr."))
                .map(|e| {
                    (
                        e.key().unwrap_or_default().to_string(),
                        e.value_bytes().to_vec(),
                    )
                })
                .collect();
            if !records.is_empty() {
                builder.append_pax_extensions(records.iter().map(|(k, v)| (k.as_str(), &v[..])))?;
            }
        }
        match header.entry_type() {
            tar::EntryType::Link | tar::EntryType::Symlink => {
                let link = entry.link_name()?.unwrap_or_default().into_owned();
                let link = if header.entry_type() == tar::EntryType::Link {
                    rename(&link)
                } else {
                    link
                };
                builder.append_link(&mut header, &path, &link)?;
            }
            _ => {
                let mut path_text = path.display().to_string();
                if header.entry_type().is_dir() && !path_text.ends_with('/') {
                    path_text.push('/');
                }
                builder.append_data(&mut header, path_text, &mut entry)?;
            }
        }
    }
    builder.finish()?;
    Ok(())
}

/// A `cp` source inside the container: its parent resolved inside the root, and the last
/// component itself unless `-L` (a symlink is copied as a symlink).
fn resolve_source(root: &Path, source: &str, follow: bool) -> Result<PathBuf> {
    let trimmed = source.trim_end_matches("/.").trim_start_matches('/');
    let missing = || anyhow!("Could not find the file {source} in container");
    if follow || trimmed.is_empty() || source.ends_with("/.") {
        return crate::build::copy::resolve_in_root(root, trimmed).map_err(|_| missing());
    }
    let path = Path::new(trimmed);
    let parent = path
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = path.file_name().ok_or_else(missing)?;
    let parent = crate::build::copy::resolve_in_root(root, &parent).map_err(|_| missing())?;
    let full = parent.join(name);
    std::fs::symlink_metadata(&full).map_err(|_| missing())?;
    Ok(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_cp_rules() {
        let dest = Path::new("/tmp/out");
        assert_eq!(
            target(dest, DestState::Dir, false, "/tmp/out").unwrap(),
            Target::IntoDir(dest.into())
        );
        assert_eq!(
            target(dest, DestState::Missing, true, "/tmp/out").unwrap(),
            Target::As("/tmp".into(), "out".into())
        );
        assert!(target(dest, DestState::File, true, "/tmp/out").is_err());
        assert!(target(dest, DestState::Missing, false, "/tmp/out/").is_err());
        let into = Target::IntoDir(dest.into());
        assert_eq!(entry_name(Path::new("/a/b"), "/a/b", &into), "b");
        assert_eq!(entry_name(Path::new("/a/b"), "/a/b/.", &into), "");
    }
}

//! Writing directory trees as tar streams, deterministically: entries in sorted order, only
//! the header fields that describe the file (type, mode, owner, size, mtime in seconds, link
//! target, kept xattrs), no user or group names, no access or change times. The same tree
//! gives the same bytes, hence the same digest: what makes a layer's diff id reproducible,
//! and what a build's cache compares for COPY.
//!
//! Used for layers made from a container's upper directory (where overlay whiteouts, 0/0
//! character devices and `user.overlay.opaque` directories, become the OCI `.wh.NAME` and
//! `.wh..wh..opq` entries), for the files of a build's COPY, and for `cp` and `export`.
//!
//! The walk never follows a symbolic link: links are archived as links.

use crate::runtime::userns::IdRange;
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::{self, Metadata};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

const WHITEOUT_PREFIX: &str = ".wh.";
const OPAQUE_MARKER: &str = ".wh..wh..opq";
const OPAQUE_XATTR: &str = "user.overlay.opaque";

/// How a tree is turned into entries.
#[derive(Clone, Debug, Default)]
pub struct WriteOptions {
    /// The tree is an overlay upper directory or a layer: write whiteouts and opaque
    /// directories in the OCI form.
    pub layer: bool,
    /// Every entry gets this owner (uid, gid): COPY `--chown`, `cp` without `-a`.
    pub owner: Option<(u32, u32)>,
    /// Every file and directory gets these permission bits: COPY `--chmod`.
    pub mode: Option<u32>,
    /// Every entry gets this modification time: for digests that follow content only.
    pub fixed_mtime: Option<u64>,
    /// Owners as the host knows them, for a tree read inside a user namespace: the
    /// namespace's (uid, gid) ranges.
    pub host_ids: Option<(Vec<IdRange>, Vec<IdRange>)>,
}

/// The host id of `id` as seen in a user namespace with `ranges` (unmapped: as is).
fn to_host(ranges: &[IdRange], id: u32) -> u32 {
    ranges
        .iter()
        .find(|r| id >= r.container && id - r.container < r.size)
        .map_or(id, |r| r.host + (id - r.container))
}

/// A tar stream being written.
pub struct TarWriter<W: Write> {
    builder: tar::Builder<W>,
    opts: WriteOptions,
    /// Files with more than one link, by (device, inode): the name they were first written
    /// under, which later names link to.
    links: HashMap<(u64, u64), String>,
}

/// Decides per path whether a file is left out (`.dockerignore`).
pub type Filter<'a> = &'a dyn Fn(&Path) -> bool;

impl<W: Write> TarWriter<W> {
    pub fn new(out: W, opts: WriteOptions) -> TarWriter<W> {
        let mut builder = tar::Builder::new(out);
        builder.mode(tar::HeaderMode::Complete);
        builder.follow_symlinks(false);
        TarWriter {
            builder,
            opts,
            links: HashMap::new(),
        }
    }

    /// Writes `path` under the name `name`, a directory with everything below it. An empty
    /// name writes only a directory's content, at the top of the archive. `skip` leaves out
    /// the paths (below `path`) it returns true for.
    pub fn add(&mut self, path: &Path, name: &str, skip: Option<Filter>) -> Result<()> {
        let meta = fs::symlink_metadata(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if name.is_empty() && meta.is_dir() {
            return self.add_children(path, "", skip);
        }
        self.add_entry(path, name, &meta, skip)
    }

    /// Writes the end of the archive and returns the output.
    pub fn finish(self) -> Result<W> {
        Ok(self.builder.into_inner()?)
    }

    fn add_children(&mut self, dir: &Path, prefix: &str, skip: Option<Filter>) -> Result<()> {
        let mut names: Vec<std::ffi::OsString> = fs::read_dir(dir)
            .with_context(|| format!("cannot read the directory {}", dir.display()))?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()
            .with_context(|| format!("cannot read the directory {}", dir.display()))?;
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for file_name in names {
            let path = dir.join(&file_name);
            if skip.is_some_and(|skip| skip(&path)) {
                continue;
            }
            let name = format!("{prefix}{}", file_name.to_string_lossy());
            let meta = fs::symlink_metadata(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            self.add_entry(&path, &name, &meta, skip)?;
        }
        Ok(())
    }

    fn add_entry(
        &mut self,
        path: &Path,
        name: &str,
        meta: &Metadata,
        skip: Option<Filter>,
    ) -> Result<()> {
        let kind = meta.file_type();
        if kind.is_socket() {
            // A tar cannot hold one; docker leaves them out too.
            return Ok(());
        }
        if self.opts.layer && kind.is_char_device() && meta.rdev() == 0 {
            return self.whiteout(name, meta);
        }
        let mut header = self.header(meta);
        let xattrs = kept_xattrs(path, kind.is_symlink())?;
        let opaque = self.opts.layer && kind.is_dir() && has_opaque_marker(path);
        if !xattrs.is_empty() {
            let records: Vec<(String, &[u8])> = xattrs
                .iter()
                .map(|(k, v)| (format!("SCHILY.xattr.{k}"), &v[..]))
                .collect();
            self.builder
                .append_pax_extensions(records.iter().map(|(k, v)| (k.as_str(), *v)))?;
        }
        if kind.is_dir() {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_size(0);
            let dir_name = format!("{}/", name.trim_end_matches('/'));
            self.builder
                .append_data(&mut header, &dir_name, io::empty())?;
            if opaque {
                let mut marker = self.header(meta);
                marker.set_entry_type(tar::EntryType::Regular);
                marker.set_size(0);
                self.builder.append_data(
                    &mut marker,
                    format!("{dir_name}{OPAQUE_MARKER}"),
                    io::empty(),
                )?;
            }
            return self.add_children(path, &dir_name, skip);
        }
        if kind.is_symlink() {
            let target = fs::read_link(path)?;
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            self.builder
                .append_link(&mut header, name, &target)
                .with_context(|| format!("cannot archive {}", path.display()))?;
            return Ok(());
        }
        if kind.is_file() && meta.nlink() > 1 {
            if let Some(first) = self.links.get(&(meta.dev(), meta.ino())) {
                header.set_entry_type(tar::EntryType::Link);
                header.set_size(0);
                let first = first.clone();
                self.builder.append_link(&mut header, name, first)?;
                return Ok(());
            }
            self.links
                .insert((meta.dev(), meta.ino()), name.to_string());
        }
        if kind.is_file() {
            let file = fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            header.set_entry_type(tar::EntryType::Regular);
            header.set_size(meta.len());
            // A file that changes while it is archived must not tear the stream.
            self.builder
                .append_data(&mut header, name, Padded::new(file, meta.len()))
                .with_context(|| format!("cannot archive {}", path.display()))?;
            return Ok(());
        }
        let kind = if kind.is_fifo() {
            tar::EntryType::Fifo
        } else if kind.is_char_device() {
            tar::EntryType::Char
        } else {
            tar::EntryType::Block
        };
        header.set_entry_type(kind);
        header.set_size(0);
        if kind != tar::EntryType::Fifo {
            let rdev = meta.rdev();
            header.set_device_major(libc::major(rdev))?;
            header.set_device_minor(libc::minor(rdev))?;
        }
        self.builder.append_data(&mut header, name, io::empty())?;
        Ok(())
    }

    /// The OCI form of an overlay whiteout: an empty `.wh.NAME` beside where NAME was.
    fn whiteout(&mut self, name: &str, meta: &Metadata) -> Result<()> {
        let (parent, base) = match name.rsplit_once('/') {
            Some((parent, base)) => (format!("{parent}/"), base),
            None => (String::new(), name),
        };
        let mut header = self.header(meta);
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(0);
        header.set_mode(0o600);
        self.builder.append_data(
            &mut header,
            format!("{parent}{WHITEOUT_PREFIX}{base}"),
            io::empty(),
        )?;
        Ok(())
    }

    fn header(&self, meta: &Metadata) -> tar::Header {
        let mut header = tar::Header::new_gnu();
        let (mut uid, mut gid) = self.opts.owner.unwrap_or((meta.uid(), meta.gid()));
        if let (Some((uids, gids)), None) = (&self.opts.host_ids, self.opts.owner) {
            uid = to_host(uids, uid);
            gid = to_host(gids, gid);
        }
        header.set_uid(uid.into());
        header.set_gid(gid.into());
        let kind = meta.file_type();
        let mode = match self.opts.mode {
            Some(mode) if kind.is_file() || kind.is_dir() => mode,
            _ => meta.mode() & 0o7777,
        };
        header.set_mode(mode);
        header.set_mtime(
            self.opts
                .fixed_mtime
                .unwrap_or_else(|| meta.mtime().max(0) as u64),
        );
        header
    }
}

/// Content that is exactly `len` bytes long: a file that shrank while it was read is padded
/// with zeros (the archive must match its header), one that grew is cut.
struct Padded<R> {
    inner: R,
    left: u64,
}

impl<R: io::Read> Padded<R> {
    fn new(inner: R, len: u64) -> Self {
        Padded { inner, left: len }
    }
}

impl<R: io::Read> io::Read for Padded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = buf.len().min(self.left as usize);
        let mut n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            buf[..want].fill(0);
            n = want;
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// The xattrs worth archiving, sorted by name: user ones and file capabilities. An overlay's
/// own (`user.overlay.*`) are never kept: in a layer the opaque marker is an entry of its own.
fn kept_xattrs(path: &Path, is_symlink: bool) -> Result<Vec<(String, Vec<u8>)>> {
    if is_symlink {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let target = crate::xattr::Target::Path(path);
    for name in crate::xattr::list(target)? {
        let keep = (name.starts_with("user.") && !name.starts_with("user.overlay."))
            || name == "security.capability";
        if keep {
            if let Some(value) = crate::xattr::get(target, &name)? {
                out.push((name, value));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Whether an overlay marked the directory opaque (its lower layers' content hidden).
pub fn has_opaque_marker(path: &Path) -> bool {
    crate::xattr::get(crate::xattr::Target::Path(path), OPAQUE_XATTR)
        .ok()
        .flatten()
        .is_some_and(|v| v == b"y")
}

/// Whether a file in an overlay upper directory or layer is a whiteout.
pub fn is_whiteout(meta: &Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

/// A sink that counts and hashes what passes: the digest of a stream without keeping it.
#[derive(Default)]
pub struct Digester {
    hasher: Sha256,
    pub len: u64,
}

impl Digester {
    pub fn digest(self) -> String {
        format!("sha256:{:x}", self.hasher.finalize())
    }
}

impl Write for Digester {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hasher.update(buf);
        self.len += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("skiff-tarball-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn names(tar: &[u8]) -> Vec<String> {
        let mut archive = tar::Archive::new(tar);
        archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect()
    }

    #[test]
    fn sorted_and_reproducible() {
        let dir = temp_dir("sorted");
        fs::create_dir(dir.join("b")).unwrap();
        fs::write(dir.join("b/x"), "x").unwrap();
        fs::write(dir.join("a"), "a").unwrap();
        std::os::unix::fs::symlink("a", dir.join("c")).unwrap();
        fs::hard_link(dir.join("a"), dir.join("d")).unwrap();
        let write = || {
            let mut w = TarWriter::new(Vec::new(), WriteOptions::default());
            w.add(&dir, "", None).unwrap();
            w.finish().unwrap()
        };
        let first = write();
        assert_eq!(first, write());
        assert_eq!(names(&first), ["a", "b/", "b/x", "c", "d"]);
        let mut archive = tar::Archive::new(&first[..]);
        let kinds: Vec<tar::EntryType> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().header().entry_type())
            .collect();
        assert_eq!(kinds[3], tar::EntryType::Symlink);
        assert_eq!(kinds[4], tar::EntryType::Link);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn owner_mode_and_prefix() {
        let dir = temp_dir("owner");
        fs::write(dir.join("f"), "data").unwrap();
        let mut w = TarWriter::new(
            Vec::new(),
            WriteOptions {
                owner: Some((7, 8)),
                mode: Some(0o600),
                ..Default::default()
            },
        );
        w.add(&dir.join("f"), "dest/f", None).unwrap();
        let tar = w.finish().unwrap();
        let mut archive = tar::Archive::new(&tar[..]);
        let entry = archive.entries().unwrap().next().unwrap().unwrap();
        let header = entry.header();
        assert_eq!(
            (
                header.uid().unwrap(),
                header.gid().unwrap(),
                header.mode().unwrap()
            ),
            (7, 8, 0o600)
        );
        assert_eq!(entry.path().unwrap().display().to_string(), "dest/f");
        fs::remove_dir_all(&dir).unwrap();
    }
}

//! Extraction of one image layer into a directory a rootless kernel overlay can use as a lower dir.
//!
//! A layer blob is a tar stream, usually compressed; [`decompress`] recognises the compression and
//! [`extract`] streams the tar once, hashing every byte for the diff_id while it recreates each
//! entry the way root would (mode, owner, times, a few xattrs). The caller runs it inside the user
//! namespace, where root owns the files of the mapped uids.
//!
//! OCI whiteouts are converted to the form an overlay mounted with `userxattr` understands: a
//! `.wh.NAME` entry becomes a 0/0 character device `NAME`, and `.wh..wh..opq` sets the xattr
//! `user.overlay.opaque=y` on its directory.
//!
//! A layer is untrusted input, so nothing is ever written outside the destination: entry names
//! with `..` or a leading `/` are refused, and every entry is created with *at() calls on its final
//! name only, relative to a parent directory opened with
//! openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS). A symlink made by the archive can therefore never
//! redirect a later write, and a hard link can only name a file inside the layer.

use std::cell::Cell;
use std::collections::HashMap;
use std::ffi::{CStr, CString};
use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use nix::dir::Dir;
use nix::errno::Errno;
use nix::fcntl::{self, AtFlags, OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::{self, FchmodatFlags, Mode, SFlag, UtimensatFlags};
use nix::sys::time::TimeSpec;
use nix::unistd::{self, Gid, Uid, UnlinkatFlags};
use sha2::{Digest, Sha256};

use super::tarsplit;
use tar::EntryType;

/// Read-ahead on the layer stream: big reads keep syscalls and hash updates few.
const STREAM_BUFFER: usize = 256 * 1024;
/// Chunk in which file content is copied from the archive to the new file.
const COPY_BUFFER: usize = 256 * 1024;

const WHITEOUT_PREFIX: &[u8] = b".wh.";
/// Names with this prefix are whiteout metadata (AUFS hard link dirs and the like), not whiteouts.
const WHITEOUT_META_PREFIX: &[u8] = b".wh..wh.";
const OPAQUE_MARKER: &[u8] = b".wh..wh..opq";
const OPAQUE_XATTR: &CStr = c"user.overlay.opaque";
const PAX_XATTR_PREFIX: &[u8] = b"SCHILY.xattr.";
/// The xattrs an overlay with `userxattr` reads as its own; only our whiteout conversion may set them.
const OVERLAY_XATTR_PREFIX: &[u8] = b"user.overlay.";

/// The outcome of extracting one layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// `sha256:<hex>` of the whole uncompressed tar stream.
    pub diff_id: String,
    /// Bytes of regular file content written.
    pub size: u64,
    /// Device nodes left out because creating them needs real root.
    pub skipped_devices: u64,
    /// The record that reproduces the tar stream from the extracted files (see
    /// [`super::tarsplit`]); None when the stream had too much to record.
    pub tar_split: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Default)]
pub struct ExtractOptions {
    /// Only one uid is mapped, so the archive's owners mostly cannot exist: keep files owned by
    /// the caller instead of failing.
    pub ignore_chown_errors: bool,
    /// The tar is not a layer but files to put somewhere (`cp`, a build's COPY): names like
    /// `.wh.x` are ordinary files, not whiteouts.
    pub no_whiteouts: bool,
    /// The tree is files read back through their names (an image archive's manifest and
    /// blobs), not a root filesystem: a symlink must point inside it, relative and not
    /// climbing out, or the archive is refused; owners mean nothing and are not kept.
    pub archive_files: bool,
}

/// Extract an *uncompressed* tar stream into `dest` (an existing empty directory). The caller has
/// already decompressed.
pub fn extract(reader: impl Read, dest: &Path, opts: &ExtractOptions) -> Result<Extracted> {
    let root = fcntl::open(
        dest,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .with_context(|| format!("opening the layer directory {}", dest.display()))?;
    extract_into(reader, root, opts)
}

/// [`extract`] into a directory already open (for one reached through a container's root).
pub fn extract_into(reader: impl Read, root: OwnedFd, opts: &ExtractOptions) -> Result<Extracted> {
    let stream = BufReader::with_capacity(STREAM_BUFFER, HashingReader::new(reader));
    let (recorder, record) = tarsplit::recorder(stream);
    let mut archive = tar::Archive::new(recorder);
    let mut extractor = Extractor::new(root, opts);
    let mut content_path = Vec::new();
    for entry in archive.entries().context("reading the layer archive")? {
        let mut entry = entry.context("reading the layer archive")?;
        // The record replaces a regular file's content by where the extractor puts it.
        let has_content = matches!(
            entry.header().entry_type(),
            EntryType::Regular | EntryType::Continuous
        );
        if has_content && normalize(&entry.path_bytes(), &mut content_path).is_ok() {
            record.file(entry.raw_file_position(), entry.size(), &content_path);
        }
        if let Err(err) = extractor.entry(&mut entry) {
            return Err(name_error(err, &entry.path_bytes()));
        }
    }
    extractor.finish()?;
    // Whatever follows the end-of-archive blocks is part of the blob, hence of its digest.
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).context("reading the layer archive")?;
    Ok(Extracted {
        diff_id: rest.into_inner().into_inner().diff_id(),
        size: extractor.size,
        skipped_devices: extractor.skipped_devices,
        tar_split: record.finish()?,
    })
}

/// Docker's rule for `cp`, checked for the whole archive before anything is written: an
/// existing directory under `root` is never replaced by a non-directory, nor an existing
/// non-directory (a symlink included) by a directory. `shown_as` is how the user knows
/// `root`, for the message.
pub fn check_no_type_change(reader: impl Read, root: OwnedFd, shown_as: &Path) -> Result<()> {
    let mut archive = tar::Archive::new(reader);
    let mut dirs = Dirs::new(root);
    let mut path = Vec::new();
    for entry in archive.entries().context("reading the archive")? {
        let entry = entry.context("reading the archive")?;
        let raw_name = entry.path_bytes();
        let kind = kind_of(entry.header(), &raw_name)?;
        if matches!(kind, Kind::Ignored) || normalize(&raw_name, &mut path).is_err() {
            // Refused with its reason by the extraction itself.
            continue;
        }
        let (parent, name) = split_parent(&path);
        if name.is_empty() {
            continue;
        }
        let Ok(dir) = dirs.parent_if_present(parent) else {
            continue;
        };
        let Ok(existing) = stat::fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) else {
            continue;
        };
        let existing_is_dir = existing.st_mode & libc::S_IFMT == libc::S_IFDIR;
        let full = shown_as.join(std::ffi::OsStr::from_bytes(&path));
        match (existing_is_dir, matches!(kind, Kind::Dir)) {
            (true, false) => bail!(
                "cannot overwrite directory {:?} with non-directory {:?}",
                full,
                shown_as
            ),
            (false, true) => bail!(
                "cannot overwrite non-directory {:?} with directory {:?}",
                full,
                shown_as
            ),
            _ => {}
        }
    }
    Ok(())
}

/// Recognise the compression of a layer blob by its magic bytes and wrap the reader: gzip, zstd,
/// bzip2, xz, or plain tar.
pub fn decompress<'a>(mut reader: impl BufRead + 'a) -> Result<Box<dyn Read + 'a>> {
    let mut magic = [0u8; 6];
    let len = read_up_to(&mut reader, &mut magic).context("reading the layer")?;
    let head = &magic[..len];
    // The peeked bytes are put back in front of the rest of the stream.
    let whole = io::Cursor::new(magic).take(len as u64).chain(reader);
    Ok(match Compression::of(head) {
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(whole)),
        Compression::Zstd => {
            Box::new(zstd::stream::read::Decoder::with_buffer(whole).context("starting zstd")?)
        }
        Compression::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(whole)),
        Compression::Xz => Box::new(lzma_rust2::XzReader::new(whole, true)),
        Compression::Plain => Box::new(whole),
    })
}

enum Compression {
    Gzip,
    Zstd,
    // Not in layers from registries, but in the archives users hand to `build` and ADD.
    Bzip2,
    Xz,
    Plain,
}

impl Compression {
    fn of(head: &[u8]) -> Compression {
        match head {
            [0x1f, 0x8b, ..] => Compression::Gzip,
            [0x28, 0xb5, 0x2f, 0xfd, ..] => Compression::Zstd,
            // A zstd skippable frame (zstd:chunked puts metadata in them).
            [0x50..=0x5f, 0x2a, 0x4d, 0x18, ..] => Compression::Zstd,
            [0xfd, b'7', b'z', b'X', b'Z', 0] => Compression::Xz,
            [b'B', b'Z', b'h', ..] => Compression::Bzip2,
            _ => Compression::Plain,
        }
    }
}

/// Reads until `buf` is full or the stream ends; returns how much was read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut len = 0;
    while len < buf.len() {
        match reader.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(len)
}

/// Feeds every byte read through it into a SHA-256, so a digest costs no second pass: the
/// diff_id of an uncompressed layer, or the digest of a compressed blob as it is downloaded.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    /// Bytes read so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// `sha256:<hex>` of everything read so far.
    pub fn digest(&self) -> String {
        format!("sha256:{:x}", self.hasher.clone().finalize())
    }

    fn diff_id(self) -> String {
        self.digest()
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// Why a hostile entry is refused. The entry's name is added by [`name_error`].
#[derive(Debug, Clone, Copy)]
enum Refused {
    OutsideLayer,
    ThroughSymlink,
    LinkOutsideLayer,
    LinkThroughSymlink,
    LinkTargetMissing,
    SymlinkOutside,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refused::OutsideLayer => "points outside the layer",
            Refused::ThroughSymlink => "is written through a symbolic link",
            Refused::LinkOutsideLayer => "is a hard link to a file outside the layer",
            Refused::LinkThroughSymlink => "is a hard link to a file behind a symbolic link",
            Refused::LinkTargetMissing => "is a hard link to a file that does not exist",
            Refused::SymlinkOutside => "is a symbolic link that points outside the archive",
        })
    }
}

impl std::error::Error for Refused {}

/// An entry name as it appears in error messages: quoted, lossily decoded.
struct EntryName<'a>(&'a [u8]);

impl fmt::Display for EntryName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.0))
    }
}

/// Puts the entry's name into an error: refusals read as one sentence, other failures get context.
fn name_error(err: anyhow::Error, name: &[u8]) -> anyhow::Error {
    let name = EntryName(name);
    match err.downcast_ref::<Refused>() {
        Some(refused) => anyhow!("archive entry {name} {refused}"),
        None => err.context(format!("extracting archive entry {name}")),
    }
}

/// Writes the normalized form of an archive path ("a/b/c": no empty or `.` components) into
/// `out`, refusing anything that could leave the layer. The empty result is the layer root.
fn normalize(raw: &[u8], out: &mut Vec<u8>) -> Result<(), Refused> {
    out.clear();
    if raw.starts_with(b"/") {
        return Err(Refused::OutsideLayer);
    }
    for component in raw.split(|&b| b == b'/') {
        match component {
            b"" | b"." => {}
            b".." => return Err(Refused::OutsideLayer),
            _ => {
                if !out.is_empty() {
                    out.push(b'/');
                }
                out.extend_from_slice(component);
            }
        }
    }
    Ok(())
}

/// Whether the symlink `target`, read from the directory `parent` (normalized), names a
/// path inside the tree by its text: relative, never climbing above the root.
fn stays_inside(parent: &[u8], target: &[u8]) -> bool {
    if target.starts_with(b"/") {
        return false;
    }
    let mut depth = parent
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .count();
    for component in target.split(|&b| b == b'/') {
        match component {
            b"" | b"." => {}
            b".." if depth == 0 => return false,
            b".." => depth -= 1,
            _ => depth += 1,
        }
    }
    true
}

/// Splits a normalized path into its parent ("" for the root) and final component.
fn split_parent(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(slash) => (&path[..slash], &path[slash + 1..]),
        None => (b"", path),
    }
}

/// Whether `path` is `ancestor` or lies below it.
fn is_within(path: &[u8], ancestor: &[u8]) -> bool {
    path.starts_with(ancestor) && (path.len() == ancestor.len() || path[ancestor.len()] == b'/')
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    File,
    Dir,
    Symlink,
    HardLink,
    Fifo,
    Device(SFlag),
    Ignored,
}

fn kind_of(header: &tar::Header, raw_name: &[u8]) -> Result<Kind> {
    Ok(match header.entry_type() {
        // Pre-POSIX archives mark directories only by the trailing slash.
        EntryType::Regular if raw_name.ends_with(b"/") => Kind::Dir,
        EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => Kind::File,
        EntryType::Directory => Kind::Dir,
        EntryType::Symlink => Kind::Symlink,
        EntryType::Link => Kind::HardLink,
        EntryType::Fifo => Kind::Fifo,
        EntryType::Char => Kind::Device(SFlag::S_IFCHR),
        EntryType::Block => Kind::Device(SFlag::S_IFBLK),
        EntryType::XGlobalHeader => Kind::Ignored,
        other => bail!(
            "unsupported archive entry type {:?}",
            char::from(other.as_byte())
        ),
    })
}

/// What a whiteout-looking final name asks for.
enum Whiteout {
    None,
    Opaque,
    Meta,
    Hide,
}

fn whiteout_of(name: &[u8]) -> Whiteout {
    if name == OPAQUE_MARKER {
        Whiteout::Opaque
    } else if name.starts_with(WHITEOUT_META_PREFIX) {
        Whiteout::Meta
    } else if name.starts_with(WHITEOUT_PREFIX) {
        Whiteout::Hide
    } else {
        Whiteout::None
    }
}

/// Where an entry goes: its final name inside an already opened parent directory.
#[derive(Clone, Copy)]
struct At<'a> {
    dir: BorrowedFd<'a>,
    name: &'a [u8],
}

/// The metadata of the current entry, from its header and PAX records.
struct Meta {
    mode: Mode,
    uid: Uid,
    gid: Gid,
    mtime: TimeSpec,
    xattrs: Vec<(CString, Vec<u8>)>,
    ignore_chown_errors: bool,
    keep_owners: bool,
}

impl Meta {
    fn read<R: Read>(&mut self, entry: &mut tar::Entry<R>) -> Result<()> {
        let header = entry.header();
        self.mode = Mode::from_bits_truncate(header.mode().context("reading the mode")? & 0o7777);
        if self.keep_owners {
            let id = |value: io::Result<u64>| value.ok().and_then(|id| u32::try_from(id).ok());
            self.uid = Uid::from_raw(id(header.uid()).context("invalid uid")?);
            self.gid = Gid::from_raw(id(header.gid()).context("invalid gid")?);
        }
        // Times are cosmetic: one this parser cannot read (a negative base-256 one) becomes the
        // epoch rather than failing the pull.
        let mtime = header.mtime().ok().and_then(|secs| secs.try_into().ok());
        self.mtime = TimeSpec::new(mtime.unwrap_or(0), 0);
        self.xattrs.clear();
        let Some(extensions) = entry.pax_extensions().context("reading the PAX records")? else {
            return Ok(());
        };
        for extension in extensions {
            let extension = extension.context("reading the PAX records")?;
            let (key, value) = (extension.key_bytes(), extension.value_bytes());
            if key == b"mtime" {
                self.mtime = parse_pax_time(value).unwrap_or(self.mtime);
            } else if let Some(name) = key
                .strip_prefix(PAX_XATTR_PREFIX)
                .filter(|name| wanted_xattr(name))
            {
                let name = CString::new(name).context("invalid xattr name")?;
                self.xattrs.push((name, value.to_vec()));
            }
        }
        Ok(())
    }

    fn chown_fd(&self, fd: BorrowedFd) -> Result<()> {
        if !self.keep_owners {
            return Ok(());
        }
        self.chown_result(unistd::fchown(fd, Some(self.uid), Some(self.gid)))
    }

    fn chown_at(&self, at: At) -> Result<()> {
        if !self.keep_owners {
            return Ok(());
        }
        let flag = AtFlags::AT_SYMLINK_NOFOLLOW;
        self.chown_result(unistd::fchownat(
            at.dir,
            at.name,
            Some(self.uid),
            Some(self.gid),
            flag,
        ))
    }

    fn chown_result(&self, result: nix::Result<()>) -> Result<()> {
        match result {
            // EINVAL: the id is not mapped in our namespace; EPERM: not ours to give.
            Err(Errno::EINVAL | Errno::EPERM) if self.ignore_chown_errors => Ok(()),
            result => result.context("changing the owner"),
        }
    }

    fn set_times_at(&self, at: At) -> Result<()> {
        let flag = UtimensatFlags::NoFollowSymlink;
        stat::utimensat(at.dir, at.name, &self.mtime, &self.mtime, flag)
            .context("setting the times")
    }

    fn set_xattrs(&self, fd: BorrowedFd) -> Result<()> {
        for (name, value) in &self.xattrs {
            match crate::xattr::set(fd, name, value) {
                // The filesystem cannot hold it: the layer still works without it.
                Err(err) if err.raw_os_error() == Some(libc::EOPNOTSUPP) => {}
                result => result.with_context(|| format!("setting the xattr {name:?}"))?,
            }
        }
        Ok(())
    }
}

/// The xattrs worth keeping in a rootfs: user ones and file capabilities. Others (trusted.*,
/// security.selinux, ...) mean nothing in the container or cannot be set unprivileged, and
/// `user.overlay.*` ones would be obeyed by the overlay (opaque, redirect), so an archive must not
/// bring its own.
fn wanted_xattr(name: &[u8]) -> bool {
    (name.starts_with(b"user.") && !name.starts_with(OVERLAY_XATTR_PREFIX))
        || name == b"security.capability"
}

/// Parses a PAX time, "seconds[.fraction]", possibly negative.
fn parse_pax_time(value: &[u8]) -> Option<TimeSpec> {
    let text = std::str::from_utf8(value).ok()?;
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (secs, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let secs: i64 = secs.parse().ok()?;
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
    Some(match (negative, nanos) {
        (false, _) => TimeSpec::new(secs, nanos),
        (true, 0) => TimeSpec::new(-secs, 0),
        (true, _) => TimeSpec::new(-secs - 1, 1_000_000_000 - nanos),
    })
}

/// Opens directories of the layer by their normalized path, never through a symlink, keeping the
/// last one open: archives list a directory's entries together.
struct Dirs {
    root: OwnedFd,
    last_path: Vec<u8>,
    last: Option<OwnedFd>,
    /// Cleared once openat2 is refused (old kernel, or a seccomp filter that predates it).
    have_openat2: Cell<bool>,
}

impl Dirs {
    fn new(root: OwnedFd) -> Self {
        Dirs {
            root,
            last_path: Vec::new(),
            last: None,
            have_openat2: Cell::new(true),
        }
    }

    /// The directory `path` (normalized, "" for the root), creating missing directories.
    /// Fails with ELOOP if the path goes through a symlink.
    fn parent(&mut self, path: &[u8]) -> Result<BorrowedFd<'_>, Errno> {
        self.cached(path, true)
    }

    /// The directory `path` if it exists, creating nothing.
    fn parent_if_present(&mut self, path: &[u8]) -> Result<BorrowedFd<'_>, Errno> {
        self.cached(path, false)
    }

    fn cached(&mut self, path: &[u8], create: bool) -> Result<BorrowedFd<'_>, Errno> {
        if path.is_empty() {
            return Ok(self.root.as_fd());
        }
        let fd = match self.last.take().filter(|_| self.last_path == path) {
            Some(fd) => fd,
            None => {
                let fd = self.open(path, create)?;
                self.last_path.clear();
                self.last_path.extend_from_slice(path);
                fd
            }
        };
        let fd: &OwnedFd = self.last.insert(fd);
        Ok(fd.as_fd())
    }

    /// Drops the cached directory: it may have been removed.
    fn forget(&mut self) {
        self.last = None;
    }

    /// Opens the directory `path` as an O_PATH fd, optionally creating what is missing.
    fn open(&self, path: &[u8], create: bool) -> Result<OwnedFd, Errno> {
        if path.is_empty() {
            return fcntl::openat(&self.root, ".", DIR_PATH_FLAGS, Mode::empty());
        }
        if self.have_openat2.get() {
            match open_in_root(self.root.as_fd(), path) {
                Err(Errno::ENOSYS | Errno::EPERM) => self.have_openat2.set(false),
                Err(Errno::ENOENT) if create => return walk(self.root.as_fd(), path, true),
                result => return result,
            }
        }
        walk(self.root.as_fd(), path, create)
    }
}

const DIR_PATH_FLAGS: OFlag = OFlag::O_PATH
    .union(OFlag::O_DIRECTORY)
    .union(OFlag::O_CLOEXEC);

/// openat2 confined to `root`, refusing every symlink on the way (ELOOP).
fn open_in_root(root: BorrowedFd, path: &[u8]) -> Result<OwnedFd, Errno> {
    let resolve = ResolveFlag::RESOLVE_IN_ROOT
        | ResolveFlag::RESOLVE_NO_SYMLINKS
        | ResolveFlag::RESOLVE_NO_MAGICLINKS;
    let how = OpenHow::new().flags(DIR_PATH_FLAGS).resolve(resolve);
    // EAGAIN means a concurrent rename raced the lookup; it is safe to try again.
    let mut attempts = 0;
    loop {
        match fcntl::openat2(root, path, how) {
            Err(Errno::EAGAIN) if attempts < 16 => attempts += 1,
            result => return result,
        }
    }
}

/// Opens `path` one component at a time without following symlinks, like openat2 above but
/// also able to create missing directories (as `mkdir -p` would, mode 0755).
fn walk(root: BorrowedFd, path: &[u8], create: bool) -> Result<OwnedFd, Errno> {
    let mut current: Option<OwnedFd> = None;
    for name in path.split(|&b| b == b'/') {
        let dir = current.as_ref().map_or(root, |fd| fd.as_fd());
        if create {
            match stat::mkdirat(dir, name, Mode::empty()) {
                // Created with no permissions, then given 0755 exactly, whatever the umask.
                Ok(()) => stat::fchmodat(
                    dir,
                    name,
                    Mode::from_bits_truncate(0o755),
                    FchmodatFlags::FollowSymlink,
                )?,
                Err(Errno::EEXIST) => {}
                Err(err) => return Err(err),
            }
        }
        let next = match fcntl::openat(dir, name, DIR_PATH_FLAGS | OFlag::O_NOFOLLOW, Mode::empty())
        {
            Err(Errno::ENOTDIR | Errno::ELOOP) if is_symlink(At { dir, name }) => Err(Errno::ELOOP),
            result => result,
        }?;
        current = Some(next);
    }
    current.ok_or(Errno::ENOENT)
}

fn is_symlink(at: At) -> bool {
    stat::fstatat(at.dir, at.name, AtFlags::AT_SYMLINK_NOFOLLOW)
        .is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFLNK)
}

fn is_dir(at: At) -> bool {
    stat::fstatat(at.dir, at.name, AtFlags::AT_SYMLINK_NOFOLLOW)
        .is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFDIR)
}

/// Maps the failure to open an entry's parent directory.
fn parent_error(err: Errno) -> anyhow::Error {
    match err {
        Errno::ELOOP => Refused::ThroughSymlink.into(),
        Errno::ENOTDIR => anyhow!("its parent is not a directory"),
        err => anyhow!(err).context("opening the parent directory"),
    }
}

/// Maps the failure to open a hard link target's directory.
fn link_error(err: Errno) -> anyhow::Error {
    match err {
        Errno::ELOOP => Refused::LinkThroughSymlink.into(),
        Errno::ENOENT | Errno::ENOTDIR => Refused::LinkTargetMissing.into(),
        err => anyhow!(err).context("opening the hard link target's directory"),
    }
}

/// Runs `create`; if the name is taken, removes what is there (in a tar the later entry wins) and
/// tries once more. Sets `removed_dir` if that removed a directory tree.
fn create_replacing<T>(
    at: At,
    removed_dir: &mut bool,
    create: impl Fn(At) -> nix::Result<T>,
) -> nix::Result<T> {
    match create(at) {
        Err(Errno::EEXIST) => {
            *removed_dir |= remove_existing(at)?;
            create(at)
        }
        result => result,
    }
}

/// Removes whatever is at `at`, recursively for a directory; returns whether it was one.
fn remove_existing(at: At) -> nix::Result<bool> {
    match unistd::unlinkat(at.dir, at.name, UnlinkatFlags::NoRemoveDir) {
        Ok(()) => Ok(false),
        Err(Errno::EISDIR) => {
            empty_dir(at)?;
            unistd::unlinkat(at.dir, at.name, UnlinkatFlags::RemoveDir)?;
            Ok(true)
        }
        Err(err) => Err(err),
    }
}

fn empty_dir(at: At) -> nix::Result<()> {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let mut dir = Dir::openat(at.dir, at.name, flags, Mode::empty())?;
    // Names are collected first: removing while reading a directory may skip entries.
    let mut names = Vec::new();
    for entry in dir.iter() {
        let name = entry?.file_name().to_owned();
        if name.as_bytes() != b"." && name.as_bytes() != b".." {
            names.push(name);
        }
    }
    for name in &names {
        remove_existing(At {
            dir: dir.as_fd(),
            name: name.as_bytes(),
        })?;
    }
    Ok(())
}

fn write_file(
    at: At,
    content: &mut impl Read,
    expected: u64,
    buf: &mut [u8],
    meta: &Meta,
    removed_dir: &mut bool,
) -> Result<u64> {
    let flags =
        OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let create = |at: At| fcntl::openat(at.dir, at.name, flags, Mode::S_IRUSR | Mode::S_IWUSR);
    let mut file =
        File::from(create_replacing(at, removed_dir, create).context("creating the file")?);
    let written = copy_content(content, &mut file, buf).context("writing the file")?;
    if written != expected {
        bail!("the archive is truncated ({written} of {expected} bytes)");
    }
    // In this order because chown clears setuid/setgid, and writing or chown drop file capabilities.
    meta.chown_fd(file.as_fd())?;
    stat::fchmod(&file, meta.mode).context("setting the mode")?;
    meta.set_xattrs(file.as_fd())?;
    stat::futimens(&file, &meta.mtime, &meta.mtime).context("setting the times")?;
    Ok(written)
}

fn copy_content(from: &mut impl Read, to: &mut File, buf: &mut [u8]) -> io::Result<u64> {
    let mut total = 0;
    loop {
        let n = match from.read(buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        to.write_all(&buf[..n])?;
        total += n as u64;
    }
}

/// Creates the directory, or keeps an existing one, and applies the metadata except the times,
/// which wait until its content is written.
fn make_dir(at: At, meta: &Meta, removed_dir: &mut bool) -> Result<()> {
    match stat::mkdirat(at.dir, at.name, Mode::S_IRWXU) {
        // Both directories: the later entry only updates the metadata.
        Err(Errno::EEXIST) if is_dir(at) => {}
        Err(Errno::EEXIST) => {
            *removed_dir |= remove_existing(at).context("removing the existing entry")?;
            stat::mkdirat(at.dir, at.name, Mode::S_IRWXU).context("creating the directory")?;
        }
        result => result.context("creating the directory")?,
    }
    meta.chown_at(at)?;
    if !meta.xattrs.is_empty() {
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let dir = fcntl::openat(at.dir, at.name, flags, Mode::empty())
            .context("opening the directory")?;
        meta.set_xattrs(dir.as_fd())?;
    }
    // Following is safe: the name was just checked or made to be a directory.
    stat::fchmodat(at.dir, at.name, meta.mode, FchmodatFlags::FollowSymlink)
        .context("setting the mode")
}

fn make_symlink(at: At, target: &[u8], meta: &Meta, removed_dir: &mut bool) -> Result<()> {
    create_replacing(at, removed_dir, |at| {
        unistd::symlinkat(target, at.dir, at.name)
    })
    .context("creating the symlink")?;
    meta.chown_at(at)?;
    meta.set_times_at(at)
}

/// Links `at` to the existing `target`; linkat without AT_SYMLINK_FOLLOW never leaves the layer.
fn make_hard_link(target: At, at: At, removed_dir: &mut bool) -> Result<()> {
    let link = |at: At| unistd::linkat(target.dir, target.name, at.dir, at.name, AtFlags::empty());
    match create_replacing(at, removed_dir, link) {
        Err(Errno::ENOENT) => Err(Refused::LinkTargetMissing.into()),
        result => result.context("creating the hard link"),
    }
}

/// Creates a fifo or device node; returns false for a device that needs real root to create.
fn make_node(
    at: At,
    kind: SFlag,
    dev: libc::dev_t,
    meta: &Meta,
    removed_dir: &mut bool,
) -> Result<bool> {
    let mknod = |at: At| stat::mknodat(at.dir, at.name, kind, Mode::S_IRUSR | Mode::S_IWUSR, dev);
    match create_replacing(at, removed_dir, mknod) {
        Err(Errno::EPERM) if kind != SFlag::S_IFIFO => return Ok(false),
        result => result.context("creating the special file")?,
    }
    meta.chown_at(at)?;
    // Following is safe: the name was just made a device or fifo.
    stat::fchmodat(at.dir, at.name, meta.mode, FchmodatFlags::FollowSymlink)
        .context("setting the mode")?;
    meta.set_times_at(at)?;
    Ok(true)
}

fn device_of(header: &tar::Header) -> Result<libc::dev_t> {
    let major = header.device_major().context("invalid device number")?;
    let minor = header.device_minor().context("invalid device number")?;
    Ok(stat::makedev(
        major.unwrap_or(0).into(),
        minor.unwrap_or(0).into(),
    ))
}

/// Hides `at` from the lower layers: a 0/0 character device, which unprivileged users may create.
fn make_whiteout(at: At, removed_dir: &mut bool) -> Result<()> {
    let mknod = |at: At| {
        stat::mknodat(
            at.dir,
            at.name,
            SFlag::S_IFCHR,
            Mode::empty(),
            stat::makedev(0, 0),
        )
    };
    create_replacing(at, removed_dir, mknod).context("creating the whiteout")
}

/// Hides the lower layers' content of the directory `dir` (an O_PATH fd).
fn make_opaque(dir: BorrowedFd) -> Result<()> {
    // xattrs cannot be set through an O_PATH fd.
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let dir = fcntl::openat(dir, ".", flags, Mode::empty()).context("opening the directory")?;
    crate::xattr::set(dir.as_fd(), OPAQUE_XATTR, b"y").context("marking the directory opaque")
}

/// The state of one extraction; buffers are reused from entry to entry.
struct Extractor {
    dirs: Dirs,
    meta: Meta,
    /// Normalized name of the current entry.
    path: Vec<u8>,
    /// Normalized hard link target of the current entry.
    link: Vec<u8>,
    buf: Vec<u8>,
    /// Directory times, set at the end: creating entries inside a directory changes its mtime.
    dir_times: HashMap<Vec<u8>, TimeSpec>,
    /// The current entry replaced a directory tree.
    removed_dir: bool,
    size: u64,
    skipped_devices: u64,
    no_whiteouts: bool,
    archive_files: bool,
}

impl Extractor {
    fn new(root: OwnedFd, opts: &ExtractOptions) -> Self {
        Extractor {
            no_whiteouts: opts.no_whiteouts,
            archive_files: opts.archive_files,
            dirs: Dirs::new(root),
            meta: Meta {
                mode: Mode::empty(),
                uid: Uid::from_raw(0),
                gid: Gid::from_raw(0),
                mtime: TimeSpec::new(0, 0),
                xattrs: Vec::new(),
                ignore_chown_errors: opts.ignore_chown_errors,
                keep_owners: !opts.archive_files,
            },
            path: Vec::new(),
            link: Vec::new(),
            buf: vec![0; COPY_BUFFER],
            dir_times: HashMap::new(),
            removed_dir: false,
            size: 0,
            skipped_devices: 0,
        }
    }

    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<R>) -> Result<()> {
        let kind = {
            let raw_name = entry.path_bytes();
            let kind = kind_of(entry.header(), &raw_name)?;
            if matches!(kind, Kind::Ignored) {
                return Ok(());
            }
            normalize(&raw_name, &mut self.path)?;
            kind
        };
        self.meta.read(entry)?;
        if self.path.is_empty() {
            return self.root_entry(kind);
        }
        let (_, name) = split_parent(&self.path);
        let whiteout = if self.no_whiteouts {
            Whiteout::None
        } else {
            whiteout_of(name)
        };
        match whiteout {
            Whiteout::None => self.create(kind, entry)?,
            Whiteout::Opaque => self.opaque()?,
            Whiteout::Meta => {}
            Whiteout::Hide => self.whiteout()?,
        }
        if std::mem::take(&mut self.removed_dir) {
            self.dirs.forget();
            let path = &self.path;
            self.dir_times.retain(|dir, _| !is_within(dir, path));
        }
        Ok(())
    }

    /// The layer root itself ("./"): a directory entry only updates its metadata.
    fn root_entry(&mut self, kind: Kind) -> Result<()> {
        if !matches!(kind, Kind::Dir) {
            bail!("the layer root must be a directory");
        }
        let root = self.dirs.root.as_fd();
        self.meta.chown_fd(root)?;
        self.meta.set_xattrs(root)?;
        stat::fchmod(root, self.meta.mode).context("setting the mode")?;
        self.dir_times.insert(Vec::new(), self.meta.mtime);
        Ok(())
    }

    fn create<R: Read>(&mut self, kind: Kind, entry: &mut tar::Entry<R>) -> Result<()> {
        if let Kind::HardLink = kind {
            return self.hard_link(entry);
        }
        let (parent, name) = split_parent(&self.path);
        let at = At {
            dir: self.dirs.parent(parent).map_err(parent_error)?,
            name,
        };
        let (meta, removed_dir) = (&self.meta, &mut self.removed_dir);
        match kind {
            Kind::File => {
                let expected = entry.size();
                self.size += write_file(at, entry, expected, &mut self.buf, meta, removed_dir)?;
            }
            Kind::Dir => {
                make_dir(at, meta, removed_dir)?;
                self.dir_times.insert(self.path.clone(), meta.mtime);
            }
            Kind::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .context("the symlink has no target")?;
                if self.archive_files && !stays_inside(parent, &target) {
                    return Err(Refused::SymlinkOutside.into());
                }
                make_symlink(at, &target, meta, removed_dir)?;
            }
            Kind::Fifo => {
                make_node(at, SFlag::S_IFIFO, 0, meta, removed_dir)?;
            }
            Kind::Device(kind) => {
                if !make_node(at, kind, device_of(entry.header())?, meta, removed_dir)? {
                    self.skipped_devices += 1;
                }
            }
            Kind::HardLink | Kind::Ignored => {}
        }
        Ok(())
    }

    /// A hard link's target is normalized and opened with the same rules as any entry name.
    fn hard_link<R: Read>(&mut self, entry: &tar::Entry<R>) -> Result<()> {
        let target = entry
            .link_name_bytes()
            .context("the hard link has no target")?;
        normalize(&target, &mut self.link).map_err(|_| Refused::LinkOutsideLayer)?;
        let (target_parent, target_name) = split_parent(&self.link);
        if target_name.is_empty() {
            bail!("cannot hard link to the layer root");
        }
        // Opened before the entry's own parent, which stays borrowed from the cache.
        let target_dir = self.dirs.open(target_parent, false).map_err(link_error)?;
        let target = At {
            dir: target_dir.as_fd(),
            name: target_name,
        };
        let (parent, name) = split_parent(&self.path);
        let at = At {
            dir: self.dirs.parent(parent).map_err(parent_error)?,
            name,
        };
        make_hard_link(target, at, &mut self.removed_dir)
    }

    fn opaque(&mut self) -> Result<()> {
        let (parent, _) = split_parent(&self.path);
        make_opaque(self.dirs.parent(parent).map_err(parent_error)?)
    }

    /// `dir/.wh.NAME`: replaces NAME by a whiteout. `self.path` becomes `dir/NAME`, so that a
    /// directory removed here is forgotten.
    fn whiteout(&mut self) -> Result<()> {
        let name_start = self.path.len() - split_parent(&self.path).1.len();
        self.path
            .drain(name_start..name_start + WHITEOUT_PREFIX.len());
        let (parent, name) = split_parent(&self.path);
        match name {
            b".." => return Err(Refused::OutsideLayer.into()),
            b"" | b"." => bail!("invalid whiteout name"),
            _ => {}
        }
        let at = At {
            dir: self.dirs.parent(parent).map_err(parent_error)?,
            name,
        };
        make_whiteout(at, &mut self.removed_dir)
    }

    /// Sets the directory times now that all content is written.
    fn finish(&mut self) -> Result<()> {
        let mut dirs: Vec<(Vec<u8>, TimeSpec)> = self.dir_times.drain().collect();
        // Sorted, the children of one directory mostly follow each other and share the cached fd.
        dirs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (path, mtime) in &dirs {
            self.set_dir_time(path, mtime)
                .with_context(|| format!("setting the times of {}", EntryName(path)))?;
        }
        Ok(())
    }

    fn set_dir_time(&mut self, path: &[u8], mtime: &TimeSpec) -> Result<()> {
        if path.is_empty() {
            return Ok(stat::futimens(&self.dirs.root, mtime, mtime)?);
        }
        let (parent, name) = split_parent(path);
        let dir = self.dirs.parent(parent)?;
        Ok(stat::utimensat(
            dir,
            name,
            mtime,
            mtime,
            UtimensatFlags::NoFollowSymlink,
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdir::TempDir;
    use std::fs;
    use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};

    const MTIME: u64 = 1_600_000_000;

    /// Builds a tar in memory. Names are written raw into the header, so hostile names that
    /// `tar::Builder` would refuse can be tested too.
    struct Layer {
        builder: tar::Builder<Vec<u8>>,
        uid: u64,
        gid: u64,
        mtime: u64,
    }

    impl Layer {
        fn new() -> Layer {
            Layer {
                builder: tar::Builder::new(Vec::new()),
                uid: 0,
                gid: 0,
                mtime: MTIME,
            }
        }

        fn owner(&mut self, uid: u64, gid: u64) -> &mut Self {
            (self.uid, self.gid) = (uid, gid);
            self
        }

        fn mtime(&mut self, mtime: u64) -> &mut Self {
            self.mtime = mtime;
            self
        }

        fn add(
            &mut self,
            kind: EntryType,
            name: &str,
            mode: u32,
            link: &str,
            data: &[u8],
        ) -> &mut Self {
            let mut header = tar::Header::new_ustar();
            header.set_entry_type(kind);
            header.set_mode(mode);
            header.set_uid(self.uid);
            header.set_gid(self.gid);
            header.set_mtime(self.mtime);
            header.set_size(data.len() as u64);
            header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
            header.set_cksum();
            self.builder.append(&header, data).unwrap();
            self
        }

        fn file(&mut self, name: &str, mode: u32, data: &[u8]) -> &mut Self {
            self.add(EntryType::Regular, name, mode, "", data)
        }

        fn dir(&mut self, name: &str, mode: u32) -> &mut Self {
            self.add(EntryType::Directory, name, mode, "", b"")
        }

        fn symlink(&mut self, name: &str, target: &str) -> &mut Self {
            self.add(EntryType::Symlink, name, 0o777, target, b"")
        }

        fn hard_link(&mut self, name: &str, target: &str) -> &mut Self {
            self.add(EntryType::Link, name, 0o644, target, b"")
        }

        fn pax(&mut self, records: &[(&str, &[u8])]) -> &mut Self {
            self.builder
                .append_pax_extensions(records.iter().copied())
                .unwrap();
            self
        }

        fn bytes(&mut self) -> Vec<u8> {
            let builder = std::mem::replace(&mut self.builder, tar::Builder::new(Vec::new()));
            builder.into_inner().unwrap()
        }
    }

    fn is_root() -> bool {
        unistd::geteuid().is_root()
    }

    /// Ownership can only be set as root; an ordinary user runs as with a single-uid mapping.
    fn options() -> ExtractOptions {
        ExtractOptions {
            ignore_chown_errors: !is_root(),
            ..Default::default()
        }
    }

    fn extract_layer(tar: &[u8], dest: &Path) -> Result<Extracted> {
        extract(tar, dest, &options())
    }

    fn error_of(tar: &[u8], dest: &Path) -> String {
        format!(
            "{:#}",
            extract_layer(tar, dest).expect_err("extraction should fail")
        )
    }

    fn sha256_id(bytes: &[u8]) -> String {
        format!("sha256:{:x}", Sha256::digest(bytes))
    }

    fn lstat(path: &Path) -> fs::Metadata {
        fs::symlink_metadata(path).unwrap()
    }

    fn mode(path: &Path) -> u32 {
        lstat(path).permissions().mode() & 0o7777
    }

    fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
        let path = CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        let name = CString::new(name).unwrap();
        let mut buf = [0u8; 256];
        // SAFETY: both strings are NUL-terminated and `buf` is valid for its length.
        let len = unsafe {
            libc::lgetxattr(
                path.as_ptr(),
                name.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        usize::try_from(len).ok().map(|len| buf[..len].to_vec())
    }

    #[test]
    fn extracts_files_dirs_links_and_metadata() {
        let tmp = TempDir::new("layer");
        let hosts = b"127.0.0.1 localhost\n";
        let su = b"\x7fELF pretend";
        let tar = Layer::new()
            .dir("./", 0o755)
            .mtime(1_000_000)
            .dir("./etc/", 0o750)
            .mtime(MTIME)
            .file("./etc/hosts", 0o644, hosts)
            .symlink("./etc/localtime", "/usr/share/zoneinfo/UTC")
            .hard_link("./etc/hosts.bak", "etc/hosts")
            .owner(1000, 1001)
            .file("bin/su", 0o4755, su)
            .symlink("bin/sh", "busybox")
            .owner(0, 0)
            .dir("run", 0o1777)
            .add(EntryType::Fifo, "run/fifo", 0o620, "", b"")
            .file("./a//b/./c", 0o600, b"")
            .hard_link("top", "a/b/c")
            .hard_link("./a/b/again", "top")
            .bytes();
        let dest = tmp.path();
        let extracted = extract_layer(&tar, dest).unwrap();

        assert_eq!(extracted.diff_id, sha256_id(&tar));
        assert_eq!(extracted.size, (hosts.len() + su.len()) as u64);
        assert_eq!(extracted.skipped_devices, 0);

        assert_eq!(fs::read(dest.join("etc/hosts")).unwrap(), hosts);
        assert_eq!(mode(&dest.join("etc/hosts")), 0o644);
        assert_eq!(lstat(&dest.join("etc/hosts")).mtime(), MTIME as i64);
        // Directory times are set after their content is written.
        assert_eq!(mode(&dest.join("etc")), 0o750);
        assert_eq!(lstat(&dest.join("etc")).mtime(), 1_000_000);

        let localtime = dest.join("etc/localtime");
        assert_eq!(
            fs::read_link(&localtime).unwrap(),
            Path::new("/usr/share/zoneinfo/UTC")
        );
        assert_eq!(lstat(&localtime).mtime(), MTIME as i64);

        let (original, link) = (
            lstat(&dest.join("etc/hosts")),
            lstat(&dest.join("etc/hosts.bak")),
        );
        assert_eq!((original.ino(), original.nlink()), (link.ino(), 2));

        // setuid survives the chown; the missing parent was created 0755.
        assert_eq!(mode(&dest.join("bin/su")), 0o4755);
        assert_eq!(mode(&dest.join("bin")), 0o755);
        if is_root() {
            assert_eq!(
                (
                    lstat(&dest.join("bin/su")).uid(),
                    lstat(&dest.join("bin/su")).gid()
                ),
                (1000, 1001)
            );
            assert_eq!(
                (
                    lstat(&dest.join("bin/sh")).uid(),
                    lstat(&dest.join("bin/sh")).gid()
                ),
                (1000, 1001)
            );
        }

        assert_eq!(mode(&dest.join("run")), 0o1777);
        assert!(lstat(&dest.join("run/fifo")).file_type().is_fifo());
        assert_eq!(mode(&dest.join("run/fifo")), 0o620);
        assert!(lstat(&dest.join("a/b/c")).is_file());
        assert_eq!(lstat(&dest.join("a/b/again")).nlink(), 3);
    }

    #[test]
    fn converts_whiteouts_for_the_overlay() {
        let tmp = TempDir::new("layer");
        let tar = Layer::new()
            .dir("a/", 0o755)
            .file("a/.wh..wh..opq", 0o600, b"")
            .file("a/.wh.gone", 0o600, b"")
            .file(".wh..wh.plnk", 0o600, b"")
            .file("c/x", 0o644, b"earlier in this layer")
            .file("c/.wh.x", 0o600, b"")
            .bytes();
        let dest = tmp.path();
        extract_layer(&tar, dest).unwrap();

        let gone = lstat(&dest.join("a/gone"));
        assert!(gone.file_type().is_char_device());
        assert_eq!(gone.rdev(), 0);
        assert_eq!(
            xattr(&dest.join("a"), "user.overlay.opaque").as_deref(),
            Some(&b"y"[..])
        );
        assert!(lstat(&dest.join("c/x")).file_type().is_char_device());
        for name in ["a/.wh..wh..opq", "a/.wh.gone", ".wh..wh.plnk", "c/.wh.x"] {
            assert!(!dest.join(name).exists(), "{name} should not exist");
        }
        assert_eq!(xattr(&dest.join("c"), "user.overlay.opaque"), None);
    }

    #[test]
    fn applies_user_xattrs_and_pax_times_only() {
        let tmp = TempDir::new("layer");
        let tar = Layer::new()
            .pax(&[
                ("SCHILY.xattr.user.note", b"hello"),
                ("SCHILY.xattr.user.overlay.opaque", b"y"),
                ("SCHILY.xattr.trusted.secret", b"x"),
                ("mtime", b"1234567890.5"),
            ])
            .file("f", 0o644, b"data")
            .bytes();
        let dest = tmp.path();
        extract_layer(&tar, dest).unwrap();

        let f = dest.join("f");
        assert_eq!(xattr(&f, "user.note").as_deref(), Some(&b"hello"[..]));
        assert_eq!(xattr(&f, "user.overlay.opaque"), None);
        assert_eq!(xattr(&f, "trusted.secret"), None);
        assert_eq!(
            (lstat(&f).mtime(), lstat(&f).mtime_nsec()),
            (1_234_567_890, 500_000_000)
        );
    }

    #[test]
    fn refuses_names_outside_the_layer() {
        for name in ["../x", "a/../../x", "/etc/passwd"] {
            let tmp = TempDir::new("layer");
            let dest = tmp.subdir("dest");
            let tar = Layer::new().file(name, 0o644, b"owned").bytes();
            let err = error_of(&tar, &dest);
            assert_eq!(
                err,
                format!("archive entry {name:?} points outside the layer")
            );
            assert!(!tmp.path().join("x").exists());
        }
    }

    #[test]
    fn refuses_writing_through_symlinks() {
        let tmp = TempDir::new("layer");
        let outside = tmp.subdir("outside");
        let escapes = [
            Layer::new()
                .symlink("x", outside.to_str().unwrap())
                .file("x/passwd", 0o644, b"owned")
                .bytes(),
            Layer::new()
                .symlink("x", "../outside")
                .file("x/passwd", 0o644, b"owned")
                .bytes(),
            // The cached parent directory must not outlive its replacement by a symlink.
            Layer::new()
                .dir("x", 0o755)
                .file("x/a", 0o644, b"")
                .symlink("x", outside.to_str().unwrap())
                .file("x/passwd", 0o644, b"owned")
                .bytes(),
        ];
        for tar in escapes {
            let dest = TempDir::new("layer");
            let err = error_of(&tar, dest.path());
            assert_eq!(
                err,
                r#"archive entry "x/passwd" is written through a symbolic link"#
            );
            assert!(!outside.join("passwd").exists());
        }
    }

    #[test]
    fn a_later_file_replaces_a_symlink_instead_of_following_it() {
        let tmp = TempDir::new("layer");
        let outside = tmp.subdir("outside");
        let dest = tmp.subdir("dest");
        let target = outside.join("passwd");
        let tar = Layer::new()
            .symlink("s", target.to_str().unwrap())
            .file("s", 0o644, b"inside")
            .bytes();
        extract_layer(&tar, &dest).unwrap();
        assert!(!target.exists());
        assert_eq!(fs::read(dest.join("s")).unwrap(), b"inside");
    }

    #[test]
    fn refuses_hard_links_out_of_the_layer() {
        let tmp = TempDir::new("layer");
        let outside = tmp.subdir("outside");
        fs::write(outside.join("secret"), b"secret").unwrap();
        let cases = [
            (
                Layer::new().hard_link("l", "../outside/secret").bytes(),
                "is a hard link to a file outside the layer",
            ),
            (
                Layer::new().hard_link("l", "/etc/passwd").bytes(),
                "is a hard link to a file outside the layer",
            ),
            (
                Layer::new()
                    .symlink("s", outside.to_str().unwrap())
                    .hard_link("l", "s/secret")
                    .bytes(),
                "is a hard link to a file behind a symbolic link",
            ),
            (
                Layer::new().hard_link("l", "missing").bytes(),
                "is a hard link to a file that does not exist",
            ),
            (
                Layer::new().hard_link("l", "no/such/dir").bytes(),
                "is a hard link to a file that does not exist",
            ),
        ];
        for (tar, why) in cases {
            let dest = TempDir::new("layer");
            assert_eq!(
                error_of(&tar, dest.path()),
                format!("archive entry \"l\" {why}")
            );
            assert!(!dest.path().join("l").exists());
        }
        assert_eq!(lstat(&outside.join("secret")).nlink(), 1);
    }

    #[test]
    fn later_entries_with_the_same_name_win() {
        let tmp = TempDir::new("layer");
        let tar = Layer::new()
            .file("f", 0o644, b"one")
            .file("f", 0o600, b"two")
            .dir("d", 0o755)
            .file("d/inner", 0o644, b"")
            .file("d", 0o644, b"now a file")
            .file("e", 0o644, b"")
            .dir("e", 0o700)
            .dir("g", 0o700)
            .file("g/keep", 0o644, b"")
            .dir("g", 0o750)
            .symlink("s", "target")
            .file("s", 0o644, b"")
            // A directory replaced by a file, then made again: its old children's times are gone.
            .dir("h", 0o755)
            .mtime(1_000)
            .dir("h/sub", 0o755)
            .mtime(MTIME)
            .file("h", 0o644, b"")
            .dir("h", 0o755)
            .file("h/sub", 0o644, b"")
            .bytes();
        let dest = tmp.path();
        extract_layer(&tar, dest).unwrap();

        assert_eq!(fs::read(dest.join("f")).unwrap(), b"two");
        assert_eq!(mode(&dest.join("f")), 0o600);
        assert_eq!(fs::read(dest.join("d")).unwrap(), b"now a file");
        assert!(lstat(&dest.join("e")).is_dir());
        assert!(dest.join("g/keep").exists());
        assert_eq!(mode(&dest.join("g")), 0o750);
        assert!(lstat(&dest.join("s")).is_file());
        assert!(lstat(&dest.join("h/sub")).is_file());
        assert_eq!(lstat(&dest.join("h/sub")).mtime(), MTIME as i64);
    }

    #[test]
    fn device_nodes_are_created_or_counted_as_skipped() {
        let tmp = TempDir::new("layer");
        let mut layer = Layer::new();
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(EntryType::Char);
        header.set_mode(0o666);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(MTIME);
        header.set_device_major(1).unwrap();
        header.set_device_minor(3).unwrap();
        header.set_size(0);
        layer
            .builder
            .append_data(&mut header, "dev/null", &b""[..])
            .unwrap();
        let extracted = extract_layer(&layer.bytes(), tmp.path()).unwrap();

        let null = tmp.path().join("dev/null");
        if extracted.skipped_devices == 0 {
            let meta = lstat(&null);
            assert!(meta.file_type().is_char_device());
            assert_eq!(meta.rdev(), stat::makedev(1, 3));
        } else {
            assert_eq!(extracted.skipped_devices, 1);
            assert!(!null.exists());
        }
    }

    #[test]
    fn long_names_from_gnu_and_pax_headers() {
        let tmp = TempDir::new("layer");
        let name = format!("{}/file", "long-directory-name".repeat(8));
        let mut layer = Layer::new();
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(MTIME);
        header.set_size(2);
        layer
            .builder
            .append_data(&mut header, &name, &b"hi"[..])
            .unwrap();
        extract_layer(&layer.bytes(), tmp.path()).unwrap();
        assert_eq!(fs::read(tmp.path().join(&name)).unwrap(), b"hi");
    }

    #[test]
    fn dirs_never_follow_symlinks_with_or_without_openat2() {
        for have_openat2 in [true, false] {
            let tmp = TempDir::new("layer");
            let outside = tmp.subdir("outside");
            let dest = tmp.subdir("dest");
            std::os::unix::fs::symlink(&outside, dest.join("link")).unwrap();
            fs::write(dest.join("file"), b"").unwrap();
            let root = fcntl::open(&dest, OFlag::O_RDONLY | OFlag::O_DIRECTORY, Mode::empty());
            let dirs = Dirs::new(root.unwrap());
            dirs.have_openat2.set(have_openat2);

            assert_eq!(dirs.open(b"link/sub", true).err(), Some(Errno::ELOOP));
            assert_eq!(dirs.open(b"link", false).err(), Some(Errno::ELOOP));
            assert_eq!(dirs.open(b"file/sub", true).err(), Some(Errno::ENOTDIR));
            assert_eq!(dirs.open(b"missing", false).err(), Some(Errno::ENOENT));
            dirs.open(b"new/deeper", true).unwrap();
            assert!(dest.join("new/deeper").is_dir());
            assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
        }
    }

    #[test]
    fn a_truncated_archive_is_an_error() {
        let content = vec![7u8; 2000];
        let tar = Layer::new()
            .file("big", 0o644, &content)
            .file("next", 0o644, b"x")
            .bytes();
        let tmp = TempDir::new("layer");
        let err = error_of(&tar[..512 + 1000], tmp.path());
        assert!(err.contains("truncated"), "{err}");
        // Cut in the middle of the second header.
        let second_header = 512 + 2048;
        let tmp = TempDir::new("layer");
        assert!(extract_layer(&tar[..second_header + 100], tmp.path()).is_err());
    }

    #[test]
    fn the_diff_id_covers_the_whole_stream() {
        let mut tar = Layer::new().file("f", 0o644, b"content").bytes();
        // Blobs may carry more zero blocks (or anything) after the end-of-archive marker.
        tar.extend_from_slice(&[0u8; 4096]);
        tar.extend_from_slice(b"trailing");
        let tmp = TempDir::new("layer");
        let extracted = extract_layer(&tar, tmp.path()).unwrap();
        assert_eq!(extracted.diff_id, sha256_id(&tar));
    }

    #[test]
    fn symlink_text_that_climbs_above_the_root_is_outside() {
        assert!(stays_inside(b"", b"a/b"));
        assert!(stays_inside(b"a/b", b"../c"));
        assert!(stays_inside(b"a", b"./../b/../c"));
        assert!(!stays_inside(b"a", b"../../c"));
        assert!(!stays_inside(b"", b"/etc/passwd"));
        assert!(!stays_inside(b"", b".."));
    }

    #[test]
    fn decompress_recognises_gzip_zstd_and_plain() {
        let tar = Layer::new().file("hello", 0o644, b"world").bytes();
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gzip.write_all(&tar).unwrap();
        let gzip = gzip.finish().unwrap();
        let zstd = zstd::encode_all(&tar[..], 3).unwrap();

        for blob in [&gzip, &zstd, &tar] {
            let tmp = TempDir::new("layer");
            let reader = decompress(&blob[..]).unwrap();
            let extracted = extract(reader, tmp.path(), &options()).unwrap();
            assert_eq!(extracted.diff_id, sha256_id(&tar));
            assert_eq!(fs::read(tmp.path().join("hello")).unwrap(), b"world");
        }

        let bzip2 = {
            let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
            encoder.write_all(&tar).unwrap();
            encoder.finish().unwrap()
        };
        let tmp = TempDir::new("layer");
        let extracted = extract(decompress(&bzip2[..]).unwrap(), tmp.path(), &options()).unwrap();
        assert_eq!(extracted.diff_id, sha256_id(&tar));
        let mut tiny = Vec::new();
        decompress(&b"ab"[..])
            .unwrap()
            .read_to_end(&mut tiny)
            .unwrap();
        assert_eq!(tiny, b"ab");
    }

    #[test]
    fn parses_pax_times() {
        let parse = |text: &str| parse_pax_time(text.as_bytes()).map(|t| (t.tv_sec(), t.tv_nsec()));
        assert_eq!(parse("1234567890"), Some((1_234_567_890, 0)));
        assert_eq!(parse("12.000000001999"), Some((12, 1)));
        assert_eq!(parse("-1.25"), Some((-2, 750_000_000)));
        assert_eq!(parse("-3"), Some((-3, 0)));
        assert_eq!(parse("1.x"), None);
        assert_eq!(parse(""), None);
    }

    #[test]
    fn normalizes_names() {
        let mut out = Vec::new();
        for (raw, expected) in [("./", ""), (".", ""), ("./a//b/./c/", "a/b/c"), ("a", "a")] {
            normalize(raw.as_bytes(), &mut out).unwrap();
            assert_eq!(out, expected.as_bytes(), "{raw}");
        }
        for raw in ["..", "a/..", "/", "//a"] {
            assert!(normalize(raw.as_bytes(), &mut out).is_err(), "{raw}");
        }
        assert_eq!(split_parent(b"a/b/c"), (&b"a/b"[..], &b"c"[..]));
        assert_eq!(split_parent(b"c"), (&b""[..], &b"c"[..]));
        assert!(is_within(b"a/b", b"a") && is_within(b"a", b"a") && !is_within(b"ab", b"a"));
    }
}

//! Copying trees with their owners, modes, times, symlinks and hard links.
//!
//! Copy-up: a volume that is still empty when it is mounted where the image has files starts
//! with a copy of them, as docker does. It runs in the container's first process before
//! pivot_root: root in the container's user namespace, so the copies belong to the image's
//! users as the container sees them (and to the matching subordinate ids on the host).
//!
//! Layer copies: an image layer copied with its owners changed (see [`copy_layer`]), whiteouts,
//! overlay's xattrs and file capabilities included.
//!
//! Both trees are walked through descriptors, never following a symlink, so an image cannot
//! redirect the copy elsewhere.

use anyhow::{Context, Result};
use nix::dir::{Dir, Type};
use nix::fcntl::{openat, AtFlags, OFlag};
use nix::sys::stat::{fstatat, mkdirat, FileStat, Mode};
use nix::sys::time::TimeSpec;
use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// Copies what lies under `image_dir` into `volume` when `volume` is empty. Both are O_PATH
/// descriptors: the mount point as it was before the volume was mounted on it, and the volume.
pub fn copy_up(image_dir: &OwnedFd, volume: &OwnedFd) -> Result<()> {
    let Ok(source) = open_dir(image_dir, ".") else {
        // Not a directory in the image: nothing to copy.
        return Ok(());
    };
    let target = open_dir(volume, ".")?;
    if has_entries(&target)? {
        return Ok(());
    }
    let mut copier = Copier {
        root: target.try_clone()?,
        links: HashMap::new(),
        owner: &|uid, gid| (uid, gid),
        layer: false,
    };
    copier.copy_dir(&source, &target, PathBuf::new())?;
    let meta = fstatat(&source, ".", AtFlags::empty())?;
    copier.apply_metadata(&target, &meta)
}

/// Copies the layer tree `source` to `target` (made here), the copy of a file owned by
/// `uid`/`gid` owned by `owner(uid, gid)`, and a file capability's root id changed the same
/// way, for a user namespace that maps ids differently. Whiteouts (0/0 character devices,
/// which a user namespace may make) and the user xattrs marking opaque directories come
/// along.
pub fn copy_layer(
    source: &std::path::Path,
    target: &std::path::Path,
    owner: &dyn Fn(u32, u32) -> (u32, u32),
) -> Result<()> {
    let source = nix::fcntl::open(
        source,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .with_context(|| format!("cannot open {}", source.display()))?;
    std::fs::create_dir(target).with_context(|| format!("cannot create {}", target.display()))?;
    let target = nix::fcntl::open(
        target,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    let mut copier = Copier {
        root: target.try_clone()?,
        links: HashMap::new(),
        owner,
        layer: true,
    };
    copier.copy_dir(&source, &target, PathBuf::new())?;
    let meta = fstatat(&source, ".", AtFlags::empty())?;
    copier.copy_xattrs(&source, &target)?;
    copier.apply_metadata(&target, &meta)
}

fn open_dir<P: nix::NixPath + ?Sized>(parent: &impl AsFd, name: &P) -> nix::Result<OwnedFd> {
    openat(
        parent,
        name,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
}

fn entries(dir: &OwnedFd) -> Result<Vec<(OsString, Option<Type>)>> {
    let mut listing = Dir::from_fd(open_dir(dir, ".")?)?;
    let mut names = Vec::new();
    for entry in listing.iter() {
        let entry = entry?;
        let name = OsStr::from_bytes(entry.file_name().to_bytes());
        if name != "." && name != ".." {
            names.push((name.to_os_string(), entry.file_type()));
        }
    }
    Ok(names)
}

fn has_entries(dir: &OwnedFd) -> Result<bool> {
    Ok(!entries(dir)?.is_empty())
}

struct Copier<'a> {
    /// The target's root, for hard links to files copied earlier.
    root: OwnedFd,
    /// (device, inode) of a multiply linked source file -> its copy, relative to `root`.
    links: HashMap<(u64, u64), PathBuf>,
    /// The owner of a copy from the source's (uid, gid).
    owner: &'a dyn Fn(u32, u32) -> (u32, u32),
    /// An image layer: whiteouts, user xattrs and file capabilities are copied too.
    layer: bool,
}

impl Copier<'_> {
    fn copy_dir(&mut self, source: &OwnedFd, target: &OwnedFd, at: PathBuf) -> Result<()> {
        for (name, _) in entries(source)? {
            let meta = fstatat(source, name.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW)?;
            self.copy_entry(source, target, &name, &meta, at.join(&name))
                .with_context(|| format!("cannot copy {}", at.join(&name).display()))?;
        }
        Ok(())
    }

    fn copy_entry(
        &mut self,
        source: &OwnedFd,
        target: &OwnedFd,
        name: &OsStr,
        meta: &FileStat,
        at: PathBuf,
    ) -> Result<()> {
        match meta.st_mode & libc::S_IFMT {
            libc::S_IFDIR => {
                mkdirat(target, name, Mode::from_bits_truncate(0o700))?;
                let (from, to) = (open_dir(source, name)?, open_dir(target, name)?);
                self.copy_dir(&from, &to, at)?;
                self.copy_xattrs(&from, &to)?;
                self.apply_metadata(&to, meta)
            }
            libc::S_IFREG => self.copy_file(source, target, name, meta, at),
            libc::S_IFLNK => {
                let link = nix::fcntl::readlinkat(source, name)?;
                nix::unistd::symlinkat(link.as_os_str(), target, name)?;
                self.chown_at(target, name, meta)
            }
            libc::S_IFIFO => {
                nix::unistd::mkfifoat(target, name, Mode::from_bits_truncate(0o600))?;
                self.chown_and_set_mode_at(target, name, meta)
            }
            // A whiteout: the one device node a user namespace may make.
            libc::S_IFCHR if self.layer && meta.st_rdev == 0 => {
                nix::sys::stat::mknodat(
                    target,
                    name,
                    nix::sys::stat::SFlag::S_IFCHR,
                    Mode::from_bits_truncate(0o600),
                    0,
                )?;
                self.chown_and_set_mode_at(target, name, meta)
            }
            // Other device nodes cannot be made in a user namespace, sockets belong to a
            // process.
            _ => Ok(()),
        }
    }

    /// Owner, mode and times of a node made at `name` that cannot be opened for them.
    fn chown_and_set_mode_at(&self, dir: &OwnedFd, name: &OsStr, meta: &FileStat) -> Result<()> {
        let node = openat(
            dir,
            name,
            OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        self.chown_at(dir, name, meta)?;
        set_mode_and_times(&node, meta, true)
    }

    fn copy_file(
        &mut self,
        source: &OwnedFd,
        target: &OwnedFd,
        name: &OsStr,
        meta: &FileStat,
        at: PathBuf,
    ) -> Result<()> {
        let key = (meta.st_dev, meta.st_ino);
        if meta.st_nlink > 1 {
            if let Some(first) = self.links.get(&key) {
                nix::unistd::linkat(
                    &self.root,
                    first.as_os_str(),
                    target,
                    name,
                    AtFlags::empty(),
                )?;
                return Ok(());
            }
            self.links.insert(key, at);
        }
        let from = openat(
            source,
            name,
            OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        let to = openat(
            target,
            name,
            OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
            Mode::from_bits_truncate(0o600),
        )?;
        let (mut from, mut to) = (std::fs::File::from(from), std::fs::File::from(to));
        std::io::copy(&mut from, &mut to)?;
        let (from, to) = (OwnedFd::from(from), OwnedFd::from(to));
        self.apply_metadata(&to, meta)?;
        // After the chown, which drops a file capability.
        self.copy_xattrs(&from, &to)
    }

    /// Owner, then mode (a chown clears set-id bits), then times.
    fn apply_metadata(&self, fd: &OwnedFd, meta: &FileStat) -> Result<()> {
        let (uid, gid) = (self.owner)(meta.st_uid, meta.st_gid);
        nix::unistd::fchown(fd, Some(uid.into()), Some(gid.into()))?;
        set_mode_and_times(fd, meta, false)
    }

    fn chown_at(&self, dir: &OwnedFd, name: &OsStr, meta: &FileStat) -> Result<()> {
        let (uid, gid) = (self.owner)(meta.st_uid, meta.st_gid);
        nix::unistd::fchownat(
            dir,
            name,
            Some(uid.into()),
            Some(gid.into()),
            AtFlags::AT_SYMLINK_NOFOLLOW,
        )?;
        Ok(())
    }

    /// A layer's user xattrs (overlay's opaque marks) and file capability.
    fn copy_xattrs(&self, from: &OwnedFd, to: &OwnedFd) -> Result<()> {
        if !self.layer {
            return Ok(());
        }
        for name in crate::xattr::list(crate::xattr::Target::Fd(from.as_fd()))? {
            let kept = name.starts_with("user.") || name == "security.capability";
            let value = match crate::xattr::get(crate::xattr::Target::Fd(from.as_fd()), &name)? {
                Some(value) if kept => value,
                _ => continue,
            };
            let value = if name == "security.capability" {
                self.capability_for_owner(&value)
            } else {
                value
            };
            let cname = std::ffi::CString::new(name.as_str())?;
            crate::xattr::set(to.as_fd(), &cname, &value)
                .with_context(|| format!("cannot set the xattr {name}"))?;
        }
        Ok(())
    }

    /// A file capability as the kernel gives it (version 2 when its root is ours, version 3
    /// with the root's uid otherwise), as version 3 for the root the copy's owners imply.
    fn capability_for_owner(&self, value: &[u8]) -> Vec<u8> {
        const REVISION_3: u32 = 0x0300_0000;
        const EFFECTIVE: u32 = 0x1;
        let word = |i: usize| {
            value
                .get(i * 4..i * 4 + 4)
                .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        };
        let root = if value.len() >= 24 { word(5) } else { 0 };
        let (new_root, _) = (self.owner)(root, 0);
        let mut out = Vec::with_capacity(24);
        out.extend((REVISION_3 | (word(0) & EFFECTIVE)).to_le_bytes());
        for i in 1..5 {
            out.extend(word(i).to_le_bytes());
        }
        out.extend(new_root.to_le_bytes());
        out
    }
}

fn set_mode_and_times(fd: &OwnedFd, meta: &FileStat, path_only: bool) -> Result<()> {
    let times = [
        TimeSpec::new(meta.st_atime, meta.st_atime_nsec),
        TimeSpec::new(meta.st_mtime, meta.st_mtime_nsec),
    ];
    if path_only {
        // An O_PATH descriptor: change it through its /proc/self/fd name.
        let path = format!("/proc/self/fd/{}", fd.as_raw_fd());
        nix::sys::stat::fchmodat(
            nix::fcntl::AT_FDCWD,
            path.as_str(),
            Mode::from_bits_truncate(meta.st_mode & 0o7777),
            nix::sys::stat::FchmodatFlags::FollowSymlink,
        )?;
        nix::sys::stat::utimensat(
            nix::fcntl::AT_FDCWD,
            path.as_str(),
            &times[0],
            &times[1],
            nix::sys::stat::UtimensatFlags::FollowSymlink,
        )?;
        return Ok(());
    }
    nix::sys::stat::fchmod(fd, Mode::from_bits_truncate(meta.st_mode & 0o7777))?;
    nix::sys::stat::futimens(fd, &times[0], &times[1])?;
    Ok(())
}

//! Copy-up: a volume that is still empty when it is mounted where the image has files starts
//! with a copy of them (owners, modes, times, symlinks and hard links kept), as docker does.
//!
//! It runs in the container's first process before pivot_root: root in the container's user
//! namespace, so the copies belong to the image's users as the container sees them (and to the
//! matching subordinate ids on the host). Both trees are walked through descriptors, never
//! following a symlink, so an image cannot redirect the copy elsewhere.

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
    };
    copier.copy_dir(&source, &target, PathBuf::new())?;
    let meta = fstatat(&source, ".", AtFlags::empty())?;
    apply_metadata(&target, &meta)
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

struct Copier {
    /// The volume's root, for hard links to files copied earlier.
    root: OwnedFd,
    /// (device, inode) of a multiply linked source file -> its copy, relative to `root`.
    links: HashMap<(u64, u64), PathBuf>,
}

impl Copier {
    fn copy_dir(&mut self, source: &OwnedFd, target: &OwnedFd, at: PathBuf) -> Result<()> {
        for (name, _) in entries(source)? {
            let meta = fstatat(source, name.as_os_str(), AtFlags::AT_SYMLINK_NOFOLLOW)?;
            self.copy_entry(source, target, &name, &meta, at.join(&name))
                .with_context(|| {
                    format!("cannot copy {} into the volume", at.join(&name).display())
                })?;
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
                apply_metadata(&to, meta)
            }
            libc::S_IFREG => self.copy_file(source, target, name, meta, at),
            libc::S_IFLNK => {
                let link = nix::fcntl::readlinkat(source, name)?;
                nix::unistd::symlinkat(link.as_os_str(), target, name)?;
                chown_at(target, name, meta)
            }
            libc::S_IFIFO => {
                nix::unistd::mkfifoat(target, name, Mode::from_bits_truncate(0o600))?;
                let fifo = openat(
                    target,
                    name,
                    OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                    Mode::empty(),
                )?;
                chown_at(target, name, meta)?;
                set_mode_and_times(&fifo, meta, true)
            }
            // Device nodes cannot be made in a user namespace, sockets belong to a process.
            _ => Ok(()),
        }
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
        let to = OwnedFd::from(to);
        apply_metadata(&to, meta)
    }
}

/// Owner, then mode (a chown clears set-id bits), then times.
fn apply_metadata(fd: &OwnedFd, meta: &FileStat) -> Result<()> {
    nix::unistd::fchown(fd, Some(meta.st_uid.into()), Some(meta.st_gid.into()))?;
    set_mode_and_times(fd, meta, false)
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

fn chown_at(dir: &OwnedFd, name: &OsStr, meta: &FileStat) -> Result<()> {
    nix::unistd::fchownat(
        dir,
        name,
        Some(meta.st_uid.into()),
        Some(meta.st_gid.into()),
        AtFlags::AT_SYMLINK_NOFOLLOW,
    )?;
    Ok(())
}

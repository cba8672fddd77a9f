//! Mount primitives: fstab-style options, mount targets opened safely inside the container
//! root (an image's symlinks can never redirect a mount onto the host), and read-only
//! remounts that keep the flags the kernel locks in a user namespace.

use anyhow::{Context, Result};
use nix::mount::MsFlags;
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Component, Path};

/// Mount flags and the filesystem-specific data string from OCI mount options.
pub fn parse_options(options: &[String]) -> (MsFlags, String, bool) {
    let mut flags = MsFlags::empty();
    let mut data = Vec::new();
    let mut readonly = false;
    for option in options {
        match option.as_str() {
            "ro" => readonly = true,
            "rw" => readonly = false,
            "nosuid" => flags |= MsFlags::MS_NOSUID,
            "nodev" => flags |= MsFlags::MS_NODEV,
            "noexec" => flags |= MsFlags::MS_NOEXEC,
            "bind" => flags |= MsFlags::MS_BIND,
            "rbind" => flags |= MsFlags::MS_BIND | MsFlags::MS_REC,
            "relatime" => flags |= MsFlags::MS_RELATIME,
            "strictatime" => flags |= MsFlags::MS_STRICTATIME,
            "noatime" => flags |= MsFlags::MS_NOATIME,
            "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave" | "suid" | "dev"
            | "exec" => {}
            // skiff's own: fill an empty volume from the image (see `copy`), not a mount flag.
            "copyup" => {}
            other => data.push(other),
        }
    }
    (flags, data.join(","), readonly)
}

/// openat2 with the path resolved as if `root` were `/`.
fn open_in_root(root: RawFd, path: &Path, flags: i32) -> std::io::Result<OwnedFd> {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    let c = CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| std::io::ErrorKind::InvalidInput)?;
    let mut how: libc::open_how = unsafe { std::mem::zeroed() };
    how.flags = (flags | libc::O_CLOEXEC) as u64;
    how.resolve = libc::RESOLVE_IN_ROOT | libc::RESOLVE_NO_MAGICLINKS;
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat2,
            root,
            c.as_ptr(),
            &how as *const libc::open_how,
            std::mem::size_of::<libc::open_how>(),
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// The root directory opened, and `dest` as a path relative to it.
fn root_and_relative(root: &Path, dest: &Path) -> Result<(OwnedFd, std::path::PathBuf)> {
    let root_fd = nix::fcntl::open(
        root,
        nix::fcntl::OFlag::O_PATH | nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )?;
    let relative = dest
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect();
    Ok((root_fd, relative))
}

/// An O_PATH descriptor of `dest` inside `root` when it exists there.
pub fn existing_in_root(root: &Path, dest: &Path) -> Option<OwnedFd> {
    let (root_fd, relative) = root_and_relative(root, dest).ok()?;
    open_in_root(root_fd.as_raw_fd(), &relative, libc::O_PATH).ok()
}

/// Opens (creating when missing, as a directory or an empty file) the mount target `dest`
/// inside `root`, returning an O_PATH descriptor to mount onto via /proc/self/fd.
pub fn target_in_root(root: &Path, dest: &Path, as_dir: bool) -> Result<OwnedFd> {
    let (root_fd, relative) = root_and_relative(root, dest)?;
    match open_in_root(root_fd.as_raw_fd(), &relative, libc::O_PATH) {
        Ok(fd) => return Ok(fd),
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => {}
        Err(e) => {
            return Err(e).with_context(|| format!("cannot open mount point {}", dest.display()))
        }
    }
    let mut current = std::path::PathBuf::new();
    let parts: Vec<_> = relative.components().collect();
    for (i, part) in parts.iter().enumerate() {
        let parent = open_in_root(
            root_fd.as_raw_fd(),
            &current,
            libc::O_PATH | libc::O_DIRECTORY,
        )
        .with_context(|| format!("cannot open {}", current.display()))?;
        current.push(part);
        if open_in_root(root_fd.as_raw_fd(), &current, libc::O_PATH).is_ok() {
            continue;
        }
        let name = CString::new(part.as_os_str().as_encoded_bytes())?;
        let last = i + 1 == parts.len();
        let rc = if last && !as_dir {
            unsafe { libc::mknodat(parent.as_raw_fd(), name.as_ptr(), libc::S_IFREG | 0o644, 0) }
        } else {
            unsafe { libc::mkdirat(parent.as_raw_fd(), name.as_ptr(), 0o755) }
        };
        if rc != 0 && std::io::Error::last_os_error().raw_os_error() != Some(libc::EEXIST) {
            return Err(std::io::Error::last_os_error())
                .with_context(|| format!("cannot create mount point {}", dest.display()));
        }
    }
    open_in_root(root_fd.as_raw_fd(), &relative, libc::O_PATH)
        .with_context(|| format!("cannot open mount point {}", dest.display()))
}

fn fd_path(fd: &OwnedFd) -> String {
    format!("/proc/self/fd/{}", fd.as_raw_fd())
}

pub fn mount(
    source: Option<&str>,
    target: &str,
    fstype: Option<&str>,
    flags: MsFlags,
    data: &str,
) -> Result<()> {
    mount_shown(source, target, target, fstype, flags, data)
}

/// [`mount`] onto a descriptor from [`target_in_root`]; errors name `dest`, the path in the
/// container, rather than the descriptor's /proc/self/fd name.
pub fn mount_on(
    source: Option<&str>,
    target: &OwnedFd,
    dest: &Path,
    fstype: Option<&str>,
    flags: MsFlags,
    data: &str,
) -> Result<()> {
    let shown = dest.display().to_string();
    mount_shown(source, &fd_path(target), &shown, fstype, flags, data)
}

fn mount_shown(
    source: Option<&str>,
    target: &str,
    shown: &str,
    fstype: Option<&str>,
    flags: MsFlags,
    data: &str,
) -> Result<()> {
    let data = (!data.is_empty()).then_some(data);
    nix::mount::mount(source, target, fstype, flags, data).with_context(|| {
        format!(
            "cannot mount {} on {shown}",
            fstype.or(source).unwrap_or("?")
        )
    })
}

/// Makes a mount read-only (optionally with everything below it) without touching the
/// nosuid/nodev/noexec flags the kernel locks on mounts inherited into a user namespace.
pub fn make_readonly(target: &str, recursive: bool) -> Result<()> {
    set_readonly(target, recursive).with_context(|| format!("cannot make {target} read-only"))
}

/// [`make_readonly`] of the mount at a descriptor from [`target_in_root`], named `dest`.
pub fn make_readonly_on(target: &OwnedFd, dest: &Path, recursive: bool) -> Result<()> {
    set_readonly(&fd_path(target), recursive)
        .with_context(|| format!("cannot make {} read-only", dest.display()))
}

fn set_readonly(target: &str, recursive: bool) -> std::io::Result<()> {
    #[repr(C)]
    struct MountAttr {
        attr_set: u64,
        attr_clr: u64,
        propagation: u64,
        userns_fd: u64,
    }
    const MOUNT_ATTR_RDONLY: u64 = 0x1;
    let attr = MountAttr {
        attr_set: MOUNT_ATTR_RDONLY,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    let path = CString::new(target)?;
    let flags = if recursive { libc::AT_RECURSIVE } else { 0 };
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            path.as_ptr(),
            flags,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_split_into_flags_and_data() {
        let opts: Vec<String> = ["nosuid", "noexec", "ro", "mode=755", "size=65536k"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (flags, data, ro) = parse_options(&opts);
        assert!(flags.contains(MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC));
        assert_eq!(data, "mode=755,size=65536k");
        assert!(ro);
    }
}

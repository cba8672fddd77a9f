//! The container's root filesystem, built inside its mount namespace: the overlay of the
//! image's layers, the spec's mounts in order, a minimal /dev, pivot_root, then the masked
//! and read-only paths and, with `--read-only`, the root itself.

use super::copy;
use super::mounts::{self, target_in_root};
use super::Launch;
use anyhow::{anyhow, bail, Context, Result};
use nix::mount::{MntFlags, MsFlags};
use oci_spec::runtime::Mount;
use std::path::Path;

/// Device nodes every container gets, bound from the host (they cannot be created unprivileged).
const DEVICES: [&str; 6] = ["null", "zero", "full", "random", "urandom", "tty"];
const DEV_LINKS: [(&str, &str); 6] = [
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
    ("ptmx", "pts/ptmx"),
    ("core", "/proc/kcore"),
];

pub fn prepare(launch: &Launch) -> Result<()> {
    let spec = launch.spec;
    mounts::mount(None, "/", None, MsFlags::MS_REC | MsFlags::MS_PRIVATE, "")?;
    let root_spec = spec
        .root()
        .as_ref()
        .ok_or_else(|| anyhow!("the spec has no root"))?;
    let root = launch.bundle.join(root_spec.path());
    let all = spec.mounts().clone().unwrap_or_default();
    for m in &all {
        if m.destination() == Path::new("/") {
            mount_rootfs(&root, m, launch.layers_dir)?;
        } else {
            mount_entry(&root, m)?;
        }
    }
    if let Some(donor) = launch.shm_donor {
        mount_donor_shm(&root, donor)?;
    }
    populate_dev(&root)?;
    pivot(&root)?;
    let linux = spec.linux().as_ref();
    // Before /proc/sys is made read-only.
    for (key, value) in linux.and_then(|l| l.sysctl().clone()).unwrap_or_default() {
        write_sysctl(&key, &value)?;
    }
    for path in linux
        .and_then(|l| l.masked_paths().clone())
        .unwrap_or_default()
    {
        mask(&path)?;
    }
    for path in linux
        .and_then(|l| l.readonly_paths().clone())
        .unwrap_or_default()
    {
        if Path::new(&path).exists() {
            mounts::mount(
                Some(&path),
                &path,
                None,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                "",
            )?;
            mounts::make_readonly(&path, true)?;
        }
    }
    if root_spec.readonly() == Some(true) {
        mounts::make_readonly("/", false)?;
    }
    Ok(())
}

/// Sets `key` (`net.ipv4.ip_forward`) of the container's own namespaces.
fn write_sysctl(key: &str, value: &str) -> Result<()> {
    let path = Path::new("/proc/sys").join(key.replace('.', "/"));
    std::fs::write(&path, value).with_context(|| format!("cannot set sysctl {key}={value}"))
}

/// The overlay of the image layers. Lower directories are relative to the layer store, so
/// that images with many layers fit in the one page the mount options may take.
fn mount_rootfs(root: &Path, m: &Mount, layers_dir: &Path) -> Result<()> {
    let (flags, data, _) = mounts::parse_options(m.options().as_deref().unwrap_or_default());
    let previous = std::env::current_dir()?;
    std::env::set_current_dir(layers_dir).context("cannot enter the layer store")?;
    let result = mounts::mount(
        Some("overlay"),
        root.to_str().unwrap_or_default(),
        Some("overlay"),
        flags,
        &data,
    );
    let missing = result
        .is_err()
        .then(|| missing_lower(&data, layers_dir))
        .flatten();
    std::env::set_current_dir(previous)?;
    if let Some(layer) = missing {
        bail!("the image's layer sha256:{layer} is missing from the store (removed while the image was being stored?): remove the image and pull or load it again");
    }
    result.context("cannot mount the container's root filesystem (overlayfs in a user namespace needs Linux 5.11 or later)")
}

/// The first layer (its hex diff id) that the overlay options name and the store lacks.
fn missing_lower(data: &str, layers_dir: &Path) -> Option<String> {
    let lowers = data.split(',').find_map(|o| o.strip_prefix("lowerdir="))?;
    lowers
        .split(':')
        .filter_map(|l| l.strip_suffix("/diff"))
        .find(|layer| !layers_dir.join(layer).join("diff").is_dir())
        .map(String::from)
}

fn mount_entry(root: &Path, m: &Mount) -> Result<()> {
    let options = m.options().clone().unwrap_or_default();
    let (flags, data, readonly) = mounts::parse_options(&options);
    let copy_up = options.iter().any(|o| o == "copyup");
    let kind = m.typ().as_deref().unwrap_or("bind");
    let dest = m.destination();
    let is_bind = flags.contains(MsFlags::MS_BIND) || kind == "bind";
    let is_dir = if is_bind {
        let source = bind_source(m)?;
        std::fs::metadata(source)
            .with_context(|| format!("bind mount source {} is not accessible", source.display()))?
            .is_dir()
    } else {
        true
    };
    // Opened before the mount, this keeps naming what the image has there; a mount point the
    // image does not have holds nothing to copy.
    let image_dir = if copy_up {
        mounts::existing_in_root(root, dest)
    } else {
        None
    };
    let target = target_in_root(root, dest, is_dir)?;
    if is_bind {
        let source = bind_source(m)?;
        mounts::mount_on(
            source.to_str(),
            &target,
            dest,
            None,
            MsFlags::MS_BIND | (flags & MsFlags::MS_REC),
            "",
        )?;
    } else {
        // A volume is filled before it is made read-only.
        let flags = if readonly && image_dir.is_none() {
            flags | MsFlags::MS_RDONLY
        } else {
            flags
        };
        let source = m.source().as_ref().and_then(|s| s.to_str()).unwrap_or(kind);
        mounts::mount_on(Some(source), &target, dest, Some(kind), flags, &data)?;
    }
    if !(image_dir.is_some() || is_bind && readonly) {
        return Ok(());
    }
    let mounted = target_in_root(root, dest, is_dir)?;
    if let Some(image_dir) = &image_dir {
        copy::copy_up(image_dir, &mounted).with_context(|| {
            format!(
                "cannot copy the image's files at {} into the new volume",
                dest.display()
            )
        })?;
    }
    if readonly {
        mounts::make_readonly_on(&mounted, dest, flags.contains(MsFlags::MS_REC))?;
    }
    Ok(())
}

/// `--ipc container:NAME`: that container's own /dev/shm, the same tmpfs, as ours. It lives
/// in the donor's mount namespace, where a bind cannot reach from here: visit it (we are in
/// its user namespace, so we may), take a detached copy of the mount, come back, and attach
/// the copy.
fn mount_donor_shm(root: &Path, donor: std::os::fd::BorrowedFd) -> Result<()> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let own =
        std::fs::File::open("/proc/self/ns/mnt").context("cannot open our mount namespace")?;
    let cwd = std::env::current_dir()?;
    if unsafe { libc::setns(donor.as_raw_fd(), libc::CLONE_NEWNS) } != 0 {
        return Err(std::io::Error::last_os_error())
            .context("cannot enter the IPC donor's mount namespace");
    }
    let tree = unsafe {
        libc::syscall(
            libc::SYS_open_tree,
            libc::AT_FDCWD,
            c"/dev/shm".as_ptr(),
            libc::OPEN_TREE_CLONE | libc::OPEN_TREE_CLOEXEC | libc::AT_RECURSIVE as u32,
        )
    };
    let copied = std::io::Error::last_os_error();
    if unsafe { libc::setns(own.as_raw_fd(), libc::CLONE_NEWNS) } != 0 {
        return Err(std::io::Error::last_os_error())
            .context("cannot return from the IPC donor's mount namespace");
    }
    std::env::set_current_dir(cwd)?;
    if tree < 0 {
        return Err(copied).context("cannot take the IPC donor's /dev/shm");
    }
    // SAFETY: the kernel just gave us this descriptor.
    let tree = unsafe { OwnedFd::from_raw_fd(tree as i32) };
    let target = target_in_root(root, Path::new("/dev/shm"), true)?;
    let rc = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            tree.as_raw_fd(),
            c"".as_ptr(),
            target.as_raw_fd(),
            c"".as_ptr(),
            libc::MOVE_MOUNT_F_EMPTY_PATH | libc::MOVE_MOUNT_T_EMPTY_PATH,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error())
            .context("cannot mount the IPC donor's /dev/shm");
    }
    Ok(())
}

fn bind_source(m: &Mount) -> Result<&Path> {
    m.source()
        .as_deref()
        .ok_or_else(|| anyhow!("bind mount of {} has no source", m.destination().display()))
}

fn populate_dev(root: &Path) -> Result<()> {
    for name in DEVICES {
        let host = format!("/dev/{name}");
        let dest = Path::new(&host);
        if !dest.exists() {
            continue;
        }
        let target = target_in_root(root, dest, false)?;
        mounts::mount_on(Some(&host), &target, dest, None, MsFlags::MS_BIND, "")?;
    }
    // Through a descriptor of the container's /dev, never a host path an image could redirect.
    let dev = target_in_root(root, Path::new("/dev"), true)?;
    let dev = nix::fcntl::openat(
        &dev,
        ".",
        nix::fcntl::OFlag::O_DIRECTORY | nix::fcntl::OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )?;
    for (name, link) in DEV_LINKS {
        match nix::unistd::symlinkat(link, &dev, name) {
            Ok(()) | Err(nix::errno::Errno::EEXIST) => {}
            Err(e) => return Err(e).with_context(|| format!("cannot create /dev/{name}")),
        }
    }
    Ok(())
}

fn pivot(root: &Path) -> Result<()> {
    nix::unistd::chdir(root).context("cannot enter the root filesystem")?;
    nix::unistd::pivot_root(".", ".").context("pivot_root failed")?;
    nix::mount::umount2(".", MntFlags::MNT_DETACH).context("cannot detach the old root")?;
    nix::unistd::chdir("/")?;
    Ok(())
}

/// Hides a path: directories under an empty read-only tmpfs, files under /dev/null.
fn mask(path: &str) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => {
            mounts::mount(Some("tmpfs"), path, Some("tmpfs"), MsFlags::MS_RDONLY, "")
        }
        Ok(_) => mounts::mount(Some("/dev/null"), path, None, MsFlags::MS_BIND, ""),
        Err(_) => Ok(()),
    }
}

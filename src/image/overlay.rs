//! Image layers seen as one tree, the way the kernel's overlay shows them to a container:
//! mounted (in a helper with a mount namespace of its own, see
//! [`crate::runtime::userns::run_in_mount_ns`]) to look into a snapshot or change it, or
//! looked up file by file without mounting.

use crate::store::{hex_of, Store};
use anyhow::{Context, Result};
use nix::mount::MsFlags;
use std::fs::Metadata;
use std::path::{Component, Path, PathBuf};

/// The lower directories of an image's layers, top first, relative to `layers/`.
pub fn lower_dirs(diff_ids: &[String]) -> Vec<String> {
    diff_ids
        .iter()
        .rev()
        .map(|d| format!("{}/diff", hex_of(d)))
        .collect()
}

/// What to mount: `lowers` (top first, relative to `layers/` or absolute) and, to make the
/// tree writable, an upper and a work directory.
pub struct Overlay<'a> {
    pub lowers: Vec<String>,
    pub upper: Option<(&'a Path, &'a Path)>,
    /// An empty directory: the bottom layer when there is no other (FROM scratch), or the
    /// second lower a read-only overlay needs.
    pub empty: &'a Path,
}

impl Overlay<'_> {
    /// Mounts the overlay at `target`. Only in a mount namespace of our own.
    pub fn mount(&self, store: &Store, target: &Path) -> Result<()> {
        let mut lowers = self.lowers.clone();
        if lowers.is_empty() || self.upper.is_none() {
            lowers.push(self.empty.display().to_string());
        }
        let mut data = format!("lowerdir={}", lowers.join(":"));
        if let Some((upper, work)) = self.upper {
            data.push_str(&format!(
                ",upperdir={},workdir={}",
                upper.display(),
                work.display()
            ));
        }
        data.push_str(",userxattr");
        // Lower directories are relative to the layer store: many layers must fit in the
        // one page mount options may take.
        std::env::set_current_dir(store.layers()).context("cannot enter the layer store")?;
        let flags = if self.upper.is_some() {
            MsFlags::empty()
        } else {
            MsFlags::MS_RDONLY
        };
        nix::mount::mount(
            Some("overlay"),
            target,
            Some("overlay"),
            flags,
            Some(&*data),
        )
        .with_context(|| format!("cannot mount the image's layers on {}", target.display()))
    }
}

/// Unmounts what [`Overlay::mount`] mounted, so that its upper directory may be read as is.
pub fn unmount(target: &Path) -> Result<()> {
    nix::mount::umount(target).with_context(|| format!("cannot unmount {}", target.display()))
}

/// The file at `path` (absolute or relative to the root) in the tree that `layers` (top
/// first) make, as the overlay would find it: a whiteout or an opaque directory above hides
/// what the layers below have. Symlinks are not followed.
pub fn lookup(layers: &[PathBuf], path: &Path) -> Option<Metadata> {
    let parts: Vec<&std::ffi::OsStr> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        return layers.first().and_then(|l| l.symlink_metadata().ok());
    }
    for layer in layers {
        let mut hidden_below = false;
        let mut dir = layer.clone();
        for (i, part) in parts.iter().enumerate() {
            dir.push(part);
            let last = i + 1 == parts.len();
            match dir.symlink_metadata() {
                Ok(meta) if super::tarball::is_whiteout(&meta) => return None,
                Ok(meta) if last => return Some(meta),
                // Something that is not a directory hides the rest of the path.
                Ok(meta) if !meta.is_dir() => return None,
                Ok(_) => hidden_below |= super::tarball::has_opaque_marker(&dir),
                Err(_) => break,
            }
        }
        if hidden_below {
            return None;
        }
    }
    None
}

/// The directories of an image's layers, top first, for [`lookup`].
pub fn layer_paths(store: &Store, diff_ids: &[String]) -> Vec<PathBuf> {
    diff_ids
        .iter()
        .rev()
        .map(|d| store.layer(d).join("diff"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn lookup_sees_whiteouts_and_opaque_dirs() {
        let base = std::env::temp_dir().join(format!("skiff-overlay-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let (top, bottom) = (base.join("top"), base.join("bottom"));
        fs::create_dir_all(bottom.join("etc/conf.d")).unwrap();
        fs::write(bottom.join("etc/passwd"), "x").unwrap();
        fs::write(bottom.join("etc/conf.d/a"), "x").unwrap();
        fs::create_dir_all(top.join("etc")).unwrap();
        fs::write(top.join("etc/new"), "y").unwrap();
        let layers = vec![top.clone(), bottom.clone()];
        assert!(lookup(&layers, Path::new("/etc/passwd")).is_some());
        assert!(lookup(&layers, Path::new("etc/new")).is_some());
        assert!(lookup(&layers, Path::new("/etc/conf.d/a")).is_some());
        assert!(lookup(&layers, Path::new("/missing")).is_none());
        // A file where a directory was hides everything under it.
        fs::write(top.join("etc/conf.d"), "").unwrap();
        assert!(lookup(&layers, Path::new("/etc/conf.d/a")).is_none());
        fs::remove_dir_all(&base).unwrap();
    }
}

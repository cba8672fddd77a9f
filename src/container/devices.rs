//! `--device HOST[:CONTAINER][:PERMISSIONS]`: a host device node inside the container. The
//! node is bind-mounted from the host, as rootless podman does: creating one needs
//! privileges a rootless user lacks. What the container may do with it is what the host's
//! node allows its user; as root with `--device-cgroup-rule`, the container's device
//! cgroup also narrows it to the permissions given (see `resources`).

use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub host: PathBuf,
    pub container: PathBuf,
    /// Docker's cgroup permissions: some of `r`, `w`, `m`.
    pub permissions: String,
}

impl Device {
    pub fn parse(text: &str) -> Result<Device> {
        let parts: Vec<&str> = text.split(':').collect();
        let is_permissions =
            |p: &str| !p.is_empty() && p.chars().all(|c| matches!(c, 'r' | 'w' | 'm'));
        let (host, container, permissions) = match parts.as_slice() {
            [host] => (*host, *host, "rwm"),
            [host, p] if is_permissions(p) => (*host, *host, *p),
            [host, container] => (*host, *container, "rwm"),
            [host, container, p] if is_permissions(p) => (*host, *container, *p),
            _ => bail!("invalid device specification: {text}"),
        };
        if !container.starts_with('/') {
            bail!("invalid device specification: {text}: the container path must be absolute");
        }
        let device = Device {
            host: PathBuf::from(host),
            container: PathBuf::from(container),
            permissions: permissions.to_string(),
        };
        device.check_host()?;
        Ok(device)
    }

    /// The host path must be a device node, as docker requires.
    fn check_host(&self) -> Result<()> {
        let gathering = |reason: String| {
            anyhow::anyhow!(
                "error gathering device information while adding custom device {:?}: {reason}",
                self.host
            )
        };
        let kind = std::fs::metadata(&self.host)
            .map_err(|e| gathering(e.to_string()))?
            .file_type();
        if !(kind.is_char_device() || kind.is_block_device()) {
            return Err(gathering("not a device node".into()));
        }
        Ok(())
    }

    pub fn container_path(&self) -> &Path {
        &self.container
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_forms() {
        let d = Device::parse("/dev/null").unwrap();
        assert_eq!(
            (d.container.as_path(), d.permissions.as_str()),
            (Path::new("/dev/null"), "rwm")
        );
        let d = Device::parse("/dev/null:/dev/nothing:r").unwrap();
        assert_eq!(d.container, PathBuf::from("/dev/nothing"));
        assert_eq!(d.permissions, "r");
        assert_eq!(
            Device::parse("/dev/null:rw").unwrap().container,
            PathBuf::from("/dev/null")
        );
        assert!(Device::parse("/nonexistent")
            .unwrap_err()
            .to_string()
            .contains("error gathering device information"));
        assert!(Device::parse("/etc/passwd").is_err());
        assert!(Device::parse("/dev/null:relative").is_err());
        assert!(Device::parse("/dev/null:/dev/x:rwx").is_err());
    }
}

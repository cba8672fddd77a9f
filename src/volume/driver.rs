//! The `local` driver's options (`volume create --opt`, `--mount volume-opt=`): `type`,
//! `device` and `o`, read as docker's local driver reads them. Rootless, skiff can honour two
//! of the mounts they describe: a tmpfs (`type=tmpfs`), mounted fresh in each container that
//! uses the volume, and a host directory (`type=none,o=bind,device=/path`).

use anyhow::{bail, Result};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// How a volume's data reaches a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backing {
    /// The volume's own `_data` directory.
    Directory,
    /// A new tmpfs in each container, with these mount options (from `o`).
    Tmpfs(Vec<String>),
    /// A host directory (`device`), bound in.
    HostDir(PathBuf),
}

pub fn backing(options: &BTreeMap<String, String>) -> Result<Backing> {
    for key in options.keys() {
        if !matches!(key.as_str(), "type" | "device" | "o") {
            bail!("invalid option key: {key:?} (the local driver knows type, device and o)");
        }
    }
    let get = |k: &str| options.get(k).map(String::as_str).unwrap_or_default();
    let mount_options: Vec<String> = get("o")
        .split(',')
        .filter(|o| !o.is_empty())
        .map(String::from)
        .collect();
    match get("type") {
        "" if options.is_empty() => Ok(Backing::Directory),
        "" if get("device").is_empty() => {
            bail!("the o option needs a type and a device (e.g. --opt type=tmpfs --opt device=tmpfs --opt o=size=64m)")
        }
        "tmpfs" => Ok(Backing::Tmpfs(mount_options)),
        "none" | "" if mount_options.iter().any(|o| o == "bind" || o == "rbind") => {
            let device = get("device");
            if !device.starts_with('/') {
                bail!("a bind volume needs an absolute host path as its device, got {device:?}");
            }
            Ok(Backing::HostDir(PathBuf::from(device)))
        }
        other => bail!(
            "skiff cannot mount volumes of type {other:?} without root: it mounts tmpfs volumes \
             (--opt type=tmpfs --opt device=tmpfs --opt o=size=64m) and host directories \
             (--opt type=none --opt o=bind --opt device=/path)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn backings() {
        assert_eq!(backing(&opts(&[])).unwrap(), Backing::Directory);
        assert_eq!(
            backing(&opts(&[
                ("type", "tmpfs"),
                ("device", "tmpfs"),
                ("o", "size=64m,uid=1000")
            ]))
            .unwrap(),
            Backing::Tmpfs(vec!["size=64m".into(), "uid=1000".into()])
        );
        assert_eq!(
            backing(&opts(&[
                ("type", "none"),
                ("o", "bind"),
                ("device", "/srv/x")
            ]))
            .unwrap(),
            Backing::HostDir("/srv/x".into())
        );
        assert!(backing(&opts(&[("type", "nfs"), ("device", ":/x")])).is_err());
        assert!(backing(&opts(&[("size", "1g")])).is_err());
        assert!(backing(&opts(&[("type", "none"), ("o", "bind"), ("device", "rel")])).is_err());
    }
}

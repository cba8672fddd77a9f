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

/// Refuses every driver but `local` (an empty name is `local`).
pub fn check_name(driver: &str) -> Result<()> {
    if !matches!(driver, "" | "local") {
        bail!("volume driver {driver:?} is not available: skiff has only the local driver");
    }
    Ok(())
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
        "tmpfs" => {
            mount_options
                .iter()
                .try_for_each(|o| check_tmpfs_option(o))?;
            Ok(Backing::Tmpfs(mount_options))
        }
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

/// The tmpfs options whose values the kernel parses, checked when the volume is created
/// rather than at the first container's mount: `size` and `nr_blocks`/`nr_inodes` (a number
/// with an optional k, m, g, t, p or e suffix; `size` also a percentage of memory), `mode`
/// (octal), `uid` and `gid` (numbers). Other options are left for the kernel to judge.
fn check_tmpfs_option(option: &str) -> Result<()> {
    let Some((key, value)) = option.split_once('=') else {
        return Ok(());
    };
    let valid = match key {
        "size" => value
            .strip_suffix('%')
            .map_or_else(|| is_memory_size(value), is_decimal),
        "nr_blocks" | "nr_inodes" => is_memory_size(value),
        "mode" => !value.is_empty() && value.bytes().all(|b| (b'0'..=b'7').contains(&b)),
        "uid" | "gid" => is_decimal(value) && value.parse::<u32>().is_ok(),
        _ => true,
    };
    if !valid {
        bail!("invalid tmpfs option {option:?} in o: {}", tmpfs_hint(key));
    }
    Ok(())
}

fn is_decimal(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn is_memory_size(text: &str) -> bool {
    let number = text
        .strip_suffix(|c: char| "kKmMgGtTpPeE".contains(c))
        .unwrap_or(text);
    is_decimal(number)
}

fn tmpfs_hint(key: &str) -> &'static str {
    match key {
        "size" => "give bytes with an optional k, m, g, t, p or e suffix, or a percentage of memory (size=64m, size=10%)",
        "mode" => "give octal permission bits (mode=1777)",
        "uid" | "gid" => "give a numeric id",
        _ => "give a number with an optional k, m, g, t, p or e suffix",
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
        let tmpfs = |o: &str| backing(&opts(&[("type", "tmpfs"), ("device", "tmpfs"), ("o", o)]));
        for good in [
            "size=64m",
            "size=10%",
            "size=1024,mode=1777,uid=1000",
            "nr_inodes=1k,noexec",
        ] {
            assert!(tmpfs(good).is_ok(), "{good}");
        }
        for bad in [
            "size=abc",
            "size=1.5g",
            "size=64MB",
            "mode=999",
            "uid=x",
            "nr_blocks=-1",
        ] {
            assert!(tmpfs(bad).is_err(), "{bad}");
        }
        assert!(backing(&opts(&[("type", "none"), ("o", "bind"), ("device", "rel")])).is_err());
    }
}

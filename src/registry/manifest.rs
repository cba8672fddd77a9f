//! Manifests as registries serve them: Docker schema 2 and OCI image manifests, and manifest
//! lists / OCI indexes from which the platform's image is chosen.

use anyhow::{anyhow, bail, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

/// What a manifest request accepts, most preferred first.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

/// The most a manifest may be: real ones are a few kilobytes, a huge one is an attack.
pub const MAX_MANIFEST: u64 = 4 << 20;

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<Vec<String>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl Platform {
    /// The host's platform as images name it (`linux/amd64`, `linux/arm64/v8`).
    pub fn host() -> Platform {
        let architecture = crate::image::config::host_architecture().to_string();
        let variant = match architecture.as_str() {
            "arm64" => Some("v8".to_string()),
            "arm" => Some("v7".to_string()),
            _ => None,
        };
        Platform {
            os: "linux".into(),
            architecture,
            variant,
        }
    }

    /// Parses `os/arch[/variant]` (as `--platform` takes it).
    pub fn parse(text: &str) -> Result<Platform> {
        let parts: Vec<&str> = text.split('/').collect();
        let valid = |p: &&str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        };
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(valid) {
            bail!("invalid platform {text:?}: expected os/arch[/variant], e.g. linux/arm64");
        }
        Ok(Platform {
            os: parts[0].to_ascii_lowercase(),
            architecture: normalise_arch(parts[1]),
            variant: parts.get(2).map(|v| v.to_ascii_lowercase()),
        })
    }

    /// Whether an index entry for `candidate` serves this platform: the variant must match
    /// when both name one (arm64's implied `v8` matches an entry without a variant).
    pub fn accepts(&self, candidate: &Platform) -> bool {
        let variant_ok = match (&self.variant, &candidate.variant) {
            (Some(want), Some(have)) => want == have,
            (Some(want), None) => self.architecture == "arm64" && want == "v8",
            (None, _) => true,
        };
        self.os == candidate.os
            && self.architecture == normalise_arch(&candidate.architecture)
            && variant_ok
    }
}

impl Platform {
    /// The platform an image's config names.
    pub fn of_image(config: &crate::image::config::ImageConfig) -> Platform {
        Platform {
            os: config.os.clone(),
            architecture: normalise_arch(&config.architecture),
            variant: config.variant.clone(),
        }
    }

    /// Refuses a platform whose programs this machine cannot execute: another OS, or
    /// another architecture without an emulator registered with binfmt_misc (as
    /// qemu-user-binfmt registers `qemu-aarch64`).
    pub fn check_runs_here(&self) -> Result<()> {
        let host = Platform::host();
        if self.os == host.os && self.architecture == host.architecture {
            return Ok(());
        }
        if self.os == host.os && emulated(&self.architecture) {
            return Ok(());
        }
        bail!(
            "image platform {self} cannot run on this {} host: no emulator for it is registered \
             with binfmt_misc (on Debian, install qemu-user-binfmt); pull it with `skiff pull \
             --platform {self}` to store or push it",
            Platform {
                variant: None,
                ..host
            }
        )
    }
}

/// Whether binfmt_misc has an enabled emulator for `architecture` (GOARCH names).
fn emulated(architecture: &str) -> bool {
    let qemu = match architecture {
        "amd64" => "x86_64",
        "arm64" => "aarch64",
        "386" => "i386",
        "mips64le" => "mips64el",
        other => other,
    };
    std::fs::read_to_string(format!("/proc/sys/fs/binfmt_misc/qemu-{qemu}"))
        .is_ok_and(|entry| entry.lines().next() == Some("enabled"))
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

fn normalise_arch(arch: &str) -> String {
    match arch.to_ascii_lowercase().as_str() {
        "x86_64" | "x86-64" => "amd64".into(),
        "aarch64" => "arm64".into(),
        other => other.to_string(),
    }
}

/// An image manifest: a config and layers.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub media_type: String,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// A manifest list or OCI index.
#[derive(Deserialize, Clone, Debug)]
pub struct Index {
    pub manifests: Vec<Descriptor>,
}

#[derive(Debug)]
pub enum Manifest {
    Image(Box<ImageManifest>),
    Index(Index),
}

impl Manifest {
    /// Parses a manifest by the media type the registry gave (or, when it gave none
    /// useful, by the manifest's own `mediaType` and shape).
    pub fn parse(bytes: &[u8], content_type: &str) -> Result<Manifest> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| anyhow!("the manifest is not valid JSON ({e})"))?;
        let declared = value
            .get("mediaType")
            .and_then(|m| m.as_str())
            .unwrap_or_default();
        let media_type = match content_type.split(';').next().unwrap_or_default().trim() {
            t @ (DOCKER_MANIFEST | DOCKER_LIST | OCI_MANIFEST | OCI_INDEX) => t,
            _ => declared,
        };
        if value.get("schemaVersion").and_then(|v| v.as_u64()) == Some(1) {
            bail!("the image uses the obsolete Docker schema 1 manifest format, which skiff does not support");
        }
        let is_index = matches!(media_type, DOCKER_LIST | OCI_INDEX)
            || (media_type.is_empty() && value.get("manifests").is_some());
        let invalid = |e: serde_json::Error| anyhow!("invalid manifest: {e}");
        if is_index {
            Ok(Manifest::Index(
                serde_json::from_value(value).map_err(invalid)?,
            ))
        } else {
            let manifest: ImageManifest = serde_json::from_value(value).map_err(invalid)?;
            for descriptor in std::iter::once(&manifest.config).chain(&manifest.layers) {
                check_digest(&descriptor.digest)?;
            }
            Ok(Manifest::Image(Box::new(manifest)))
        }
    }
}

impl Index {
    /// The entry for `platform`, or an error naming the platforms the index has.
    pub fn choose(&self, platform: &Platform) -> Result<&Descriptor> {
        let found = self
            .manifests
            .iter()
            .filter(|d| d.platform.as_ref().is_some_and(|p| platform.accepts(p)))
            // An exact variant match beats an entry that merely does not name one.
            .max_by_key(|d| {
                d.platform.as_ref().and_then(|p| p.variant.as_ref()) == platform.variant.as_ref()
            });
        match found {
            Some(descriptor) => {
                check_digest(&descriptor.digest)?;
                Ok(descriptor)
            }
            None => {
                let available: Vec<String> = self
                    .manifests
                    .iter()
                    .filter_map(|d| d.platform.as_ref())
                    .map(|p| p.to_string())
                    .collect();
                bail!(
                    "no matching manifest for {platform} in the manifest list entries (it has: {})",
                    available.join(", ")
                )
            }
        }
    }
}

/// Only sha256 digests are accepted: they are what the store names blobs by.
pub fn check_digest(digest: &str) -> Result<()> {
    match digest.split_once(':') {
        Some(("sha256", hex))
            if hex.len() == 64
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) =>
        {
            Ok(())
        }
        _ => bail!("unsupported or invalid digest {digest:?} in the manifest"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(platform: &str) -> serde_json::Value {
        let p = Platform::parse(platform).unwrap();
        serde_json::json!({"mediaType": OCI_MANIFEST, "digest": format!("sha256:{}", format!("{:0>64}", platform.len())), "size": 1, "platform": p})
    }

    #[test]
    fn chooses_the_platform() {
        let index = serde_json::json!({"schemaVersion": 2, "manifests": [entry("linux/amd64"), entry("linux/arm/v7"), entry("linux/arm64/v8"), entry("windows/amd64")]});
        let Manifest::Index(index) =
            Manifest::parse(index.to_string().as_bytes(), OCI_INDEX).unwrap()
        else {
            panic!()
        };
        let choose = |p: &str| {
            index
                .choose(&Platform::parse(p).unwrap())
                .map(|d| d.platform.clone().unwrap().to_string())
        };
        assert_eq!(choose("linux/amd64").unwrap(), "linux/amd64");
        assert_eq!(choose("linux/arm64").unwrap(), "linux/arm64/v8");
        assert_eq!(choose("linux/arm/v7").unwrap(), "linux/arm/v7");
        let err = choose("linux/s390x").unwrap_err().to_string();
        assert!(
            err.contains("no matching manifest for linux/s390x"),
            "{err}"
        );
    }

    #[test]
    fn refuses_bad_manifests() {
        assert!(Manifest::parse(b"<html>", DOCKER_MANIFEST)
            .unwrap_err()
            .to_string()
            .contains("not valid JSON"));
        let v1 = br#"{"schemaVersion": 1, "name": "x", "fsLayers": []}"#;
        assert!(Manifest::parse(v1, "")
            .unwrap_err()
            .to_string()
            .contains("schema 1"));
        let bad_digest =
            br#"{"schemaVersion": 2, "config": {"digest": "md5:00", "size": 1}, "layers": []}"#;
        assert!(Manifest::parse(bad_digest, OCI_MANIFEST).is_err());
        assert!(Platform::parse("linux").is_err());
        assert_eq!(
            Platform::parse("linux/x86_64").unwrap().to_string(),
            "linux/amd64"
        );
    }
}

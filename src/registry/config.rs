//! The per-user registry settings: `$XDG_CONFIG_HOME/skiff/config.json` (default
//! `~/.config/skiff/config.json`), with docker's `daemon.json` keys:
//!
//! ```json
//! {
//!   "registry-mirrors": ["https://mirror.example.com"],
//!   "insecure-registries": ["registry.lan:5000", "10.1.0.0/16"],
//!   "mirrors": {"quay.io": ["https://quay-mirror.example.com"]}
//! }
//! ```
//!
//! `registry-mirrors` serve docker.io, `mirrors` any registry (a skiff extension); mirrors are
//! tried in order, then the registry itself. CA certificates for a registry are read from
//! `certs.d/<host[:port]>/*.crt` in docker's `/etc/docker/certs.d`, in
//! `/etc/containers/certs.d`, and in the per-user `~/.config/skiff/certs.d`.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

#[derive(Deserialize, Default, Debug, Clone)]
pub struct Settings {
    #[serde(default, rename = "registry-mirrors")]
    pub registry_mirrors: Vec<String>,
    #[serde(default, rename = "insecure-registries")]
    pub insecure_registries: Vec<String>,
    #[serde(default)]
    pub mirrors: BTreeMap<String, Vec<String>>,
    /// `--tls-verify=false` on the command line: any registry may use plain HTTP or an
    /// unverified certificate.
    #[serde(skip)]
    pub no_tls_verify: bool,
}

/// skiff's per-user configuration directory.
pub fn config_dir() -> PathBuf {
    match std::env::var_os("XDG_CONFIG_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("skiff"),
        _ => crate::store::home_dir().join(".config/skiff"),
    }
}

impl Settings {
    /// Reads the user's settings; a missing file means the defaults.
    pub fn load() -> Result<Settings> {
        let path = config_dir().join("config.json");
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("invalid settings file {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// The mirrors to try before `domain` itself, as base URLs without a trailing slash.
    pub fn mirrors_for(&self, domain: &str) -> Vec<String> {
        let mut out: Vec<String> = self.mirrors.get(domain).cloned().unwrap_or_default();
        if domain == crate::image::reference::DEFAULT_DOMAIN {
            out.extend(self.registry_mirrors.iter().cloned());
        }
        out.into_iter()
            .map(|m| m.trim_end_matches('/').to_string())
            .collect()
    }

    /// Whether `host` (`name[:port]`) may be reached over plain HTTP or with an unverified
    /// certificate: listed as insecure (by name or by CIDR), or `--tls-verify=false`.
    pub fn is_insecure(&self, host: &str) -> bool {
        self.no_tls_verify
            || self
                .insecure_registries
                .iter()
                .any(|entry| insecure_entry_matches(entry, host))
    }

    /// The directories that may hold CA certificates for `host`, in docker's layout.
    pub fn certs_dirs(&self, host: &str) -> Vec<PathBuf> {
        let name = host.replace(['/', '\0'], "_");
        [
            PathBuf::from("/etc/docker/certs.d"),
            PathBuf::from("/etc/containers/certs.d"),
            config_dir().join("certs.d"),
        ]
        .into_iter()
        .map(|base| base.join(&name))
        .filter(|dir| dir.is_dir())
        .collect()
    }
}

/// Whether `entry` (`host[:port]` or a CIDR range) covers `host`.
pub fn insecure_entry_matches(entry: &str, host: &str) -> bool {
    let entry = entry
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .trim_end_matches('/');
    if entry == host {
        return true;
    }
    match (entry.split_once('/'), host_ip(host)) {
        (Some((net, bits)), Some(ip)) => cidr_contains(net, bits, ip),
        _ => false,
    }
}

/// The IP address in `host[:port]`, when it is one.
fn host_ip(host: &str) -> Option<IpAddr> {
    let name = split_host(host).0;
    name.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// (`name`, `port`) of `host[:port]`, with IPv6 literals in brackets.
pub fn split_host(host: &str) -> (&str, Option<&str>) {
    if let Some(rest) = host.strip_prefix('[') {
        if let Some(end) = rest.find(']') {
            let port = rest[end + 1..].strip_prefix(':');
            return (&host[..end + 2], port);
        }
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') => (name, Some(port)),
        _ => (host, None),
    }
}

fn cidr_contains(net: &str, bits: &str, ip: IpAddr) -> bool {
    let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(net), IpAddr::V4(ip)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            u32::from(net) & mask == u32::from(ip) & mask
        }
        (IpAddr::V6(net), IpAddr::V6(ip)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            u128::from(net) & mask == u128::from(ip) & mask
        }
        _ => false,
    }
}

/// Loopback registries (`localhost`, 127.0.0.0/8, ::1) may use plain HTTP, as docker allows.
pub fn is_loopback(host: &str) -> bool {
    let name = split_host(host).0;
    name == "localhost"
        || name.ends_with(".localhost")
        || host_ip(host).is_some_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "localhost:5000",
            "127.0.0.1:5000",
            "127.1.2.3",
            "[::1]:5000",
            "::1",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "example.com",
            "10.0.0.1:5000",
            "[fe80::1]:5000",
            "localhost.example.com",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn insecure_by_name_or_network() {
        let settings = Settings {
            insecure_registries: vec!["registry.lan:5000".into(), "10.1.0.0/16".into()],
            ..Default::default()
        };
        assert!(settings.is_insecure("registry.lan:5000"));
        assert!(!settings.is_insecure("registry.lan"));
        assert!(settings.is_insecure("10.1.200.3:443"));
        assert!(!settings.is_insecure("10.2.0.1"));
        assert!(Settings {
            no_tls_verify: true,
            ..Default::default()
        }
        .is_insecure("example.com"));
    }

    #[test]
    fn mirrors_of_docker_hub_and_others() {
        let settings: Settings = serde_json::from_str(r#"{"registry-mirrors": ["https://m1/"], "mirrors": {"quay.io": ["http://m2"], "docker.io": ["http://m0"]}}"#).unwrap();
        assert_eq!(
            settings.mirrors_for("docker.io"),
            ["http://m0", "https://m1"]
        );
        assert_eq!(settings.mirrors_for("quay.io"), ["http://m2"]);
        assert!(settings.mirrors_for("ghcr.io").is_empty());
    }
}

//! TLS settings for one registry: the system's CA bundle plus the registry's own CA
//! certificates from `certs.d/<host[:port]>/*.crt`, a client certificate from
//! `*.cert` + `*.key` there (docker's layout), and no verification at all for insecure
//! registries.

use super::config::Settings;
use anyhow::{anyhow, Context, Result};
use std::path::Path;
use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

/// Where Debian, Fedora, Alpine and others keep the system's CA bundle.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/cert.pem",
];

pub fn config_for(host: &str, settings: &Settings, insecure: bool) -> Result<TlsConfig> {
    let dirs = settings.certs_dirs(host);
    let mut roots = Vec::new();
    let mut client = None;
    for dir in &dirs {
        let mut entries: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in &entries {
            match path.extension().and_then(|e| e.to_str()) {
                Some("crt") => roots.extend(read_certificates(path)?),
                Some("cert") if client.is_none() => client = Some(read_client_cert(path)?),
                _ => {}
            }
        }
    }
    let mut builder = TlsConfig::builder()
        .client_cert(client)
        .disable_verification(insecure);
    if !roots.is_empty() {
        roots.extend(system_roots()?);
        builder = builder.root_certs(RootCerts::new_with_certs(&roots));
    } else if let Some(system) = system_roots().ok().filter(|r| !r.is_empty()) {
        builder = builder.root_certs(RootCerts::new_with_certs(&system));
    }
    Ok(builder.build())
}

fn system_roots() -> Result<Vec<Certificate<'static>>> {
    for bundle in SYSTEM_BUNDLES {
        let path = Path::new(bundle);
        if path.is_file() {
            return read_certificates(path);
        }
    }
    Ok(Vec::new())
}

fn read_certificates(path: &Path) -> Result<Vec<Certificate<'static>>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out = Vec::new();
    for item in ureq::tls::parse_pem(&bytes) {
        if let PemItem::Certificate(cert) =
            item.map_err(|e| anyhow!("invalid certificate file {}: {e}", path.display()))?
        {
            out.push(cert);
        }
    }
    Ok(out)
}

/// `client.cert` with its key `client.key` beside it.
fn read_client_cert(cert_path: &Path) -> Result<ClientCert> {
    let key_path = cert_path.with_extension("key");
    let chain = read_certificates(cert_path)?;
    let key_bytes = std::fs::read(&key_path)
        .with_context(|| format!("{} has no key {}", cert_path.display(), key_path.display()))?;
    let key = PrivateKey::from_pem(&key_bytes)
        .map_err(|e| anyhow!("invalid key {}: {e}", key_path.display()))?;
    Ok(ClientCert::new_with_certs(&chain, key))
}

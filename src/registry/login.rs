//! `skiff login`: credentials are checked against the registry before they are saved.

use super::client::{Client, Request};
use super::config::Settings;
use super::credentials::Credentials;
use super::repository::endpoint_of;
use anyhow::Result;
use ureq::http::Method;

/// The registry a `login SERVER` means: a host, Docker Hub's names all meaning docker.io.
pub fn domain_of(server: Option<&str>) -> Result<String> {
    let Some(server) = server else {
        return Ok(crate::image::reference::DEFAULT_DOMAIN.to_string());
    };
    let host = server
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let host = host.split('/').next().unwrap_or_default();
    if host.is_empty() {
        anyhow::bail!("invalid registry {server:?}");
    }
    Ok(match host {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" => {
            crate::image::reference::DEFAULT_DOMAIN.to_string()
        }
        other => other.to_string(),
    })
}

/// Succeeds when the registry accepts `credentials`: `GET /v2/` authenticated the way the
/// registry asks (basic, or a token the token service grants only to valid credentials).
pub fn verify(domain: &str, credentials: &Credentials, settings: &Settings) -> Result<()> {
    let client = Client::connect(endpoint_of(domain), settings, Some(credentials.clone()))?;
    if client.requires_auth() {
        client.send_ok(&Request::new(Method::GET, "/v2/"), &[])?;
    }
    Ok(())
}

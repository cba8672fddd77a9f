//! `skiff login`: credentials are checked against the registry before they are saved.

use super::client::{Client, Request};
use super::config::Settings;
use super::credentials::Credentials;
use super::repository::endpoint_of;
use anyhow::Result;
use ureq::http::Method;

/// Succeeds when the registry accepts `credentials`: `GET /v2/` authenticated the way the
/// registry asks (basic, or a token the token service grants only to valid credentials).
pub fn verify(domain: &str, credentials: &Credentials, settings: &Settings) -> Result<()> {
    let client = Client::connect(endpoint_of(domain), settings, Some(credentials.clone()))?;
    if client.requires_auth() {
        client.send_ok(&Request::new(Method::GET, "/v2/"), &[])?;
    }
    Ok(())
}

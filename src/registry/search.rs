//! `skiff search`: Docker Hub's search API for docker.io, and for any other registry its
//! catalog (`/v2/_catalog`) filtered by the term.

use super::client::{Client, Request};
use super::config::Settings;
use super::credentials;
use super::repository::endpoint_of;
use crate::image::reference::DEFAULT_DOMAIN;
use anyhow::{anyhow, Context, Result};
use serde::Deserialize;
use std::io::Read;
use ureq::http::Method;

/// Docker Hub's v1 search endpoint.
const HUB_INDEX: &str = "index.docker.io";
/// The most of a search answer read: a catalog of many thousand names fits.
const MAX_ANSWER: u64 = 16 << 20;

#[derive(Deserialize, Debug, Clone, Default)]
pub struct Found {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub star_count: u64,
    #[serde(default)]
    pub is_official: bool,
    #[serde(default)]
    pub is_automated: bool,
}

#[derive(Deserialize)]
struct HubAnswer {
    #[serde(default)]
    results: Vec<Found>,
}

#[derive(Deserialize)]
struct Catalog {
    #[serde(default)]
    repositories: Vec<String>,
}

/// Splits `[registry/]term` as docker does: a first part with a dot or colon (or
/// `localhost`) names the registry.
pub fn split_term(text: &str) -> (String, String) {
    match text.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first.to_string(), rest.to_string())
        }
        _ => (DEFAULT_DOMAIN.to_string(), text.to_string()),
    }
}

pub fn search(text: &str, limit: usize, settings: &Settings) -> Result<Vec<Found>> {
    let (domain, term) = split_term(text);
    if domain == DEFAULT_DOMAIN || domain == HUB_INDEX {
        return search_hub(&term, limit, settings);
    }
    search_catalog(&domain, &term, limit, settings)
}

fn read_answer(response: ureq::http::Response<ureq::Body>) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    response
        .into_body()
        .into_reader()
        .take(MAX_ANSWER)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn search_hub(term: &str, limit: usize, settings: &Settings) -> Result<Vec<Found>> {
    let client = Client::connect(HUB_INDEX, settings, credentials::lookup(DEFAULT_DOMAIN)?)?;
    let query = format!("/v1/search?q={}&n={limit}", super::client::url_encode(term));
    let response = client.send_ok(&Request::new(Method::GET, query), &[])?;
    let answer: HubAnswer = serde_json::from_slice(&read_answer(response)?)
        .map_err(|e| anyhow!("invalid answer from Docker Hub's search: {e}"))?;
    Ok(answer.results)
}

fn search_catalog(
    domain: &str,
    term: &str,
    limit: usize,
    settings: &Settings,
) -> Result<Vec<Found>> {
    let client = Client::connect(endpoint_of(domain), settings, credentials::lookup(domain)?)?;
    let scopes = ["registry:catalog:*".to_string()];
    let mut names = Vec::new();
    let mut next = Some("/v2/_catalog?n=1000".to_string());
    // A registry pages its catalog (at most 1000 names a page here); a few pages suffice.
    for _ in 0..20 {
        let Some(page) = next.take() else { break };
        let response = client
            .send_ok(&Request::new(Method::GET, page), &scopes)
            .context("the registry does not list its repositories")?;
        next = next_page(&response);
        let catalog: Catalog = serde_json::from_slice(&read_answer(response)?)
            .map_err(|e| anyhow!("invalid catalog from {domain}: {e}"))?;
        names.extend(catalog.repositories);
    }
    let catalog = Catalog {
        repositories: names,
    };
    Ok(catalog
        .repositories
        .into_iter()
        .filter(|name| name.contains(term))
        .take(limit)
        .map(|name| Found {
            name: format!("{domain}/{name}"),
            ..Default::default()
        })
        .collect())
}

/// The `rel="next"` target of a `Link` header.
fn next_page(response: &ureq::http::Response<ureq::Body>) -> Option<String> {
    let link = response.headers().get("link")?.to_str().ok()?;
    let (target, params) = link.split_once(';')?;
    params.contains("rel=\"next\"").then(|| {
        target
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .to_string()
    })
}

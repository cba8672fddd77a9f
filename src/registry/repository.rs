//! One repository on one registry endpoint: manifests and blobs by digest, verified.

use super::client::{self, Client, Payload, Request};
use super::config::Settings;
use super::credentials;
use super::manifest::{self, MAX_MANIFEST};
use crate::image::reference::{Reference, DEFAULT_DOMAIN};
use crate::store::sha256_digest;
use anyhow::{anyhow, bail, Context, Result};
use std::io::{self, Read};
use std::sync::Arc;
use ureq::http::Method;

/// Docker Hub's API endpoint for references in `docker.io`.
const DOCKER_HUB_HOST: &str = "registry-1.docker.io";

pub struct Repository {
    pub client: Client,
    /// The repository's path on the registry (`library/busybox`).
    pub path: String,
    /// The token scopes requests need (pull, or pull and push).
    pub scopes: Vec<String>,
}

/// A manifest as fetched: its bytes, media type and digest.
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub media_type: String,
    pub digest: String,
}

/// The network endpoint of a registry domain.
pub fn endpoint_of(domain: &str) -> &str {
    if domain == DEFAULT_DOMAIN {
        DOCKER_HUB_HOST
    } else {
        domain
    }
}

impl Repository {
    /// Connects to the repository of `reference` at `endpoint` (the registry itself or a
    /// mirror), with the user's credentials for the registry.
    pub fn open(
        reference: &Reference,
        endpoint: &str,
        settings: &Settings,
        push: bool,
    ) -> Result<Repository> {
        // A mirror is another server: it gets its own credentials, never the registry's.
        let server = if endpoint == endpoint_of(&reference.domain) {
            reference.domain.as_str()
        } else {
            mirror_host(endpoint)
        };
        let credentials = credentials::lookup(server)?;
        let client = Client::connect(endpoint, settings, credentials)?;
        let actions = if push { "pull,push" } else { "pull" };
        Ok(Repository {
            client,
            path: reference.path.clone(),
            scopes: vec![format!("repository:{}:{actions}", reference.path)],
        })
    }

    /// Connects to `reference`'s repository for pulling: its mirrors in order, then the
    /// registry itself, keeping the first that serves the manifest wanted.
    pub fn open_for_pull(
        reference: &Reference,
        settings: &Settings,
    ) -> Result<(Repository, Fetched)> {
        let tag_or_digest = reference
            .digest
            .clone()
            .or_else(|| reference.tag.clone())
            .unwrap_or_else(|| "latest".into());
        let mut mirror_errors = Vec::new();
        for mirror in settings.mirrors_for(&reference.domain) {
            let attempt = Repository::open(reference, &mirror, settings, false).and_then(|repo| {
                let fetched = repo.manifest(&tag_or_digest)?;
                Ok((repo, fetched))
            });
            match attempt {
                Ok(found) => return Ok(found),
                Err(e) => mirror_errors.push(format!("mirror {mirror}: {e:#}")),
            }
        }
        let repo = Repository::open(reference, endpoint_of(&reference.domain), settings, false);
        let result = repo.and_then(|repo| {
            let fetched = repo.manifest(&tag_or_digest)?;
            Ok((repo, fetched))
        });
        result.map_err(|e| match mirror_errors.is_empty() {
            true => e,
            false => e.context(format!("(after {})", mirror_errors.join("; "))),
        })
    }

    fn v2(&self, kind: &str, name: &str) -> String {
        format!("/v2/{}/{kind}/{name}", self.path)
    }

    /// Fetches a manifest by tag or digest, checking it against the digest it is asked by
    /// (or the one the registry names) and refusing absurd sizes.
    pub fn manifest(&self, tag_or_digest: &str) -> Result<Fetched> {
        let request = Request::new(Method::GET, self.v2("manifests", tag_or_digest))
            .header("Accept", manifest::ACCEPT);
        let response = self.client.send_ok(&request, &self.scopes).map_err(|e| {
            match client::status_of(&e) {
                Some(404) => anyhow!("manifest for {tag_or_digest} not found: {e}"),
                _ => e,
            }
        })?;
        let media_type = header(&response, "content-type").unwrap_or_default();
        let announced = header(&response, "docker-content-digest");
        if response
            .body()
            .content_length()
            .is_some_and(|l| l > MAX_MANIFEST)
        {
            bail!(
                "the manifest is larger than {} MiB: refused",
                MAX_MANIFEST >> 20
            );
        }
        let mut bytes = Vec::new();
        client::body_reader(response)
            .take(MAX_MANIFEST + 1)
            .read_to_end(&mut bytes)
            .context("cannot read the manifest")?;
        if bytes.len() as u64 > MAX_MANIFEST {
            bail!(
                "the manifest is larger than {} MiB: refused",
                MAX_MANIFEST >> 20
            );
        }
        let digest = sha256_digest(&bytes);
        let expected = if tag_or_digest.starts_with("sha256:") {
            Some(tag_or_digest.to_string())
        } else {
            announced.filter(|d| d.starts_with("sha256:"))
        };
        if let Some(expected) = expected {
            if expected != digest {
                bail!("the manifest does not match its digest {expected} (got {digest}): the registry sent corrupt or tampered data");
            }
        }
        Ok(Fetched {
            bytes,
            media_type,
            digest,
        })
    }

    /// A small blob (an image config), read whole and checked against its digest.
    pub fn small_blob(&self, digest: &str, size: u64) -> Result<Vec<u8>> {
        if size > MAX_MANIFEST * 4 {
            bail!(
                "the image config is larger than {} MiB: refused",
                (MAX_MANIFEST * 4) >> 20
            );
        }
        let response = self.client.send_ok(
            &Request::new(Method::GET, self.v2("blobs", digest)),
            &self.scopes,
        )?;
        let mut bytes = Vec::new();
        client::body_reader(response)
            .take(size + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read blob {digest}"))?;
        if bytes.len() as u64 != size || sha256_digest(&bytes) != digest {
            bail!("blob {digest} does not match its digest: the registry sent corrupt or tampered data");
        }
        Ok(bytes)
    }

    /// A reader of the blob `digest` that resumes where it stopped when the connection
    /// breaks (a range request), so one cut connection does not restart a layer. The digest
    /// itself is checked by whoever consumes the stream.
    pub fn blob_reader(self: &Arc<Self>, digest: &str) -> BlobReader {
        BlobReader {
            repo: self.clone(),
            digest: digest.to_string(),
            offset: 0,
            body: None,
            resumes: 0,
        }
    }

    /// Whether the registry has the blob `digest` in this repository.
    pub fn has_blob(&self, digest: &str) -> Result<bool> {
        let response = self.client.send(
            &Request::new(Method::HEAD, self.v2("blobs", digest)),
            &self.scopes,
        )?;
        match response.status().as_u16() {
            200..=299 => Ok(true),
            404 => Ok(false),
            _ => Err(client::status_error(response)),
        }
    }

    /// Asks the registry to mount the blob `digest` from its repository `from` (the
    /// cross-repository mount, no bytes sent); false when it would not.
    pub fn mount_blob(&self, digest: &str, from: &str) -> Result<bool> {
        let start = format!(
            "/v2/{}/blobs/uploads/?mount={digest}&from={from}",
            self.path
        );
        let mut scopes = self.scopes.clone();
        scopes.push(format!("repository:{from}:pull"));
        let response = self.client.send_ok(
            &Request::new(Method::POST, start).header("Content-Length", "0"),
            &scopes,
        )?;
        if response.status() == 201 {
            return Ok(true);
        }
        // The registry opened an upload instead: give it back.
        if let Some(location) = header(&response, "location") {
            let _ = self
                .client
                .send(&Request::new(Method::DELETE, location), &self.scopes);
        }
        Ok(false)
    }

    /// Uploads a blob unless the registry has it; returns whether bytes were sent. One PUT
    /// with the whole blob (the monolithic upload every registry accepts).
    pub fn upload_blob(&self, digest: &str, payload: Payload) -> Result<bool> {
        if self.has_blob(digest)? {
            return Ok(false);
        }
        let start = format!("/v2/{}/blobs/uploads/", self.path);
        let response = self.client.send_ok(
            &Request::new(Method::POST, start).header("Content-Length", "0"),
            &self.scopes,
        )?;
        let location = header(&response, "location")
            .ok_or_else(|| anyhow!("the registry started an upload without saying where"))?;
        let separator = if location.contains('?') { '&' } else { '?' };
        let url = format!("{location}{separator}digest={digest}");
        let request = Request::new(Method::PUT, url)
            .header("Content-Type", "application/octet-stream")
            .payload(payload);
        self.client
            .send_ok(&request, &self.scopes)
            .with_context(|| format!("cannot upload blob {digest}"))?;
        Ok(true)
    }

    /// Puts a manifest under `tag_or_digest`; returns the digest the registry gives it.
    pub fn put_manifest(
        &self,
        tag_or_digest: &str,
        bytes: Vec<u8>,
        media_type: &str,
    ) -> Result<String> {
        let request = Request::new(Method::PUT, self.v2("manifests", tag_or_digest))
            .header("Content-Type", media_type)
            .payload(Payload::Bytes(Arc::new(bytes)));
        let response = self.client.send_ok(&request, &self.scopes)?;
        Ok(header(&response, "docker-content-digest").unwrap_or_default())
    }
}

/// `host[:port]` of a mirror's URL.
fn mirror_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

fn header(response: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// How many times one blob download may resume after a broken connection.
const RESUMES: u32 = 3;

pub struct BlobReader {
    repo: Arc<Repository>,
    digest: String,
    offset: u64,
    body: Option<client::Watched>,
    resumes: u32,
}

impl BlobReader {
    fn open(&mut self) -> Result<client::Watched> {
        let mut request = Request::new(Method::GET, self.repo.v2("blobs", &self.digest));
        if self.offset > 0 {
            request = request.header("Range", format!("bytes={}-", self.offset));
        }
        let response = self.repo.client.send_ok(&request, &self.repo.scopes)?;
        let partial = response.status() == 206;
        let mut body = client::body_reader(response);
        if self.offset > 0 && !partial {
            // The registry ignored the range: skip what was already read.
            io::copy(&mut (&mut body).take(self.offset), &mut io::sink())?;
        }
        Ok(body)
    }
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.body.is_none() {
                let body = self
                    .open()
                    .map_err(|e| io::Error::other(format!("{e:#}")))?;
                self.body = Some(body);
            }
            match self.body.as_mut().unwrap().read(buf) {
                Ok(n) => {
                    self.offset += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if self.resumes < RESUMES => {
                    let _ = e;
                    self.resumes += 1;
                    self.body = None;
                }
                Err(e) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!(
                            "the download of {} broke off after {} bytes: {e}",
                            self.digest, self.offset
                        ),
                    ))
                }
            }
        }
    }
}

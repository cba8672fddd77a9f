//! One registry endpoint spoken to over HTTP(S): scheme choice (TLS, plain HTTP only where
//! allowed), TLS roots, proxies, the authentication flow (basic, or bearer tokens fetched
//! from the realm a 401 names), retries where they can help, and registry errors turned into
//! one-line messages.
//!
//! A `Client` holds no threads and may be used from several threads at once (the layer
//! downloads of a pull share one).

use super::config::{self, Settings};
use super::credentials::Credentials;
use anyhow::{anyhow, bail, Context, Result};
use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use ureq::http::{self, header, Method, Response};
use ureq::Body;

/// How many times a request that failed in a way a retry can help (connection trouble,
/// 429, 5xx) is sent in all.
const ATTEMPTS: u32 = 3;
/// The most a registry's error document or token answer may be: they are small.
const SMALL_BODY: u64 = 1 << 20;
/// How long reaching a registry may take (TCP, proxy, TLS).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a registry may go without moving a transfer along before skiff gives up on the
/// connection, unless `SKIFF_REGISTRY_STALL_TIMEOUT` (seconds) says otherwise.
const STALL_TIMEOUT: Duration = Duration::from_secs(30);
/// The least a body must bring in during each stall timeout to count as moving: a registry
/// that trickles a byte now and then keeps a connection open but a pull stuck.
const MIN_PROGRESS: u64 = 1024;

/// The stall timeout in force.
fn stall_timeout() -> Duration {
    std::env::var("SKIFF_REGISTRY_STALL_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&s| s > 0)
        .map_or(STALL_TIMEOUT, Duration::from_secs)
}

/// The body of a request, reopened for each attempt.
#[derive(Clone)]
pub enum Payload {
    Empty,
    Bytes(Arc<Vec<u8>>),
    File(PathBuf),
}

/// What a request needs beyond its method and path.
#[derive(Clone)]
pub struct Request {
    pub method: Method,
    /// A path (`/v2/...`) on the registry, or an absolute URL it handed out (uploads).
    pub target: String,
    pub headers: Vec<(&'static str, String)>,
    pub payload: Payload,
}

impl Request {
    pub fn new(method: Method, target: impl Into<String>) -> Request {
        Request {
            method,
            target: target.into(),
            headers: Vec::new(),
            payload: Payload::Empty,
        }
    }
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Request {
        self.headers.push((name, value.into()));
        self
    }
    pub fn payload(mut self, payload: Payload) -> Request {
        self.payload = payload;
        self
    }
}

/// The challenge a registry answered 401 with.
#[derive(Clone, Debug, PartialEq)]
enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

pub struct Client {
    /// `https://host[:port]` or `http://...`, without a trailing slash.
    pub base: String,
    agent: ureq::Agent,
    credentials: Option<Credentials>,
    challenge: Mutex<Option<Challenge>>,
    /// `Authorization` values by scope.
    tokens: Mutex<HashMap<String, String>>,
}

impl Client {
    /// Connects to the registry at `endpoint` (`host[:port]`, or a mirror's URL), choosing
    /// the scheme: HTTPS, with a fallback to plain HTTP only for loopback and insecure
    /// registries, when they do not speak TLS. Pings `/v2/` to learn how it authenticates.
    pub fn connect(
        endpoint: &str,
        settings: &Settings,
        credentials: Option<Credentials>,
    ) -> Result<Client> {
        let (explicit, host) = match endpoint.split_once("://") {
            Some((scheme, rest)) => (
                Some(scheme.to_string()),
                rest.trim_end_matches('/').to_string(),
            ),
            None => (None, endpoint.to_string()),
        };
        let insecure = settings.is_insecure(&host);
        let may_use_http = insecure || config::is_loopback(&host);
        let mut client = Client {
            base: String::new(),
            agent: agent_for(&host, "https", settings, insecure)?,
            credentials,
            challenge: Mutex::new(None),
            tokens: Mutex::new(HashMap::new()),
        };
        if explicit.as_deref() == Some("http") {
            if !may_use_http {
                bail!("{host} is not an insecure registry: plain HTTP is refused (add it to insecure-registries in {} or use --tls-verify=false)", config::config_dir().join("config.json").display());
            }
            client.use_http(&host, settings)?;
            return client.ping().map(|_| client);
        }
        client.base = format!("https://{host}");
        match client.ping() {
            Ok(()) => Ok(client),
            Err(e)
                if may_use_http
                    && !is_certificate_error(&e, insecure)
                    && is_transport_error(&e) =>
            {
                client.use_http(&host, settings)?;
                client.ping().map(|_| client)
            }
            Err(e) => Err(e),
        }
    }

    fn use_http(&mut self, host: &str, settings: &Settings) -> Result<()> {
        self.base = format!("http://{host}");
        self.agent = agent_for(host, "http", settings, true)?;
        Ok(())
    }

    /// `GET /v2/`: reachable, speaks the registry API, and how it wants callers to authenticate.
    fn ping(&self) -> Result<()> {
        let response = self.send_once(&Request::new(Method::GET, "/v2/"), None)?;
        match response.status().as_u16() {
            200..=299 => Ok(()),
            401 => {
                *self.challenge.lock().unwrap() = parse_challenge(&response);
                Ok(())
            }
            // Some registries answer the ping with 404 but serve the API (and say so in a header).
            _ if response
                .headers()
                .contains_key("docker-distribution-api-version") =>
            {
                Ok(())
            }
            _ => Err(status_error(response)),
        }
    }

    /// Whether the registry asks for credentials (answered the ping with 401).
    pub fn requires_auth(&self) -> bool {
        self.challenge.lock().unwrap().is_some()
    }

    /// Sends `request` with the authorization `scope` needs (e.g.
    /// `repository:library/busybox:pull`), retrying what a retry can help. Any status comes
    /// back as a response, except 401 after authenticating, which is an error.
    pub fn send(&self, request: &Request, scopes: &[String]) -> Result<Response<Body>> {
        let idempotent = matches!(request.method, Method::GET | Method::HEAD);
        let mut attempt = 1;
        let mut authenticated = false;
        loop {
            let authorization = self.authorization(scopes)?;
            let result = self.send_once(request, authorization.as_deref());
            let retry_after = match &result {
                // A registry that stalled once has used its time: asking again only waits longer.
                Err(e)
                    if idempotent
                        && is_transport_error(e)
                        && !is_certificate_error(e, false)
                        && !is_stall(e) =>
                {
                    Some(backoff(attempt))
                }
                Ok(r)
                    if idempotent && matches!(r.status().as_u16(), 429 | 500 | 502 | 503 | 504) =>
                {
                    Some(retry_after(r).unwrap_or(backoff(attempt)))
                }
                _ => None,
            };
            match (result, retry_after) {
                (Err(_) | Ok(_), Some(pause)) if attempt < ATTEMPTS => std::thread::sleep(pause),
                (Ok(response), _) if response.status() == 401 && !authenticated => {
                    // Not authorized with what we had: learn the challenge, fetch a token, retry.
                    let challenge =
                        parse_challenge(&response).ok_or_else(|| status_error(response))?;
                    *self.challenge.lock().unwrap() = Some(challenge);
                    self.tokens.lock().unwrap().remove(&scopes.join(" "));
                    authenticated = true;
                }
                (Ok(response), _) if response.status() == 401 => {
                    return Err(status_error(response))
                }
                (result, _) => return result,
            }
            attempt += 1;
        }
    }

    /// Sends a request and fails unless the registry answers with success.
    pub fn send_ok(&self, request: &Request, scopes: &[String]) -> Result<Response<Body>> {
        let response = self.send(request, scopes)?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(status_error(response))
        }
    }

    fn url(&self, target: &str) -> String {
        if target.starts_with("http://") || target.starts_with("https://") {
            target.to_string()
        } else if target.starts_with('/') {
            format!("{}{target}", self.base)
        } else {
            format!("{}/{target}", self.base)
        }
    }

    fn send_once(&self, request: &Request, authorization: Option<&str>) -> Result<Response<Body>> {
        let url = self.url(&request.target);
        let mut builder = http::Request::builder()
            .method(request.method.clone())
            .uri(&url);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        if let Some(value) = authorization {
            builder = builder.header(header::AUTHORIZATION, value);
        }
        let sent = match &request.payload {
            // Reads must start answering within the stall timeout; a write (a blob's final
            // PUT) may make the registry copy the blob before it answers, so it gets longer.
            Payload::Empty if matches!(request.method, Method::GET | Method::HEAD) => {
                let request = self
                    .agent
                    .configure_request(builder.body(())?)
                    .timeout_recv_response(Some(stall_timeout()))
                    .build();
                self.agent.run(request)
            }
            Payload::Empty => self.agent.run(builder.body(())?),
            Payload::Bytes(bytes) => self.agent.run(builder.body(bytes.as_slice())?),
            Payload::File(path) => {
                let file = std::fs::File::open(path)
                    .with_context(|| format!("cannot open {}", path.display()))?;
                self.agent.run(builder.body(file)?)
            }
        };
        sent.map_err(|e| transport_error(e, &self.base))
    }

    /// The `Authorization` value for `scopes`, fetching a token when the registry wants one.
    fn authorization(&self, scopes: &[String]) -> Result<Option<String>> {
        let challenge = self.challenge.lock().unwrap().clone();
        match challenge {
            None => Ok(None),
            Some(Challenge::Basic) => Ok(self.credentials.as_ref().map(Credentials::basic_header)),
            Some(Challenge::Bearer { realm, service }) => {
                let key = scopes.join(" ");
                if let Some(token) = self.tokens.lock().unwrap().get(&key) {
                    return Ok(Some(token.clone()));
                }
                let token = format!(
                    "Bearer {}",
                    self.fetch_token(&realm, service.as_deref(), scopes)?
                );
                self.tokens.lock().unwrap().insert(key, token.clone());
                Ok(Some(token))
            }
        }
    }

    /// Asks the token service for a token covering `scopes`, with the user's credentials
    /// when there are some (anonymously otherwise, as public images allow).
    fn fetch_token(&self, realm: &str, service: Option<&str>, scopes: &[String]) -> Result<String> {
        let mut query = Vec::new();
        if let Some(service) = service {
            query.push(format!("service={}", url_encode(service)));
        }
        for scope in scopes {
            query.push(format!("scope={}", url_encode(scope)));
        }
        if let Some(credentials) = &self.credentials {
            query.push(format!("account={}", url_encode(&credentials.username)));
        }
        let separator = if realm.contains('?') { '&' } else { '?' };
        let url = if query.is_empty() {
            realm.to_string()
        } else {
            format!("{realm}{separator}{}", query.join("&"))
        };
        let mut builder = http::Request::builder().method(Method::GET).uri(&url);
        if let Some(credentials) = &self.credentials {
            builder = builder.header(header::AUTHORIZATION, credentials.basic_header());
        }
        let response = self
            .agent
            .run(builder.body(())?)
            .map_err(|e| transport_error(e, realm))?;
        if !response.status().is_success() {
            return Err(
                status_error(response).context(format!("the token service {realm} refused"))
            );
        }
        let text = response
            .into_body()
            .into_with_config()
            .limit(SMALL_BODY)
            .read_to_string()
            .map_err(|e| anyhow!("cannot read the answer of the token service {realm}: {e}"))?;
        let answer: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| anyhow!("invalid answer from the token service {realm}: {e}"))?;
        answer
            .get("token")
            .or_else(|| answer.get("access_token"))
            .and_then(|t| t.as_str())
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .ok_or_else(|| anyhow!("the token service {realm} sent no token"))
    }
}

/// An agent for `host` over `scheme`: TLS roots (system plus `certs.d`), client
/// certificates, proxies, and the timeouts a stalled registry needs.
fn agent_for(host: &str, scheme: &str, settings: &Settings, insecure: bool) -> Result<ureq::Agent> {
    let mut builder = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(format!("skiff/{}", env!("CARGO_PKG_VERSION")))
        .max_redirects(10)
        .max_idle_connections_per_host(8)
        // No resolve timeout: with one, ureq resolves names in a thread of its own, and
        // skiff may fork (the user namespace helper) after talking to a registry.
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_per_read(Some(stall_timeout()))
        .timeout_per_write(Some(stall_timeout()))
        .proxy(proxy_for(host, scheme)?);
    if scheme == "https" {
        builder = builder.tls_config(super::tls::config_for(host, settings, insecure)?);
    }
    Ok(builder.build().new_agent())
}

/// The proxy for connections to `host` over `scheme`, from the environment or docker's
/// config.json `proxies`.
fn proxy_for(host: &str, scheme: &str) -> Result<Option<ureq::Proxy>> {
    let setting = |name: &str| {
        std::env::var(name)
            .ok()
            .or_else(|| std::env::var(name.to_ascii_lowercase()).ok())
            .filter(|v| !v.is_empty())
            .or_else(|| super::credentials::config_proxy(name))
    };
    let Some(url) = proxy_url(host, scheme, setting) else {
        return Ok(None);
    };
    let proxy = ureq::Proxy::new(&url).map_err(|e| anyhow!("invalid proxy {url}: {e}"))?;
    Ok(Some(proxy))
}

/// HTTPS_PROXY or HTTP_PROXY (by the registry's scheme) as `setting` gives them, unless
/// NO_PROXY lists the host. Loopback registries are never proxied, as Go's clients do.
fn proxy_url(host: &str, scheme: &str, setting: impl Fn(&str) -> Option<String>) -> Option<String> {
    if config::is_loopback(host) {
        return None;
    }
    let url = setting(if scheme == "https" {
        "HTTPS_PROXY"
    } else {
        "HTTP_PROXY"
    })?;
    if setting("NO_PROXY").is_some_and(|list| no_proxy_matches(&list, host)) {
        return None;
    }
    Some(if url.contains("://") {
        url
    } else {
        format!("http://{url}")
    })
}

/// Whether a NO_PROXY list names `host` (`name[:port]`): `*`, a name and its subdomains
/// (`example.com`, `.example.com`), `name:port`, an address or a CIDR range.
fn no_proxy_matches(list: &str, host: &str) -> bool {
    let name = config::split_host(host)
        .0
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    list.split(',')
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .any(|entry| {
            if entry == "*" || entry == host {
                return true;
            }
            if entry.contains('/') {
                return config::insecure_entry_matches(&entry, host);
            }
            let domain = entry.trim_start_matches('*').trim_start_matches('.');
            // An entry with a port names that port only (and matched above if at all).
            if config::split_host(domain).1.is_some() {
                return false;
            }
            name == domain || name.ends_with(&format!(".{domain}"))
        })
}

fn parse_challenge(response: &Response<Body>) -> Option<Challenge> {
    let value = response
        .headers()
        .get(header::WWW_AUTHENTICATE)?
        .to_str()
        .ok()?;
    let (scheme, params) = value.trim().split_once(' ').unwrap_or((value, ""));
    match scheme.to_ascii_lowercase().as_str() {
        "basic" => Some(Challenge::Basic),
        "bearer" => {
            let params = parse_auth_params(params);
            let realm = params.get("realm")?.clone();
            Some(Challenge::Bearer {
                realm,
                service: params.get("service").cloned(),
            })
        }
        _ => None,
    }
}

/// `realm="https://auth",service="registry",scope="a,b"` as a map (quoted values may hold commas).
fn parse_auth_params(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    _ => value.push(c),
                }
            }
            (value, &quoted[end.min(quoted.len())..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_string(), &after[end..])
        };
        out.insert(key, value);
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    out
}

pub fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A failure to talk to the registry at all (as opposed to an answer it gave).
#[derive(Debug)]
pub struct TransportError {
    pub message: String,
    certificate: bool,
    stalled: bool,
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for TransportError {}

/// The certificate problem behind a TLS failure (ureq reports rustls' errors directly or
/// inside an I/O error).
fn certificate_problem(e: &ureq::Error) -> Option<&rustls::CertificateError> {
    let rustls_error = match e {
        ureq::Error::Rustls(inner) => Some(inner),
        ureq::Error::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        _ => None,
    };
    match rustls_error {
        Some(rustls::Error::InvalidCertificate(problem)) => Some(problem),
        _ => None,
    }
}

fn transport_error(e: ureq::Error, base: &str) -> anyhow::Error {
    let problem = certificate_problem(&e);
    let certificate = problem.is_some();
    let message = match (&e, problem) {
        (_, Some(problem)) => format!(
            "cannot verify the TLS certificate of {base} ({problem:?}): put its CA certificate in {}/<host:port>/ca.crt, or use --tls-verify=false",
            config::config_dir().join("certs.d").display()
        ),
        (ureq::Error::ConnectionFailed | ureq::Error::Io(_), _) => format!("cannot connect to {base}: {e}"),
        (ureq::Error::HostNotFound, _) => format!("cannot resolve the host of {base}"),
        (ureq::Error::TooManyRedirects, _) => format!("{base} redirected too many times (a redirect loop?)"),
        (ureq::Error::Timeout(ureq::Timeout::Connect), _) => format!(
            "cannot connect to {base}: no connection within {} s",
            CONNECT_TIMEOUT.as_secs()
        ),
        (ureq::Error::Timeout(_), _) => stall_message(&format!("the registry {base}")),
        _ => format!("cannot talk to {base}: {e}"),
    };
    TransportError {
        message,
        certificate,
        stalled: matches!(e, ureq::Error::Timeout(_)),
    }
    .into()
}

fn stall_message(registry: &str) -> String {
    format!(
        "{registry} stalled: no progress for {} s",
        stall_timeout().as_secs()
    )
}

fn is_stall(e: &anyhow::Error) -> bool {
    e.downcast_ref::<TransportError>()
        .is_some_and(|t| t.stalled)
}

/// The body of a registry's answer, read under the stall timeout: it fails once a whole
/// stall timeout has brought less than [`MIN_PROGRESS`] bytes, or nothing at all.
pub fn body_reader(response: Response<Body>) -> Watched {
    Watched {
        inner: response.into_body().into_reader(),
        stall: stall_timeout(),
        since: std::time::Instant::now(),
        received: 0,
    }
}

/// How a body's reader names the registry (the request it belongs to names which one).
const REGISTRY: &str = "the registry";

pub struct Watched {
    inner: ureq::BodyReader<'static>,
    stall: Duration,
    since: std::time::Instant,
    received: u64,
}

impl Read for Watched {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf).map_err(|e| {
            let timed_out = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<ureq::Error>())
                .is_some_and(|inner| matches!(inner, ureq::Error::Timeout(_)));
            if timed_out {
                std::io::Error::new(std::io::ErrorKind::TimedOut, stall_message(REGISTRY))
            } else {
                e
            }
        })?;
        self.received += n as u64;
        if self.since.elapsed() >= self.stall {
            if n > 0 && self.received < MIN_PROGRESS {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "{}: it sent {} bytes in {} s",
                        stall_message(REGISTRY),
                        self.received,
                        self.stall.as_secs()
                    ),
                ));
            }
            self.since = std::time::Instant::now();
            self.received = 0;
        }
        Ok(n)
    }
}

fn is_transport_error(e: &anyhow::Error) -> bool {
    e.downcast_ref::<TransportError>().is_some()
}

/// A certificate that failed verification: never a reason to fall back to plain HTTP,
/// unless the registry is insecure anyway.
fn is_certificate_error(e: &anyhow::Error, insecure: bool) -> bool {
    !insecure
        && e.downcast_ref::<TransportError>()
            .is_some_and(|t| t.certificate)
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250 * 4u64.pow(attempt - 1))
}

/// A registry's `Retry-After` in seconds, capped so a pull does not hang for long.
fn retry_after(response: &Response<Body>) -> Option<Duration> {
    let seconds: u64 = response
        .headers()
        .get(header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds.min(10)))
}

/// An HTTP status the registry answered with, as the registry's own error message when it
/// sent one (`manifest unknown`, `unauthorized: authentication required`).
#[derive(Debug)]
pub struct StatusError {
    pub status: u16,
    pub message: String,
}

impl std::fmt::Display for StatusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StatusError {}

pub fn status_error(response: Response<Body>) -> anyhow::Error {
    let status = response.status();
    let mut body = String::new();
    let _ = body_reader(response)
        .take(64 * 1024)
        .read_to_string(&mut body);
    let detail = registry_errors(&body);
    let message = match (status.as_u16(), detail) {
        (_, Some(detail)) => detail,
        (401, None) => "unauthorized: authentication required".to_string(),
        (403, None) => "denied: requested access to the resource is denied".to_string(),
        (404, None) => "not found".to_string(),
        (429, None) => {
            "toomanyrequests: the registry limits how often it may be asked; try again later"
                .to_string()
        }
        (code, None) => format!(
            "the registry answered {code} {}",
            status.canonical_reason().unwrap_or("")
        )
        .trim_end()
        .to_string(),
    };
    StatusError {
        status: status.as_u16(),
        message,
    }
    .into()
}

/// `code: message` of the registry's JSON error document, docker-style (`unauthorized:
/// authentication required`).
fn registry_errors(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let errors = value.get("errors")?.as_array()?;
    let texts: Vec<String> = errors
        .iter()
        .map(|e| {
            let code = e
                .get("code")
                .and_then(|c| c.as_str())
                .unwrap_or_default()
                .to_ascii_lowercase();
            let message = e
                .get("message")
                .and_then(|m| m.as_str())
                .unwrap_or_default();
            match (code.is_empty(), message.is_empty()) {
                (false, false) => format!("{}: {message}", code.replace('_', " ")),
                (false, true) => code.replace('_', " "),
                _ => message.to_string(),
            }
        })
        .collect();
    (!texts.is_empty()).then(|| texts.join("; "))
}

/// The HTTP status of a registry error, when it was one.
pub fn status_of(e: &anyhow::Error) -> Option<u16> {
    e.chain()
        .find_map(|c| c.downcast_ref::<StatusError>())
        .map(|s| s.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenge_params() {
        let params = parse_auth_params(
            r#"realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull,push""#,
        );
        assert_eq!(params["realm"], "https://auth.docker.io/token");
        assert_eq!(params["service"], "registry.docker.io");
        assert_eq!(params["scope"], "repository:library/busybox:pull,push");
        let params = parse_auth_params(r#"realm=unquoted, error="a \"b\"""#);
        assert_eq!(params["realm"], "unquoted");
        assert_eq!(params["error"], "a \"b\"");
    }

    #[test]
    fn registry_error_documents() {
        let body =
            r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#;
        assert_eq!(
            registry_errors(body).unwrap(),
            "manifest unknown: manifest unknown"
        );
        assert_eq!(
            registry_errors(
                r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#
            )
            .unwrap(),
            "unauthorized: authentication required"
        );
        assert!(registry_errors("<html>").is_none());
    }

    #[test]
    fn proxies_by_scheme_except_no_proxy_and_loopback() {
        let env = |name: &str| match name {
            "HTTPS_PROXY" => Some("proxy.lan:3128".to_string()),
            "HTTP_PROXY" => Some("http://plain.lan:80".to_string()),
            "NO_PROXY" => {
                Some("internal.example, .corp, 10.0.0.0/8, registry.lan:5000".to_string())
            }
            _ => None,
        };
        assert_eq!(
            proxy_url("quay.io", "https", env).as_deref(),
            Some("http://proxy.lan:3128")
        );
        assert_eq!(
            proxy_url("quay.io", "http", env).as_deref(),
            Some("http://plain.lan:80")
        );
        for direct in [
            "127.0.0.1:5000",
            "localhost",
            "[::1]:5000",
            "internal.example",
            "a.internal.example:443",
            "reg.corp",
            "10.2.3.4:5000",
            "registry.lan:5000",
        ] {
            assert_eq!(proxy_url(direct, "https", env), None, "{direct}");
        }
        assert!(proxy_url("registry.lan:6000", "https", env).is_some());
        assert_eq!(proxy_url("quay.io", "https", |_| None), None);
    }

    #[test]
    fn query_encoding() {
        assert_eq!(
            url_encode("repository:a/b:pull,push"),
            "repository%3Aa%2Fb%3Apull%2Cpush"
        );
    }
}

//! Registry credentials where docker and podman keep them: `~/.docker/config.json` (or
//! `$DOCKER_CONFIG/config.json`) with `auths`, `credsStore` and `credHelpers` (the
//! `docker-credential-NAME` programs), then containers' `auth.json` (`$REGISTRY_AUTH_FILE`,
//! `$XDG_RUNTIME_DIR/containers/auth.json`). `login` writes docker's file.

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine;
use serde_json::{json, Map, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A user name and secret for one registry.
#[derive(Clone, Debug, PartialEq)]
pub struct Credentials {
    pub username: String,
    pub secret: String,
}

impl Credentials {
    /// The value of an `Authorization: Basic` header.
    pub fn basic_header(&self) -> String {
        format!(
            "Basic {}",
            BASE64.encode(format!("{}:{}", self.username, self.secret))
        )
    }
}

const BASE64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The key docker uses for Docker Hub in its credential files.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The server name credentials for `domain` are filed under.
pub fn server_key(domain: &str) -> String {
    if domain == crate::image::reference::DEFAULT_DOMAIN
        || domain == "index.docker.io"
        || domain == "registry-1.docker.io"
    {
        DOCKER_HUB_KEY.to_string()
    } else {
        domain.to_string()
    }
}

/// docker's client configuration directory.
fn docker_config_dir() -> PathBuf {
    match std::env::var_os("DOCKER_CONFIG") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => crate::store::home_dir().join(".docker"),
    }
}

pub fn docker_config_path() -> PathBuf {
    docker_config_dir().join("config.json")
}

fn containers_auth_paths() -> Vec<PathBuf> {
    let mut paths = Vec::new();
    if let Some(file) = std::env::var_os("REGISTRY_AUTH_FILE").filter(|f| !f.is_empty()) {
        paths.push(PathBuf::from(file));
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        paths.push(PathBuf::from(dir).join("containers/auth.json"));
    }
    paths.push(crate::store::home_dir().join(".config/containers/auth.json"));
    paths
}

/// docker's config.json as a JSON object (empty when missing).
pub fn read_docker_config() -> Result<Map<String, Value>> {
    read_json_object(&docker_config_path())
}

fn read_json_object(path: &std::path::Path) -> Result<Map<String, Value>> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.iter().all(|b| b.is_ascii_whitespace()) => Ok(Map::new()),
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            _ => bail!("{} is not a valid JSON object", path.display()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Map::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// The credentials saved for the registry `domain`, if any.
pub fn lookup(domain: &str) -> Result<Option<Credentials>> {
    let key = server_key(domain);
    let config = read_docker_config()?;
    if let Some(helper) = helper_for(&config, &key) {
        if let Some(found) = helper_get(&helper, &key)? {
            return Ok(Some(found));
        }
    }
    if let Some(found) = from_auths(&config, &key)? {
        return Ok(Some(found));
    }
    for path in containers_auth_paths() {
        if let Some(found) = from_auths(&read_json_object(&path)?, &key)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The credential helper for `key`: its `credHelpers` entry, else the `credsStore`.
fn helper_for(config: &Map<String, Value>, key: &str) -> Option<String> {
    let specific = config
        .get("credHelpers")
        .and_then(|h| h.get(key))
        .and_then(Value::as_str);
    specific
        .or_else(|| config.get("credsStore").and_then(Value::as_str))
        .filter(|h| !h.is_empty())
        .map(str::to_string)
}

/// An `auths` entry for `key`, matching docker's spellings (`host`, `https://host`, `http://host/v2/`).
fn from_auths(config: &Map<String, Value>, key: &str) -> Result<Option<Credentials>> {
    let Some(auths) = config.get("auths").and_then(Value::as_object) else {
        return Ok(None);
    };
    let entry = auths.get(key).or_else(|| {
        auths
            .iter()
            .find(|(k, _)| normalise_key(k) == normalise_key(key))
            .map(|(_, v)| v)
    });
    let Some(entry) = entry else { return Ok(None) };
    if let Some(auth) = entry
        .get("auth")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
    {
        let decoded = BASE64
            .decode(auth.trim())
            .map_err(|_| anyhow!("invalid auth entry for {key} in the credentials file"))?;
        let text = String::from_utf8(decoded)
            .map_err(|_| anyhow!("invalid auth entry for {key} in the credentials file"))?;
        let (username, secret) = text
            .split_once(':')
            .ok_or_else(|| anyhow!("invalid auth entry for {key} in the credentials file"))?;
        return Ok(Some(Credentials {
            username: username.into(),
            secret: secret.into(),
        }));
    }
    let field = |name: &str| {
        entry
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    if !field("username").is_empty() {
        return Ok(Some(Credentials {
            username: field("username"),
            secret: field("password"),
        }));
    }
    Ok(None)
}

fn normalise_key(key: &str) -> &str {
    let key = key
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    key.split('/').next().unwrap_or(key)
}

fn helper_program(helper: &str) -> String {
    format!("docker-credential-{helper}")
}

fn run_helper(helper: &str, action: &str, input: &str) -> Result<(bool, String)> {
    let program = helper_program(helper);
    let mut child = Command::new(&program)
        .arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run the credential helper {program}"))?;
    child.stdin.take().unwrap().write_all(input.as_bytes())?;
    let out = child.wait_with_output()?;
    let mut text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if text.is_empty() {
        text = String::from_utf8_lossy(&out.stderr).trim().to_string();
    }
    Ok((out.status.success(), text))
}

fn helper_get(helper: &str, key: &str) -> Result<Option<Credentials>> {
    let (ok, text) = run_helper(helper, "get", key)?;
    if !ok {
        // Helpers say "credentials not found in native keychain" for unknown servers.
        if text.to_ascii_lowercase().contains("not found") {
            return Ok(None);
        }
        bail!(
            "credential helper {} failed: {text}",
            helper_program(helper)
        );
    }
    let value: Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "credential helper {} gave invalid output",
            helper_program(helper)
        )
    })?;
    let field = |name: &str| {
        value
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Ok(Some(Credentials {
        username: field("Username"),
        secret: field("Secret"),
    }))
}

/// Saves credentials for `domain` where docker would: its credential helper, else `auths`
/// in config.json (base64, unencrypted). Returns the file written, when one was.
pub fn save(domain: &str, credentials: &Credentials) -> Result<Option<PathBuf>> {
    let key = server_key(domain);
    let mut config = read_docker_config()?;
    if let Some(helper) = helper_for(&config, &key) {
        let input = json!({"ServerURL": key, "Username": credentials.username, "Secret": credentials.secret}).to_string();
        let (ok, text) = run_helper(&helper, "store", &input)?;
        if !ok {
            bail!(
                "credential helper {} cannot store the credentials: {text}",
                helper_program(&helper)
            );
        }
        return Ok(None);
    }
    let auths = config.entry("auths").or_insert_with(|| json!({}));
    let auths = auths
        .as_object_mut()
        .ok_or_else(|| anyhow!("invalid auths in {}", docker_config_path().display()))?;
    let auth = BASE64.encode(format!("{}:{}", credentials.username, credentials.secret));
    auths.insert(key, json!({ "auth": auth }));
    write_docker_config(&config)?;
    Ok(Some(docker_config_path()))
}

/// Removes the saved credentials for `domain`; returns false when there were none.
pub fn erase(domain: &str) -> Result<bool> {
    let key = server_key(domain);
    let mut config = read_docker_config()?;
    let mut removed = false;
    if let Some(helper) = helper_for(&config, &key) {
        if helper_get(&helper, &key)?.is_some() {
            let (ok, text) = run_helper(&helper, "erase", &key)?;
            if !ok {
                bail!(
                    "credential helper {} cannot erase the credentials: {text}",
                    helper_program(&helper)
                );
            }
            removed = true;
        }
    }
    if let Some(auths) = config.get_mut("auths").and_then(Value::as_object_mut) {
        let keys: Vec<String> = auths
            .keys()
            .filter(|k| **k == key || normalise_key(k) == normalise_key(&key))
            .cloned()
            .collect();
        for k in keys {
            auths.remove(&k);
            removed = true;
        }
        if removed {
            write_docker_config(&config)?;
        }
    }
    Ok(removed)
}

fn write_docker_config(config: &Map<String, Value>) -> Result<()> {
    let path = docker_config_path();
    let dir = path.parent().unwrap();
    if !dir.is_dir() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    }
    let mut text = serde_json::to_vec_pretty(config)?;
    text.push(b'\n');
    crate::store::write_atomic_mode(&path, &text, 0o600)
}

/// The proxy settings in docker's config.json (`proxies.default`), as environment names:
/// `httpProxy` as HTTP_PROXY and so on.
pub fn config_proxy(name: &str) -> Option<String> {
    let config = read_docker_config().ok()?;
    let key = match name {
        "HTTP_PROXY" => "httpProxy",
        "HTTPS_PROXY" => "httpsProxy",
        "NO_PROXY" => "noProxy",
        _ => return None,
    };
    config
        .get("proxies")?
        .get("default")?
        .get(key)?
        .as_str()
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auths_in_docker_spellings() {
        let config: Map<String, Value> = serde_json::from_str(
            r#"{"auths": {"https://index.docker.io/v1/": {"auth": "dTpw"}, "http://reg.lan:5000/v2/": {"username": "a", "password": "b"}}}"#,
        )
        .unwrap();
        let hub = from_auths(&config, &server_key("docker.io"))
            .unwrap()
            .unwrap();
        assert_eq!((hub.username.as_str(), hub.secret.as_str()), ("u", "p"));
        let lan = from_auths(&config, &server_key("reg.lan:5000"))
            .unwrap()
            .unwrap();
        assert_eq!((lan.username.as_str(), lan.secret.as_str()), ("a", "b"));
        assert!(from_auths(&config, "other:5000").unwrap().is_none());
    }

    #[test]
    fn helpers_by_registry_then_store() {
        let config: Map<String, Value> =
            serde_json::from_str(r#"{"credsStore": "pass", "credHelpers": {"gcr.io": "gcloud"}}"#)
                .unwrap();
        assert_eq!(helper_for(&config, "gcr.io").as_deref(), Some("gcloud"));
        assert_eq!(helper_for(&config, "quay.io").as_deref(), Some("pass"));
    }
}

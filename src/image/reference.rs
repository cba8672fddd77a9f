//! Image references as docker reads them: `busybox` is `docker.io/library/busybox:latest`,
//! `localhost:5000/team/app:1.2` keeps its registry, `repo@sha256:...` pins a digest.

use anyhow::{bail, Result};
use std::fmt;

pub const DEFAULT_DOMAIN: &str = "docker.io";
const OFFICIAL_PREFIX: &str = "library/";
/// The longest repository name, registry included.
const MAX_NAME_LEN: usize = 255;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Reference {
    pub domain: String,
    pub path: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl Reference {
    /// Parses and normalises a reference; a missing tag stays missing (see `with_default_tag`).
    pub fn parse(input: &str) -> Result<Reference> {
        let invalid = || anyhow::anyhow!("invalid reference format: {input:?}");
        if input.is_empty() || input.len() > MAX_NAME_LEN + 128 + 80 {
            return Err(invalid());
        }
        let (name, digest) = match input.split_once('@') {
            Some((name, digest)) => {
                validate_digest(digest).map_err(|_| invalid())?;
                (name, Some(digest.to_string()))
            }
            None => (input, None),
        };
        let (name, tag) = match name.rfind(':') {
            Some(i) if !name[i + 1..].contains('/') => {
                (&name[..i], Some(name[i + 1..].to_string()))
            }
            _ => (name, None),
        };
        if let Some(tag) = &tag {
            if !valid_tag(tag) {
                return Err(invalid());
            }
        }
        let (domain, path) = split_domain(name);
        // docker's limit is on the full name, so that a short name stays readable as the full
        // name skiff stores.
        if domain.len() + 1 + path.len() > MAX_NAME_LEN {
            bail!("invalid reference format: repository name must not be more than {MAX_NAME_LEN} characters");
        }
        if name.chars().any(|c| c.is_ascii_uppercase()) && domain == DEFAULT_DOMAIN {
            bail!("invalid reference format: repository name ({name}) must be lowercase");
        }
        if path.is_empty() || !path.split('/').all(valid_path_component) || !valid_domain(&domain) {
            return Err(invalid());
        }
        Ok(Reference {
            domain,
            path,
            tag,
            digest,
        })
    }

    /// The reference with `:latest` when it names neither a tag nor a digest.
    pub fn with_default_tag(mut self) -> Reference {
        if self.tag.is_none() && self.digest.is_none() {
            self.tag = Some("latest".into());
        }
        self
    }

    /// `docker.io/library/busybox`
    pub fn repository(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// `busybox`, as docker shows it.
    pub fn familiar_repository(&self) -> String {
        if self.domain == DEFAULT_DOMAIN {
            self.path
                .strip_prefix(OFFICIAL_PREFIX)
                .unwrap_or(&self.path)
                .to_string()
        } else {
            self.repository()
        }
    }

    /// `busybox:latest` (or with `@digest`), as docker prints it.
    pub fn familiar(&self) -> String {
        self.render(&self.familiar_repository())
    }

    fn render(&self, repo: &str) -> String {
        let mut out = repo.to_string();
        if let Some(tag) = &self.tag {
            out.push(':');
            out.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            out.push('@');
            out.push_str(digest);
        }
        out
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(&self.repository()))
    }
}

fn split_domain(name: &str) -> (String, String) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first.to_string(), rest.to_string())
        }
        Some(_) => (DEFAULT_DOMAIN.to_string(), name.to_string()),
        None => (
            DEFAULT_DOMAIN.to_string(),
            format!("{OFFICIAL_PREFIX}{name}"),
        ),
    }
}

fn valid_domain(domain: &str) -> bool {
    let host = match domain.rsplit_once(':') {
        Some((host, port)) => {
            if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            host
        }
        None => domain,
    };
    !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'[' || b == b']')
}

/// A path component: lowercase alphanumerics separated by `.`, `_`, `__` or runs of `-`.
fn valid_path_component(part: &str) -> bool {
    let bytes = part.as_bytes();
    if bytes.is_empty() || !is_alnum(bytes[0]) || !is_alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if is_alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !is_alnum(bytes[i]) {
            i += 1;
        }
        let sep = &part[start..i];
        if !(sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-')) {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

fn valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

fn validate_digest(digest: &str) -> Result<()> {
    match digest.split_once(':') {
        Some(("sha256", hex)) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(())
        }
        _ => bail!("invalid digest {digest:?}"),
    }
}

/// A glob match of `*` and `?` (enough for `images -f reference=...`), where `*` does not cross `/`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], t) || (!t.is_empty() && t[0] != b'/' && go(p, &t[1..])),
            (Some(b'?'), Some(c)) if *c != b'/' => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(s: &str) -> String {
        Reference::parse(s).unwrap().with_default_tag().to_string()
    }

    #[test]
    fn normalises_like_docker() {
        assert_eq!(full("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(full("my/base:1"), "docker.io/my/base:1");
        assert_eq!(
            full("localhost:5000/team/app:1.2"),
            "localhost:5000/team/app:1.2"
        );
        assert_eq!(full("localhost/app"), "localhost/app:latest");
        assert_eq!(full("quay.io/a/b"), "quay.io/a/b:latest");
        let d = "sha256:".to_string() + &"a".repeat(64);
        assert_eq!(
            full(&format!("repo@{d}")),
            format!("docker.io/library/repo@{d}")
        );
        assert_eq!(
            Reference::parse("library/busybox:1").unwrap().familiar(),
            "busybox:1"
        );
        assert_eq!(
            Reference::parse("registry:5000/x").unwrap().familiar(),
            "registry:5000/x"
        );
    }

    #[test]
    fn rejects_bad_references() {
        for bad in [
            "",
            "UPPER",
            "a//b",
            "a/",
            ":tag",
            "a:b:c",
            "a@sha256:12",
            "-a",
            "a..b",
            "a:-x",
            &"a".repeat(256),
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn long_names_are_limited_as_stored() {
        // Found by fuzzing: `a/bbb...` (457 characters) was accepted, but not the full name
        // `docker.io/a/bbb...` that skiff stores its tag under, so the tag could not be read back.
        for n in [200, 243, 244, 455] {
            let short = format!("a/{}", "b".repeat(n));
            if let Ok(reference) = Reference::parse(&short) {
                let full = reference.to_string();
                assert!(Reference::parse(&full).is_ok(), "{full} does not read back");
            }
        }
        let longest = format!("a/{}", "b".repeat(255 - "docker.io/a/".len()));
        assert_eq!(Reference::parse(&longest).unwrap().to_string().len(), 255);
        let err = Reference::parse(&format!("{longest}b"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("must not be more than 255 characters"),
            "{err}"
        );
    }

    #[test]
    fn globs() {
        assert!(glob_match("busy*", "busybox"));
        assert!(glob_match("*/base:*", "my/base:1"));
        assert!(!glob_match("*", "my/base"));
        assert!(glob_match("b?sybox", "busybox"));
    }
}

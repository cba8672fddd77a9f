//! Which handler answers a path. Paths come with or without a `/vX.Y` prefix; an image name
//! may contain `/`, so a route's one variable part takes whatever lies between the literal
//! segments matched from the start and those matched from the end.

/// A route: a method and a pattern such as `/images/{name}/json`.
pub struct Route<H> {
    pub method: &'static str,
    pub pattern: &'static str,
    pub handler: H,
    /// Whether its request body is an upload (a build context, an archive), kept on disk
    /// rather than in memory.
    pub upload: bool,
}

/// The path without an API version prefix (`/v1.44/info` -> `/info`).
pub fn strip_version(path: &str) -> &str {
    let Some(rest) = path.strip_prefix("/v") else {
        return path;
    };
    let end = rest.find('/').unwrap_or(rest.len());
    let version = &rest[..end];
    let is_version = !version.is_empty()
        && version.split('.').count() <= 2
        && version
            .split('.')
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if is_version {
        &rest[end..]
    } else {
        path
    }
}

/// The variable part of `path` when it fits `pattern` (an empty string for a pattern without
/// one), or None.
pub fn matches(pattern: &str, path: &str) -> Option<String> {
    let want: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let have: Vec<&str> = path.trim_matches('/').split('/').collect();
    let Some(var) = want.iter().position(|s| s.starts_with('{')) else {
        return (want == have).then(String::new);
    };
    let (before, after) = (&want[..var], &want[var + 1..]);
    if have.len() < before.len() + after.len() + 1 {
        return None;
    }
    let tail = &have[have.len() - after.len()..];
    if have[..before.len()] != *before || tail != after {
        return None;
    }
    let middle = &have[before.len()..have.len() - after.len()];
    (!middle.iter().any(|s| s.is_empty())).then(|| middle.join("/"))
}

/// The route of a request, with its variable part; Err(true) when the path is known but
/// not for this method (405), Err(false) when it is unknown (404).
pub fn find<'r, H>(
    routes: &'r [Route<H>],
    method: &str,
    path: &str,
) -> Result<(&'r Route<H>, String), bool> {
    let path = strip_version(path);
    let method = if method == "HEAD" { "GET" } else { method };
    let mut known_path = false;
    for route in routes {
        if let Some(var) = matches(route.pattern, path) {
            if route.method == method {
                return Ok((route, var));
            }
            known_path = true;
        }
    }
    Err(known_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_any_version_prefix() {
        assert_eq!(strip_version("/v1.44/info"), "/info");
        assert_eq!(strip_version("/v1.41/images/json"), "/images/json");
        assert_eq!(strip_version("/v2/_ping"), "/_ping");
        assert_eq!(strip_version("/info"), "/info");
        assert_eq!(strip_version("/volumes"), "/volumes");
    }

    #[test]
    fn names_with_slashes_match_from_the_end() {
        assert_eq!(
            matches(
                "/images/{name}/json",
                "/images/127.0.0.1:5000/lib/busybox:1/json"
            )
            .as_deref(),
            Some("127.0.0.1:5000/lib/busybox:1")
        );
        assert_eq!(
            matches("/images/{name}", "/images/a/b").as_deref(),
            Some("a/b")
        );
        assert_eq!(matches("/images/{name}/json", "/images/json"), None);
        assert_eq!(
            matches("/containers/json", "/containers/json").as_deref(),
            Some("")
        );
        assert_eq!(
            matches("/containers/{id}/start", "/containers/x/stop"),
            None
        );
    }

    #[test]
    fn tells_unknown_paths_from_wrong_methods() {
        let routes = [Route {
            method: "GET",
            pattern: "/_ping",
            handler: 1,
            upload: false,
        }];
        assert_eq!(
            find(&routes, "HEAD", "/v1.44/_ping").map(|(r, _)| r.handler),
            Ok(1)
        );
        assert_eq!(
            find(&routes, "POST", "/_ping").map(|(r, _)| r.handler),
            Err(true)
        );
        assert_eq!(
            find(&routes, "GET", "/nothing").map(|(r, _)| r.handler),
            Err(false)
        );
    }
}

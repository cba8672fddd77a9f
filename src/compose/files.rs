//! Which compose files a project has, where its directory is, and what it is called.

use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

/// The file names docker compose looks for, in its order of preference.
const FILE_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];
const OVERRIDE_NAMES: [&str; 4] = [
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// Finds the project's files when no `-f` is given: the first compose file in `dir` or its
/// nearest parent that has one, then that directory's override file if there is one.
pub fn find(dir: &Path) -> Result<Vec<PathBuf>> {
    for candidate in dir.ancestors() {
        let Some(main) = first_existing(candidate, &FILE_NAMES) else {
            continue;
        };
        let mut files = vec![main];
        files.extend(first_existing(candidate, &OVERRIDE_NAMES));
        return Ok(files);
    }
    bail!("no configuration file provided: not found")
}

fn first_existing(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
}

/// A name given with `-p` or `COMPOSE_PROJECT_NAME` is used as it is, and must be valid.
pub fn checked_name(name: &str) -> Result<String> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if name.is_empty() {
        bail!("project name must not be empty");
    }
    if !valid {
        bail!(
            "{name:?} is not a valid project name: it must contain only characters from \
             [a-z0-9_-] and start with [a-z0-9]"
        );
    }
    Ok(name.to_string())
}

/// A name taken from the file's `name:` or the directory's name is made valid: lowercased,
/// stripped of other characters, and of leading `_` and `-`.
pub fn normalized_name(name: &str) -> String {
    let kept: String = name
        .to_lowercase()
        .chars()
        .filter(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_names_are_normalized() {
        assert_eq!(normalized_name("My App.v2"), "myappv2");
        assert_eq!(normalized_name("__-web_1"), "web_1");
        assert_eq!(normalized_name("Été"), "t");
    }

    #[test]
    fn given_names_must_be_valid() {
        assert_eq!(checked_name("web-1_x").unwrap(), "web-1_x");
        assert!(checked_name("").is_err());
        assert!(checked_name("-web").is_err());
        assert!(checked_name("Web")
            .unwrap_err()
            .to_string()
            .contains("[a-z0-9_-]"));
    }

    #[test]
    fn lookup_climbs_to_parents_and_takes_the_override() {
        let root = std::env::temp_dir().join(format!("skiff-compose-find-{}", std::process::id()));
        let deep = root.join("a/b");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(root.join("docker-compose.yml"), "services: {}\n").unwrap();
        std::fs::write(root.join("compose.yaml"), "services: {}\n").unwrap();
        std::fs::write(root.join("compose.override.yaml"), "services: {}\n").unwrap();
        let found = find(&deep).unwrap();
        assert_eq!(
            found,
            [
                root.join("compose.yaml"),
                root.join("compose.override.yaml")
            ]
        );
        std::fs::remove_dir_all(&root).unwrap();
        assert!(find(&deep).is_err());
    }
}

//! `include`: other compose files whose services, networks, volumes, secrets and configs join
//! the project. A name that the including file (or another included file) already defines
//! differently is refused.

use super::extends::ReadFile;
use super::yaml::{Map, Node, Value};
use anyhow::{anyhow, bail, Result};
use std::path::{Path, PathBuf};

/// The sections an included file brings.
const SECTIONS: [&str; 5] = ["services", "networks", "volumes", "secrets", "configs"];

/// Replaces `doc`'s `include` (read from `file`) by the resources of the files it names.
/// `chain` holds the files being included, to refuse cycles.
pub fn apply_include(
    doc: &mut Node,
    file: &Path,
    read: ReadFile,
    chain: &mut Vec<PathBuf>,
) -> Result<()> {
    let Value::Map(entries) = &mut doc.value else {
        return Ok(());
    };
    let Some(at) = entries.iter().position(|(k, _)| k == "include") else {
        return Ok(());
    };
    let include = entries.remove(at).1;
    chain.push(file.to_path_buf());
    for path in included_paths(&include, file)? {
        if chain.contains(&path) {
            bail!(
                "include cycle detected: {} includes {}",
                file.display(),
                path.display()
            );
        }
        let mut included = read(&path)?;
        apply_include(&mut included, &path, read, chain)?;
        import(entries, included)?;
    }
    chain.pop();
    Ok(())
}

/// The files an `include` names, each entry a path or a mapping whose `path` is one or a list.
fn included_paths(include: &Node, file: &Path) -> Result<Vec<PathBuf>> {
    let dir = file.parent().unwrap_or(Path::new("."));
    let Value::Seq(items) = &include.value else {
        bail!("include must be a list");
    };
    let mut paths = Vec::new();
    for item in items {
        let path = item.get("path").unwrap_or(item);
        let texts = match &path.value {
            Value::Seq(list) => list.iter().collect(),
            _ => vec![path],
        };
        for text in texts {
            let Value::Scalar { text, .. } = &text.value else {
                return Err(anyhow!("include path must be a string"));
            };
            paths.push(dir.join(text));
        }
    }
    Ok(paths)
}

/// Adds the resources of an included file to the including file's top level.
fn import(entries: &mut Map, included: Node) -> Result<()> {
    let Value::Map(sections) = included.value else {
        return Ok(());
    };
    for (section, resources) in sections
        .into_iter()
        .filter(|(k, _)| SECTIONS.contains(&k.as_str()))
    {
        let Value::Map(resources) = resources.value else {
            continue;
        };
        let target = match entries.iter().position(|(k, _)| *k == section) {
            Some(at) => at,
            None => {
                entries.push((section.clone(), empty_section_at(&resources)));
                entries.len() - 1
            }
        };
        let Value::Map(existing) = &mut entries[target].1.value else {
            bail!("{section} must be a mapping");
        };
        for (name, resource) in resources {
            match existing.iter().find(|(k, _)| *k == name) {
                Some((_, same)) if *same == resource => {}
                Some(_) => bail!("{section}.{name} conflicts with imported resource"),
                None => existing.push((name, resource)),
            }
        }
    }
    Ok(())
}

/// An empty section, placed where the imported resources were, for error messages.
fn empty_section_at(resources: &Map) -> Node {
    let (line, column) = resources
        .first()
        .map_or((1, 1), |(_, n)| (n.line, n.column));
    Node {
        value: Value::Map(Map::new()),
        tag: None,
        line,
        column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::test_files::{read, LOADER};
    use crate::compose::yaml::parse;

    #[test]
    fn included_services_join_the_project() {
        let file = Path::new(LOADER).join("compose-include.yaml");
        let mut doc = read(&file).unwrap();
        apply_include(&mut doc, &file, &read, &mut Vec::new()).unwrap();
        assert!(doc.get("include").is_none());
        let services: Vec<_> = doc
            .get("services")
            .unwrap()
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(services, ["bar", "imported"]);
    }

    #[test]
    fn include_cycles_are_refused() {
        let file = Path::new(LOADER).join("compose-include-cycle.yaml");
        let mut doc = read(&file).unwrap();
        let message = apply_include(&mut doc, &file, &read, &mut Vec::new())
            .unwrap_err()
            .to_string();
        assert!(message.contains("include cycle"), "{message}");
    }

    #[test]
    fn a_conflicting_resource_is_named() {
        let mut entries = parse("services: {web: {image: a}}", "a").unwrap();
        let Value::Map(entries) = &mut entries.value else {
            unreachable!()
        };
        let included = parse("services: {web: {image: b}}", "b").unwrap();
        let message = import(entries, included).unwrap_err().to_string();
        assert_eq!(message, "services.web conflicts with imported resource");
        let same = parse("services: {web: {image: a}}", "c").unwrap();
        import(entries, same).unwrap();
    }
}

//! `extends`: a service built on another one, from the same file or from `file:`. The base is
//! resolved first (it may extend another in turn), then the extending service is merged onto
//! it with the rules of merging files.

use super::merge::merge_service;
use super::yaml::{Node, Value};
use anyhow::{anyhow, bail, Result};
use std::path::{Path, PathBuf};

/// Reads a file as a parsed, checked and interpolated tree.
pub type ReadFile<'a> = &'a dyn Fn(&Path) -> Result<Node>;

/// Resolves the `extends` of every service of `doc`, which was read from `file`.
pub fn apply_extends(doc: &mut Node, file: &Path, read: ReadFile) -> Result<()> {
    let names: Vec<String> = services(doc)
        .map(|s| s.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let mut resolved = Vec::new();
    for name in names {
        resolved.push((
            name.clone(),
            resolve(doc, file, &name, read, &mut Vec::new())?,
        ));
    }
    if let Some(Value::Map(entries)) = services_mut(doc) {
        for (name, service) in resolved {
            if let Some(entry) = entries.iter_mut().find(|(k, _)| *k == name) {
                entry.1 = service;
            }
        }
    }
    Ok(())
}

/// The service `name` of `doc` with its `extends` resolved; `chain` holds the services being
/// resolved, to refuse cycles.
fn resolve(
    doc: &Node,
    file: &Path,
    name: &str,
    read: ReadFile,
    chain: &mut Vec<(PathBuf, String)>,
) -> Result<Node> {
    let service = services(doc)
        .and_then(|s| s.iter().find(|(k, _)| k == name))
        .map(|(_, v)| v.clone())
        .ok_or_else(|| {
            anyhow!(
                "cannot extend service {name:?} in {}: service not found",
                file.display()
            )
        })?;
    let Some(extends) = service.get("extends") else {
        return Ok(service);
    };
    let link = (file.to_path_buf(), name.to_string());
    if chain.contains(&link) {
        bail!(
            "circular reference with extends in {}: service {name:?}",
            file.display()
        );
    }
    chain.push(link);
    let (base_name, base_file) = target(extends, file)?;
    let base = match &base_file {
        Some(other) => resolve(&read(other)?, other, &base_name, read, chain)?,
        None => resolve(doc, file, &base_name, read, chain)?,
    };
    chain.pop();
    let mut own = service;
    if let Value::Map(entries) = &mut own.value {
        entries.retain(|(k, _)| k != "extends");
    }
    Ok(merge_service(name, base, own))
}

/// The service and (when not this one) the file that `extends` names.
fn target(extends: &Node, file: &Path) -> Result<(String, Option<PathBuf>)> {
    let scalar = |node: Option<&Node>| match node.map(|n| &n.value) {
        Some(Value::Scalar { text, .. }) => Some(text.clone()),
        _ => None,
    };
    if let Some(name) = scalar(Some(extends)) {
        return Ok((name, None));
    }
    let service =
        scalar(extends.get("service")).ok_or_else(|| anyhow!("extends requires a service"))?;
    let dir = file.parent().unwrap_or(Path::new("."));
    Ok((service, scalar(extends.get("file")).map(|f| dir.join(f))))
}

fn services(doc: &Node) -> Option<&Vec<(String, Node)>> {
    doc.get("services")?.as_map()
}

fn services_mut(doc: &mut Node) -> Option<&mut Value> {
    match &mut doc.value {
        Value::Map(entries) => entries
            .iter_mut()
            .find(|(k, _)| k == "services")
            .map(|(_, v)| &mut v.value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::test_files::{read, LOADER};
    use crate::compose::yaml::parse;

    fn service(doc: &Node, name: &str) -> Node {
        doc.get("services").unwrap().get(name).unwrap().clone()
    }

    fn text(node: &Node, key: &str) -> String {
        match &node.get(key).unwrap_or_else(|| panic!("no {key}")).value {
            Value::Scalar { text, .. } => text.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn services_extend_others_in_the_same_file_and_in_others() {
        let file = Path::new(LOADER).join("extends/base.yaml");
        let mut doc = read(&file).unwrap();
        apply_extends(&mut doc, &file, &read).unwrap();
        let another = service(&doc, "another");
        assert_eq!(text(&another, "image"), "base");
        assert!(another.get("extends").is_none());
        let with_build = service(&doc, "with-build");
        let sibling = read(&Path::new(LOADER).join("extends/sibling.yaml")).unwrap();
        let sibling_test = service(&sibling, "test");
        for (key, _) in sibling_test
            .as_map()
            .unwrap()
            .iter()
            .filter(|(k, _)| k != "extends")
        {
            assert!(with_build.get(key).is_some(), "with-build lacks {key}");
        }
    }

    #[test]
    fn the_extending_service_wins() {
        let file = Path::new("/nowhere/compose.yaml");
        let mut doc = parse(
            "services:\n  base: {image: a, command: [x, y], dns: [1.1.1.1]}\n  \
             web: {extends: base, command: [z], dns: [8.8.8.8]}\n",
            "f",
        )
        .unwrap();
        apply_extends(&mut doc, file, &read).unwrap();
        let want = parse("{image: a, command: [z], dns: [1.1.1.1, 8.8.8.8]}", "w").unwrap();
        assert_eq!(service(&doc, "web"), want);
    }

    #[test]
    fn cycles_and_missing_services_are_refused() {
        let file = Path::new("/nowhere/compose.yaml");
        let mut doc = parse("services:\n  a: {extends: b}\n  b: {extends: a}\n", "f").unwrap();
        let message = apply_extends(&mut doc, file, &read)
            .unwrap_err()
            .to_string();
        assert!(message.contains("circular reference"), "{message}");
        let mut doc = parse("services:\n  a: {extends: nope}\n", "f").unwrap();
        let message = apply_extends(&mut doc, file, &read)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("\"nope\"") && message.contains("not found"),
            "{message}"
        );
    }
}

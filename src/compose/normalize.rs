//! What docker compose adds to a loaded project before using or printing it: services with no
//! network join the project's `default` network, which then exists, and networks and volumes
//! get their real names (`PROJECT_KEY`, or the key itself when external), and commands written
//! as one string become the words a shell would split them into. `environment` and `labels`
//! lists become mappings, a bare `environment` name taking the shell's value. Short ports and
//! volumes take the long syntax.

use super::merge::as_keyed_map;
use super::ports::long_form;
use super::template::Lookup;
use super::volumes;
use super::yaml::{Map, Node, Value};
use crate::image::change::split_words;
use anyhow::{anyhow, Result};
use std::path::Path;

pub fn normalize(
    model: &mut Node,
    project: &str,
    project_dir: &Path,
    lookup: Lookup,
) -> Result<()> {
    split_commands(model)?;
    long_syntax(model, "ports", &long_form)?;
    long_syntax(model, "volumes", &|spec, at| {
        Ok(vec![volumes::long_form(spec, project_dir, at)?])
    })?;
    key_value_maps(model, lookup);
    let joins_default = join_default_network(model);
    let Value::Map(sections) = &mut model.value else {
        return Ok(());
    };
    if joins_default {
        let line = model_line(sections);
        let networks = section(sections, "networks", empty_map(line));
        if let Value::Map(entries) = &mut networks.value {
            if !entries.iter().any(|(k, _)| k == "default") {
                entries.insert(0, ("default".into(), empty_map(networks.line)));
            }
        }
    }
    for kind in ["networks", "volumes"] {
        if let Some((_, node)) = sections.iter_mut().find(|(k, _)| k == kind) {
            name_resources(node, project);
        }
    }
    Ok(())
}

/// `command` and `entrypoint` strings become lists of words, and a `healthcheck.test` string
/// a `CMD-SHELL` test, as docker compose reads them; null and empty lists stay as they are.
fn split_commands(model: &mut Node) -> Result<()> {
    let Some(Value::Map(services)) = entry_mut(model, "services").map(|n| &mut n.value) else {
        return Ok(());
    };
    for (name, service) in services.iter_mut() {
        for key in ["command", "entrypoint"] {
            if let Some(command) = entry_mut(service, key) {
                if let Value::Scalar { text, plain } = &command.value {
                    if !(*plain && command.is_null()) {
                        let words =
                            split_words(text).map_err(|e| anyhow!("services.{name}.{key}: {e}"))?;
                        command.value =
                            Value::Seq(words.into_iter().map(|w| string_at(w, command)).collect());
                    }
                }
            }
        }
        if let Some(test) = entry_mut(service, "healthcheck").and_then(|h| entry_mut(h, "test")) {
            if let Value::Scalar { text, .. } = &test.value {
                let words = vec![
                    string_at("CMD-SHELL".into(), test),
                    string_at(text.clone(), test),
                ];
                test.value = Value::Seq(words);
            }
        }
    }
    Ok(())
}

/// Replaces each short-syntax (string) item of every service's `key` list by the long-syntax
/// items `convert` makes of it.
fn long_syntax(
    model: &mut Node,
    key: &str,
    convert: &dyn Fn(&str, &Node) -> Result<Vec<Node>>,
) -> Result<()> {
    let Some(Value::Map(services)) = entry_mut(model, "services").map(|n| &mut n.value) else {
        return Ok(());
    };
    for (name, service) in services.iter_mut() {
        let Some(Value::Seq(items)) = entry_mut(service, key).map(|n| &mut n.value) else {
            continue;
        };
        let mut long = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match &item.value {
                Value::Scalar { text, .. } => long.extend(
                    convert(text, item).map_err(|e| anyhow!("services.{name}.{key}[{i}]: {e}"))?,
                ),
                _ => long.push(item.clone()),
            }
        }
        *items = long;
    }
    Ok(())
}

/// `environment` and `labels` as mappings sorted by key, as docker compose prints them.
fn key_value_maps(model: &mut Node, lookup: Lookup) {
    let Some(Value::Map(services)) = entry_mut(model, "services").map(|n| &mut n.value) else {
        return;
    };
    for (_, service) in services.iter_mut() {
        for key in ["environment", "labels"] {
            let Some(node) = entry_mut(service, key) else {
                continue;
            };
            *node = as_keyed_map(node.clone());
            let Value::Map(entries) = &mut node.value else {
                continue;
            };
            if key == "environment" {
                inherit_unset(entries, lookup);
            }
            entries.sort_by(|a, b| a.0.cmp(&b.0));
        }
    }
}

/// An environment name without a value takes the shell's, or stays null.
fn inherit_unset(entries: &mut Map, lookup: Lookup) {
    for (name, value) in entries.iter_mut() {
        if value.is_null() {
            if let Some(inherited) = lookup(name) {
                *value = string_at(inherited, value);
            }
        }
    }
}

fn entry_mut<'a>(node: &'a mut Node, key: &str) -> Option<&'a mut Node> {
    map_entries(node)?
        .iter_mut()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// A string node placed where `near` is.
fn string_at(text: String, near: &Node) -> Node {
    Node {
        value: Value::Scalar { text, plain: false },
        tag: None,
        line: near.line,
        column: near.column,
    }
}

/// Gives every service without `network_mode` or `networks` the default network; says whether
/// any service is on the default network.
fn join_default_network(model: &mut Node) -> bool {
    let Some((_, services)) =
        map_entries(model).and_then(|s| s.iter_mut().find(|(k, _)| k == "services"))
    else {
        return false;
    };
    let Value::Map(services) = &mut services.value else {
        return false;
    };
    let mut joins = false;
    for (_, service) in services.iter_mut() {
        if service.is_null() {
            *service = empty_map(service.line);
        }
        let Value::Map(keys) = &mut service.value else {
            continue;
        };
        if !keys
            .iter()
            .any(|(k, _)| k == "network_mode" || k == "networks")
        {
            let mut networks = empty_map(service.line);
            networks.value = Value::Map(vec![("default".into(), null(service.line))]);
            keys.push(("networks".into(), networks));
        }
        joins |= uses_default(keys);
    }
    joins
}

fn uses_default(service: &Map) -> bool {
    let Some((_, networks)) = service.iter().find(|(k, _)| k == "networks") else {
        return false;
    };
    match &networks.value {
        Value::Map(entries) => entries.iter().any(|(k, _)| k == "default"),
        Value::Seq(items) => items
            .iter()
            .any(|n| matches!(&n.value, Value::Scalar { text, .. } if text == "default")),
        Value::Scalar { .. } => false,
    }
}

/// Sets the `name` of each network or volume that has none.
fn name_resources(section: &mut Node, project: &str) {
    let Value::Map(resources) = &mut section.value else {
        return;
    };
    for (key, resource) in resources.iter_mut() {
        if resource.is_null() {
            *resource = empty_map(resource.line);
        }
        let external = matches!(resource.get("external").map(|n| &n.value), Some(Value::Scalar { text, .. }) if text == "true");
        let Value::Map(fields) = &mut resource.value else {
            continue;
        };
        if !fields.iter().any(|(k, _)| k == "name") {
            let name = if external {
                key.clone()
            } else {
                format!("{project}_{key}")
            };
            let value = Value::Scalar {
                text: name,
                plain: false,
            };
            fields.insert(
                0,
                (
                    "name".into(),
                    Node {
                        value,
                        tag: None,
                        line: resource.line,
                        column: resource.column,
                    },
                ),
            );
        }
    }
}

fn section<'a>(sections: &'a mut Map, key: &str, empty: Node) -> &'a mut Node {
    let at = match sections.iter().position(|(k, _)| k == key) {
        Some(at) => at,
        None => {
            sections.push((key.to_string(), empty));
            sections.len() - 1
        }
    };
    &mut sections[at].1
}

fn map_entries(node: &mut Node) -> Option<&mut Map> {
    match &mut node.value {
        Value::Map(entries) => Some(entries),
        _ => None,
    }
}

fn model_line(sections: &Map) -> usize {
    sections.last().map_or(1, |(_, n)| n.line)
}

fn empty_map(line: usize) -> Node {
    Node {
        value: Value::Map(Map::new()),
        tag: None,
        line,
        column: 1,
    }
}

fn null(line: usize) -> Node {
    Node {
        value: Value::Scalar {
            text: "null".into(),
            plain: true,
        },
        tag: None,
        line,
        column: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::yaml::parse;

    #[test]
    fn services_join_the_default_network_and_resources_are_named() {
        let mut doc = parse(
            "services:\n  web: {image: a}\n  host: {image: b, network_mode: host}\n  \
             back: {image: c, networks: [back]}\nnetworks:\n  back:\nvolumes:\n  data: {}\n  \
             old: {external: true}\n  mine: {name: given}\n",
            "f",
        )
        .unwrap();
        normalize(&mut doc, "proj", Path::new("/p"), &|_: &str| None).unwrap();
        let want = parse(
            "services:\n  web: {image: a, networks: {default: null}}\n  host: {image: b, network_mode: host}\n  \
             back: {image: c, networks: [back]}\nnetworks:\n  default: {name: 'proj_default'}\n  \
             back: {name: 'proj_back'}\nvolumes:\n  data: {name: 'proj_data'}\n  old: {name: 'old', external: true}\n  \
             mine: {name: given}\n",
            "w",
        )
        .unwrap();
        assert_eq!(doc, want);
    }

    #[test]
    fn no_default_network_when_no_service_uses_it() {
        let mut doc = parse("services:\n  web: {image: a, network_mode: none}\n", "f").unwrap();
        normalize(&mut doc, "proj", Path::new("/p"), &|_: &str| None).unwrap();
        assert!(doc.get("networks").is_none());
    }
}

#[cfg(test)]
mod command_tests {
    use super::*;
    use crate::compose::yaml::parse;

    #[test]
    fn command_strings_are_split_like_a_shell() {
        let mut doc = parse(
            "services:\n  web:\n    network_mode: none\n    command: sh -c 'echo \"a b\"'\n    entrypoint: []\n    \
             healthcheck: {test: curl -f localhost}\n  db: {network_mode: none, command: null}\n",
            "f",
        )
        .unwrap();
        normalize(&mut doc, "p", Path::new("/p"), &|_: &str| None).unwrap();
        let want = parse(
            "services:\n  web:\n    network_mode: none\n    command: ['sh', '-c', 'echo \"a b\"']\n    entrypoint: []\n    \
             healthcheck: {test: ['CMD-SHELL', 'curl -f localhost']}\n  db: {network_mode: none, command: null}\n",
            "w",
        )
        .unwrap();
        assert_eq!(doc, want);
        let mut bad = parse("services:\n  web: {command: \"sh 'open\"}\n", "f").unwrap();
        let message = normalize(&mut bad, "p", Path::new("/p"), &|_: &str| None)
            .unwrap_err()
            .to_string();
        assert!(message.starts_with("services.web.command: "), "{message}");
    }
}

#[cfg(test)]
mod environment_tests {
    use super::*;
    use crate::compose::yaml::parse;

    #[test]
    fn environment_lists_become_sorted_mappings() {
        let mut doc = parse(
            "services:\n  web:\n    network_mode: none\n    environment: [Z=1, SHELL_SET, UNSET, A=x=y]\n    \
             labels: {b: '2', a: '1'}\n",
            "f",
        )
        .unwrap();
        let env = |name: &str| (name == "SHELL_SET").then(|| "from shell".to_string());
        normalize(&mut doc, "p", Path::new("/p"), &env).unwrap();
        let want = parse(
            "services:\n  web:\n    network_mode: none\n    \
             environment: {A: 'x=y', SHELL_SET: 'from shell', UNSET: null, Z: '1'}\n    labels: {a: '1', b: '2'}\n",
            "w",
        )
        .unwrap();
        assert_eq!(doc, want);
    }
}

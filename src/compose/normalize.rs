//! What docker compose adds to a loaded project before using or printing it: services with no
//! network join the project's `default` network, which then exists, and networks and volumes
//! get their real names (`PROJECT_KEY`, or the key itself when external).

use super::yaml::{Map, Node, Value};

pub fn normalize(model: &mut Node, project: &str) {
    let joins_default = join_default_network(model);
    let Value::Map(sections) = &mut model.value else {
        return;
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
        normalize(&mut doc, "proj");
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
        normalize(&mut doc, "proj");
        assert!(doc.get("networks").is_none());
    }
}

//! Merging of several compose files, in order, as the compose specification says: mappings
//! merge, sequences append (without repeating an equal item, and one volume per target),
//! `command`, `entrypoint` and `healthcheck.test` are replaced, key/value lists merge by key,
//! `!reset` removes what earlier files said and `!override` replaces it.

use super::yaml::{Map, Node, Tag, Value};

/// Merges `overlay` onto `base`, both whole files.
pub fn merge_files(base: Node, overlay: Node) -> Node {
    merge(base, overlay, &mut Vec::new())
}

/// Merges the service `overlay` onto `base`, as the service `name` of two files.
pub fn merge_service(name: &str, base: Node, overlay: Node) -> Node {
    merge(
        base,
        overlay,
        &mut vec!["services".to_string(), name.to_string()],
    )
}

fn merge(base: Node, overlay: Node, path: &mut Vec<String>) -> Node {
    if overlay.tag == Some(Tag::Override) || replaced_whole(path) {
        return overlay;
    }
    let (base, overlay) = if keyed_by_name(path) {
        (as_keyed_map(base), as_keyed_map(overlay))
    } else {
        (base, overlay)
    };
    match (base.value, overlay.value) {
        (Value::Map(base_map), Value::Map(overlay_map)) => {
            let value = Value::Map(merge_maps(base_map, overlay_map, path));
            Node { value, ..overlay }
        }
        (Value::Seq(base_items), Value::Seq(overlay_items)) => {
            let value = Value::Seq(append(base_items, overlay_items, path));
            Node { value, ..overlay }
        }
        (_, value) => Node { value, ..overlay },
    }
}

fn merge_maps(mut base: Map, overlay: Map, path: &mut Vec<String>) -> Map {
    for (key, value) in overlay {
        let existing = base.iter().position(|(k, _)| *k == key);
        if value.tag == Some(Tag::Reset) {
            if let Some(at) = existing {
                base.remove(at);
            }
            continue;
        }
        match existing {
            Some(at) => {
                path.push(key);
                let old = std::mem::replace(&mut base[at].1, value.clone());
                base[at].1 = merge(old, value, path);
                path.pop();
            }
            None => base.push((key, value)),
        }
    }
    base
}

fn append(mut base: Vec<Node>, overlay: Vec<Node>, path: &[String]) -> Vec<Node> {
    let by_target = matches_path(path, &["services", "*", "volumes"]);
    for item in overlay {
        let same = |old: &Node| {
            old.value == item.value
                || (by_target
                    && volume_target(old).is_some()
                    && volume_target(old) == volume_target(&item))
        };
        match base.iter().position(same) {
            Some(at) => base[at] = item,
            None => base.push(item),
        }
    }
    base
}

/// The container path of a service volume, short (`src:target[:mode]`) or long form.
fn volume_target(node: &Node) -> Option<String> {
    match &node.value {
        Value::Scalar { text, .. } => Some(text.split(':').nth(1).unwrap_or(text).to_string()),
        Value::Map(_) => match &node.get("target")?.value {
            Value::Scalar { text, .. } => Some(text.clone()),
            _ => None,
        },
        Value::Seq(_) => None,
    }
}

/// Values that a later file replaces instead of merging into.
fn replaced_whole(path: &[String]) -> bool {
    [
        &["services", "*", "command"][..],
        &["services", "*", "entrypoint"],
        &["services", "*", "healthcheck", "test"],
    ]
    .iter()
    .any(|pattern| matches_path(path, pattern))
}

/// Values written either as a mapping or as a list of `KEY=VALUE` (or bare `KEY`) items, which
/// merge by key whichever form each file uses.
fn keyed_by_name(path: &[String]) -> bool {
    [
        &["services", "*", "environment"][..],
        &["services", "*", "labels"],
        &["services", "*", "annotations"],
        &["services", "*", "sysctls"],
        &["services", "*", "networks"],
        &["services", "*", "build", "args"],
        &["services", "*", "build", "labels"],
        &["services", "*", "deploy", "labels"],
    ]
    .iter()
    .any(|pattern| matches_path(path, pattern))
}

fn matches_path(path: &[String], pattern: &[&str]) -> bool {
    path.len() == pattern.len()
        && path
            .iter()
            .zip(pattern)
            .all(|(p, want)| *want == "*" || p == want)
}

/// A key/value list as a mapping: `K=V` gives `K: V`, a bare `K` gives `K: null`.
pub fn as_keyed_map(node: Node) -> Node {
    let Value::Seq(items) = node.value else {
        return node;
    };
    let entries = items
        .into_iter()
        .filter_map(|item| {
            let Value::Scalar { text, .. } = &item.value else {
                return None;
            };
            let (key, value) = match text.split_once('=') {
                Some((key, value)) => (
                    key.to_string(),
                    Value::Scalar {
                        text: value.to_string(),
                        plain: false,
                    },
                ),
                None => (
                    text.clone(),
                    Value::Scalar {
                        text: String::new(),
                        plain: true,
                    },
                ),
            };
            Some((key, Node { value, ..item }))
        })
        .collect();
    Node {
        value: Value::Map(entries),
        ..node
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::yaml::parse;

    fn merged(base: &str, overlay: &str) -> Node {
        merge_files(parse(base, "a").unwrap(), parse(overlay, "b").unwrap())
    }

    fn expect(base: &str, overlay: &str, want: &str) {
        let got = merged(base, overlay);
        assert_eq!(
            got.value,
            parse(want, "want").unwrap().value,
            "{base} + {overlay}"
        );
    }

    #[test]
    fn mappings_merge_and_scalars_are_replaced() {
        expect(
            "services: {web: {image: a, tty: true}}",
            "services: {web: {image: b}, db: {image: c}}",
            "services: {web: {image: b, tty: true}, db: {image: c}}",
        );
    }

    #[test]
    fn sequences_append_without_repeats() {
        expect(
            "services: {web: {ports: ['80:80'], dns: [a]}}",
            "services: {web: {ports: ['80:80', '443:443'], dns: [b]}}",
            "services: {web: {ports: ['80:80', '443:443'], dns: [a, b]}}",
        );
    }

    #[test]
    fn commands_are_replaced() {
        expect(
            "services: {web: {command: [a, b], entrypoint: [x], healthcheck: {test: [CMD, x]}}}",
            "services: {web: {command: [c], entrypoint: [y], healthcheck: {test: [NONE]}}}",
            "services: {web: {command: [c], entrypoint: [y], healthcheck: {test: [NONE]}}}",
        );
    }

    #[test]
    fn key_value_lists_merge_by_key_in_either_form() {
        expect(
            "services: {web: {environment: [A=1, B=2]}}",
            "services: {web: {environment: {B: '3', C: '4'}}}",
            "services: {web: {environment: {A: '1', B: '3', C: '4'}}}",
        );
    }

    #[test]
    fn volumes_are_unique_by_target() {
        expect(
            "services: {web: {volumes: ['a:/data', 'b:/logs']}}",
            "services: {web: {volumes: [{type: volume, source: c, target: /data}]}}",
            "services: {web: {volumes: [{type: volume, source: c, target: /data}, 'b:/logs']}}",
        );
    }

    #[test]
    fn reset_removes_and_override_replaces() {
        expect(
            "services: {web: {ports: ['80:80'], environment: {A: '1'}, image: a}}",
            "services: {web: {ports: !reset [], environment: !override {B: '2'}}}",
            "services: {web: {environment: {B: '2'}, image: a}}",
        );
    }
}

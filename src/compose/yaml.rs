//! Compose files as YAML trees: anchors and aliases resolved, `<<` merge keys applied, the
//! `!reset` and `!override` tags kept for merging, and each node's line and column kept for
//! error messages.

use anyhow::{anyhow, bail, Result};
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag as YamlTag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// A mapping, in the file's key order.
pub type Map = Vec<(String, Node)>;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A scalar's text; `plain` when unquoted, so that `true`, `3` or `null` are typed later.
    Scalar {
        text: String,
        plain: bool,
    },
    Seq(Vec<Node>),
    Map(Map),
}

/// The compose tags that steer merging of several files.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tag {
    /// `!reset`: the value is removed from what earlier files said.
    Reset,
    /// `!override`: the value replaces what earlier files said instead of merging with it.
    Override,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub value: Value,
    pub tag: Option<Tag>,
    /// 1-based line and column where the node starts.
    pub line: usize,
    pub column: usize,
}

/// Nodes are equal when their values are: where they stand in a file, their merge tags and
/// how a null is spelled say nothing about what they mean.
impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        (self.is_null() && other.is_null()) || self.value == other.value
    }
}

impl Node {
    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true } if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

/// Parses one YAML document; `file` names the source in errors. An empty document is an empty
/// mapping, as docker compose reads an empty file.
pub fn parse(text: &str, file: &str) -> Result<Node> {
    let mut builder = Builder::default();
    Parser::new_from_str(text)
        .load(&mut builder, false)
        .map_err(|e| anyhow!("{file}: {e}"))?;
    if let Some(error) = builder.error {
        bail!("{file}: {error}");
    }
    Ok(builder.document.unwrap_or(Node {
        value: Value::Map(Map::new()),
        tag: None,
        line: 1,
        column: 1,
    }))
}

/// A sequence or mapping being built, with what its end needs to finish it.
struct Open {
    anchor: usize,
    start: Node,
    items: Vec<Node>,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    anchors: HashMap<usize, Node>,
    document: Option<Node>,
    error: Option<String>,
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let node = |value, tag: &Option<YamlTag>| Node {
            value,
            tag: compose_tag(tag),
            line: mark.line(),
            column: mark.col() + 1,
        };
        let done = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let plain = style == TScalarStyle::Plain && !is_string_tag(&tag);
                Some((anchor, node(Value::Scalar { text, plain }, &tag)))
            }
            Event::Alias(anchor) => match self.anchors.get(&anchor) {
                Some(target) => Some((0, target.clone())),
                None => {
                    self.error = Some(format!("line {}: unknown alias", mark.line()));
                    None
                }
            },
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                let start = node(Value::Seq(Vec::new()), &tag);
                self.stack.push(Open {
                    anchor,
                    start,
                    items: Vec::new(),
                });
                None
            }
            Event::SequenceEnd => self.stack.pop().map(|open| {
                let mut node = open.start;
                node.value = Value::Seq(open.items);
                (open.anchor, node)
            }),
            Event::MappingEnd => self.stack.pop().map(|open| {
                let mut node = open.start;
                match mapping(open.items) {
                    Ok(map) => node.value = Value::Map(map),
                    Err(e) => self.error = Some(format!("line {}: {e}", node.line)),
                }
                (open.anchor, node)
            }),
            _ => None,
        };
        if let Some((anchor, node)) = done {
            self.finish(anchor, node);
        }
    }
}

impl Builder {
    fn finish(&mut self, anchor: usize, node: Node) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            Some(open) => open.items.push(node),
            None => self.document = Some(node),
        }
    }
}

fn compose_tag(tag: &Option<YamlTag>) -> Option<Tag> {
    match tag.as_ref().map(|t| (t.handle.as_str(), t.suffix.as_str())) {
        Some(("!", "reset")) => Some(Tag::Reset),
        Some(("!", "override")) => Some(Tag::Override),
        _ => None,
    }
}

fn is_string_tag(tag: &Option<YamlTag>) -> bool {
    tag.as_ref()
        .is_some_and(|t| t.suffix == "str" || t.suffix.ends_with(":str"))
}

/// Pairs a mapping's alternating keys and values, then applies its `<<` merge keys: merged
/// entries fill in keys the mapping does not set itself, the first merged mapping winning.
fn mapping(items: Vec<Node>) -> Result<Map> {
    let mut own = Map::new();
    let mut merged = Vec::new();
    let mut items = items.into_iter();
    while let (Some(key), Some(value)) = (items.next(), items.next()) {
        let Value::Scalar { text, plain } = key.value else {
            bail!("mapping keys must be strings");
        };
        if plain && text == "<<" {
            merged.push(value);
        } else if own.iter().any(|(k, _)| *k == text) {
            bail!("mapping key {text:?} already defined");
        } else {
            own.push((text, value));
        }
    }
    for source in merged {
        let sources = match source.value {
            Value::Seq(nodes) => nodes,
            _ => vec![source],
        };
        for source in sources {
            let Value::Map(entries) = source.value else {
                bail!("a << merge key takes a mapping or a list of mappings");
            };
            for (key, value) in entries {
                if !own.iter().any(|(k, _)| *k == key) {
                    own.push((key, value));
                }
            }
        }
    }
    Ok(own)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(node: &Node) -> &str {
        match &node.value {
            Value::Scalar { text, .. } => text,
            other => panic!("not a scalar: {other:?}"),
        }
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let doc = parse(
            "base: &base\n  image: busybox\n  tty: true\nextra: &extra\n  user: nobody\n\
             web:\n  <<: [*base, *extra]\n  tty: false\ncopy: *base\n",
            "compose.yaml",
        )
        .unwrap();
        let web = doc.get("web").unwrap();
        assert_eq!(text(web.get("image").unwrap()), "busybox");
        assert_eq!(text(web.get("tty").unwrap()), "false");
        assert_eq!(text(web.get("user").unwrap()), "nobody");
        let keys: Vec<_> = web
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, ["tty", "image", "user"]);
        assert_eq!(
            doc.get("copy").unwrap().value,
            doc.get("base").unwrap().value
        );
    }

    #[test]
    fn tags_and_scalar_styles_are_kept() {
        let doc = parse("a: !reset []\nb: !override {x: 1}\nc: '3'\nd: 3\ne:\n", "f").unwrap();
        assert_eq!(doc.get("a").unwrap().tag, Some(Tag::Reset));
        assert_eq!(doc.get("b").unwrap().tag, Some(Tag::Override));
        assert!(matches!(
            doc.get("c").unwrap().value,
            Value::Scalar { plain: false, .. }
        ));
        assert!(matches!(
            doc.get("d").unwrap().value,
            Value::Scalar { plain: true, .. }
        ));
        assert!(doc.get("e").unwrap().is_null());
        let b = doc.get("b").unwrap();
        assert_eq!((b.line, b.column), (2, 14));
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let message = parse("services:\n  web: [\n", "compose.yaml")
            .unwrap_err()
            .to_string();
        assert!(message.starts_with("compose.yaml: "), "{message}");
        assert!(message.contains("line"), "{message}");
        let message = parse("a: 1\na: 2\n", "c.yml").unwrap_err().to_string();
        assert_eq!(message, "c.yml: line 1: mapping key \"a\" already defined");
        assert_eq!(parse("", "c.yml").unwrap().value, Value::Map(Map::new()));
    }
}

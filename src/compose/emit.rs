//! Writes a project's tree as YAML in the block style `docker compose config` prints:
//! two-space indents, plain scalars where YAML reads them back the same, double quotes
//! otherwise.

use super::yaml::{Node, Value};

pub fn to_yaml(node: &Node) -> String {
    let mut out = String::new();
    match &node.value {
        Value::Map(entries) if !entries.is_empty() => write_map(entries, 0, &mut out),
        Value::Seq(items) if !items.is_empty() => write_seq(items, 0, &mut out),
        _ => {
            out.push_str(&inline(node));
            out.push('\n');
        }
    }
    out
}

fn write_map(entries: &[(String, Node)], indent: usize, out: &mut String) {
    for (key, value) in entries {
        out.push_str(&" ".repeat(indent));
        out.push_str(&string_scalar(key));
        out.push(':');
        write_child(value, indent, out);
    }
}

fn write_seq(items: &[Node], indent: usize, out: &mut String) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match &item.value {
            // A mapping in a sequence starts on the dash's line.
            Value::Map(entries) if !entries.is_empty() => {
                let mut nested = String::new();
                write_map(entries, indent + 2, &mut nested);
                out.push_str(&nested[indent + 1..]);
            }
            _ => write_child(item, indent, out),
        }
    }
}

/// Writes the value after a `key:` or `-`: on the same line if it is a scalar or empty,
/// indented on the next lines otherwise.
fn write_child(value: &Node, indent: usize, out: &mut String) {
    match &value.value {
        Value::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            write_map(entries, indent + 2, out);
        }
        Value::Seq(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(items, indent + 2, out);
        }
        _ => {
            out.push(' ');
            out.push_str(&inline(value));
            out.push('\n');
        }
    }
}

fn inline(node: &Node) -> String {
    match &node.value {
        Value::Map(_) => "{}".into(),
        Value::Seq(_) => "[]".into(),
        _ if node.is_null() => "null".into(),
        Value::Scalar { text, plain: true } if is_typed_plain(text) => text.clone(),
        Value::Scalar { text, .. } => string_scalar(text),
    }
}

/// Booleans and numbers that YAML reads back as such from their plain spelling.
fn is_typed_plain(text: &str) -> bool {
    matches!(text, "true" | "false")
        || text.parse::<i64>().is_ok()
        || text.parse::<f64>().is_ok_and(f64::is_finite)
}

/// A string, quoted when its plain spelling would read back as something else.
fn string_scalar(text: &str) -> String {
    if needs_quotes(text) {
        serde_json::to_string(text).unwrap_or_default()
    } else {
        text.to_string()
    }
}

fn needs_quotes(text: &str) -> bool {
    let reserved = matches!(
        text.to_ascii_lowercase().as_str(),
        "" | "~" | "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    );
    reserved
        || text.parse::<f64>().is_ok()
        || text.starts_with(|c: char| c.is_whitespace() || ",[]{}#&*!|>'\"%@`".contains(c))
        || ["-", "?", ":"]
            .iter()
            .any(|c| text == *c || text.starts_with(&format!("{c} ")))
        || text.ends_with(|c: char| c.is_whitespace() || c == ':')
        || text.contains(": ")
        || text.contains(" #")
        || text.chars().any(|c| c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::yaml::parse;

    #[test]
    fn block_style_with_types_kept() {
        let doc = parse(
            "s:\n  web:\n    command: [sh, -c, 'echo: hi']\n    tty: true\n    port: '80'\n    \
             env: {A: null, B: ''}\n    vols: [{type: bind, source: .}]\n    none: []\n",
            "f",
        )
        .unwrap();
        let want = "s:\n  web:\n    command:\n      - sh\n      - -c\n      - \"echo: hi\"\n    \
                    tty: true\n    port: \"80\"\n    env:\n      A: null\n      B: \"\"\n    vols:\n      \
                    - type: bind\n        source: .\n    none: []\n";
        assert_eq!(to_yaml(&doc), want);
        assert_eq!(parse(&to_yaml(&doc), "again").unwrap(), doc);
    }
}

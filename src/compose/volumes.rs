//! Service volumes in the short syntax (`SOURCE:TARGET[:MODE]` or `TARGET`) turned into the
//! long syntax docker compose prints: a bind for a path source (relative ones taken from the
//! project directory, `~` from the home directory), a volume for a name or none.

use super::yaml::{Map, Node, Value};
use anyhow::{bail, Result};
use std::path::Path;

pub fn long_form(spec: &str, project_dir: &Path, at: &Node) -> Result<Node> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [target] => (None, *target, None),
        [source, target] => (Some(*source), *target, None),
        [source, target, mode] => (Some(*source), *target, Some(*mode)),
        _ => bail!("invalid volume specification: {spec:?}"),
    };
    if target.is_empty() || source == Some("") {
        bail!("invalid volume specification: {spec:?}");
    }
    let scalar = |text: String, plain: bool| Node {
        value: Value::Scalar { text, plain },
        tag: None,
        line: at.line,
        column: at.column,
    };
    let map = |fields: Map| Node {
        value: Value::Map(fields),
        tag: None,
        line: at.line,
        column: at.column,
    };
    let is_path = source.is_some_and(|s| s.starts_with(['.', '/', '~']));
    let mut fields: Map = vec![(
        "type".into(),
        scalar(if is_path { "bind" } else { "volume" }.into(), false),
    )];
    if let Some(source) = source {
        let source = if is_path {
            absolute(source, project_dir)
        } else {
            source.to_string()
        };
        fields.push(("source".into(), scalar(source, false)));
    }
    fields.push(("target".into(), scalar(target.into(), false)));
    let options: Vec<&str> = mode.map(|m| m.split(',').collect()).unwrap_or_default();
    if options.contains(&"ro") {
        fields.push(("read_only".into(), scalar("true".into(), true)));
    }
    if is_path {
        let bind = vec![("create_host_path".into(), scalar("true".into(), true))];
        fields.push(("bind".into(), map(bind)));
    } else {
        fields.push(("volume".into(), map(Map::new())));
    }
    Ok(map(fields))
}

fn absolute(source: &str, project_dir: &Path) -> String {
    let path = match source.strip_prefix('~') {
        Some(rest) => {
            Path::new(&std::env::var("HOME").unwrap_or_default()).join(rest.trim_start_matches('/'))
        }
        None => project_dir.join(source),
    };
    // `./data` is `DIR/data`, not `DIR/./data`.
    let parts = path
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir));
    parts.collect::<std::path::PathBuf>().display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::emit::to_yaml;
    use crate::compose::yaml::parse;

    fn printed(spec: &str) -> String {
        let at = parse("x", "f").unwrap();
        to_yaml(&long_form(spec, Path::new("/proj"), &at).unwrap())
    }

    #[test]
    fn short_volumes_in_the_long_form() {
        let table = [
            ("./data:/data", "type: bind\nsource: /proj/data\ntarget: /data\nbind:\n  create_host_path: true\n"),
            ("/etc/x:/x:ro", "type: bind\nsource: /etc/x\ntarget: /x\nread_only: true\nbind:\n  create_host_path: true\n"),
            ("db:/var/lib/db", "type: volume\nsource: db\ntarget: /var/lib/db\nvolume: {}\n"),
            ("/cache", "type: volume\ntarget: /cache\nvolume: {}\n"),
        ];
        for (spec, want) in table {
            assert_eq!(printed(spec), want, "{spec}");
        }
        let at = parse("x", "f").unwrap();
        assert!(long_form("a:b:c:d", Path::new("/"), &at).is_err());
        assert!(long_form(":/x", Path::new("/"), &at).is_err());
    }
}

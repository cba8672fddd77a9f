//! Interpolation of a whole compose file: every scalar value, never a key.

use super::template::{substitute, Lookup};
use super::yaml::{Node, Value};
use anyhow::{anyhow, Result};

/// Interpolates every scalar under `node`; `path` names the node in errors, as
/// `services.web.image`.
pub fn interpolate(node: &mut Node, path: &str, lookup: Lookup) -> Result<()> {
    match &mut node.value {
        Value::Scalar { text, .. } => {
            if text.contains('$') {
                *text = substitute(text, lookup)
                    .map_err(|e| anyhow!("error while interpolating {path}: {e}"))?;
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                interpolate(item, &format!("{path}[{i}]"), lookup)?;
            }
        }
        Value::Map(entries) => {
            for (key, value) in entries {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                interpolate(value, &child, lookup)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compose::yaml::parse;

    #[test]
    fn values_are_interpolated_and_keys_are_not() {
        let mut doc = parse("services:\n  $K:\n    image: ${IMAGE}:$$x\n", "f").unwrap();
        let env = |name: &str| Some(format!("<{name}>"));
        interpolate(&mut doc, "", &env).unwrap();
        let service = doc.get("services").unwrap().get("$K").unwrap();
        assert_eq!(
            service.get("image").unwrap().value,
            Value::Scalar {
                text: "<IMAGE>:$x".into(),
                plain: true
            }
        );
    }

    #[test]
    fn errors_name_the_path() {
        let mut doc = parse(
            "services:\n  web:\n    ports: [\"${P:?must be set}\"]\n",
            "f",
        )
        .unwrap();
        let message = interpolate(&mut doc, "", &|_: &str| None)
            .unwrap_err()
            .to_string();
        assert_eq!(
            message,
            "error while interpolating services.web.ports[0]: required variable P is missing a value: must be set"
        );
    }
}

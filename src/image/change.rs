//! The Dockerfile instructions `import --change` and `commit --change` accept, applied to
//! an image's run config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER,
//! VOLUME, WORKDIR.

use super::config::RunConfig;
use anyhow::{anyhow, bail, Result};

pub fn apply(config: &mut RunConfig, change: &str) -> Result<()> {
    let change = change.trim();
    let (keyword, rest) = change
        .split_once(char::is_whitespace)
        .unwrap_or((change, ""));
    let rest = rest.trim();
    match keyword.to_ascii_uppercase().as_str() {
        "CMD" => config.cmd = Some(command_form(rest)?),
        "ENTRYPOINT" => config.entrypoint = Some(command_form(rest)?),
        "ENV" => {
            let env = config.env.get_or_insert_with(Vec::new);
            for (key, value) in key_values(rest)? {
                env.retain(|e| e.split('=').next() != Some(key.as_str()));
                env.push(format!("{key}={value}"));
            }
        }
        "LABEL" => {
            let labels = config.labels.get_or_insert_with(Default::default);
            labels.extend(key_values(rest)?);
        }
        "EXPOSE" => {
            let ports = config.exposed_ports.get_or_insert_with(Default::default);
            for spec in rest.split_whitespace() {
                for port in expose_ports(spec)? {
                    ports.insert(port, serde_json::json!({}));
                }
            }
        }
        "VOLUME" => {
            let volumes = config.volumes.get_or_insert_with(Default::default);
            let paths = if rest.starts_with('[') { json_array(rest)? } else { rest.split_whitespace().map(String::from).collect() };
            for path in paths {
                volumes.insert(path, serde_json::json!({}));
            }
        }
        "USER" => config.user = Some(rest.to_string()),
        "WORKDIR" => config.working_dir = Some(rest.to_string()),
        "STOPSIGNAL" => config.stop_signal = Some(rest.to_string()),
        "ONBUILD" => config.on_build.get_or_insert_with(Vec::new).push(rest.to_string()),
        "" => bail!("empty --change"),
        other => bail!("{other} is not a valid change command (use CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME or WORKDIR)"),
    }
    Ok(())
}

/// `80`, `80/udp`, `8000-8002/tcp` as the exposed-port keys docker stores.
pub fn expose_ports(spec: &str) -> Result<Vec<String>> {
    let (ports, proto) = spec.split_once('/').unwrap_or((spec, "tcp"));
    let proto = proto.to_lowercase();
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        bail!("invalid proto: {proto}");
    }
    let invalid = || anyhow!("invalid containerPort: {ports}");
    let (first, last) = match ports.split_once('-') {
        Some((a, b)) => (
            a.parse::<u16>().map_err(|_| invalid())?,
            b.parse::<u16>().map_err(|_| invalid())?,
        ),
        None => {
            let port = ports.parse::<u16>().map_err(|_| invalid())?;
            (port, port)
        }
    };
    if last < first {
        return Err(invalid());
    }
    Ok((first..=last).map(|p| format!("{p}/{proto}")).collect())
}

/// JSON form (`["a","b"]`) as is; shell form wrapped in `/bin/sh -c`.
fn command_form(rest: &str) -> Result<Vec<String>> {
    if rest.starts_with('[') {
        if let Ok(words) = json_array(rest) {
            return Ok(words);
        }
    }
    Ok(vec!["/bin/sh".into(), "-c".into(), rest.to_string()])
}

fn json_array(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| anyhow::anyhow!("invalid JSON array {text:?}: {e}"))
}

/// `K=V K2="V 2"` pairs, or the legacy `K V` single pair.
fn key_values(rest: &str) -> Result<Vec<(String, String)>> {
    let words = split_words(rest)?;
    if words.len() >= 2 && !words[0].contains('=') {
        let (first, value) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        return Ok(vec![(first.to_string(), value.trim().to_string())]);
    }
    words
        .into_iter()
        .map(|w| match w.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!("expected KEY=VALUE, got {w:?}"),
        })
        .collect()
}

/// Splits on whitespace, honouring double and single quotes and backslash escapes.
pub(crate) fn split_words(text: &str) -> Result<Vec<String>> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote = None;
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                in_word = true;
            }
            (Some(q), c) if c == q => quote = None,
            (q, '\\') if q != Some('\'') => {
                current.extend(chars.next());
                in_word = true;
            }
            (_, c) => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        bail!("unterminated quote in {text:?}");
    }
    if in_word {
        words.push(current);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposed_ports() {
        assert_eq!(expose_ports("80").unwrap(), ["80/tcp"]);
        assert_eq!(expose_ports("53/UDP").unwrap(), ["53/udp"]);
        assert_eq!(expose_ports("8000-8001").unwrap(), ["8000/tcp", "8001/tcp"]);
        assert!(expose_ports("x").is_err());
        assert!(expose_ports("80/xyz").is_err());
    }

    #[test]
    fn changes_apply() {
        let mut c = RunConfig::default();
        apply(&mut c, r#"CMD ["/bin/sh"]"#).unwrap();
        assert_eq!(c.cmd.as_deref(), Some(&["/bin/sh".to_string()][..]));
        apply(&mut c, "ENTRYPOINT echo hi").unwrap();
        assert_eq!(c.entrypoint.clone().unwrap(), ["/bin/sh", "-c", "echo hi"]);
        apply(&mut c, r#"ENV A=1 B="two words""#).unwrap();
        apply(&mut c, "ENV A 3").unwrap();
        assert_eq!(c.env.clone().unwrap(), ["B=two words", "A=3"]);
        apply(&mut c, "EXPOSE 80 53/udp").unwrap();
        assert_eq!(
            c.exposed_ports.clone().unwrap().keys().collect::<Vec<_>>(),
            ["53/udp", "80/tcp"]
        );
        apply(&mut c, "LABEL k=v").unwrap();
        assert_eq!(c.labels.unwrap()["k"], "v");
        assert!(apply(&mut RunConfig::default(), "RUN x").is_err());
    }
}

//! RUN's `--mount=` option: `type=cache,target=/root/.cache`, read as docker reads it.

use super::shell::ShellError;
use serde::Serialize;

/// A mount for the duration of one RUN.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mount {
    #[serde(rename = "type")]
    pub kind: MountKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// A stage or image to take the source from (bind and cache).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sharing: Option<Sharing>,
    pub readonly: bool,
    pub required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    /// For secrets: the environment variable to put the secret in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MountKind {
    Bind,
    Cache,
    Tmpfs,
    Secret,
    Ssh,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sharing {
    Shared,
    Private,
    Locked,
}

impl Mount {
    /// Reads a `--mount=` value: comma-separated `key=value` options (CSV quoting allowed),
    /// each value passed through `expand`.
    pub fn parse(
        spec: &str,
        expand: &dyn Fn(&str) -> Result<String, ShellError>,
    ) -> Result<Mount, String> {
        let mut mount = Mount {
            kind: MountKind::Bind,
            target: None,
            source: None,
            from: None,
            id: None,
            sharing: None,
            readonly: false,
            required: false,
            size: None,
            mode: None,
            uid: None,
            gid: None,
            env: None,
        };
        let mut readonly_given = false;
        for field in csv_fields(spec)? {
            let (key, value) = match field.split_once('=') {
                Some((key, value)) => (key.to_lowercase(), Some(value)),
                None => (field.to_lowercase(), None),
            };
            let Some(value) = value else {
                match key.as_str() {
                    "readonly" | "ro" => (mount.readonly, readonly_given) = (true, true),
                    "readwrite" | "rw" => (mount.readonly, readonly_given) = (false, true),
                    "required" if matches!(mount.kind, MountKind::Secret | MountKind::Ssh) => {
                        mount.required = true
                    }
                    "required" => {
                        return Err(format!(
                            "unexpected key 'required' for mount type '{}'",
                            mount.kind.name()
                        ))
                    }
                    _ => return Err(format!("invalid field '{field}' must be a key=value pair")),
                }
                continue;
            };
            let value = expand(value).map_err(|e| e.to_string())?;
            let invalid = || format!("invalid value for {key}: {value}");
            match key.as_str() {
                "type" => {
                    mount.kind = MountKind::from_name(&value.to_lowercase())
                        .ok_or_else(|| format!("unsupported mount type {value:?}"))?
                }
                "from" => mount.from = Some(value),
                "source" | "src" => mount.source = Some(value),
                "target" | "dst" | "destination" => mount.target = Some(value),
                "readonly" | "ro" => {
                    (mount.readonly, readonly_given) =
                        (parse_go_bool(&value).ok_or_else(invalid)?, true)
                }
                "readwrite" | "rw" => {
                    (mount.readonly, readonly_given) =
                        (!parse_go_bool(&value).ok_or_else(invalid)?, true)
                }
                "required" if matches!(mount.kind, MountKind::Secret | MountKind::Ssh) => {
                    mount.required = parse_go_bool(&value).ok_or_else(invalid)?
                }
                "size" if mount.kind == MountKind::Tmpfs => {
                    mount.size = Some(crate::size::parse(&value).map_err(|_| invalid())?)
                }
                "required" | "size" => {
                    return Err(format!(
                        "unexpected key '{key}' for mount type '{}'",
                        mount.kind.name()
                    ))
                }
                "id" => mount.id = Some(value),
                "sharing" => {
                    mount.sharing = Some(
                        Sharing::from_name(&value.to_lowercase())
                            .ok_or_else(|| format!("unsupported sharing value {value:?}"))?,
                    )
                }
                "mode" => {
                    mount.mode = Some(
                        u32::from_str_radix(&value, 8)
                            .map_err(|_| format!("invalid value {value} for mode"))?,
                    )
                }
                "uid" => {
                    mount.uid = Some(
                        value
                            .parse()
                            .map_err(|_| format!("invalid value {value} for uid"))?,
                    )
                }
                "gid" => {
                    mount.gid = Some(
                        value
                            .parse()
                            .map_err(|_| format!("invalid value {value} for gid"))?,
                    )
                }
                "env" => mount.env = Some(value),
                _ => return Err(format!("unexpected key '{key}' in '{field}'")),
            }
        }
        mount.check(readonly_given)?;
        Ok(mount)
    }

    fn check(&mut self, readonly_given: bool) -> Result<(), String> {
        let file_info_allowed = matches!(
            self.kind,
            MountKind::Secret | MountKind::Ssh | MountKind::Cache
        );
        for (name, given) in [
            ("mode", self.mode.is_some()),
            ("uid", self.uid.is_some()),
            ("gid", self.gid.is_some()),
        ] {
            if given && !file_info_allowed {
                return Err(format!(
                    "{name} not allowed for {:?} type mounts",
                    self.kind.name()
                ));
            }
        }
        if !readonly_given {
            // Caches and tmpfs are for writing; what comes from elsewhere is read-only.
            self.readonly = !matches!(self.kind, MountKind::Cache | MountKind::Tmpfs);
        }
        if self.kind == MountKind::Secret {
            if self.from.is_some() {
                return Err("secret mount should not have a from".into());
            }
            if self.sharing.is_some() {
                return Err("secret mount should not define sharing".into());
            }
            if self.source.is_none() && self.target.is_none() && self.id.is_none() {
                return Err("invalid secret mount. one of source, target required".into());
            }
            if self.source.is_some() && self.id.is_some() {
                return Err("both source and id can't be set".into());
            }
        }
        if self.sharing.is_some() && self.kind != MountKind::Cache {
            return Err(format!(
                "invalid cache sharing set for {} mount",
                self.kind.name()
            ));
        }
        Ok(())
    }
}

impl MountKind {
    fn from_name(name: &str) -> Option<MountKind> {
        Some(match name {
            "bind" => MountKind::Bind,
            "cache" => MountKind::Cache,
            "tmpfs" => MountKind::Tmpfs,
            "secret" => MountKind::Secret,
            "ssh" => MountKind::Ssh,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            MountKind::Bind => "bind",
            MountKind::Cache => "cache",
            MountKind::Tmpfs => "tmpfs",
            MountKind::Secret => "secret",
            MountKind::Ssh => "ssh",
        }
    }
}

impl Sharing {
    fn from_name(name: &str) -> Option<Sharing> {
        Some(match name {
            "shared" => Sharing::Shared,
            "private" => Sharing::Private,
            "locked" => Sharing::Locked,
            _ => return None,
        })
    }
}

/// Booleans as docker reads them: 1, t, T, TRUE, true, True and the false forms.
fn parse_go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// One line of CSV: fields separated by commas; a field in double quotes may hold commas,
/// and `""` inside it is a quote.
fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => {
                        return Err(format!(
                            "failed to parse csv mounts: unterminated quote in {line:?}"
                        ))
                    }
                }
            }
            if !matches!(chars.peek(), None | Some(',')) {
                return Err(format!(
                    "failed to parse csv mounts: extraneous text after quoted field in {line:?}"
                ));
            }
        } else {
            while let Some(c) = chars.peek().copied().filter(|c| *c != ',') {
                field.push(c);
                chars.next();
            }
        }
        fields.push(field);
        if chars.next().is_none() {
            return Ok(fields);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_with_quotes() {
        assert_eq!(
            csv_fields("a=1,\"b=2,3\",\"c=\"\"q\"\"\",").unwrap(),
            ["a=1", "b=2,3", "c=\"q\"", ""]
        );
        assert!(csv_fields("\"open").is_err());
    }
}

//! The pieces every `-f/--filter` shares: `name=value` splitting, `label=KEY[=VALUE]`
//! and the boolean `dangling=`.

use anyhow::{anyhow, bail, Result};
use std::collections::BTreeMap;

/// Splits `name=value`, with docker's message for anything else.
pub fn split(filter: &str) -> Result<(&str, &str)> {
    filter
        .split_once('=')
        .ok_or_else(|| anyhow!("bad format of filter (expected name=value): {filter}"))
}

/// `label=KEY` (the label is set) or `label=KEY=VALUE` (set to that value).
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    key: String,
    value: Option<String>,
}

impl Label {
    pub fn parse(value: &str) -> Label {
        match value.split_once('=') {
            Some((k, v)) => Label {
                key: k.into(),
                value: Some(v.into()),
            },
            None => Label {
                key: value.into(),
                value: None,
            },
        }
    }

    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        labels
            .get(&self.key)
            .is_some_and(|actual| self.value.as_ref().is_none_or(|v| v == actual))
    }
}

/// `name=PATTERN`: docker's unanchored regular expression (`name=web` is any name containing
/// "web", `name=^web$` that name alone).
#[derive(Debug, Clone)]
pub struct NamePattern(regex_lite::Regex);

impl NamePattern {
    pub fn parse(value: &str) -> Result<NamePattern> {
        regex_lite::Regex::new(value)
            .map(NamePattern)
            .map_err(|e| anyhow!("invalid filter 'name={value}': {e}"))
    }

    pub fn matches(&self, name: &str) -> bool {
        self.0.is_match(name)
    }
}

/// `dangling=true|false|1|0`.
pub fn boolean(key: &str, value: &str) -> Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => bail!("invalid filter '{key}={value}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unanchored_regular_expressions() {
        let web = NamePattern::parse("^web").unwrap();
        assert!(web.matches("web-1") && !web.matches("myweb"));
        assert!(NamePattern::parse("api.+1").unwrap().matches("my-api-v1"));
        assert!(NamePattern::parse("eb").unwrap().matches("web"));
        assert!(NamePattern::parse("(").is_err());
    }

    #[test]
    fn labels_and_booleans() {
        let labels: BTreeMap<String, String> = [("k".to_string(), "v".to_string())].into();
        assert!(Label::parse("k").matches(&labels));
        assert!(Label::parse("k=v").matches(&labels));
        assert!(!Label::parse("k=w").matches(&labels));
        assert!(!Label::parse("x").matches(&labels));
        assert!(boolean("dangling", "TRUE").unwrap());
        assert!(boolean("dangling", "maybe").is_err());
        assert_eq!(split("a=b=c").unwrap(), ("a", "b=c"));
        assert!(split("nope").is_err());
    }
}

//! The pieces every `-f/--filter` shares: `name=value` splitting, `label=KEY[=VALUE]`
//! and the boolean `dangling=`, and the filters every prune takes.

use crate::clock;
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

/// The filters every prune takes: `label=`, `label!=` and `until=`.
#[derive(Default)]
pub struct PruneFilters {
    labels: Vec<Label>,
    unwanted: Vec<Label>,
    until: Option<clock::Instant>,
}

impl PruneFilters {
    pub fn parse(texts: &[String]) -> Result<PruneFilters> {
        let mut filters = PruneFilters::default();
        for text in texts {
            match split(text)? {
                ("label", value) => filters.labels.push(Label::parse(value)),
                ("label!", value) => filters.unwanted.push(Label::parse(value)),
                ("until", value) => {
                    filters.until = Some(
                        clock::parse_point_in_time(value)
                            .ok_or_else(|| anyhow!("invalid filter 'until={value}'"))?,
                    )
                }
                _ => bail!("invalid filter '{text}': prune filters by label=, label!= and until="),
            }
        }
        Ok(filters)
    }

    /// Whether something with these labels, made at `created`, is to go.
    pub fn keeps(&self, labels: &BTreeMap<String, String>, created: clock::Instant) -> bool {
        self.labels.iter().all(|l| l.matches(labels))
            && !self.unwanted.iter().any(|l| l.matches(labels))
            && self.until.is_none_or(|until| created < until)
    }

    pub fn has_until(&self) -> bool {
        self.until.is_some()
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

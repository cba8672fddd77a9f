//! The filters of `volume ls` and `GET /volumes`: dangling, name, label, driver.

use super::Volume;
use crate::filter::{self, Label, NamePattern};
use anyhow::{bail, Result};

#[derive(Default)]
pub struct VolumeFilters {
    dangling: Option<bool>,
    names: Vec<NamePattern>,
    labels: Vec<Label>,
    drivers: Vec<String>,
}

impl VolumeFilters {
    /// `KEY=VALUE` texts, as `--filter` gives them.
    pub fn parse(filters: &[String]) -> Result<VolumeFilters> {
        let mut f = VolumeFilters::default();
        for text in filters {
            let (key, value) = filter::split(text)?;
            match key {
                "dangling" => f.dangling = Some(filter::boolean(key, value)?),
                "name" => f.names.push(NamePattern::parse(value)?),
                "label" => f.labels.push(Label::parse(value)),
                "driver" => f.drivers.push(value.to_string()),
                other => bail!("invalid filter '{other}'"),
            }
        }
        Ok(f)
    }

    /// Whether [`VolumeFilters::keeps`] needs to know which volumes are in use: reading every
    /// container record is paid only then.
    pub fn asks_use(&self) -> bool {
        self.dangling.is_some()
    }

    pub fn keeps(&self, v: &Volume, in_use: impl Fn(&str) -> bool) -> bool {
        (self.names.is_empty() || self.names.iter().any(|n| n.matches(&v.name)))
            && self.labels.iter().all(|l| l.matches(&v.labels))
            && (self.drivers.is_empty() || self.drivers.iter().any(|d| d == "local"))
            && self.dangling.is_none_or(|d| d != in_use(&v.name))
    }
}

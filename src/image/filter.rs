//! The filters of `images` and `GET /images/json`: dangling, label, reference (a glob over
//! the names), since and before.

use super::reference::{glob_match, Reference};
use super::store::{self, Image};
use crate::clock;
use crate::filter;
use crate::store::Store;
use anyhow::{bail, Result};

pub struct ImageFilters {
    dangling: Option<bool>,
    labels: Vec<filter::Label>,
    references: Vec<String>,
    since: Option<clock::Instant>,
    before: Option<clock::Instant>,
}

impl ImageFilters {
    /// Whether the filters name references, which images without a name never match.
    pub fn names_references(&self) -> bool {
        !self.references.is_empty()
    }

    /// `KEY=VALUE` texts, as `--filter` gives them.
    pub fn parse(store: &Store, filters: &[String]) -> Result<ImageFilters> {
        let mut parsed = ImageFilters {
            dangling: None,
            labels: Vec::new(),
            references: Vec::new(),
            since: None,
            before: None,
        };
        for filter in filters {
            let (key, value) = filter::split(filter)?;
            match key {
                "dangling" => parsed.dangling = Some(filter::boolean(key, value)?),
                "label" => parsed.labels.push(filter::Label::parse(value)),
                "reference" => parsed.references.push(value.to_string()),
                "since" => parsed.since = Some(store::resolve(store, value)?.created()),
                "before" => parsed.before = Some(store::resolve(store, value)?.created()),
                other => bail!("invalid filter '{other}'"),
            }
        }
        Ok(parsed)
    }

    /// Whether the image itself is kept (its names aside).
    pub fn keeps_image(&self, image: &Image) -> bool {
        let labels = image.config.config.labels.clone().unwrap_or_default();
        self.dangling.is_none_or(|d| d == image.tags.is_empty())
            && self.labels.iter().all(|l| l.matches(&labels))
            && self.since.is_none_or(|t| image.created() > t)
            && self.before.is_none_or(|t| image.created() < t)
    }

    /// Whether `reference`, one of an image's names, is kept.
    pub fn keeps_reference(&self, reference: &Reference) -> bool {
        let repo = reference.familiar_repository();
        let full = reference.familiar();
        self.references
            .iter()
            .all(|p| glob_match(p, &repo) || glob_match(p, &full))
    }
}

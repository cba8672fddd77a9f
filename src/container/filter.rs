//! Which containers a `--filter` keeps, as `ps` reads them: the CLI's `ps` and `start --all`
//! and the API's `GET /containers/json` all choose through this one set of rules.

use super::list::Summary;
use super::options::RestartPolicy;
use super::record;
use crate::filter::NamePattern;
use crate::store::Store;
use anyhow::{bail, Result};

/// `ps`'s filters (`status=`, `name=`, `label=`, ...), parsed once.
pub struct ContainerFilters {
    pub status: Vec<String>,
    names: Vec<NamePattern>,
    ids: Vec<String>,
    ancestors: Vec<String>,
    labels: Vec<crate::filter::Label>,
    pub exited: Option<i32>,
    before: Option<String>,
    since: Option<String>,
    restart_policies: Vec<String>,
    networks: Vec<String>,
}

impl ContainerFilters {
    pub fn parse(store: &Store, filters: &[String]) -> Result<ContainerFilters> {
        let mut f = ContainerFilters {
            status: vec![],
            names: vec![],
            ids: vec![],
            ancestors: vec![],
            labels: vec![],
            exited: None,
            before: None,
            since: None,
            restart_policies: vec![],
            networks: vec![],
        };
        for filter in filters {
            let (key, value) = crate::filter::split(filter)?;
            match key {
                "status" => {
                    if ![
                        "created",
                        "restarting",
                        "running",
                        "removing",
                        "paused",
                        "exited",
                        "dead",
                    ]
                    .contains(&value)
                    {
                        bail!("invalid filter 'status={value}'");
                    }
                    f.status.push(value.into())
                }
                "name" => f.names.push(NamePattern::parse(value)?),
                "id" => f.ids.push(value.into()),
                "ancestor" => f.ancestors.push(
                    crate::image::store::resolve(store, value)
                        .map(|i| i.id().to_string())
                        .unwrap_or_else(|_| value.to_string()),
                ),
                "label" => f.labels.push(crate::filter::Label::parse(value)),
                "exited" => {
                    f.exited = Some(
                        value
                            .parse()
                            .map_err(|_| anyhow::anyhow!("invalid filter 'exited={value}'"))?,
                    )
                }
                "before" => f.before = Some(record::resolve(store, value)?),
                "since" => f.since = Some(record::resolve(store, value)?),
                "restart-policy" => f.restart_policies.push(value.into()),
                "network" => f.networks.push(value.into()),
                other => bail!("invalid filter '{other}'"),
            }
        }
        Ok(f)
    }

    pub fn keeps(&self, store: &Store, s: &Summary) -> bool {
        let created_of = |id: &str| {
            record::load(store, id)
                .map(|r| r.created)
                .unwrap_or_default()
        };
        let labels = s.labels();
        let policy = RestartPolicy::parse(&s.record.options.restart)
            .map(|p| p.name())
            .unwrap_or("no");
        (self.status.is_empty() || self.status.iter().any(|st| st == s.status_word()))
            && (self.names.is_empty()
                || self.names.iter().any(|n| {
                    // docker's names start with `/`: `^/web$` and `^web` both mean "web".
                    n.matches(&s.record.name) || n.matches(&format!("/{}", s.record.name))
                }))
            && (self.ids.is_empty() || self.ids.iter().any(|i| s.id().starts_with(i.as_str())))
            && (self.ancestors.is_empty()
                || self
                    .ancestors
                    .iter()
                    .any(|a| *a == s.record.image_id || *a == s.record.image))
            && self.labels.iter().all(|l| l.matches(&labels))
            && self
                .exited
                .is_none_or(|code| s.state.status == "exited" && s.state.exit_code == code)
            && self
                .before
                .as_ref()
                .is_none_or(|b| s.record.created < created_of(b))
            && self
                .since
                .as_ref()
                .is_none_or(|b| s.record.created > created_of(b))
            && (self.restart_policies.is_empty()
                || self.restart_policies.iter().any(|p| p == policy))
            && (self.networks.is_empty() || self.on_network(store, s))
    }

    /// Docker's `network=` filter: the container's network by name, or a user-defined
    /// network it is on by name or id.
    fn on_network(&self, store: &Store, s: &Summary) -> bool {
        let attached = crate::container::network::attachments(store, &s.record).unwrap_or_default();
        self.networks.iter().any(|wanted| {
            *wanted == s.record.options.network
                || attached
                    .iter()
                    .any(|(n, _)| n.name == *wanted || n.id.starts_with(wanted.as_str()))
        })
    }
}

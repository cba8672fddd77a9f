//! The networks as `network ls`, `network inspect` and `GET /networks` show them: docker's
//! predefined networks (`bridge`, `host`, `none`) beside the user's, their filters, and the
//! inspect object with the running containers on each.

use super::{record, state};
use crate::clock;
use crate::filter::{self, Label, NamePattern};
use crate::net::network::{self, Network};
use crate::net::{mode, GATEWAY_IP};
use crate::store::Store;
use anyhow::{anyhow, bail, Result};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A network as a listing shows it: one of docker's predefined networks, or a user's.
pub enum Listed {
    Builtin {
        name: &'static str,
        driver: &'static str,
    },
    Custom(Network),
}

impl Listed {
    /// The predefined networks and the user's, by name as docker sorts them.
    pub fn all(store: &Store) -> Result<Vec<Listed>> {
        let builtins = network::LISTED_BUILTINS
            .iter()
            .map(|&(name, driver)| Listed::Builtin { name, driver });
        let custom = network::list(store)?.into_iter().map(Listed::Custom);
        let mut all: Vec<Listed> = builtins.chain(custom).collect();
        all.sort_by(|a, b| a.name().cmp(b.name()));
        Ok(all)
    }

    /// A predefined network by name or id, else a user's by name, id or id prefix.
    pub fn find(store: &Store, name_or_id: &str) -> Result<Listed> {
        let builtin = network::LISTED_BUILTINS
            .iter()
            .find(|(name, _)| *name == name_or_id || network::builtin_id(name) == name_or_id);
        match builtin {
            Some(&(name, driver)) => Ok(Listed::Builtin { name, driver }),
            None => network::load(store, name_or_id).map(Listed::Custom),
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Listed::Builtin { name, .. } => name,
            Listed::Custom(n) => &n.name,
        }
    }

    pub fn id(&self) -> String {
        match self {
            Listed::Builtin { name, .. } => network::builtin_id(name),
            Listed::Custom(n) => n.id.clone(),
        }
    }

    pub fn driver(&self) -> &str {
        match self {
            Listed::Builtin { driver, .. } => driver,
            Listed::Custom(n) => &n.driver,
        }
    }

    pub fn internal(&self) -> bool {
        matches!(self, Listed::Custom(n) if n.internal)
    }

    pub fn labels(&self) -> BTreeMap<String, String> {
        match self {
            Listed::Builtin { .. } => BTreeMap::new(),
            Listed::Custom(n) => n.labels.clone(),
        }
    }

    /// The predefined networks exist since the store does, as docker's since its daemon started.
    pub fn created(&self, store: &Store) -> String {
        match self {
            Listed::Builtin { .. } => {
                let made =
                    std::fs::metadata(&store.root).and_then(|m| m.created().or(m.modified()));
                clock::format_rfc3339(made.map(clock::from_system).unwrap_or((0, 0)))
            }
            Listed::Custom(n) => n.created.clone(),
        }
    }

    /// Whether any container, running or not, is attached: prune's and `dangling=`'s test.
    /// The predefined networks count as used, as in docker.
    fn in_use(&self, store: &Store) -> Result<bool> {
        match self {
            Listed::Builtin { .. } => Ok(true),
            Listed::Custom(n) => Ok(!network::endpoints(store, n)?.is_empty()),
        }
    }

    /// docker's `network inspect` object.
    pub fn inspect_json(&self, store: &Store) -> Result<Value> {
        let (config, options, containers) = match self {
            Listed::Builtin { name, .. } => builtin_details(name),
            Listed::Custom(net) => {
                let mut config =
                    json!({"Subnet": net.subnet_text(), "Gateway": net.gateway.to_string()});
                if let Some(range) = &net.ip_range {
                    config["IPRange"] = json!(range);
                }
                (
                    vec![config],
                    json!(net.options),
                    running_containers(store, net)?,
                )
            }
        };
        Ok(json!({
            "Name": self.name(),
            "Id": self.id(),
            "Created": self.created(store),
            "Scope": "local",
            "Driver": self.driver(),
            "EnableIPv4": true,
            "EnableIPv6": false,
            "IPAM": {"Driver": "default", "Options": {}, "Config": config},
            "Internal": self.internal(),
            "Attachable": matches!(self, Listed::Custom(net) if net.attachable),
            "Ingress": false,
            "ConfigFrom": {"Network": ""},
            "ConfigOnly": false,
            "Containers": containers,
            "Options": options,
            "Labels": self.labels(),
        }))
    }
}

/// IPAM config and options of a predefined network: only `bridge` (the default network) has
/// addresses.
fn builtin_details(name: &str) -> (Vec<Value>, Value, Value) {
    if name != "bridge" {
        return (Vec::new(), json!({}), json!({}));
    }
    let config =
        json!({"Subnet": network::default_subnet_text(), "Gateway": GATEWAY_IP.to_string()});
    let options = json!({ network::MTU_OPTION: mode::DEFAULT_MTU.to_string() });
    (vec![config], options, json!({}))
}

/// The running containers on a network, by id, as docker lists them.
fn running_containers(store: &Store, net: &Network) -> Result<Value> {
    let mut containers = Map::new();
    for e in network::endpoints(store, net)? {
        let running = state::load(store, &e.container_id).is_ok_and(|s| s.is_running());
        let Ok(container) = record::load(store, &e.container_id) else {
            continue;
        };
        if running {
            containers.insert(
                e.container_id.clone(),
                json!({
                    "Name": container.name,
                    "EndpointID": e.endpoint_id,
                    "MacAddress": e.mac,
                    "IPv4Address": format!("{}/{}", e.ip, net.prefix_len),
                    "IPv6Address": "",
                }),
            );
        }
    }
    Ok(Value::Object(containers))
}

/// The filters of `network ls` and `GET /networks`.
#[derive(Default)]
pub struct NetworkFilters {
    names: Vec<NamePattern>,
    ids: Vec<String>,
    drivers: Vec<String>,
    labels: Vec<Label>,
    /// `type=custom` (Some(true)) or `type=builtin` (Some(false)).
    custom: Option<bool>,
    dangling: Option<bool>,
    until: Option<clock::Instant>,
}

impl NetworkFilters {
    /// `KEY=VALUE` texts, as `--filter` gives them.
    pub fn parse(filters: &[String]) -> Result<NetworkFilters> {
        let mut f = NetworkFilters::default();
        for text in filters {
            let (key, value) = filter::split(text)?;
            match key {
                "name" => f.names.push(NamePattern::parse(value)?),
                "id" => f.ids.push(value.to_string()),
                "driver" => f.drivers.push(value.to_string()),
                "label" => f.labels.push(Label::parse(value)),
                "type" => {
                    f.custom = Some(match value {
                        "custom" => true,
                        "builtin" => false,
                        _ => bail!("invalid filter: 'type'='{value}' (use custom or builtin)"),
                    })
                }
                "dangling" => f.dangling = Some(filter::boolean(key, value)?),
                "until" => {
                    f.until = Some(
                        clock::parse_point_in_time(value)
                            .ok_or_else(|| anyhow!("invalid filter 'until={value}'"))?,
                    )
                }
                other => bail!("invalid filter '{other}'"),
            }
        }
        Ok(f)
    }

    /// The networks these filters keep, in listing order.
    pub fn select(&self, store: &Store) -> Result<Vec<Listed>> {
        let mut kept = Vec::new();
        for n in Listed::all(store)? {
            if self.keeps(store, &n)? {
                kept.push(n);
            }
        }
        Ok(kept)
    }

    fn keeps(&self, store: &Store, n: &Listed) -> Result<bool> {
        let id = n.id();
        let created = clock::parse_rfc3339(&n.created(store)).unwrap_or((0, 0));
        let kept = (self.names.is_empty() || self.names.iter().any(|x| x.matches(n.name())))
            && (self.ids.is_empty() || self.ids.iter().any(|x| id.starts_with(x.as_str())))
            && (self.drivers.is_empty() || self.drivers.iter().any(|d| d == n.driver()))
            && self.labels.iter().all(|l| l.matches(&n.labels()))
            && self
                .custom
                .is_none_or(|c| c == matches!(n, Listed::Custom(_)))
            && self.until.is_none_or(|u| created < u);
        Ok(kept && (self.dangling.is_none() || self.dangling != Some(n.in_use(store)?)))
    }
}

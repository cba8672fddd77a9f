//! docker's legacy links (`--link CONTAINER[:ALIAS]`): the linked container's address under
//! its alias in /etc/hosts, and its ports and environment in variables named after the
//! alias (`DB_PORT_5432_TCP=tcp://10.89.0.2:5432`, `DB_ENV_POSTGRES_DB=...`).
//!
//! skiff's default network keeps every container apart, so a link needs a user-defined
//! network both containers are on: the address is the linked container's there.

use super::network::{self as container_network, mode};
use super::options::RunOptions;
use super::{record, state};
use crate::image::store as images;
use crate::net::mode::NetworkMode;
use crate::store::{self, Store};
use anyhow::{bail, Context, Result};
use oci_spec::runtime::Spec;
use std::net::Ipv4Addr;

/// A link as the new container gets it.
pub struct Link {
    /// The line for /etc/hosts.
    pub hosts_line: String,
    pub env: Vec<String>,
}

/// The links of a container being created under `own_name`.
pub fn resolve(store: &Store, opts: &RunOptions, own_name: &str) -> Result<Vec<Link>> {
    opts.links
        .iter()
        .map(|spec| resolve_one(store, opts, own_name, spec))
        .collect()
}

fn resolve_one(store: &Store, opts: &RunOptions, own_name: &str, spec: &str) -> Result<Link> {
    let (target, alias) = match spec.split_once(':') {
        Some((target, alias)) => (target, alias),
        None => (spec, spec),
    };
    if target.is_empty() || alias.is_empty() {
        bail!("invalid --link {spec:?}: use CONTAINER[:ALIAS]");
    }
    let id = record::resolve(store, target).with_context(|| format!("cannot link to {target}"))?;
    let linked = record::load(store, &id)?;
    if !state::load(store, &id)?.is_running() {
        bail!("cannot link to a non running container: /{}", linked.name);
    }
    let ip = shared_address(store, opts, &linked).with_context(|| {
        format!(
            "cannot link to {target}: it shares no user-defined network with this container \
             (skiff's default network keeps containers apart); put both on one with --network"
        )
    })?;
    let spec: Spec = store::read_json(&record::dir(store, &id).join("config.json"))?;
    let linked_env = spec
        .process()
        .as_ref()
        .and_then(|p| p.env().clone())
        .unwrap_or_default();
    let ports = exposed_ports(store, &linked);
    Ok(Link {
        hosts_line: format!("{ip}\t{alias} {} {}\n", &id[..12], linked.name),
        env: link_env(alias, own_name, ip, &ports, &linked_env),
    })
}

/// The linked container's address on the new container's user-defined network.
fn shared_address(
    store: &Store,
    opts: &RunOptions,
    linked: &record::ContainerRecord,
) -> Option<Ipv4Addr> {
    let NetworkMode::Named(network) = mode(opts) else {
        return None;
    };
    container_network::attachments(store, linked)
        .ok()?
        .into_iter()
        .find(|(n, _)| n.name == network || n.id == network)
        .map(|(_, endpoint)| endpoint.ip)
}

/// The ports the linked container exposes (its image's EXPOSE and its published ones), as
/// (port, protocol), sorted.
fn exposed_ports(store: &Store, linked: &record::ContainerRecord) -> Vec<(u16, String)> {
    let mut ports: Vec<(u16, String)> = linked
        .ports
        .iter()
        .map(|p| (p.container_port, p.protocol.name().to_string()))
        .collect();
    if let Ok(image) = images::resolve(store, &linked.image_id) {
        for key in image
            .config
            .config
            .exposed_ports
            .iter()
            .flat_map(|p| p.keys())
        {
            let (port, protocol) = key.split_once('/').unwrap_or((key, "tcp"));
            if let Ok(port) = port.parse() {
                ports.push((port, protocol.to_string()));
            }
        }
    }
    ports.sort();
    ports.dedup();
    ports
}

/// docker's variables for a link: NAME, PORT and PORT_<port>_<PROTO>[_ADDR|_PORT|_PROTO]
/// for each port, and ENV_<var> for the linked container's environment.
fn link_env(
    alias: &str,
    own_name: &str,
    ip: Ipv4Addr,
    ports: &[(u16, String)],
    linked_env: &[String],
) -> Vec<String> {
    let prefix = alias.to_ascii_uppercase().replace(['-', '.'], "_");
    let mut env = vec![format!("{prefix}_NAME=/{own_name}/{alias}")];
    if let Some((port, protocol)) = ports.first() {
        env.push(format!("{prefix}_PORT={protocol}://{ip}:{port}"));
    }
    for (port, protocol) in ports {
        let key = format!("{prefix}_PORT_{port}_{}", protocol.to_ascii_uppercase());
        env.push(format!("{key}={protocol}://{ip}:{port}"));
        env.push(format!("{key}_ADDR={ip}"));
        env.push(format!("{key}_PORT={port}"));
        env.push(format!("{key}_PROTO={protocol}"));
    }
    for var in linked_env {
        if let Some((name, value)) = var.split_once('=') {
            // As docker: what every image has is of no interest to the linking container.
            if !matches!(name, "HOME" | "PATH" | "HOSTNAME") {
                env.push(format!("{prefix}_ENV_{name}={value}"));
            }
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_as_docker_names_them() {
        let env = link_env(
            "db",
            "web",
            Ipv4Addr::new(10, 89, 0, 2),
            &[(5432, "tcp".into()), (5433, "udp".into())],
            &["PATH=/bin".into(), "POSTGRES_DB=app".into()],
        );
        assert_eq!(
            env,
            [
                "DB_NAME=/web/db",
                "DB_PORT=tcp://10.89.0.2:5432",
                "DB_PORT_5432_TCP=tcp://10.89.0.2:5432",
                "DB_PORT_5432_TCP_ADDR=10.89.0.2",
                "DB_PORT_5432_TCP_PORT=5432",
                "DB_PORT_5432_TCP_PROTO=tcp",
                "DB_PORT_5433_UDP=udp://10.89.0.2:5433",
                "DB_PORT_5433_UDP_ADDR=10.89.0.2",
                "DB_PORT_5433_UDP_PORT=5433",
                "DB_PORT_5433_UDP_PROTO=udp",
                "DB_ENV_POSTGRES_DB=app",
            ]
        );
    }
}

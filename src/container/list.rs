//! Every container with its current state, and the docker-shaped views of one: the row
//! `ps` prints and the object `inspect` prints.

use super::namespaces::Kind;
use super::options::RestartPolicy;
use super::record::{self, ContainerRecord};
use super::state::{self, ContainerState, Marker};
use crate::clock;
use crate::net::mode::NetworkMode;
use crate::net::publish::PortMapping;
use crate::store::Store;
use crate::supervisor::health::{self, Health};
use anyhow::Result;
use serde_json::{json, Value};

/// A container as `ps` and `inspect` see it.
pub struct Summary {
    pub record: ContainerRecord,
    pub state: ContainerState,
    pub health: Option<Health>,
    pub paused: bool,
}

impl Summary {
    pub fn load(store: &Store, id: &str) -> Result<Summary> {
        let record = record::load(store, id)?;
        let state = state::load(store, id)?;
        let running = state.is_running();
        let health = if running {
            health::load(&record::dir(store, id))
        } else {
            None
        };
        let paused = running && state::has_marker(store, id, Marker::Paused);
        Ok(Summary {
            record,
            state,
            health,
            paused,
        })
    }

    pub fn id(&self) -> &str {
        &self.record.id
    }

    /// A `--rm` container (a build's RUN step among them) whose supervisor, or creator, was
    /// killed before it could remove it: docker removes such a container all the same.
    fn is_orphan_of_rm(&self) -> bool {
        let state = &self.state;
        self.record.options.rm
            && !state.is_running()
            && state.supervisor > 0
            && !crate::store::process_alive(state.supervisor, state.supervisor_start)
    }

    /// The published ports as bound, while the container runs.
    pub fn ports(&self) -> &[PortMapping] {
        if self.state.is_running() {
            &self.state.ports
        } else {
            &[]
        }
    }

    /// docker's `State` word: created, running, paused, restarting, exited.
    pub fn status_word(&self) -> &str {
        if self.paused {
            "paused"
        } else {
            &self.state.status
        }
    }

    /// docker's `STATUS` column: `Up 3 seconds (healthy)`, `Exited (0) 2 minutes ago`.
    pub fn status_text(&self) -> String {
        let since = |t: &str| {
            clock::parse_rfc3339(t).map(|t| {
                clock::human_duration(std::time::Duration::from_secs(
                    (clock::now().0 - t.0).max(0) as u64,
                ))
            })
        };
        match self.state.status.as_str() {
            "running" => {
                let mut text = format!(
                    "Up {}",
                    since(&self.state.started_at).unwrap_or_else(|| "Less than a second".into())
                );
                if self.paused {
                    text.push_str(" (Paused)");
                } else if let Some(h) = &self.health {
                    let word = if h.status == "starting" {
                        "health: starting"
                    } else {
                        &h.status
                    };
                    text.push_str(&format!(" ({word})"));
                }
                text
            }
            "restarting" => format!(
                "Restarting ({}) {} ago",
                self.state.exit_code,
                since(&self.state.finished_at).unwrap_or_default()
            ),
            "exited" => match since(&self.state.finished_at) {
                Some(ago) => format!("Exited ({}) {ago} ago", self.state.exit_code),
                None => format!("Exited ({})", self.state.exit_code),
            },
            _ => "Created".into(),
        }
    }

    /// The command as `ps` shows it, quoted.
    pub fn command(&self) -> String {
        std::iter::once(self.record.path.as_str())
            .chain(self.record.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn created(&self) -> clock::Instant {
        clock::parse_rfc3339(&self.record.created).unwrap_or((0, 0))
    }

    pub fn labels(&self) -> std::collections::BTreeMap<String, String> {
        self.record
            .options
            .labels
            .iter()
            .map(|l| match l.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (l.clone(), String::new()),
            })
            .collect()
    }
}

/// Every container, newest first.
pub fn all(store: &Store) -> Result<Vec<Summary>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(store.containers())? {
        let id = entry?.file_name().to_string_lossy().into_owned();
        // A container being created or removed right now may lack its files: skip it.
        if let Ok(summary) = Summary::load(store, &id) {
            if summary.is_orphan_of_rm() {
                let maps = crate::runtime::userns::IdMappings::detect();
                let _ = super::remove::remove_with_volumes(store, &maps, &id);
                continue;
            }
            out.push(summary);
        }
    }
    out.sort_by(|a, b| b.record.created.cmp(&a.record.created));
    Ok(out)
}

/// docker's `container inspect` object.
pub fn inspect_json(store: &Store, s: &Summary) -> Value {
    let r = &s.record;
    let o = &r.options;
    let dir = record::dir(store, r.id.as_str());
    let spec: Option<oci_spec::runtime::Spec> =
        crate::store::read_json(&dir.join("config.json")).ok();
    let process = spec.as_ref().and_then(|sp| sp.process().clone());
    let env = process
        .as_ref()
        .and_then(|p| p.env().clone())
        .unwrap_or_default();
    let cwd = process
        .as_ref()
        .map(|p| p.cwd().display().to_string())
        .unwrap_or_default();
    let hostname = spec
        .as_ref()
        .and_then(|sp| sp.hostname().clone())
        .unwrap_or_default();
    let mounts: Vec<Value> = r.mounts.iter().map(|m| m.inspect_json()).collect();
    let mut inspected = json!({
        "Id": r.id,
        "Created": r.created,
        "Path": r.path,
        "Args": r.args,
        "State": {
            "Status": s.status_word(),
            "Running": s.state.is_running(),
            "Paused": s.paused,
            "Restarting": s.state.status == "restarting",
            "OOMKilled": s.state.oom_killed,
            "Dead": false,
            "Pid": if s.state.is_running() { s.state.pid } else { 0 },
            "ExitCode": s.state.exit_code,
            "Error": s.state.error,
            "StartedAt": or_zero_time(&s.state.started_at),
            "FinishedAt": or_zero_time(&s.state.finished_at),
            "Health": s.health,
        },
        "Image": r.image_id,
        "ResolvConfPath": dir.join("resolv.conf"),
        "HostnamePath": dir.join("hostname"),
        "HostsPath": dir.join("hosts"),
        "LogPath": dir.join("json.log"),
        "Name": format!("/{}", r.name),
        "RestartCount": s.state.restart_count,
        "Driver": "overlay",
        "Platform": "linux",
        "HostConfig": host_config(r),
        "Mounts": mounts,
        "Config": {
            "Hostname": hostname,
            "Domainname": o.domainname.clone().unwrap_or_default(),
            "User": o.user.clone().unwrap_or_default(),
            "Tty": o.tty,
            "OpenStdin": o.interactive,
            "Env": env,
            "Cmd": if o.command.is_empty() { Value::Null } else { json!(o.command) },
            "Image": r.image,
            "WorkingDir": cwd,
            "Entrypoint": o.entrypoint.as_ref().map(|e| json!(e)).unwrap_or(Value::Null),
            "Labels": s.labels(),
            "StopSignal": o.stop_signal,
        },
        "NetworkSettings": network_settings(store, s),
    });
    add_resources(&mut inspected["HostConfig"], o);
    inspected
}

/// The limits under docker's HostConfig names (Memory, NanoCpus, ...), and the cgroup
/// namespace mode.
fn add_resources(host_config: &mut Value, o: &super::options::RunOptions) {
    if let (Value::Object(config), Ok(Value::Object(limits))) =
        (host_config, serde_json::to_value(&o.resources))
    {
        config.extend(limits);
        let mode = if o.private_cgroupns {
            "private"
        } else {
            "host"
        };
        config.insert("CgroupnsMode".into(), mode.into());
    }
}

/// `HostConfig`: how the container was asked to run.
fn host_config(r: &ContainerRecord) -> Value {
    let o = &r.options;
    let policy = RestartPolicy::parse(&o.restart).unwrap_or(RestartPolicy::No);
    let max_retries = match policy {
        RestartPolicy::OnFailure(Some(n)) => n,
        _ => 0,
    };
    let mut config = json!({
        "Binds": o.volumes,
        "Mounts": o.mounts,
        "VolumesFrom": o.volumes_from,
        "NetworkMode": o.network,
        "PortBindings": port_map(&r.ports, |p| json!({"HostIp": p.host_ip, "HostPort": if p.host_port == 0 { String::new() } else { p.host_port.to_string() }})),
        "PublishAllPorts": o.publish_all,
        "RestartPolicy": {"Name": policy.name(), "MaximumRetryCount": max_retries},
        "AutoRemove": o.rm,
        "CapAdd": o.cap_add,
        "CapDrop": o.cap_drop,
        "Privileged": o.privileged,
        "ReadonlyRootfs": o.read_only,
        "SecurityOpt": o.security_opt,
        "Tmpfs": o.tmpfs.iter().map(|t| { let (d, opts) = t.split_once(':').unwrap_or((t, "")); (d.to_string(), Value::from(opts)) }).collect::<serde_json::Map<_, _>>(),
        "Init": o.init,
        "Ulimits": o.ulimits.iter().map(|u| json!({"Name": u.name, "Soft": u.soft, "Hard": u.hard})).collect::<Vec<_>>(),
        "ShmSize": o.shm_size.unwrap_or(64 << 20),
        "Sysctls": o.sysctls,
        "OomScoreAdj": o.oom_score_adj.unwrap_or(0),
        "Annotations": o.annotations,
        "Devices": o.devices.iter().map(|d| json!({"PathOnHost": d.host, "PathInContainer": d.container, "CgroupPermissions": d.permissions})).collect::<Vec<_>>(),
        "ContainerIDFile": o.cidfile.as_ref().map(|f| f.display().to_string()).unwrap_or_default(),
        "LogConfig": {"Type": o.log_driver(), "Config": o.log_opts.iter().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_string(), Value::from(v))).collect::<serde_json::Map<_, _>>()},
    });
    let namespaces = [
        ("IpcMode", o.ipc.shown(Kind::Ipc)),
        ("PidMode", o.pid.shown(Kind::Pid)),
        ("UTSMode", o.uts.shown(Kind::Uts)),
        ("UsernsMode", o.userns.shown().to_string()),
    ];
    for (key, mode) in namespaces {
        config[key] = Value::from(mode);
    }
    config
}

/// docker's `{"80/tcp": [{...}, ...]}` shape of port mappings.
fn port_map(ports: &[PortMapping], entry: impl Fn(&PortMapping) -> Value) -> Value {
    let mut map = serde_json::Map::new();
    for p in ports {
        if let Value::Array(list) = map.entry(p.key()).or_insert_with(|| json!([])) {
            list.push(entry(p));
        }
    }
    Value::Object(map)
}

/// `NetworkSettings`: the container's addresses on its networks while it runs, and its
/// published ports, as docker shows them. The first network is the primary one.
pub fn network_settings(store: &Store, s: &Summary) -> Value {
    let running = s.state.is_running();
    let mut networks = serde_json::Map::new();
    let mut primary: Option<Value> = None;
    let builtin = match super::network::mode(&s.record.options) {
        NetworkMode::UserMode(_) => Some(match s.record.options.network.split(':').next() {
            Some("default") | None => "bridge".to_string(),
            Some(name) => name.to_string(),
        }),
        NetworkMode::None => Some("none".into()),
        NetworkMode::Host => Some("host".into()),
        NetworkMode::Container(_) => Some(s.record.options.network.clone()),
        NetworkMode::Named(_) => None,
    };
    if let Some(name) = builtin {
        let on_stack = name != "none" && name != "host" && !name.starts_with("container:");
        let endpoint = if running && on_stack {
            endpoint_json(
                &crate::net::CONTAINER_IP.to_string(),
                crate::net::PREFIX_LEN,
                &crate::net::GATEWAY_IP.to_string(),
                "",
                json!(null),
                "",
            )
        } else {
            endpoint_json("", 0, "", "", json!(null), "")
        };
        primary.get_or_insert_with(|| endpoint.clone());
        networks.insert(name, endpoint);
    }
    for (network, endpoint) in super::network::attachments(store, &s.record).unwrap_or_default() {
        let value = if running {
            endpoint_json(
                &endpoint.ip.to_string(),
                network.prefix_len,
                &network.gateway.to_string(),
                &endpoint.mac,
                json!(endpoint.aliases),
                &network.id,
            )
        } else {
            endpoint_json("", 0, "", "", json!(endpoint.aliases), &network.id)
        };
        primary.get_or_insert_with(|| value.clone());
        networks.insert(network.name, value);
    }
    let primary = primary.unwrap_or_else(|| endpoint_json("", 0, "", "", json!(null), ""));
    json!({
        "IPAddress": primary["IPAddress"],
        "IPPrefixLen": primary["IPPrefixLen"],
        "Gateway": primary["Gateway"],
        "MacAddress": primary["MacAddress"],
        "Ports": port_map(s.ports(), |p| json!({"HostIp": p.shown_ip(), "HostPort": p.host_port.to_string()})),
        "Networks": networks,
    })
}

/// One entry of `NetworkSettings.Networks`.
fn endpoint_json(
    ip: &str,
    prefix: u8,
    gateway: &str,
    mac: &str,
    aliases: Value,
    network_id: &str,
) -> Value {
    json!({
        "IPAddress": ip,
        "IPPrefixLen": prefix,
        "Gateway": gateway,
        "MacAddress": mac,
        "NetworkID": network_id,
        "Aliases": aliases,
    })
}

fn or_zero_time(t: &str) -> String {
    if t.is_empty() {
        "0001-01-01T00:00:00Z".into()
    } else {
        t.to_string()
    }
}

//! `POST /containers/create`: docker's container configuration (`Config` with `HostConfig`
//! and `NetworkingConfig`) read into skiff's run options, checked here, and created by a
//! child skiff (`__create`) with the same creation `skiff create` makes.

use super::error::{ApiError, ApiResult};
use super::http::Request;
use super::{Context, Reply};
use crate::container::devices::Device;
use crate::container::limits::{self, Ulimit};
use crate::container::namespaces::{Kind, NamespaceMode, UsernsMode};
use crate::container::options::{HealthOptions, RunOptions};
use crate::image::store as images;
use crate::runtime::cgroup::Resources;
use anyhow::{bail, Result};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub fn create<'a>(context: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let body = request.json_body().map_err(ApiError::bad_request)?;
    let name = Some(request.param("name")).filter(|n| !n.is_empty());
    let opts = run_options(&body, name).map_err(ApiError::bad_request)?;
    opts.validate().map_err(ApiError::bad_request)?;
    // docker's clients pull on this 404 and ask again.
    images::resolve(&context.store, &opts.image)?;
    let input = serde_json::to_vec(&opts).map_err(anyhow::Error::from)?;
    let out = context.skiff_fed(&["__create"], &input)?;
    let created: Value = serde_json::from_str(&out).map_err(anyhow::Error::from)?;
    Ok(Reply::Json(201, created))
}

/// The run options of a create request's body.
fn run_options(body: &Value, name: Option<&str>) -> Result<RunOptions> {
    let host = &body["HostConfig"];
    let network = match text(&host["NetworkMode"]) {
        "" | "default" => "bridge".to_string(),
        mode => mode.to_string(),
    };
    let own_network = crate::net::mode::NetworkMode::parse(&network)?.private_namespace();
    let endpoint = endpoint(body, &network);
    let mut volumes = words(&host["Binds"])?;
    // Config.Volumes: the anonymous volumes of `-v /path`, save those a bind or mount
    // already fills (compose names each of its volumes in both places, as docker allows).
    let filled: Vec<&str> = volumes
        .iter()
        .map(|v| bind_target(v))
        .chain(array(&host["Mounts"]).iter().map(|m| text(&m["Target"])))
        .collect();
    let anonymous: Vec<String> = object(&body["Volumes"])
        .keys()
        .filter(|target| !filled.contains(&target.trim_end_matches('/')))
        .cloned()
        .collect();
    volumes.extend(anonymous);
    let mac_address = [&endpoint["MacAddress"], &body["MacAddress"]]
        .into_iter()
        .map(text)
        .find(|m| !m.is_empty())
        .map(|mac| crate::container::network::mac_address(mac, &network))
        .transpose()?;
    // Go's clients send null for empty lists; the limits' own defaults stand for them.
    let limits: Map<String, Value> = object(host)
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .collect();
    let resources: Resources = serde_json::from_value(Value::Object(limits))?;
    Ok(RunOptions {
        image: text(&body["Image"]).to_string(),
        command: words(&body["Cmd"])?,
        name: name.map(String::from),
        rm: host["AutoRemove"].as_bool().unwrap_or(false),
        interactive: body["OpenStdin"].as_bool().unwrap_or(false),
        stdin_once: body["StdinOnce"].as_bool().unwrap_or(false),
        console_size: console_size(&host["ConsoleSize"]),
        tty: body["Tty"].as_bool().unwrap_or(false),
        detach: true,
        env: words(&body["Env"])?,
        workdir: some_text(&body["WorkingDir"]),
        user: some_text(&body["User"]),
        group_add: words(&host["GroupAdd"])?,
        hostname: some_text(&body["Hostname"]),
        domainname: some_text(&body["Domainname"]),
        entrypoint: match &body["Entrypoint"] {
            Value::Null => None,
            // `--entrypoint ""` arrives as [""]: no entrypoint.
            list => Some(words(list)?.into_iter().filter(|w| !w.is_empty()).collect()),
        },
        volumes,
        tmpfs: object(&host["Tmpfs"])
            .iter()
            .map(|(path, opts)| match text(opts) {
                "" => path.clone(),
                opts => format!("{path}:{opts}"),
            })
            .collect(),
        read_only: host["ReadonlyRootfs"].as_bool().unwrap_or(false),
        init: host["Init"].as_bool().unwrap_or(false),
        cap_add: words(&host["CapAdd"])?,
        cap_drop: words(&host["CapDrop"])?,
        privileged: host["Privileged"].as_bool().unwrap_or(false),
        security_opt: words(&host["SecurityOpt"])?,
        labels: pairs(&body["Labels"]),
        restart: restart_policy(&host["RestartPolicy"]),
        log_driver: some_text(&host["LogConfig"]["Type"]),
        log_opts: pairs(&host["LogConfig"]["Config"]),
        health: health(&body["Healthcheck"]),
        stop_signal: some_text(&body["StopSignal"]),
        stop_timeout: body["StopTimeout"].as_u64(),
        publish: port_bindings(&host["PortBindings"]),
        publish_all: host["PublishAllPorts"].as_bool().unwrap_or(false),
        expose: object(&body["ExposedPorts"]).keys().cloned().collect(),
        dns: words(&host["Dns"])?,
        dns_search: words(&host["DnsSearch"])?,
        dns_options: words(&host["DnsOptions"])?,
        add_hosts: words(&host["ExtraHosts"])?,
        network_aliases: words(&endpoint["Aliases"])?,
        ip: some_text(&endpoint["IPAMConfig"]["IPv4Address"]),
        mac_address,
        network,
        links: words(&host["Links"])?,
        mounts: array(&host["Mounts"]).iter().map(mount).collect(),
        volumes_from: words(&host["VolumesFrom"])?,
        cidfile: None,
        ulimits: array(&host["Ulimits"])
            .iter()
            .map(|u| {
                let (soft, hard) = (&u["Soft"], &u["Hard"]);
                Ulimit::parse(&format!("{}={soft}:{hard}", text(&u["Name"])))
            })
            .collect::<Result<_>>()?,
        shm_size: host["ShmSize"].as_u64().filter(|b| *b > 0),
        sysctls: pairs(&host["Sysctls"])
            .iter()
            .map(|s| limits::parse_sysctl(s, own_network))
            .collect::<Result<_>>()?,
        oom_score_adj: host["OomScoreAdj"]
            .as_i64()
            .filter(|v| *v != 0)
            .map(|v| v as i32),
        annotations: object(&host["Annotations"])
            .iter()
            .map(|(k, v)| (k.clone(), text(v).to_string()))
            .collect::<BTreeMap<_, _>>(),
        devices: array(&host["Devices"])
            .iter()
            .map(|d| {
                let (from, to) = (text(&d["PathOnHost"]), text(&d["PathInContainer"]));
                let to = if to.is_empty() { from } else { to };
                match text(&d["CgroupPermissions"]) {
                    "" => Device::parse(&format!("{from}:{to}")),
                    perms => Device::parse(&format!("{from}:{to}:{perms}")),
                }
            })
            .collect::<Result<_>>()?,
        ipc: NamespaceMode::parse(Kind::Ipc, text(&host["IpcMode"]))?,
        pid: NamespaceMode::parse(Kind::Pid, text(&host["PidMode"]))?,
        uts: NamespaceMode::parse(Kind::Uts, text(&host["UTSMode"]))?,
        userns: UsernsMode::parse(text(&host["UsernsMode"]))?,
        resources: resources.checked(false)?,
        private_cgroupns: crate::container::resources::private_cgroupns(text(
            &host["CgroupnsMode"],
        ))?,
    })
}

/// `[rows, columns]`; anything else is no size.
fn console_size(value: &Value) -> [u16; 2] {
    rows_columns(value).unwrap_or([0, 0])
}

/// A body's `[rows, columns]` (`ConsoleSize`, an exec's or a resize's), or None.
pub(super) fn rows_columns(value: &Value) -> Option<[u16; 2]> {
    let number = |i: usize| value[i].as_u64().and_then(|n| u16::try_from(n).ok());
    Some([number(0)?, number(1)?])
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

fn some_text(value: &Value) -> Option<String> {
    Some(text(value))
        .filter(|t| !t.is_empty())
        .map(String::from)
}

fn array(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

fn object(value: &Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

/// A list of strings, or one string as docker's StrSlice also takes.
fn words(value: &Value) -> Result<Vec<String>> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(list) => list
            .iter()
            .map(|w| match w {
                Value::String(s) => Ok(s.clone()),
                other => bail!("expected a string, not {other}"),
            })
            .collect(),
        other => bail!("expected a list of strings, not {other}"),
    }
}

/// A `{"k": "v"}` object as `k=v` strings, the way skiff's flags hold labels and options.
fn pairs(value: &Value) -> Vec<String> {
    object(value)
        .iter()
        .map(|(k, v)| format!("{k}={}", text(v)))
        .collect()
}

/// The endpoint settings of the network the container joins.
fn endpoint(body: &Value, network: &str) -> Value {
    let endpoints = object(&body["NetworkingConfig"]["EndpointsConfig"]);
    endpoints
        .get(network)
        .or_else(|| endpoints.values().next())
        .cloned()
        .unwrap_or(Value::Null)
}

fn restart_policy(policy: &Value) -> String {
    match (text(&policy["Name"]), policy["MaximumRetryCount"].as_u64()) {
        ("", _) => "no".into(),
        ("on-failure", Some(n)) if n > 0 => format!("on-failure:{n}"),
        (name, _) => name.into(),
    }
}

/// `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}` as `-p` values.
fn port_bindings(bindings: &Value) -> Vec<String> {
    let mut publish = Vec::new();
    for (port, hosts) in object(bindings) {
        for host in array(&hosts) {
            let (ip, host_port) = (text(&host["HostIp"]), text(&host["HostPort"]));
            let ip = if ip.contains(':') {
                format!("[{ip}]")
            } else {
                ip.to_string()
            };
            publish.push(match (ip.as_str(), host_port) {
                ("", "") => port.clone(),
                ("", host_port) => format!("{host_port}:{port}"),
                (ip, host_port) => format!("{ip}:{host_port}:{port}"),
            });
        }
    }
    publish
}

/// Where a `Binds` entry (`SOURCE:TARGET[:OPTIONS]`, or a bare `TARGET`) mounts.
fn bind_target(bind: &str) -> &str {
    let mut fields = bind.split(':');
    let first = fields.next().unwrap_or_default();
    fields.next().unwrap_or(first).trim_end_matches('/')
}

/// A `HostConfig.Mounts` entry as the `--mount` value that says the same.
fn mount(m: &Value) -> String {
    let mut fields = vec![format!("type={}", text(&m["Type"]))];
    if !text(&m["Source"]).is_empty() {
        fields.push(format!("source={}", text(&m["Source"])));
    }
    fields.push(format!("target={}", text(&m["Target"])));
    if m["ReadOnly"].as_bool() == Some(true) {
        fields.push("readonly".into());
    }
    if let Some(propagation) = some_text(&m["BindOptions"]["Propagation"]) {
        fields.push(format!("bind-propagation={propagation}"));
    }
    let volume = &m["VolumeOptions"];
    if volume["NoCopy"].as_bool() == Some(true) {
        fields.push("volume-nocopy".into());
    }
    for label in pairs(&volume["Labels"]) {
        fields.push(format!("volume-label={label}"));
    }
    for option in pairs(&volume["DriverConfig"]["Options"]) {
        fields.push(format!("volume-opt={option}"));
    }
    let tmpfs = &m["TmpfsOptions"];
    if let Some(size) = tmpfs["SizeBytes"].as_u64().filter(|s| *s > 0) {
        fields.push(format!("tmpfs-size={size}"));
    }
    if let Some(mode) = tmpfs["Mode"].as_u64().filter(|m| *m > 0) {
        fields.push(format!("tmpfs-mode={mode:o}"));
    }
    fields.join(",")
}

/// `Config.Healthcheck`: nanoseconds for durations, and a test in docker's list form.
fn health(check: &Value) -> HealthOptions {
    let duration = |key: &str| {
        check[key]
            .as_u64()
            .filter(|n| *n > 0)
            .map(|n| format!("{n}ns"))
    };
    let test: Vec<String> = words(&check["Test"]).unwrap_or_default();
    let (disabled, cmd) = match test.split_first() {
        Some((kind, _)) if kind == "NONE" => (true, None),
        Some((kind, rest)) if kind == "CMD-SHELL" => (false, Some(rest.join(" "))),
        Some((kind, rest)) if kind == "CMD" => (false, Some(shell_words(rest))),
        _ => (false, None),
    };
    HealthOptions {
        cmd,
        interval: duration("Interval"),
        timeout: duration("Timeout"),
        start_period: duration("StartPeriod"),
        start_interval: duration("StartInterval"),
        retries: check["Retries"]
            .as_u64()
            .filter(|n| *n > 0)
            .map(|n| n as u32),
        disabled,
    }
}

/// Words as one shell command line that runs exactly them.
fn shell_words(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("'{}'", w.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_what_the_docker_cli_sends() {
        let body = json!({
            "Image": "busybox", "Cmd": ["echo", "hi"], "Tty": true, "OpenStdin": true,
            "StdinOnce": true, "Env": ["A=1"], "Labels": {"a": "b"}, "Entrypoint": [""],
            "ExposedPorts": {"80/tcp": {}}, "Volumes": {"/data": {}, "/mnt": {}, "/v/": {}},
            "Healthcheck": {"Test": ["CMD", "true"], "Interval": 2_000_000_000u64},
            "HostConfig": {
                "AutoRemove": true, "Binds": ["/tmp:/mnt:ro"], "NetworkMode": "default",
                "ConsoleSize": [33, 77],
                "PortBindings": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}, {"HostIp": "", "HostPort": ""}]},
                "Memory": 67108864, "PidsLimit": null, "Tmpfs": {"/run": "size=1m"},
                "Ulimits": [{"Name": "nofile", "Soft": 100, "Hard": 200}],
                "Mounts": [{"Type": "volume", "Source": "v", "Target": "/v", "ReadOnly": true}]
            }
        });
        let o = run_options(&body, Some("web")).unwrap();
        assert_eq!(
            (o.image.as_str(), o.name.as_deref()),
            ("busybox", Some("web"))
        );
        assert_eq!(o.command, ["echo", "hi"]);
        assert!(o.tty && o.interactive && o.stdin_once && o.rm);
        assert_eq!(o.console_size, [33, 77]);
        assert_eq!(o.entrypoint, Some(vec![]));
        assert_eq!(o.labels, ["a=b"]);
        assert_eq!(o.volumes, ["/tmp:/mnt:ro", "/data"]);
        assert_eq!(o.network, "bridge");
        assert_eq!(o.publish, ["127.0.0.1:8080:80/tcp", "80/tcp"]);
        assert_eq!(o.resources.memory, 67108864);
        assert_eq!(o.tmpfs, ["/run:size=1m"]);
        assert_eq!(o.ulimits[0].soft, 100);
        assert_eq!(o.mounts, ["type=volume,source=v,target=/v,readonly"]);
        assert_eq!(o.health.cmd.as_deref(), Some("'true'"));
        assert_eq!(o.health.interval.as_deref(), Some("2000000000ns"));
        o.validate().unwrap();
    }

    #[test]
    fn an_empty_body_asks_for_the_defaults() {
        let o = run_options(&json!({"Image": "busybox"}), None).unwrap();
        assert_eq!(o.entrypoint, None);
        assert_eq!(o.restart, "no");
        assert!(!o.rm && !o.tty);
        o.validate().unwrap();
        let policy = json!({"Name": "on-failure", "MaximumRetryCount": 3});
        let body = json!({"Image": "b", "HostConfig": {"RestartPolicy": policy}});
        assert_eq!(run_options(&body, None).unwrap().restart, "on-failure:3");
    }

    #[test]
    fn bad_values_are_refused() {
        let bad = json!({"Image": "b", "HostConfig": {"IpcMode": "bogus"}});
        assert!(run_options(&bad, None).is_err());
        let bad = json!({"Image": "b", "Cmd": [1]});
        assert!(run_options(&bad, None).is_err());
    }
}

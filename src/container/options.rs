//! What the user asked for in `skiff run`, kept in the container record so that the
//! container can be recreated exactly, and the parsing of the flags' small languages.

use super::namespaces::{NamespaceMode, UsernsMode};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct RunOptions {
    pub image: String,
    pub command: Vec<String>,
    pub name: Option<String>,
    pub rm: bool,
    pub interactive: bool,
    pub tty: bool,
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub group_add: Vec<String>,
    pub hostname: Option<String>,
    /// The words that replace the image's ENTRYPOINT; empty clears it.
    #[serde(default, deserialize_with = "entrypoint_words")]
    pub entrypoint: Option<Vec<String>>,
    pub volumes: Vec<String>,
    pub tmpfs: Vec<String>,
    pub read_only: bool,
    pub network: String,
    pub init: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub privileged: bool,
    pub security_opt: Vec<String>,
    pub labels: Vec<String>,
    #[serde(default)]
    pub detach: bool,
    /// Docker's restart policy: no, on-failure[:N], always, unless-stopped.
    #[serde(default)]
    pub restart: String,
    #[serde(default)]
    pub log_opts: Vec<String>,
    #[serde(default)]
    pub health: HealthOptions,
    #[serde(default)]
    pub stop_signal: Option<String>,
    #[serde(default)]
    pub stop_timeout: Option<u64>,
    /// `-p` values as given.
    #[serde(default)]
    pub publish: Vec<String>,
    /// `-P`: publish every EXPOSEd port.
    #[serde(default)]
    pub publish_all: bool,
    /// `--dns`, `--dns-search`, `--dns-option`: the container's resolv.conf instead of the
    /// network's.
    #[serde(default)]
    pub dns: Vec<String>,
    #[serde(default)]
    pub dns_search: Vec<String>,
    #[serde(default)]
    pub dns_options: Vec<String>,
    /// `--add-host NAME:IP` lines for /etc/hosts.
    #[serde(default)]
    pub add_hosts: Vec<String>,
    /// `--mount` values, as given.
    #[serde(default)]
    pub mounts: Vec<String>,
    /// `--volumes-from CONTAINER[:ro|:rw]` values, as given.
    #[serde(default)]
    pub volumes_from: Vec<String>,
    /// `--network-alias`: more names on the user-defined network.
    #[serde(default)]
    pub network_aliases: Vec<String>,
    /// `--ip`: the address asked for on the user-defined network.
    #[serde(default)]
    pub ip: Option<String>,
    /// `--link CONTAINER[:ALIAS]` values, as given.
    #[serde(default)]
    pub links: Vec<String>,
    /// `--cidfile`: where the new container's id is written.
    #[serde(default)]
    pub cidfile: Option<PathBuf>,
    /// `--ulimit`: resource limits of the container's processes.
    #[serde(default)]
    pub ulimits: Vec<super::limits::Ulimit>,
    /// `--shm-size` in bytes; docker's 64 MiB when unset.
    #[serde(default)]
    pub shm_size: Option<u64>,
    /// `--sysctl`: settings of the container's own namespaces.
    #[serde(default)]
    pub sysctls: BTreeMap<String, String>,
    /// `--oom-score-adj`: how readily the kernel's OOM killer picks the container.
    #[serde(default)]
    pub oom_score_adj: Option<i32>,
    /// `--domainname`: the NIS domain name of the container's UTS namespace.
    #[serde(default)]
    pub domainname: Option<String>,
    /// `--annotation`: key-value notes for the runtime and tools, kept in the spec.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// `--expose`: ports the container listens on besides its image's (`80`, `8000-8010/udp`).
    #[serde(default)]
    pub expose: Vec<String>,
    /// `--log-driver`: `json-file` (when unset), `local` (kept the same way) or `none`.
    #[serde(default)]
    pub log_driver: Option<String>,
    /// `--device`: host device nodes in the container.
    #[serde(default)]
    pub devices: Vec<super::devices::Device>,
    /// `--ipc`, `--pid`, `--uts`, `--userns`: which namespaces the container makes for
    /// itself and which it shares.
    #[serde(default)]
    pub ipc: NamespaceMode,
    #[serde(default)]
    pub pid: NamespaceMode,
    #[serde(default)]
    pub uts: NamespaceMode,
    #[serde(default)]
    pub userns: UsernsMode,
    /// `--mac-address`: the container's hardware address on its user-defined network.
    #[serde(default)]
    pub mac_address: Option<String>,
    /// `--memory`, `--cpus` and the other limits of the container's cgroup.
    #[serde(default)]
    pub resources: crate::runtime::cgroup::Resources,
    /// `--cgroupns private`: a cgroup namespace of the container's own.
    #[serde(default)]
    pub private_cgroupns: bool,
    /// docker's StdinOnce: the container's stdin closes when the first attached client's
    /// input ends (`docker run -i` through the Engine API).
    #[serde(default)]
    pub stdin_once: bool,
    /// docker's ConsoleSize, rows and columns: the size a terminal started without a
    /// client's terminal at hand begins with (zero: the kernel's default).
    #[serde(default)]
    pub console_size: [u16; 2],
}

/// `entrypoint` as a list of words; records made before it was a list hold the one word
/// `--entrypoint` gave, an empty one for none.
fn entrypoint_words<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        Words(Vec<String>),
        Word(String),
    }
    Ok(
        Option::<Form>::deserialize(deserializer)?.map(|form| match form {
            Form::Words(words) => words,
            Form::Word(word) if word.is_empty() => Vec::new(),
            Form::Word(word) => vec![word],
        }),
    )
}

/// The logging drivers skiff has: docker's json-file, `local` (kept as json-file: `logs`
/// reads both), and `none`.
pub const LOG_DRIVERS: [&str; 3] = ["json-file", "local", "none"];

impl RunOptions {
    /// docker's name of the container's logging driver.
    pub fn log_driver(&self) -> &str {
        self.log_driver.as_deref().unwrap_or("json-file")
    }

    /// Whether the container's output is kept for `logs`.
    pub fn keeps_logs(&self) -> bool {
        self.log_driver() != "none"
    }

    /// Flag combinations docker refuses up front.
    pub fn validate(&self) -> Result<()> {
        let policy = RestartPolicy::parse(&self.restart)?;
        if self.rm && policy != RestartPolicy::No {
            bail!("conflicting options: cannot specify both --restart and --rm");
        }
        crate::supervisor::log::Rotation::from_options(&self.log_opts)?;
        if let Some(driver) = &self.log_driver {
            if !LOG_DRIVERS.contains(&driver.as_str()) {
                bail!("logging driver {driver:?} is not supported: skiff keeps logs with json-file (local is kept the same way), or none");
            }
        }
        crate::net::mode::NetworkMode::parse(&self.network)?;
        crate::container::namespaces::validate(self)?;
        if let Some(signal) = &self.stop_signal {
            crate::container::stop::parse_signal(signal)?;
        }
        crate::supervisor::health::check_flags(&self.health)?;
        for spec in &self.publish {
            crate::net::publish::parse(spec)?;
        }
        for server in &self.dns {
            if server.parse::<std::net::IpAddr>().is_err() {
                bail!("invalid --dns {server:?}: give an IP address");
            }
        }
        for entry in &self.add_hosts {
            crate::container::network::parse_add_host(entry)?;
        }
        if let Some(value) = self.oom_score_adj.filter(|v| !(-1000..=1000).contains(v)) {
            bail!("invalid value {value}, range for oom score adj is [-1000, 1000]");
        }
        Ok(())
    }
}

/// `--health-*` flags; unset fields fall back to the image's HEALTHCHECK.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct HealthOptions {
    pub cmd: Option<String>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub start_period: Option<String>,
    /// `--health-start-interval`: time between checks during the start period.
    #[serde(default)]
    pub start_interval: Option<String>,
    pub retries: Option<u32>,
    pub disabled: bool,
}

/// A parsed restart policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    No,
    OnFailure(Option<u32>),
    Always,
    UnlessStopped,
}

impl RestartPolicy {
    pub fn parse(text: &str) -> Result<RestartPolicy> {
        Ok(match text.split_once(':') {
            None if text.is_empty() || text == "no" => RestartPolicy::No,
            None if text == "always" => RestartPolicy::Always,
            None if text == "unless-stopped" => RestartPolicy::UnlessStopped,
            None if text == "on-failure" => RestartPolicy::OnFailure(None),
            Some(("on-failure", n)) => RestartPolicy::OnFailure(Some(n.parse().map_err(|_| anyhow::anyhow!("invalid restart policy {text:?}: maximum retry count must be a number"))?)),
            _ => bail!("invalid restart policy {text:?}: use no, always, unless-stopped or on-failure[:max-retries]"),
        })
    }

    /// Docker's name for it in `inspect` (`HostConfig.RestartPolicy.Name`).
    pub fn name(&self) -> &'static str {
        match self {
            RestartPolicy::No => "no",
            RestartPolicy::OnFailure(_) => "on-failure",
            RestartPolicy::Always => "always",
            RestartPolicy::UnlessStopped => "unless-stopped",
        }
    }
}

/// A mount destination as the container will see it: absolute, cleaned (`/a/../b/` is
/// `/b`), neither `/` itself nor inside `/proc`, which skiff mounts for the container.
pub fn check_destination(destination: &str, spec: &str) -> Result<PathBuf> {
    if !destination.starts_with('/') {
        bail!("invalid mount specification {spec:?}: the container path {destination:?} must be absolute");
    }
    let mut clean = PathBuf::from("/");
    for part in Path::new(destination).components() {
        match part {
            Component::Normal(name) => clean.push(name),
            Component::ParentDir => {
                clean.pop();
            }
            _ => {}
        }
    }
    if clean == Path::new("/") {
        bail!("invalid mount specification {spec:?}: cannot mount over / (the container's root filesystem)");
    }
    if clean.starts_with("/proc") {
        bail!("invalid mount specification {spec:?}: cannot mount on {}: /proc belongs to the container's own proc filesystem", clean.display());
    }
    Ok(clean)
}

/// `--tmpfs /run[:size=64m,mode=1777]` as a destination and mount options, with docker's
/// defaults (noexec, nosuid, nodev) unless overridden.
pub fn parse_tmpfs(spec: &str) -> Result<(PathBuf, Vec<String>)> {
    let (destination, opts) = spec.split_once(':').unwrap_or((spec, ""));
    let destination = check_destination(destination, spec)?;
    let mut options: Vec<String> = ["rw", "noexec", "nosuid", "nodev"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for opt in opts.split(',').filter(|o| !o.is_empty()) {
        let opposite = match opt {
            "exec" => Some("noexec"),
            "suid" => Some("nosuid"),
            "dev" => Some("nodev"),
            "ro" => Some("rw"),
            _ => None,
        };
        if let Some(o) = opposite {
            options.retain(|x| x != o);
        }
        options.push(opt.to_string());
    }
    Ok((destination, options))
}

/// The environment of `--env-file` files, then `-e` flags, in the order docker reads them.
pub fn environment(files: &[PathBuf], flags: &[String]) -> Result<Vec<String>> {
    let mut env = Vec::new();
    for file in files {
        env.extend(read_env_file(file)?);
    }
    for flag in flags {
        env.extend(resolve_env_arg(flag)?);
    }
    Ok(env)
}

/// `-e K=V` as is; `-e K` takes K from skiff's own environment, or is dropped when unset.
/// A variable without a name (`=value`) is refused, as docker refuses it.
fn resolve_env_arg(arg: &str) -> Result<Option<String>> {
    let (name, value) = match arg.split_once('=') {
        Some((name, _)) => (name, Some(arg.to_string())),
        None => (arg, None),
    };
    if name.is_empty() {
        bail!("invalid environment variable: {arg}");
    }
    Ok(value.or_else(|| std::env::var(arg).ok().map(|v| format!("{arg}={v}"))))
}

/// Lines of an `--env-file`: blank lines and `#` comments skipped, `K` alone taken from
/// skiff's environment.
fn read_env_file(path: &Path) -> Result<Vec<String>> {
    let mut env = Vec::new();
    for line in read_lines_file("env", path)? {
        let resolved =
            resolve_env_arg(&line).with_context(|| format!("in env file {}", path.display()))?;
        env.extend(resolved);
    }
    Ok(env)
}

/// The lines of an `--env-file` or `--label-file` (`kind`), blank lines and `#` comments
/// left out.
pub fn read_lines_file(kind: &str, path: &Path) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {kind} file {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim_start)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect())
}

/// Adds or replaces `KEY=...` entries, later ones winning, as docker merges environments.
pub fn merge_env(base: &mut Vec<String>, extra: impl IntoIterator<Item = String>) {
    for entry in extra {
        let key = entry.split('=').next().unwrap_or_default().to_string();
        base.retain(|e| e.split('=').next() != Some(key.as_str()));
        base.push(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_with_a_one_word_entrypoint_still_read() {
        let entrypoint = |old: serde_json::Value| {
            let mut record = serde_json::to_value(RunOptions::default()).unwrap();
            record["entrypoint"] = old;
            serde_json::from_value::<RunOptions>(record)
                .unwrap()
                .entrypoint
        };
        assert_eq!(entrypoint("sh".into()), Some(vec!["sh".to_string()]));
        assert_eq!(entrypoint("".into()), Some(vec![]));
        assert_eq!(entrypoint(serde_json::Value::Null), None);
        assert_eq!(
            entrypoint(serde_json::json!(["a", "b"])),
            Some(vec!["a".into(), "b".into()])
        );
    }

    #[test]
    fn destinations() {
        let ok = |d: &str| check_destination(d, d).unwrap();
        assert_eq!(ok("/data/"), PathBuf::from("/data"));
        assert_eq!(ok("/a/../b/./c"), PathBuf::from("/b/c"));
        assert_eq!(ok("/procfs"), PathBuf::from("/procfs"));
        for bad in ["data", "/", "/a/..", "/proc", "/proc/sys", "/x/../proc/1"] {
            assert!(check_destination(bad, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tmpfs_defaults() {
        let (dst, opts) = parse_tmpfs("/run:size=64m,exec").unwrap();
        assert_eq!(dst, PathBuf::from("/run"));
        assert_eq!(opts, ["rw", "nosuid", "nodev", "size=64m", "exec"]);
    }

    #[test]
    fn env_merging() {
        let mut env = vec!["PATH=/bin".to_string(), "A=1".to_string()];
        merge_env(&mut env, ["A=2".to_string(), "B=3".to_string()]);
        assert_eq!(env, ["PATH=/bin", "A=2", "B=3"]);
    }
}

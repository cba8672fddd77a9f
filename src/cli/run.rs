//! `skiff run`: docker's flags, turned into the container's run options.

use crate::container::create::{self, PullPolicy};
use crate::container::devices::Device;
use crate::container::limits::{self, Ulimit};
use crate::container::namespaces::{Kind, NamespaceMode, UsernsMode};
use crate::container::options::{self, HealthOptions, RunOptions};
use crate::container::run::{self as runner, Outcome};
use crate::container::start::Foreground;
use crate::registry::manifest::Platform;
use crate::registry::progress::Progress;
use crate::store::Store;
use crate::supervisor::SignalPolicy;
use anyhow::{bail, Result};
use clap::Args;
use std::path::PathBuf;

#[derive(Args)]
#[command(disable_help_flag = true)]
pub struct RunArgs {
    /// Print help
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,
    /// Run the container in the background and print its ID
    #[arg(short, long)]
    detach: bool,
    /// Remove the container when it exits
    #[arg(long)]
    rm: bool,
    /// Keep standard input open
    #[arg(short, long)]
    interactive: bool,
    /// Attach to STDIN, STDOUT or STDERR (repeatable; stdout and stderr when not given)
    #[arg(short, long, value_name = "STREAM")]
    attach: Vec<String>,
    /// Proxy received signals to the process (ignored with a terminal)
    #[arg(long = "sig-proxy", default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    sig_proxy: bool,
    /// Override the key sequence for detaching a container (default ctrl-p,ctrl-q, or the
    /// detachKeys of docker's config.json)
    #[arg(long, value_name = "KEYS")]
    detach_keys: Option<String>,
    /// Allocate a pseudo-terminal
    #[arg(short, long)]
    tty: bool,
    /// Assign a name to the container
    #[arg(long)]
    name: Option<String>,
    /// Write the container ID to the file
    #[arg(long, value_name = "FILE")]
    cidfile: Option<PathBuf>,
    /// Set environment variables (KEY=VALUE, or KEY to take it from skiff's environment)
    #[arg(short, long = "env", value_name = "KEY[=VALUE]")]
    env: Vec<String>,
    /// Read environment variables from a file
    #[arg(long = "env-file", value_name = "FILE")]
    env_file: Vec<PathBuf>,
    /// Working directory inside the container
    #[arg(short, long)]
    workdir: Option<String>,
    /// Username or UID, optionally with a group (name|uid[:group|gid])
    #[arg(short, long)]
    user: Option<String>,
    /// Add additional groups to join
    #[arg(long = "group-add", value_name = "GID")]
    group_add: Vec<String>,
    /// Container host name
    #[arg(short = 'h', long)]
    hostname: Option<String>,
    /// Overwrite the default ENTRYPOINT of the image
    #[arg(long)]
    entrypoint: Option<String>,
    /// Bind mount a host path or mount a volume ([/host/path|NAME:]/container/path[:ro]); a
    /// path alone gets a new anonymous volume
    #[arg(short, long = "volume", value_name = "[SRC:]DST[:OPTS]")]
    volume: Vec<String>,
    /// Attach a filesystem mount (type=bind|volume|tmpfs,src=,dst=,readonly,tmpfs-size=,
    /// tmpfs-mode=,volume-opt=,volume-label=,volume-nocopy)
    #[arg(long, value_name = "MOUNT")]
    mount: Vec<String>,
    /// Mount the volumes and binds of another container at the same paths
    #[arg(long = "volumes-from", value_name = "CONTAINER[:ro|:rw]")]
    volumes_from: Vec<String>,
    /// Mount a tmpfs directory (/path[:options])
    #[arg(long)]
    tmpfs: Vec<String>,
    /// Mount the container's root filesystem as read only
    #[arg(long)]
    read_only: bool,
    /// Connect the container to a network: the default user-mode network (bridge, also
    /// called slirp4netns or pasta, with options such as slirp4netns:allow_host_loopback=true,mtu=N),
    /// none, host or container:NAME
    #[arg(long, alias = "net", default_value = "bridge")]
    network: String,
    /// Run an init inside the container that forwards signals and reaps processes
    #[arg(long)]
    init: bool,
    /// Add Linux capabilities
    #[arg(long = "cap-add", value_name = "CAP")]
    cap_add: Vec<String>,
    /// Drop Linux capabilities
    #[arg(long = "cap-drop", value_name = "CAP")]
    cap_drop: Vec<String>,
    /// Give extended privileges to this container
    #[arg(long)]
    privileged: bool,
    /// Security options (seccomp=unconfined|PROFILE.json, no-new-privileges)
    #[arg(long = "security-opt", value_name = "OPT")]
    security_opt: Vec<String>,
    /// Set metadata on the container
    #[arg(short, long = "label", value_name = "KEY=VALUE")]
    label: Vec<String>,
    /// Read labels from a file of KEY=VALUE lines
    #[arg(long = "label-file", value_name = "FILE")]
    label_file: Vec<PathBuf>,
    /// Add an annotation to the container (passed through to the runtime)
    #[arg(long, value_name = "KEY=VALUE")]
    annotation: Vec<String>,
    /// Ulimit options (NAME=SOFT[:HARD], -1 unlimited: nofile=1024:2048)
    #[arg(long, value_name = "NAME=SOFT[:HARD]")]
    ulimit: Vec<String>,
    /// Size of /dev/shm (64m when not given)
    #[arg(long = "shm-size", value_name = "SIZE")]
    shm_size: Option<String>,
    /// Sysctl options of the container's own namespaces (net.*, kernel.shm*, kernel.msg*,
    /// kernel.sem, fs.mqueue.*)
    #[arg(long, value_name = "KEY=VALUE")]
    sysctl: Vec<String>,
    /// Tune the container's OOM preference (-1000 to 1000)
    #[arg(long = "oom-score-adj", value_name = "N", allow_hyphen_values = true)]
    oom_score_adj: Option<i32>,
    /// Container NIS domain name
    #[arg(long)]
    domainname: Option<String>,
    /// Expose a port or a range of ports
    #[arg(long, value_name = "PORT[/PROTO]")]
    expose: Vec<String>,
    /// Kernel memory limit (deprecated: ignored)
    #[arg(long = "kernel-memory", value_name = "SIZE", hide = true)]
    kernel_memory: Option<String>,
    /// IPC namespace: private (the default), shareable (others may join it), none (no
    /// /dev/shm), host, or container:NAME to join a shareable container's
    #[arg(long, value_name = "MODE")]
    ipc: Option<String>,
    /// PID namespace: host, or container:NAME to join another container's
    #[arg(long, value_name = "MODE")]
    pid: Option<String>,
    /// UTS namespace: host to keep the host's host name
    #[arg(long, value_name = "MODE")]
    uts: Option<String>,
    /// User namespace: host (as root: no user namespace; rootless: the default, the only one
    /// an unprivileged user's containers can have), or keep-id (rootless: your uid and gid
    /// are themselves in the container, which runs as them; as root: the default)
    #[arg(long, value_name = "MODE")]
    userns: Option<String>,
    /// Restart policy: no, on-failure[:max-retries], always, unless-stopped
    #[arg(long, default_value = "no")]
    restart: String,
    #[command(flatten)]
    resources: super::resources::ResourceArgs,
    /// Add a host device to the container (HOST[:CONTAINER][:rwm])
    #[arg(long, value_name = "HOST[:CONTAINER][:PERMISSIONS]")]
    device: Vec<String>,
    /// Logging driver: json-file, local or none
    #[arg(long = "log-driver", value_name = "DRIVER")]
    log_driver: Option<String>,
    /// Log driver options (max-size, max-file)
    #[arg(long = "log-opt", value_name = "OPT")]
    log_opt: Vec<String>,
    /// Command to run to check health
    #[arg(long = "health-cmd", value_name = "CMD")]
    health_cmd: Option<String>,
    /// Time between running the check (ms|s|m|h)
    #[arg(long = "health-interval", value_name = "DURATION")]
    health_interval: Option<String>,
    /// Maximum time to allow one check to run (ms|s|m|h)
    #[arg(long = "health-timeout", value_name = "DURATION")]
    health_timeout: Option<String>,
    /// Start period for the container to initialize before failures count (ms|s|m|h)
    #[arg(long = "health-start-period", value_name = "DURATION")]
    health_start_period: Option<String>,
    /// Time between checks during the start period (ms|s|m|h)
    #[arg(long = "health-start-interval", value_name = "DURATION")]
    health_start_interval: Option<String>,
    /// Consecutive failures needed to report unhealthy
    #[arg(long = "health-retries", value_name = "N")]
    health_retries: Option<u32>,
    /// Disable any container-specified HEALTHCHECK
    #[arg(long = "no-healthcheck")]
    no_healthcheck: bool,
    /// Signal to stop the container
    #[arg(long = "stop-signal", value_name = "SIGNAL")]
    stop_signal: Option<String>,
    /// Timeout (in seconds) to stop a container
    #[arg(long = "stop-timeout", value_name = "SECONDS")]
    stop_timeout: Option<u64>,
    /// Publish a container's port(s) to the host ([ip:][hostPort:]containerPort[/tcp|udp], ranges as 8000-8010:80-90)
    #[arg(short, long = "publish", value_name = "PORTS")]
    publish: Vec<String>,
    /// Publish all exposed ports to random ports
    #[arg(short = 'P', long = "publish-all")]
    publish_all: bool,
    /// Set custom DNS servers
    #[arg(long, value_name = "IP")]
    dns: Vec<String>,
    /// Set custom DNS search domains
    #[arg(long = "dns-search", value_name = "DOMAIN")]
    dns_search: Vec<String>,
    /// Set DNS options
    #[arg(long = "dns-option", alias = "dns-opt", value_name = "OPTION")]
    dns_option: Vec<String>,
    /// Add a custom host-to-IP mapping (host:ip, or host:host-gateway for the host)
    #[arg(long = "add-host", value_name = "HOST:IP")]
    add_host: Vec<String>,
    /// Add a name for the container on its user-defined network
    #[arg(long = "network-alias", alias = "net-alias", value_name = "ALIAS")]
    network_alias: Vec<String>,
    /// The container's IPv4 address on its user-defined network
    #[arg(long, value_name = "ADDRESS")]
    ip: Option<String>,
    /// The container's MAC address on its user-defined network (92:d0:c6:0a:29:33)
    #[arg(long = "mac-address", value_name = "ADDRESS")]
    mac_address: Option<String>,
    /// Link to another container: its address under ALIAS in /etc/hosts and its ports in
    /// the environment (NAME_PORT_80_TCP=...), as docker's legacy links
    #[arg(long, value_name = "CONTAINER[:ALIAS]")]
    link: Vec<String>,
    /// Pull the image from its registry: missing (when not stored), always, never
    #[arg(long, value_enum, default_value = "missing")]
    pull: PullPolicy,
    /// Run the image of this platform (os/arch[/variant]): one stored for another platform is
    /// pulled anew; one this machine cannot execute is refused
    #[arg(long)]
    platform: Option<String>,
    /// Suppress the pull output
    #[arg(short, long)]
    quiet: bool,
    #[command(flatten)]
    tls: super::registry::TlsArgs,
    /// The image to run
    image: String,
    /// The command and its arguments
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

pub fn run(store: &Store, args: RunArgs) -> Result<i32> {
    let echo = attached_output(&args.attach, args.detach)?;
    let how = Foreground {
        interactive: args.interactive,
        echo,
        signals: if args.sig_proxy || args.tty {
            SignalPolicy::Forward
        } else {
            SignalPolicy::Keep
        },
    };
    let detach_keys = args.detach_keys.clone();
    let opts = options(store, args)?;
    // Read before anything is created, so that bad keys leave nothing behind.
    let keys = if how.detachable(&opts) && !opts.detach {
        crate::supervisor::attach::detach_keys(detach_keys.as_deref())?
    } else {
        Vec::new()
    };
    // As docker: with neither stdout nor stderr attached, the user gets the id instead.
    let announce = |id: &str| {
        if echo == [false, false] {
            println!("{id}");
        }
    };
    match runner::run(store, &opts, &how, announce)? {
        Outcome::Exited(code) => Ok(code),
        Outcome::Detached(id) => {
            println!("{id}");
            Ok(0)
        }
        Outcome::ForTerminal(id) => super::container::attach_terminal(store, &id, &keys),
    }
}

/// `create`: the container `run` would make, left `Created` for a `start` to come.
pub fn create(store: &Store, args: RunArgs) -> Result<i32> {
    let opts = options(store, args)?;
    let maps = crate::runtime::userns::IdMappings::detect();
    if let Some(warning) = maps.warning() {
        eprintln!("{warning}");
    }
    let prepared = create::create(store, &maps, &opts, create::Start::Later)?;
    println!("{}", prepared.id());
    Ok(0)
}

/// The run options of the flags, checked, with the image in the store (pulled as `--pull`
/// says).
fn options(store: &Store, args: RunArgs) -> Result<RunOptions> {
    let platform = args.platform.as_deref().map(Platform::parse).transpose()?;
    let env = options::environment(&args.env_file, &args.env)?;
    let network = args.network;
    let own_network = crate::net::mode::NetworkMode::parse(&network)?.private_namespace();
    if args.kernel_memory.is_some() {
        eprintln!(
            "Flag --kernel-memory has been deprecated, and no longer supported by the kernel"
        );
    }
    let mut labels = Vec::new();
    for file in &args.label_file {
        labels.extend(options::read_lines_file("label", file)?);
    }
    labels.extend(args.label);
    let mac_address = args
        .mac_address
        .as_deref()
        .map(|mac| crate::container::network::mac_address(mac, &network))
        .transpose()?;
    let resources = args.resources.resources()?;
    let cgroupns = args.resources.private_cgroupns()?;
    let opts = RunOptions {
        image: args.image,
        command: args.command,
        name: args.name,
        rm: args.rm,
        interactive: args.interactive,
        tty: args.tty,
        env,
        workdir: args.workdir,
        user: args.user,
        group_add: args.group_add,
        hostname: args.hostname,
        entrypoint: args.entrypoint.map(|e| match e.is_empty() {
            true => Vec::new(),
            false => vec![e],
        }),
        volumes: args.volume,
        tmpfs: args.tmpfs,
        read_only: args.read_only,
        network,
        init: args.init,
        cap_add: args.cap_add,
        cap_drop: args.cap_drop,
        privileged: args.privileged,
        security_opt: args.security_opt,
        labels,
        detach: args.detach,
        restart: args.restart,
        log_opts: args.log_opt,
        health: HealthOptions {
            cmd: args.health_cmd,
            interval: args.health_interval,
            timeout: args.health_timeout,
            start_period: args.health_start_period,
            start_interval: args.health_start_interval,
            retries: args.health_retries,
            disabled: args.no_healthcheck,
        },
        stop_signal: args.stop_signal,
        stop_timeout: args.stop_timeout,
        publish: args.publish,
        publish_all: args.publish_all,
        dns: args.dns,
        dns_search: args.dns_search,
        dns_options: args.dns_option,
        add_hosts: args.add_host,
        network_aliases: args.network_alias,
        ip: args.ip,
        links: args.link,
        mounts: args.mount,
        volumes_from: args.volumes_from,
        cidfile: args.cidfile,
        ulimits: args
            .ulimit
            .iter()
            .map(|u| Ulimit::parse(u))
            .collect::<Result<_>>()?,
        shm_size: args.shm_size.as_deref().map(shm_size).transpose()?,
        sysctls: args
            .sysctl
            .iter()
            .map(|s| limits::parse_sysctl(s, own_network))
            .collect::<Result<_>>()?,
        oom_score_adj: args.oom_score_adj,
        domainname: args.domainname,
        annotations: args
            .annotation
            .iter()
            .map(|a| key_value("annotation", a))
            .collect::<Result<_>>()?,
        expose: args.expose,
        log_driver: args.log_driver,
        devices: args
            .device
            .iter()
            .map(|d| Device::parse(d))
            .collect::<Result<_>>()?,
        ipc: namespace(Kind::Ipc, args.ipc)?,
        pid: namespace(Kind::Pid, args.pid)?,
        uts: namespace(Kind::Uts, args.uts)?,
        userns: UsernsMode::parse(args.userns.as_deref().unwrap_or_default())?,
        mac_address,
        resources,
        private_cgroupns: cgroupns,
        stdin_once: false,
        console_size: [0, 0],
    };
    // Refused flags must not cost a pull.
    opts.validate()?;
    for warning in crate::container::resources::warnings(&opts.resources) {
        eprintln!("WARNING: {warning}");
    }
    if let Some(platform) = &platform {
        platform.check_runs_here()?;
    }
    create::ensure_image(
        store,
        &opts.image,
        args.pull,
        platform.as_ref(),
        |reference| {
            let progress = Progress::new(args.quiet, true);
            super::registry::pull_image(store, reference, platform.clone(), &args.tls, progress)
                .map(|_| ())
        },
    )?;
    Ok(opts)
}

fn namespace(kind: Kind, text: Option<String>) -> Result<NamespaceMode> {
    NamespaceMode::parse(kind, text.as_deref().unwrap_or_default())
}

/// `-a`: which of stdout and stderr a foreground run shows (both when no `-a` is given);
/// stdin is the container's with `-i`, attached or not, as docker has it.
fn attached_output(streams: &[String], detach: bool) -> Result<[bool; 2]> {
    if streams.is_empty() {
        return Ok([true, true]);
    }
    if detach {
        bail!("Conflicting options: -a and -d");
    }
    let mut echo = [false, false];
    for stream in streams {
        match stream.to_ascii_lowercase().as_str() {
            "stdin" => {}
            "stdout" => echo[0] = true,
            "stderr" => echo[1] = true,
            _ => bail!("invalid argument {stream:?} for \"-a, --attach\" flag: valid streams are STDIN, STDOUT and STDERR"),
        }
    }
    Ok(echo)
}

/// `--shm-size`: a size, and not nothing.
pub fn shm_size(text: &str) -> Result<u64> {
    match crate::size::parse(text)? {
        0 => bail!("invalid --shm-size {text:?}: it must be greater than 0"),
        bytes => Ok(bytes),
    }
}

/// `KEY=VALUE` of a flag such as `--annotation`.
fn key_value(flag: &str, text: &str) -> Result<(String, String)> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => bail!("invalid {flag} {text:?}: give KEY=VALUE"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attach_streams_as_docker_takes_them() {
        let streams = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(attached_output(&[], false).unwrap(), [true, true]);
        assert_eq!(attached_output(&[], true).unwrap(), [true, true]);
        assert_eq!(
            attached_output(&streams(&["STDERR"]), false).unwrap(),
            [false, true]
        );
        assert_eq!(
            attached_output(&streams(&["stdin", "stdout"]), false).unwrap(),
            [true, false]
        );
        assert_eq!(
            attached_output(&streams(&["stdin"]), false).unwrap(),
            [false, false]
        );
        let err = attached_output(&streams(&["stdio"]), false).unwrap_err();
        assert!(err
            .to_string()
            .contains("valid streams are STDIN, STDOUT and STDERR"));
        let err = attached_output(&streams(&["stdout"]), true).unwrap_err();
        assert_eq!(err.to_string(), "Conflicting options: -a and -d");
    }
}

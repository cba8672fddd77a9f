//! From what the user asked for and what the image says, the OCI runtime spec of a
//! container, with docker's defaults: its capabilities, masked and read-only paths,
//! /dev, /proc and /sys mounts, environment and entrypoint/cmd rules.

use super::mounts::MountPoint;
use super::namespaces::NamespaceMode;
use super::options::{self, RunOptions};
use crate::image::store::Image;
use crate::runtime::userns::MappingMode;
use anyhow::{bail, Context, Result};
use oci_spec::runtime::{
    Capabilities, Capability, LinuxBuilder, LinuxCapabilitiesBuilder, LinuxNamespaceBuilder,
    LinuxNamespaceType, Mount, MountBuilder, Process, ProcessBuilder, RootBuilder, Spec,
    SpecBuilder, UserBuilder,
};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Docker's default capability set (CapEff 00000000a80425fb for root).
pub const DEFAULT_CAPS: [&str; 14] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "FSETID",
    "FOWNER",
    "MKNOD",
    "NET_RAW",
    "SETGID",
    "SETUID",
    "SETFCAP",
    "SETPCAP",
    "NET_BIND_SERVICE",
    "SYS_CHROOT",
    "KILL",
    "AUDIT_WRITE",
];

const MASKED_PATHS: [&str; 12] = [
    "/proc/asound",
    "/proc/acpi",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

const READONLY_PATHS: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Where a container's files live.
pub struct Paths {
    pub dir: PathBuf,
    pub upper: PathBuf,
    pub work: PathBuf,
}

impl Paths {
    pub fn new(dir: PathBuf) -> Paths {
        Paths {
            upper: dir.join("upper"),
            work: dir.join("work"),
            dir,
        }
    }
}

/// The command docker would run: `--entrypoint` replaces the image's entrypoint and
/// discards its cmd; arguments after the image replace its cmd.
pub fn command(opts: &RunOptions, image: &Image) -> Result<Vec<String>> {
    let config = &image.config.config;
    let (entrypoint, cmd) = match &opts.entrypoint {
        Some(words) => (words.clone(), opts.command.clone()),
        None => {
            let cmd = if opts.command.is_empty() {
                config.cmd.clone().unwrap_or_default()
            } else {
                opts.command.clone()
            };
            (config.entrypoint.clone().unwrap_or_default(), cmd)
        }
    };
    let args: Vec<String> = entrypoint.into_iter().chain(cmd).collect();
    if args.is_empty() {
        bail!("no command specified: the image has no CMD or ENTRYPOINT; give a command after the image name");
    }
    Ok(args)
}

pub fn environment(opts: &RunOptions, image: &Image, hostname: &str) -> Vec<String> {
    let mut env = image.config.config.env.clone().unwrap_or_default();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, DEFAULT_PATH.to_string());
    }
    options::merge_env(&mut env, [format!("HOSTNAME={hostname}")]);
    if opts.tty {
        options::merge_env(&mut env, ["TERM=xterm".to_string()]);
    }
    options::merge_env(&mut env, opts.env.iter().cloned());
    env
}

/// Capability names as the kernel spells them, without the `CAP_` prefix, upper case.
fn normalize_cap(name: &str) -> String {
    let upper = name.to_ascii_uppercase();
    upper.strip_prefix("CAP_").unwrap_or(&upper).to_string()
}

fn all_caps() -> HashSet<String> {
    caps::runtime::thread_all_supported()
        .iter()
        .map(|c| normalize_cap(&c.to_string()))
        .collect()
}

/// The container's capability set: docker's defaults, `--privileged` for all, then
/// `--cap-drop` and `--cap-add` (either may say ALL).
pub fn capabilities(opts: &RunOptions) -> Result<HashSet<String>> {
    let mut set: HashSet<String> = if opts.privileged {
        all_caps()
    } else {
        DEFAULT_CAPS.iter().map(|s| s.to_string()).collect()
    };
    for drop in &opts.cap_drop {
        match normalize_cap(drop).as_str() {
            "ALL" => set.clear(),
            name => {
                check_cap(name)?;
                set.remove(name);
            }
        }
    }
    for add in &opts.cap_add {
        match normalize_cap(add).as_str() {
            "ALL" => set.extend(all_caps()),
            name => {
                check_cap(name)?;
                set.insert(name.to_string());
            }
        }
    }
    Ok(set)
}

fn check_cap(name: &str) -> Result<()> {
    Capability::from_str(name)
        .map(|_| ())
        .map_err(|_| anyhow::anyhow!("unknown capability: \"CAP_{name}\""))
}

/// Caps the user asked for on top of docker's defaults: the ones a non-root user keeps.
fn added_caps(opts: &RunOptions, set: &HashSet<String>) -> HashSet<String> {
    if opts.privileged || opts.cap_add.iter().any(|c| normalize_cap(c) == "ALL") {
        return set.clone();
    }
    opts.cap_add
        .iter()
        .map(|c| normalize_cap(c))
        .filter(|c| set.contains(c))
        .collect()
}

fn to_oci(set: &HashSet<String>) -> Capabilities {
    set.iter()
        .filter_map(|c| Capability::from_str(c).ok())
        .collect()
}

fn is_root_user(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or_default();
    name.is_empty() || name == "root" || name == "0"
}

fn mount(destination: &str, kind: &str, source: &str, opts: &[&str]) -> Result<Mount> {
    Ok(MountBuilder::default()
        .destination(destination)
        .typ(kind)
        .source(source)
        .options(opts.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .build()?)
}

fn bind(source: &Path, destination: &Path, readonly: bool) -> Result<Mount> {
    let mut opts = vec!["rbind".to_string()];
    if readonly {
        opts.push("ro".into());
    }
    Ok(MountBuilder::default()
        .destination(destination)
        .typ("bind")
        .source(source)
        .options(opts)
        .build()?)
}

/// A bind, volume or tmpfs mount of the user's. `copyup` asks the runtime to fill an empty
/// volume with what the image has at the destination.
fn user_mount(m: &MountPoint) -> Result<Mount> {
    let mut mount = match &m.tmpfs {
        Some(opts) => {
            let opts: Vec<&str> = opts.iter().map(String::as_str).collect();
            mount(&m.destination.to_string_lossy(), "tmpfs", "tmpfs", &opts)?
        }
        None => bind(&m.source, &m.destination, m.readonly)?,
    };
    let mut opts = mount.options().clone().unwrap_or_default();
    if m.readonly && !opts.iter().any(|o| o == "ro") {
        opts.push("ro".into());
    }
    if m.copy_up {
        opts.push("copyup".into());
    }
    mount.set_options(Some(opts));
    Ok(mount)
}

pub struct SpecInput<'a> {
    pub opts: &'a RunOptions,
    /// The store's init layer, relative to the layer store (see `Store::init_layer`).
    pub init_layer: &'a str,
    pub mounts: &'a [MountPoint],
    pub image: &'a Image,
    pub paths: &'a Paths,
    pub hostname: &'a str,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub caps: &'a HashSet<String>,
    pub mapping: MappingMode,
    /// For `--userns keep-id`: the caller's uid and gid, which the container runs as unless
    /// `--user` says otherwise, over its layers' keep-id copies.
    pub keep_id: Option<(u32, u32)>,
}

/// docker's /dev/shm when `--shm-size` does not say: 64 MiB.
const DEFAULT_SHM_SIZE: u64 = 64 << 20;

pub fn build(input: &SpecInput) -> Result<Spec> {
    let opts = input.opts;
    let keep_id_user = input.keep_id.map(|(uid, gid)| format!("{uid}:{gid}"));
    let user = opts
        .user
        .clone()
        .or(keep_id_user)
        .or_else(|| input.image.config.config.user.clone())
        .unwrap_or_default();
    let cwd = opts
        .workdir
        .clone()
        .or_else(|| input.image.config.config.working_dir.clone())
        .filter(|w| !w.is_empty())
        .unwrap_or_else(|| "/".into());
    let mut process = process(
        opts,
        &user,
        input.args.clone(),
        input.env.clone(),
        cwd,
        opts.tty,
        input.caps,
    )?;
    if !opts.ulimits.is_empty() {
        let rlimits = opts
            .ulimits
            .iter()
            .map(|u| u.to_oci())
            .collect::<Result<_>>()?;
        process.set_rlimits(Some(rlimits));
    }
    process.set_oom_score_adj(opts.oom_score_adj);
    let host_network = !super::network::mode(opts).private_namespace();
    // Namespaces not listed are the host's or another container's (joined at start).
    let namespaces = [
        (LinuxNamespaceType::Mount, true),
        (LinuxNamespaceType::Pid, opts.pid.is_own()),
        (LinuxNamespaceType::Ipc, opts.ipc.is_own()),
        (LinuxNamespaceType::Uts, opts.uts.is_own()),
        (LinuxNamespaceType::Network, !host_network),
        (LinuxNamespaceType::Cgroup, opts.private_cgroupns),
    ]
    .into_iter()
    .filter(|(_, own)| *own)
    .map(|(t, _)| LinuxNamespaceBuilder::default().typ(t).build())
    .collect::<Result<Vec<_>, _>>()?;
    let (masked, readonly): (Vec<String>, Vec<String>) = if opts.privileged {
        (Vec::new(), Vec::new())
    } else {
        (
            MASKED_PATHS.iter().map(|s| s.to_string()).collect(),
            READONLY_PATHS.iter().map(|s| s.to_string()).collect(),
        )
    };
    let mut linux = LinuxBuilder::default()
        .namespaces(namespaces)
        .masked_paths(masked)
        .readonly_paths(readonly)
        .build()?;
    if !opts.sysctls.is_empty() {
        linux.set_sysctl(Some(opts.sysctls.clone().into_iter().collect()));
    }
    let mut spec = SpecBuilder::default()
        .version("1.2.0")
        .root(
            RootBuilder::default()
                .path("rootfs")
                .readonly(opts.read_only)
                .build()?,
        )
        .process(process)
        .mounts(mounts(input, host_network)?)
        .linux(linux)
        .build()?;
    // The host's UTS namespace keeps the host's names.
    let own_uts = opts.uts.is_own();
    spec.set_hostname(own_uts.then(|| input.hostname.to_string()));
    spec.set_domainname(opts.domainname.clone().filter(|_| own_uts));
    if !opts.annotations.is_empty() {
        spec.set_annotations(Some(opts.annotations.clone().into_iter().collect()));
    }
    Ok(spec)
}

/// The process part of the spec, also used for `exec`: identity, privileges for that
/// identity (root keeps the container's set; other users only what was added), and terminal.
pub fn process(
    opts: &RunOptions,
    user: &str,
    args: Vec<String>,
    env: Vec<String>,
    cwd: String,
    tty: bool,
    caps: &HashSet<String>,
) -> Result<Process> {
    let effective = if is_root_user(user) {
        caps.clone()
    } else {
        added_caps(opts, caps)
    };
    let ambient = if is_root_user(user) {
        HashSet::new()
    } else {
        effective.clone()
    };
    let capabilities = LinuxCapabilitiesBuilder::default()
        .bounding(to_oci(caps))
        .effective(to_oci(&effective))
        .permitted(to_oci(&effective))
        .inheritable(to_oci(&ambient))
        .ambient(to_oci(&ambient))
        .build()?;
    let mut oci_user = UserBuilder::default().uid(0u32).gid(0u32);
    if !user.is_empty() {
        oci_user = oci_user.username(user);
    }
    if !opts.group_add.is_empty() {
        let gids = opts
            .group_add
            .iter()
            .map(|g| {
                g.parse::<u32>()
                    .with_context(|| format!("--group-add needs a numeric group id, got {g:?}"))
            })
            .collect::<Result<Vec<_>>>()?;
        oci_user = oci_user.additional_gids(gids);
    }
    if !cwd.starts_with('/') {
        bail!("the working directory '{cwd}' is invalid, it needs to be an absolute path");
    }
    Ok(ProcessBuilder::default()
        .terminal(tty)
        .user(oci_user.build()?)
        .args(args)
        .env(env)
        .cwd(cwd)
        .capabilities(capabilities)
        .no_new_privileges(no_new_privileges(opts))
        .build()?)
}

fn no_new_privileges(opts: &RunOptions) -> bool {
    opts.security_opt.iter().any(|o| {
        matches!(
            o.as_str(),
            "no-new-privileges" | "no-new-privileges:true" | "no-new-privileges=true"
        )
    })
}

/// A fresh /proc of the container's pid namespace; with the host's (`--pid host`), whose
/// proc a user namespace may not mount anew, the host's /proc with what is mounted below.
fn proc_mount(opts: &RunOptions) -> Result<Mount> {
    if opts.pid == NamespaceMode::Host {
        return bind(Path::new("/proc"), Path::new("/proc"), false);
    }
    mount("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"])
}

/// /dev/shm and /dev/mqueue of the container's IPC mode: its own (none with `--ipc none`),
/// the host's, or, for `container:NAME`, its mqueue (mounted in the joined namespace) and
/// that container's /dev/shm, taken by the runtime at start.
fn ipc_mounts(opts: &RunOptions) -> Result<Vec<Mount>> {
    let mqueue = || {
        mount(
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &["nosuid", "noexec", "nodev"],
        )
    };
    Ok(match &opts.ipc {
        NamespaceMode::Host => {
            let mut host = vec![bind(Path::new("/dev/shm"), Path::new("/dev/shm"), false)?];
            if Path::new("/dev/mqueue").is_dir() {
                host.push(bind(
                    Path::new("/dev/mqueue"),
                    Path::new("/dev/mqueue"),
                    false,
                )?);
            }
            host
        }
        NamespaceMode::None | NamespaceMode::Container(_) => vec![mqueue()?],
        NamespaceMode::Private | NamespaceMode::Shareable => {
            let shm_size = format!("size={}", opts.shm_size.unwrap_or(DEFAULT_SHM_SIZE));
            vec![
                mount(
                    "/dev/shm",
                    "tmpfs",
                    "shm",
                    &["nosuid", "noexec", "nodev", "mode=1777", &shm_size],
                )?,
                mqueue()?,
            ]
        }
    })
}

fn mounts(input: &SpecInput, host_network: bool) -> Result<Vec<Mount>> {
    let paths = input.paths;
    let diff_ids = input.image.diff_ids();
    let image_lowers = match input.keep_id {
        Some(_) => crate::image::keepid::lower_dirs(diff_ids),
        None => crate::image::overlay::lower_dirs(diff_ids),
    };
    let lower: Vec<String> = std::iter::once(input.init_layer.to_string())
        .chain(image_lowers)
        .collect();
    let overlay = MountBuilder::default()
        .destination("/")
        .typ("overlay")
        .source("overlay")
        .options(vec![
            format!("lowerdir={}", lower.join(":")),
            format!("upperdir={}", paths.upper.display()),
            format!("workdir={}", paths.work.display()),
            "userxattr".to_string(),
        ])
        .build()?;
    // gid 5 (tty) exists in the container only when subordinate ids are mapped.
    let devpts_opts: &[&str] = if input.mapping == MappingMode::Single {
        &[
            "nosuid",
            "noexec",
            "newinstance",
            "ptmxmode=0666",
            "mode=0620",
        ]
    } else {
        &[
            "nosuid",
            "noexec",
            "newinstance",
            "ptmxmode=0666",
            "mode=0620",
            "gid=5",
        ]
    };
    let mut mounts = vec![
        overlay,
        proc_mount(input.opts)?,
        mount(
            "/dev",
            "tmpfs",
            "tmpfs",
            &["nosuid", "strictatime", "mode=755", "size=65536k"],
        )?,
        mount("/dev/pts", "devpts", "devpts", devpts_opts)?,
    ];
    mounts.extend(ipc_mounts(input.opts)?);
    for device in &input.opts.devices {
        mounts.push(bind(&device.host, device.container_path(), false)?);
    }
    // A fresh sysfs needs a network namespace of our own; with the host's, bind the host's.
    // --privileged gets a writable /sys, as docker gives it.
    let sys_readonly = !input.opts.privileged;
    mounts.push(if host_network {
        bind(Path::new("/sys"), Path::new("/sys"), sys_readonly)?
    } else if sys_readonly {
        mount(
            "/sys",
            "sysfs",
            "sysfs",
            &["nosuid", "noexec", "nodev", "ro"],
        )?
    } else {
        mount("/sys", "sysfs", "sysfs", &["nosuid", "noexec", "nodev"])?
    });
    for file in ["hosts", "hostname", "resolv.conf"] {
        mounts.push(bind(
            &paths.dir.join(file),
            &Path::new("/etc").join(file),
            false,
        )?);
    }
    let mut user_mounts = Vec::new();
    for m in input.mounts {
        user_mounts.push(user_mount(m)?);
    }
    for tmpfs in &input.opts.tmpfs {
        let (destination, opts) = options::parse_tmpfs(tmpfs)?;
        user_mounts.push(
            MountBuilder::default()
                .destination(destination)
                .typ("tmpfs")
                .source("tmpfs")
                .options(opts)
                .build()?,
        );
    }
    // Parents before children, so `-v /a:/x -v /b:/x/y` stacks as the user means.
    user_mounts.sort_by_key(|m| m.destination().components().count());
    mounts.extend(user_mounts);
    Ok(mounts)
}

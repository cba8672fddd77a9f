//! Creating a container: resolve the image, reserve the name, lay out the container's
//! directory (overlay upper/work, generated /etc files) and write its record and spec.

use super::mounts::{self, MountPoint};
use super::namespaces::NamespaceMode;
use super::network;
use super::options::RunOptions;
use super::record::{self, ContainerRecord};
use super::spec::{self, Paths, SpecInput};
use super::start::Prepared;
use super::state::{self, ContainerState};
use crate::clock;
use crate::events;
use crate::image::reference::Reference;
use crate::image::store::{self as images, Image};
use crate::net::mode::NetworkMode;
use crate::net::publish::PortMapping;
use crate::registry::manifest::Platform;
use crate::runtime::seccomp::{self, Filters, Profile};
use crate::runtime::userns::IdMappings;
use crate::store::{self, NotFound, Store};
use crate::volume;
use anyhow::{anyhow, bail, Context, Result};
use oci_spec::runtime::Spec;
use std::collections::HashSet;
use std::fs;

/// When a new container is started.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// At once, by its creator (`run`, a build step): until then a `--rm` container is its
    /// creator's, and goes with it if the creator is killed first.
    Now,
    /// By a `start` to come (`create`).
    Later,
}

pub fn create(
    store: &Store,
    maps: &IdMappings,
    opts: &RunOptions,
    start: Start,
) -> Result<Prepared> {
    check_network(store, &opts.network)?;
    check_reference(&opts.image)?;
    let image =
        images::resolve(store, &opts.image).map_err(|e| match e.downcast::<NotFound>() {
            Ok(_) => anyhow!(
                "Unable to find image '{}' locally",
                display_reference(&opts.image)
            ),
            Err(other) => other,
        })?;
    create_from_image(store, maps, opts, &image, start)
}

/// Creates a container of an image the caller already has in hand: one from the store, or a
/// build's snapshot that is not an image of its own (a RUN step's container).
pub fn create_from_image(
    store: &Store,
    maps: &IdMappings,
    opts: &RunOptions,
    image: &Image,
    start: Start,
) -> Result<Prepared> {
    check_network(store, &opts.network)?;
    super::namespaces::check_targets(store, opts)?;
    if let Some(file) = &opts.cidfile {
        if file.exists() {
            bail!(
                "container ID file found, make sure the other container isn't running or delete {}",
                file.display()
            );
        }
    }
    let cgroup_primer = match start {
        Start::Now => super::resources::primer(&opts.resources),
        Start::Later => None,
    };
    let opts = &with_image_defaults(opts, image);
    let keep_id = super::namespaces::keep_id_maps(opts, maps)?;
    if let Some(user) = opts.user.as_ref().or(image.config.config.user.as_ref()) {
        maps.check_user(user)?;
    }
    let caps = spec::capabilities(opts)?;
    let seccomp = seccomp_filters(store, opts, &caps)?;
    let ports = network::requested_ports(opts, image)?;
    // A busy host port fails here, before anything is written; the supervisor binds the
    // ports for good when it starts the container.
    network::bind_ports(
        &ports,
        crate::net::ports::Inside {
            address: crate::net::CONTAINER_IP,
            gateway: crate::net::GATEWAY_IP,
        },
    )?;
    let planned = mounts::plan(store, opts, image)?;
    // From the volumes' creation until the record names them, nobody may remove them.
    let _volume_lock = if planned.is_empty() {
        None
    } else {
        Some(volume::lock(store)?)
    };
    let id = store::random_hex(32);
    let name = claim_some_name(store, opts, &id)?;
    let paths = Paths::new(record::dir(store, &id));
    let result = mounts::materialize(store, maps, planned).and_then(|made| {
        let written = write_container(
            store,
            maps,
            Container {
                opts,
                image,
                id: &id,
                name: &name,
                paths: &paths,
                caps: &caps,
                mounts: made.mounts.clone(),
                ports,
                start,
            },
        );
        if written.is_err() {
            made.discard(store, maps);
        }
        written
    });
    match result {
        Ok((record, spec)) => {
            if let Some(file) = &opts.cidfile {
                fs::write(file, &record.id).with_context(|| {
                    format!("cannot write the container ID file {}", file.display())
                })?;
            }
            events::emit(
                store,
                "container",
                "create",
                &record.id,
                &[("name", &record.name), ("image", &record.image)],
            );
            Ok(Prepared {
                record,
                spec,
                paths,
                seccomp,
                layers_dir: store.layers(),
                keep_id,
                cgroup_primer,
            })
        }
        Err(e) => {
            let _ = store::remove_tree(&paths.dir);
            record::release_name(store, &name);
            network::release_all(store, &id);
            Err(e)
        }
    }
}

/// When `run` fetches its image from a registry (`--pull`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PullPolicy {
    /// Only when the image is not in the store
    Missing,
    /// Every time (the registry's newer image replaces the local one)
    Always,
    /// Never: a missing image is an error
    Never,
}

/// Makes sure `name` is in the store as `policy` says, of `platform` when given (docker's
/// `--platform`: an image stored for another one counts as missing), calling `pull` for
/// what it lacks.
pub fn ensure_image(
    store: &Store,
    name: &str,
    policy: PullPolicy,
    platform: Option<&Platform>,
    pull: impl FnOnce(&Reference) -> Result<()>,
) -> Result<()> {
    let wanted = match policy {
        PullPolicy::Always => true,
        PullPolicy::Missing | PullPolicy::Never => match images::resolve(store, name) {
            Ok(image) => match platform_mismatch(name, &image, platform) {
                Some(error) if policy == PullPolicy::Never => return Err(error),
                mismatch => mismatch.is_some(),
            },
            Err(e) if e.downcast_ref::<NotFound>().is_some() => policy == PullPolicy::Missing,
            Err(e) => return Err(e),
        },
    };
    if !wanted {
        return Ok(());
    }
    // What is neither stored nor a valid reference gets docker's "invalid reference format".
    let reference = Reference::parse(name)?;
    if policy == PullPolicy::Missing {
        eprintln!("Unable to find image '{}' locally", display_reference(name));
    }
    pull(&reference.with_default_tag())
}

/// docker's error for an image stored for a platform other than the one asked for.
fn platform_mismatch(
    name: &str,
    image: &Image,
    wanted: Option<&Platform>,
) -> Option<anyhow::Error> {
    let wanted = wanted?;
    let actual = Platform::of_image(&image.config);
    (!wanted.accepts(&actual)).then(|| {
        anyhow!(
            "image with reference {name} was found but does not match the specified platform: wanted {wanted}, actual: {actual}"
        )
    })
}

/// A name that is neither a valid reference nor an image id is a user's typo: say so.
fn check_reference(name: &str) -> Result<()> {
    let looks_like_id = name
        .strip_prefix("sha256:")
        .unwrap_or(name)
        .bytes()
        .all(|b| b.is_ascii_hexdigit());
    if !looks_like_id {
        Reference::parse(name)?;
    }
    Ok(())
}

/// What the container inherits from its image as docker records it in the container's own
/// config: the image's labels (under the container's), its stop signal.
fn with_image_defaults(opts: &RunOptions, image: &Image) -> RunOptions {
    let mut opts = opts.clone();
    let image_labels = image.config.config.labels.clone().unwrap_or_default();
    let mut labels: Vec<String> = image_labels
        .iter()
        .filter(|(k, _)| {
            !opts
                .labels
                .iter()
                .any(|l| l.split('=').next() == Some(k.as_str()))
        })
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    labels.append(&mut opts.labels);
    opts.labels = labels;
    if opts.stop_signal.is_none() {
        opts.stop_signal = image.config.config.stop_signal.clone();
    }
    opts
}

fn check_network(store: &Store, network: &str) -> Result<()> {
    match NetworkMode::parse(network)? {
        NetworkMode::Container(name) => {
            record::resolve(store, &name)
                .with_context(|| format!("cannot use the network of container {name}"))?;
        }
        NetworkMode::Named(name) => {
            crate::net::network::load(store, &name).map_err(|e| anyhow!("{e:#}"))?;
        }
        _ => {}
    }
    Ok(())
}

fn display_reference(name: &str) -> String {
    Reference::parse(name)
        .map(|r| r.with_default_tag().familiar())
        .unwrap_or_else(|_| name.to_string())
}

fn claim_some_name(store: &Store, opts: &RunOptions, id: &str) -> Result<String> {
    if let Some(name) = &opts.name {
        record::claim_name(store, name, id)?;
        return Ok(name.clone());
    }
    loop {
        let name = record::generate_name();
        if record::claim_name(store, &name, id).is_ok() {
            return Ok(name);
        }
    }
}

/// What a new container is made of.
struct Container<'a> {
    opts: &'a RunOptions,
    image: &'a Image,
    id: &'a str,
    name: &'a str,
    paths: &'a Paths,
    caps: &'a HashSet<String>,
    mounts: Vec<MountPoint>,
    ports: Vec<PortMapping>,
    start: Start,
}

fn write_container(
    store: &Store,
    maps: &IdMappings,
    container: Container,
) -> Result<(ContainerRecord, Spec)> {
    let Container {
        opts,
        image,
        id,
        name,
        paths,
        caps,
        mounts,
        ports,
        start,
    } = container;
    for dir in [
        &paths.dir,
        &paths.upper,
        &paths.work,
        &paths.dir.join("rootfs"),
    ] {
        fs::create_dir(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let keep_id =
        super::namespaces::keep_id_maps(opts, maps)?.map(|_| super::namespaces::caller_ids(maps));
    if keep_id.is_some() {
        super::namespaces::prepare_keep_id(store, maps, image, paths)?;
    }
    let hostname = opts
        .hostname
        .clone()
        .unwrap_or_else(|| default_hostname(opts, id));
    let mut opts = opts.clone();
    let address = network::reserve(store, &mut opts, id)?;
    let links = super::links::resolve(store, &opts, name)?;
    // The user's own -e come last, so they win over a link's.
    let mut env: Vec<String> = links.iter().flat_map(|l| l.env.clone()).collect();
    env.append(&mut opts.env);
    opts.env = env;
    let opts = &opts;
    write_etc_files(store, paths, opts, &hostname, address)?;
    if !links.is_empty() {
        let mut hosts = fs::read_to_string(paths.dir.join("hosts"))?;
        hosts.extend(links.iter().map(|l| l.hosts_line.as_str()));
        fs::write(paths.dir.join("hosts"), hosts)?;
    }
    let args = spec::command(opts, image)?;
    let env = spec::environment(opts, image, &hostname);
    let spec = spec::build(&SpecInput {
        opts,
        init_layer: match keep_id {
            Some(_) => crate::image::keepid::INIT_LAYER,
            None => store.init_layer()?,
        },
        keep_id,
        mounts: &mounts,
        image,
        paths,
        hostname: &hostname,
        args: args.clone(),
        env,
        caps,
        mapping: maps.mode,
    })?;
    store::write_json(&paths.dir.join("config.json"), &spec)?;
    let record = ContainerRecord {
        id: id.to_string(),
        name: name.to_string(),
        created: clock::format_rfc3339(clock::now()),
        image: opts.image.clone(),
        image_id: image.id().to_string(),
        path: args[0].clone(),
        args: args[1..].to_vec(),
        options: opts.clone(),
        mounts,
        ports,
    };
    record::save(store, &record)?;
    let me = std::process::id() as i32;
    let owned = opts.rm && start == Start::Now;
    state::save(
        store,
        id,
        &ContainerState {
            status: "created".into(),
            supervisor: if owned { me } else { 0 },
            supervisor_start: if owned {
                store::process_start_time(me).unwrap_or(0)
            } else {
                0
            },
            ..Default::default()
        },
    )?;
    Ok((record, spec))
}

fn default_hostname(opts: &RunOptions, id: &str) -> String {
    if network::mode(opts) == NetworkMode::Host || opts.uts == NamespaceMode::Host {
        if let Ok(name) = nix::unistd::gethostname() {
            return name.to_string_lossy().into_owned();
        }
    }
    id[..12].to_string()
}

fn write_etc_files(
    store: &Store,
    paths: &Paths,
    opts: &RunOptions,
    hostname: &str,
    address: Option<std::net::Ipv4Addr>,
) -> Result<()> {
    fs::write(
        paths.dir.join("hosts"),
        network::hosts_file(store, opts, hostname, address),
    )?;
    fs::write(paths.dir.join("hostname"), format!("{hostname}\n"))?;
    fs::write(
        paths.dir.join("resolv.conf"),
        network::resolv_conf(store, opts),
    )?;
    Ok(())
}

/// Docker's default profile unless `--privileged` or `--security-opt seccomp=...` says otherwise.
/// Compiled filters come from the store's cache when it has them.
pub fn seccomp_filters(
    store: &Store,
    opts: &RunOptions,
    caps: &HashSet<String>,
) -> Result<Option<Filters>> {
    let chosen = opts.security_opt.iter().rev().find_map(|o| {
        o.strip_prefix("seccomp=")
            .or_else(|| o.strip_prefix("seccomp:"))
    });
    let json = match chosen {
        Some("unconfined") => return Ok(None),
        _ if opts.privileged => return Ok(None),
        Some(path) => {
            fs::read(path).with_context(|| format!("cannot read seccomp profile {path}"))?
        }
        None => seccomp::DOCKER_DEFAULT_JSON.as_bytes().to_vec(),
    };
    let profile = || match chosen {
        Some(path) => {
            Profile::from_json(&json).with_context(|| format!("invalid seccomp profile {path}"))
        }
        None => Ok(Profile::docker_default()),
    };
    let names: HashSet<String> = caps.iter().map(|c| format!("CAP_{c}")).collect();
    let filters = seccomp::compile_cached(
        &store.seccomp_cache(),
        &json,
        profile,
        &names,
        seccomp::host_kernel_version(),
    )?;
    check_security_opts(&opts.security_opt)?;
    Ok(Some(filters))
}

/// Refuses a `--security-opt` skiff does not know.
pub fn check_security_opts(opts: &[String]) -> Result<()> {
    for opt in opts {
        let known = opt.starts_with("seccomp")
            || opt.starts_with("no-new-privileges")
            || opt.starts_with("label")
            || opt.starts_with("apparmor");
        if !known {
            bail!("invalid --security-opt: {opt:?}");
        }
    }
    Ok(())
}

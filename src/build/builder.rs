//! Running a Dockerfile. A build goes from snapshot to snapshot: a snapshot is an image
//! config whose layers are in the store, and each instruction makes the next one. RUN runs
//! a throwaway container on the snapshot (the container code of `skiff run`) and its
//! overlay upper directory becomes the layer; COPY, ADD and WORKDIR change the snapshot
//! mounted in a helper with a fresh upper directory, which becomes the layer the same way;
//! the other instructions change only the config and leave an `empty_layer` history entry.
//! Every step goes through the cache ([`super::cache`]).
//!
//! Nothing reaches the image index before the last step: layers are stored as they are made
//! (and kept for the cache), the image record and its tags are written at the end, so a
//! failed build tags nothing.

use super::cache;
use super::context::BuildContext;
use super::copy::{self, Placement, Source};
use super::dockerignore::DockerIgnore;
use super::instructions::{
    self, Command, CommandLine, CopyFiles, Healthcheck, Instruction, Run, Scope, Stage,
};
use super::parser::{self, DockerfileError};
use super::shell::EnvList;
use crate::clock;
use crate::container::{create, options::RunOptions, remove, start};
use crate::image::config::{host_architecture, History, ImageConfig, RootFs};
use crate::image::fetch;
use crate::image::ingest::{self, IngestedLayer};
use crate::image::lease::Lease;
use crate::image::overlay::{self, Overlay};
use crate::image::reference::Reference;
use crate::image::store::{self as images, short_id, Image, ImageRecord};
use crate::runtime::userns::{self, IdMappings, MappingMode};
use crate::store::{self, NotFound, Store};
use anyhow::{anyhow, bail, Context, Result};
use serde_json::json;
use std::io::Write;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// What the user asked of the build besides the Dockerfile.
#[derive(Default)]
pub struct BuildOptions {
    pub tags: Vec<Reference>,
    pub build_args: EnvList,
    pub target: Option<String>,
    pub no_cache: bool,
    pub labels: Vec<(String, String)>,
    /// Print nothing but the image id; RUN output is shown only when the step fails.
    pub quiet: bool,
    /// The network of RUN steps: none or host.
    pub network: String,
    /// What every RUN step's container gets, as `run` has them.
    pub run_limits: RunLimits,
}

/// The `run` flags a build hands to each of its RUN steps: `--ulimit`, `--shm-size`,
/// `--add-host` and `--security-opt`.
#[derive(Default)]
pub struct RunLimits {
    pub ulimits: Vec<crate::container::limits::Ulimit>,
    pub shm_size: Option<u64>,
    pub add_hosts: Vec<String>,
    pub security_opt: Vec<String>,
    /// `--memory`, `--cpu-shares`, ...: the limits of each step's cgroup.
    pub resources: crate::runtime::cgroup::Resources,
}

/// The proxy variables every RUN sees when given with `--build-arg`, without an ARG, and
/// which stay out of the image's history, as docker does.
const PROXY_ARGS: [&str; 10] = [
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// A state of the build: an image config whose layers are in the store, named by the
/// digest of the config (the image id it would have).
#[derive(Clone)]
struct Snapshot {
    config: ImageConfig,
    id: String,
}

impl Snapshot {
    fn new(config: ImageConfig) -> Result<Snapshot> {
        let id = store::sha256_digest(&serde_json::to_vec(&config)?);
        Ok(Snapshot { config, id })
    }

    fn bytes(&self) -> Result<Vec<u8>> {
        Ok(serde_json::to_vec(&self.config)?)
    }

    fn env(&self) -> EnvList {
        let mut env = EnvList::new();
        for entry in self.config.config.env.iter().flatten() {
            let (name, value) = entry.split_once('=').unwrap_or((entry, ""));
            env.set(name, value);
        }
        env
    }

    fn image(&self) -> Image {
        Image {
            record: ImageRecord {
                id: self.id.clone(),
                ..Default::default()
            },
            config: self.config.clone(),
            tags: Vec::new(),
        }
    }

    fn shell(&self) -> Vec<String> {
        self.config
            .config
            .shell
            .clone()
            .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()])
    }

    fn workdir(&self) -> String {
        self.config
            .config
            .working_dir
            .clone()
            .filter(|w| !w.is_empty())
            .unwrap_or_else(|| "/".into())
    }
}

/// Builds the image; returns its id.
pub fn build(store: &Store, ctx: &BuildContext, opts: &BuildOptions) -> Result<String> {
    let located = |e: DockerfileError| anyhow!(e.in_file(&ctx.dockerfile_name));
    let file = parser::parse(&ctx.dockerfile).map_err(located)?;
    let mut stages = instructions::stages(&file).map_err(located)?;
    if stages.stages.is_empty() {
        bail!(
            "{}: no build stage: the Dockerfile has no FROM",
            ctx.dockerfile_name
        );
    }
    let global = stages
        .global_args(&super::platform_args(), &opts.build_args)
        .map_err(located)?;
    for stage in &mut stages.stages {
        stage
            .resolve_base(&global, stages.escape)
            .map_err(located)?;
    }
    let target = target_stage(&stages.stages, opts.target.as_deref())?;
    let needed = needed_stages(&stages.stages, target);
    for &index in &needed {
        if let Some(platform) = &stages.stages[index].platform {
            super::check_platform(platform).map_err(|e| anyhow!("FROM --platform: {e}"))?;
        }
    }
    let total = needed
        .iter()
        .map(|&i| 1 + stages.stages[i].instructions.len())
        .sum();
    let maps = IdMappings::detect();
    if let Some(warning) = maps.warning() {
        eprintln!("{warning}");
    }
    let mut builder = Builder {
        store,
        maps,
        ctx,
        opts,
        escape: stages.escape,
        global,
        stages: &stages.stages,
        done: vec![None; stages.stages.len()],
        step: 0,
        total,
        lease: Lease::new(store),
    };
    for &index in &needed {
        let snapshot = builder.stage(index)?;
        builder.done[index] = Some(snapshot);
    }
    let last = builder.done[target]
        .take()
        .expect("the target stage was built");
    builder.finish(last)
}

/// The stage `--target` names, or the last one.
fn target_stage(stages: &[Stage], target: Option<&str>) -> Result<usize> {
    match target {
        None => Ok(stages.len() - 1),
        Some(name) => stages
            .iter()
            .position(|s| s.name.as_deref() == Some(&name.to_lowercase()))
            .ok_or_else(|| anyhow!("target stage {name:?} could not be found")),
    }
}

/// An earlier stage named (or numbered) `name`, as FROM and `COPY --from` refer to one.
fn stage_named(stages: &[Stage], before: usize, name: &str) -> Option<usize> {
    let lower = name.to_lowercase();
    stages[..before]
        .iter()
        .position(|s| s.name.as_deref() == Some(&lower))
        .or_else(|| name.parse::<usize>().ok().filter(|&i| i < before))
}

/// The stages the target needs, in order: itself, its base stage and the stages it copies
/// from, and theirs.
fn needed_stages(stages: &[Stage], target: usize) -> Vec<usize> {
    let mut needed = vec![false; stages.len()];
    let mut pending = vec![target];
    while let Some(index) = pending.pop() {
        if std::mem::replace(&mut needed[index], true) {
            continue;
        }
        let stage = &stages[index];
        let mut refs = vec![stage.base.clone()];
        for instruction in &stage.instructions {
            if let Command::Copy(files) = &instruction.command {
                refs.extend(files.from.clone());
            }
        }
        pending.extend(refs.iter().filter_map(|r| stage_named(stages, index, r)));
    }
    (0..stages.len()).filter(|&i| needed[i]).collect()
}

struct Builder<'a> {
    store: &'a Store,
    maps: IdMappings,
    ctx: &'a BuildContext,
    opts: &'a BuildOptions,
    escape: char,
    global: EnvList,
    stages: &'a [Stage],
    /// The last snapshot of each stage built so far.
    done: Vec<Option<Snapshot>>,
    step: usize,
    total: usize,
    /// The layers of the build's steps, until its image names them.
    lease: Lease,
}

impl Builder<'_> {
    /// A line of build output (none with `-q`).
    fn say(&self, line: &str) {
        if !self.opts.quiet {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }

    fn announce(&mut self, source: &str) {
        self.step += 1;
        self.say(&format!("Step {}/{} : {source}", self.step, self.total));
    }

    fn located(&self, e: DockerfileError) -> anyhow::Error {
        anyhow!(e.in_file(&self.ctx.dockerfile_name))
    }

    fn stage(&mut self, index: usize) -> Result<Snapshot> {
        let stages = self.stages;
        let stage = &stages[index];
        self.announce(&stage.source);
        let mut snapshot = self.base(index)?;
        self.say(&format!(" ---> {}", short_id(&snapshot.id)));
        let triggers = snapshot.config.config.on_build.take();
        if triggers.is_some() {
            // Triggers are for images built from this one, not for their children.
            snapshot = Snapshot::new(snapshot.config)?;
        }
        let opts = self.opts;
        let global = self.global.clone();
        let mut scope = Scope::new(snapshot.env(), &opts.build_args, &global, self.escape);
        let mut cmd_set = false;
        for trigger in triggers.unwrap_or_default() {
            let instruction = parse_trigger(&trigger, stage.line)?;
            self.say(&format!(" ---> Running ONBUILD trigger: {trigger}"));
            snapshot = self.instruction(snapshot, instruction, &mut scope, &mut cmd_set)?;
        }
        for instruction in &stage.instructions {
            self.announce(&instruction.source);
            let step = self.step;
            snapshot = self
                .instruction(snapshot, instruction.clone(), &mut scope, &mut cmd_set)
                .map_err(|e| {
                    if e.downcast_ref::<DockerfileError>().is_some()
                        || e.to_string().starts_with(&self.ctx.dockerfile_name)
                    {
                        e
                    } else {
                        e.context(format!(
                            "step {step}/{} ({})",
                            self.total, instruction.source
                        ))
                    }
                })?;
        }
        Ok(snapshot)
    }

    /// The snapshot a stage starts from: an earlier stage, scratch, or an image.
    fn base(&self, index: usize) -> Result<Snapshot> {
        let base = &self.stages[index].base;
        if let Some(earlier) = stage_named(self.stages, index, base) {
            return Ok(self.done[earlier]
                .clone()
                .expect("stages are built in order"));
        }
        if base == "scratch" {
            return Snapshot::new(ImageConfig {
                architecture: host_architecture().into(),
                os: "linux".into(),
                rootfs: RootFs::default(),
                ..Default::default()
            });
        }
        let image = images::resolve(self.store, base).map_err(|e| match e.downcast::<NotFound>() {
            Ok(_) => anyhow!("{base}: no such image in the store; pull it or load it first (pulling from a registry during a build is not available yet)"),
            Err(e) => e,
        })?;
        Ok(Snapshot {
            id: image.id().to_string(),
            config: image.config,
        })
    }

    /// Expands one instruction and runs it (or takes it from the cache).
    fn instruction(
        &mut self,
        snapshot: Snapshot,
        mut instruction: Instruction,
        scope: &mut Scope,
        cmd_set: &mut bool,
    ) -> Result<Snapshot> {
        // What the RUN sees of the ARGs is what the scope has before the step.
        let args = self.arg_env(&snapshot, scope);
        scope.step(&mut instruction).map_err(|e| self.located(e))?;
        let command = instruction.command.clone();
        match &command {
            Command::Arg(_) => Ok(snapshot),
            Command::Run(run) => {
                let created_by = run_created_by(&snapshot, run, &args);
                let key = format!("{created_by}\n{:?}\n{}", command, self.run_network(run));
                self.cached(snapshot, &key, |b, s| {
                    b.run(s, run, &args, created_by.clone())
                })
            }
            Command::Copy(files) | Command::Add(files) => {
                let is_add = matches!(command, Command::Add(_));
                self.copy(snapshot, files, is_add, &instruction)
            }
            Command::Workdir(dir) => {
                let path = absolute(&snapshot.workdir(), dir);
                let key = format!("WORKDIR {path}");
                self.cached(snapshot, &key, |b, s| b.workdir(s, &path))
            }
            _ => {
                let created_by = metadata_created_by(&command);
                let key = format!("{created_by}\n{command:?}\n{cmd_set}");
                let set_now = matches!(command, Command::Cmd(_));
                let before = *cmd_set;
                *cmd_set |= set_now;
                self.cached(snapshot, &key, |_, s| {
                    let mut config = s.config.clone();
                    apply_metadata(&mut config, &command, &s.shell(), before)?;
                    add_history(&mut config, created_by.clone(), true);
                    Snapshot::new(config)
                })
            }
        }
    }

    /// A step through the cache: its snapshot from the cache when the same step was made on
    /// the same parent before, else made now and remembered.
    fn cached(
        &mut self,
        parent: Snapshot,
        step: &str,
        make: impl FnOnce(&mut Self, &Snapshot) -> Result<Snapshot>,
    ) -> Result<Snapshot> {
        let key = cache::key(&parent.id, step);
        if !self.opts.no_cache {
            if let Some(bytes) = cache::load(self.store, &key) {
                let config = ImageConfig::parse(&bytes)?;
                let snapshot = Snapshot {
                    id: store::sha256_digest(&bytes),
                    config,
                };
                self.say(" ---> Using cache");
                self.say(&format!(" ---> {}", short_id(&snapshot.id)));
                return Ok(snapshot);
            }
        }
        let snapshot = make(self, &parent)?;
        cache::save(self.store, &key, &snapshot.bytes()?)?;
        self.say(&format!(" ---> {}", short_id(&snapshot.id)));
        Ok(snapshot)
    }

    /// The build arguments a RUN gets in its environment: the ARGs in scope that no ENV
    /// overrides, and the proxy variables given with `--build-arg`.
    fn arg_env(&self, snapshot: &Snapshot, scope: &Scope) -> Vec<(String, String)> {
        let env = snapshot.env();
        let mut args: Vec<(String, String)> = scope
            .vars
            .iter()
            .filter(|(name, _)| env.get(name).is_none())
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        for name in PROXY_ARGS {
            if let Some(value) = self.opts.build_args.get(name) {
                if !args.iter().any(|(n, _)| n == name) {
                    args.push((name.to_string(), value.to_string()));
                }
            }
        }
        args
    }

    fn run_network(&self, run: &Run) -> String {
        match run.network {
            instructions::Network::None => "none".into(),
            instructions::Network::Host => "host".into(),
            instructions::Network::Default => self.opts.network.clone(),
        }
    }

    /// RUN: a throwaway container on the snapshot; its changes become the layer.
    fn run(
        &mut self,
        snapshot: &Snapshot,
        run: &Run,
        args: &[(String, String)],
        created_by: String,
    ) -> Result<Snapshot> {
        if !run.mounts.is_empty() {
            bail!("RUN --mount is not supported yet");
        }
        let command = run_command(snapshot, run);
        let opts = RunOptions {
            image: snapshot.id.clone(),
            command: command.clone(),
            // No entrypoint: the command runs as given.
            entrypoint: Some(Vec::new()),
            env: args.iter().map(|(n, v)| format!("{n}={v}")).collect(),
            network: self.run_network(run),
            resources: self.opts.run_limits.resources.clone(),
            rm: true,
            ulimits: self.opts.run_limits.ulimits.clone(),
            shm_size: self.opts.run_limits.shm_size,
            add_hosts: self.opts.run_limits.add_hosts.clone(),
            security_opt: self.opts.run_limits.security_opt.clone(),
            ..Default::default()
        };
        // Until the step's container is gone, a signal to stop reaches its supervision.
        let _held = crate::supervisor::hold_signals()?;
        let prepared = create::create_from_image(
            self.store,
            &self.maps,
            &opts,
            &snapshot.image(),
            create::Start::Now,
        )?;
        self.say(&format!(" ---> Running in {}", &prepared.id()[..12]));
        let outcome = self.run_container(&prepared);
        let layer = match (outcome, crate::supervisor::stopped_by_signal()) {
            (Ok(_), Some(signal)) => Err(anyhow!("the build was stopped by {signal}")),
            (outcome, _) => outcome,
        };
        let layer = match layer {
            Ok(0) => ingest::ingest_dir(self.store, &self.maps, &prepared.paths.upper, &self.lease),
            Ok(code) => Err(anyhow!(
                "process {:?} did not complete successfully: exit code {code}",
                command.join(" ")
            )),
            Err(e) => Err(e),
        };
        let removed = remove::remove(self.store, &self.maps, prepared.id());
        let layer = layer?;
        removed?;
        snapshot_with_layer(snapshot, layer, created_by)
    }

    /// Runs a RUN step's container in the foreground; with `-q` its output is kept aside
    /// and shown only when the step fails.
    fn run_container(&self, prepared: &start::Prepared) -> Result<i32> {
        let capture = if self.opts.quiet {
            Some(Capture::start()?)
        } else {
            None
        };
        let how = start::Foreground {
            interactive: false,
            echo: [true, true],
            signals: crate::supervisor::SignalPolicy::StopContainer,
        };
        let result = start::foreground(self.store, &self.maps, prepared, &how);
        if let Some(capture) = capture {
            let output = capture.finish()?;
            if !matches!(result, Ok(0)) {
                let _ = std::io::stderr().write_all(&output);
            }
        }
        result
    }

    /// COPY and ADD.
    fn copy(
        &mut self,
        snapshot: Snapshot,
        files: &CopyFiles,
        is_add: bool,
        instruction: &Instruction,
    ) -> Result<Snapshot> {
        if files.parents {
            bail!("COPY --parents is not supported yet");
        }
        let keyword = if is_add { "ADD" } else { "COPY" };
        let dest = absolute_dest(&snapshot.workdir(), &files.dest);
        let staging = Staging::new(self.store, &self.maps)?;
        let (origin, digest) = match &files.from {
            Some(from) => {
                let source = self.copy_source(from)?;
                let digest = source.id.clone();
                (Origin::Snapshot(Box::new(source)), digest)
            }
            None => {
                let sources = self.local_sources(files, is_add, &staging.path)?;
                let digest = copy::digest(&sources, self.context_root(), &self.ctx.ignore)?;
                (Origin::Local(sources), digest)
            }
        };
        let created_by = format!("{keyword} {}", instruction_args(&instruction.source));
        let key = format!("{created_by}\n{:?}\n{dest}\n{digest}", files);
        let result = self.cached(snapshot, &key, |b, s| {
            b.apply_copy(s, files, &origin, &dest, &staging, created_by.clone())
        });
        staging.remove();
        result
    }

    /// The snapshot `COPY --from` names: an earlier stage, or an image.
    fn copy_source(&self, from: &str) -> Result<Snapshot> {
        if let Some(index) = stage_named(self.stages, self.stages.len(), from) {
            if let Some(snapshot) = &self.done[index] {
                return Ok(snapshot.clone());
            }
            bail!("COPY --from={from}: that stage is not built before this one");
        }
        let image =
            images::resolve(self.store, from).map_err(|e| match e.downcast::<NotFound>() {
                Ok(_) => anyhow!("COPY --from={from}: no stage or image of that name"),
                Err(e) => e,
            })?;
        Ok(Snapshot {
            id: image.id().to_string(),
            config: image.config,
        })
    }

    fn context_root(&self) -> &Path {
        self.ctx.dir.as_deref().unwrap_or(Path::new("/nonexistent"))
    }

    /// The sources of a COPY/ADD from the context, from URLs (ADD) and from heredocs.
    fn local_sources(
        &self,
        files: &CopyFiles,
        is_add: bool,
        staging: &Path,
    ) -> Result<Vec<Source>> {
        let mut sources = Vec::new();
        let (urls, paths): (Vec<String>, Vec<String>) = files
            .sources
            .iter()
            .cloned()
            .partition(|s| is_add && fetch::is_url(s));
        if !paths.is_empty() {
            let Some(root) = &self.ctx.dir else {
                bail!("no build context: COPY and ADD of {} need one (give a directory or a tarball, not a Dockerfile alone)", paths.join(" "));
            };
            let mut found = copy::resolve(root, &paths, &self.ctx.ignore, &files.exclude)?;
            if is_add && files.unpack != Some(false) {
                for source in &mut found {
                    source.unpack = !source.is_dir && copy::is_archive(&source.path);
                }
            }
            sources.extend(found);
        }
        for url in urls {
            sources.push(download(&url, staging, files.unpack == Some(true))?);
        }
        for inline in &files.inline {
            let path = staging.join(format!("inline-{}", sources.len()));
            std::fs::write(&path, &inline.content)?;
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644))?;
            sources.push(Source {
                path,
                name: inline.name.clone(),
                is_dir: false,
                unpack: false,
            });
        }
        Ok(sources)
    }

    /// COPY/ADD done: the snapshot mounted with a fresh upper directory, the files put in
    /// place, the upper directory stored as the layer.
    fn apply_copy(
        &self,
        snapshot: &Snapshot,
        files: &CopyFiles,
        origin: &Origin,
        dest: &str,
        staging: &Staging,
        created_by: String,
    ) -> Result<Snapshot> {
        let ignore_chown_errors = self.maps.mode == MappingMode::Single;
        let empty_ignore = DockerIgnore::default();
        let mode = files
            .chmod
            .as_deref()
            .map(|m| {
                u32::from_str_radix(m, 8)
                    .ok()
                    .filter(|m| *m <= 0o7777)
                    .ok_or_else(|| anyhow!("invalid --chmod={m}: use an octal mode like 0755"))
            })
            .transpose()?;
        let layer = self.change_snapshot(
            snapshot,
            staging,
            |root, source_root| {
                let owner = match &files.chown {
                    Some(chown) => copy::owner_ids(root, chown)?,
                    None => (0, 0),
                };
                let (sources, sources_root, ignore) = match origin {
                    Origin::Local(sources) => (
                        sources.clone(),
                        self.context_root().to_path_buf(),
                        &self.ctx.ignore,
                    ),
                    Origin::Snapshot(_) => {
                        let source_root = source_root.expect("the source snapshot is mounted");
                        let sources = copy::resolve(
                            source_root,
                            &files.sources,
                            &empty_ignore,
                            &files.exclude,
                        )?;
                        (sources, source_root.to_path_buf(), &empty_ignore)
                    }
                };
                copy::place(
                    root,
                    &sources,
                    &Placement {
                        dest,
                        owner,
                        mode,
                        ignore,
                        root: &sources_root,
                        ignore_chown_errors,
                    },
                )
            },
            match origin {
                Origin::Snapshot(source) => Some(source),
                Origin::Local(_) => None,
            },
        )?;
        snapshot_with_layer(snapshot, layer, created_by)
    }

    /// WORKDIR: the working directory set, and created when the snapshot lacks it.
    fn workdir(&self, snapshot: &Snapshot, path: &str) -> Result<Snapshot> {
        let mut config = snapshot.config.clone();
        config.config.working_dir = Some(path.to_string());
        let layers = overlay::layer_paths(self.store, &snapshot.config.rootfs.diff_ids);
        let exists = overlay::lookup(&layers, Path::new(path)).is_some_and(|m| m.is_dir());
        let created_by = format!("WORKDIR {path}");
        let layer = if exists {
            None
        } else {
            let staging = Staging::new(self.store, &self.maps)?;
            let user = snapshot
                .config
                .config
                .user
                .clone()
                .filter(|u| !u.is_empty());
            let layer = self.change_snapshot(
                snapshot,
                &staging,
                |root, _| {
                    let owner = match &user {
                        Some(user) => copy::owner_ids(root, user).unwrap_or((0, 0)),
                        None => (0, 0),
                    };
                    copy::make_dir_in_root(root, path, owner)?;
                    Ok(())
                },
                None,
            );
            staging.remove();
            layer?
        };
        let parent = Snapshot::new(config)?;
        snapshot_with_layer(&parent, layer, created_by)
    }

    /// Mounts `snapshot` with a fresh upper directory in a helper (and `source`, read-only,
    /// for `COPY --from`), lets `change` work on it, and stores the upper directory as a
    /// layer (None when nothing changed).
    fn change_snapshot(
        &self,
        snapshot: &Snapshot,
        staging: &Staging,
        change: impl FnOnce(&Path, Option<&Path>) -> Result<()>,
        source: Option<&Snapshot>,
    ) -> Result<Option<IngestedLayer>> {
        let dir = &staging.path;
        let (upper, work, merged, from, empty) = (
            dir.join("upper"),
            dir.join("work"),
            dir.join("merged"),
            dir.join("from"),
            dir.join("empty"),
        );
        for d in [&upper, &work, &merged, &from, &empty] {
            std::fs::create_dir_all(d)?;
        }
        userns::run_in_mount_ns(&self.maps, || {
            Overlay {
                lowers: overlay::lower_dirs(&snapshot.config.rootfs.diff_ids),
                upper: Some((&upper, &work)),
                empty: &empty,
            }
            .mount(self.store, &merged)?;
            if let Some(source) = source {
                Overlay {
                    lowers: overlay::lower_dirs(&source.config.rootfs.diff_ids),
                    upper: None,
                    empty: &empty,
                }
                .mount(self.store, &from)?;
            }
            change(&merged, source.map(|_| from.as_path()))?;
            overlay::unmount(&merged)?;
            Ok(String::new())
        })?;
        ingest::ingest_dir(self.store, &self.maps, &upper, &self.lease)
    }

    /// The image: the target stage's last snapshot with the `--label`s, recorded and tagged.
    fn finish(&self, last: Snapshot) -> Result<String> {
        let mut config = last.config;
        if !self.opts.labels.is_empty() {
            let labels = config.config.labels.get_or_insert_with(Default::default);
            labels.extend(self.opts.labels.iter().cloned());
        }
        if config.created.is_none() {
            config.created = Some(clock::format_rfc3339(clock::now()));
        }
        let bytes = serde_json::to_vec(&config)?;
        let record = images::add(self.store, &bytes, &self.opts.tags)?;
        self.say(&format!("Successfully built {}", short_id(&record.id)));
        for tag in &self.opts.tags {
            self.say(&format!(
                "Successfully tagged {}",
                tag.clone().with_default_tag().familiar()
            ));
        }
        Ok(record.id)
    }
}

/// Where a COPY's files come from.
enum Origin {
    Local(Vec<Source>),
    Snapshot(Box<Snapshot>),
}

/// A directory of the store's staging area for one step, removed afterwards (inside the
/// user namespace when the step left files of other owners in it).
struct Staging {
    path: PathBuf,
    maps: IdMappings,
}

impl Staging {
    fn new(store: &Store, maps: &IdMappings) -> Result<Staging> {
        let path = store.staging_dir()?;
        // Mount options and the helper's working directory need it absolute.
        let path = path.canonicalize()?;
        Ok(Staging {
            path,
            maps: maps.clone(),
        })
    }

    fn remove(self) {
        let _ = std::fs::set_permissions(
            self.path.join("work/work"),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        );
        if store::remove_tree(&self.path).is_err() {
            let path = self.path.clone();
            let _ = userns::run_in_userns(&self.maps, move || {
                store::remove_tree(&path)?;
                Ok(String::new())
            });
        }
    }
}

/// The next snapshot: `layer` (if any) on top of `parent`, with its history entry.
fn snapshot_with_layer(
    parent: &Snapshot,
    layer: Option<IngestedLayer>,
    created_by: String,
) -> Result<Snapshot> {
    let mut config = parent.config.clone();
    let empty = layer.is_none();
    if let Some(layer) = layer {
        config.rootfs.diff_ids.push(layer.diff_id);
    }
    add_history(&mut config, created_by, empty);
    Snapshot::new(config)
}

fn add_history(config: &mut ImageConfig, created_by: String, empty_layer: bool) {
    let now = clock::format_rfc3339(clock::now());
    config.created = Some(now.clone());
    config.history.push(History {
        created: Some(now),
        created_by: Some(created_by),
        empty_layer,
        ..Default::default()
    });
}

/// What a RUN executes: exec form as is, shell form (and heredoc scripts) through SHELL.
fn run_command(snapshot: &Snapshot, run: &Run) -> Vec<String> {
    match (&run.command, &run.script) {
        (CommandLine::Exec(args), _) => args.clone(),
        (CommandLine::Shell(_), Some(script)) | (CommandLine::Shell(script), None) => {
            let mut args = snapshot.shell();
            args.push(script.clone());
            args
        }
    }
}

/// A RUN's history line, as docker writes it: `RUN |2 A=1 B=2 /bin/sh -c make` when build
/// arguments are in scope (they are part of what the step depends on).
fn run_created_by(snapshot: &Snapshot, run: &Run, args: &[(String, String)]) -> String {
    let recorded: Vec<String> = args
        .iter()
        .filter(|(n, _)| !PROXY_ARGS.contains(&n.as_str()))
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    let command = run_command(snapshot, run).join(" ");
    if recorded.is_empty() {
        format!("RUN {command}")
    } else {
        format!("RUN |{} {} {command}", recorded.len(), recorded.join(" "))
    }
}

/// The arguments of an instruction line, without its keyword.
fn instruction_args(source: &str) -> &str {
    source
        .trim_start()
        .split_once(char::is_whitespace)
        .map_or("", |(_, rest)| rest.trim())
}

fn absolute(workdir: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        PathBuf::from(path)
    } else {
        Path::new(workdir).join(path)
    };
    let mut parts: Vec<String> = Vec::new();
    for component in joined.components() {
        match component {
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            std::path::Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    format!("/{}", parts.join("/"))
}

/// A COPY destination made absolute, its trailing `/` kept (it means "a directory").
fn absolute_dest(workdir: &str, dest: &str) -> String {
    let path = absolute(workdir, dest);
    if (dest.ends_with('/') || dest.ends_with("/.") || dest == ".") && path != "/" {
        format!("{path}/")
    } else {
        path
    }
}

/// ADD of a URL: downloaded into the staging directory, mode 0600 as docker gives it.
fn download(url: &str, staging: &Path, unpack: bool) -> Result<Source> {
    let mut download = fetch::get(url)?;
    let name = fetch::file_name(&download.url);
    let path = staging.join(format!("download-{}", store::random_hex(4)));
    let mut file = std::fs::File::create(&path)?;
    std::io::copy(&mut download.body, &mut file)
        .with_context(|| format!("cannot download {url}"))?;
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    Ok(Source {
        unpack: unpack && copy::is_archive(&path),
        path,
        name,
        is_dir: false,
    })
}

/// An ONBUILD trigger as an instruction, read as a Dockerfile line would be.
fn parse_trigger(trigger: &str, line: usize) -> Result<Instruction> {
    let located = |e: DockerfileError| anyhow!("ONBUILD trigger {trigger:?}: {e}");
    let file = parser::parse(&format!("FROM scratch\n{trigger}\n")).map_err(located)?;
    let stages = instructions::stages(&file).map_err(located)?;
    let mut instruction = stages
        .stages
        .into_iter()
        .next()
        .and_then(|s| s.instructions.into_iter().next())
        .ok_or_else(|| anyhow!("empty ONBUILD trigger"))?;
    instruction.line = line;
    Ok(instruction)
}

/// The history line of an instruction that changes only the config.
fn metadata_created_by(command: &Command) -> String {
    let json = |v: &[String]| serde_json::to_string(v).unwrap_or_default();
    let pairs = |pairs: &[instructions::KeyValue]| {
        pairs
            .iter()
            .map(|p| format!("{}={}", p.key, p.value))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let line = |c: &CommandLine| match c {
        CommandLine::Exec(args) => json(args),
        CommandLine::Shell(text) => text.clone(),
    };
    match command {
        Command::Env(p) => format!("ENV {}", pairs(p)),
        Command::Label(p) => format!("LABEL {}", pairs(p)),
        Command::Cmd(c) => format!("CMD {}", line(c)),
        Command::Entrypoint(c) => format!("ENTRYPOINT {}", line(c)),
        Command::Expose(ports) => format!("EXPOSE {}", ports.join(" ")),
        Command::Volume(v) => format!("VOLUME {}", json(v)),
        Command::User(u) => format!("USER {u}"),
        Command::Shell(s) => format!("SHELL {}", json(s)),
        Command::Stopsignal(s) => format!("STOPSIGNAL {s}"),
        Command::Maintainer(m) => format!("MAINTAINER {m}"),
        Command::Onbuild(o) => format!("ONBUILD {}", o.expression),
        Command::Healthcheck(h) => format!("HEALTHCHECK {}", json(&h.test)),
        other => format!("{other:?}"),
    }
}

/// Applies an instruction that changes only the config. `cmd_set`: a CMD was given earlier
/// in this stage, which ENTRYPOINT then keeps (else it clears the base image's CMD).
fn apply_metadata(
    image: &mut ImageConfig,
    command: &Command,
    shell: &[String],
    cmd_set: bool,
) -> Result<()> {
    let config = &mut image.config;
    let with_shell = |c: &CommandLine| match c {
        CommandLine::Exec(args) => args.clone(),
        CommandLine::Shell(text) => shell.iter().cloned().chain([text.clone()]).collect(),
    };
    match command {
        Command::Env(pairs) => {
            let env = config.env.get_or_insert_with(Vec::new);
            let entries = pairs.iter().map(|p| format!("{}={}", p.key, p.value));
            crate::container::options::merge_env(env, entries);
        }
        Command::Label(pairs) => {
            let labels = config.labels.get_or_insert_with(Default::default);
            labels.extend(pairs.iter().map(|p| (p.key.clone(), p.value.clone())));
        }
        Command::Cmd(c) => config.cmd = Some(with_shell(c)),
        Command::Entrypoint(c) => {
            config.entrypoint = Some(with_shell(c));
            if !cmd_set {
                config.cmd = None;
            }
        }
        Command::Expose(ports) => {
            let exposed = config.exposed_ports.get_or_insert_with(Default::default);
            for port in ports {
                for one in crate::image::change::expose_ports(port)? {
                    exposed.insert(one, json!({}));
                }
            }
        }
        Command::Volume(volumes) => {
            let map = config.volumes.get_or_insert_with(Default::default);
            for volume in volumes {
                map.insert(volume.clone(), json!({}));
            }
        }
        Command::User(user) => config.user = Some(user.clone()),
        Command::Shell(words) => config.shell = Some(words.clone()),
        Command::Stopsignal(signal) => config.stop_signal = Some(signal.clone()),
        Command::Maintainer(author) => image.author = Some(author.clone()),
        Command::Onbuild(trigger) => config
            .on_build
            .get_or_insert_with(Vec::new)
            .push(trigger.expression.clone()),
        Command::Healthcheck(check) => {
            config
                .other
                .insert("Healthcheck".into(), healthcheck_json(check));
        }
        _ => {}
    }
    Ok(())
}

/// docker's `Healthcheck` object: zero durations and retries are left out (the defaults).
fn healthcheck_json(check: &Healthcheck) -> serde_json::Value {
    let mut object = serde_json::Map::new();
    object.insert("Test".into(), json!(check.test));
    for (name, value) in [
        ("Interval", check.interval),
        ("Timeout", check.timeout),
        ("StartPeriod", check.start_period),
        ("StartInterval", check.start_interval),
    ] {
        if value > 0 {
            object.insert(name.into(), json!(value));
        }
    }
    if check.retries > 0 {
        object.insert("Retries".into(), json!(check.retries));
    }
    serde_json::Value::Object(object)
}

/// Standard output and error sent to a file for a while (a quiet build's RUN output).
struct Capture {
    saved: [OwnedFd; 2],
    file: std::fs::File,
}

impl Capture {
    fn start() -> Result<Capture> {
        let file = tempfile()?;
        let saved = [
            nix::unistd::dup(std::io::stdout())?,
            nix::unistd::dup(std::io::stderr())?,
        ];
        for fd in [1, 2] {
            // SAFETY: plain descriptor juggling on our own standard streams.
            if unsafe { libc::dup2(file.as_raw_fd(), fd) } < 0 {
                return Err(std::io::Error::last_os_error().into());
            }
        }
        Ok(Capture { saved, file })
    }

    fn finish(mut self) -> Result<Vec<u8>> {
        self.restore();
        let mut output = Vec::new();
        use std::io::{Read, Seek};
        self.file.seek(std::io::SeekFrom::Start(0))?;
        self.file.read_to_end(&mut output)?;
        Ok(output)
    }

    fn restore(&mut self) {
        for (fd, saved) in [1, 2].into_iter().zip(&self.saved) {
            // SAFETY: as above.
            unsafe { libc::dup2(saved.as_raw_fd(), fd) };
        }
    }
}

/// An anonymous file, gone when closed.
fn tempfile() -> Result<std::fs::File> {
    let dir = std::env::temp_dir();
    let path = dir.join(format!(".skiff-build-{}", store::random_hex(8)));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    let _ = std::fs::remove_file(&path);
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_history_lines() {
        assert_eq!(absolute("/app", "sub/../x"), "/app/x");
        assert_eq!(absolute("/app", "/etc"), "/etc");
        assert_eq!(absolute_dest("/app", "."), "/app/");
        assert_eq!(absolute_dest("/", "dir/"), "/dir/");
        assert_eq!(absolute_dest("/", "/"), "/");
        assert_eq!(instruction_args("COPY  a b"), "a b");
        let check = Healthcheck {
            test: vec!["CMD-SHELL".into(), "true".into()],
            interval: 5_000_000_000,
            timeout: 0,
            start_period: 0,
            start_interval: 0,
            retries: 3,
        };
        assert_eq!(
            healthcheck_json(&check),
            json!({"Test": ["CMD-SHELL", "true"], "Interval": 5_000_000_000u64, "Retries": 3})
        );
    }
}

//! Dockerfile commands: `build`, `builder prune`, and the hidden `skiff __parse-dockerfile`,
//! which shows how skiff reads a Dockerfile: its stages and instructions as JSON, optionally
//! with variables expanded as a build would, and what a context's `.dockerignore` leaves out.

use crate::build::builder::{self, BuildOptions, RunLimits};
use crate::build::dockerignore::DockerIgnore;
use crate::build::shell::EnvList;
use crate::build::{instructions, parser, platform_args};
use crate::container::limits::Ulimit;
use crate::image::reference::Reference;
use crate::store::Store;
use anyhow::{Context, Result};
use clap::Args;
use serde::Serialize;
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct BuildArgs {
    /// The build context: a directory, a git repository URL, or - (a Dockerfile or a context
    /// tarball on standard input)
    context: String,
    /// Name and optionally a tag for the image (name:tag); may be given several times
    #[arg(short, long = "tag", value_name = "NAME[:TAG]")]
    tags: Vec<String>,
    /// The Dockerfile (default: Dockerfile in the context; - for standard input)
    #[arg(short, long, value_name = "PATH")]
    file: Option<String>,
    /// A build argument: NAME=VALUE, or NAME to take it from the environment
    #[arg(long = "build-arg", value_name = "NAME[=VALUE]")]
    build_args: Vec<String>,
    /// Build this stage (and what it needs), not the last one
    #[arg(long)]
    target: Option<String>,
    /// Run every step again instead of taking it from the cache
    #[arg(long)]
    no_cache: bool,
    /// Always look for newer base images (accepted; images come from the store until pulls land)
    #[arg(long)]
    pull: bool,
    /// A label for the image: KEY=VALUE
    #[arg(long = "label", value_name = "KEY=VALUE")]
    labels: Vec<String>,
    /// Print only the image id (RUN output only when a step fails)
    #[arg(short, long)]
    quiet: bool,
    /// Write the image id to this file
    #[arg(long, value_name = "FILE")]
    iidfile: Option<PathBuf>,
    /// The network of RUN steps: default (the built-in user-mode network), none or host
    #[arg(long, default_value = "default")]
    network: String,
    /// Remove intermediate containers (always done; accepted for compatibility)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    rm: bool,
    /// Always remove intermediate containers (accepted for compatibility)
    #[arg(long)]
    force_rm: bool,
    /// Ulimit options of RUN steps (NAME=SOFT[:HARD], -1 unlimited: nofile=1024:2048)
    #[arg(long, value_name = "NAME=SOFT[:HARD]")]
    ulimit: Vec<String>,
    /// Size of /dev/shm in RUN steps (64m when not given)
    #[arg(long = "shm-size", value_name = "SIZE")]
    shm_size: Option<String>,
    /// Add a custom host-to-IP mapping to RUN steps (host:ip, or host:host-gateway)
    #[arg(long = "add-host", value_name = "HOST:IP")]
    add_host: Vec<String>,
    /// Security options of RUN steps (seccomp=unconfined|PROFILE.json, no-new-privileges)
    #[arg(long = "security-opt", value_name = "OPT")]
    security_opt: Vec<String>,
    /// The platform to build for: only the host's (os/arch[/variant])
    #[arg(long)]
    platform: Option<String>,
    #[command(flatten)]
    resources: super::resources::CpuMemoryArgs,
}

/// `skiff build`. As docker, every failure of the build itself exits 1 (a bad flag still
/// exits 125): the error says which step failed and why.
pub fn build(store: &Store, args: Box<BuildArgs>) -> Result<i32> {
    if let Some(platform) = &args.platform {
        crate::build::check_platform(platform)?;
    }
    let run_limits = run_limits(&args)?;
    match run_build(store, &args, run_limits) {
        Ok(()) => Ok(0),
        Err(e) => {
            eprintln!("Error: {e:#}");
            Ok(1)
        }
    }
}

/// The `run` flags of the RUN steps, checked as `run` checks them.
fn run_limits(args: &BuildArgs) -> Result<RunLimits> {
    for entry in &args.add_host {
        crate::container::network::parse_add_host(entry)?;
    }
    crate::container::create::check_security_opts(&args.security_opt)?;
    let resources = args.resources.checked()?;
    for warning in crate::container::resources::warnings(&resources) {
        eprintln!("WARNING: {warning}");
    }
    Ok(RunLimits {
        ulimits: args
            .ulimit
            .iter()
            .map(|u| Ulimit::parse(u))
            .collect::<Result<_>>()?,
        shm_size: args
            .shm_size
            .as_deref()
            .map(super::run::shm_size)
            .transpose()?,
        add_hosts: args.add_host.clone(),
        security_opt: args.security_opt.clone(),
        resources,
    })
}

fn run_build(store: &Store, args: &BuildArgs, run_limits: RunLimits) -> Result<()> {
    let network = match args.network.as_str() {
        "default" => "default",
        "none" => "none",
        "host" => "host",
        other => anyhow::bail!(
            "network mode {other:?} is not available for builds: use none, host or default"
        ),
    };
    let tags = args
        .tags
        .iter()
        .map(|t| Reference::parse(t).with_context(|| format!("invalid tag {t:?}")))
        .collect::<Result<Vec<_>>>()?;
    let mut labels = Vec::new();
    for label in &args.labels {
        let (key, value) = label.split_once('=').unwrap_or((label, ""));
        labels.push((key.to_string(), value.to_string()));
    }
    let ctx = crate::build::context::open(store, &args.context, args.file.as_deref())?;
    let opts = BuildOptions {
        tags,
        build_args: build_args(&args.build_args),
        target: args.target.clone(),
        no_cache: args.no_cache,
        labels,
        quiet: args.quiet,
        network: network.to_string(),
        run_limits,
    };
    let id = builder::build(store, &ctx, &opts)?;
    if let Some(file) = &args.iidfile {
        std::fs::write(file, &id).with_context(|| format!("cannot write {}", file.display()))?;
    }
    if args.quiet {
        println!("{id}");
    }
    Ok(())
}

#[derive(clap::Subcommand)]
pub enum BuilderCommand {
    /// Remove the build cache
    Prune(PruneArgs),
}

#[derive(Args)]
pub struct PruneArgs {
    /// Do not ask for confirmation
    #[arg(short, long)]
    force: bool,
    /// Remove all of the cache (the only kind skiff keeps; accepted for compatibility)
    #[arg(short, long)]
    all: bool,
}

/// `builder prune`: forgets the cache; the layers only it kept go with it.
pub fn builder_command(store: &Store, command: BuilderCommand) -> Result<i32> {
    let BuilderCommand::Prune(args) = command;
    if !super::prune::confirmed(
        args.force,
        "WARNING! This will remove all dangling build cache.",
    )? {
        return Ok(0);
    }
    prune_cache(store)?.print_with_total();
    Ok(0)
}

/// Forgets the build cache, and removes the layers only it kept.
pub fn prune_cache(store: &Store) -> Result<super::prune::Section> {
    let pruned = crate::prune::prune(
        store,
        crate::prune::Kind::BuildCache,
        false,
        &Default::default(),
    )?;
    Ok(super::prune::Section::new(
        "Deleted build cache objects:",
        pruned,
    ))
}

#[derive(Args)]
pub struct ParseDockerfileArgs {
    /// The Dockerfile, or - for standard input
    file: PathBuf,
    /// Expand variables as a build reaches each instruction (base images' environments are
    /// taken as empty)
    #[arg(long)]
    expand: bool,
    /// A build argument for --expand: NAME=VALUE, or NAME to take it from the environment
    #[arg(long = "build-arg", value_name = "NAME[=VALUE]")]
    build_args: Vec<String>,
    /// Also show which files of this build context the .dockerignore excludes
    #[arg(long, value_name = "DIR")]
    context: Option<PathBuf>,
}

pub fn parse_dockerfile(args: ParseDockerfileArgs) -> Result<i32> {
    println!("{}", serde_json::to_string_pretty(&describe(&args)?)?);
    Ok(0)
}

/// What the command prints, fields in reading order.
#[derive(Serialize)]
struct Description {
    escape: char,
    #[serde(skip_serializing_if = "Option::is_none")]
    syntax: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<parser::Warning>,
    global_args: Vec<instructions::Instruction>,
    stages: Vec<instructions::Stage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dockerignore: Option<Ignored>,
}

/// The `.dockerignore` that applies to a context, and what it leaves out.
#[derive(Serialize)]
struct Ignored {
    file: PathBuf,
    patterns: Vec<String>,
    excluded: Vec<String>,
    /// How many paths the build sees.
    included: usize,
}

fn describe(args: &ParseDockerfileArgs) -> Result<Description> {
    let from_stdin = args.file.as_os_str() == "-";
    // Not all Dockerfiles are UTF-8; what is not reads as U+FFFD rather than failing.
    let bytes = if from_stdin {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read the Dockerfile from standard input")?;
        bytes
    } else {
        std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?
    };
    let text = String::from_utf8_lossy(&bytes);
    let name = if from_stdin {
        "Dockerfile".to_string()
    } else {
        args.file.display().to_string()
    };
    let file = parser::parse(&text).map_err(|e| e.in_file(&name))?;
    let mut stages = instructions::stages(&file).map_err(|e| e.in_file(&name))?;
    if args.expand {
        stages = stages
            .expanded(&platform_args(), &build_args(&args.build_args))
            .map_err(|e| e.in_file(&name))?;
    }
    let dockerignore = match &args.context {
        Some(context) => ignored(context, (!from_stdin).then_some(args.file.as_path()))?,
        None => None,
    };
    Ok(Description {
        escape: file.escape,
        syntax: file.syntax,
        warnings: file.warnings,
        global_args: stages.global_args,
        stages: stages.stages,
        dockerignore,
    })
}

/// `--build-arg` values as docker takes them: `NAME` alone takes the variable from the
/// environment, and is left out when it is not set there.
fn build_args(given: &[String]) -> EnvList {
    let mut args = EnvList::new();
    for arg in given {
        match arg.split_once('=') {
            Some((name, value)) => args.set(name, value),
            None => {
                if let Ok(value) = std::env::var(arg) {
                    args.set(arg, &value);
                }
            }
        }
    }
    args
}

fn ignored(context: &Path, dockerfile: Option<&Path>) -> Result<Option<Ignored>> {
    let Some((file, rules)) = DockerIgnore::for_build(context, dockerfile)? else {
        return Ok(None);
    };
    let scan = rules.scan(context)?;
    let patterns = rules.patterns();
    Ok(Some(Ignored {
        file,
        patterns,
        excluded: scan.excluded,
        included: scan.included.len(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn temp_dir() -> PathBuf {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("skiff-parse-dockerfile-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn describe(args: &ParseDockerfileArgs) -> Result<Value> {
        Ok(serde_json::to_value(super::describe(args)?)?)
    }

    fn args(
        file: &Path,
        expand: bool,
        build_args: &[&str],
        context: Option<&Path>,
    ) -> ParseDockerfileArgs {
        ParseDockerfileArgs {
            file: file.to_path_buf(),
            expand,
            build_args: build_args.iter().map(|s| s.to_string()).collect(),
            context: context.map(Path::to_path_buf),
        }
    }

    const DOCKERFILE: &str = "ARG VERSION=1.36\nFROM busybox:${VERSION} AS base\nENV DIR=/srv\nWORKDIR $DIR/app\nRUN echo $DIR\n";

    #[test]
    fn prints_stages_as_written() {
        let dir = temp_dir();
        std::fs::write(dir.join("Dockerfile"), DOCKERFILE).unwrap();
        let out = describe(&args(&dir.join("Dockerfile"), false, &[], None)).unwrap();
        assert_eq!(out["global_args"][0]["instruction"], "ARG");
        assert_eq!(
            out["global_args"][0]["args"][0],
            json!({"name": "VERSION", "default": "1.36"})
        );
        let stage = &out["stages"][0];
        assert_eq!(
            (
                stage["name"].as_str(),
                stage["base"].as_str(),
                stage["line"].as_u64()
            ),
            (Some("base"), Some("busybox:${VERSION}"), Some(2))
        );
        assert_eq!(
            stage["instructions"][1],
            json!({"instruction": "WORKDIR", "args": "$DIR/app", "line": 4, "end_line": 4, "source": "WORKDIR $DIR/app"})
        );
        assert_eq!(
            stage["instructions"][2]["args"]["command"],
            json!({"shell": "echo $DIR"})
        );
        assert!(out.get("dockerignore").is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn expands_like_a_build() {
        let dir = temp_dir();
        std::fs::write(dir.join("Dockerfile"), DOCKERFILE).unwrap();
        let out = describe(&args(
            &dir.join("Dockerfile"),
            true,
            &["VERSION=1.37"],
            None,
        ))
        .unwrap();
        let stage = &out["stages"][0];
        assert_eq!(stage["base"], "busybox:1.37");
        assert_eq!(stage["instructions"][1]["args"], "/srv/app");
        // RUN is left to the shell.
        assert_eq!(
            stage["instructions"][2]["args"]["command"],
            json!({"shell": "echo $DIR"})
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let dir = temp_dir();
        let file = dir.join("app.Dockerfile");
        std::fs::write(&file, "FROM a\nRUNN x\n").unwrap();
        let err = describe(&args(&file, false, &[], None)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}:2: unknown instruction: RUNN (did you mean RUN?)",
                file.display()
            )
        );
        std::fs::write(&file, "FROM a\nCOPY --from=$X a b\n").unwrap();
        assert!(describe(&args(&file, false, &[], None))
            .unwrap_err()
            .to_string()
            .contains(":2: variable expansion is not supported for --from"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn shows_what_dockerignore_leaves_out() {
        let dir = temp_dir();
        std::fs::write(dir.join("Dockerfile"), "FROM scratch\nCOPY . /\n").unwrap();
        std::fs::write(dir.join(".dockerignore"), "*.log\n").unwrap();
        std::fs::write(dir.join("debug.log"), "").unwrap();
        let out = describe(&args(&dir.join("Dockerfile"), false, &[], Some(&dir))).unwrap();
        assert_eq!(out["dockerignore"]["patterns"], json!(["*.log"]));
        assert_eq!(out["dockerignore"]["excluded"], json!(["debug.log"]));
        assert_eq!(out["dockerignore"]["included"], 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn build_args_from_the_environment() {
        let args = build_args(&[
            "A=1".into(),
            "PATH".into(),
            "SKIFF_SURELY_UNSET_VARIABLE".into(),
        ]);
        assert_eq!(args.get("A"), Some("1"));
        assert_eq!(
            args.get("PATH").map(String::from),
            std::env::var("PATH").ok()
        );
        assert_eq!(args.get("SKIFF_SURELY_UNSET_VARIABLE"), None);
    }
}

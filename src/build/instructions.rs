//! Typed instructions from a parsed Dockerfile, grouped into build stages: ARGs before the
//! first FROM are global (they can be used in FROM lines), and each FROM starts a stage.
//!
//! Instructions keep their words as written. Variables are expanded when the build reaches
//! an instruction, because the values depend on the base image's environment and on the
//! ENV and ARG instructions before it: [`Scope::step`] does that, for the instructions where
//! docker expands (ENV, ARG defaults, LABEL, EXPOSE, COPY/ADD, WORKDIR, USER, VOLUME,
//! STOPSIGNAL, RUN mount options) and not where the shell will (RUN, CMD and ENTRYPOINT).

use super::mount::Mount;
use super::parser::{self, Args, Dockerfile, DockerfileError, Heredoc, Node};
use super::shell::{Env, EnvList, Lexer, ShellError};
use serde::Serialize;

/// A Dockerfile as stages of instructions.
#[derive(Debug, Clone, Serialize)]
pub struct Stages {
    /// The Dockerfile's escape character, which expansion uses too.
    pub escape: char,
    /// The ARG instructions before the first FROM (each a [`Command::Arg`]).
    pub global_args: Vec<Instruction>,
    pub stages: Vec<Stage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    /// `AS name`, lower-cased. Stages can also be named by their index.
    pub name: Option<String>,
    /// An image reference, `scratch`, or an earlier stage's name; see [`Stage::resolve_base`].
    pub base: String,
    /// `--platform=`, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    pub line: usize,
    /// The FROM instruction as written.
    pub source: String,
    pub instructions: Vec<Instruction>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Instruction {
    pub line: usize,
    pub end_line: usize,
    /// As written, on one line: what `history` shows and errors quote.
    pub source: String,
    #[serde(flatten)]
    pub command: Command,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "instruction", content = "args", rename_all = "UPPERCASE")]
pub enum Command {
    Add(CopyFiles),
    Arg(Vec<ArgDef>),
    Cmd(CommandLine),
    Copy(CopyFiles),
    Entrypoint(CommandLine),
    Env(Vec<KeyValue>),
    Expose(Vec<String>),
    Healthcheck(Healthcheck),
    Label(Vec<KeyValue>),
    Maintainer(String),
    Onbuild(Onbuild),
    Run(Run),
    Shell(Vec<String>),
    Stopsignal(String),
    User(String),
    Volume(Vec<String>),
    Workdir(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

/// `ARG name[=default]`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArgDef {
    pub name: String,
    /// As written, quotes included; expanded when the build reaches it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// The value in effect from this point of the build (`--build-arg`, else the expanded
    /// default, else the global ARG's value); set by [`Scope::step`]. None: declared only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// A command in exec form (JSON array, run as is) or shell form (given to the SHELL).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandLine {
    Exec(Vec<String>),
    Shell(String),
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    pub command: CommandLine,
    /// `RUN <<EOF` bodies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub heredocs: Vec<Heredoc>,
    /// With heredocs, what the shell runs instead of the command line: see [`heredoc_script`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<RunMount>,
    pub network: Network,
    pub security: Security,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    Default,
    None,
    Host,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    Sandbox,
    Insecure,
}

/// A `--mount=` option of RUN: the text, and what it means once its variables are known.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunMount {
    pub spec: String,
    /// None until expanded when the text uses variables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mount: Option<Mount>,
}

/// COPY and ADD. The flags only one of them takes are never set on the other.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct CopyFiles {
    /// Paths (globs allowed) in the context or `--from` source; URLs and git for ADD.
    pub sources: Vec<String>,
    /// Files given inline as heredocs (`COPY <<EOF /dest`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub inline: Vec<InlineFile>,
    pub dest: String,
    /// COPY: a stage name or index, or an image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chown: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chmod: Option<String>,
    pub link: bool,
    /// COPY: keep the sources' parent directories.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub parents: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// ADD: the digest a downloaded source must have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
    /// ADD of a git source: keep the `.git` directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keep_git_dir: Option<bool>,
    /// ADD: whether to extract archives (default: local archives yes, downloads no).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unpack: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InlineFile {
    /// The heredoc's name: the file name it gets under the destination directory.
    pub name: String,
    pub content: String,
    /// Variables in the content are expanded (the heredoc word was not quoted).
    pub expand: bool,
}

/// HEALTHCHECK, as the image config holds it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Healthcheck {
    /// `["NONE"]`, `["CMD", args...]` or `["CMD-SHELL", command]`.
    pub test: Vec<String>,
    /// Durations in nanoseconds, 0 for the default (or the base image's value).
    pub interval: u64,
    pub timeout: u64,
    pub start_period: u64,
    pub start_interval: u64,
    pub retries: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Onbuild {
    /// The trigger as the image config stores it: the instruction text after ONBUILD, with
    /// its heredocs.
    pub expression: String,
    pub trigger: Box<Command>,
}

/// Groups a parsed Dockerfile's instructions into stages and checks each instruction.
pub fn stages(file: &Dockerfile) -> Result<Stages, DockerfileError> {
    let mut global_args = Vec::new();
    let mut stages: Vec<Stage> = Vec::new();
    for node in &file.nodes {
        let at_node = |message: String| DockerfileError::new(node.start_line, message);
        if node.instruction() == "from" {
            stages.push(stage(node).map_err(at_node)?);
            continue;
        }
        let instruction = Instruction {
            line: node.start_line,
            end_line: node.end_line,
            source: node.source.clone(),
            command: command(node, &node.heredocs, file.escape).map_err(at_node)?,
        };
        match stages.last_mut() {
            Some(stage) => stage.instructions.push(instruction),
            None if matches!(instruction.command, Command::Arg(_)) => global_args.push(instruction),
            None => {
                return Err(at_node(format!(
                    "no build stage in current context: {} before the first FROM",
                    node.keyword.to_uppercase()
                )))
            }
        }
    }
    Ok(Stages {
        escape: file.escape,
        global_args,
        stages,
    })
}

fn stage(node: &Node) -> Result<Stage, String> {
    let flags = Flags::parse(&node.flags, &[("platform", FlagKind::Text)])?;
    let name = match node.words() {
        [_] => None,
        [_, as_word, name] if as_word.eq_ignore_ascii_case("as") => Some(stage_name(name)?),
        _ => return Err("FROM requires either one or three arguments".into()),
    };
    Ok(Stage {
        name,
        base: node.words()[0].clone(),
        platform: flags.text("platform"),
        line: node.start_line,
        source: node.source.clone(),
        instructions: Vec::new(),
    })
}

/// Stage names are lower-cased and must start with a letter: `[a-z][a-z0-9-_.]*`.
fn stage_name(name: &str) -> Result<String, String> {
    let lower = name.to_lowercase();
    let valid = lower.starts_with(|c: char| c.is_ascii_lowercase())
        && lower
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
    if !valid {
        return Err(format!("invalid name for build stage: {name:?}, name can't start with a number or contain symbols"));
    }
    Ok(lower)
}

/// One instruction other than FROM. `heredocs` are the node's, or for an ONBUILD trigger
/// the ONBUILD line's.
fn command(node: &Node, heredocs: &[Heredoc], escape: char) -> Result<Command, String> {
    let name = node.keyword.to_uppercase();
    let words = node.words();
    let no_flags = || Flags::parse(&node.flags, &[]).map(|_| ());
    Ok(match node.instruction().as_str() {
        "run" => Command::Run(run(node, heredocs)?),
        "cmd" => {
            no_flags()?;
            Command::Cmd(command_line(node.words(), node.json))
        }
        "entrypoint" => {
            no_flags()?;
            Command::Entrypoint(command_line(node.words(), node.json))
        }
        "shell" => {
            no_flags()?;
            if !node.json {
                return Err("SHELL requires the arguments to be in JSON form".into());
            }
            if words.is_empty() {
                return Err(at_least_one(&name));
            }
            Command::Shell(words.to_vec())
        }
        "env" | "label" => {
            no_flags()?;
            let pairs = key_values(node, &name)?;
            if name == "ENV" {
                Command::Env(pairs)
            } else {
                Command::Label(pairs)
            }
        }
        "arg" => {
            no_flags()?;
            Command::Arg(arg_defs(words)?)
        }
        "copy" | "add" => copy_files(node, heredocs, escape)?,
        "expose" => {
            no_flags()?;
            if words.is_empty() {
                return Err(at_least_one(&name));
            }
            Command::Expose(words.to_vec())
        }
        "volume" => {
            no_flags()?;
            if words.is_empty() {
                return Err(at_least_one(&name));
            }
            let volumes: Vec<String> = words.iter().map(|v| v.trim().to_string()).collect();
            if volumes.iter().any(String::is_empty) {
                return Err("VOLUME specified can not be an empty string".into());
            }
            Command::Volume(volumes)
        }
        "maintainer" | "user" | "workdir" | "stopsignal" => {
            no_flags()?;
            let [word] = words else {
                return Err(format!("{name} requires exactly one argument"));
            };
            match name.as_str() {
                "MAINTAINER" => Command::Maintainer(word.clone()),
                "USER" => Command::User(word.clone()),
                "WORKDIR" => Command::Workdir(word.clone()),
                _ => Command::Stopsignal(word.clone()),
            }
        }
        "healthcheck" => Command::Healthcheck(healthcheck(node)?),
        "onbuild" => {
            no_flags()?;
            Command::Onbuild(onbuild(node, heredocs, escape)?)
        }
        other => return Err(format!("{other} cannot be used here")),
    })
}

fn at_least_one(instruction: &str) -> String {
    format!("{instruction} requires at least one argument")
}

fn command_line(words: &[String], json: bool) -> CommandLine {
    if json {
        CommandLine::Exec(words.to_vec())
    } else {
        CommandLine::Shell(words.join(" "))
    }
}

fn key_values(node: &Node, instruction: &str) -> Result<Vec<KeyValue>, String> {
    let Args::Pairs(pairs) = &node.args else {
        unreachable!("the parser gives pairs for {instruction}")
    };
    if pairs.is_empty() {
        return Err(at_least_one(instruction));
    }
    if pairs.iter().any(|p| p.key.is_empty()) {
        return Err(format!("{instruction} names can not be blank"));
    }
    Ok(pairs
        .iter()
        .map(|p| KeyValue {
            key: p.key.clone(),
            value: p.value.clone(),
        })
        .collect())
}

fn arg_defs(words: &[String]) -> Result<Vec<ArgDef>, String> {
    if words.is_empty() {
        return Err(at_least_one("ARG"));
    }
    words
        .iter()
        .map(|word| {
            let (name, default) = match word.split_once('=') {
                Some((name, default)) => (name, Some(default.to_string())),
                None => (word.as_str(), None),
            };
            if name.is_empty() {
                return Err("ARG names can not be blank".to_string());
            }
            Ok(ArgDef {
                name: name.to_string(),
                default,
                value: None,
            })
        })
        .collect()
}

fn run(node: &Node, heredocs: &[Heredoc]) -> Result<Run, String> {
    let flags = Flags::parse(
        &node.flags,
        &[
            ("mount", FlagKind::List),
            ("network", FlagKind::Text),
            ("security", FlagKind::Text),
        ],
    )?;
    let network = match flags.text("network").as_deref() {
        None | Some("default") => Network::Default,
        Some("none") => Network::None,
        Some("host") => Network::Host,
        Some(other) => return Err(format!("invalid network mode {other:?}")),
    };
    let security = match flags.text("security").as_deref() {
        None | Some("sandbox") => Security::Sandbox,
        Some("insecure") => Security::Insecure,
        Some(other) => return Err(format!("security {other:?} is not valid")),
    };
    let mut mounts = Vec::new();
    for spec in flags.list("mount") {
        // Options using variables are checked once the variables are known.
        let mount = if spec.contains('$') {
            None
        } else {
            Some(Mount::parse(&spec, &|v| Ok(v.to_string()))?)
        };
        mounts.push(RunMount { spec, mount });
    }
    let command = command_line(node.words(), node.json);
    let script = heredoc_script(&command, heredocs);
    Ok(Run {
        command,
        heredocs: heredocs.to_vec(),
        script,
        mounts,
        network,
        security,
    })
}

fn copy_files(node: &Node, heredocs: &[Heredoc], escape: char) -> Result<Command, String> {
    let is_copy = node.instruction() == "copy";
    let name = node.keyword.to_uppercase();
    let flags = Flags::parse(&node.flags, copy_flags(is_copy))?;
    let Some((dest, sources)) = node
        .words()
        .split_last()
        .filter(|(_, sources)| !sources.is_empty())
    else {
        return Err(format!("{name} requires at least two arguments, but only one was provided. Destination could not be determined"));
    };
    if inline_file_name(node, dest).is_some() {
        return Err(format!("{name} cannot accept a heredoc as a destination"));
    }
    let mut files = CopyFiles {
        dest: dest.clone(),
        chown: flags.text("chown"),
        chmod: flags.text("chmod"),
        link: flags.bool("link").unwrap_or(false),
        exclude: flags.list("exclude"),
        ..CopyFiles::default()
    };
    for source in sources {
        match inline_file_name(node, source) {
            Some(name) => files.inline.push(inline_file(name, heredocs)),
            None => files.sources.push(source.clone()),
        }
    }
    if !is_copy {
        files.checksum = flags.text("checksum");
        files.keep_git_dir = flags.bool("keep-git-dir");
        files.unpack = flags.bool("unpack");
        return Ok(Command::Add(files));
    }
    files.parents = flags.bool("parents").unwrap_or(false);
    files.from = flags.text("from");
    if let Some(from) = &files.from {
        check_literal_from(from, escape)?;
    }
    Ok(Command::Copy(files))
}

fn copy_flags(is_copy: bool) -> &'static [(&'static str, FlagKind)] {
    use FlagKind::*;
    if is_copy {
        &[
            ("chown", Text),
            ("chmod", Text),
            ("link", Bool),
            ("from", Text),
            ("parents", Bool),
            ("exclude", List),
        ]
    } else {
        &[
            ("chown", Text),
            ("chmod", Text),
            ("link", Bool),
            ("checksum", Text),
            ("keep-git-dir", Bool),
            ("unpack", Bool),
            ("exclude", List),
        ]
    }
}

/// The heredoc a COPY/ADD word stands for (`<<EOF`), in shell form only: in a JSON array
/// `"<<EOF"` is a file name.
fn inline_file_name(node: &Node, word: &str) -> Option<String> {
    parser::heredoc_name(word).filter(|_| !node.json)
}

fn inline_file(name: String, heredocs: &[Heredoc]) -> InlineFile {
    let heredoc = heredocs.iter().find(|h| h.name == name);
    InlineFile {
        content: heredoc.map(Heredoc::body).unwrap_or_default(),
        expand: heredoc.is_none_or(|h| h.expand),
        name,
    }
}

/// `COPY --from` names a stage or image as written: docker refuses variables there, as the
/// stages a build needs must be known before it starts.
fn check_literal_from(from: &str, escape: char) -> Result<(), String> {
    let unchanged = Lexer::new(escape)
        .expand(from, &EnvList::new())
        .is_ok_and(|expanded| expanded == from);
    if !unchanged {
        return Err("variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround".into());
    }
    Ok(())
}

fn healthcheck(node: &Node) -> Result<Healthcheck, String> {
    let Some((kind, args)) = node.words().split_first() else {
        return Err(at_least_one("HEALTHCHECK"));
    };
    let kind = kind.to_uppercase();
    if kind == "NONE" {
        if !args.is_empty() {
            return Err("HEALTHCHECK NONE takes no arguments".into());
        }
        return Ok(Healthcheck {
            test: vec![kind],
            interval: 0,
            timeout: 0,
            start_period: 0,
            start_interval: 0,
            retries: 0,
        });
    }
    use FlagKind::Text;
    let flags = Flags::parse(
        &node.flags,
        &[
            ("interval", Text),
            ("timeout", Text),
            ("start-period", Text),
            ("start-interval", Text),
            ("retries", Text),
        ],
    )?;
    if kind != "CMD" {
        return Err(format!("Unknown type {kind:?} in HEALTHCHECK (try CMD)"));
    }
    let test = match command_line(args, node.json) {
        CommandLine::Exec(args) if !args.is_empty() => {
            std::iter::once("CMD".to_string()).chain(args).collect()
        }
        CommandLine::Shell(command) if !command.is_empty() => {
            vec!["CMD-SHELL".to_string(), command]
        }
        _ => return Err("Missing command after HEALTHCHECK CMD".into()),
    };
    let interval = |name: &str| {
        flags
            .text(name)
            .map_or(Ok(0), |v| healthcheck_interval(name, &v))
    };
    let retries = match flags.text("retries") {
        None => 0,
        Some(text) => match text.parse::<i32>() {
            Ok(n) if n < 0 => return Err(format!("--retries cannot be negative ({n})")),
            Ok(n) => n as u32,
            Err(_) => {
                return Err(format!(
                    "strconv.ParseInt: parsing {text:?}: invalid syntax"
                ))
            }
        },
    };
    Ok(Healthcheck {
        test,
        interval: interval("interval")?,
        timeout: interval("timeout")?,
        start_period: interval("start-period")?,
        start_interval: interval("start-interval")?,
        retries,
    })
}

/// A HEALTHCHECK duration in nanoseconds: 0 stays 0 (the default), anything else must be
/// at least a millisecond.
fn healthcheck_interval(flag: &str, text: &str) -> Result<u64, String> {
    let nanos = go_duration(text)?;
    if nanos == 0 {
        return Ok(0);
    }
    if nanos < 1_000_000 {
        return Err(format!("Interval {flag:?} cannot be less than 1ms"));
    }
    Ok(nanos as u64)
}

/// A duration as docker writes them: `1h30m`, `1.5s`, `300ms`, `0`.
fn go_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {text:?}");
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration {text:?}")),
            other => return Err(format!("time: unknown unit {other:?} in duration {text:?}")),
        };
        rest = &rest[unit_len..];
        total += value * unit;
    }
    if total > i64::MAX as f64 {
        return Err(invalid());
    }
    Ok(if negative {
        -(total.round() as i64)
    } else {
        total.round() as i64
    })
}

fn onbuild(node: &Node, heredocs: &[Heredoc], escape: char) -> Result<Onbuild, String> {
    let Args::Trigger(trigger) = &node.args else {
        return Err(at_least_one("ONBUILD"));
    };
    let keyword = trigger.keyword.to_uppercase();
    match keyword.as_str() {
        "ONBUILD" => return Err("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed".into()),
        "MAINTAINER" | "FROM" => {
            return Err(format!("{keyword} isn't allowed as an ONBUILD trigger"))
        }
        _ => {}
    }
    let mut expression = trigger.source.clone();
    for heredoc in heredocs {
        expression.push('\n');
        expression.push_str(&heredoc.content);
        expression.push_str(&heredoc.name);
    }
    Ok(Onbuild {
        expression,
        trigger: Box::new(command(trigger, heredocs, escape)?),
    })
}

#[derive(Clone, Copy, PartialEq)]
enum FlagKind {
    /// `--link` or `--link=true|false`.
    Bool,
    /// `--from=value`, at most once.
    Text,
    /// `--mount=value`, any number of times.
    List,
}

/// An instruction's flags, checked against the ones it takes.
struct Flags {
    values: Vec<(String, String)>,
}

impl Flags {
    fn parse(given: &[String], known: &[(&str, FlagKind)]) -> Result<Flags, String> {
        let mut values: Vec<(String, String)> = Vec::new();
        for flag in given {
            let Some(body) = flag.strip_prefix("--") else {
                return Err(format!("arg should start with -- : {flag}"));
            };
            let (name, value) = match body.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (body, None),
            };
            let Some(&(_, kind)) = known.iter().find(|(k, _)| *k == name) else {
                let mut message = format!("unknown flag: --{name}");
                let names: Vec<&str> = known.iter().map(|(k, _)| *k).collect();
                if let Some(near) = parser::suggest(name, &names) {
                    message.push_str(&format!(" (did you mean {near}?)"));
                }
                return Err(message);
            };
            if kind != FlagKind::List && values.iter().any(|(n, _)| n == name) {
                return Err(format!("duplicate flag specified: --{name}"));
            }
            let value = match (kind, value) {
                (FlagKind::Bool, None) => "true".to_string(),
                (_, Some("")) if kind == FlagKind::Bool => {
                    return Err(format!("missing a value on flag: --{name}"))
                }
                (FlagKind::Bool, Some(v)) => match v.to_lowercase().as_str() {
                    "true" => "true".to_string(),
                    "false" => "false".to_string(),
                    _ => {
                        return Err(format!(
                            "expecting boolean value for flag --{name}, not: {v}"
                        ))
                    }
                },
                (_, None) => return Err(format!("missing a value on flag: --{name}")),
                (_, Some(v)) => v.to_string(),
            };
            values.push((name.to_string(), value));
        }
        Ok(Flags { values })
    }

    fn text(&self, name: &str) -> Option<String> {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    }

    fn bool(&self, name: &str) -> Option<bool> {
        self.text(name).map(|v| v == "true")
    }

    fn list(&self, name: &str) -> Vec<String> {
        self.values
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// What the shell runs for a RUN with heredocs, as docker does: `RUN <<EOF` alone runs the
/// body as the script; anything else (`RUN python3 <<EOF`, several heredocs) runs the line
/// with the bodies after it, for the shell to feed to the command. (A lone body starting
/// with `#!` is better written to a file and executed; that is the builder's choice.)
fn heredoc_script(command: &CommandLine, heredocs: &[Heredoc]) -> Option<String> {
    let CommandLine::Shell(line) = command else {
        return None;
    };
    let first = heredocs.first()?;
    if parser::heredoc_name(line).is_some() {
        return Some(first.body());
    }
    let mut script = line.clone();
    for heredoc in heredocs {
        script.push('\n');
        script.push_str(&heredoc.content);
        script.push_str(&heredoc.name);
    }
    Some(script)
}

impl Command {
    /// Expands variables in the words docker expands for this instruction, with the
    /// variables visible at this point of the stage.
    pub fn expand(&mut self, env: &dyn Env, escape: char) -> Result<(), ShellError> {
        let lexer = Lexer::new(escape);
        let word = |w: &mut String| -> Result<(), ShellError> {
            *w = lexer.expand(w, env)?;
            Ok(())
        };
        match self {
            Command::Env(pairs) | Command::Label(pairs) => {
                for pair in pairs {
                    pair.key = lexer.expand(&pair.key, env)?;
                    pair.value = lexer.expand(&pair.value, env)?;
                }
            }
            Command::Copy(files) | Command::Add(files) => {
                for field in [&mut files.chown, &mut files.chmod, &mut files.checksum]
                    .into_iter()
                    .flatten()
                {
                    word(field)?;
                }
                files.sources.iter_mut().try_for_each(word)?;
                word(&mut files.dest)?;
                // Heredoc bodies are text, not words: quotes in them stay. Docker reads them
                // with `\` as the escape whatever the Dockerfile's escape directive says.
                let text = Lexer {
                    literal_quotes: true,
                    ..Lexer::new('\\')
                };
                for file in files.inline.iter_mut().filter(|f| f.expand) {
                    file.content = text.expand(&file.content, env)?;
                }
            }
            Command::Workdir(w) | Command::User(w) | Command::Stopsignal(w) => word(w)?,
            Command::Volume(volumes) => volumes.iter_mut().try_for_each(word)?,
            Command::Expose(ports) => {
                let mut split = Vec::new();
                for port in ports.iter() {
                    split.extend(lexer.split(port, env)?);
                }
                *ports = split;
            }
            Command::Run(run) => {
                for mount in &mut run.mounts {
                    let expand = |v: &str| lexer.expand(v, env);
                    mount.mount = Some(Mount::parse(&mount.spec, &expand).map_err(ShellError)?);
                }
            }
            // ARG is resolved by the scope; the rest is for the shell or kept as written.
            Command::Arg(_)
            | Command::Cmd(_)
            | Command::Entrypoint(_)
            | Command::Shell(_)
            | Command::Healthcheck(_)
            | Command::Maintainer(_)
            | Command::Onbuild(_) => {}
        }
        Ok(())
    }
}

impl Stages {
    /// The values of the ARGs before the first FROM, which FROM lines can use: the
    /// `--build-arg` value if given, else the default (which can use earlier ones).
    /// `predefined` holds what is set without an ARG (the platform variables).
    pub fn global_args(
        &self,
        predefined: &EnvList,
        build_args: &EnvList,
    ) -> Result<EnvList, DockerfileError> {
        let mut args = predefined.clone();
        let lexer = Lexer::new(self.escape);
        for instruction in &self.global_args {
            let Command::Arg(defs) = &instruction.command else {
                continue;
            };
            for def in defs {
                let value = match (build_args.get(&def.name), &def.default) {
                    (Some(value), _) => value.to_string(),
                    (None, Some(default)) => lexer
                        .expand(default, &args)
                        .map_err(|e| DockerfileError::new(instruction.line, e.to_string()))?,
                    (None, None) => continue,
                };
                args.set(&def.name, &value);
            }
        }
        Ok(args)
    }

    /// A copy with every stage's base and instructions expanded as a build would, for a
    /// preview: base images' own environments are not known here, so they count as empty.
    pub fn expanded(
        &self,
        predefined: &EnvList,
        build_args: &EnvList,
    ) -> Result<Stages, DockerfileError> {
        let global = self.global_args(predefined, build_args)?;
        let mut out = self.clone();
        for instruction in &mut out.global_args {
            if let Command::Arg(defs) = &mut instruction.command {
                defs.iter_mut()
                    .for_each(|def| def.value = global.get(&def.name).map(String::from));
            }
        }
        for stage in &mut out.stages {
            stage.resolve_base(&global, self.escape)?;
            let mut scope = Scope::new(EnvList::new(), build_args, &global, self.escape);
            stage
                .instructions
                .iter_mut()
                .try_for_each(|i| scope.step(i))?;
        }
        Ok(out)
    }
}

impl Stage {
    /// Expands global ARGs in the base name and the platform (`FROM --platform=$P img:$V`).
    pub fn resolve_base(
        &mut self,
        global_args: &EnvList,
        escape: char,
    ) -> Result<(), DockerfileError> {
        let lexer = Lexer::new(escape);
        let located = |e: ShellError| DockerfileError::new(self.line, e.to_string());
        let base = lexer.expand(&self.base, global_args).map_err(located)?;
        if base.is_empty() {
            return Err(DockerfileError::new(
                self.line,
                format!("base name ({}) should not be blank", self.base),
            ));
        }
        let platform = match &self.platform {
            Some(p) => {
                Some(lexer.expand(p, global_args).map_err(located)?).filter(|p| !p.is_empty())
            }
            None => None,
        };
        if self.platform.is_some() && platform.is_none() {
            return Err(DockerfileError::new(
                self.line,
                format!(
                    "empty platform value from expression {}",
                    self.platform.as_deref().unwrap_or_default()
                ),
            ));
        }
        self.base = base;
        self.platform = platform;
        Ok(())
    }
}

/// The variables a stage's instructions see while the stage is built: the base image's
/// environment, then each ARG and ENV as the build reaches it.
pub struct Scope<'a> {
    pub vars: EnvList,
    build_args: &'a EnvList,
    global_args: &'a EnvList,
    escape: char,
}

impl<'a> Scope<'a> {
    pub fn new(
        image_env: EnvList,
        build_args: &'a EnvList,
        global_args: &'a EnvList,
        escape: char,
    ) -> Scope<'a> {
        Scope {
            vars: image_env,
            build_args,
            global_args,
            escape,
        }
    }

    /// Expands an instruction with the variables set so far, then records what it sets for
    /// the instructions after it. An ARG takes its `--build-arg` value, else its default
    /// (expanded), else the value of the global ARG of the same name.
    pub fn step(&mut self, instruction: &mut Instruction) -> Result<(), DockerfileError> {
        let located = |e: ShellError| DockerfileError::new(instruction.line, e.to_string());
        match &mut instruction.command {
            Command::Arg(defs) => {
                let lexer = Lexer::new(self.escape);
                for def in defs {
                    def.value = match (self.build_args.get(&def.name), &def.default) {
                        (Some(value), _) => Some(value.to_string()),
                        (None, Some(default)) => {
                            Some(lexer.expand(default, &self.vars).map_err(located)?)
                        }
                        (None, None) => self.global_args.get(&def.name).map(String::from),
                    };
                    if let Some(value) = &def.value {
                        self.vars.set(&def.name, value);
                    }
                }
            }
            command => {
                command.expand(&self.vars, self.escape).map_err(located)?;
                if let Command::Env(pairs) = command {
                    pairs.iter().for_each(|p| self.vars.set(&p.key, &p.value));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::build::mount::{MountKind, Sharing};

    fn parse(text: &str) -> Result<Stages, DockerfileError> {
        stages(&parser::parse(text)?)
    }

    /// The commands of the only stage of `FROM scratch` + `text`.
    fn commands(text: &str) -> Vec<Command> {
        let stages = parse(&format!("FROM scratch\n{text}")).unwrap_or_else(|e| panic!("{e}"));
        stages.stages[0]
            .instructions
            .iter()
            .map(|i| i.command.clone())
            .collect()
    }

    fn command(text: &str) -> Command {
        let mut all = commands(text);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    /// The message of the error for `FROM scratch` + `text`, checking it is on line 2.
    fn error(text: &str) -> String {
        let err = parse(&format!("FROM scratch\n{text}")).unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        err.message
    }

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn stages_and_global_args() {
        let file = parse("ARG BASE=alpine\nARG TAG\nFROM ${BASE}:${TAG:-3} AS Build\nRUN make\nFROM --platform=linux/arm64 scratch\nCOPY --from=build /app /app\n").unwrap();
        assert_eq!(file.global_args.len(), 2);
        assert_eq!(file.stages.len(), 2);
        let (build, last) = (&file.stages[0], &file.stages[1]);
        assert_eq!(
            (
                build.name.as_deref(),
                build.base.as_str(),
                build.line,
                build.instructions.len()
            ),
            (Some("build"), "${BASE}:${TAG:-3}", 3, 1)
        );
        assert_eq!(
            (last.name.as_deref(), last.platform.as_deref(), last.line),
            (None, Some("linux/arm64"), 5)
        );
        assert_eq!(last.instructions[0].source, "COPY --from=build /app /app");
    }

    #[test]
    fn from_errors() {
        let at_line_1 = |text: &str| {
            let err = parse(text).unwrap_err();
            assert_eq!(err.line, 1, "{err}");
            err.message
        };
        assert_eq!(
            at_line_1("FROM a b\n"),
            "FROM requires either one or three arguments"
        );
        assert_eq!(
            at_line_1("FROM\n"),
            "FROM requires either one or three arguments"
        );
        assert_eq!(at_line_1("FROM a AS 1st\n"), "invalid name for build stage: \"1st\", name can't start with a number or contain symbols");
        assert_eq!(at_line_1("FROM a AS b$\n"), "invalid name for build stage: \"b$\", name can't start with a number or contain symbols");
        assert_eq!(
            at_line_1("FROM --platfrom=x a\n"),
            "unknown flag: --platfrom (did you mean platform?)"
        );
        assert_eq!(
            at_line_1("RUN true\nFROM a\n"),
            "no build stage in current context: RUN before the first FROM"
        );
    }

    #[test]
    fn run_forms() {
        let Command::Run(run) = command("RUN echo $HOME\n") else {
            panic!()
        };
        assert_eq!(
            (run.command, run.network, run.security, run.script),
            (
                CommandLine::Shell("echo $HOME".into()),
                Network::Default,
                Security::Sandbox,
                None
            )
        );
        let Command::Run(run) = command("RUN [\"echo\", \"$HOME\"]\n") else {
            panic!()
        };
        assert_eq!(run.command, CommandLine::Exec(strings(&["echo", "$HOME"])));
        let Command::Run(run) = command("RUN --network=none --security=insecure true\n") else {
            panic!()
        };
        assert_eq!(
            (run.network, run.security),
            (Network::None, Security::Insecure)
        );
        assert_eq!(
            error("RUN --network=bridge true\n"),
            "invalid network mode \"bridge\""
        );
        assert_eq!(
            error("RUN --security=x true\n"),
            "security \"x\" is not valid"
        );
        assert_eq!(
            error("RUN --netwrk=none true\n"),
            "unknown flag: --netwrk (did you mean network?)"
        );
        assert_eq!(
            error("RUN --network=none --network=host true\n"),
            "duplicate flag specified: --network"
        );
        assert_eq!(
            error("RUN --network true\n"),
            "missing a value on flag: --network"
        );
    }

    #[test]
    fn run_heredocs() {
        let Command::Run(run) = command("RUN <<-EOF\n\techo hi\n\tEOF\n") else {
            panic!()
        };
        assert_eq!(
            (run.heredocs.len(), run.script.as_deref()),
            (1, Some("echo hi\n"))
        );
        let Command::Run(run) = command("RUN python3 <<EOF\nprint(1)\nEOF\n") else {
            panic!()
        };
        assert_eq!(run.script.as_deref(), Some("python3 <<EOF\nprint(1)\nEOF"));
        let Command::Run(run) = command("RUN cat <<A <<B\na\nA\nb\nB\n") else {
            panic!()
        };
        assert_eq!(run.script.as_deref(), Some("cat <<A <<B\na\nA\nb\nB"));
    }

    #[test]
    fn run_mounts() {
        let Command::Run(run) = command("RUN --mount=type=cache,target=/root/.cache,sharing=locked,id=pip --mount=type=secret,id=token,env=TOKEN --mount=\"type=bind,source=a,target=/b,rw\" true\n") else { panic!() };
        let mounts: Vec<Mount> = run
            .mounts
            .iter()
            .map(|m| m.mount.clone().unwrap())
            .collect();
        assert_eq!(
            (
                mounts[0].kind,
                mounts[0].target.as_deref(),
                mounts[0].sharing,
                mounts[0].id.as_deref(),
                mounts[0].readonly
            ),
            (
                MountKind::Cache,
                Some("/root/.cache"),
                Some(Sharing::Locked),
                Some("pip"),
                false
            )
        );
        assert_eq!(
            (mounts[1].kind, mounts[1].env.as_deref(), mounts[1].readonly),
            (MountKind::Secret, Some("TOKEN"), true)
        );
        assert_eq!(
            (
                mounts[2].kind,
                mounts[2].source.as_deref(),
                mounts[2].readonly
            ),
            (MountKind::Bind, Some("a"), false)
        );
        let Command::Run(run) = command("RUN --mount=type=tmpfs,target=/t,size=64m --mount=type=cache,target=/c,mode=0700,uid=1000 true\n") else { panic!() };
        assert_eq!(run.mounts[0].mount.as_ref().unwrap().size, Some(64 << 20));
        assert_eq!(
            (
                run.mounts[1].mount.as_ref().unwrap().mode,
                run.mounts[1].mount.as_ref().unwrap().uid
            ),
            (Some(0o700), Some(1000))
        );
        // Options with variables wait for their values.
        let Command::Run(run) = command("RUN --mount=type=cache,target=$DIR true\n") else {
            panic!()
        };
        assert_eq!(run.mounts[0].mount, None);
        for (flag, message) in [
            ("type=disk", "unsupported mount type \"disk\""),
            (
                "type=bind,mode=0700",
                "mode not allowed for \"bind\" type mounts",
            ),
            (
                "type=secret",
                "invalid secret mount. one of source, target required",
            ),
            (
                "type=bind,sharing=locked",
                "invalid cache sharing set for bind mount",
            ),
            (
                "type=cache,target",
                "invalid field 'target' must be a key=value pair",
            ),
            (
                "type=cache,tagret=/x",
                "unexpected key 'tagret' in 'tagret=/x'",
            ),
            (
                "type=bind,size=1",
                "unexpected key 'size' for mount type 'bind'",
            ),
        ] {
            assert_eq!(
                error(&format!("RUN --mount={flag} true\n")),
                message,
                "{flag}"
            );
        }
    }

    #[test]
    fn cmd_entrypoint_and_shell() {
        assert_eq!(
            command("CMD [\"a\", \"b\"]\n"),
            Command::Cmd(CommandLine::Exec(strings(&["a", "b"])))
        );
        assert_eq!(
            command("CMD []\n"),
            Command::Cmd(CommandLine::Exec(Vec::new()))
        );
        assert_eq!(
            command("CMD echo \"$X\"\n"),
            Command::Cmd(CommandLine::Shell("echo \"$X\"".into()))
        );
        assert_eq!(
            command("ENTRYPOINT [\"/bin/app\"]\n"),
            Command::Entrypoint(CommandLine::Exec(strings(&["/bin/app"])))
        );
        assert_eq!(
            command("ENTRYPOINT exec app\n"),
            Command::Entrypoint(CommandLine::Shell("exec app".into()))
        );
        assert_eq!(
            command("SHELL [\"/bin/bash\", \"-c\"]\n"),
            Command::Shell(strings(&["/bin/bash", "-c"]))
        );
        assert_eq!(
            error("SHELL /bin/bash -c\n"),
            "SHELL requires the arguments to be in JSON form"
        );
        assert_eq!(error("SHELL []\n"), "SHELL requires at least one argument");
        assert_eq!(error("CMD --x=1 a\n"), "unknown flag: --x");
    }

    #[test]
    fn env_label_arg() {
        let kv = |k: &str, v: &str| KeyValue {
            key: k.into(),
            value: v.into(),
        };
        assert_eq!(
            command("ENV A=1 B=\"2 3\"\n"),
            Command::Env(vec![kv("A", "1"), kv("B", "\"2 3\"")])
        );
        assert_eq!(command("ENV A 1 2\n"), Command::Env(vec![kv("A", "1 2")]));
        assert_eq!(
            command("LABEL version=1 \"com.example.x\"=y\n"),
            Command::Label(vec![kv("version", "1"), kv("\"com.example.x\"", "y")])
        );
        assert_eq!(error("ENV\n"), "ENV requires at least one argument");
        assert_eq!(error("ENV =x\n"), "ENV names can not be blank");
        let arg = |n: &str, d: Option<&str>| ArgDef {
            name: n.into(),
            default: d.map(String::from),
            value: None,
        };
        assert_eq!(
            command("ARG A B=1 C=\n"),
            Command::Arg(vec![
                arg("A", None),
                arg("B", Some("1")),
                arg("C", Some(""))
            ])
        );
        assert_eq!(error("ARG\n"), "ARG requires at least one argument");
        assert_eq!(error("ARG =1\n"), "ARG names can not be blank");
    }

    #[test]
    fn single_argument_instructions() {
        assert_eq!(
            command("MAINTAINER Tao <t@example.com>\n"),
            Command::Maintainer("Tao <t@example.com>".into())
        );
        assert_eq!(command("USER app:app\n"), Command::User("app:app".into()));
        assert_eq!(
            command("WORKDIR /srv/my app\n"),
            Command::Workdir("/srv/my app".into())
        );
        assert_eq!(
            command("STOPSIGNAL SIGQUIT\n"),
            Command::Stopsignal("SIGQUIT".into())
        );
        assert_eq!(error("USER\n"), "USER requires exactly one argument");
        assert_eq!(
            command("EXPOSE 80 443/tcp\n"),
            Command::Expose(strings(&["80", "443/tcp"]))
        );
        assert_eq!(error("EXPOSE\n"), "EXPOSE requires at least one argument");
        assert_eq!(
            command("VOLUME [\"/data\", \"/logs\"]\n"),
            Command::Volume(strings(&["/data", "/logs"]))
        );
        assert_eq!(
            command("VOLUME /data /logs\n"),
            Command::Volume(strings(&["/data", "/logs"]))
        );
        assert_eq!(
            error("VOLUME [\"\"]\n"),
            "VOLUME specified can not be an empty string"
        );
    }

    #[test]
    fn copy_and_add() {
        let Command::Copy(copy) = command("COPY --from=build --chown=app:app --chmod=0755 --link --exclude=*.tmp --exclude=.git a b /dest/\n") else { panic!() };
        assert_eq!(
            (copy.sources, copy.dest),
            (strings(&["a", "b"]), "/dest/".to_string())
        );
        assert_eq!(
            (
                copy.from.as_deref(),
                copy.chown.as_deref(),
                copy.chmod.as_deref(),
                copy.link
            ),
            (Some("build"), Some("app:app"), Some("0755"), true)
        );
        assert_eq!(copy.exclude, ["*.tmp", ".git"]);
        let Command::Copy(copy) = command("COPY [\"my file\", \"/dest dir/\"]\n") else {
            panic!()
        };
        assert_eq!(
            (copy.sources, copy.dest),
            (strings(&["my file"]), "/dest dir/".to_string())
        );
        let Command::Add(add) = command(
            "ADD --checksum=sha256:abc --unpack=false --keep-git-dir https://example.com/a.tgz /\n",
        ) else {
            panic!()
        };
        assert_eq!(
            (
                add.checksum.as_deref(),
                add.unpack,
                add.keep_git_dir,
                add.link
            ),
            (Some("sha256:abc"), Some(false), Some(true), false)
        );
        assert_eq!(error("COPY a\n"), "COPY requires at least two arguments, but only one was provided. Destination could not be determined");
        assert_eq!(error("ADD --from=x a b\n"), "unknown flag: --from");
        assert_eq!(
            error("COPY --link=maybe a b\n"),
            "expecting boolean value for flag --link, not: maybe"
        );
        assert_eq!(
            error("COPY --link= a b\n"),
            "missing a value on flag: --link"
        );
        assert_eq!(error("COPY --from=$STAGE a b\n"), "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround");
    }

    #[test]
    fn copy_heredocs() {
        let Command::Copy(copy) = command(
            "COPY <<one.txt <<-'two.sh' /dest/\nhello $NAME\none.txt\n\techo $X\n\ttwo.sh\n",
        ) else {
            panic!()
        };
        assert!(copy.sources.is_empty());
        let inline: Vec<(&str, &str, bool)> = copy
            .inline
            .iter()
            .map(|f| (f.name.as_str(), f.content.as_str(), f.expand))
            .collect();
        assert_eq!(
            inline,
            [
                ("one.txt", "hello $NAME\n", true),
                ("two.sh", "echo $X\n", false)
            ]
        );
        let Command::Copy(copy) = command("COPY a <<EOF /dest/\nx\nEOF\n") else {
            panic!()
        };
        assert_eq!((copy.sources.len(), copy.inline.len()), (1, 1));
        assert_eq!(
            error("COPY a <<EOF\nx\nEOF\n"),
            "COPY cannot accept a heredoc as a destination"
        );
    }

    #[test]
    fn healthcheck() {
        let Command::Healthcheck(none) = command("HEALTHCHECK NONE\n") else {
            panic!()
        };
        assert_eq!(none.test, ["NONE"]);
        let Command::Healthcheck(check) = command("HEALTHCHECK --interval=5s --timeout=1m30s --start-period=1.5s --start-interval=100ms --retries=3 CMD curl -f http://localhost/\n") else { panic!() };
        assert_eq!(check.test, ["CMD-SHELL", "curl -f http://localhost/"]);
        assert_eq!(
            (
                check.interval,
                check.timeout,
                check.start_period,
                check.start_interval,
                check.retries
            ),
            (5_000_000_000, 90_000_000_000, 1_500_000_000, 100_000_000, 3)
        );
        let Command::Healthcheck(check) = command("healthcheck cmd [\"/bin/check\", \"-q\"]\n")
        else {
            panic!()
        };
        assert_eq!(check.test, ["CMD", "/bin/check", "-q"]);
        let Command::Healthcheck(check) = command("HEALTHCHECK --interval=0s CMD true\n") else {
            panic!()
        };
        assert_eq!(check.interval, 0);
        assert_eq!(
            error("HEALTHCHECK\n"),
            "HEALTHCHECK requires at least one argument"
        );
        assert_eq!(
            error("HEALTHCHECK NONE x\n"),
            "HEALTHCHECK NONE takes no arguments"
        );
        assert_eq!(
            error("HEALTHCHECK CONNECT TCP 7000\n"),
            "Unknown type \"CONNECT\" in HEALTHCHECK (try CMD)"
        );
        assert_eq!(
            error("HEALTHCHECK CMD\n"),
            "Missing command after HEALTHCHECK CMD"
        );
        assert_eq!(
            error("HEALTHCHECK CMD []\n"),
            "Missing command after HEALTHCHECK CMD"
        );
        assert_eq!(
            error("HEALTHCHECK --interval=10us CMD true\n"),
            "Interval \"interval\" cannot be less than 1ms"
        );
        assert_eq!(
            error("HEALTHCHECK --timeout=5 CMD true\n"),
            "time: missing unit in duration \"5\""
        );
        assert_eq!(
            error("HEALTHCHECK --retries=-1 CMD true\n"),
            "--retries cannot be negative (-1)"
        );
    }

    #[test]
    fn durations() {
        for (text, nanos) in [
            ("0", 0),
            ("1h", 3_600_000_000_000),
            ("1.5s", 1_500_000_000),
            (".5ms", 500_000),
            ("2m3s", 123_000_000_000),
            ("-1s", -1_000_000_000),
            ("10µs", 10_000),
            ("3ns", 3),
        ] {
            assert_eq!(go_duration(text), Ok(nanos), "{text}");
        }
        for bad in ["", "s", "1", "1x", "1..2s", "-"] {
            assert!(go_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn onbuild() {
        let Command::Onbuild(onbuild) = command("ONBUILD COPY --chown=app . /app\n") else {
            panic!()
        };
        assert_eq!(onbuild.expression, "COPY --chown=app . /app");
        let Command::Copy(copy) = *onbuild.trigger else {
            panic!()
        };
        assert_eq!(
            (copy.chown.as_deref(), copy.dest.as_str()),
            (Some("app"), "/app")
        );
        let Command::Onbuild(onbuild) = command("ONBUILD RUN <<EOF\necho hi\nEOF\n") else {
            panic!()
        };
        assert_eq!(onbuild.expression, "RUN <<EOF\necho hi\nEOF");
        assert_eq!(
            error("ONBUILD ONBUILD RUN x\n"),
            "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"
        );
        assert_eq!(
            error("ONBUILD FROM a\n"),
            "FROM isn't allowed as an ONBUILD trigger"
        );
        assert_eq!(
            error("ONBUILD maintainer a\n"),
            "MAINTAINER isn't allowed as an ONBUILD trigger"
        );
        assert_eq!(error("ONBUILD\n"), "ONBUILD requires at least one argument");
        assert_eq!(
            error("ONBUILD USER\n"),
            "USER requires exactly one argument"
        );
    }

    // ---- expansion ----

    fn env(pairs: &[(&str, &str)]) -> EnvList {
        let mut env = EnvList::new();
        pairs.iter().for_each(|(k, v)| env.set(k, v));
        env
    }

    /// Steps through the only stage with `image_env` and `build_args`, returning its
    /// expanded commands and the final variables.
    fn run_stage(
        text: &str,
        image_env: &[(&str, &str)],
        build_args: &[(&str, &str)],
    ) -> (Vec<Command>, EnvList) {
        let mut file = parse(text).unwrap_or_else(|e| panic!("{e}"));
        let (build_args, global) = (env(build_args), EnvList::new());
        let stage = &mut file.stages[0];
        let mut scope = Scope::new(env(image_env), &build_args, &global, file.escape);
        for instruction in &mut stage.instructions {
            scope.step(instruction).unwrap_or_else(|e| panic!("{e}"));
        }
        (
            stage
                .instructions
                .iter()
                .map(|i| i.command.clone())
                .collect(),
            scope.vars,
        )
    }

    #[test]
    fn env_sees_the_values_before_it() {
        let (commands, vars) = run_stage(
            "FROM a\nENV abc=hello\nENV abc=bye def=$abc\nENV ghi=$abc\nENV PATH=$PATH:/opt/bin\n",
            &[("PATH", "/bin")],
            &[],
        );
        assert_eq!(
            commands[1],
            Command::Env(vec![
                KeyValue {
                    key: "abc".into(),
                    value: "bye".into()
                },
                KeyValue {
                    key: "def".into(),
                    value: "hello".into()
                }
            ])
        );
        assert_eq!(
            (vars.get("ghi"), vars.get("PATH")),
            (Some("bye"), Some("/bin:/opt/bin"))
        );
        let (commands, _) = run_stage("FROM a\nENV A=\"x y\" B='$C'\nENV C \"x  y\"\n", &[], &[]);
        assert_eq!(
            commands[0],
            Command::Env(vec![
                KeyValue {
                    key: "A".into(),
                    value: "x y".into()
                },
                KeyValue {
                    key: "B".into(),
                    value: "$C".into()
                }
            ])
        );
        assert_eq!(
            commands[1],
            Command::Env(vec![KeyValue {
                key: "C".into(),
                value: "x  y".into()
            }])
        );
    }

    #[test]
    fn arg_values() {
        let text = "FROM a\nARG GIVEN=default NAMED=\"some $V\" BARE\nRUN echo $GIVEN\nENV OUT=$GIVEN-$NAMED-${BARE:-unset}\n";
        let (commands, vars) = run_stage(
            text,
            &[("V", "v")],
            &[("GIVEN", "cli"), ("UNDECLARED", "x")],
        );
        let Command::Arg(defs) = &commands[0] else {
            panic!()
        };
        let values: Vec<Option<&str>> = defs.iter().map(|d| d.value.as_deref()).collect();
        assert_eq!(values, [Some("cli"), Some("some v"), None]);
        assert_eq!(vars.get("OUT"), Some("cli-some v-unset"));
        assert_eq!(vars.get("UNDECLARED"), None);
        // RUN is for the shell to expand.
        let Command::Run(run) = &commands[1] else {
            panic!()
        };
        assert_eq!(run.command, CommandLine::Shell("echo $GIVEN".into()));
    }

    #[test]
    fn global_args_reach_from_lines_and_redeclared_args() {
        let file = parse("ARG REGISTRY=docker.io\nARG IMAGE=$REGISTRY/library/alpine\nARG TAG\nARG UNUSED\nFROM --platform=$BUILDPLATFORM $IMAGE:${TAG:-latest}\nARG TAG\nARG IMAGE\nRUN x\n").unwrap();
        let predefined = env(&[("BUILDPLATFORM", "linux/amd64")]);
        let global = file
            .global_args(&predefined, &env(&[("TAG", "3.20")]))
            .unwrap();
        assert_eq!(
            (global.get("IMAGE"), global.get("TAG"), global.get("UNUSED")),
            (Some("docker.io/library/alpine"), Some("3.20"), None)
        );
        let expanded = file
            .expanded(&predefined, &env(&[("TAG", "3.20")]))
            .unwrap();
        let stage = &expanded.stages[0];
        assert_eq!(
            (stage.base.as_str(), stage.platform.as_deref()),
            ("docker.io/library/alpine:3.20", Some("linux/amd64"))
        );
        let Command::Arg(image) = &stage.instructions[1].command else {
            panic!()
        };
        assert_eq!(image[0].value.as_deref(), Some("docker.io/library/alpine"));
        let blank = parse("ARG X\nFROM $X\n").unwrap();
        assert_eq!(
            blank
                .expanded(&EnvList::new(), &EnvList::new())
                .unwrap_err()
                .to_string(),
            "Dockerfile:2: base name ($X) should not be blank"
        );
    }

    #[test]
    fn where_expansion_applies() {
        let text = "FROM a\nLABEL \"$K\"=\"$V\"\nEXPOSE $PORTS 9$N/udp\nCOPY --chown=$U:$U --chmod=$M $SRC \"${DIR}/\"\nADD --checksum=$SUM $URL /\nWORKDIR /srv/$APP\nUSER $U\nVOLUME [\"/data/$APP\"]\nSTOPSIGNAL SIG$SIG\nCMD echo $APP\nENTRYPOINT [\"$APP\"]\nHEALTHCHECK CMD check $APP\nMAINTAINER $U\nSHELL [\"$APP\"]\nONBUILD RUN $APP\n";
        let vars = [
            ("K", "key"),
            ("V", "val"),
            ("PORTS", "80 443"),
            ("N", "0"),
            ("U", "app"),
            ("M", "0644"),
            ("SRC", "src/"),
            ("DIR", "/my dir"),
            ("SUM", "sha256:x"),
            ("URL", "https://x/y"),
            ("APP", "web"),
            ("SIG", "QUIT"),
        ];
        let (commands, _) = run_stage(text, &vars, &[]);
        assert_eq!(
            commands[0],
            Command::Label(vec![KeyValue {
                key: "key".into(),
                value: "val".into()
            }])
        );
        assert_eq!(
            commands[1],
            Command::Expose(strings(&["80", "443", "90/udp"]))
        );
        let Command::Copy(copy) = &commands[2] else {
            panic!()
        };
        assert_eq!(
            (
                copy.chown.as_deref(),
                copy.chmod.as_deref(),
                copy.sources.clone(),
                copy.dest.as_str()
            ),
            (
                Some("app:app"),
                Some("0644"),
                strings(&["src/"]),
                "/my dir/"
            )
        );
        let Command::Add(add) = &commands[3] else {
            panic!()
        };
        assert_eq!(
            (add.checksum.as_deref(), add.sources.clone()),
            (Some("sha256:x"), strings(&["https://x/y"]))
        );
        assert_eq!(
            commands[4..9],
            [
                Command::Workdir("/srv/web".into()),
                Command::User("app".into()),
                Command::Volume(strings(&["/data/web"])),
                Command::Stopsignal("SIGQUIT".into()),
                Command::Cmd(CommandLine::Shell("echo $APP".into()))
            ]
        );
        assert_eq!(
            commands[9],
            Command::Entrypoint(CommandLine::Exec(strings(&["$APP"])))
        );
        let Command::Healthcheck(check) = &commands[10] else {
            panic!()
        };
        assert_eq!(check.test, ["CMD-SHELL", "check $APP"]);
        assert_eq!(
            commands[11..13],
            [
                Command::Maintainer("$U".into()),
                Command::Shell(strings(&["$APP"]))
            ]
        );
        let Command::Onbuild(onbuild) = &commands[13] else {
            panic!()
        };
        assert_eq!(onbuild.expression, "RUN $APP");
    }

    #[test]
    fn heredoc_files_expand_unless_quoted() {
        let text = "FROM a\nCOPY <<plain <<'quoted' /\nit's $NAME\nplain\nit's $NAME\nquoted\n";
        let (commands, _) = run_stage(text, &[("NAME", "skiff")], &[]);
        let Command::Copy(copy) = &commands[0] else {
            panic!()
        };
        let contents: Vec<&str> = copy.inline.iter().map(|f| f.content.as_str()).collect();
        assert_eq!(contents, ["it's skiff\n", "it's $NAME\n"]);
    }

    #[test]
    fn mount_options_expand() {
        let (commands, _) = run_stage(
            "FROM a\nRUN --mount=type=$T,target=$D,uid=$ID true\n",
            &[("T", "cache"), ("D", "/c"), ("ID", "10")],
            &[],
        );
        let Command::Run(run) = &commands[0] else {
            panic!()
        };
        let mount = run.mounts[0].mount.as_ref().unwrap();
        assert_eq!(
            (mount.kind, mount.target.as_deref(), mount.uid),
            (MountKind::Cache, Some("/c"), Some(10))
        );
    }

    #[test]
    fn expansion_errors_name_the_line() {
        let mut file = parse("FROM a\nRUN true\nWORKDIR ${DIR:?set DIR}\n").unwrap();
        let none = EnvList::new();
        let mut scope = Scope::new(EnvList::new(), &none, &none, file.escape);
        let err = file.stages[0]
            .instructions
            .iter_mut()
            .try_for_each(|i| scope.step(i))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Dockerfile:3: failed to process \"${DIR:?set DIR}\": DIR: set DIR"
        );
    }

    #[test]
    fn backtick_escape_in_expansion() {
        let (commands, _) = run_stage(
            "# escape=`\nFROM a\nWORKDIR C:\\app`$X\nENV P=a` b\n",
            &[],
            &[],
        );
        assert_eq!(commands[0], Command::Workdir("C:\\app$X".into()));
        assert_eq!(
            commands[1],
            Command::Env(vec![KeyValue {
                key: "P".into(),
                value: "a b".into()
            }])
        );
    }
}

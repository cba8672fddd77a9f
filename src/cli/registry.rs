//! Registry commands: pull, push, login, logout, search.

use super::format::{self, Format};
use crate::image::reference::Reference;
use crate::registry::config::Settings;
use crate::registry::manifest::Platform;
use crate::registry::progress::{Mode, Progress};
use crate::registry::{credentials, login as signin, pull as puller, push, search as finder};
use crate::runtime::userns::IdMappings;
use crate::store::Store;
use anyhow::{anyhow, bail, Context, Result};
use clap::Args;
use serde_json::{json, Value};
use std::io::{BufRead, IsTerminal, Write};

/// `--tls-verify`, as podman spells it: `--tls-verify=false` allows plain HTTP and
/// unverified certificates for this command.
#[derive(Args, Clone)]
pub struct TlsArgs {
    /// Require HTTPS and verify certificates (false: allow plain HTTP and any certificate)
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    tls_verify: bool,
}

impl TlsArgs {
    pub fn settings(&self) -> Result<Settings> {
        let mut settings = Settings::load()?;
        settings.no_tls_verify = !self.tls_verify;
        Ok(settings)
    }
}

#[derive(Args)]
pub struct PullArgs {
    /// The image: NAME[:TAG] or NAME@DIGEST
    image: String,
    /// Pull the image for this platform (os/arch[/variant]) instead of the host's
    #[arg(long)]
    platform: Option<String>,
    /// Suppress verbose output
    #[arg(short, long)]
    quiet: bool,
    /// Download all tagged images in the repository (not supported)
    #[arg(short, long, hide = true)]
    all_tags: bool,
    /// Report progress as docker's JSON lines (for the Engine API service, which relays them)
    #[arg(long, hide = true)]
    json_progress: bool,
    #[command(flatten)]
    tls: TlsArgs,
}

pub fn pull(store: &Store, args: PullArgs) -> Result<i32> {
    if args.all_tags {
        bail!("--all-tags is not supported yet: pull the tags one by one");
    }
    let reference = Reference::parse(&args.image)?.with_default_tag();
    let platform = args.platform.as_deref().map(Platform::parse).transpose()?;
    let progress = Progress::with_mode(args.quiet, false, args.json_progress);
    pull_image(store, &reference, platform, &args.tls, progress.clone())?;
    Ok(0)
}

/// Pulls `reference` and prints docker's closing lines; shared with `run --pull`.
pub fn pull_image(
    store: &Store,
    reference: &Reference,
    platform: Option<Platform>,
    tls: &TlsArgs,
    progress: std::sync::Arc<Progress>,
) -> Result<String> {
    let settings = tls.settings()?;
    let maps = IdMappings::detect();
    let opts = puller::PullOptions {
        platform,
        progress: progress.clone(),
    };
    let pulled = puller::pull(store, &maps, reference, &settings, &opts)
        .with_context(|| format!("cannot pull {}", reference.familiar()))?;
    progress.line(&format!("Digest: {}", pulled.digest));
    let status = if pulled.downloaded {
        "Downloaded newer image for"
    } else {
        "Image is up to date for"
    };
    progress.line(&format!("Status: {status} {}", reference.familiar()));
    // `run` pulls quietly on standard error; `pull` ends with the full reference, even with -q.
    if !progress.to_stderr() && progress.mode() != Mode::Json {
        println!("{reference}");
    }
    Ok(pulled.id)
}

#[derive(Args)]
pub struct PushArgs {
    /// The image: NAME[:TAG]
    image: String,
    /// Suppress verbose output
    #[arg(short, long)]
    quiet: bool,
    /// Compression of layers that have no compressed form yet
    #[arg(long, value_enum, default_value = "gzip")]
    compression_format: push::Compression,
    /// Report progress as docker's JSON lines (for the Engine API service, which relays them)
    #[arg(long, hide = true)]
    json_progress: bool,
    #[command(flatten)]
    tls: TlsArgs,
}

pub fn push(store: &Store, args: PushArgs) -> Result<i32> {
    let reference = Reference::parse(&args.image)?.with_default_tag();
    let progress = Progress::with_mode(args.quiet, false, args.json_progress);
    let opts = push::PushOptions {
        compression: args.compression_format,
        progress: progress.clone(),
    };
    let pushed = push::push(
        store,
        &IdMappings::detect(),
        &reference,
        &args.tls.settings()?,
        &opts,
    )
    .with_context(|| format!("cannot push {}", reference.familiar()))?;
    let tag = reference.tag.as_deref().unwrap_or("latest");
    progress.line(&format!(
        "{tag}: digest: {} size: {}",
        pushed.digest, pushed.size
    ));
    if args.quiet {
        println!("{}", reference.familiar());
    }
    Ok(0)
}

#[derive(Args)]
pub struct SearchArgs {
    /// The term: TERM for Docker Hub, REGISTRY/TERM for another registry
    term: String,
    /// Show at most this many results
    #[arg(long, default_value_t = 25)]
    limit: usize,
    /// Filter output: stars=N, is-official=true|false, is-automated=true|false
    #[arg(short, long = "filter", value_name = "FILTER")]
    filters: Vec<String>,
    /// Format output with a Go template ({{.Name}}, {{.Description}}, {{.StarCount}}, {{.IsOfficial}})
    #[arg(long)]
    format: Option<String>,
    /// Don't truncate output
    #[arg(long)]
    no_trunc: bool,
    #[command(flatten)]
    tls: TlsArgs,
}

pub fn search(args: SearchArgs) -> Result<i32> {
    let format = Format::parse(args.format.as_deref())?;
    let filters = SearchFilters::parse(&args.filters)?;
    if args.limit == 0 || args.limit > 100 {
        bail!("limit {} is outside the range of [1, 100]", args.limit);
    }
    let found = finder::search(&args.term, args.limit, &args.tls.settings()?)
        .with_context(|| format!("cannot search for {}", args.term))?;
    let items: Vec<Value> = found
        .iter()
        .filter(|f| filters.keeps(f))
        .take(args.limit)
        .map(|f| {
            let description = if args.no_trunc || f.description.chars().count() <= 45 {
                f.description.clone()
            } else {
                format!("{}...", f.description.chars().take(42).collect::<String>())
            };
            json!({
                "Name": f.name,
                "Description": description.replace('\n', " "),
                "StarCount": f.star_count,
                "IsOfficial": if f.is_official { "[OK]" } else { "" },
                "IsAutomated": if f.is_automated { "[OK]" } else { "" },
            })
        })
        .collect();
    let columns = [
        ("NAME", "{{.Name}}"),
        ("DESCRIPTION", "{{.Description}}"),
        ("STARS", "{{.StarCount}}"),
        ("OFFICIAL", "{{.IsOfficial}}"),
    ];
    format::print_list(
        &mut std::io::stdout().lock(),
        &format,
        "*registry.searchContext",
        &columns,
        &items,
    )?;
    Ok(0)
}

#[derive(Default)]
struct SearchFilters {
    stars: u64,
    official: Option<bool>,
    automated: Option<bool>,
}

impl SearchFilters {
    fn parse(filters: &[String]) -> Result<SearchFilters> {
        let mut parsed = SearchFilters::default();
        for filter in filters {
            let (key, value) = super::filter::split(filter)?;
            match key {
                "stars" => {
                    parsed.stars = value
                        .parse()
                        .map_err(|_| anyhow!("invalid filter 'stars={value}'"))?
                }
                "is-official" => parsed.official = Some(super::filter::boolean(key, value)?),
                "is-automated" => parsed.automated = Some(super::filter::boolean(key, value)?),
                other => bail!("invalid filter '{other}'"),
            }
        }
        Ok(parsed)
    }

    fn keeps(&self, found: &finder::Found) -> bool {
        found.star_count >= self.stars
            && self.official.is_none_or(|o| o == found.is_official)
            && self.automated.is_none_or(|a| a == found.is_automated)
    }
}

#[derive(Args)]
pub struct LoginArgs {
    /// The registry (default: Docker Hub)
    server: Option<String>,
    /// Username
    #[arg(short, long)]
    username: Option<String>,
    /// Password
    #[arg(short, long)]
    password: Option<String>,
    /// Take the password from standard input
    #[arg(long)]
    password_stdin: bool,
    #[command(flatten)]
    tls: TlsArgs,
}

pub fn login(args: LoginArgs) -> Result<i32> {
    let domain = signin::domain_of(args.server.as_deref())?;
    if args.password.is_some() {
        eprintln!("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
    }
    if args.password_stdin && args.password.is_some() {
        bail!("--password and --password-stdin are mutually exclusive");
    }
    let username = match args.username {
        Some(user) => user,
        None if args.password_stdin => bail!("Must provide --username with --password-stdin"),
        None => prompt("Username: ", true)?,
    };
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_string()
    } else {
        match args.password {
            Some(password) => password,
            None => prompt("Password: ", false)?,
        }
    };
    if username.is_empty() || password.is_empty() {
        bail!("the username and the password must not be empty");
    }
    let credentials = credentials::Credentials {
        username,
        secret: password,
    };
    signin::verify(&domain, &credentials, &args.tls.settings()?)
        .with_context(|| format!("login to {domain} failed"))?;
    if let Some(file) = credentials::save(&domain, &credentials)? {
        eprintln!(
            "WARNING! Your password will be stored unencrypted in {}.",
            file.display()
        );
    }
    println!("Login Succeeded");
    Ok(0)
}

#[derive(Args)]
pub struct LogoutArgs {
    /// The registry (default: Docker Hub)
    server: Option<String>,
}

pub fn logout(args: LogoutArgs) -> Result<i32> {
    let domain = signin::domain_of(args.server.as_deref())?;
    let shown = credentials::server_key(&domain);
    if credentials::erase(&domain)? {
        println!("Removing login credentials for {shown}");
    } else {
        println!("Not logged in to {shown}");
    }
    Ok(0)
}

/// The registry a `login`/`logout` argument names: `host[:port]`, maybe as a URL.
/// Asks on the terminal; the password without echo.
fn prompt(question: &str, echo: bool) -> Result<String> {
    if !std::io::stdin().is_terminal() {
        bail!("Cannot perform an interactive login from a non TTY device");
    }
    eprint!("{question}");
    std::io::stderr().flush()?;
    let stdin = std::io::stdin();
    let saved = if echo {
        None
    } else {
        nix::sys::termios::tcgetattr(&stdin).ok()
    };
    if let Some(saved) = &saved {
        let mut quiet = saved.clone();
        quiet
            .local_flags
            .remove(nix::sys::termios::LocalFlags::ECHO);
        nix::sys::termios::tcsetattr(&stdin, nix::sys::termios::SetArg::TCSANOW, &quiet)?;
    }
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if let Some(saved) = &saved {
        let _ = nix::sys::termios::tcsetattr(&stdin, nix::sys::termios::SetArg::TCSANOW, saved);
        eprintln!();
    }
    read?;
    Ok(line.trim_end_matches(['\n', '\r']).trim().to_string())
}

//! The Docker Engine API service (`skiff system service`): HTTP on a socket, a second thin
//! front end over the same core the CLI calls. It owns nothing: every request becomes a core
//! call, namespace work runs in child skiff processes (this process has many threads), and
//! containers it starts have their own supervisors, so stopping the service loses nothing.

mod archive;
mod attach;
mod authoring;
mod build;
mod containers;
mod create;
mod error;
mod exec;
mod http;
mod images;
mod listener;
mod networks;
mod processes;
mod prune;
mod registry;
mod router;
mod server;
mod system;
mod volumes;

use crate::store::Store;
use error::ApiResult;
use http::{Request, Sink};
use router::Route;
use serde_json::Value;

pub use server::{serve, ServiceOptions};

/// The API version skiff answers with: the newer of the two it follows.
pub const API_VERSION: &str = "1.44";
/// The oldest API version a client may ask for.
pub const MIN_API_VERSION: &str = "1.24";

/// What a handler answers.
pub enum Reply<'a> {
    Json(u16, Value),
    /// A status without a body (204, 304).
    Empty(u16),
    /// A plain body with extra headers (`/_ping`).
    Text(Vec<(&'static str, String)>, String),
    /// A body written while it is made; the head goes out first, and errors from here on
    /// travel inside the stream.
    Stream {
        content_type: &'static str,
        /// More headers for the head (`X-Docker-Container-Path-Stat`).
        headers: Vec<(&'static str, String)>,
        body: StreamBody<'a>,
    },
    /// The connection itself once the head is out (attach): the handler reads and writes
    /// raw streams, and the connection closes when it returns.
    Hijack {
        content_type: &'static str,
        body: HijackBody<'a>,
    },
}

/// What writes a streamed body.
pub type StreamBody<'a> = Box<dyn FnOnce(&mut dyn Sink) -> anyhow::Result<()> + 'a>;

/// What takes over a hijacked connection: its reading side (with what the client sent
/// past the request) and its writing side.
pub type HijackBody<'a> = Box<
    dyn FnOnce(std::io::BufReader<listener::Connection>, listener::Connection) -> anyhow::Result<()>
        + 'a,
>;

/// What every handler sees: the store, and how to run skiff itself for namespace work.
pub struct Context {
    pub store: Store,
    /// The clients waiting to attach to containers that have not started yet.
    pub attachers: attach::Attachers,
    /// The exec instances made through this service.
    pub execs: exec::Execs,
}

impl Context {
    /// Runs `skiff ARGS` on this store as a child process, for operations that do namespace
    /// work (starting, removing); its error message becomes the API error.
    fn skiff(&self, args: &[&str]) -> ApiResult<String> {
        self.skiff_fed(args, &[])
    }

    /// As [`Context::skiff`], with `input` on the child's stdin.
    fn skiff_fed(&self, args: &[&str], input: &[u8]) -> ApiResult<String> {
        use std::io::Write;
        let mut child = self
            .skiff_command(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(anyhow::Error::from)?;
        if let Some(mut stdin) = child.stdin.take() {
            // A child that fails early stops reading; its error says why.
            let _ = stdin.write_all(input);
        }
        outcome(child.wait_with_output().map_err(anyhow::Error::from)?)
    }

    /// As [`Context::skiff`], with the file `input` (an upload) as the child's stdin.
    fn skiff_from_file(&self, args: &[&str], input: &std::path::Path) -> ApiResult<String> {
        let input = std::fs::File::open(input).map_err(anyhow::Error::from)?;
        let out = self
            .skiff_command(args)
            .stdin(input)
            .output()
            .map_err(anyhow::Error::from)?;
        outcome(out)
    }

    /// Runs `skiff ARGS`, its standard output the body of the answer (a tar) as it comes;
    /// its failure ends the stream as an error, and a client that goes away stops it.
    fn skiff_download<'a>(
        &self,
        args: &[&str],
        content_type: &'static str,
        headers: Vec<(&'static str, String)>,
    ) -> ApiResult<Reply<'a>> {
        use std::io::Read;
        let mut child = self
            .skiff_command(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .map_err(anyhow::Error::from)?;
        Ok(Reply::Stream {
            content_type,
            headers,
            body: Box::new(move |sink: &mut dyn Sink| {
                let mut out = child.stdout.take().expect("the child's stdout is piped");
                let mut buffer = vec![0u8; 64 * 1024];
                let copied = loop {
                    match out.read(&mut buffer) {
                        Ok(0) => break Ok(()),
                        Ok(n) => {
                            if let Err(e) = sink.write(&buffer[..n]) {
                                let _ = child.kill();
                                break Err(e);
                            }
                        }
                        Err(e) => break Err(e.into()),
                    }
                };
                let out = child.wait_with_output()?;
                copied?;
                match out.status.success() {
                    true => Ok(()),
                    false => anyhow::bail!("{}", skiff_error(&out.stderr)),
                }
            }),
        })
    }

    /// `skiff ARGS` on this store.
    fn skiff_command(&self, args: &[&str]) -> std::process::Command {
        // The binary serving is the one to run; /proc/self/exe holds even if it was replaced.
        let mut command = std::process::Command::new("/proc/self/exe");
        command
            .arg("--root")
            .arg(&self.store.root)
            .arg("--runroot")
            .arg(&self.store.runroot)
            .args(args);
        command
    }
}

/// Whether a path belongs to swarm mode, which docker refuses outside a swarm (503) and
/// skiff refuses always.
fn is_swarm_path(path: &str) -> bool {
    let first = router::strip_version(path)
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    matches!(
        first,
        "swarm" | "services" | "nodes" | "tasks" | "secrets" | "configs"
    )
}

/// A body's object of strings (`Labels`, `Options`); absent is empty.
fn string_map(body: &Value, key: &str) -> ApiResult<std::collections::BTreeMap<String, String>> {
    match &body[key] {
        Value::Null => Ok(Default::default()),
        value => serde_json::from_value(value.clone()).map_err(|_| {
            error::ApiError::bad_request(format!("{key} must map strings to strings"))
        }),
    }
}

/// A child skiff's output, or its error with the status docker gives it.
fn outcome(out: std::process::Output) -> ApiResult<String> {
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let message = skiff_error(&out.stderr);
    let status = if message.starts_with("Conflict.") {
        409
    } else if message.starts_with("No such") {
        404
    } else {
        500
    };
    Err(error::ApiError::new(status, message))
}

/// A failed skiff's message, without its `Error: ` prefixes.
fn skiff_error(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .map(|l| l.strip_prefix("Error: ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

type Handler = for<'a> fn(&'a Context, &'a Request, &str) -> ApiResult<Reply<'a>>;

const fn route(method: &'static str, pattern: &'static str, handler: Handler) -> Route<Handler> {
    Route {
        method,
        pattern,
        handler,
        upload: false,
    }
}

/// A route whose request body is an upload, streamed to a file.
const fn upload(method: &'static str, pattern: &'static str, handler: Handler) -> Route<Handler> {
    Route {
        method,
        pattern,
        handler,
        upload: true,
    }
}

/// Every endpoint served. Patterns with a variable part match it from both ends, so
/// `/images/{name}/json` takes names containing `/`.
static ROUTES: &[Route<Handler>] = &[
    route("GET", "/_ping", system::ping),
    route("GET", "/version", system::version),
    route("GET", "/info", system::info),
    route("GET", "/events", system::events),
    route("GET", "/plugins", system::plugins),
    route("GET", "/system/df", system::disk_usage),
    route("POST", "/auth", registry::auth),
    route("GET", "/images/search", registry::search),
    route("GET", "/containers/json", containers::list),
    route("GET", "/containers/{id}/json", containers::inspect),
    route("POST", "/containers/create", create::create),
    route("POST", "/containers/{id}/start", containers::start),
    route("POST", "/containers/{id}/attach", attach::attach),
    route("POST", "/containers/{id}/resize", attach::resize),
    route("POST", "/containers/{id}/stop", containers::stop),
    route("POST", "/containers/{id}/restart", containers::restart),
    route("POST", "/containers/{id}/kill", containers::kill),
    route("POST", "/containers/{id}/wait", containers::wait),
    route("GET", "/containers/{id}/logs", containers::logs),
    route("POST", "/containers/{id}/exec", exec::create),
    route("POST", "/exec/{id}/start", exec::start),
    route("POST", "/exec/{id}/resize", exec::resize),
    route("GET", "/exec/{id}/json", exec::inspect),
    route("POST", "/containers/{id}/rename", containers::rename),
    route("POST", "/containers/{id}/pause", processes::pause),
    route("POST", "/containers/{id}/unpause", processes::unpause),
    route("GET", "/containers/{id}/top", processes::top),
    route("POST", "/containers/{id}/update", processes::update),
    route("GET", "/containers/{id}/stats", processes::stats),
    route("GET", "/containers/{id}/archive", archive::get),
    upload("PUT", "/containers/{id}/archive", archive::put),
    route("GET", "/containers/{id}/changes", authoring::changes),
    route("GET", "/containers/{id}/export", authoring::export),
    route("POST", "/commit", authoring::commit),
    route("DELETE", "/containers/{id}", containers::remove),
    route("GET", "/images/json", images::list),
    upload("POST", "/build", build::build),
    route("POST", "/images/create", images::pull),
    route("GET", "/images/{name}/json", images::inspect),
    route("POST", "/images/{name}/tag", images::tag),
    route("POST", "/images/{name}/push", images::push),
    route("GET", "/images/{name}/history", authoring::history),
    route("GET", "/images/get", authoring::save),
    route("GET", "/images/{name}/get", authoring::save),
    upload("POST", "/images/load", authoring::load),
    route("DELETE", "/images/{name}", images::remove),
    route("GET", "/volumes", volumes::list),
    route("POST", "/volumes/create", volumes::create),
    route("GET", "/volumes/{name}", volumes::inspect),
    route("DELETE", "/volumes/{name}", volumes::remove),
    route("GET", "/networks", networks::list),
    route("POST", "/networks/create", networks::create),
    route("POST", "/networks/prune", prune::networks),
    route("POST", "/containers/prune", prune::containers),
    route("POST", "/images/prune", prune::images),
    route("POST", "/volumes/prune", prune::volumes),
    route("POST", "/build/prune", prune::build_cache),
    route("GET", "/networks/{id}", networks::inspect),
    route("DELETE", "/networks/{id}", networks::remove),
    route("POST", "/networks/{id}/connect", networks::connect),
    route("POST", "/networks/{id}/disconnect", networks::disconnect),
];

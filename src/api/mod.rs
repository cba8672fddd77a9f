//! The Docker Engine API service (`skiff system service`): HTTP on a socket, a second thin
//! front end over the same core the CLI calls. It owns nothing: every request becomes a core
//! call, namespace work runs in child skiff processes (this process has many threads), and
//! containers it starts have their own supervisors, so stopping the service loses nothing.

mod containers;
mod error;
mod http;
mod images;
mod listener;
mod router;
mod server;
mod system;

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
        body: StreamBody<'a>,
    },
}

/// What writes a streamed body.
pub type StreamBody<'a> = Box<dyn FnOnce(&mut dyn Sink) -> anyhow::Result<()> + 'a>;

/// What every handler sees: the store, and how to run skiff itself for namespace work.
pub struct Context {
    pub store: Store,
}

impl Context {
    /// Runs `skiff ARGS` on this store as a child process, for operations that do namespace
    /// work (starting, removing); its error message becomes the API error.
    fn skiff(&self, args: &[&str]) -> ApiResult<String> {
        let out = self
            .skiff_command(args)
            .output()
            .map_err(anyhow::Error::from)?;
        if out.status.success() {
            return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
        }
        Err(error::ApiError::new(500, skiff_error(&out.stderr)))
    }

    /// `skiff ARGS` on this store, its input closed.
    fn skiff_command(&self, args: &[&str]) -> std::process::Command {
        // The binary serving is the one to run; /proc/self/exe holds even if it was replaced.
        let mut command = std::process::Command::new("/proc/self/exe");
        command
            .arg("--root")
            .arg(&self.store.root)
            .arg("--runroot")
            .arg(&self.store.runroot)
            .args(args)
            .stdin(std::process::Stdio::null());
        command
    }
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
    }
}

/// Every endpoint served. Patterns with a variable part match it from both ends, so
/// `/images/{name}/json` takes names containing `/`.
static ROUTES: &[Route<Handler>] = &[
    route("GET", "/_ping", system::ping),
    route("GET", "/version", system::version),
    route("GET", "/info", system::info),
    route("GET", "/events", system::events),
    route("GET", "/containers/json", containers::list),
    route("GET", "/containers/{id}/json", containers::inspect),
    route("POST", "/containers/{id}/start", containers::start),
    route("POST", "/containers/{id}/stop", containers::stop),
    route("POST", "/containers/{id}/restart", containers::restart),
    route("POST", "/containers/{id}/kill", containers::kill),
    route("POST", "/containers/{id}/wait", containers::wait),
    route("GET", "/containers/{id}/logs", containers::logs),
    route("DELETE", "/containers/{id}", containers::remove),
    route("GET", "/images/json", images::list),
    route("POST", "/images/create", images::pull),
    route("GET", "/images/{name}/json", images::inspect),
    route("POST", "/images/{name}/tag", images::tag),
    route("DELETE", "/images/{name}", images::remove),
];

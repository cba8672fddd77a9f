//! The Docker Engine API service (`skiff system service`): HTTP on a socket, a second thin
//! front end over the same core the CLI calls. It owns nothing: every request becomes a core
//! call, namespace work runs in child skiff processes (this process has many threads), and
//! containers it starts have their own supervisors, so stopping the service loses nothing.

mod error;
mod http;
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
        body: Box<dyn FnOnce(&mut dyn Sink) -> anyhow::Result<()> + 'a>,
    },
}

/// What every handler sees: the store, and how to run skiff itself for namespace work.
pub struct Context {
    pub store: Store,
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
];

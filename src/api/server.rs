//! The accept loop: a thread per connection (requests are short, or long streams that mostly
//! wait), kept-alive connections, and the idle timer that ends the service when no client has
//! been connected for a while.

use super::error::ApiError;
use super::http::{self, Responder};
use super::listener::{self, Bound, Connection};
use super::{router, Context, Reply, ROUTES};
use crate::store::Store;
use anyhow::Result;
use std::io::BufReader;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

pub struct ServiceOptions {
    /// Seconds without clients before the service leaves; None: never.
    pub idle: Option<Duration>,
    /// `unix:///PATH` or `tcp://127.0.0.1:PORT`; None: the default socket.
    pub address: Option<String>,
}

/// Connected clients and when the last one left.
struct Activity {
    state: Mutex<(usize, Instant)>,
    changed: Condvar,
}

impl Activity {
    fn enter(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 += 1;
    }

    fn leave(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.0 -= 1;
        state.1 = Instant::now();
        self.changed.notify_all();
    }

    /// Returns once no client has been connected for `idle`.
    fn wait_until_idle(&self, idle: Duration) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let quiet_for = state.1.elapsed();
            if state.0 == 0 && quiet_for >= idle {
                return;
            }
            let wait = if state.0 == 0 { idle - quiet_for } else { idle };
            state = self
                .changed
                .wait_timeout(state, wait)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Serves until idle (or forever), on the socket systemd passed or the one named.
pub fn serve(store: Store, options: ServiceOptions) -> Result<i32> {
    // A client that goes away mid-stream must fail only its own writes.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let (bound, owned_path) = match listener::from_systemd()? {
        Some(bound) => (bound, None),
        None => {
            let bound = listener::bind(options.address.as_deref())?;
            let path = bound
                .docker_host
                .strip_prefix("unix://")
                .map(std::path::PathBuf::from);
            (bound, path)
        }
    };
    let Bound {
        listener,
        docker_host,
    } = bound;
    println!("Serving the Docker Engine API on {docker_host}");
    println!("export DOCKER_HOST={docker_host}");
    let context = Arc::new(Context {
        store,
        attachers: Default::default(),
        execs: Default::default(),
    });
    let activity = Arc::new(Activity {
        state: Mutex::new((0, Instant::now())),
        changed: Condvar::new(),
    });
    if let Some(idle) = options.idle {
        let activity = activity.clone();
        std::thread::spawn(move || {
            activity.wait_until_idle(idle);
            // The socket file is ours to remove only when we made it.
            if let Some(path) = &owned_path {
                let _ = std::fs::remove_file(path);
            }
            std::process::exit(0);
        });
    }
    loop {
        let connection = match listener.accept() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        activity.enter();
        let (context, activity) = (context.clone(), activity.clone());
        std::thread::spawn(move || {
            let _ = handle_connection(&context, connection);
            activity.leave();
        });
    }
}

/// Answers requests on one connection until the client closes it.
fn handle_connection(context: &Context, connection: Connection) -> Result<()> {
    let mut writer = connection.try_clone()?;
    let mut reader = BufReader::new(connection);
    loop {
        let head = match http::read_head(&mut reader) {
            Ok(Some(head)) => head,
            Ok(None) => return Ok(()),
            Err(e) => return answer_unreadable(&mut writer, e),
        };
        let found = router::find(ROUTES, &head.method, &head.path);
        let upload_to = match &found {
            Ok((route, _)) if route.upload => Some(context.store.tmp_path("upload")),
            _ => None,
        };
        let request = match http::read_body(&mut reader, head, upload_to) {
            Ok(request) => request,
            Err(e) => return answer_unreadable(&mut writer, e),
        };
        let mut responder = Responder::new(&mut writer, &request);
        let keep_alive = responder.keep_alive();
        let reply = match found {
            Ok((route, var)) => (route.handler)(context, &request, &var),
            Err(true) => Err(ApiError::new(405, "method not allowed")),
            Err(false) if super::is_swarm_path(&request.path) => Err(ApiError::new(
                503,
                "This node is not a swarm manager: skiff runs containers on this machine alone, \
                 without swarm services, nodes, tasks, secrets or configs",
            )),
            Err(false) => Err(ApiError::new(
                404,
                format!("page not found: {} {}", request.method, request.path),
            )),
        };
        match reply {
            Ok(Reply::Json(status, value)) => responder.json(status, &value)?,
            Ok(Reply::Empty(status)) => responder.send(status, &[], b"")?,
            Ok(Reply::Text(headers, body)) => {
                let mut all: Vec<(&str, &str)> =
                    vec![("Content-Type", "text/plain; charset=utf-8")];
                all.extend(headers.iter().map(|(k, v)| (*k, v.as_str())));
                responder.send(200, &all, body.as_bytes())?
            }
            Ok(Reply::Hijack { content_type, body }) => {
                let upgrade = request.headers.contains_key("upgrade");
                responder.hijack(upgrade, content_type)?;
                let result = body(reader, writer.try_clone()?);
                let _ = writer.shutdown(std::net::Shutdown::Both);
                return result;
            }
            Ok(Reply::Stream {
                content_type,
                headers,
                body,
            }) => {
                let mut all: Vec<(&str, &str)> = vec![("Content-Type", content_type)];
                all.extend(headers.iter().map(|(k, v)| (*k, v.as_str())));
                let mut stream = responder.stream(200, &all)?;
                if let Err(e) = body(&mut stream) {
                    // The client may be gone; if not, the error goes where it reads.
                    use super::http::Sink;
                    if stream
                        .json_line(&super::error::in_stream(&format!("{e:#}")))
                        .is_err()
                    {
                        return Ok(());
                    }
                }
                stream.finish()?;
            }
            Err(e) => responder.json(e.status, &e.body())?,
        }
        if !keep_alive {
            return Ok(());
        }
    }
}

/// An unreadable request leaves the connection in no known state: answer it, then close.
fn answer_unreadable(writer: &mut Connection, e: anyhow::Error) -> Result<()> {
    let error = ApiError::bad_request(format!("{e:#}"));
    let stand_in = http::Request {
        method: "GET".into(),
        path: String::new(),
        query: Vec::new(),
        headers: [("connection".to_string(), "close".to_string())].into(),
        body: Vec::new(),
        upload: None,
    };
    let _ = Responder::new(writer, &stand_in).json(400, &error.body());
    Ok(())
}

//! `/containers/...`: listing, inspecting, starting, stopping, waiting for, reading the logs
//! of, and removing containers, through the same core calls `skiff ps`, `inspect`, `stop` and
//! the rest make. Starts, restarts and removals run as child skiff processes: they do
//! namespace work, which this multi-threaded process must not.

use super::error::{ApiError, ApiResult};
use super::http::{Request, Sink};
use super::{Context, Reply};
use crate::container::filter::ContainerFilters;
use crate::container::list::{self, Summary};
use crate::container::logs::{self, LogQuery};
use crate::container::wait::{self, WaitCondition};
use crate::container::{record, stop};
use crate::supervisor::log::Entry;
use serde_json::{json, Value};

/// `GET /containers/json`: `ps`, with `all`, `limit` and `filters`.
pub fn list<'a>(context: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let store = &context.store;
    let filters = filter_strings(&request.json_param("filters")?)?;
    let filters = ContainerFilters::parse(store, &filters).map_err(ApiError::bad_request)?;
    let show_all = request.flag("all") || !filters.status.is_empty() || filters.exited.is_some();
    let limit: i64 = request.param("limit").parse().unwrap_or(-1);
    let mut rows = list::all(store)?;
    rows.retain(|s| (show_all || s.state.is_running()) && filters.keeps(store, s));
    if limit > 0 {
        rows.truncate(limit as usize);
    }
    let items: Vec<Value> = rows.iter().map(|s| summary_json(store, s)).collect();
    Ok(Reply::Json(200, Value::Array(items)))
}

/// docker's filters in either shape, `{"label":["a=b"]}` or `{"label":{"a=b":true}}`, as the
/// `key=value` strings `ps --filter` takes.
pub fn filter_strings(filters: &Value) -> ApiResult<Vec<String>> {
    let Some(map) = filters.as_object() else {
        return match filters {
            Value::Null => Ok(vec![]),
            _ => Err(ApiError::bad_request("filters must be a JSON object")),
        };
    };
    let mut out = Vec::new();
    for (key, values) in map {
        let values: Vec<&str> = match values {
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            Value::Object(set) => set
                .iter()
                .filter(|(_, on)| on.as_bool() == Some(true))
                .map(|(v, _)| v.as_str())
                .collect(),
            _ => return Err(ApiError::bad_request(format!("invalid filter {key:?}"))),
        };
        out.extend(values.into_iter().map(|v| format!("{key}={v}")));
    }
    Ok(out)
}

/// One row of `GET /containers/json`, with the parts of the object `inspect` gives that a
/// listing shows (the whole of it reads each container's spec: too slow for `docker ps`).
pub fn summary_json(store: &crate::store::Store, s: &Summary) -> Value {
    let mounts: Vec<Value> = s.record.mounts.iter().map(|m| m.inspect_json()).collect();
    let ports: Vec<Value> = s
        .ports()
        .iter()
        .map(|p| {
            json!({"IP": p.shown_ip(), "PrivatePort": p.container_port, "PublicPort": p.host_port, "Type": p.protocol.name()})
        })
        .collect();
    json!({
        "Id": s.id(),
        "Names": [format!("/{}", s.record.name)],
        "Image": s.record.image,
        "ImageID": s.record.image_id,
        "Command": s.command(),
        "Created": s.created().0,
        "Ports": ports,
        "Labels": s.labels(),
        "State": s.status_word(),
        "Status": s.status_text(),
        "HostConfig": {"NetworkMode": s.record.options.network},
        "NetworkSettings": {"Networks": list::network_settings(store, s)["Networks"]},
        "Mounts": mounts,
    })
}

pub(super) fn summary(context: &Context, name: &str) -> ApiResult<Summary> {
    let id = record::resolve(&context.store, name)?;
    Ok(Summary::load(&context.store, &id)?)
}

/// `GET /containers/{id}/json`: what `skiff inspect` prints.
pub fn inspect<'a>(context: &'a Context, _: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    Ok(Reply::Json(200, list::inspect_json(&context.store, &s)))
}

/// `POST /containers/{id}/start`: 304 when it already runs.
pub fn start<'a>(context: &'a Context, _: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    if s.state.is_running() {
        return Ok(Reply::Empty(304));
    }
    // A client attached first (`docker run`) must get the output from its first byte.
    let command = match context.attachers.any_for(s.id()) {
        true => "__start-for-client",
        false => "start",
    };
    context.skiff(&[command, s.id()])?;
    Ok(Reply::Empty(204))
}

/// The `t` (or `timeout`) query parameter: seconds before SIGKILL.
fn stop_timeout(request: &Request) -> ApiResult<Option<u64>> {
    let text = [request.param("t"), request.param("timeout")]
        .into_iter()
        .find(|t| !t.is_empty());
    text.map(|t| {
        t.parse::<i64>()
            .map(|n| n.max(0) as u64)
            .map_err(|_| ApiError::bad_request(format!("invalid timeout {t:?}")))
    })
    .transpose()
}

/// `POST /containers/{id}/stop`: 304 when it is not running.
pub fn stop<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    let timeout = stop_timeout(request)?;
    if !s.state.is_running() {
        return Ok(Reply::Empty(304));
    }
    stop::stop(&context.store, s.id(), timeout)?;
    Ok(Reply::Empty(204))
}

/// `POST /containers/{id}/restart`: stop if running, then start again.
pub fn restart<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    let mut args = vec!["restart".to_string()];
    if let Some(t) = stop_timeout(request)? {
        args.extend(["--time".to_string(), t.to_string()]);
    }
    args.push(s.id().to_string());
    context.skiff(&args.iter().map(String::as_str).collect::<Vec<_>>())?;
    Ok(Reply::Empty(204))
}

/// `POST /containers/{id}/kill`: 409 when it is not running.
pub fn kill<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    let signal = match request.param("signal") {
        "" => libc::SIGKILL,
        text => stop::parse_signal(text).map_err(ApiError::bad_request)?,
    };
    if !s.state.is_running() {
        return Err(ApiError::conflict(format!(
            "Container {} is not running",
            s.id()
        )));
    }
    stop::kill(&context.store, s.id(), signal)?;
    Ok(Reply::Empty(204))
}

/// `POST /containers/{id}/wait`: the head goes out at once (clients send `start` only after
/// it), the exit code when the condition is met.
pub fn wait<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    let condition =
        WaitCondition::parse(request.param("condition")).map_err(ApiError::bad_request)?;
    let id = s.id().to_string();
    Ok(Reply::Stream {
        content_type: "application/json",
        headers: Vec::new(),
        body: Box::new(move |sink: &mut dyn Sink| {
            let code = wait::wait(&context.store, &id, condition)?;
            sink.json_line(&json!({"StatusCode": code, "Error": null}))
        }),
    })
}

/// `GET /containers/{id}/logs`: docker's 8-byte multiplexed frames when the container has no
/// tty, the raw bytes when it has one.
pub fn logs<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let store = &context.store;
    let s = summary(context, name)?;
    let (stdout, stderr) = (request.flag("stdout"), request.flag("stderr"));
    if !stdout && !stderr {
        return Err(ApiError::bad_request("you must choose at least one stream"));
    }
    let log = logs::open(store, s.id(), name).map_err(ApiError::bad_request)?;
    let time = |key: &str| match request.param(key) {
        "" | "0" => Ok(None),
        text => logs::parse_time(text)
            .map(Some)
            .map_err(ApiError::bad_request),
    };
    let query = LogQuery {
        since: time("since")?,
        until: time("until")?,
        tail: logs::parse_tail(request.param("tail")).map_err(ApiError::bad_request)?,
    };
    let (tty, timestamps, follow) = (
        s.record.options.tty,
        request.flag("timestamps"),
        request.flag("follow") && query.until.is_none(),
    );
    Ok(Reply::Stream {
        content_type: content_type(tty),
        headers: Vec::new(),
        body: Box::new(move |sink: &mut dyn Sink| {
            let wanted = |e: &Entry| if e.stream == "stderr" { stderr } else { stdout };
            for e in log.entries(&query).iter().filter(|e| wanted(e)) {
                sink.write(&frame(e, tty, timestamps))?;
            }
            if follow {
                // A follower whose client left ends, even while the container is silent.
                let sink = std::cell::RefCell::new(sink);
                log.follow(
                    store,
                    |e| match wanted(e) {
                        true => sink.borrow_mut().write(&frame(e, tty, timestamps)),
                        false => Ok(()),
                    },
                    || sink.borrow().client_gone(),
                )?;
            }
            Ok(())
        }),
    })
}

/// What docker calls a container's output streams: raw with a tty, else multiplexed.
pub(super) fn content_type(tty: bool) -> &'static str {
    if tty {
        "application/vnd.docker.raw-stream"
    } else {
        "application/vnd.docker.multiplexed-stream"
    }
}

/// The number of a log entry's stream in docker's frames: 1 stdout, 2 stderr.
pub(super) fn stream_number(e: &Entry) -> u8 {
    if e.stream == "stderr" {
        2
    } else {
        1
    }
}

/// One log entry as the stream carries it: with docker's header (stream, 0, 0, 0, length
/// big-endian) unless the container has a tty.
pub(super) fn frame(e: &Entry, tty: bool, timestamps: bool) -> Vec<u8> {
    let mut payload = Vec::new();
    if timestamps {
        payload.extend(logs::shown_time(e).into_bytes());
        payload.push(b' ');
    }
    payload.extend(e.log.as_bytes());
    if tty {
        return payload;
    }
    let mut out = vec![stream_number(e), 0, 0, 0];
    out.extend((payload.len() as u32).to_be_bytes());
    out.extend(payload);
    out
}

/// `DELETE /containers/{id}`: `force` stops it first, `v` removes its anonymous volumes.
pub fn remove<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    let force = request.flag("force");
    if s.state.is_running() && !force {
        return Err(ApiError::conflict(format!(
            "You cannot remove a running container {}. Stop the container before attempting removal or force remove",
            s.id()
        )));
    }
    let mut args = vec!["rm"];
    if force {
        args.push("--force");
    }
    if request.flag("v") {
        args.push("--volumes");
    }
    args.push(s.id());
    context.skiff(&args)?;
    Ok(Reply::Empty(204))
}

/// `POST /containers/{id}/rename?name=NEW`: 409 when the name is taken.
pub fn rename<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    let new = request.param("name").trim_start_matches('/');
    if new.is_empty() {
        return Err(ApiError::bad_request("a new name is required"));
    }
    record::rename(&context.store, s.id(), new).map_err(|e| {
        let message = format!("{e:#}");
        match message.contains("already in use") {
            true => ApiError::conflict(message),
            false => ApiError::bad_request(message),
        }
    })?;
    Ok(Reply::Empty(204))
}

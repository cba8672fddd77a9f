//! A container's processes: `pause`, `unpause` and `top`, through the same core calls as
//! `skiff pause` and `skiff top` (freezing and signalling need no namespace, so they run
//! here), and `update` of their limits, through `skiff update`.

use super::containers::summary;
use super::error::{ApiError, ApiResult};
use super::http::Request;
use super::{Context, Reply};
use crate::container::state::{self, Marker};
use crate::container::{processes, top};
use serde_json::json;

/// `POST /containers/{id}/pause`: 409 unless it runs unpaused.
pub fn pause<'a>(context: &'a Context, _: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    if !s.state.is_running() || state::has_marker(&context.store, s.id(), Marker::Paused) {
        return Err(ApiError::conflict(format!(
            "container {} is not running or already paused",
            s.id()
        )));
    }
    processes::pause(&context.store, s.id())?;
    Ok(Reply::Empty(204))
}

/// `POST /containers/{id}/unpause`: 409 unless it is paused.
pub fn unpause<'a>(context: &'a Context, _: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    if !state::has_marker(&context.store, s.id(), Marker::Paused) {
        return Err(ApiError::conflict(format!(
            "container {} is not paused",
            s.id()
        )));
    }
    processes::unpause(&context.store, s.id())?;
    Ok(Reply::Empty(204))
}

/// `GET /containers/{id}/top`: the table `skiff top` prints, as titles and rows. The `ps`
/// arguments docker passes on are not taken: the table has `ps -ef`'s columns.
pub fn top<'a>(context: &'a Context, _: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    if !s.state.is_running() {
        return Err(ApiError::conflict(format!(
            "container {} is not running",
            s.id()
        )));
    }
    let rows = top::table(&context.store, s.id())?;
    Ok(Reply::Json(
        200,
        json!({"Titles": top::TITLES, "Processes": rows}),
    ))
}

/// `POST /containers/{id}/update`: the resources and restart policy of the body, as
/// `skiff update` flags. docker's clients send 0 for every limit they leave alone.
pub fn update<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    let body = request.json_body().map_err(ApiError::bad_request)?;
    let mut args = vec!["update".to_string()];
    let mut flag = |name: &str, value: String| args.extend([format!("--{name}"), value]);
    for (field, name) in [
        ("Memory", "memory"),
        ("MemorySwap", "memory-swap"),
        ("MemoryReservation", "memory-reservation"),
        ("CpuShares", "cpu-shares"),
        ("CpuPeriod", "cpu-period"),
        ("CpuQuota", "cpu-quota"),
        ("BlkioWeight", "blkio-weight"),
        ("PidsLimit", "pids-limit"),
    ] {
        match body[field].as_i64() {
            Some(0) | None => {}
            Some(n) => flag(name, n.to_string()),
        }
    }
    for (field, name) in [("CpusetCpus", "cpuset-cpus"), ("CpusetMems", "cpuset-mems")] {
        match body[field].as_str() {
            Some("") | None => {}
            Some(text) => flag(name, text.to_string()),
        }
    }
    if let Some(nanos) = body["NanoCpus"].as_i64().filter(|n| *n != 0) {
        flag("cpus", format!("{}", nanos as f64 / 1e9));
    }
    let policy = &body["RestartPolicy"];
    match (
        policy["Name"].as_str().unwrap_or_default(),
        policy["MaximumRetryCount"].as_i64(),
    ) {
        ("", _) => {}
        ("on-failure", Some(max)) if max > 0 => flag("restart", format!("on-failure:{max}")),
        (name, _) => flag("restart", name.to_string()),
    }
    if args.len() > 1 {
        args.push(s.id().to_string());
        context.skiff(&args.iter().map(String::as_str).collect::<Vec<_>>())?;
    }
    Ok(Reply::Json(200, json!({ "Warnings": [] })))
}

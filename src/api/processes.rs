//! A container's processes: `pause`, `unpause` and `top`, through the same core calls as
//! `skiff pause` and `skiff top` (freezing and signalling need no namespace, so they run
//! here), `stats`, sampled as `skiff stats` samples, and `update` of their limits, through
//! `skiff update`.

use super::containers::summary;
use super::error::{ApiError, ApiResult};
use super::http::{Request, Sink};
use super::{Context, Reply};
use crate::container::list::Summary;
use crate::container::state::{self, Marker};
use crate::container::stats::{self, Sample};
use crate::container::{processes, top};
use serde_json::{json, Value};
use std::time::Duration;

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

/// `GET /containers/{id}/stats`: docker's stats objects, one a second while `stream` (the
/// default) and the container runs, else one, made of two samples so that its CPU share is
/// known (`one-shot` skips the second).
pub fn stats<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    let stream = request.param("stream").is_empty() || request.flag("stream");
    let one_shot = request.flag("one-shot");
    let id = s.id().to_string();
    Ok(Reply::Stream {
        content_type: "application/json",
        headers: Vec::new(),
        body: Box::new(move |sink: &mut dyn Sink| {
            let mut previous = None;
            if !stream && !one_shot {
                previous = Some(Reading::now(&s));
                std::thread::sleep(Duration::from_millis(500));
            }
            loop {
                let s = Summary::load(&context.store, &id)?;
                let current = Reading::now(&s);
                sink.json_line(&stats_json(&s, previous.as_ref(), &current))?;
                if !stream || !s.state.is_running() || sink.client_gone() {
                    return Ok(());
                }
                previous = Some(current);
                std::thread::sleep(Duration::from_secs(1));
            }
        }),
    })
}

/// A container's sample, with when it was taken and the machine's CPU time then.
struct Reading {
    sample: Sample,
    at: crate::clock::Instant,
    system_nanos: u64,
}

impl Reading {
    fn now(s: &Summary) -> Reading {
        Reading {
            sample: stats::sample(s),
            at: crate::clock::now(),
            system_nanos: crate::host::cpu_time_nanos(),
        }
    }
}

/// One of docker's stats objects; `previous` fills its `precpu_stats` and `preread`.
fn stats_json(s: &Summary, previous: Option<&Reading>, current: &Reading) -> Value {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let cpu = |reading: Option<&Reading>| match reading {
        Some(r) => json!({
            "cpu_usage": {"total_usage": r.sample.cpu_nanos, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
            "system_cpu_usage": r.system_nanos,
            "online_cpus": cpus,
            "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0},
        }),
        None => json!({"cpu_usage": {"total_usage": 0}, "throttling_data": {}}),
    };
    let b = &current.sample;
    let running = s.state.is_running();
    let block = |op: &str, value: u64| json!({"major": 0, "minor": 0, "op": op, "value": value});
    json!({
        "name": format!("/{}", s.record.name),
        "id": s.id(),
        "read": crate::clock::format_rfc3339(current.at),
        "preread": previous.map_or("0001-01-01T00:00:00Z".to_string(), |p| crate::clock::format_rfc3339(p.at)),
        "pids_stats": if running { json!({"current": b.pids}) } else { json!({}) },
        "blkio_stats": {"io_service_bytes_recursive": [block("read", b.block.0), block("write", b.block.1)]},
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": cpu(running.then_some(current)),
        "precpu_stats": cpu(previous),
        "memory_stats": if running {
            json!({"usage": b.memory, "limit": b.memory_limit.unwrap_or_else(crate::host::mem_total), "stats": {}})
        } else {
            json!({})
        },
        "networks": {"eth0": {"rx_bytes": b.net.0, "tx_bytes": b.net.1, "rx_packets": 0, "tx_packets": 0, "rx_errors": 0, "tx_errors": 0, "rx_dropped": 0, "tx_dropped": 0}},
    })
}

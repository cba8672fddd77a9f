//! `/_ping`, `/version` and `/info`: what clients ask first, to learn the API version and
//! what kind of engine answers; and `/events`, the journal `skiff events` follows.

use super::error::{ApiError, ApiResult};
use super::http::{Request, Sink};
use super::{Context, Reply, API_VERSION, MIN_API_VERSION};
use crate::container::list;
use serde_json::{json, Value};

pub fn ping<'a>(_: &'a Context, _: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    Ok(Reply::Text(
        vec![
            // The classic builder (`POST /build` with a tar context), no BuildKit session.
            ("Builder-Version", "1".into()),
            (
                "Cache-Control",
                "no-cache, no-store, must-revalidate".into(),
            ),
            ("Pragma", "no-cache".into()),
        ],
        "OK".into(),
    ))
}

/// `GET /system/df`: what `skiff system df` measures, in docker's shapes.
pub fn disk_usage<'a>(context: &'a Context, _: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let store = &context.store;
    let usage = crate::disk_usage::measure(store)?;
    let images: Vec<Value> = usage
        .images
        .iter()
        .map(|i| {
            let mut image =
                super::images::summary_json(&i.image, i.shared as i64, i.containers as i64);
            image["Size"] = json!(i.size);
            image["VirtualSize"] = json!(i.size);
            image
        })
        .collect();
    let containers: Vec<Value> = usage
        .containers
        .iter()
        .map(|c| {
            let mut container = super::containers::summary_json(store, &c.summary);
            container["SizeRw"] = json!(c.size);
            let image = crate::image::store::resolve(store, &c.summary.record.image_id);
            let image_size = image.map_or(0, |i| i.record.size);
            container["SizeRootFs"] = json!(c.size + image_size);
            container
        })
        .collect();
    let volumes: Vec<Value> = usage
        .volumes
        .iter()
        .map(|v| {
            let mut volume = v.volume.inspect_json(store);
            volume["UsageData"] = json!({"Size": v.size, "RefCount": v.links});
            volume
        })
        .collect();
    Ok(Reply::Json(
        200,
        json!({
            "LayersSize": usage.layers_total,
            "Images": images,
            "Containers": containers,
            "Volumes": volumes,
            "BuildCache": [],
        }),
    ))
}

/// `GET /plugins`: skiff has none; its volume and network drivers are built in.
pub fn plugins<'a>(_: &'a Context, _: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    Ok(Reply::Json(200, json!([])))
}

pub fn version<'a>(_: &'a Context, _: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let kernel = nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default();
    let version = env!("CARGO_PKG_VERSION");
    Ok(Reply::Json(
        200,
        json!({
            "Platform": {"Name": "skiff"},
            "Components": [{
                "Name": "Engine",
                "Version": version,
                "Details": {
                    "ApiVersion": API_VERSION,
                    "MinAPIVersion": MIN_API_VERSION,
                    "Os": "linux",
                    "Arch": crate::image::config::host_architecture(),
                    "KernelVersion": kernel,
                    "Experimental": "false",
                },
            }],
            "Version": version,
            "ApiVersion": API_VERSION,
            "MinAPIVersion": MIN_API_VERSION,
            "GitCommit": "",
            "GoVersion": "",
            "Os": "linux",
            "Arch": crate::image::config::host_architecture(),
            "KernelVersion": kernel,
            "Experimental": false,
            "BuildTime": "",
        }),
    ))
}

/// skiff's `info`, with the fields docker's SystemInfo has that clients read.
pub fn info<'a>(context: &'a Context, _: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let store = &context.store;
    let mut info = crate::host::info(store)?;
    let containers = list::all(store)?;
    let count = |word: &str| {
        containers
            .iter()
            .filter(|s| s.status_word() == word)
            .count()
    };
    let hostname = nix::unistd::gethostname()
        .map(|h| h.to_string_lossy().into_owned())
        .unwrap_or_default();
    let engine = json!({
        "ID": "",
        "Containers": containers.len(),
        "ContainersRunning": count("running"),
        "ContainersPaused": count("paused"),
        "ContainersStopped": containers.len() - count("running") - count("paused"),
        "Driver": "overlay",
        "DriverStatus": [["Backing Filesystem", "overlay (rootless, userxattr)"]],
        "DockerRootDir": store.root,
        "Name": hostname,
        "OSType": "linux",
        "OSVersion": "",
        "IndexServerAddress": "https://index.docker.io/v1/",
        "LoggingDriver": "json-file",
        "CgroupDriver": "none",
        "CgroupVersion": "2",
        "SecurityOptions": ["name=seccomp,profile=builtin", "name=rootless"],
        "Swarm": {"LocalNodeState": "inactive"},
        "Plugins": {"Volume": ["local"], "Network": ["bridge", "host", "none"], "Log": ["json-file", "none"]},
        "Runtimes": {"skiff": {"path": "skiff"}},
        "DefaultRuntime": "skiff",
        "Labels": [],
        "ExperimentalBuild": false,
        "Warnings": null,
    });
    if let (Value::Object(info), Value::Object(engine)) = (&mut info, engine) {
        info.extend(engine);
    }
    Ok(Reply::Json(200, info))
}

/// `GET /events?since&until&filters`: docker's event messages as JSON lines, followed until
/// `until` or until the client hangs up.
pub fn events<'a>(context: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let store = &context.store;
    let time = |key: &str| match request.param(key) {
        "" => Ok(None),
        text => crate::events::parse_time(text)
            .map(Some)
            .map_err(ApiError::bad_request),
    };
    let window = crate::events::Window {
        since: time("since")?,
        until: time("until")?,
    };
    let filters = super::containers::filter_strings(&request.json_param("filters")?)?;
    let filters =
        crate::events::EventFilters::parse(store, &filters).map_err(ApiError::bad_request)?;
    Ok(Reply::Stream {
        content_type: "application/json",
        headers: Vec::new(),
        body: Box::new(move |sink: &mut dyn Sink| {
            let sink = std::cell::RefCell::new(sink);
            crate::events::watch(
                store,
                &window,
                &filters,
                |e| sink.borrow_mut().json_line(&e.docker_json()),
                || sink.borrow().client_gone(),
            )
        }),
    })
}

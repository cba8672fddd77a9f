//! Images from containers and archives: `commit`, a container's `changes` and `export`, an
//! image's `history`, and `images/get` and `images/load` (docker's save and load), through
//! the same code as `skiff commit`, `diff`, `export`, `history`, `save` and `load`. What
//! reads or writes a container's files runs in a child skiff.

use super::containers::summary;
use super::error::{ApiError, ApiResult};
use super::http::{Request, Sink};
use super::{Context, Reply};
use crate::clock;
use crate::image::history;
use crate::image::store as images;
use serde_json::{json, Value};

/// `POST /commit?container=C&repo=R&tag=T&comment=&author=&pause=&changes=`.
pub fn commit<'a>(context: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, request.param("container"))?;
    let mut args = vec!["commit".to_string()];
    for (param, flag) in [("author", "--author"), ("comment", "--message")] {
        let value = request.param(param);
        if !value.is_empty() {
            args.extend([flag.to_string(), value.to_string()]);
        }
    }
    for change in request.params("changes") {
        // docker's clients send the changes one per line, or one per parameter.
        for line in change.lines().filter(|l| !l.trim().is_empty()) {
            args.extend(["--change".to_string(), line.to_string()]);
        }
    }
    let pause = request.param("pause").is_empty() || request.flag("pause");
    args.push(format!("--pause={pause}"));
    args.push(s.id().to_string());
    let reference = match (request.param("repo"), request.param("tag")) {
        ("", _) => None,
        (repo, "") => Some(repo.to_string()),
        (repo, tag) => Some(format!("{repo}:{tag}")),
    };
    args.extend(reference);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let id = context.skiff(&args)?;
    Ok(Reply::Json(201, json!({ "Id": id.trim() })))
}

/// `GET /containers/{id}/changes`: what `skiff diff` lists, with docker's kinds (0 changed,
/// 1 added, 2 deleted).
pub fn changes<'a>(context: &'a Context, _: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    let listed = context.skiff(&["diff", s.id()])?;
    let changes: Vec<Value> = listed
        .lines()
        .filter_map(|line| {
            let (kind, path) = line.split_once(' ')?;
            let kind = match kind {
                "C" => 0,
                "A" => 1,
                _ => 2,
            };
            Some(json!({ "Path": path, "Kind": kind }))
        })
        .collect();
    Ok(Reply::Json(200, json!(changes)))
}

/// `GET /containers/{id}/export`: the container's whole tree as a tar.
pub fn export<'a>(context: &'a Context, _: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    context.skiff_download(&["export", s.id()], "application/x-tar", Vec::new())
}

/// `GET /images/{name}/history`: newest step first, as docker's.
pub fn history<'a>(context: &'a Context, _: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let image = images::resolve(&context.store, name)?;
    let tags: Vec<String> = image.tags.iter().map(|t| t.familiar()).collect();
    let steps: Vec<Value> = history::steps(&context.store, &image)
        .into_iter()
        .map(|step| {
            let created = step
                .created
                .as_deref()
                .and_then(clock::parse_rfc3339)
                .map_or(0, |(seconds, _)| seconds);
            json!({
                "Id": step.image_id.as_deref().unwrap_or("<missing>"),
                "Created": created,
                "CreatedBy": step.created_by,
                "Tags": step.image_id.is_some().then_some(&tags),
                "Size": step.size,
                "Comment": step.comment,
            })
        })
        .collect();
    Ok(Reply::Json(200, json!(steps)))
}

/// `GET /images/get?names=A&names=B` and `GET /images/{name}/get`: `skiff save`'s tar.
pub fn save<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let names = match name {
        "" => request.params("names"),
        one => vec![one],
    };
    if names.is_empty() {
        return Err(ApiError::bad_request("no image names given"));
    }
    for name in &names {
        images::resolve(&context.store, name)?;
    }
    let mut args = vec!["save"];
    args.extend(names);
    context.skiff_download(&args, "application/x-tar", Vec::new())
}

/// `POST /images/load`: the uploaded archive, loaded by `skiff load`; its lines come back
/// as docker's `{"stream": ...}` messages.
pub fn load<'a>(context: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let upload = request
        .upload
        .as_ref()
        .ok_or_else(|| ApiError::bad_request("no archive was sent"))?;
    let path = upload.path.display().to_string();
    let loaded = context
        .skiff(&["load", "--input", &path])
        .map_err(|e| ApiError::bad_request(e.message))?;
    Ok(Reply::Stream {
        content_type: "application/json",
        headers: Vec::new(),
        body: Box::new(move |sink: &mut dyn Sink| {
            for line in loaded.lines() {
                sink.json_line(&json!({ "stream": format!("{line}\n") }))?;
            }
            Ok(())
        }),
    })
}

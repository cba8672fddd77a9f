//! `/containers/{id}/archive`: what `docker cp` asks. HEAD says what a path in the container
//! is, GET sends it as a tar, PUT unpacks an uploaded tar into a directory. Each is the
//! same copy `skiff cp` makes, in a child skiff (a running container is entered for a copy
//! in); the path's stat travels base64-encoded in `X-Docker-Container-Path-Stat`.

use super::containers::summary;
use super::error::{ApiError, ApiResult};
use super::http::Request;
use super::{Context, Reply};
use base64::Engine;
use serde_json::Value;

const STAT_HEADER: &str = "X-Docker-Container-Path-Stat";

/// `GET` (and `HEAD`) `/containers/{id}/archive?path=P`.
pub fn get<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    let path = wanted_path(request)?;
    let stat = path_stat(context, s.id(), path, name)?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(stat.to_string());
    let headers = vec![(STAT_HEADER, encoded)];
    if request.method == "HEAD" {
        return Ok(Reply::Text(headers, String::new()));
    }
    let source = format!("{}:{path}", s.id());
    context.skiff_download(&["cp", &source, "-"], "application/x-tar", headers)
}

/// `PUT /containers/{id}/archive?path=DIR`: the uploaded tar unpacked into directory DIR.
pub fn put<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let s = summary(context, name)?;
    let path = wanted_path(request)?;
    let upload = request
        .upload
        .as_ref()
        .ok_or_else(|| ApiError::bad_request("no archive was sent"))?;
    let stat = path_stat(context, s.id(), path, name)?;
    if stat["mode"]
        .as_u64()
        .is_none_or(|mode| mode & (1 << 31) == 0)
    {
        return Err(ApiError::bad_request(format!(
            "extraction point is not a directory: {path}"
        )));
    }
    let dest = format!("{}:{path}", s.id());
    context.skiff_from_file(&["cp", "-", &dest], &upload.path)?;
    Ok(Reply::Empty(200))
}

/// What `path` is in the container `id` (named `name` by the client); 404 when it has no
/// such path, which tells `docker cp` that a destination is new.
fn path_stat(context: &Context, id: &str, path: &str, name: &str) -> ApiResult<Value> {
    let stat = context.skiff(&["__path-stat", id, path]).map_err(|e| {
        match e.message.contains("Could not find the file") {
            true => ApiError::new(
                404,
                format!("Could not find the file {path} in container {name}"),
            ),
            false => e,
        }
    })?;
    Ok(serde_json::from_str(&stat)?)
}

fn wanted_path(request: &Request) -> ApiResult<&str> {
    match request.param("path") {
        "" => Err(ApiError::bad_request("a path is required")),
        path => Ok(path),
    }
}

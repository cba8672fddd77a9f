//! `/volumes`: list, create, inspect and remove, over the same volume code as `skiff volume`.

use super::containers::filter_strings;
use super::error::{ApiError, ApiResult};
use super::http::Request;
use super::{string_map, Context, Reply};
use crate::container::mounts;
use crate::volume::{self, NewVolume, VolumeFilters};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// `GET /volumes`, with `filters`.
pub fn list<'a>(context: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let store = &context.store;
    let filters = filter_strings(&request.json_param("filters")?)?;
    let filters = VolumeFilters::parse(&filters).map_err(ApiError::bad_request)?;
    let users = match filters.asks_use() {
        true => mounts::volume_users(store)?,
        false => BTreeMap::new(),
    };
    let volumes: Vec<Value> = volume::list(store)?
        .iter()
        .filter(|v| filters.keeps(v, |name| users.contains_key(name)))
        .map(|v| v.inspect_json(store))
        .collect();
    Ok(Reply::Json(
        200,
        json!({"Volumes": volumes, "Warnings": null}),
    ))
}

/// `POST /volumes/create`: `Name`, `Driver`, `DriverOpts`, `Labels`; an existing volume of
/// that name is answered as it is, as docker does.
pub fn create<'a>(context: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let body = request.json_body().map_err(ApiError::bad_request)?;
    volume::driver::check_name(body["Driver"].as_str().unwrap_or_default())
        .map_err(ApiError::bad_request)?;
    let new = NewVolume {
        name: body["Name"]
            .as_str()
            .filter(|n| !n.is_empty())
            .map(String::from),
        labels: string_map(&body, "Labels")?,
        options: string_map(&body, "DriverOpts")?,
    };
    let (created, _) = volume::create(&context.store, new).map_err(ApiError::bad_request)?;
    Ok(Reply::Json(201, created.inspect_json(&context.store)))
}

/// `GET /volumes/{name}`.
pub fn inspect<'a>(context: &'a Context, _: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let found = volume::load(&context.store, name)?;
    Ok(Reply::Json(200, found.inspect_json(&context.store)))
}

/// `DELETE /volumes/{name}`: refused while a container uses it; `force` ignores a missing one.
/// The removal itself runs in a child skiff: files of the container's users may need its
/// user namespace to go.
pub fn remove<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let store = &context.store;
    if let Err(e) = volume::load(store, name) {
        return match request.flag("force") {
            true => Ok(Reply::Empty(204)),
            false => Err(e.into()),
        };
    }
    if let Some(holders) = mounts::volume_users(store)?.get(name) {
        let ids: Vec<&str> = holders.iter().map(|(id, _)| id.as_str()).collect();
        return Err(ApiError::conflict(format!(
            "remove {name}: volume is in use - [{}]",
            ids.join(", ")
        )));
    }
    context.skiff(&["volume", "rm", name])?;
    Ok(Reply::Empty(204))
}

//! The prunes: `/containers/prune`, `/images/prune`, `/volumes/prune`, `/build/prune` and
//! `/networks/prune`, the same decisions `skiff … prune` makes. Those that remove files run
//! in a child skiff (`__prune`), which answers what went as JSON.

use super::containers::filter_strings;
use super::error::{ApiError, ApiResult};
use super::http::Request;
use super::{Context, Reply};
use crate::filter::PruneFilters;
use crate::prune::{self, Kind, Pruned};
use serde_json::{json, Value};

/// `POST /containers/prune`: the stopped containers.
pub fn containers<'a>(context: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    listed(context, request, "containers", "ContainersDeleted")
}

/// `POST /images/prune`: the dangling images, or every unused one with `dangling=false`.
pub fn images<'a>(context: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let pruned = in_child(context, "images", request)?;
    let deleted: Vec<Value> = pruned
        .removed
        .iter()
        .map(|line| match line.split_once(": ") {
            Some(("untagged", what)) => json!({ "Untagged": what }),
            Some((_, what)) => json!({ "Deleted": what }),
            None => json!({ "Deleted": line }),
        })
        .collect();
    Ok(answer("ImagesDeleted", json!(deleted), pruned.reclaimed))
}

/// `POST /volumes/prune`: the anonymous volumes no container uses, or named ones too with
/// `all=true` (docker's rule since API 1.42).
pub fn volumes<'a>(context: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    listed(context, request, "volumes", "VolumesDeleted")
}

/// `POST /build/prune`: the build cache.
pub fn build_cache<'a>(
    context: &'a Context,
    request: &'a Request,
    _: &str,
) -> ApiResult<Reply<'a>> {
    listed(context, request, "build-cache", "CachesDeleted")
}

/// `POST /networks/prune`: removing a network is store work alone, done here.
pub fn networks<'a>(context: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let (_, filters) = split_filters(request)?;
    let filters = PruneFilters::parse(&filters).map_err(ApiError::bad_request)?;
    let pruned = prune::prune(&context.store, Kind::Networks, false, &filters)?;
    Ok(Reply::Json(
        200,
        json!({ "NetworksDeleted": pruned.removed }),
    ))
}

/// A prune whose answer lists what went by id or name, under `field`.
fn listed<'a>(
    context: &Context,
    request: &Request,
    kind: &str,
    field: &str,
) -> ApiResult<Reply<'a>> {
    let pruned = in_child(context, kind, request)?;
    Ok(answer(field, json!(pruned.removed), pruned.reclaimed))
}

fn answer(field: &str, deleted: Value, reclaimed: u64) -> Reply<'static> {
    Reply::Json(200, json!({ field: deleted, "SpaceReclaimed": reclaimed }))
}

/// Runs `__prune KIND` with the request's filters.
fn in_child(context: &Context, kind: &str, request: &Request) -> ApiResult<Pruned> {
    let (all, filters) = split_filters(request)?;
    // Checked here, so that a bad filter is the client's 400, not the child's failure.
    PruneFilters::parse(&filters).map_err(ApiError::bad_request)?;
    let mut args = vec!["__prune", kind];
    if all {
        args.push("--all");
    }
    for filter in &filters {
        args.extend(["--filter", filter]);
    }
    Ok(serde_json::from_str(&context.skiff(&args)?)?)
}

/// The request's filters, with the two that widen a prune (`dangling=false` for images,
/// `all=true` for volumes) taken out as one flag.
fn split_filters(request: &Request) -> ApiResult<(bool, Vec<String>)> {
    let mut all = false;
    let mut rest = Vec::new();
    for filter in filter_strings(&request.json_param("filters")?)? {
        match filter.as_str() {
            "dangling=false" | "dangling=0" | "all=true" | "all=1" => all = true,
            "dangling=true" | "dangling=1" | "all=false" | "all=0" => {}
            _ => rest.push(filter),
        }
    }
    Ok((all, rest))
}

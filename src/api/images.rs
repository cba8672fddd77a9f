//! `/images/...`: listing, inspecting, tagging and removing images through the image store's
//! own calls. Removal runs as a child skiff process: deleting layers a user namespace owns is
//! namespace work.

use super::error::{ApiError, ApiResult};
use super::http::Request;
use super::{Context, Reply};
use crate::image::filter::ImageFilters;
use crate::image::reference::Reference;
use crate::image::store as images;
use serde_json::{json, Value};

/// `GET /images/json`: the images `filters` keep, newest first, with their tags and digests;
/// with a reference filter, only the tags it matches (as docker's).
pub fn list<'a>(context: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let filters = super::containers::filter_strings(&request.json_param("filters")?)?;
    let filters = ImageFilters::parse(&context.store, &filters).map_err(ApiError::bad_request)?;
    let mut all: Vec<images::Image> = images::list(&context.store)?
        .into_iter()
        .filter(|image| filters.keeps_image(image))
        .filter_map(|mut image| {
            if filters.names_references() {
                image.tags.retain(|t| filters.keeps_reference(t));
                if image.tags.is_empty() {
                    return None;
                }
            }
            Some(image)
        })
        .collect();
    all.sort_by(|a, b| {
        b.created()
            .cmp(&a.created())
            .then_with(|| a.id().cmp(b.id()))
    });
    let items: Vec<Value> = all
        .iter()
        .map(|image| summary_json(image, -1, -1))
        .collect();
    Ok(Reply::Json(200, Value::Array(items)))
}

/// One image as `GET /images/json` lists it; the shared size and container count are -1
/// where they were not counted, as docker's.
pub fn summary_json(image: &images::Image, shared: i64, containers: i64) -> Value {
    json!({
        "Id": image.id(),
        "ParentId": "",
        "RepoTags": image.tags.iter().map(|t| t.familiar()).collect::<Vec<_>>(),
        "RepoDigests": image.record.repo_digests,
        "Created": image.created().0,
        "Size": image.record.size,
        "VirtualSize": image.record.size,
        "SharedSize": shared,
        "Labels": image.config.config.labels,
        "Containers": containers,
    })
}

/// `POST /images/create?fromImage=NAME&tag=TAG`: a pull, in a child skiff process (layers are
/// extracted in the user namespace), whose docker-shaped JSON progress lines are relayed as
/// they come.
pub fn pull<'a>(context: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    if !request.param("fromSrc").is_empty() {
        return Err(ApiError::new(
            501,
            "importing with fromSrc is not served yet: use skiff import",
        ));
    }
    let reference = match (request.param("fromImage"), request.param("tag")) {
        ("", _) => return Err(ApiError::bad_request("fromImage is required")),
        (image, "") => image.to_string(),
        (image, digest) if digest.contains(':') => format!("{image}@{digest}"),
        (image, tag) => format!("{image}:{tag}"),
    };
    Reference::parse(&reference).map_err(ApiError::bad_request)?;
    let mut args = vec!["pull", "--json-progress"];
    let platform = request.param("platform");
    if !platform.is_empty() {
        args.extend(["--platform", platform]);
    }
    args.push(&reference);
    // Its standard output is docker's JSON progress lines, passed on as they come.
    context.skiff_download(&args, "application/json", Vec::new())
}

/// `POST /images/{name}/push?tag=T`: `skiff push`, its progress streamed as docker's.
pub fn push<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let reference = match request.param("tag") {
        "" => name.to_string(),
        tag => format!("{name}:{tag}"),
    };
    images::resolve(&context.store, &reference)?;
    context.skiff_download(
        &["push", "--json-progress", &reference],
        "application/json",
        Vec::new(),
    )
}

/// `GET /images/{name}/json`: what `skiff inspect` prints for an image.
pub fn inspect<'a>(context: &'a Context, _: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let image = images::resolve(&context.store, name)?;
    Ok(Reply::Json(
        200,
        crate::image::inspect::inspect_json(&context.store, &image),
    ))
}

/// `POST /images/{name}/tag?repo=R&tag=T`.
pub fn tag<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    images::resolve(&context.store, name)?;
    let target = match (request.param("repo"), request.param("tag")) {
        ("", _) => {
            return Err(ApiError::bad_request(
                "repository name must have at least one component",
            ))
        }
        (repo, "") => repo.to_string(),
        (repo, tag) => format!("{repo}:{tag}"),
    };
    images::tag(&context.store, name, &target).map_err(ApiError::bad_request)?;
    Ok(Reply::Empty(201))
}

/// `DELETE /images/{name}`: untags, and deletes once no tag is left, as `skiff rmi` does;
/// answers with what it untagged and deleted.
pub fn remove<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    images::resolve(&context.store, name)?;
    let mut args = vec!["rmi"];
    if request.flag("force") {
        args.push("--force");
    }
    args.push(name);
    let out = context.skiff(&args).map_err(|e| {
        if e.message.starts_with("conflict:") {
            ApiError::conflict(e.message)
        } else {
            e
        }
    })?;
    Ok(Reply::Json(200, Value::Array(removal_report(&out))))
}

/// `rmi`'s `Untagged: X` and `Deleted: Y` lines as docker's `[{"Untagged": X}, {"Deleted": Y}]`.
fn removal_report(lines: &str) -> Vec<Value> {
    lines
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(what, item)| json!({ what: item }))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn removal_lines_become_docker_objects() {
        let report = super::removal_report("Untagged: busybox:test\nDeleted: sha256:ab\n");
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            r#"[{"Untagged":"busybox:test"},{"Deleted":"sha256:ab"}]"#
        );
    }
}

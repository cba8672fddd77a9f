//! `/networks`: list, inspect, create, remove, connect and disconnect, over the same network
//! code as `skiff network`.

use super::containers::filter_strings;
use super::error::{ApiError, ApiResult};
use super::http::Request;
use super::{string_map, Context, Reply};
use crate::container::network_list::{Listed, NetworkFilters};
use crate::net::network::{self, NewNetwork};
use serde_json::{json, Value};

/// `GET /networks`, with `filters`.
pub fn list<'a>(context: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let store = &context.store;
    let filters = filter_strings(&request.json_param("filters")?)?;
    let filters = NetworkFilters::parse(&filters).map_err(ApiError::bad_request)?;
    let networks = filters
        .select(store)?
        .iter()
        .map(|n| n.inspect_json(store))
        .collect::<anyhow::Result<Vec<Value>>>()?;
    Ok(Reply::Json(200, Value::Array(networks)))
}

/// `GET /networks/{id}`.
pub fn inspect<'a>(context: &'a Context, _: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let found = Listed::find(&context.store, name)?;
    Ok(Reply::Json(200, found.inspect_json(&context.store)?))
}

/// `POST /networks/create`: `Name`, `Driver`, `Internal`, `Attachable`, `Labels`,
/// `Options`, and the first IPv4 entry of `IPAM.Config`.
pub fn create<'a>(context: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let body = request.json_body().map_err(ApiError::bad_request)?;
    let name = body["Name"].as_str().unwrap_or_default();
    if network::is_builtin_name(name) {
        return Err(ApiError::new(
            403,
            format!("{name} is a pre-defined network and cannot be created"),
        ));
    }
    if network::load(&context.store, name).is_ok_and(|n| n.name == name) {
        return Err(ApiError::conflict(format!(
            "network with name {name} already exists"
        )));
    }
    if body["EnableIPv6"].as_bool() == Some(true) {
        return Err(ApiError::bad_request(
            "IPv6 is not supported: skiff networks are IPv4 only",
        ));
    }
    let ipam = body["IPAM"]["Config"]
        .as_array()
        .and_then(|configs| configs.iter().find(|c| !is_ipv6(c)))
        .cloned()
        .unwrap_or(Value::Null);
    let text = |value: &Value| value.as_str().filter(|s| !s.is_empty()).map(String::from);
    let new = NewNetwork {
        name: name.to_string(),
        subnet: text(&ipam["Subnet"]),
        gateway: text(&ipam["Gateway"]),
        ip_range: text(&ipam["IPRange"]),
        internal: body["Internal"].as_bool().unwrap_or(false),
        attachable: body["Attachable"].as_bool().unwrap_or(false),
        labels: string_map(&body, "Labels")?,
        options: string_map(&body, "Options")?,
        driver: text(&body["Driver"]),
    };
    let created = network::create(&context.store, new).map_err(ApiError::bad_request)?;
    Ok(Reply::Json(201, json!({"Id": created.id, "Warning": ""})))
}

fn is_ipv6(config: &Value) -> bool {
    config["Subnet"].as_str().is_some_and(|s| s.contains(':'))
}

/// `DELETE /networks/{id}`: refused for the predefined networks and while a running
/// container is attached (403, as docker's).
pub fn remove<'a>(context: &'a Context, _: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    if let Listed::Builtin { name, .. } = Listed::find(&context.store, name)? {
        return Err(ApiError::new(
            403,
            format!("{name} is a pre-defined network and cannot be removed"),
        ));
    }
    network::remove(&context.store, name).map_err(|e| ApiError::new(403, format!("{e:#}")))?;
    Ok(Reply::Empty(204))
}

/// `POST /networks/{id}/connect`: `Container`, and `EndpointConfig`'s aliases and address.
/// It runs in a child skiff: a running container gets its interface at once, which is
/// namespace work.
pub fn connect<'a>(context: &'a Context, request: &'a Request, name: &str) -> ApiResult<Reply<'a>> {
    let body = request.json_body().map_err(ApiError::bad_request)?;
    let network = network::load(&context.store, name)?;
    let container = container_of(&body)?;
    let endpoint = &body["EndpointConfig"];
    let mut args = vec!["network", "connect"];
    for alias in endpoint["Aliases"].as_array().into_iter().flatten() {
        args.extend(["--alias", alias.as_str().unwrap_or_default()]);
    }
    if let Some(ip) = endpoint["IPAMConfig"]["IPv4Address"]
        .as_str()
        .filter(|ip| !ip.is_empty())
    {
        args.extend(["--ip", ip]);
    }
    args.extend([network.id.as_str(), container]);
    context.skiff(&args)?;
    Ok(Reply::Empty(200))
}

/// `POST /networks/{id}/disconnect`: `Container` (and `Force`, which changes nothing here:
/// a container's endpoint always goes).
pub fn disconnect<'a>(
    context: &'a Context,
    request: &'a Request,
    name: &str,
) -> ApiResult<Reply<'a>> {
    let body = request.json_body().map_err(ApiError::bad_request)?;
    let network = network::load(&context.store, name)?;
    let container = container_of(&body)?;
    context.skiff(&["network", "disconnect", &network.id, container])?;
    Ok(Reply::Empty(200))
}

fn container_of(body: &Value) -> ApiResult<&str> {
    body["Container"]
        .as_str()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| ApiError::bad_request("no container given"))
}

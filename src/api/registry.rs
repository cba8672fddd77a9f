//! `/auth` and `/images/search`: what the docker CLI asks of registries through the engine,
//! answered by the same registry code as `skiff login` and `skiff search`. Neither touches
//! the store: the docker CLI keeps the credentials it checked in its own config.

use super::error::{ApiError, ApiResult};
use super::http::Request;
use super::{Context, Reply};
use crate::registry::config::Settings;
use crate::registry::credentials::Credentials;
use crate::registry::{login, search};
use serde_json::{json, Value};

/// `POST /auth`: `username`, `password` and `serveraddress`, checked against the registry.
pub fn auth<'a>(_: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let body = request.json_body().map_err(ApiError::bad_request)?;
    let text = |key: &str| body[key].as_str().unwrap_or_default().to_string();
    let server = text("serveraddress");
    let domain = login::domain_of((!server.is_empty()).then_some(server.as_str()))
        .map_err(ApiError::bad_request)?;
    let credentials = Credentials {
        username: text("username"),
        secret: text("password"),
    };
    login::verify(&domain, &credentials, &Settings::load()?)
        .map_err(|e| ApiError::new(401, format!("{e:#}")))?;
    Ok(Reply::Json(
        200,
        json!({"Status": "Login Succeeded", "IdentityToken": ""}),
    ))
}

/// `GET /images/search?term=T&limit=N`.
pub fn search<'a>(_: &'a Context, request: &'a Request, _: &str) -> ApiResult<Reply<'a>> {
    let term = request.param("term");
    if term.is_empty() {
        return Err(ApiError::bad_request("a search term is required"));
    }
    let limit = match request.param("limit") {
        "" => 25,
        text => text
            .parse()
            .map_err(|_| ApiError::bad_request(format!("invalid limit {text:?}")))?,
    };
    let found = search::search(term, limit, &Settings::load()?)?;
    let results: Vec<Value> = found
        .into_iter()
        .map(|f| {
            json!({
                "name": f.name,
                "description": f.description,
                "star_count": f.star_count,
                "is_official": f.is_official,
                "is_automated": f.is_automated,
            })
        })
        .collect();
    Ok(Reply::Json(200, json!(results)))
}

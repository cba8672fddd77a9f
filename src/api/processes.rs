//! A running container's processes: `pause`, `unpause` and `top`, through the same core
//! calls as `skiff pause` and `skiff top`. Freezing and signalling need no namespace, so
//! they run here.

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

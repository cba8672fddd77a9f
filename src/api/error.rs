//! Errors as docker's clients read them: `{"message": ...}` with docker's status codes. The
//! "No such container/image" 404s matter most: the docker CLI and docker-py pull and retry
//! on them.

use crate::store::NotFound;
use serde_json::{json, Value};

#[derive(Debug)]
pub struct ApiError {
    pub status: u16,
    pub message: String,
}

pub type ApiResult<T> = std::result::Result<T, ApiError>;

impl ApiError {
    pub fn new(status: u16, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl std::fmt::Display) -> ApiError {
        ApiError::new(400, message.to_string())
    }

    pub fn conflict(message: impl std::fmt::Display) -> ApiError {
        ApiError::new(409, message.to_string())
    }

    pub fn body(&self) -> Value {
        json!({ "message": self.message })
    }
}

/// A core error: a failed lookup is a 404, anything else the server's own failure.
impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> ApiError {
        let status = if e.downcast_ref::<NotFound>().is_some() {
            404
        } else {
            500
        };
        ApiError::new(status, format!("{e:#}"))
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> ApiError {
        ApiError::bad_request(e)
    }
}

/// An error after a stream began: it travels inside the stream, as docker's do.
pub fn in_stream(message: &str) -> Value {
    json!({ "error": message, "errorDetail": { "message": message } })
}

//! The HTTP edge: reading a JSON body (content type, size, time), turning
//! a service [`Reply`] or [`ServiceError`] into a response, and giving the
//! bodiless refusals of the layers (timeouts, limits, unknown routes) the
//! same `{"error":{…}}` shape.

use crate::service::{Code, Reply, ServiceError};
use axum::body::{Body, Bytes};
use axum::http::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use axum::http::{Response, StatusCode};
use axum::response::IntoResponse;
use serde_json::Value;
use std::time::Duration;

/// The largest body accepted: 1 MiB.
pub const MAX_BODY: usize = 1 << 20;

/// How long a client may take to send its body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// A refusal as a response.
pub struct ApiError(pub ServiceError);

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> ApiError {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response<Body> {
        reply(Reply::error(&self.0))
    }
}

/// A reply as a response: its status, its JSON body, and
/// `Idempotent-Replayed: true` when it was replayed.
pub fn reply(reply: Reply) -> Response<Body> {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if reply.replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    response
}

/// Reads a JSON request body: `application/json` (415 otherwise), at most
/// [`MAX_BODY`] bytes (413: tower-http's `RequestBodyLimitLayer` refuses a
/// longer declared length before the handler runs, and limits the body
/// read here), sent within [`BODY_TIMEOUT`] (408), valid JSON (400
/// `invalid_json`). An empty body without a content type is
/// `{}` (for `settle` and `release`, whose fields are all optional).
pub async fn json_body(headers: &HeaderMap, body: Body) -> Result<(Value, Bytes), ApiError> {
    let read = tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY)).await;
    let bytes = match read {
        Err(_) => {
            return Err(ServiceError::new(
                Code::RequestTimeout,
                "the request body came too slowly",
            )
            .into());
        }
        Ok(Err(_)) => {
            return Err(ServiceError::new(
                Code::PayloadTooLarge,
                format!("the body is larger than {MAX_BODY} bytes"),
            )
            .into());
        }
        Ok(Ok(bytes)) => bytes,
    };
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let is_json = content_type.is_some_and(|t| {
        let essence = t.split(';').next().unwrap_or("").trim();
        essence.eq_ignore_ascii_case("application/json")
    });
    if bytes.is_empty() && content_type.is_none() {
        return Ok((Value::Object(serde_json::Map::new()), bytes));
    }
    if !is_json {
        return Err(ServiceError::new(
            Code::UnsupportedMediaType,
            "send the body as Content-Type: application/json",
        )
        .into());
    }
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        ServiceError::new(
            Code::Core(crate::ErrorCode::InvalidJson),
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    Ok((value, bytes))
}

/// Gives a bodiless error response from a layer (a timeout, an unknown
/// route, a wrong method) the JSON error shape, keyed by its status.
pub fn with_error_body(response: Response<Body>) -> Response<Body> {
    let status = response.status();
    let has_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if !status.is_client_error() && !status.is_server_error() || has_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => (Code::NotFound, "no such route"),
        StatusCode::METHOD_NOT_ALLOWED => (
            Code::MethodNotAllowed,
            "this route does not take this method",
        ),
        StatusCode::REQUEST_TIMEOUT => (Code::RequestTimeout, "the request took too long"),
        StatusCode::PAYLOAD_TOO_LARGE => (Code::PayloadTooLarge, "the body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (Code::UnsupportedMediaType, "send application/json"),
        StatusCode::SERVICE_UNAVAILABLE => (Code::Unavailable, "the service is unavailable"),
        _ => (Code::Internal, "the request failed"),
    };
    let mut out = reply(Reply::error(&ServiceError::new(code, message)));
    *out.status_mut() = status;
    for (name, value) in response.headers() {
        if name != CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

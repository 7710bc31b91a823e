//! The HTTP API: one [`Router`] built by [`crate::app`], every route listed once in
//! a route table ([`route_table`]) so that the OpenAPI document (`openapi.json`, served at `/openapi.json`) can be
//! checked against it.
//!
//! Handlers are thin: they extract, call the domain modules (ingest,
//! [`crate::admin`], the repositories) and shape JSON. Every error is an
//! [`ApiError`] with a JSON body, including unknown routes (404),
//! wrong methods (405) and unreadable bodies.

mod enroll;
mod merchant;
mod receipts;
pub(crate) mod verify;

use crate::config::Limits;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::http::{Method, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{MethodFilter, on};
use axum::{Json, Router};

/// The OpenAPI 3.1 document of this API.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The largest image `POST /v1/verify` accepts.
const MAX_IMAGE_BYTES: usize = 16 * 1024 * 1024;

/// Builds the router and remembers each route's method and path.
struct Routes {
    router: Router<AppState>,
    table: Vec<(Method, &'static str)>,
}

impl Routes {
    fn add<H, T>(mut self, method: Method, path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter =
            MethodFilter::try_from(method.clone()).expect("the API uses standard methods only");
        self.table.push((method, path));
        self.router = self.router.route(path, on(filter, handler));
        self
    }
}

fn routes(limits: Limits) -> Routes {
    let envelope_limit = DefaultBodyLimit::max(limits.max_envelope_bytes);
    let image_limit = DefaultBodyLimit::max(MAX_IMAGE_BYTES);
    Routes {
        router: Router::new(),
        table: Vec::new(),
    }
    .add(Method::GET, "/healthz", health)
    .add(Method::GET, "/openapi.json", openapi)
    .add(Method::POST, "/v1/enrollments", enroll::enroll)
    .add(
        Method::PUT,
        "/v1/receipts/{receipt_id}",
        receipts::put.layer(envelope_limit),
    )
    .add(
        Method::POST,
        "/v1/verify",
        verify::verify.layer(image_limit),
    )
    .add(Method::GET, "/v1/merchant/receipts", merchant::list)
    .add(
        Method::GET,
        "/v1/merchant/receipts/{receipt_id}",
        merchant::detail,
    )
    .add(
        Method::GET,
        "/v1/merchant/receipts/{receipt_id}/image",
        merchant::image,
    )
    .add(Method::GET, "/v1/merchant/export.csv", merchant::export)
    .add(Method::GET, "/v1/merchant/terminals", merchant::terminals)
}

/// The application: every route, JSON errors for unknown routes and methods.
pub(crate) fn app(state: AppState) -> Router {
    let limits = state.limits();
    routes(limits)
        .router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

/// Every route of the API as (method, path template), in the order they are added.
pub fn route_table() -> Vec<(Method, &'static str)> {
    routes(Limits::default()).table
}

async fn health() -> impl IntoResponse {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn not_found() -> ApiError {
    ApiError::not_found()
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this method is not allowed here",
    )
}

/// A request body that could not be read: 413 when over the route's limit, 400 otherwise.
fn body_error(rejection: &axum::extract::rejection::BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the body is larger than this endpoint accepts",
        )
    } else {
        ApiError::bad_request("unreadable_body", "the request body could not be read")
    }
}

/// Whether the request's media type (parameters ignored) is one of `accepted`.
fn media_type_is(headers: &axum::http::HeaderMap, accepted: &[&str]) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| accepted.iter().any(|a| t.trim().eq_ignore_ascii_case(a)))
}

fn unsupported_media_type(expected: &'static str) -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        expected,
    )
}

/// An RFC 3339 UTC time from Unix seconds.
fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

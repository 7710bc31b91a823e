//! The customer-facing pages, rendered on the server from templates compiled into the binary
//! (askama, `platform/templates/web/`): no script, no front-end build, usable on a phone.
//!
//! | route | what |
//! |---|---|
//! | `GET /` | sign-in (request a code, sign in) or, signed in, the customer's receipts |
//! | `POST /code`, `POST /login`, `POST /logout` | the sign-in forms |
//! | `GET /receipts/{id}`, `…/receipt.png` | one of the signed-in customer's receipts, its PNG |
//! | `GET /r/{token}`, `…/receipt.png` | a receipt by the link in a text or e-mail |
//! | `GET /m/{token}.png` | the PNG for an MMS gateway |
//! | `GET /verify`, `POST /verify` | upload a receipt image, see the verdict and altered areas |
//! | `GET /lang/{en,zh}` | switch the language (cookie) |
//!
//! Every page is in English and Chinese (the language cookie, else `Accept-Language`). Every
//! form carries a CSRF token ([`session`]); pages are `no-store` and sent with a strict
//! content security policy and `Referrer-Policy: no-referrer`, so a link's token never leaks
//! to another site. Security decisions are in docs/PLATFORM.md ("Delivery and the portal").

pub(crate) mod codes;
pub(crate) mod i18n;
mod portal;
mod session;
mod verify;

use crate::error::PlatformError;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use i18n::{Lang, Texts};
use session::Visitor;

/// The largest image the verify page accepts.
const MAX_UPLOAD_BYTES: usize = 16 * 1024 * 1024;

/// The pages' router.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(portal::home))
        .route("/code", post(portal::request_code))
        .route("/login", post(portal::login))
        .route("/logout", post(portal::logout))
        .route("/receipts/{id}", get(portal::receipt))
        .route("/receipts/{id}/receipt.png", get(portal::receipt_png))
        .route("/r/{token}", get(portal::link))
        .route("/r/{token}/receipt.png", get(portal::link_png))
        .route("/m/{token}", get(portal::media))
        .route("/lang/{code}", get(portal::switch_lang))
        .route(
            "/verify",
            get(verify::form)
                .post(verify::check)
                .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
        )
        .with_state(state)
}

/// What every page's frame shows: language, switch, CSRF token.
#[derive(Debug)]
pub(crate) struct Chrome {
    lang_html: &'static str,
    t: &'static Texts,
    other_code: &'static str,
    other_name: &'static str,
    csrf: String,
}

impl Chrome {
    fn of(state: &AppState, visitor: &Visitor) -> Self {
        let other = visitor.lang.other();
        Chrome {
            lang_html: visitor.lang.html(),
            t: visitor.lang.texts(),
            other_code: other.code(),
            other_name: other.texts().switch_name,
            csrf: visitor.csrf(state),
        }
    }
}

#[derive(Template)]
#[template(path = "web/message.html")]
struct MessagePage<'a> {
    c: &'a Chrome,
    message: &'a str,
}

/// A page as an answer: the visitor's cookies and the security headers.
fn page(visitor: &Visitor, status: StatusCode, html: Result<String, askama::Error>) -> Response {
    let Ok(html) = html else {
        tracing::error!("a page template failed to render");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut response = (status, axum::response::Html(html)).into_response();
    with_cookies(visitor, &mut response);
    response
}

/// Adds the visitor's cookies and the security headers of every page answer.
fn with_cookies(visitor: &Visitor, response: &mut Response) {
    let headers = response.headers_mut();
    for cookie in &visitor.set_cookies {
        headers.append(header::SET_COOKIE, cookie.clone());
    }
    let fixed = [
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// A page with one message (not found, expired form, too many requests, internal error).
fn message(state: &AppState, visitor: &Visitor, status: StatusCode, text: &str) -> Response {
    let c = Chrome::of(state, visitor);
    page(
        visitor,
        status,
        MessagePage {
            c: &c,
            message: text,
        }
        .render(),
    )
}

/// A page for an internal failure: logged, generic to the visitor.
fn internal(state: &AppState, visitor: &Visitor, error: &PlatformError) -> Response {
    tracing::error!(%error, "page failed");
    message(
        state,
        visitor,
        StatusCode::INTERNAL_SERVER_ERROR,
        visitor.lang.texts().internal,
    )
}

/// A `303 See Other` to `to`, with the visitor's cookies.
fn redirect(visitor: &Visitor, to: &'static str) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
    with_cookies(visitor, &mut response);
    response
}

/// The language of a visitor when even reading the visitor failed.
fn fallback(error: &PlatformError) -> Response {
    tracing::error!(%error, "page failed before the visitor was known");
    (StatusCode::INTERNAL_SERVER_ERROR, Lang::En.texts().internal).into_response()
}

//! The customer portal: one-time code, sign-in, the receipts delivered to the customer's
//! number, one receipt and its PNG; receipts by link; the MMS image.
//!
//! Access is decided in SQL: a signed-in customer's receipts are those whose delivery row
//! carries the session's number hash, so another customer's receipt id (guessed or not) is
//! answered exactly like an unknown one (404).

use super::codes::{self, Verdict};
use super::i18n::Lang;
use super::session::{Visitor, within_hourly_limit};
use super::{Chrome, fallback, internal, message, page, redirect, with_cookies};
use crate::db::receipts::ReceiptRow;
use crate::delivery::{ReceiptView, queue};
use crate::error::PlatformError;
use crate::secret::sha256_hex;
use crate::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ereceipt_core::seal::Delivery;
use serde::Deserialize;

/// Code requests per number per hour.
const CODES_PER_NUMBER_HOUR: i64 = 5;
/// Code requests per client address per hour.
const CODES_PER_CLIENT_HOUR: i64 = 20;
/// Sign-in attempts per client address per hour.
const LOGINS_PER_CLIENT_HOUR: i64 = 30;

#[derive(Template)]
#[template(path = "web/signin.html")]
struct SignInPage<'a> {
    c: &'a Chrome,
    phone: &'a str,
    notice: Option<&'a str>,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "web/list.html")]
struct ListPage<'a> {
    c: &'a Chrome,
    receipts: &'a [ReceiptView],
}

#[derive(Template)]
#[template(path = "web/receipt.html")]
struct ReceiptPage<'a> {
    c: &'a Chrome,
    view: &'a ReceiptView,
    image_url: &'a str,
    signed_in: bool,
}

/// The sign-in forms.
#[derive(Debug, Deserialize)]
pub(super) struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    code: String,
}

/// A form with only the CSRF token.
#[derive(Debug, Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `?download=1` on an image asks for an attachment.
#[derive(Debug, Deserialize)]
pub(super) struct ImageQuery {
    download: Option<String>,
}

/// Runs a page handler with its visitor; internal errors become the generic error page.
macro_rules! with_visitor {
    ($state:expr, $headers:expr, $extensions:expr, |$v:ident| $body:expr) => {{
        #[allow(unused_mut, reason = "only some pages change the visitor")]
        let mut $v = match Visitor::of(&$state, &$headers, &$extensions).await {
            Ok(v) => v,
            Err(e) => return fallback(&e),
        };
        let result: Result<Response, PlatformError> = async { $body }.await;
        match result {
            Ok(response) => response,
            Err(e) => internal(&$state, &$v, &e),
        }
    }};
}

fn sign_in_page(
    state: &AppState,
    v: &Visitor,
    status: StatusCode,
    phone: &str,
    notice: Option<&str>,
    error: Option<&str>,
) -> Response {
    let c = Chrome::of(state, v);
    let html = SignInPage {
        c: &c,
        phone,
        notice,
        error,
    }
    .render();
    page(v, status, html)
}

/// `GET /`: the receipts of the signed-in customer, or the sign-in forms.
pub(super) async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
) -> Response {
    with_visitor!(state, headers, extensions, |v| {
        let Some(phone_hash) = v.phone_hash() else {
            return Ok(sign_in_page(&state, &v, StatusCode::OK, "", None, None));
        };
        let rows = queue::receipts_of_phone(state.db().read(), phone_hash).await?;
        let receipts: Vec<ReceiptView> = rows.iter().map(ReceiptView::of).collect();
        let c = Chrome::of(&state, &v);
        let html = ListPage {
            c: &c,
            receipts: &receipts,
        }
        .render();
        Ok(page(&v, StatusCode::OK, html))
    })
}

/// The normalised number of a form, or `None`.
fn phone(input: &str) -> Option<String> {
    Delivery::parse(&format!("pull:{}", input.trim()))
        .ok()
        .map(|d| d.address().to_owned())
}

/// `POST /code`: texts a code to a number that has receipts. The answer is the same whether
/// or not it has any, so the form does not reveal who shops where.
pub(super) async fn request_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<SignInForm>,
) -> Response {
    with_visitor!(state, headers, extensions, |v| {
        let t = v.lang.texts();
        if !v.csrf_ok(&state, &form.csrf) {
            return Ok(message(&state, &v, StatusCode::FORBIDDEN, t.expired_form));
        }
        let Some(number) = phone(&form.phone) else {
            let status = StatusCode::BAD_REQUEST;
            return Ok(sign_in_page(
                &state,
                &v,
                status,
                &form.phone,
                None,
                Some(t.bad_phone),
            ));
        };
        let hash = state.courier().keys().phone_hash(&number);
        let client = format!("code-client:{}", v.client);
        if !within_hourly_limit(&state, &client, CODES_PER_CLIENT_HOUR).await?
            || !within_hourly_limit(&state, &format!("code-phone:{hash}"), CODES_PER_NUMBER_HOUR)
                .await?
        {
            return Ok(message(
                &state,
                &v,
                StatusCode::TOO_MANY_REQUESTS,
                t.too_many,
            ));
        }
        if queue::phone_known(state.db().read(), &hash).await? {
            send_code(&state, &hash, &number, v.lang).await?;
        }
        let notice = Some(t.code_sent);
        Ok(sign_in_page(
            &state,
            &v,
            StatusCode::OK,
            &number,
            notice,
            None,
        ))
    })
}

async fn send_code(
    state: &AppState,
    hash: &str,
    number: &str,
    lang: Lang,
) -> Result<(), PlatformError> {
    let Some(code) = codes::issue(state, hash).await? else {
        return Ok(());
    };
    let text = crate::delivery::Text {
        to: number.to_owned(),
        body: format!("{} {code}", lang.texts().code_message),
        media_url: None,
    };
    if state.courier().send_text("code", &text).await.is_err() {
        tracing::warn!("a login code could not be sent");
    }
    Ok(())
}

/// `POST /login`: number and code; a session on success.
pub(super) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<SignInForm>,
) -> Response {
    with_visitor!(state, headers, extensions, |v| {
        let t = v.lang.texts();
        if !v.csrf_ok(&state, &form.csrf) {
            return Ok(message(&state, &v, StatusCode::FORBIDDEN, t.expired_form));
        }
        let client = format!("login-client:{}", v.client);
        if !within_hourly_limit(&state, &client, LOGINS_PER_CLIENT_HOUR).await? {
            return Ok(message(
                &state,
                &v,
                StatusCode::TOO_MANY_REQUESTS,
                t.too_many,
            ));
        }
        let Some(number) = phone(&form.phone) else {
            let status = StatusCode::BAD_REQUEST;
            return Ok(sign_in_page(
                &state,
                &v,
                status,
                &form.phone,
                None,
                Some(t.bad_phone),
            ));
        };
        let hash = state.courier().keys().phone_hash(&number);
        let code = form.code.trim();
        let verdict = if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            codes::check(&state, &hash, code).await?
        } else {
            Verdict::Refused
        };
        let (status, error) = match verdict {
            Verdict::Accepted => {
                v.sign_in(&state, &hash).await?;
                return Ok(redirect(&v, "/"));
            }
            Verdict::Refused => (StatusCode::UNAUTHORIZED, t.bad_code),
            Verdict::Locked => (StatusCode::TOO_MANY_REQUESTS, t.locked),
        };
        Ok(sign_in_page(&state, &v, status, &number, None, Some(error)))
    })
}

/// `POST /logout`.
pub(super) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    Form(form): Form<CsrfForm>,
) -> Response {
    with_visitor!(state, headers, extensions, |v| {
        if !v.csrf_ok(&state, &form.csrf) {
            let t = v.lang.texts();
            return Ok(message(&state, &v, StatusCode::FORBIDDEN, t.expired_form));
        }
        v.sign_out(&state).await?;
        Ok(redirect(&v, "/"))
    })
}

/// The signed-in customer's receipt `id`, or `None` (not signed in, not theirs, unknown).
async fn own_receipt(
    state: &AppState,
    v: &Visitor,
    id: &str,
) -> Result<Option<ReceiptRow>, PlatformError> {
    match v.phone_hash() {
        Some(hash) => Ok(queue::receipt_of_phone(state.db().read(), hash, id).await?),
        None => Ok(None),
    }
}

fn receipt_page(state: &AppState, v: &Visitor, row: &ReceiptRow, image_url: &str) -> Response {
    let view = ReceiptView::of(row);
    let c = Chrome::of(state, v);
    let html = ReceiptPage {
        c: &c,
        view: &view,
        image_url,
        signed_in: v.phone_hash().is_some(),
    }
    .render();
    page(v, StatusCode::OK, html)
}

fn not_found(state: &AppState, v: &Visitor) -> Response {
    message(state, v, StatusCode::NOT_FOUND, v.lang.texts().not_found)
}

/// `GET /receipts/{id}`.
pub(super) async fn receipt(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    Path(id): Path<String>,
) -> Response {
    with_visitor!(state, headers, extensions, |v| {
        if v.phone_hash().is_none() {
            return Ok(redirect(&v, "/"));
        }
        Ok(match own_receipt(&state, &v, &id).await? {
            Some(row) => {
                let url = format!("/receipts/{}/receipt.png", row.receipt_id);
                receipt_page(&state, &v, &row, &url)
            }
            None => not_found(&state, &v),
        })
    })
}

/// `GET /receipts/{id}/receipt.png`.
pub(super) async fn receipt_png(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    Path(id): Path<String>,
    Query(query): Query<ImageQuery>,
) -> Response {
    with_visitor!(state, headers, extensions, |v| {
        Ok(match own_receipt(&state, &v, &id).await? {
            Some(row) => png(&state, &v, &row, query.download.is_some()).await?,
            None => not_found(&state, &v),
        })
    })
}

/// The receipt a link token leads to.
async fn by_link(
    state: &AppState,
    token: &str,
    purpose: &str,
) -> Result<Option<ReceiptRow>, PlatformError> {
    let hash = sha256_hex(token.as_bytes());
    Ok(queue::follow_link(state.db().read(), &hash, purpose, crate::db::now()).await?)
}

/// `GET /r/{token}`: the receipt of a text's or e-mail's link.
pub(super) async fn link(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    Path(token): Path<String>,
) -> Response {
    with_visitor!(state, headers, extensions, |v| {
        Ok(match by_link(&state, &token, "view").await? {
            Some(row) => receipt_page(&state, &v, &row, &format!("/r/{token}/receipt.png")),
            None => not_found(&state, &v),
        })
    })
}

/// `GET /r/{token}/receipt.png`.
pub(super) async fn link_png(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    Path(token): Path<String>,
    Query(query): Query<ImageQuery>,
) -> Response {
    with_visitor!(state, headers, extensions, |v| {
        Ok(match by_link(&state, &token, "view").await? {
            Some(row) => png(&state, &v, &row, query.download.is_some()).await?,
            None => not_found(&state, &v),
        })
    })
}

/// `GET /m/{token}.png`: the image for an MMS gateway.
pub(super) async fn media(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    Path(file): Path<String>,
) -> Response {
    with_visitor!(state, headers, extensions, |v| {
        let token = file.strip_suffix(".png").unwrap_or_default();
        Ok(match by_link(&state, token, "media").await? {
            Some(row) => png(&state, &v, &row, false).await?,
            None => not_found(&state, &v),
        })
    })
}

/// A receipt's PNG; an attachment when `download`.
async fn png(
    state: &AppState,
    v: &Visitor,
    row: &ReceiptRow,
    download: bool,
) -> Result<Response, PlatformError> {
    let bytes = state.blobs().get(&row.image_key).await?;
    let mut response = ([(header::CONTENT_TYPE, "image/png")], bytes).into_response();
    with_cookies(v, &mut response);
    if download {
        let disposition = format!("attachment; filename=\"receipt-{}.png\"", row.receipt_id);
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            response
                .headers_mut()
                .insert(header::CONTENT_DISPOSITION, value);
        }
    }
    Ok(response)
}

/// `GET /lang/{code}`: remembers the language and goes back to the portal.
pub(super) async fn switch_lang(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    Path(code): Path<String>,
) -> Response {
    with_visitor!(state, headers, extensions, |v| {
        if let Some(lang) = Lang::parse(&code) {
            v.choose_lang(lang);
        }
        Ok(redirect(&v, "/"))
    })
}

//! The merchant API: a merchant's own receipts, terminals and chain findings, read-only.
//!
//! Every request carries `Authorization: Bearer erk_…`, checked against the database each time
//! (so a revoked key fails at its next request) and scoped to one merchant: another merchant's
//! receipt is answered 404, exactly like a receipt that does not exist. Merchants can only
//! pull: nothing here sends anything to a customer, and no response holds a customer's phone
//! number or e-mail address (they are not even in the metadata database).

use super::rfc3339;
use crate::admin::API_KEY_PREFIX;
use crate::db::merchants;
use crate::db::receipts::{self, FindingRow, Param, ReceiptRow};
use crate::error::ApiError;
use crate::secret::{digests_equal, sha256_hex};
use crate::state::AppState;
use crate::worker::status;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ereceipt_core::{Currency, Money};
use serde::Deserialize;
use serde_json::{Value, json};

/// Default and largest page size of the receipt list.
const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;
/// Rows read per query while exporting.
const EXPORT_BATCH: u32 = 1000;

/// The merchant an API key belongs to.
pub(super) struct MerchantId(String);

impl FromRequestParts<AppState> for MerchantId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let unauthorized = || {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a valid merchant API key is required (Authorization: Bearer erk_…)",
            )
        };
        let key = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .and_then(|v| v.trim().strip_prefix(API_KEY_PREFIX))
            .and_then(|v| v.split_once('_'))
            .ok_or_else(unauthorized)?;
        let (key_id, secret) = key;
        let (merchant_id, hash) = merchants::active_api_key(state.db().read(), key_id)
            .await?
            .ok_or_else(unauthorized)?;
        if digests_equal(&hash, &sha256_hex(secret.as_bytes())) {
            Ok(MerchantId(merchant_id))
        } else {
            Err(unauthorized())
        }
    }
}

/// Search filters of the list and the export.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Filters {
    /// First local transaction date, `YYYY-MM-DD`, inclusive.
    from: Option<String>,
    /// Last local transaction date, inclusive.
    to: Option<String>,
    /// Smallest amount in minor units (needs `currency`).
    min_amount: Option<u64>,
    /// Largest amount in minor units (needs `currency`).
    max_amount: Option<u64>,
    /// ISO 4217 code.
    currency: Option<String>,
    /// Terminal id.
    terminal: Option<String>,
    /// Trace number.
    trace: Option<String>,
    /// Continue after this position (the `next` of the previous page).
    cursor: Option<String>,
    /// Page size.
    limit: Option<u32>,
}

fn invalid_query(message: &'static str) -> ApiError {
    ApiError::bad_request("invalid_query", message)
}

impl Filters {
    /// SQL conditions and their parameters (`$2` onwards; `$1` is the merchant).
    fn conditions(&self) -> Result<(Vec<String>, Vec<Param>), ApiError> {
        let mut conditions = Vec::new();
        let mut params = Vec::new();
        let mut add = |sql: &str, param: Param| {
            params.push(param);
            conditions.push(sql.replace('?', &format!("${}", params.len() + 1)));
        };
        for (date, sql) in [
            (&self.from, "local_date >= ?"),
            (&self.to, "local_date <= ?"),
        ] {
            if let Some(date) = date {
                check_date(date)?;
                add(sql, Param::Text(date.clone()));
            }
        }
        if (self.min_amount.is_some() || self.max_amount.is_some()) && self.currency.is_none() {
            return Err(invalid_query("amount filters need a currency"));
        }
        for (amount, sql) in [
            (self.min_amount, "amount >= ?"),
            (self.max_amount, "amount <= ?"),
        ] {
            if let Some(amount) = amount {
                let amount =
                    i64::try_from(amount).map_err(|_| invalid_query("amount too large"))?;
                add(sql, Param::Int(amount));
            }
        }
        if let Some(currency) = &self.currency {
            Currency::from_code(currency).ok_or(invalid_query("unknown currency"))?;
            add("currency = ?", Param::Text(currency.clone()));
        }
        if let Some(terminal) = &self.terminal {
            add("terminal_id = ?", Param::Text(terminal.clone()));
        }
        if let Some(trace) = &self.trace {
            add("trace_number = ?", Param::Text(trace.clone()));
        }
        if let Some(cursor) = &self.cursor {
            let seq: i64 = cursor
                .parse()
                .map_err(|_| invalid_query("invalid cursor"))?;
            add("seq > ?", Param::Int(seq));
        }
        Ok((conditions, params))
    }
}

fn check_date(date: &str) -> Result<(), ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(date, &format)
        .map(|_| ())
        .map_err(|_| invalid_query("dates are YYYY-MM-DD"))
}

fn filters(query: Result<Query<Filters>, QueryRejection>) -> Result<Filters, ApiError> {
    query
        .map(|Query(f)| f)
        .map_err(|_| invalid_query("unknown or malformed query parameter"))
}

/// One page of matching receipts and the cursor of the next, if there may be more.
async fn page(
    state: &AppState,
    merchant: &str,
    filters: &Filters,
    limit: u32,
) -> Result<(Vec<ReceiptRow>, Option<String>), ApiError> {
    let (conditions, params) = filters.conditions()?;
    let rows = receipts::search(
        state.db().read(),
        merchant,
        &conditions,
        &params,
        i64::from(limit),
    )
    .await?;
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| r.seq.to_string()))
        .flatten();
    Ok((rows, next))
}

pub(super) async fn list(
    State(state): State<AppState>,
    MerchantId(merchant): MerchantId,
    query: Result<Query<Filters>, QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let filters = filters(query)?;
    let limit = filters.limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(invalid_query("limit is 1 to 500"));
    }
    let (rows, next) = page(&state, &merchant, &filters, limit).await?;
    let receipts: Vec<Value> = rows.iter().map(summary).collect();
    Ok(Json(json!({ "receipts": receipts, "next": next })))
}

/// The list form of a receipt.
fn summary(r: &ReceiptRow) -> Value {
    json!({
        "receipt_id": r.receipt_id,
        "terminal_id": r.terminal_id,
        "counter": r.counter,
        "kind": r.kind,
        "trace_number": r.trace_number,
        "amount": r.amount,
        "currency": r.currency,
        "local_time": r.local_time,
        "received_at": rfc3339(r.received_at),
        "signed": r.signed,
        "verification": r.verification,
    })
}

async fn own_receipt(state: &AppState, merchant: &str, id: &str) -> Result<ReceiptRow, ApiError> {
    receipts::of_merchant(state.db().read(), merchant, id)
        .await?
        .ok_or_else(ApiError::not_found)
}

pub(super) async fn detail(
    State(state): State<AppState>,
    MerchantId(merchant): MerchantId,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let row = own_receipt(&state, &merchant, &id).await?;
    let chain: Vec<Value> =
        receipts::findings(state.db().read(), &merchant, Some(&row.terminal_id))
            .await?
            .iter()
            .filter(|f| f.receipt_id == row.receipt_id)
            .map(finding)
            .collect();
    let report: Option<Value> = row
        .verification_report
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok());
    let mut body = summary(&row);
    body["merchant_id"] = json!(row.merchant_id);
    body["previous"] = json!(row.previous);
    body["chain_value"] = json!(row.content_hash);
    body["record"] = serde_json::from_str(&row.record).unwrap_or(Value::Null);
    body["findings"] = json!(receipt_findings(&row, report.as_ref()));
    body["verification"] = json!({ "status": row.verification, "report": report });
    body["chain_findings"] = json!(chain);
    body["delivery"] = delivery(&state, &row.receipt_id).await?;
    Ok(Json(body))
}

/// The delivery's channel and status (`none`, `queued`, `sent`, `failed` with the reason):
/// never the address.
async fn delivery(state: &AppState, receipt_id: &str) -> Result<Value, ApiError> {
    let row = crate::delivery::queue::of_receipt(state.db().read(), receipt_id).await?;
    Ok(row.map_or_else(
        || json!({ "status": "none" }),
        |d| {
            json!({
                "channel": d.channel,
                "status": d.status,
                "reason": d.reason,
                "attempts": d.attempts,
                "sent_at": d.sent_at.map(rfc3339),
            })
        },
    ))
}

/// What is wrong with one receipt: unsigned, and each failed verification check.
fn receipt_findings(row: &ReceiptRow, report: Option<&Value>) -> Vec<Value> {
    let mut findings = Vec::new();
    if !row.signed {
        findings.push(json!({
            "kind": "unsigned",
            "detail": "issued unsigned: the terminal's key was unavailable",
        }));
    }
    if row.verification == status::FAILED {
        let checks = report
            .and_then(|r| r["checks"].as_array())
            .into_iter()
            .flatten()
            .filter(|c| c["outcome"] == "failed");
        for check in checks {
            findings.push(json!({ "kind": check["name"], "detail": check["detail"] }));
        }
        if let Some(error) = report.and_then(|r| r.get("error")) {
            findings.push(json!({ "kind": "verification_error", "detail": error }));
        }
    }
    findings
}

fn finding(f: &FindingRow) -> Value {
    json!({
        "terminal_id": f.terminal_id,
        "kind": f.kind,
        "counter": f.counter,
        "receipt_id": f.receipt_id,
        "detail": f.detail,
        "found_at": rfc3339(f.found_at),
        "resolved_at": f.resolved_at.map(rfc3339),
        "open": f.resolved_at.is_none(),
    })
}

pub(super) async fn image(
    State(state): State<AppState>,
    MerchantId(merchant): MerchantId,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let row = own_receipt(&state, &merchant, &id).await?;
    let png = state.blobs().get(&row.image_key).await?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

/// The columns of the reconciliation export.
const CSV_HEADER: &str = "receipt_id,terminal_id,counter,kind,local_time,trace_number,\
batch_number,auth_code,retrieval_reference_number,amount_minor,amount,currency,signed,\
verification,received_at";

pub(super) async fn export(
    State(state): State<AppState>,
    MerchantId(merchant): MerchantId,
    query: Result<Query<Filters>, QueryRejection>,
) -> Result<Response, ApiError> {
    let mut filters = filters(query)?;
    if filters.limit.is_some() {
        return Err(invalid_query("the export has no limit"));
    }
    let mut csv = format!("{CSV_HEADER}\r\n");
    loop {
        let (rows, next) = page(&state, &merchant, &filters, EXPORT_BATCH).await?;
        for row in &rows {
            csv.push_str(&csv_line(row));
        }
        match next {
            Some(next) => filters.cursor = Some(next),
            None => break,
        }
    }
    let disposition = HeaderValue::from_static("attachment; filename=\"receipts.csv\"");
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        csv,
    )
        .into_response())
}

fn csv_line(r: &ReceiptRow) -> String {
    let record: Value = serde_json::from_str(&r.record).unwrap_or(Value::Null);
    let tx = &record["transaction"];
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let decimal = Currency::from_code(&r.currency)
        .zip(u64::try_from(r.amount).ok())
        .and_then(|(c, minor)| Money::new(minor, c))
        .map(|m| m.decimal())
        .unwrap_or_default();
    let fields = [
        r.receipt_id.clone(),
        r.terminal_id.clone(),
        r.counter.to_string(),
        r.kind.clone(),
        r.local_time.clone(),
        r.trace_number.clone(),
        text(&tx["batch_number"]),
        text(&tx["auth_code"]),
        text(&tx["retrieval_reference_number"]),
        r.amount.to_string(),
        decimal,
        r.currency.clone(),
        r.signed.to_string(),
        r.verification.clone(),
        rfc3339(r.received_at),
    ];
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// RFC 4180 quoting, and a leading `'` before `= + - @` so that spreadsheets do not run a
/// field as a formula.
fn csv_field(field: &str) -> String {
    let field = if field.starts_with(['=', '+', '-', '@']) {
        format!("'{field}")
    } else {
        field.to_owned()
    };
    if field.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field
    }
}

pub(super) async fn terminals(
    State(state): State<AppState>,
    MerchantId(merchant): MerchantId,
) -> Result<Json<Value>, ApiError> {
    let findings = receipts::findings(state.db().read(), &merchant, None).await?;
    let terminals: Vec<Value> = merchants::terminals(state.db().read(), &merchant)
        .await?
        .iter()
        .map(|t| {
            let own: Vec<&FindingRow> = findings
                .iter()
                .filter(|f| f.terminal_id == t.terminal_id)
                .collect();
            json!({
                "terminal_id": t.terminal_id,
                "enrolled_at": rfc3339(t.enrolled_at),
                "receipts": t.receipts,
                "last_receipt_at": t.last_receipt_at.map(rfc3339),
                "open_findings": own.iter().filter(|f| f.resolved_at.is_none()).count(),
                "findings": own.iter().map(|f| finding(f)).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({ "terminals": terminals })))
}

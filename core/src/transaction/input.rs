//! The JSON input form, the builder that fills it, and the validation both go through.

use super::{
    Adjustments, Card, CardBrand, Cvm, Emv, EntryMode, Kind, LineItem, LocalTime, Locale, Location,
    MAX_JSON_BYTES, MAX_LINE_ITEMS, Merchant, Transaction, ValidationError,
};
use crate::money::{Currency, MAX_MINOR_UNITS};
use crate::pan::{self, MaskedPan};
use serde::Deserialize;
use serde_json::{Number, Value};
use std::fmt;

/// Keys that announce sensitive authentication data, compared after lower-casing and dropping
/// `_`, `-` and spaces. Refusing them by name (rather than as unknown fields) tells the
/// integrator exactly why, and the whole input is dropped before anything is kept.
const FORBIDDEN_KEYS: &[&str] = &[
    "cvv",
    "cvv2",
    "cvc",
    "cvc2",
    "cid",
    "csc",
    "cav2",
    "cvn",
    "securitycode",
    "cardsecuritycode",
    "cardverificationvalue",
    "cardverificationcode",
    "pin",
    "pinblock",
    "encryptedpin",
    "pindata",
    "track",
    "track1",
    "track2",
    "track3",
    "trackdata",
    "track1data",
    "track2data",
    "track3data",
    "magstripe",
    "magneticstripe",
    "stripedata",
];

/// Limits on text fields, in Unicode scalar values.
const MERCHANT_NAME_MAX: usize = 64;
const ADDRESS_MAX: usize = 160;
const LOCATION_TEXT_MAX: usize = 80;
const DESCRIPTION_MAX: usize = 80;
const NOTE_MAX: usize = 500;
const APP_LABEL_MAX: usize = 16;
/// Quantities are at most a million units.
const QUANTITY_MAX_MILLI: u64 = 1_000_000_000;

/// An amount as JSON gives it: kept as a number so that a negative or fractional value can be
/// refused with a precise reason instead of a type error.
type Amount = Number;

/// A decimal given as a JSON number or a string (`1.5` or `"1.5"`).
#[derive(Clone, Deserialize)]
#[serde(untagged)]
enum Decimal {
    Number(Number),
    Text(String),
}

#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TransactionInput {
    kind: Option<Kind>,
    trace_number: Option<String>,
    original_trace_number: Option<String>,
    amount: Option<Amount>,
    currency: Option<String>,
    tip: Option<Amount>,
    discount: Option<Amount>,
    tax: Option<Amount>,
    included_tax: Option<Amount>,
    local_time: Option<String>,
    terminal_id: Option<String>,
    merchant: Option<MerchantInput>,
    location: Option<LocationInput>,
    card: Option<CardInput>,
    auth_code: Option<String>,
    retrieval_reference_number: Option<String>,
    batch_number: Option<String>,
    emv: Option<EmvInput>,
    line_items: Option<Vec<LineItemInput>>,
    note: Option<String>,
    locale: Option<Locale>,
}

#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MerchantInput {
    id: Option<String>,
    name: Option<String>,
    address: Option<String>,
}

#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LocationInput {
    latitude: Option<Decimal>,
    longitude: Option<Decimal>,
    text: Option<String>,
}

#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CardInput {
    pan: Option<String>,
    masked_pan: Option<String>,
    brand: Option<CardBrand>,
    entry_mode: Option<EntryMode>,
    cardholder_verification: Option<Cvm>,
}

#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmvInput {
    aid: Option<String>,
    application_label: Option<String>,
    tvr: Option<String>,
    tsi: Option<String>,
    arc: Option<String>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LineItemInput {
    description: Option<String>,
    quantity: Option<Decimal>,
    unit_price: Option<Amount>,
    amount: Option<Amount>,
}

pub(super) fn parse(json: &str) -> Result<Transaction, ValidationError> {
    if json.len() > MAX_JSON_BYTES {
        return Err(ValidationError::TooLarge {
            max: MAX_JSON_BYTES,
        });
    }
    let value: Value = serde_json::from_str(json).map_err(|e| ValidationError::Syntax {
        line: e.line(),
        column: e.column(),
    })?;
    refuse_sensitive_keys(&value, "")?;
    let input: TransactionInput =
        serde_path_to_error::deserialize(value).map_err(|e| from_serde(&e))?;
    validate(input)
}

fn refuse_sensitive_keys(value: &Value, path: &str) -> Result<(), ValidationError> {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let field = join(path, key);
                let normalised: String = key
                    .chars()
                    .filter(|c| !matches!(c, '_' | '-' | ' '))
                    .flat_map(char::to_lowercase)
                    .collect();
                if FORBIDDEN_KEYS.contains(&normalised.as_str()) {
                    return Err(ValidationError::Forbidden { field });
                }
                refuse_sensitive_keys(child, &field)?;
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                refuse_sensitive_keys(child, &format!("{path}[{i}]"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Turns serde's error into ours without ever copying the offending value: serde puts the value
/// before ", expected …", so only the expectation and backticked field names are kept.
fn from_serde(err: &serde_path_to_error::Error<serde_json::Error>) -> ValidationError {
    let path = err.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let message = err.inner().to_string();
    let first_ticked = || message.split('`').nth(1).unwrap_or_default().to_owned();
    if message.starts_with("missing field") {
        return ValidationError::missing(join(&path, &first_ticked()));
    }
    if message.starts_with("unknown field") {
        let field = if path.ends_with(&first_ticked()) {
            path
        } else {
            join(&path, &first_ticked())
        };
        return ValidationError::UnknownField { field };
    }
    let field = if path.is_empty() {
        "transaction".to_owned()
    } else {
        path
    };
    let reason = match message.rsplit_once(", expected ") {
        Some((_, expected)) => {
            let expected = expected.split(" at line ").next().unwrap_or(expected);
            format!("expected {}", expected.replace('`', ""))
        }
        None => "invalid value".to_owned(),
    };
    ValidationError::Invalid { field, reason }
}

fn validate(input: TransactionInput) -> Result<Transaction, ValidationError> {
    let kind = input.kind.ok_or_else(|| ValidationError::missing("kind"))?;
    let trace_number = digits("trace_number", input.trace_number, 6)?;
    let original_trace_number = match (kind, input.original_trace_number) {
        (Kind::Sale, Some(_)) => {
            return Err(ValidationError::invalid(
                "original_trace_number",
                "only refunds and voids reference an original transaction",
            ));
        }
        (Kind::Void, None) => return Err(ValidationError::missing("original_trace_number")),
        (_, given) => given
            .map(|v| digits("original_trace_number", Some(v), 6))
            .transpose()?,
    };

    let currency_code = input
        .currency
        .ok_or_else(|| ValidationError::missing("currency"))?;
    let currency =
        Currency::from_code(&currency_code).ok_or_else(|| ValidationError::UnknownCurrency {
            field: "currency".into(),
        })?;
    let amount = minor_units("amount", input.amount.as_ref())?
        .ok_or_else(|| ValidationError::missing("amount"))?;
    if amount == 0 {
        return Err(ValidationError::AmountOutOfRange {
            field: "amount".into(),
            reason: "must be greater than zero",
        });
    }
    let adjustments = Adjustments {
        tip: minor_units("tip", input.tip.as_ref())?.unwrap_or(0),
        discount: minor_units("discount", input.discount.as_ref())?.unwrap_or(0),
        tax: minor_units("tax", input.tax.as_ref())?.unwrap_or(0),
        included_tax: minor_units("included_tax", input.included_tax.as_ref())?.unwrap_or(0),
    };

    let local_time = local_time(input.local_time)?;
    let terminal_id = identifier("terminal_id", input.terminal_id, 16)?;
    let merchant = merchant(
        input
            .merchant
            .ok_or_else(|| ValidationError::missing("merchant"))?,
    )?;
    let location = input.location.map(location).transpose()?;
    let card = card(input.card.ok_or_else(|| ValidationError::missing("card"))?)?;
    let auth_code = match (kind, input.auth_code) {
        (Kind::Sale, None) => return Err(ValidationError::missing("auth_code")),
        (_, code) => code
            .map(|c| alphanumeric("auth_code", c, 1, 6))
            .transpose()?,
    };
    let retrieval_reference_number = input
        .retrieval_reference_number
        .map(|r| alphanumeric("retrieval_reference_number", r, 12, 12))
        .transpose()?;
    let batch_number = digits("batch_number", input.batch_number, 6)?;
    let emv = input.emv.map(emv).transpose()?;
    let line_items = line_items(input.line_items.unwrap_or_default())?;
    let note = input
        .note
        .map(|n| text("note", n, NOTE_MAX, true))
        .transpose()?;

    if !line_items.is_empty() {
        check_items_total(&line_items, &adjustments, amount)?;
    } else if adjustments.tip.saturating_add(adjustments.tax) > amount {
        return Err(ValidationError::AmountOutOfRange {
            field: "tip".into(),
            reason: "tip and tax together exceed the amount",
        });
    }

    Ok(Transaction {
        kind,
        trace_number,
        original_trace_number,
        amount,
        currency,
        adjustments,
        local_time,
        terminal_id,
        merchant,
        location,
        card,
        auth_code,
        retrieval_reference_number,
        batch_number,
        emv,
        line_items,
        note,
        locale: input.locale.unwrap_or_default(),
    })
}

fn minor_units(field: &str, value: Option<&Number>) -> Result<Option<u64>, ValidationError> {
    let Some(number) = value else { return Ok(None) };
    let out_of_range = |reason| ValidationError::AmountOutOfRange {
        field: field.into(),
        reason,
    };
    match number.as_u64() {
        Some(v) if v <= MAX_MINOR_UNITS => Ok(Some(v)),
        Some(_) => Err(out_of_range("more than 12 digits of minor units")),
        None if number.as_i64().is_some() => Err(out_of_range(
            "negative amounts are not accepted; a refund is a kind, not a sign",
        )),
        None => Err(ValidationError::invalid(
            field,
            "expected an integer count of minor units (12800 for 128.00)",
        )),
    }
}

fn required(field: &str, value: Option<String>) -> Result<String, ValidationError> {
    value.ok_or_else(|| ValidationError::missing(field))
}

/// A numeric identifier of up to `width` digits, zero-padded to `width`.
fn digits(field: &str, value: Option<String>, width: usize) -> Result<String, ValidationError> {
    let value = required(field, value)?;
    if value.is_empty() || value.len() > width || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValidationError::invalid(
            field,
            format!("expected 1 to {width} digits"),
        ));
    }
    Ok(format!("{value:0>width$}"))
}

fn alphanumeric(
    field: &str,
    value: String,
    min: usize,
    max: usize,
) -> Result<String, ValidationError> {
    if value.len() < min || value.len() > max || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        let size = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(ValidationError::invalid(
            field,
            format!("expected {size} letters or digits"),
        ));
    }
    Ok(value)
}

fn identifier(field: &str, value: Option<String>, max: usize) -> Result<String, ValidationError> {
    let value = required(field, value)?;
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    if value.is_empty() || value.len() > max || !value.bytes().all(allowed) {
        return Err(ValidationError::invalid(
            field,
            format!("expected 1 to {max} letters, digits, '-', '_' or '.'"),
        ));
    }
    Ok(value)
}

fn hex(
    field: &str,
    value: String,
    lengths: std::ops::RangeInclusive<usize>,
) -> Result<String, ValidationError> {
    if !lengths.contains(&value.len())
        || value.len() % 2 == 1
        || !value.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(ValidationError::invalid(
            field,
            format!(
                "expected {} to {} hexadecimal digits",
                lengths.start(),
                lengths.end()
            ),
        ));
    }
    Ok(value.to_ascii_uppercase())
}

/// Free text: trimmed, non-empty, within `max` characters, no control characters (newlines
/// only where `multiline`), no bidirectional overrides (a receipt is evidence: text must read
/// as it is stored), and any card number in it masked.
fn text(
    field: &str,
    value: String,
    max: usize,
    multiline: bool,
) -> Result<String, ValidationError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ValidationError::invalid(field, "must not be empty"));
    }
    if trimmed.chars().count() > max {
        return Err(ValidationError::TooLong {
            field: field.into(),
            max,
        });
    }
    let bidi = |c: char| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if trimmed
        .chars()
        .any(|c| (c.is_control() && !(multiline && c == '\n')) || bidi(c))
    {
        return Err(ValidationError::invalid(
            field,
            "must not contain control characters or bidirectional overrides",
        ));
    }
    Ok(pan::mask_card_numbers(trimmed).into_owned())
}

fn local_time(value: Option<String>) -> Result<LocalTime, ValidationError> {
    const FIELD: &str = "local_time";
    let value = required(FIELD, value)?;
    let impossible = |reason| ValidationError::ImpossibleTime {
        field: FIELD.into(),
        reason,
    };
    let parsed =
        time::OffsetDateTime::parse(&value, &time::format_description::well_known::Rfc3339)
            .map_err(|_| {
                // Byte 19 may fall inside a multi-byte character of a garbled value.
                let after_seconds = value.get(19..).unwrap_or("");
                let has_offset = value.len() > 19
                    && (value.ends_with('Z')
                        || value.ends_with('z')
                        || after_seconds.contains(['+', '-']));
                if has_offset {
                    impossible("not a real date and time (expected 2026-11-22T14:03:27+08:00)")
                } else {
                    impossible("a UTC offset is required (2026-11-22T14:03:27+08:00)")
                }
            })?;
    if !(2000..=2099).contains(&parsed.year()) {
        return Err(impossible("the year must be within 2000-2099"));
    }
    let offset = parsed.offset().whole_seconds();
    if offset.abs() > 14 * 3600 || offset % 60 != 0 {
        return Err(impossible(
            "the UTC offset must be whole minutes within ±14:00",
        ));
    }
    let truncated = parsed
        .replace_nanosecond(0)
        .expect("zero nanoseconds is always valid");
    Ok(LocalTime(truncated))
}

fn merchant(input: MerchantInput) -> Result<Merchant, ValidationError> {
    Ok(Merchant {
        id: identifier("merchant.id", input.id, 15)?,
        name: text(
            "merchant.name",
            required("merchant.name", input.name)?,
            MERCHANT_NAME_MAX,
            false,
        )?,
        address: input
            .address
            .map(|a| text("merchant.address", a, ADDRESS_MAX, true))
            .transpose()?,
    })
}

fn location(input: LocationInput) -> Result<Location, ValidationError> {
    let coordinate = |field: &str, value: Option<Decimal>, limit: i128| {
        value
            .map(|v| {
                let e7 = decimal(field, &v, 7)?;
                if e7.abs() > limit * 10_000_000 {
                    return Err(ValidationError::invalid(
                        field,
                        format!("must be within ±{limit} degrees"),
                    ));
                }
                Ok(i32::try_from(e7).expect("±180 degrees in 10^-7 fits in i32"))
            })
            .transpose()
    };
    let latitude_e7 = coordinate("location.latitude", input.latitude, 90)?;
    let longitude_e7 = coordinate("location.longitude", input.longitude, 180)?;
    if latitude_e7.is_some() != longitude_e7.is_some() {
        return Err(ValidationError::invalid(
            "location",
            "latitude and longitude come together",
        ));
    }
    let text = input
        .text
        .map(|t| text("location.text", t, LOCATION_TEXT_MAX, false))
        .transpose()?;
    if latitude_e7.is_none() && text.is_none() {
        return Err(ValidationError::invalid(
            "location",
            "give coordinates, a text, or both",
        ));
    }
    Ok(Location {
        latitude_e7,
        longitude_e7,
        text,
    })
}

fn card(input: CardInput) -> Result<Card, ValidationError> {
    let masked_pan = match (input.pan, input.masked_pan) {
        (Some(_), Some(_)) => {
            return Err(ValidationError::invalid(
                "card",
                "give pan or masked_pan, not both",
            ));
        }
        (Some(full), None) => {
            let digits: String = full.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
            if !pan::luhn_valid(&digits) {
                return Err(ValidationError::invalid(
                    "card.pan",
                    "expected 12 to 19 digits with a valid check digit",
                ));
            }
            MaskedPan::from_full(&digits).ok_or_else(|| {
                ValidationError::invalid(
                    "card.pan",
                    "expected 12 to 19 digits with a valid check digit",
                )
            })?
        }
        (None, Some(masked)) => MaskedPan::from_masked(&masked).ok_or_else(|| {
            ValidationError::invalid(
                "card.masked_pan",
                "expected 12 to 19 positions, at most the first 6 and last 4 digits visible",
            )
        })?,
        (None, None) => return Err(ValidationError::missing("card.pan")),
    };
    Ok(Card {
        masked_pan,
        brand: input
            .brand
            .ok_or_else(|| ValidationError::missing("card.brand"))?,
        entry_mode: input
            .entry_mode
            .ok_or_else(|| ValidationError::missing("card.entry_mode"))?,
        cardholder_verification: input
            .cardholder_verification
            .ok_or_else(|| ValidationError::missing("card.cardholder_verification"))?,
    })
}

fn emv(input: EmvInput) -> Result<Emv, ValidationError> {
    Ok(Emv {
        aid: hex("emv.aid", required("emv.aid", input.aid)?, 10..=32)?,
        application_label: input
            .application_label
            .map(|l| text("emv.application_label", l, APP_LABEL_MAX, false))
            .transpose()?,
        tvr: input.tvr.map(|v| hex("emv.tvr", v, 10..=10)).transpose()?,
        tsi: input.tsi.map(|v| hex("emv.tsi", v, 4..=4)).transpose()?,
        arc: input
            .arc
            .map(|v| alphanumeric("emv.arc", v, 2, 2))
            .transpose()?,
    })
}

fn line_items(items: Vec<LineItemInput>) -> Result<Vec<LineItem>, ValidationError> {
    if items.len() > MAX_LINE_ITEMS {
        return Err(ValidationError::invalid(
            "line_items",
            format!("at most {MAX_LINE_ITEMS} items"),
        ));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let at = |name: &str| format!("line_items[{i}].{name}");
            let description = text(
                &at("description"),
                required(&at("description"), item.description)?,
                DESCRIPTION_MAX,
                false,
            )?;
            let quantity_milli = match item.quantity {
                None => 1000,
                Some(q) => u64::try_from(decimal(&at("quantity"), &q, 3)?).unwrap_or(0),
            };
            if quantity_milli == 0 || quantity_milli > QUANTITY_MAX_MILLI {
                return Err(ValidationError::invalid(
                    at("quantity"),
                    "expected more than 0 and at most 1000000",
                ));
            }
            let unit_price = minor_units(&at("unit_price"), item.unit_price.as_ref())?;
            let amount = minor_units(&at("amount"), item.amount.as_ref())?
                .ok_or_else(|| ValidationError::missing(at("amount")))?;
            if let Some(price) = unit_price {
                let expected = (u128::from(quantity_milli) * u128::from(price) + 500) / 1000;
                if expected != u128::from(amount) {
                    return Err(ValidationError::invalid(
                        at("amount"),
                        format!(
                            "quantity × unit_price is {expected}, not {amount} (rounded half up)"
                        ),
                    ));
                }
            }
            Ok(LineItem {
                description,
                quantity_milli,
                unit_price,
                amount,
            })
        })
        .collect()
}

fn check_items_total(
    items: &[LineItem],
    adj: &Adjustments,
    amount: u64,
) -> Result<(), ValidationError> {
    let sum: u64 = items.iter().map(|i| i.amount).sum();
    let computed =
        i128::from(sum) - i128::from(adj.discount) + i128::from(adj.tax) + i128::from(adj.tip);
    if computed == i128::from(amount) {
        return Ok(());
    }
    Err(ValidationError::ItemsTotalMismatch {
        items: sum,
        discount: adj.discount,
        tax: adj.tax,
        tip: adj.tip,
        computed,
        amount,
    })
}

/// Parses a plain decimal (`-31.2304`, `"1.5"`) into an integer scaled by 10^`scale`, exactly.
fn decimal(field: &str, value: &Decimal, scale: u32) -> Result<i128, ValidationError> {
    let text = match value {
        Decimal::Number(n) => n.to_string(),
        Decimal::Text(t) => t.clone(),
    };
    let bad = || {
        ValidationError::invalid(
            field,
            format!("expected a decimal number with at most {scale} decimals"),
        )
    };
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || whole.len() > 12 || !digits_only(whole) || !digits_only(fraction) {
        return Err(bad());
    }
    let fraction = fraction.trim_end_matches('0');
    if fraction.len() > scale as usize {
        return Err(bad());
    }
    let whole: i128 = whole.parse().map_err(|_| bad())?;
    let mut frac: i128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().map_err(|_| bad())?
    };
    for _ in fraction.len()..scale as usize {
        frac *= 10;
    }
    let magnitude = whole * 10i128.pow(scale) + frac;
    Ok(if negative { -magnitude } else { magnitude })
}

/// The decimal text of a scaled integer, without trailing zeros: (15000000, 7) → `1.5`.
fn scaled_text(value: i128, scale: u32) -> String {
    let factor = 10i128.pow(scale);
    let sign = if value < 0 { "-" } else { "" };
    let (whole, frac) = (value.abs() / factor, value.abs() % factor);
    if frac == 0 {
        return format!("{sign}{whole}");
    }
    let frac = format!("{frac:0>width$}", width = scale as usize);
    format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
}

pub(super) fn quantity_text(milli: u64) -> String {
    scaled_text(i128::from(milli), 3)
}

pub(super) fn ser_quantity<S: serde::Serializer>(milli: &u64, s: S) -> Result<S::Ok, S::Error> {
    if milli.is_multiple_of(1000) {
        s.serialize_u64(milli / 1000)
    } else {
        s.serialize_str(&quantity_text(*milli))
    }
}

pub(super) fn ser_e7<S: serde::Serializer>(e7: &Option<i32>, s: S) -> Result<S::Ok, S::Error> {
    match e7 {
        Some(v) => s.serialize_str(&scaled_text(i128::from(*v), 7)),
        None => s.serialize_none(),
    }
}

/// Assembles a [`Transaction`] in code; [`build`](Self::build) runs the same validation as
/// [`Transaction::from_json`].
///
/// ```
/// use ereceipt_core::transaction::{CardBrand, Cvm, EntryMode, Kind};
/// use ereceipt_core::Transaction;
///
/// let tx = Transaction::builder()
///     .kind(Kind::Sale)
///     .trace_number("123")
///     .amount(1200, "JPY")
///     .local_time("2026-11-22T09:15:00+09:00")
///     .terminal_id("TKY00042")
///     .merchant("100200300400500", "Blue Bottle Coffee Kiyosumi")
///     .pan("4111 1111 1111 1111")
///     .card(CardBrand::Visa, EntryMode::Contactless, Cvm::None)
///     .auth_code("Y1")
///     .batch_number("7")
///     .build()?;
/// assert_eq!(tx.trace_number(), "000123");
/// assert_eq!(tx.amount().to_string(), "JPY 1,200");
/// # Ok::<(), ereceipt_core::transaction::ValidationError>(())
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct TransactionBuilder(TransactionInput);

impl fmt::Debug for TransactionBuilder {
    /// Prints nothing of the content: the builder may hold a full card number until `build`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TransactionBuilder { .. }")
    }
}

impl TransactionBuilder {
    /// Sale, refund or void.
    pub fn kind(mut self, kind: Kind) -> Self {
        self.0.kind = Some(kind);
        self
    }
    /// The system trace audit number (1–6 digits).
    pub fn trace_number(mut self, trace: impl Into<String>) -> Self {
        self.0.trace_number = Some(trace.into());
        self
    }
    /// For a refund or void, the trace number of the transaction it reverses.
    pub fn original_trace_number(mut self, trace: impl Into<String>) -> Self {
        self.0.original_trace_number = Some(trace.into());
        self
    }
    /// The amount in minor units and its ISO 4217 currency code.
    pub fn amount(mut self, minor: u64, currency: impl Into<String>) -> Self {
        self.0.amount = Some(minor.into());
        self.0.currency = Some(currency.into());
        self
    }
    /// The tip, in minor units.
    pub fn tip(mut self, minor: u64) -> Self {
        self.0.tip = Some(minor.into());
        self
    }
    /// The discount, in minor units.
    pub fn discount(mut self, minor: u64) -> Self {
        self.0.discount = Some(minor.into());
        self
    }
    /// Tax added on top of the items, in minor units.
    pub fn tax(mut self, minor: u64) -> Self {
        self.0.tax = Some(minor.into());
        self
    }
    /// Tax included in the item prices, in minor units.
    pub fn included_tax(mut self, minor: u64) -> Self {
        self.0.included_tax = Some(minor.into());
        self
    }
    /// The local time as RFC 3339 with offset: `2026-11-22T14:03:27+08:00`.
    pub fn local_time(mut self, rfc3339: impl Into<String>) -> Self {
        self.0.local_time = Some(rfc3339.into());
        self
    }
    /// The terminal id.
    pub fn terminal_id(mut self, id: impl Into<String>) -> Self {
        self.0.terminal_id = Some(id.into());
        self
    }
    /// The merchant id and name.
    pub fn merchant(mut self, id: impl Into<String>, name: impl Into<String>) -> Self {
        let merchant = self.0.merchant.get_or_insert_with(MerchantInput::default);
        merchant.id = Some(id.into());
        merchant.name = Some(name.into());
        self
    }
    /// The merchant's address.
    pub fn merchant_address(mut self, address: impl Into<String>) -> Self {
        self.0
            .merchant
            .get_or_insert_with(MerchantInput::default)
            .address = Some(address.into());
        self
    }
    /// The terminal's coordinates in 10⁻⁷ degree.
    pub fn coordinates(mut self, latitude_e7: i32, longitude_e7: i32) -> Self {
        let location = self.0.location.get_or_insert_with(LocationInput::default);
        location.latitude = Some(Decimal::Text(scaled_text(latitude_e7.into(), 7)));
        location.longitude = Some(Decimal::Text(scaled_text(longitude_e7.into(), 7)));
        self
    }
    /// A description of where the terminal is.
    pub fn location_text(mut self, text: impl Into<String>) -> Self {
        self.0
            .location
            .get_or_insert_with(LocationInput::default)
            .text = Some(text.into());
        self
    }
    /// The full card number; it is masked by [`build`](Self::build) and then dropped.
    pub fn pan(mut self, pan: impl Into<String>) -> Self {
        self.0.card.get_or_insert_with(CardInput::default).pan = Some(pan.into());
        self
    }
    /// A card number already masked by the card reader.
    pub fn masked_pan(mut self, masked: impl Into<String>) -> Self {
        self.0
            .card
            .get_or_insert_with(CardInput::default)
            .masked_pan = Some(masked.into());
        self
    }
    /// Card scheme, how it was read and how the cardholder was verified.
    pub fn card(mut self, brand: CardBrand, entry_mode: EntryMode, cvm: Cvm) -> Self {
        let card = self.0.card.get_or_insert_with(CardInput::default);
        card.brand = Some(brand);
        card.entry_mode = Some(entry_mode);
        card.cardholder_verification = Some(cvm);
        self
    }
    /// The issuer's authorisation code.
    pub fn auth_code(mut self, code: impl Into<String>) -> Self {
        self.0.auth_code = Some(code.into());
        self
    }
    /// The retrieval reference number (12 characters).
    pub fn retrieval_reference_number(mut self, rrn: impl Into<String>) -> Self {
        self.0.retrieval_reference_number = Some(rrn.into());
        self
    }
    /// The batch number (1–6 digits).
    pub fn batch_number(mut self, batch: impl Into<String>) -> Self {
        self.0.batch_number = Some(batch.into());
        self
    }
    /// EMV data: AID, application label, TVR, TSI and authorisation response code.
    pub fn emv(
        mut self,
        aid: impl Into<String>,
        application_label: Option<String>,
        tvr: Option<String>,
        tsi: Option<String>,
        arc: Option<String>,
    ) -> Self {
        self.0.emv = Some(EmvInput {
            aid: Some(aid.into()),
            application_label,
            tvr,
            tsi,
            arc,
        });
        self
    }
    /// Adds a line item: quantity in thousandths (1000 = one unit), optional unit price and the
    /// line total in minor units.
    pub fn line_item(
        mut self,
        description: impl Into<String>,
        quantity_milli: u64,
        unit_price: Option<u64>,
        amount: u64,
    ) -> Self {
        self.0
            .line_items
            .get_or_insert_with(Vec::new)
            .push(LineItemInput {
                description: Some(description.into()),
                quantity: Some(Decimal::Text(quantity_text(quantity_milli))),
                unit_price: unit_price.map(Number::from),
                amount: Some(amount.into()),
            });
        self
    }
    /// A note printed at the foot of the receipt.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.0.note = Some(note.into());
        self
    }
    /// The language of the receipt's labels.
    pub fn locale(mut self, locale: Locale) -> Self {
        self.0.locale = Some(locale);
        self
    }
    /// Validates and returns the transaction.
    pub fn build(self) -> Result<Transaction, ValidationError> {
        validate(self.0)
    }
}

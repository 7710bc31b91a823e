//! The card transaction a receipt is issued for (Source A step 1).
//!
//! A [`Transaction`] is built either from its JSON form ([`Transaction::from_json`], documented
//! in `docs/TRANSACTION.md`) or with a [`TransactionBuilder`]; both run the same validation, so
//! a `Transaction` value is always valid: amounts are integer minor units of an ISO 4217
//! currency, the time is a real local time with its UTC offset, every text is within its limit,
//! line items add up, and no full card number is anywhere in it (see [`crate::pan`]).
//!
//! Field names follow what payment developers know from ISO 8583 and terminal SDKs: the
//! `trace_number` is the system trace audit number (field 11), `retrieval_reference_number`
//! field 37, `auth_code` field 38, `terminal_id` field 41, `merchant.id` field 42.

mod error;
mod input;

pub use error::ValidationError;
pub use input::TransactionBuilder;

use crate::money::Money;
use crate::pan::MaskedPan;
use serde::Serialize;
use std::fmt;

/// The largest JSON input accepted, in bytes.
pub const MAX_JSON_BYTES: usize = 64 * 1024;

/// The most line items one receipt may carry.
pub const MAX_LINE_ITEMS: usize = 200;

/// A validated card transaction. See the [module documentation](self).
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Transaction {
    kind: Kind,
    trace_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    original_trace_number: Option<String>,
    amount: u64,
    currency: crate::money::Currency,
    #[serde(flatten)]
    adjustments: Adjustments,
    local_time: LocalTime,
    terminal_id: String,
    merchant: Merchant,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Location>,
    card: Card,
    #[serde(skip_serializing_if = "Option::is_none")]
    auth_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retrieval_reference_number: Option<String>,
    batch_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    emv: Option<Emv>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    line_items: Vec<LineItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    locale: Locale,
}

impl Transaction {
    /// Parses and validates the JSON form. Any full card number is masked here.
    pub fn from_json(json: &str) -> Result<Self, ValidationError> {
        input::parse(json)
    }

    /// A builder for apps that assemble the transaction in code.
    pub fn builder() -> TransactionBuilder {
        TransactionBuilder::default()
    }

    /// The canonical JSON form: what [`Transaction::from_json`] accepts, normalised (masked
    /// card number, zero-padded trace and batch numbers, seconds-precision time).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a validated transaction always serialises")
    }

    /// Sale, refund or void.
    pub fn kind(&self) -> Kind {
        self.kind
    }
    /// The system trace audit number, six digits.
    pub fn trace_number(&self) -> &str {
        &self.trace_number
    }
    /// For refunds and voids, the trace number of the sale they reverse.
    pub fn original_trace_number(&self) -> Option<&str> {
        self.original_trace_number.as_deref()
    }
    /// The amount charged (sale) or returned (refund, void).
    pub fn amount(&self) -> Money {
        Money::new(self.amount, self.currency).expect("validated against MAX_MINOR_UNITS")
    }
    /// Tip, discount and tax declared with the amount.
    pub fn adjustments(&self) -> &Adjustments {
        &self.adjustments
    }
    /// The local time of the transaction, with its UTC offset.
    pub fn local_time(&self) -> &LocalTime {
        &self.local_time
    }
    /// The POS terminal's id.
    pub fn terminal_id(&self) -> &str {
        &self.terminal_id
    }
    /// The merchant.
    pub fn merchant(&self) -> &Merchant {
        &self.merchant
    }
    /// Where the terminal was, when known.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }
    /// The card, with its number masked.
    pub fn card(&self) -> &Card {
        &self.card
    }
    /// The issuer's authorisation code.
    pub fn auth_code(&self) -> Option<&str> {
        self.auth_code.as_deref()
    }
    /// The retrieval reference number.
    pub fn retrieval_reference_number(&self) -> Option<&str> {
        self.retrieval_reference_number.as_deref()
    }
    /// The settlement batch number, six digits.
    pub fn batch_number(&self) -> &str {
        &self.batch_number
    }
    /// EMV chip data printed on the receipt, when the card was read by chip or contactless.
    pub fn emv(&self) -> Option<&Emv> {
        self.emv.as_ref()
    }
    /// The items bought, when the POS itemises.
    pub fn line_items(&self) -> &[LineItem] {
        &self.line_items
    }
    /// A free-text note printed at the foot of the receipt.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
    /// The language of the receipt's labels.
    pub fn locale(&self) -> Locale {
        self.locale
    }
    /// True when the cardholder verification method asks for a handwritten signature.
    pub fn needs_signature(&self) -> bool {
        self.card.cardholder_verification.needs_signature()
    }
}

impl fmt::Debug for Transaction {
    /// Shows what identifies the transaction, never the card, the note or line items.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transaction")
            .field("kind", &self.kind)
            .field("trace_number", &self.trace_number)
            .field("amount", &self.amount())
            .field("local_time", &self.local_time)
            .field("terminal_id", &self.terminal_id)
            .field("card", &self.card)
            .field("line_items", &self.line_items.len())
            .finish_non_exhaustive()
    }
}

/// What the transaction does with the money.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A purchase: the cardholder pays the merchant.
    Sale,
    /// Money returned to the cardholder for an earlier sale.
    Refund,
    /// Cancellation of an earlier transaction of the same batch before settlement.
    Void,
}

/// Adjustments declared alongside the amount, in the transaction's currency (minor units).
///
/// With line items, `sum(items) - discount + tax + tip == amount`. Tax already included in the
/// item prices (VAT) is informational and goes in `included_tax`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Adjustments {
    /// Gratuity added by the cardholder.
    #[serde(skip_serializing_if = "is_zero")]
    pub tip: u64,
    /// Discount taken off the items.
    #[serde(skip_serializing_if = "is_zero")]
    pub discount: u64,
    /// Tax added on top of the items (sales tax).
    #[serde(skip_serializing_if = "is_zero")]
    pub tax: u64,
    /// Tax contained in the item prices (VAT), printed but not added.
    #[serde(skip_serializing_if = "is_zero")]
    pub included_tax: u64,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

/// A local date and time with its UTC offset, to the second.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocalTime(time::OffsetDateTime);

impl LocalTime {
    /// The underlying date-time.
    pub fn as_offset_date_time(&self) -> time::OffsetDateTime {
        self.0
    }

    /// The canonical RFC 3339 form, `2026-11-22T14:03:27+08:00`.
    pub fn rfc3339(&self) -> String {
        let t = self.0;
        let offset = t.offset();
        let (h, m, _) = offset.as_hms();
        let sign = if offset.is_negative() { '-' } else { '+' };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            sign,
            h.unsigned_abs(),
            m.unsigned_abs()
        )
    }

    /// Date and time as printed on the receipt, `2026-11-22 14:03:27`.
    pub fn printed(&self) -> String {
        let s = self.rfc3339();
        format!("{} {}", &s[..10], &s[11..19])
    }
}

impl fmt::Debug for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl Serialize for LocalTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

/// The merchant, as its acquirer knows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Merchant {
    /// The merchant id (ISO 8583 field 42), up to 15 characters.
    pub id: String,
    /// The trading name printed at the head of the receipt.
    pub name: String,
    /// The postal address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

/// Where the terminal was. Coordinates are integers of 10⁻⁷ degree (about 1 cm), so that no
/// floating-point value enters the receipt record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Location {
    /// Latitude in 10⁻⁷ degree, −900000000..=900000000.
    #[serde(
        rename = "latitude",
        skip_serializing_if = "Option::is_none",
        serialize_with = "input::ser_e7"
    )]
    pub latitude_e7: Option<i32>,
    /// Longitude in 10⁻⁷ degree, −1800000000..=1800000000.
    #[serde(
        rename = "longitude",
        skip_serializing_if = "Option::is_none",
        serialize_with = "input::ser_e7"
    )]
    pub longitude_e7: Option<i32>,
    /// A description such as the shop's branch or the market stall.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The card as the receipt may show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Card {
    /// The masked card number; the full number was discarded on input.
    pub masked_pan: MaskedPan,
    /// The card scheme.
    pub brand: CardBrand,
    /// How the card was read.
    pub entry_mode: EntryMode,
    /// How the cardholder was verified.
    pub cardholder_verification: Cvm,
}

impl Serialize for MaskedPan {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A card scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CardBrand {
    /// Visa.
    Visa,
    /// Mastercard.
    Mastercard,
    /// China UnionPay.
    Unionpay,
    /// American Express.
    Amex,
    /// JCB.
    Jcb,
    /// Discover.
    Discover,
    /// Diners Club.
    Diners,
    /// Maestro.
    Maestro,
    /// Interac.
    Interac,
    /// eftpos Australia.
    Eftpos,
    /// Any other scheme; the EMV application label says which.
    Other,
}

impl CardBrand {
    /// The name printed on the receipt.
    pub fn label(self) -> &'static str {
        match self {
            Self::Visa => "VISA",
            Self::Mastercard => "MASTERCARD",
            Self::Unionpay => "UNIONPAY",
            Self::Amex => "AMEX",
            Self::Jcb => "JCB",
            Self::Discover => "DISCOVER",
            Self::Diners => "DINERS CLUB",
            Self::Maestro => "MAESTRO",
            Self::Interac => "INTERAC",
            Self::Eftpos => "EFTPOS",
            Self::Other => "CARD",
        }
    }
}

/// How the card data was read (ISO 8583 field 22, POS entry mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EntryMode {
    /// EMV chip inserted.
    Chip,
    /// Contactless chip or mobile wallet tapped.
    Contactless,
    /// Magnetic stripe swiped.
    Swipe,
    /// Stripe swiped after the chip could not be read.
    FallbackSwipe,
    /// Number keyed in by the merchant.
    Manual,
}

/// The cardholder verification method used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Cvm {
    /// No verification (low-value contactless, unattended).
    None,
    /// Handwritten signature.
    Signature,
    /// PIN verified by the issuer.
    OnlinePin,
    /// PIN verified by the chip.
    OfflinePin,
    /// PIN verified by the chip and a signature as well.
    OfflinePinAndSignature,
    /// Verified on the cardholder's own device (phone wallet biometrics).
    Cdcvm,
}

impl Cvm {
    /// True when this method asks for a handwritten signature.
    pub fn needs_signature(self) -> bool {
        matches!(self, Self::Signature | Self::OfflinePinAndSignature)
    }
}

/// EMV data that card schemes require on chip receipts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Emv {
    /// Application identifier (tag 4F), 10–32 hex digits.
    pub aid: String,
    /// Application label (tag 50), up to 16 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_label: Option<String>,
    /// Terminal verification results (tag 95), 10 hex digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tvr: Option<String>,
    /// Transaction status information (tag 9B), 4 hex digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tsi: Option<String>,
    /// Authorisation response code (tag 8A), 2 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arc: Option<String>,
}

/// One item bought.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LineItem {
    /// What was bought.
    pub description: String,
    /// How many, in thousandths (1500 = 1.5), so that weighed goods need no floating point.
    #[serde(rename = "quantity", serialize_with = "input::ser_quantity")]
    pub quantity_milli: u64,
    /// Price of one unit, when the POS knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<u64>,
    /// The line's total, in minor units.
    pub amount: u64,
}

impl LineItem {
    /// The quantity as printed: `2`, `1.5`, `0.375`.
    pub fn quantity_text(&self) -> String {
        input::quantity_text(self.quantity_milli)
    }
}

/// The language of the receipt's printed labels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum Locale {
    /// English labels.
    #[default]
    #[serde(rename = "en")]
    English,
    /// Simplified Chinese labels with English beneath, as UnionPay slips print them.
    #[serde(rename = "zh-CN", alias = "zh", alias = "zh-Hans")]
    Chinese,
}

#[cfg(test)]
mod tests;

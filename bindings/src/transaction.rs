//! The card transaction as a record, for apps that assemble it in code rather than as JSON.
//!
//! The record goes into the core's `TransactionBuilder`, which runs the same validation as the
//! JSON form (`docs/TRANSACTION.md`); coming back, it is the validated transaction with the card
//! number masked. The field names are the JSON form's.

use crate::error::EReceiptError;
use ereceipt_core::Transaction;
use ereceipt_core::transaction as core_tx;

/// A card transaction, as the payment app knows it after approval.
///
/// Amounts are integer minor units of `currency` (ISO 4217). A full card number given in
/// `card.pan` is masked by the SDK and never stored; what comes back from the SDK has only
/// `card.masked_pan`. `Debug` shows what identifies the transaction, never the card number,
/// the note or the line items.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct CardTransaction {
    /// Sale, refund or void.
    pub kind: TransactionKind,
    /// The system trace audit number (ISO 8583 field 11), 1–6 digits; comes back zero-padded.
    pub trace_number: String,
    /// For a refund or void, the trace number of the transaction it reverses.
    #[uniffi(default = None)]
    pub original_trace_number: Option<String>,
    /// The amount charged (sale) or returned (refund, void), in minor units.
    pub amount: u64,
    /// The ISO 4217 currency code, e.g. `CNY`.
    pub currency: String,
    /// Gratuity added by the cardholder, in minor units (0: none).
    #[uniffi(default = 0)]
    pub tip: u64,
    /// Discount taken off the items, in minor units (0: none).
    #[uniffi(default = 0)]
    pub discount: u64,
    /// Tax added on top of the items, in minor units (0: none).
    #[uniffi(default = 0)]
    pub tax: u64,
    /// Tax contained in the item prices (VAT), printed but not added (0: none).
    #[uniffi(default = 0)]
    pub included_tax: u64,
    /// The local time with its UTC offset, RFC 3339: `2026-11-22T14:03:27+08:00`.
    pub local_time: String,
    /// The POS terminal id (ISO 8583 field 41); must be the enrolled terminal's.
    pub terminal_id: String,
    /// The merchant; its id must be the enrolled terminal's merchant.
    pub merchant: Merchant,
    /// Where the terminal was, when known.
    #[uniffi(default = None)]
    pub location: Option<Location>,
    /// The card.
    pub card: Card,
    /// The issuer's authorisation code (ISO 8583 field 38).
    #[uniffi(default = None)]
    pub auth_code: Option<String>,
    /// The retrieval reference number (ISO 8583 field 37).
    #[uniffi(default = None)]
    pub retrieval_reference_number: Option<String>,
    /// The settlement batch number, 1–6 digits; comes back zero-padded.
    pub batch_number: String,
    /// EMV data printed on chip receipts.
    #[uniffi(default = None)]
    pub emv: Option<Emv>,
    /// The items bought, when the POS itemises; with the adjustments they must add up to the
    /// amount.
    #[uniffi(default = [])]
    pub line_items: Vec<LineItem>,
    /// A free-text note printed at the foot of the receipt.
    #[uniffi(default = None)]
    pub note: Option<String>,
    /// The language of the receipt's labels; `None` is English.
    #[uniffi(default = None)]
    pub locale: Option<Locale>,
}

impl std::fmt::Debug for CardTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardTransaction")
            .field("kind", &self.kind)
            .field("trace_number", &self.trace_number)
            .field("amount", &self.amount)
            .field("currency", &self.currency)
            .field("local_time", &self.local_time)
            .field("terminal_id", &self.terminal_id)
            .field("line_items", &self.line_items.len())
            .finish_non_exhaustive()
    }
}

/// What the transaction does with the money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum TransactionKind {
    /// A purchase.
    Sale,
    /// Money returned for an earlier sale.
    Refund,
    /// Cancellation of an earlier transaction of the same batch.
    Void,
}

/// The merchant, as its acquirer knows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Merchant {
    /// The merchant id (ISO 8583 field 42), up to 15 characters.
    pub id: String,
    /// The trading name printed at the head of the receipt.
    pub name: String,
    /// The postal address.
    #[uniffi(default = None)]
    pub address: Option<String>,
}

/// Where the terminal was.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Location {
    /// The coordinates, when known.
    #[uniffi(default = None)]
    pub coordinates: Option<Coordinates>,
    /// A description such as the branch or the market stall.
    #[uniffi(default = None)]
    pub text: Option<String>,
}

/// A position in integers of 10⁻⁷ degree (about 1 cm), so no floating point enters the
/// receipt record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Record)]
pub struct Coordinates {
    /// Latitude in 10⁻⁷ degree, −900000000..=900000000.
    pub latitude_e7: i32,
    /// Longitude in 10⁻⁷ degree, −1800000000..=1800000000.
    pub longitude_e7: i32,
}

/// The card.
///
/// `Debug` never shows the card number.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct Card {
    /// The full card number, going in only: the SDK masks it and drops it. Give this or
    /// `masked_pan`.
    #[uniffi(default = None)]
    pub pan: Option<String>,
    /// The masked card number (first six and last four digits at most), as the card reader
    /// gives it or as the SDK masked it.
    #[uniffi(default = None)]
    pub masked_pan: Option<String>,
    /// The card scheme.
    pub brand: CardBrand,
    /// How the card was read.
    pub entry_mode: EntryMode,
    /// How the cardholder was verified.
    pub cardholder_verification: Cvm,
}

impl std::fmt::Debug for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Card")
            .field("brand", &self.brand)
            .field("entry_mode", &self.entry_mode)
            .field("cardholder_verification", &self.cardholder_verification)
            .finish_non_exhaustive()
    }
}

/// A card scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
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
    /// Any other scheme.
    Other,
}

/// How the card data was read (ISO 8583 field 22).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum EntryMode {
    /// EMV chip inserted.
    Chip,
    /// Contactless chip or mobile wallet tapped.
    Contactless,
    /// Magnetic stripe swiped.
    Swipe,
    /// Stripe swiped after the chip could not be read.
    FallbackSwipe,
    /// Number keyed in.
    Manual,
}

/// The cardholder verification method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Cvm {
    /// No verification.
    None,
    /// Handwritten signature: the receipt needs one.
    Signature,
    /// PIN verified by the issuer.
    OnlinePin,
    /// PIN verified by the chip.
    OfflinePin,
    /// PIN verified by the chip and a signature: the receipt needs one.
    OfflinePinAndSignature,
    /// Verified on the cardholder's own device.
    Cdcvm,
}

/// EMV data that card schemes require on chip receipts.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Emv {
    /// Application identifier (tag 4F), 10–32 hex digits.
    pub aid: String,
    /// Application label (tag 50).
    #[uniffi(default = None)]
    pub application_label: Option<String>,
    /// Terminal verification results (tag 95), 10 hex digits.
    #[uniffi(default = None)]
    pub tvr: Option<String>,
    /// Transaction status information (tag 9B), 4 hex digits.
    #[uniffi(default = None)]
    pub tsi: Option<String>,
    /// Authorisation response code (tag 8A), 2 characters.
    #[uniffi(default = None)]
    pub arc: Option<String>,
}

/// One item bought.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LineItem {
    /// What was bought.
    pub description: String,
    /// How many, in thousandths (1500 = 1.5).
    pub quantity_milli: u64,
    /// Price of one unit, in minor units, when known.
    #[uniffi(default = None)]
    pub unit_price: Option<u64>,
    /// The line's total, in minor units.
    pub amount: u64,
}

/// The language of the receipt's labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Locale {
    /// English labels.
    English,
    /// Simplified Chinese labels with English beneath.
    Chinese,
}

/// Parses and validates a transaction in its JSON form (`docs/TRANSACTION.md`) and returns it
/// as the SDK will print it: card number masked, trace and batch numbers zero-padded.
///
/// # Errors
/// [`EReceiptError::InvalidInput`] naming the field (a JSON path such as `merchant.name`).
#[uniffi::export]
pub fn parse_transaction(json: String) -> Result<CardTransaction, EReceiptError> {
    Ok(Transaction::from_json(&json)?.into())
}

/// Validates a transaction record and returns its canonical JSON form, the form
/// `EReceiptSdk.issue` and the CLI accept.
///
/// # Errors
/// [`EReceiptError::InvalidInput`] naming the field.
#[uniffi::export]
pub fn transaction_to_json(transaction: CardTransaction) -> Result<String, EReceiptError> {
    Ok(Transaction::try_from(transaction)?.to_json())
}

impl TryFrom<CardTransaction> for Transaction {
    type Error = EReceiptError;

    /// Through the core's builder: the same validation as the JSON form.
    fn try_from(t: CardTransaction) -> Result<Self, EReceiptError> {
        let mut b = Transaction::builder()
            .kind(t.kind.into())
            .trace_number(t.trace_number)
            .amount(t.amount, t.currency)
            .local_time(t.local_time)
            .terminal_id(t.terminal_id)
            .merchant(t.merchant.id, t.merchant.name)
            .card(
                t.card.brand.into(),
                t.card.entry_mode.into(),
                t.card.cardholder_verification.into(),
            )
            .batch_number(t.batch_number);
        // The core stores an absent adjustment as zero.
        for (value, set) in [
            (t.tip, core_tx::TransactionBuilder::tip as fn(_, _) -> _),
            (t.discount, core_tx::TransactionBuilder::discount),
            (t.tax, core_tx::TransactionBuilder::tax),
            (t.included_tax, core_tx::TransactionBuilder::included_tax),
        ] {
            if value != 0 {
                b = set(b, value);
            }
        }
        if let Some(v) = t.original_trace_number {
            b = b.original_trace_number(v);
        }
        if let Some(v) = t.merchant.address {
            b = b.merchant_address(v);
        }
        if let Some(location) = t.location {
            if let Some(c) = location.coordinates {
                b = b.coordinates(c.latitude_e7, c.longitude_e7);
            }
            if let Some(text) = location.text {
                b = b.location_text(text);
            }
        }
        if let Some(pan) = t.card.pan {
            b = b.pan(pan);
        }
        if let Some(masked) = t.card.masked_pan {
            b = b.masked_pan(masked);
        }
        if let Some(v) = t.auth_code {
            b = b.auth_code(v);
        }
        if let Some(v) = t.retrieval_reference_number {
            b = b.retrieval_reference_number(v);
        }
        if let Some(e) = t.emv {
            b = b.emv(e.aid, e.application_label, e.tvr, e.tsi, e.arc);
        }
        for item in t.line_items {
            b = b.line_item(
                item.description,
                item.quantity_milli,
                item.unit_price,
                item.amount,
            );
        }
        if let Some(v) = t.note {
            b = b.note(v);
        }
        if let Some(v) = t.locale {
            b = b.locale(v.into());
        }
        Ok(b.build()?)
    }
}

impl From<Transaction> for CardTransaction {
    fn from(t: Transaction) -> Self {
        let adjustments = t.adjustments();
        let card = t.card();
        CardTransaction {
            kind: t.kind().into(),
            trace_number: t.trace_number().to_owned(),
            original_trace_number: t.original_trace_number().map(str::to_owned),
            amount: t.amount().minor(),
            currency: t.amount().currency().code().to_owned(),
            tip: adjustments.tip,
            discount: adjustments.discount,
            tax: adjustments.tax,
            included_tax: adjustments.included_tax,
            local_time: t.local_time().rfc3339(),
            terminal_id: t.terminal_id().to_owned(),
            merchant: Merchant {
                id: t.merchant().id.clone(),
                name: t.merchant().name.clone(),
                address: t.merchant().address.clone(),
            },
            location: t.location().map(|l| Location {
                coordinates: l.latitude_e7.zip(l.longitude_e7).map(
                    |(latitude_e7, longitude_e7)| Coordinates {
                        latitude_e7,
                        longitude_e7,
                    },
                ),
                text: l.text.clone(),
            }),
            card: Card {
                pan: None,
                masked_pan: Some(card.masked_pan.as_str().to_owned()),
                brand: card.brand.into(),
                entry_mode: card.entry_mode.into(),
                cardholder_verification: card.cardholder_verification.into(),
            },
            auth_code: t.auth_code().map(str::to_owned),
            retrieval_reference_number: t.retrieval_reference_number().map(str::to_owned),
            batch_number: t.batch_number().to_owned(),
            emv: t.emv().map(|e| Emv {
                aid: e.aid.clone(),
                application_label: e.application_label.clone(),
                tvr: e.tvr.clone(),
                tsi: e.tsi.clone(),
                arc: e.arc.clone(),
            }),
            line_items: t
                .line_items()
                .iter()
                .map(|i| LineItem {
                    description: i.description.clone(),
                    quantity_milli: i.quantity_milli,
                    unit_price: i.unit_price,
                    amount: i.amount,
                })
                .collect(),
            note: t.note().map(str::to_owned),
            locale: Some(t.locale().into()),
        }
    }
}

/// Maps a pair of enums that have the same variants, both ways.
macro_rules! same_variants {
    ($ours:ident, $core:path, [$($variant:ident),+ $(,)?]) => {
        impl From<$ours> for $core {
            fn from(v: $ours) -> Self {
                match v {
                    $($ours::$variant => <$core>::$variant,)+
                }
            }
        }

        impl From<$core> for $ours {
            fn from(v: $core) -> Self {
                #[allow(unreachable_patterns)]
                match v {
                    $(<$core>::$variant => $ours::$variant,)+
                    // The core's enum is non-exhaustive; a variant added there is added here
                    // before it can reach a receipt, and until then reads as the last one.
                    _ => same_variants!(@last $ours, [$($variant),+]),
                }
            }
        }
    };
    (@last $ours:ident, [$only:ident]) => {
        $ours::$only
    };
    (@last $ours:ident, [$first:ident, $($rest:ident),+]) => {
        same_variants!(@last $ours, [$($rest),+])
    };
}

same_variants!(TransactionKind, core_tx::Kind, [Sale, Refund, Void]);
same_variants!(
    CardBrand,
    core_tx::CardBrand,
    [
        Visa, Mastercard, Unionpay, Amex, Jcb, Discover, Diners, Maestro, Interac, Eftpos, Other
    ]
);
same_variants!(
    EntryMode,
    core_tx::EntryMode,
    [Chip, Contactless, Swipe, FallbackSwipe, Manual]
);
same_variants!(
    Cvm,
    core_tx::Cvm,
    [
        None,
        Signature,
        OnlinePin,
        OfflinePin,
        OfflinePinAndSignature,
        Cdcvm
    ]
);
same_variants!(Locale, core_tx::Locale, [English, Chinese]);

//! Validation errors for transactions.

/// Why a transaction was refused.
///
/// Every variant names the offending field by its JSON path (`merchant.name`,
/// `line_items[2].amount`) and never carries the value itself: values may hold customer data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// The input is not well-formed JSON; the position is where the parser stopped.
    #[error("transaction JSON is malformed at line {line}, column {column}")]
    Syntax {
        /// One-based line of the error.
        line: usize,
        /// One-based column of the error.
        column: usize,
    },
    /// The input is larger than [`MAX_JSON_BYTES`](super::MAX_JSON_BYTES).
    #[error("transaction JSON is larger than {max} bytes")]
    TooLarge {
        /// The limit in bytes.
        max: usize,
    },
    /// A required field is absent.
    #[error("{field}: missing")]
    Missing {
        /// The field's path.
        field: String,
    },
    /// The input has a field the format does not define (a typo, or data that has no place on
    /// a receipt).
    #[error("{field}: unknown field")]
    UnknownField {
        /// The field's path.
        field: String,
    },
    /// A field that must never reach a receipt: card verification codes, PIN blocks and
    /// magnetic-stripe track data (PCI DSS requirement 3.3). The whole input is refused.
    #[error("{field}: card verification codes, PIN blocks and track data are never accepted")]
    Forbidden {
        /// The field's path.
        field: String,
    },
    /// A field has the wrong type or an unacceptable value; `reason` says what was expected.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field's path.
        field: String,
        /// What the field must be, in words.
        reason: String,
    },
    /// The currency is not an ISO 4217 code with a minor unit.
    #[error("{field}: not an ISO 4217 currency code with a minor unit")]
    UnknownCurrency {
        /// The field's path.
        field: String,
    },
    /// An amount is zero where it must be positive, or above the twelve-digit maximum.
    #[error("{field}: {reason}")]
    AmountOutOfRange {
        /// The field's path.
        field: String,
        /// Which bound was crossed.
        reason: &'static str,
    },
    /// The local time is not a real instant (February 30th, hour 25), lacks a UTC offset, has
    /// an offset beyond ±14:00, or lies outside the years 2000–2099.
    #[error("{field}: {reason}")]
    ImpossibleTime {
        /// The field's path.
        field: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A text is longer than its limit, counted in Unicode scalar values.
    #[error("{field}: longer than {max} characters")]
    TooLong {
        /// The field's path.
        field: String,
        /// The limit.
        max: usize,
    },
    /// The line items, minus the discount, plus tax and tip, do not add up to the amount.
    #[error(
        "line_items: items {items} - discount {discount} + tax {tax} + tip {tip} = {computed}, \
         but amount is {amount} (minor units)"
    )]
    ItemsTotalMismatch {
        /// Sum of the line items' amounts.
        items: u64,
        /// The declared discount.
        discount: u64,
        /// The declared tax added on top of the items.
        tax: u64,
        /// The declared tip.
        tip: u64,
        /// What the items and adjustments add up to.
        computed: i128,
        /// The transaction's amount.
        amount: u64,
    },
}

impl ValidationError {
    /// The path of the field the error is about, when it is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Missing { field }
            | Self::UnknownField { field }
            | Self::Forbidden { field }
            | Self::Invalid { field, .. }
            | Self::UnknownCurrency { field }
            | Self::AmountOutOfRange { field, .. }
            | Self::ImpossibleTime { field, .. }
            | Self::TooLong { field, .. } => Some(field),
            Self::ItemsTotalMismatch { .. } => Some("line_items"),
            Self::Syntax { .. } | Self::TooLarge { .. } => None,
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn missing(field: impl Into<String>) -> Self {
        Self::Missing {
            field: field.into(),
        }
    }
}

//! The customer's delivery choice (Source A \[0039\], \[0046\]–\[0049\]).

use std::fmt;

/// How the customer wants the receipt. Consumers may choose any; merchants only pull.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Delivery {
    /// A text message with a short link, to an E.164 phone number.
    Sms(String),
    /// A multimedia message carrying the receipt image, to an E.164 phone number.
    Mms(String),
    /// An e-mail with the receipt inline and attached.
    Email(String),
    /// No push: the customer signs in at the portal with this phone number and a one-time code.
    Pull(String),
}

/// Why a delivery address was refused. The address itself is never repeated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// A phone number is not `+` and 8–15 digits (spaces and hyphens allowed between digits).
    #[error("delivery: expected a phone number in international form (+8613800138000)")]
    Phone,
    /// An e-mail address is not `local@domain.tld` within RFC 5321's lengths.
    #[error("delivery: expected an e-mail address")]
    Email,
    /// The delivery kind is unknown (`sms`, `mms`, `email` and `pull` are known).
    #[error("delivery: unknown kind (sms, mms, email or pull)")]
    Kind,
}

impl Delivery {
    /// Parses the CLI form `sms:NUMBER`, `mms:NUMBER`, `email:ADDRESS` or `pull:NUMBER`.
    pub fn parse(text: &str) -> Result<Self, DeliveryError> {
        let (kind, address) = text.split_once(':').ok_or(DeliveryError::Kind)?;
        match kind {
            "sms" => Ok(Delivery::Sms(phone(address)?)),
            "mms" => Ok(Delivery::Mms(phone(address)?)),
            "email" => Ok(Delivery::Email(email(address)?)),
            "pull" => Ok(Delivery::Pull(phone(address)?)),
            _ => Err(DeliveryError::Kind),
        }
    }

    /// The normalised address (phone number or e-mail address).
    pub fn address(&self) -> &str {
        match self {
            Delivery::Sms(a) | Delivery::Mms(a) | Delivery::Email(a) | Delivery::Pull(a) => a,
        }
    }

    pub(super) fn code(&self) -> u8 {
        match self {
            Delivery::Sms(_) => 1,
            Delivery::Mms(_) => 2,
            Delivery::Email(_) => 3,
            Delivery::Pull(_) => 4,
        }
    }

    pub(super) fn from_code(code: u8, address: &str) -> Result<Self, DeliveryError> {
        match code {
            1 => Ok(Delivery::Sms(phone(address)?)),
            2 => Ok(Delivery::Mms(phone(address)?)),
            3 => Ok(Delivery::Email(email(address)?)),
            4 => Ok(Delivery::Pull(phone(address)?)),
            _ => Err(DeliveryError::Kind),
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Delivery::Sms(_) => "sms",
            Delivery::Mms(_) => "mms",
            Delivery::Email(_) => "email",
            Delivery::Pull(_) => "pull",
        }
    }
}

impl fmt::Debug for Delivery {
    /// The kind only: addresses are customer data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Delivery({}, redacted)", self.kind())
    }
}

/// `+` and 8–15 digits, separators removed.
fn phone(text: &str) -> Result<String, DeliveryError> {
    let digits = text.strip_prefix('+').ok_or(DeliveryError::Phone)?;
    let compact: String = digits.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let ok = (8..=15).contains(&compact.len())
        && compact.bytes().all(|b| b.is_ascii_digit())
        && !compact.starts_with('0');
    ok.then(|| format!("+{compact}"))
        .ok_or(DeliveryError::Phone)
}

/// A pragmatic address check: one `@`, a local part of 1–64 printable characters, a domain of
/// dot-separated labels with a dot, 254 characters in all. The domain is lower-cased.
fn email(text: &str) -> Result<String, DeliveryError> {
    let (local, domain) = text.rsplit_once('@').ok_or(DeliveryError::Email)?;
    let printable = |s: &str| {
        s.chars()
            .all(|c| !c.is_control() && !c.is_whitespace() && c != '@')
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let ok = !local.is_empty()
        && local.len() <= 64
        && printable(local)
        && text.len() <= 254
        && domain.contains('.')
        && domain.split('.').all(label_ok);
    ok.then(|| format!("{local}@{}", domain.to_lowercase()))
        .ok_or(DeliveryError::Email)
}

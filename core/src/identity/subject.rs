//! [`TerminalSubject`]: who a terminal certificate names, and how that maps onto an X.509 name.

use x509_parser::oid_registry::Oid;
use x509_parser::x509::X509Name;

use super::error::IdentityError;

/// The `organizationIdentifier` attribute type (X.520, OID 2.5.4.97), which carries the merchant
/// id in certificate subjects.
pub(crate) const ORGANIZATION_IDENTIFIER: [u64; 4] = [2, 5, 4, 97];

/// Longest terminal id: ISO 8583 field 41 is 8 characters; 16 leaves room for acquirers that
/// use longer ids.
const TERMINAL_ID_MAX: usize = 16;
/// Longest merchant id: ISO 8583 field 42 (card acceptor identification code) is 15 characters.
const MERCHANT_ID_MAX: usize = 15;
/// Longest merchant name: X.520's upper bound for an organization name (`ub-organization-name`).
pub(crate) const NAME_MAX: usize = 64;

/// The merchant and terminal that a terminal certificate names.
///
/// A value of this type is always valid: the constructor checks every field, so a CSR or a
/// certificate built from it passes the CA's checks. In X.509 subjects the fields are laid out
/// as `CN` = terminal id, `O` = merchant name, `organizationIdentifier` (2.5.4.97) = merchant id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TerminalSubject {
    /// 1 to 15 characters of `[A-Za-z0-9._-]`.
    merchant_id: String,
    /// 1 to 64 characters, no control characters, not blank.
    merchant_name: String,
    /// 1 to 16 characters of `[A-Za-z0-9._-]`.
    terminal_id: String,
}

impl TerminalSubject {
    /// Checks and builds a subject.
    ///
    /// The ids are 1–15 (merchant) and 1–16 (terminal) characters of `[A-Za-z0-9._-]`, as ISO 8583
    /// fields 42 and 41 allow; the merchant name is 1–64 characters without control characters
    /// and not only spaces. Anything else is [`IdentityError::InvalidSubject`] naming the field.
    pub fn new(
        merchant_id: &str,
        merchant_name: &str,
        terminal_id: &str,
    ) -> Result<Self, IdentityError> {
        check_id("merchant_id", merchant_id, MERCHANT_ID_MAX)?;
        check_name("merchant_name", merchant_name)?;
        check_id("terminal_id", terminal_id, TERMINAL_ID_MAX)?;
        Ok(Self {
            merchant_id: merchant_id.to_owned(),
            merchant_name: merchant_name.to_owned(),
            terminal_id: terminal_id.to_owned(),
        })
    }

    /// The merchant id (ISO 8583 field 42).
    pub fn merchant_id(&self) -> &str {
        &self.merchant_id
    }

    /// The merchant's name as it appears on receipts.
    pub fn merchant_name(&self) -> &str {
        &self.merchant_name
    }

    /// The terminal id (ISO 8583 field 41).
    pub fn terminal_id(&self) -> &str {
        &self.terminal_id
    }

    /// The X.509 distinguished name for this subject.
    pub(crate) fn distinguished_name(&self) -> rcgen::DistinguishedName {
        let mut name = rcgen::DistinguishedName::new();
        name.push(rcgen::DnType::CommonName, self.terminal_id.as_str());
        name.push(rcgen::DnType::OrganizationName, self.merchant_name.as_str());
        name.push(
            rcgen::DnType::CustomDnType(ORGANIZATION_IDENTIFIER.to_vec()),
            self.merchant_id.as_str(),
        );
        name
    }

    /// Reads a subject from an X.509 name that holds exactly one `CN`, `O` and
    /// `organizationIdentifier`; other attributes are ignored.
    pub(crate) fn from_x509_name(name: &X509Name<'_>) -> Result<Self, IdentityError> {
        let terminal_id = single_attribute(name.iter_common_name(), "terminal_id")?;
        let merchant_name = single_attribute(name.iter_organization(), "merchant_name")?;
        let oid = Oid::from(&ORGANIZATION_IDENTIFIER).map_err(|_| IdentityError::Parse {
            what: "attribute type",
        })?;
        let merchant_id = single_attribute(name.iter_by_oid(&oid), "merchant_id")?;
        Self::new(merchant_id, merchant_name, terminal_id)
    }
}

/// The string value of the only attribute `values` yields.
fn single_attribute<'a, 'b: 'a>(
    mut values: impl Iterator<Item = &'a x509_parser::x509::AttributeTypeAndValue<'b>>,
    field: &'static str,
) -> Result<&'a str, IdentityError> {
    let (Some(value), None) = (values.next(), values.next()) else {
        return Err(IdentityError::InvalidSubject {
            field,
            reason: "must appear exactly once in the certificate subject",
        });
    };
    value.as_str().map_err(|_| IdentityError::InvalidSubject {
        field,
        reason: "is not a text string",
    })
}

/// Checks an ISO 8583-style identifier.
fn check_id(field: &'static str, value: &str, max: usize) -> Result<(), IdentityError> {
    if value.is_empty() || value.len() > max {
        return Err(IdentityError::InvalidSubject {
            field,
            reason: "has the wrong length",
        });
    }
    if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(IdentityError::InvalidSubject {
            field,
            reason: "may only hold letters, digits, '-', '_' and '.'",
        });
    }
    Ok(())
}

/// Checks a human-readable name (merchant or CA): 1–64 characters, no control characters.
pub(crate) fn check_name(field: &'static str, value: &str) -> Result<(), IdentityError> {
    let chars = value.chars().count();
    if chars == 0 || chars > NAME_MAX || value.trim().is_empty() {
        return Err(IdentityError::InvalidSubject {
            field,
            reason: "must be 1 to 64 characters and not blank",
        });
    }
    if value.chars().any(char::is_control) {
        return Err(IdentityError::InvalidSubject {
            field,
            reason: "must not hold control characters",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(result: Result<TerminalSubject, IdentityError>) -> &'static str {
        match result {
            Err(IdentityError::InvalidSubject { field, .. }) => field,
            other => panic!("expected InvalidSubject, got {other:?}"),
        }
    }

    #[test]
    fn valid_subjects_are_accepted() {
        let subject = TerminalSubject::new("898310048990001", "上海星光咖啡馆", "T0000001")
            .expect("valid subject");
        assert_eq!(subject.merchant_id(), "898310048990001");
        assert_eq!(subject.merchant_name(), "上海星光咖啡馆");
        assert_eq!(subject.terminal_id(), "T0000001");
        TerminalSubject::new("m-1_2.3", &"é".repeat(64), "t.erm-inal_16chr").expect("edges");
    }

    #[test]
    fn each_field_is_checked_and_named() {
        assert_eq!(
            field_of(TerminalSubject::new("", "Cafe", "T1")),
            "merchant_id"
        );
        assert_eq!(
            field_of(TerminalSubject::new("1234567890123456", "Cafe", "T1")),
            "merchant_id"
        );
        assert_eq!(
            field_of(TerminalSubject::new("M 1", "Cafe", "T1")),
            "merchant_id"
        );
        assert_eq!(
            field_of(TerminalSubject::new("M1", "", "T1")),
            "merchant_name"
        );
        assert_eq!(
            field_of(TerminalSubject::new("M1", "   ", "T1")),
            "merchant_name"
        );
        assert_eq!(
            field_of(TerminalSubject::new("M1", &"x".repeat(65), "T1")),
            "merchant_name"
        );
        assert_eq!(
            field_of(TerminalSubject::new("M1", "Ca\nfe", "T1")),
            "merchant_name"
        );
        assert_eq!(
            field_of(TerminalSubject::new("M1", "Cafe", "")),
            "terminal_id"
        );
        assert_eq!(
            field_of(TerminalSubject::new("M1", "Cafe", "T0000000000000001")),
            "terminal_id"
        );
        assert_eq!(
            field_of(TerminalSubject::new("M1", "Cafe", "T/1")),
            "terminal_id"
        );
        assert_eq!(
            field_of(TerminalSubject::new("M1", "Cafe", "Té")),
            "terminal_id"
        );
    }
}

//! Card numbers: detection and masking (PCI DSS requirement 3.4).
//!
//! A full primary account number (PAN) never leaves the SDK's input check. Wherever a
//! transaction carries free text (merchant name, address, item descriptions, the note, the EMV
//! application label) the text is scanned for a Luhn-valid run of 12–19 digits, possibly grouped
//! by single spaces or hyphens as people write card numbers, and each such run is replaced by its
//! masked form before the text is stored anywhere. The card's own number is masked the same way.
//!
//! Masking keeps at most the first six and the last four digits, the most PCI DSS allows to be
//! shown: numbers of 15 digits or more keep six leading digits (the BIN), shorter ones keep only
//! the last four, so that at least five digits of any number are always hidden.
//!
//! Fixed-format ISO 8583 identifiers (merchant id, terminal id, retrieval reference number) are
//! not scanned: one legitimate 15-digit merchant id in ten passes the Luhn check by chance, and
//! rewriting it would corrupt the receipt. They are limited to their ISO 8583 lengths instead.

use std::fmt;

/// The character that replaces a hidden digit.
pub const MASK_CHAR: char = '*';

/// A masked card number such as `622202*********3445`: never more than the first six and the
/// last four digits visible.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MaskedPan(String);

impl MaskedPan {
    /// Masks a full card number given as its digits (12–19 of them).
    ///
    /// Returns `None` when `digits` is not 12–19 ASCII digits.
    pub fn from_full(digits: &str) -> Option<Self> {
        let len = digits.len();
        if !(12..=19).contains(&len) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(MaskedPan(mask_digits(digits)))
    }

    /// Accepts an already masked number (`411111******1111`, `************1111`, with `*`, `X`,
    /// `x` or `•` as mask characters), normalising the mask characters to `*`.
    ///
    /// Returns `None` unless it has 12–19 positions, every visible digit is among the first six or
    /// the last four, and at least one position is masked.
    pub fn from_masked(masked: &str) -> Option<Self> {
        let normalised: String = masked
            .chars()
            .map(|c| {
                if matches!(c, 'X' | 'x' | '•') {
                    MASK_CHAR
                } else {
                    c
                }
            })
            .collect();
        let len = normalised.chars().count();
        if !(12..=19).contains(&len) {
            return None;
        }
        let mut any_masked = false;
        for (i, c) in normalised.chars().enumerate() {
            match c {
                MASK_CHAR => any_masked = true,
                '0'..='9' if i < 6 || i >= len - 4 => {}
                _ => return None,
            }
        }
        any_masked.then_some(MaskedPan(normalised))
    }

    /// The masked number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four digits, or fewer where the input masked them.
    pub fn last4(&self) -> &str {
        let start = self.0.len().saturating_sub(4);
        &self.0[start..]
    }
}

impl fmt::Debug for MaskedPan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MaskedPan({})", self.0)
    }
}

impl fmt::Display for MaskedPan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// True when `digits` (ASCII digits only) passes the Luhn (mod 10) check.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// Replaces every Luhn-valid run of 12–19 digits in `text` with its masked form.
///
/// A run is a sequence of digits in which single spaces or hyphens may separate groups
/// (`4111 1111 1111 1111`). A longer digit run that contains a Luhn-valid 12–19-digit window
/// is masked whole except for its last four digits: it may be a card number glued to other
/// digits, and hiding a reference number is a smaller harm than showing a card number.
/// Returns the text unchanged (without copying) when it holds no such run.
pub fn mask_card_numbers(text: &str) -> std::borrow::Cow<'_, str> {
    let runs = digit_runs(text);
    if runs.iter().all(|run| !run.is_card_like(text)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for run in runs {
        if !run.is_card_like(text) {
            continue;
        }
        out.push_str(&text[copied..run.start]);
        let digits: String = text[run.start..run.end]
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        if digits.len() <= 19 {
            out.push_str(&mask_digits(&digits));
        } else {
            let keep = digits.len() - 4;
            out.extend(std::iter::repeat_n(MASK_CHAR, keep));
            out.push_str(&digits[keep..]);
        }
        copied = run.end;
    }
    out.push_str(&text[copied..]);
    std::borrow::Cow::Owned(out)
}

/// True when `text` contains something [`mask_card_numbers`] would mask.
pub fn contains_card_number(text: &str) -> bool {
    digit_runs(text).iter().any(|run| run.is_card_like(text))
}

fn mask_digits(digits: &str) -> String {
    let len = digits.len();
    let lead = if len >= 15 { 6 } else { 0 };
    let mut out = String::with_capacity(len);
    out.push_str(&digits[..lead]);
    out.extend(std::iter::repeat_n(MASK_CHAR, len - lead - 4));
    out.push_str(&digits[len - 4..]);
    out
}

/// A byte range of `text` holding digits separated by at most one space or hyphen.
struct Run {
    start: usize,
    end: usize,
}

impl Run {
    fn is_card_like(&self, text: &str) -> bool {
        let digits: Vec<u8> = text.as_bytes()[self.start..self.end]
            .iter()
            .copied()
            .filter(u8::is_ascii_digit)
            .collect();
        if digits.len() < 12 {
            return false;
        }
        let as_str = |d: &[u8]| d.iter().map(|&b| char::from(b)).collect::<String>();
        if digits.len() <= 19 {
            return luhn_valid(&as_str(&digits));
        }
        (12..=19).any(|w| digits.windows(w).any(|win| luhn_valid(&as_str(win))))
    }
}

fn digit_runs(text: &str) -> Vec<Run> {
    let bytes = text.as_bytes();
    let mut runs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        while end < bytes.len() {
            let digit = bytes[end].is_ascii_digit();
            let separator = matches!(bytes[end], b' ' | b'-')
                && bytes.get(end + 1).is_some_and(u8::is_ascii_digit);
            if !(digit || separator) {
                break;
            }
            end += 1;
        }
        runs.push(Run { start, end });
        i = end;
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn luhn() {
        assert!(luhn_valid("4111111111111111"));
        assert!(luhn_valid("378282246310005"));
        assert!(!luhn_valid("4111111111111112"));
        assert!(!luhn_valid(""));
    }

    #[test]
    fn masks_full_numbers() {
        assert_eq!(
            MaskedPan::from_full("4111111111111111").unwrap().as_str(),
            "411111******1111"
        );
        assert_eq!(
            MaskedPan::from_full("378282246310005").unwrap().as_str(),
            "378282*****0005"
        );
        assert_eq!(
            MaskedPan::from_full("123456789012").unwrap().as_str(),
            "********9012"
        );
        assert!(MaskedPan::from_full("12345678901").is_none());
        assert!(MaskedPan::from_full("4111-1111").is_none());
    }

    #[test]
    fn accepts_only_properly_masked_numbers() {
        assert_eq!(
            MaskedPan::from_masked("411111XXXXXX1111").unwrap().as_str(),
            "411111******1111"
        );
        assert!(
            MaskedPan::from_masked("4111111111111111").is_none(),
            "nothing masked"
        );
        assert!(
            MaskedPan::from_masked("4111111*****1111").is_none(),
            "7 leading digits"
        );
        assert!(MaskedPan::from_masked("****1111").is_none(), "too short");
        assert_eq!(
            MaskedPan::from_masked("************1111").unwrap().last4(),
            "1111"
        );
    }

    #[test]
    fn masks_numbers_in_free_text() {
        assert_eq!(
            mask_card_numbers("card 4111 1111 1111 1111 ok"),
            "card 411111******1111 ok"
        );
        assert_eq!(mask_card_numbers("4111-1111-1111-1111"), "411111******1111");
        assert_eq!(
            mask_card_numbers("table 12, 2 guests"),
            "table 12, 2 guests"
        );
        assert_eq!(
            mask_card_numbers("order 4111111111111112"),
            "order 4111111111111112"
        );
        let glued = mask_card_numbers("x99994111111111111111");
        assert!(!glued.contains("4111111111111111"));
        assert!(glued.ends_with("1111"));
    }

    fn luhn_complete(body: &[u8]) -> String {
        let mut s: String = body.iter().map(|d| char::from(b'0' + d % 10)).collect();
        for check in 0..10u8 {
            let candidate = format!("{s}{check}");
            if luhn_valid(&candidate) {
                s = candidate;
                break;
            }
        }
        s
    }

    proptest! {
        #[test]
        fn no_full_pan_survives_masking(
            body in proptest::collection::vec(0u8..10, 11..19),
            before in "[a-zA-Z ,.]{0,20}",
            after in "[a-zA-Z ,.]{0,20}",
        ) {
            let pan = luhn_complete(&body);
            prop_assert!(luhn_valid(&pan));
            let text = format!("{before}{pan}{after}");
            let masked = mask_card_numbers(&text);
            prop_assert!(!masked.contains(&pan));
            prop_assert!(!contains_card_number(&masked));
        }

        #[test]
        fn masking_never_panics(text in "\\PC{0,80}") {
            let _ = mask_card_numbers(&text);
        }
    }
}

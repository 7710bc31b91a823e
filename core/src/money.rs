//! Money as integer minor units of an ISO 4217 currency.
//!
//! Floating point never touches an amount: a value is a count of the currency's minor unit
//! (cents, fen, fils), and the number of decimals comes from the ISO 4217 table below
//! (JPY 0, CNY 2, KWD 3, CLF 4). Codes that have no minor unit defined by ISO 4217 (precious
//! metals, SDR, test and "no currency" codes) cannot carry a card payment and are not accepted.

use std::fmt;

/// An active ISO 4217 currency with a defined minor unit.
///
/// The value is a reference into the built-in table, so copying it is free and two currencies
/// compare equal exactly when their codes do.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(&'static CurrencyInfo);

#[derive(PartialEq, Eq, Hash)]
struct CurrencyInfo {
    code: &'static str,
    numeric: u16,
    exponent: u8,
}

impl Currency {
    /// Looks up an alphabetic code (`"CNY"`); codes are upper case, as ISO 4217 writes them.
    pub fn from_code(code: &str) -> Option<Self> {
        TABLE
            .binary_search_by(|info| info.code.cmp(code))
            .ok()
            .map(|i| Currency(&TABLE[i]))
    }

    /// Looks up a numeric code (`156` for CNY), as carried by ISO 8583 field 49.
    pub fn from_numeric(numeric: u16) -> Option<Self> {
        TABLE
            .iter()
            .find(|info| info.numeric == numeric)
            .map(Currency)
    }

    /// The three-letter alphabetic code.
    pub fn code(self) -> &'static str {
        self.0.code
    }

    /// The three-digit numeric code.
    pub fn numeric(self) -> u16 {
        self.0.numeric
    }

    /// The number of decimal places of the minor unit (0 for JPY, 2 for CNY, 3 for KWD).
    pub fn exponent(self) -> u8 {
        self.0.exponent
    }

    /// Every currency the SDK accepts, in code order.
    pub fn all() -> impl Iterator<Item = Currency> {
        TABLE.iter().map(Currency)
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// The largest amount the SDK accepts: twelve digits, the width of ISO 8583 field 4.
pub const MAX_MINOR_UNITS: u64 = 999_999_999_999;

/// An amount: a non-negative count of minor units in one currency.
///
/// Direction (sale or refund) is the transaction's kind, never the sign of an amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Money {
    minor: u64,
    currency: Currency,
}

impl Money {
    /// An amount of `minor` units, or `None` above [`MAX_MINOR_UNITS`].
    pub fn new(minor: u64, currency: Currency) -> Option<Self> {
        (minor <= MAX_MINOR_UNITS).then_some(Money { minor, currency })
    }

    /// The count of minor units.
    pub fn minor(self) -> u64 {
        self.minor
    }

    /// The currency.
    pub fn currency(self) -> Currency {
        self.currency
    }

    /// The amount as a decimal number with the currency's decimals and thousands separators,
    /// without the currency code: `1,234.56`, `1,200` (JPY), `12.500` (KWD).
    pub fn decimal(self) -> String {
        let digits = self.minor.to_string();
        let exponent = usize::from(self.currency.exponent());
        let padded = format!("{digits:0>width$}", width = exponent + 1);
        let (whole, fraction) = padded.split_at(padded.len() - exponent);
        let mut out = String::with_capacity(padded.len() + padded.len() / 3 + 1);
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if exponent > 0 {
            out.push('.');
            out.push_str(fraction);
        }
        out
    }
}

impl fmt::Display for Money {
    /// `CNY 1,234.56`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.currency, self.decimal())
    }
}

macro_rules! table {
    ($($code:literal $numeric:literal $exponent:literal),* $(,)?) => {
        &[$(CurrencyInfo { code: $code, numeric: $numeric, exponent: $exponent }),*]
    };
}

/// ISO 4217 list one (current currencies and funds), those with a defined minor unit, sorted by
/// code. Amendments through 2025 are applied (XCG replaced ANG, ZWG replaced ZWL, SLE replaced
/// SLL, CUC withdrawn). BGN is kept while Bulgarian refunds of pre-euro sales remain possible.
static TABLE: &[CurrencyInfo] = table![
    "AED" 784 2, "AFN" 971 2, "ALL" 8 2, "AMD" 51 2, "AOA" 973 2, "ARS" 32 2, "AUD" 36 2,
    "AWG" 533 2, "AZN" 944 2, "BAM" 977 2, "BBD" 52 2, "BDT" 50 2, "BGN" 975 2, "BHD" 48 3,
    "BIF" 108 0, "BMD" 60 2, "BND" 96 2, "BOB" 68 2, "BOV" 984 2, "BRL" 986 2, "BSD" 44 2,
    "BTN" 64 2, "BWP" 72 2, "BYN" 933 2, "BZD" 84 2, "CAD" 124 2, "CDF" 976 2, "CHE" 947 2,
    "CHF" 756 2, "CHW" 948 2, "CLF" 990 4, "CLP" 152 0, "CNY" 156 2, "COP" 170 2, "COU" 970 2,
    "CRC" 188 2, "CUP" 192 2, "CVE" 132 2, "CZK" 203 2, "DJF" 262 0, "DKK" 208 2, "DOP" 214 2,
    "DZD" 12 2, "EGP" 818 2, "ERN" 232 2, "ETB" 230 2, "EUR" 978 2, "FJD" 242 2, "FKP" 238 2,
    "GBP" 826 2, "GEL" 981 2, "GHS" 936 2, "GIP" 292 2, "GMD" 270 2, "GNF" 324 0, "GTQ" 320 2,
    "GYD" 328 2, "HKD" 344 2, "HNL" 340 2, "HTG" 332 2, "HUF" 348 2, "IDR" 360 2, "ILS" 376 2,
    "INR" 356 2, "IQD" 368 3, "IRR" 364 2, "ISK" 352 0, "JMD" 388 2, "JOD" 400 3, "JPY" 392 0,
    "KES" 404 2, "KGS" 417 2, "KHR" 116 2, "KMF" 174 0, "KPW" 408 2, "KRW" 410 0, "KWD" 414 3,
    "KYD" 136 2, "KZT" 398 2, "LAK" 418 2, "LBP" 422 2, "LKR" 144 2, "LRD" 430 2, "LSL" 426 2,
    "LYD" 434 3, "MAD" 504 2, "MDL" 498 2, "MGA" 969 2, "MKD" 807 2, "MMK" 104 2, "MNT" 496 2,
    "MOP" 446 2, "MRU" 929 2, "MUR" 480 2, "MVR" 462 2, "MWK" 454 2, "MXN" 484 2, "MXV" 979 2,
    "MYR" 458 2, "MZN" 943 2, "NAD" 516 2, "NGN" 566 2, "NIO" 558 2, "NOK" 578 2, "NPR" 524 2,
    "NZD" 554 2, "OMR" 512 3, "PAB" 590 2, "PEN" 604 2, "PGK" 598 2, "PHP" 608 2, "PKR" 586 2,
    "PLN" 985 2, "PYG" 600 0, "QAR" 634 2, "RON" 946 2, "RSD" 941 2, "RUB" 643 2, "RWF" 646 0,
    "SAR" 682 2, "SBD" 90 2, "SCR" 690 2, "SDG" 938 2, "SEK" 752 2, "SGD" 702 2, "SHP" 654 2,
    "SLE" 925 2, "SOS" 706 2, "SRD" 968 2, "SSP" 728 2, "STN" 930 2, "SVC" 222 2, "SYP" 760 2,
    "SZL" 748 2, "THB" 764 2, "TJS" 972 2, "TMT" 934 2, "TND" 788 3, "TOP" 776 2, "TRY" 949 2,
    "TTD" 780 2, "TWD" 901 2, "TZS" 834 2, "UAH" 980 2, "UGX" 800 0, "USD" 840 2, "USN" 997 2,
    "UYI" 940 0, "UYU" 858 2, "UYW" 927 4, "UZS" 860 2, "VED" 926 2, "VES" 928 2, "VND" 704 0,
    "VUV" 548 0, "WST" 882 2, "XAF" 950 0, "XCD" 951 2, "XCG" 532 2, "XOF" 952 0, "XPF" 953 0,
    "YER" 886 2, "ZAR" 710 2, "ZMW" 967 2, "ZWG" 924 2,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_well_formed() {
        for pair in TABLE.windows(2) {
            assert!(
                pair[0].code < pair[1].code,
                "{} before {}",
                pair[0].code,
                pair[1].code
            );
        }
        let mut numerics: Vec<u16> = TABLE.iter().map(|c| c.numeric).collect();
        numerics.sort_unstable();
        numerics.dedup();
        assert_eq!(numerics.len(), TABLE.len(), "numeric codes are unique");
        for info in TABLE {
            assert_eq!(info.code.len(), 3);
            assert!(info.code.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(info.numeric < 1000 && info.exponent <= 4);
        }
    }

    #[test]
    fn exponents_follow_iso_4217() {
        let exp = |c: &str| Currency::from_code(c).map(Currency::exponent);
        assert_eq!(exp("JPY"), Some(0));
        assert_eq!(exp("KRW"), Some(0));
        assert_eq!(exp("CNY"), Some(2));
        assert_eq!(exp("KWD"), Some(3));
        assert_eq!(exp("BHD"), Some(3));
        assert_eq!(exp("CLF"), Some(4));
        assert_eq!(exp("XAU"), None, "no minor unit: not a payment currency");
        assert_eq!(exp("cny"), None, "codes are upper case");
        assert_eq!(Currency::from_numeric(156).map(Currency::code), Some("CNY"));
    }

    #[test]
    fn decimal_formatting() {
        let m = |v, c| Money::new(v, Currency::from_code(c).unwrap()).unwrap();
        assert_eq!(m(12800, "CNY").decimal(), "128.00");
        assert_eq!(m(5, "CNY").decimal(), "0.05");
        assert_eq!(m(0, "CNY").decimal(), "0.00");
        assert_eq!(m(123456789, "USD").decimal(), "1,234,567.89");
        assert_eq!(m(1200, "JPY").decimal(), "1,200");
        assert_eq!(m(12500, "KWD").to_string(), "KWD 12.500");
        assert_eq!(m(MAX_MINOR_UNITS, "JPY").decimal(), "999,999,999,999");
        assert!(Money::new(MAX_MINOR_UNITS + 1, Currency::from_code("JPY").unwrap()).is_none());
    }
}

use super::*;
use proptest::prelude::*;
use serde_json::{Value, json};

fn base() -> Value {
    json!({
        "kind": "sale",
        "trace_number": "123",
        "amount": 12800,
        "currency": "CNY",
        "local_time": "2026-11-22T14:03:27+08:00",
        "terminal_id": "SH000001",
        "merchant": { "id": "898310048990001", "name": "上海星光咖啡" },
        "card": {
            "pan": "6222020200112233446",
            "brand": "unionpay",
            "entry_mode": "chip",
            "cardholder_verification": "signature"
        },
        "auth_code": "A1B2C3",
        "batch_number": "45"
    })
}

fn parse(v: &Value) -> Result<Transaction, ValidationError> {
    Transaction::from_json(&v.to_string())
}

fn with(path: &[&str], value: Value) -> Result<Transaction, ValidationError> {
    let mut v = base();
    let mut node = &mut v;
    for key in &path[..path.len() - 1] {
        node = &mut node[*key];
    }
    node[path[path.len() - 1]] = value;
    parse(&v)
}

fn without(path: &[&str]) -> Result<Transaction, ValidationError> {
    let mut v = base();
    let mut node = &mut v;
    for key in &path[..path.len() - 1] {
        node = &mut node[*key];
    }
    node.as_object_mut().unwrap().remove(path[path.len() - 1]);
    parse(&v)
}

#[test]
fn a_valid_sale_is_normalised() {
    let tx = parse(&base()).unwrap();
    assert_eq!(tx.trace_number(), "000123");
    assert_eq!(tx.batch_number(), "000045");
    assert_eq!(tx.amount().to_string(), "CNY 128.00");
    assert_eq!(tx.card().masked_pan.as_str(), "622202*********3446");
    assert_eq!(tx.local_time().rfc3339(), "2026-11-22T14:03:27+08:00");
    assert!(tx.needs_signature());
    assert!(!tx.to_json().contains("6222020200112233446"));
}

#[test]
fn missing_fields_are_named() {
    for path in [
        &["kind"][..],
        &["trace_number"],
        &["amount"],
        &["currency"],
        &["local_time"],
        &["terminal_id"],
        &["merchant", "name"],
        &["card", "brand"],
        &["card", "cardholder_verification"],
        &["auth_code"],
        &["batch_number"],
    ] {
        let err = without(path).unwrap_err();
        assert!(
            matches!(err, ValidationError::Missing { .. }),
            "{path:?}: {err:?}"
        );
        assert_eq!(err.field(), Some(path.join(".").as_str()));
    }
    assert_eq!(
        without(&["card", "pan"]).unwrap_err().field(),
        Some("card.pan")
    );
}

#[test]
fn currencies_come_from_iso_4217() {
    assert!(matches!(
        with(&["currency"], json!("XYZ")),
        Err(ValidationError::UnknownCurrency { .. })
    ));
    assert!(matches!(
        with(&["currency"], json!("XAU")),
        Err(ValidationError::UnknownCurrency { .. })
    ));
    let tx = with(&["currency"], json!("KWD")).unwrap();
    assert_eq!(tx.amount().to_string(), "KWD 12.800");
}

#[test]
fn amounts_are_positive_integers_within_twelve_digits() {
    let range = |v| {
        matches!(
            with(&["amount"], v),
            Err(ValidationError::AmountOutOfRange { .. })
        )
    };
    assert!(range(json!(-1)));
    assert!(range(json!(0)));
    assert!(range(json!(1_000_000_000_000u64)));
    assert!(matches!(
        with(&["amount"], json!(12.5)),
        Err(ValidationError::Invalid { .. })
    ));
    assert!(matches!(
        with(&["amount"], json!("100")),
        Err(ValidationError::Invalid { .. })
    ));
    assert!(matches!(
        with(&["tip"], json!(-5)),
        Err(ValidationError::AmountOutOfRange { .. })
    ));
    assert!(with(&["amount"], json!(999_999_999_999u64)).is_ok());
}

#[test]
fn impossible_times_are_refused() {
    for bad in [
        "2026-02-30T10:00:00+08:00",
        "2026-11-22T25:00:00+08:00",
        "2026-11-22T14:03:27",
        "2026-11-22T14:03:27+15:00",
        "1999-12-31T23:59:59+00:00",
        "yesterday",
    ] {
        let err = with(&["local_time"], json!(bad)).unwrap_err();
        assert!(
            matches!(err, ValidationError::ImpossibleTime { .. }),
            "{bad}: {err:?}"
        );
    }
    let no_offset = with(&["local_time"], json!("2026-11-22T14:03:27")).unwrap_err();
    assert!(no_offset.to_string().contains("offset"), "{no_offset}");
    let tx = with(&["local_time"], json!("2026-11-22T06:03:27.250Z")).unwrap();
    assert_eq!(tx.local_time().rfc3339(), "2026-11-22T06:03:27+00:00");
}

/// Found by `privacy::mutated_samples_never_panic`: the error path sliced the value at byte 19,
/// which can fall inside a multi-byte character.
#[test]
fn a_local_time_with_a_multibyte_character_at_byte_19_is_an_error_not_a_panic() {
    for bad in [
        "2026-11-DcⶮフÌਏ>22T14:03:27+08:00",
        "2026-11-22T14:03:2金+08:00",
        "2026-11-22T14:03:27金",
    ] {
        let err = with(&["local_time"], json!(bad)).unwrap_err();
        assert!(
            matches!(err, ValidationError::ImpossibleTime { .. }),
            "{bad}: {err:?}"
        );
    }
}

#[test]
fn text_limits_and_control_characters() {
    let long = "咖".repeat(65);
    assert_eq!(
        with(&["merchant", "name"], json!(long)).unwrap_err(),
        ValidationError::TooLong {
            field: "merchant.name".into(),
            max: 64
        }
    );
    assert!(with(&["merchant", "name"], json!("咖".repeat(64))).is_ok());
    assert!(matches!(
        with(&["merchant", "name"], json!("a\u{7}b")),
        Err(ValidationError::Invalid { .. })
    ));
    assert!(matches!(
        with(&["merchant", "name"], json!("evil\u{202E}gnp")),
        Err(ValidationError::Invalid { .. })
    ));
    assert!(matches!(
        with(&["merchant", "name"], json!("   ")),
        Err(ValidationError::Invalid { .. })
    ));
    assert!(with(&["note"], json!("line one\nline two")).is_ok());
    assert!(with(&["merchant", "name"], json!("line one\nline two")).is_err());
}

#[test]
fn sensitive_authentication_data_is_refused_by_name() {
    for (path, key) in [
        (vec!["card"], "cvv"),
        (vec!["card"], "CVC2"),
        (vec!["card"], "pin_block"),
        (vec![], "track2"),
        (vec!["card"], "Track-1-Data"),
    ] {
        let mut v = base();
        let mut node = &mut v;
        for p in &path {
            node = &mut node[*p];
        }
        node[key] = json!("123");
        let err = parse(&v).unwrap_err();
        assert!(
            matches!(err, ValidationError::Forbidden { .. }),
            "{key}: {err:?}"
        );
        assert!(!err.to_string().contains("123"));
    }
}

#[test]
fn unknown_fields_and_bad_enums_are_named() {
    let mut v = base();
    v["merchant"]["nmae"] = json!("typo");
    assert_eq!(
        parse(&v).unwrap_err(),
        ValidationError::UnknownField {
            field: "merchant.nmae".into()
        }
    );
    let err = with(&["card", "entry_mode"], json!("telepathy")).unwrap_err();
    assert_eq!(err.field(), Some("card.entry_mode"));
    assert!(err.to_string().contains("contactless"), "{err}");
    assert!(!err.to_string().contains("telepathy"), "{err}");
}

#[test]
fn card_numbers_are_masked_or_refused() {
    assert!(matches!(
        with(&["card", "pan"], json!("4111111111111112")),
        Err(ValidationError::Invalid { .. })
    ));
    let tx = with(&["card", "pan"], json!("4111 1111 1111 1111")).unwrap();
    assert_eq!(tx.card().masked_pan.as_str(), "411111******1111");
    let mut v = base();
    v["card"].as_object_mut().unwrap().remove("pan");
    v["card"]["masked_pan"] = json!("622202XXXXXXXXX3446");
    assert_eq!(
        parse(&v).unwrap().card().masked_pan.as_str(),
        "622202*********3446"
    );
    v["card"]["masked_pan"] = json!("6222020200112233446");
    assert_eq!(parse(&v).unwrap_err().field(), Some("card.masked_pan"));
    let tx = with(&["note"], json!("paid with 4111-1111-1111-1111 thanks")).unwrap();
    assert_eq!(tx.note(), Some("paid with 411111******1111 thanks"));
}

#[test]
fn identifiers_follow_iso_8583_lengths() {
    assert!(with(&["trace_number"], json!("1234567")).is_err());
    assert!(with(&["trace_number"], json!("12a")).is_err());
    assert!(with(&["terminal_id"], json!("")).is_err());
    assert!(with(&["merchant", "id"], json!("1234567890123456")).is_err());
    assert!(with(&["auth_code"], json!("ABC1234")).is_err());
    assert!(with(&["retrieval_reference_number"], json!("12345678901")).is_err());
    assert!(with(&["retrieval_reference_number"], json!("123456789012")).is_ok());
    assert!(with(&["emv"], json!({"aid": "A00000000"})).is_err());
    assert!(
        with(
            &["emv"],
            json!({"aid": "a0000000031010", "tvr": "0000008000"})
        )
        .is_ok()
    );
}

#[test]
fn refunds_and_voids_reference_the_original() {
    let mut v = base();
    v["kind"] = json!("void");
    assert_eq!(
        parse(&v).unwrap_err().field(),
        Some("original_trace_number")
    );
    v["original_trace_number"] = json!("122");
    assert_eq!(parse(&v).unwrap().original_trace_number(), Some("000122"));
    assert!(
        with(&["original_trace_number"], json!("1")).is_err(),
        "a sale has no original"
    );
}

#[test]
fn line_items_must_add_up() {
    let mut v = base();
    v["amount"] = json!(9891);
    v["tax"] = json!(656);
    v["tip"] = json!(1500);
    v["discount"] = json!(500);
    v["line_items"] = json!([
        { "description": "Dan dan noodles", "quantity": 2, "unit_price": 1650, "amount": 3300 },
        { "description": "Beans", "quantity": "0.25", "unit_price": 12000, "amount": 3000 },
        { "description": "Tea", "quantity": 1.5, "unit_price": 1000, "amount": 1500 },
        { "description": "Sesame", "amount": 435 }
    ]);
    let tx = parse(&v).unwrap();
    assert_eq!(tx.line_items()[1].quantity_text(), "0.25");
    assert_eq!(tx.line_items()[2].quantity_milli, 1500);
    v["amount"] = json!(9892);
    assert!(matches!(
        parse(&v),
        Err(ValidationError::ItemsTotalMismatch { computed: 9891, .. })
    ));
    v["amount"] = json!(9891);
    v["line_items"][0]["amount"] = json!(3301);
    assert_eq!(parse(&v).unwrap_err().field(), Some("line_items[0].amount"));
    v["line_items"][0]["amount"] = json!(3300);
    v["line_items"][0]["quantity"] = json!(0);
    assert_eq!(
        parse(&v).unwrap_err().field(),
        Some("line_items[0].quantity")
    );
    v["line_items"][0]["quantity"] = json!("1.2345");
    assert_eq!(
        parse(&v).unwrap_err().field(),
        Some("line_items[0].quantity")
    );
}

#[test]
fn malformed_and_oversized_json() {
    assert!(matches!(
        Transaction::from_json("{"),
        Err(ValidationError::Syntax { line: 1, .. })
    ));
    assert!(matches!(
        Transaction::from_json("[]"),
        Err(ValidationError::Invalid { .. })
    ));
    let huge = format!("{{\"note\": \"{}\"}}", "a".repeat(MAX_JSON_BYTES));
    assert!(matches!(
        Transaction::from_json(&huge),
        Err(ValidationError::TooLarge { .. })
    ));
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert!(Transaction::from_json(&deep).is_err());
}

#[test]
fn location_is_exact_decimal() {
    let tx = with(
        &["location"],
        json!({ "latitude": 31.2286, "longitude": "-121.4487", "text": "Store 5" }),
    )
    .unwrap();
    let loc = tx.location().unwrap();
    assert_eq!(
        (loc.latitude_e7, loc.longitude_e7),
        (Some(312_286_000), Some(-1_214_487_000))
    );
    assert!(with(&["location"], json!({ "latitude": 91, "longitude": 0 })).is_err());
    assert!(with(&["location"], json!({ "latitude": 1 })).is_err());
    assert!(
        with(
            &["location"],
            json!({ "latitude": "1.123456789", "longitude": 0 })
        )
        .is_err()
    );
}

#[test]
fn builder_and_json_agree() {
    let built = Transaction::builder()
        .kind(Kind::Sale)
        .trace_number("123")
        .amount(12800, "CNY")
        .local_time("2026-11-22T14:03:27+08:00")
        .terminal_id("SH000001")
        .merchant("898310048990001", "上海星光咖啡")
        .pan("6222020200112233446")
        .card(CardBrand::Unionpay, EntryMode::Chip, Cvm::Signature)
        .auth_code("A1B2C3")
        .batch_number("45")
        .build()
        .unwrap();
    assert_eq!(built, parse(&base()).unwrap());
    assert_eq!(
        format!("{:?}", Transaction::builder().pan("4111111111111111")),
        "TransactionBuilder { .. }"
    );
}

#[test]
fn debug_shows_no_card_number_or_note() {
    let tx = with(&["note"], json!("customer Zhang San 13800138000")).unwrap();
    let debug = format!("{tx:?}");
    assert!(!debug.contains("6222020200112233446"));
    assert!(!debug.contains("Zhang"));
}

proptest! {
    #[test]
    fn canonical_json_round_trips(
        price in 1u64..=1_000_000,
        quantity in 1u64..100_000,
        tip in 0u64..1000,
        trace in 1u32..999_999,
        lat in -900_000_000i32..=900_000_000,
        lon in -1_800_000_000i32..=1_800_000_000,
        kind in prop_oneof![Just("sale"), Just("refund")],
        currency in prop_oneof![Just("CNY"), Just("JPY"), Just("KWD"), Just("CLF")],
    ) {
        let line = u64::try_from((u128::from(quantity) * u128::from(price) + 500) / 1000).unwrap();
        prop_assume!(line > 0);
        let mut v = base();
        v["kind"] = json!(kind);
        v["trace_number"] = json!(trace.to_string());
        v["currency"] = json!(currency);
        v["tip"] = json!(tip);
        v["amount"] = json!(line + tip);
        v["line_items"] = json!([{
            "description": "x",
            "quantity": input::quantity_text(quantity),
            "unit_price": price,
            "amount": line
        }]);
        v["location"] = json!({ "latitude": decimal_e7(lat), "longitude": decimal_e7(lon) });
        let tx = parse(&v).unwrap();
        let again = Transaction::from_json(&tx.to_json()).unwrap();
        prop_assert_eq!(&again, &tx);
        prop_assert_eq!(again.to_json(), tx.to_json());
    }
}

fn decimal_e7(v: i32) -> String {
    let sign = if v < 0 { "-" } else { "" };
    format!(
        "{sign}{}.{:07}",
        v.unsigned_abs() / 10_000_000,
        v.unsigned_abs() % 10_000_000
    )
}

//! PCI: a full card number given anywhere never appears in a render, a `Debug`, an error or
//! anything the CLI prints.

use ereceipt_core::Transaction;
use ereceipt_core::pan::luhn_valid;
use ereceipt_core::render::{ReceiptDocument, RenderOptions, render_receipt};
use ereceipt_tests::transaction_json;
use proptest::prelude::*;
use serde_json::Value;

/// Completes `body` with the check digit that makes it Luhn-valid.
fn luhn_complete(body: &[u8]) -> String {
    let body: String = body.iter().map(|d| char::from(b'0' + d % 10)).collect();
    (0..10)
        .map(|check| format!("{body}{check}"))
        .find(|pan| luhn_valid(pan))
        .unwrap()
}

/// Where a card number can be typed: every free-text field and the card field itself.
const PLACES: &[&[&str]] = &[
    &["card", "pan"],
    &["note"],
    &["merchant", "name"],
    &["merchant", "address"],
    &["line_items", "0", "description"],
    &["location", "text"],
    &["emv", "application_label"],
];

fn put(tx: &mut Value, path: &[&str], text: String) {
    let mut node = tx;
    for key in &path[..path.len() - 1] {
        node = match key.parse::<usize>() {
            Ok(i) => &mut node[i],
            Err(_) => &mut node[*key],
        };
    }
    node[path[path.len() - 1]] = Value::String(text);
}

fn grouped(pan: &str, separator: &str) -> String {
    pan.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(separator)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_full_pan_anywhere(
        body in proptest::collection::vec(0u8..10, 11..19),
        place in 0..PLACES.len(),
        separator in prop_oneof![Just(""), Just(" "), Just("-")],
        break_it in any::<bool>(),
    ) {
        let pan = luhn_complete(&body);
        let mut tx: Value = serde_json::from_str(&transaction_json("cny-sale")).unwrap();
        let path = PLACES[place];
        let written = grouped(&pan, separator);
        let text = if path == ["card", "pan"] || path == ["emv", "application_label"] {
            written.clone()
        } else {
            format!("ref {written} end")
        };
        put(&mut tx, path, text);
        if break_it {
            tx["currency"] = Value::String("ZZZ".into());
        }
        match Transaction::from_json(&tx.to_string()) {
            Ok(parsed) => {
                prop_assert!(!parsed.to_json().contains(&pan));
                let debug = format!("{parsed:?}");
                prop_assert!(!debug.contains(&pan));
                let signature = ereceipt_tests::signature(&ereceipt_tests::signature_names()[0]);
                let receipt = render_receipt(&ReceiptDocument::new(&parsed).signature(&signature), &RenderOptions::default());
                match receipt {
                    Ok(receipt) => {
                        let all_text = receipt.text().join("\n");
                        prop_assert!(!all_text.contains(&pan));
                        prop_assert!(!all_text.contains(&written));
                    }
                    Err(e) => {
                        let shown = format!("{e} {e:?}");
                        prop_assert!(!shown.contains(&pan));
                    }
                }
            }
            Err(e) => {
                let shown = format!("{e} {e:?}");
                prop_assert!(!shown.contains(&pan), "{}", shown);
                prop_assert!(!shown.contains(&pan[..pan.len() - 4]), "{}", shown);
            }
        }
    }

    #[test]
    fn no_json_input_panics(json in "\\PC{0,400}") {
        let _ = Transaction::from_json(&json);
    }

    #[test]
    fn mutated_samples_never_panic(
        name in prop_oneof![Just("cny-sale"), Just("kwd-refund"), Just("usd-restaurant")],
        cut in 0usize..4000,
        insert in "\\PC{0,8}",
    ) {
        let mut json = transaction_json(name);
        let mut at = cut.min(json.len());
        while !json.is_char_boundary(at) { at -= 1; }
        json.insert_str(at, &insert);
        if let Ok(tx) = Transaction::from_json(&json) {
            let _ = render_receipt(&ReceiptDocument::new(&tx), &RenderOptions::default());
        }
    }
}

#[test]
fn values_of_the_wrong_type_are_not_echoed() {
    let mut tx: Value = serde_json::from_str(&transaction_json("contactless-sale")).unwrap();
    tx["amount"] = Value::String("4111111111111111".into());
    let err = Transaction::from_json(&tx.to_string()).unwrap_err();
    assert_eq!(err.field(), Some("amount"));
    assert!(!format!("{err} {err:?}").contains("4111"), "{err}");

    let mut tx: Value = serde_json::from_str(&transaction_json("contactless-sale")).unwrap();
    tx["card"]["brand"] = Value::String("4111111111111111".into());
    let err = Transaction::from_json(&tx.to_string()).unwrap_err();
    assert_eq!(err.field(), Some("card.brand"));
    assert!(!format!("{err} {err:?}").contains("4111"), "{err}");
}

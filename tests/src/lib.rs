//! Fixtures shared by the end-to-end tests and benchmarks: paths into `tests/data/` and loaders
//! for the sample transactions and recorded signatures.

pub mod platform;

use ereceipt_core::Transaction;
use ereceipt_core::signature::Signature;
use std::path::PathBuf;

/// The `tests/data` directory.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// Where tests write what a person may want to look at after a run (rendered receipts that did
/// not match their golden image). Ignored by git.
pub fn artifacts_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("artifacts");
    std::fs::create_dir_all(&dir).expect("the tests directory is writable");
    dir
}

/// The names (without `.json`) of the JSON files in `tests/data/<folder>/`, sorted.
fn json_names(folder: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data_dir().join(folder))
        .expect("the fixture folder exists")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".json").map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

/// The names of the sample transactions in `tests/data/transactions/`, sorted.
pub fn transaction_names() -> Vec<String> {
    json_names("transactions")
}

/// The JSON text of a sample transaction.
pub fn transaction_json(name: &str) -> String {
    let path = data_dir().join("transactions").join(format!("{name}.json"));
    std::fs::read_to_string(&path).expect("sample transaction exists")
}

/// A sample transaction, parsed.
pub fn transaction(name: &str) -> Transaction {
    Transaction::from_json(&transaction_json(name)).expect("sample transactions are valid")
}

/// The names of the recorded signatures in `tests/data/signatures/`, sorted.
pub fn signature_names() -> Vec<String> {
    json_names("signatures")
}

/// A recorded signature, parsed.
pub fn signature(name: &str) -> Signature {
    let path = data_dir().join("signatures").join(format!("{name}.json"));
    let json = std::fs::read_to_string(&path).expect("recorded signature exists");
    Signature::from_json(&json).expect("recorded signatures are valid")
}

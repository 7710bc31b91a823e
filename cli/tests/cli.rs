//! The `ereceipt` binary as a user runs it.

#![allow(
    clippy::unwrap_used,
    reason = "a panic in a test helper is a failed test"
)]

use ereceipt_tests::data_dir;
use std::path::PathBuf;
use std::process::Command;

fn cli_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ereceipt"))
}

fn sample(name: &str) -> String {
    data_dir()
        .join("transactions")
        .join(format!("{name}.json"))
        .display()
        .to_string()
}

#[test]
fn render_writes_a_png_and_rerenders_identically() {
    let dir = std::env::temp_dir().join(format!("ereceipt-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let signature = ereceipt_tests::signature_names()[0].clone();
    let sig_path = data_dir()
        .join("signatures")
        .join(format!("{signature}.json"));
    let mut outputs = Vec::new();
    for run in 0..2 {
        let out = dir.join(format!("r{run}.png"));
        let status = Command::new(cli_binary())
            .args([
                "render",
                "--transaction",
                &sample("cny-sale"),
                "--signature",
            ])
            .arg(&sig_path)
            .args(["--width", "384", "--out"])
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success());
        outputs.push(std::fs::read(&out).unwrap());
    }
    assert_eq!(&outputs[0][1..4], b"PNG");
    assert_eq!(
        outputs[0], outputs[1],
        "two processes render the same bytes"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn refusals_exit_1_and_name_the_field() {
    let dir = std::env::temp_dir().join(format!("ereceipt-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    let mut tx: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(sample("contactless-sale")).unwrap())
            .unwrap();
    tx["currency"] = "XYZ".into();
    tx["note"] = "card 4111 1111 1111 1111".into();
    std::fs::write(&bad, tx.to_string()).unwrap();
    let output = Command::new(cli_binary())
        .args(["render", "--transaction"])
        .arg(&bad)
        .args(["--out"])
        .arg(dir.join("x.png"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("currency"), "{stderr}");
    assert!(!stderr.contains("4111"), "{stderr}");

    // A signature-CVM card without a signature is refused too.
    let output = Command::new(cli_binary())
        .args(["render", "--transaction", &sample("kwd-refund"), "--out"])
        .arg(dir.join("y.png"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("signature"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn wrong_calls_exit_2() {
    let missing = Command::new(cli_binary())
        .args([
            "render",
            "--transaction",
            "/nonexistent/tx.json",
            "--out",
            "/tmp/never.png",
        ])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    let bad_width = Command::new(cli_binary())
        .args([
            "render",
            "--transaction",
            &sample("void"),
            "--width",
            "500",
            "--out",
            "/tmp/never.png",
        ])
        .output()
        .unwrap();
    assert_eq!(bad_width.status.code(), Some(2));
}

#[test]
fn check_prints_the_masked_canonical_form() {
    let output = Command::new(cli_binary())
        .args(["check", &sample("contactless-sale")])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["card"]["masked_pan"], "411111******1111");
    assert!(!stdout.contains("4111111111111111"));
}

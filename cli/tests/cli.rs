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

#[test]
fn terminal_issue_verify_round_trip_with_exit_codes() {
    let dir = std::env::temp_dir().join(format!("ereceipt-cli-trust-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let terminal = dir.join("terminal");
    let run = |args: &[&str]| Command::new(cli_binary()).args(args).output().unwrap();
    let t = terminal.to_str().unwrap();
    let init = run(&[
        "terminal",
        "init",
        "--dir",
        t,
        "--terminal-id",
        "BER00007",
        "--merchant-id",
        "DE4421000712",
        "--merchant-name",
        "Bäckerei Müller",
    ]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    assert!(String::from_utf8_lossy(&init.stderr).contains("TEST CA"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(terminal.join("terminal-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the private key is readable by its owner only"
        );
    }
    assert_eq!(
        run(&["terminal", "init", "--dir", t]).status.code(),
        Some(2),
        "no overwrite"
    );

    let receipt = dir.join("r.png");
    let r = receipt.to_str().unwrap();
    let issued = run(&[
        "issue",
        "--terminal",
        t,
        "--transaction",
        &sample("contactless-sale"),
        "--out",
        r,
        "--json",
    ]);
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&issued.stdout).unwrap();
    assert_eq!(summary["counter"], 1);
    assert_eq!(summary["signed"], true);

    let ca = terminal.join("ca.pem");
    let verified = run(&["verify", r, "--trust", ca.to_str().unwrap(), "--json"]);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
    let report: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(report["authentic"], true);
    assert_eq!(report["tampered"], false);
    assert_eq!(report["receipt_id"], summary["receipt_id"]);
    assert_eq!(report["terminal_id"], "BER00007");
    assert!(report["regions"].as_array().unwrap().is_empty());
    assert!(report["checks"].as_array().unwrap().len() >= 6);

    // Without a trust anchor nothing can be called authentic.
    assert_eq!(run(&["verify", r]).status.code(), Some(1));

    // A second receipt continues the count.
    let second = run(&[
        "issue",
        "--terminal",
        t,
        "--transaction",
        &sample("contactless-sale"),
        "--out",
        r,
        "--json",
    ]);
    let summary: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(summary["counter"], 2);

    // A transaction of another terminal is refused (exit 1), and nothing is counted.
    let other = run(&[
        "issue",
        "--terminal",
        t,
        "--transaction",
        &sample("cny-sale"),
        "--signature",
        &data_dir()
            .join("signatures/wang-xiaoming.json")
            .display()
            .to_string(),
        "--out",
        r,
    ]);
    assert_eq!(other.status.code(), Some(1));
    let status = run(&["outbox", "status", "--terminal", t, "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["counter"], 2);
    // A local terminal has no platform: nothing is queued, and a delivery choice is refused.
    assert_eq!(
        (status["pending"].as_u64(), status["enrolled"].as_bool()),
        (Some(0), Some(false))
    );
    let deliver = run(&[
        "issue",
        "--terminal",
        t,
        "--transaction",
        &sample("contactless-sale"),
        "--out",
        r,
        "--deliver",
        "sms:+4915112345678",
    ]);
    assert_eq!(deliver.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&deliver.stderr).contains("not enrolled"));

    // Unreadable input: exit 2.
    std::fs::write(dir.join("junk.png"), b"not a png").unwrap();
    assert_eq!(
        run(&["verify", dir.join("junk.png").to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_demo_runs_as_a_newcomer_would() {
    let dir = std::env::temp_dir().join(format!("ereceipt-cli-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let demo = Command::new(cli_binary())
        .args(["demo", "--dir", dir.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let summary: serde_json::Value = serde_json::from_slice(&demo.stdout).unwrap();
    let receipts = summary["receipts"].as_array().unwrap();
    let modes: Vec<&str> = receipts
        .iter()
        .map(|r| r["delivery"].as_str().unwrap())
        .collect();
    assert_eq!(modes, ["sms", "mms", "email", "pull"]);
    for receipt in receipts {
        assert_eq!(receipt["verification"], "verified", "{receipt}");
        assert!(std::path::Path::new(receipt["png"].as_str().unwrap()).exists());
    }
    for receipt in receipts {
        assert_eq!(receipt["delivery_status"], "sent", "{receipt}");
    }
    let files: Vec<&str> = summary["delivered_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(files.iter().any(|f| f.ends_with(".eml")), "{files:?}");
    assert!(
        files.iter().filter(|f| f.ends_with(".json")).count() >= 3,
        "{files:?}"
    );
    let code = summary["pull_customer"]["login_code"].as_str().unwrap();
    assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(summary["verify"]["authentic"], true);
    assert_eq!(summary["verify"]["tampered"], false);
    assert_eq!(summary["tamper"]["tampered"], true);
    assert!(
        summary["tamper"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "amount")
    );
    // A second run starts over in the same directory.
    let again = Command::new(cli_binary())
        .args(["demo", "--dir", dir.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(again.status.success());
    std::fs::remove_dir_all(&dir).unwrap();
}

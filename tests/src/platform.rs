//! Running the real system from tests: the `ereceipt` binary, a platform process on a real
//! socket, merchants, enrollment tokens and the merchant API.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The `ereceipt` binary of this build (`target/<profile>/ereceipt`), built first if missing.
pub fn ereceipt_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary knows its path");
    // target/<profile>/deps/<test binary>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binaries live in target/<profile>/deps");
    let bin = profile_dir.join(format!("ereceipt{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let mut build = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        build.args(["build", "-p", "ereceipt-cli", "--bin", "ereceipt"]);
        if release {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building the ereceipt binary failed");
    }
    bin
}

/// Runs `ereceipt` with `args` and returns what it did.
pub fn run(args: &[&str]) -> Output {
    Command::new(ereceipt_bin())
        .args(args)
        .output()
        .expect("the ereceipt binary starts")
}

/// Runs `ereceipt` with `args`, requires success and returns standard output.
pub fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "ereceipt {args:?} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the CLI prints UTF-8")
}

/// Runs `ereceipt … --json` and parses its output.
pub fn run_json(args: &[&str]) -> Value {
    let out = run_ok(args);
    serde_json::from_str(out.trim()).unwrap_or_else(|_| panic!("not JSON from {args:?}: {out}"))
}

/// A fresh, empty scratch directory for one test, under the target directory.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("ereceipt-e2e")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the temp directory is writable");
    dir
}

/// A platform server process (`ereceipt platform serve`).
pub struct Platform {
    child: Child,
    /// Its base URL, `http://127.0.0.1:PORT/`.
    pub url: String,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Its data directory.
    pub data: PathBuf,
}

impl Platform {
    /// Starts a platform on embedded defaults in `data`, on a free port.
    pub fn start(data: &Path) -> Self {
        Self::start_on(data, "127.0.0.1:0", &[])
    }

    /// Starts a platform in `data` listening on `listen`, with extra `serve` arguments.
    pub fn start_on(data: &Path, listen: &str, extra: &[&str]) -> Self {
        let data_arg = data.to_str().expect("UTF-8 path");
        let mut child = Command::new(ereceipt_bin())
            .args(["platform", "serve", "--data", data_arg, "--listen", listen])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the platform starts");
        let (lines, found) = mpsc::channel();
        let log = data.join("platform-test.log");
        forward(
            child.stdout.take().expect("piped"),
            lines.clone(),
            log.clone(),
        );
        forward(child.stderr.take().expect("piped"), lines, log);
        let addr = loop {
            match found.recv_timeout(Duration::from_secs(60)) {
                Ok(line) => {
                    if let Some(rest) = line.split("listening on ").nth(1) {
                        let url = rest.split_whitespace().next().unwrap_or_default();
                        break url
                            .trim_start_matches("http://")
                            .trim_end_matches('/')
                            .to_owned();
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("the platform did not say where it listens");
                }
            }
        };
        Platform {
            child,
            url: format!("http://{addr}/"),
            addr,
            data: data.to_owned(),
        }
    }

    /// Stops the platform with SIGTERM and waits for it to exit.
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.terminate();
        }
    }
}

/// Copies a child's output line by line to `log` and to `lines` (until the receiver is gone).
fn forward(stream: impl Read + Send + 'static, lines: mpsc::Sender<String>, log: PathBuf) {
    std::thread::spawn(move || {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .ok();
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Some(f) = file.as_mut() {
                let _ = writeln!(f, "{line}");
            }
            let _ = lines.send(line);
        }
    });
}

/// A merchant on a platform, with an API key.
pub struct Merchant {
    /// The merchant id.
    pub id: String,
    /// A bearer API key for the merchant API.
    pub api_key: String,
}

/// Creates a merchant with a given id in the platform's data directory, and an API key.
pub fn add_merchant(data: &Path, id: &str, name: &str) -> Merchant {
    let data = data.to_str().expect("UTF-8 path");
    let added = run_json(&[
        "platform", "merchant", "add", "--data", data, "--name", name, "--id", id, "--json",
    ]);
    let id = string_field(&added, &["id", "merchant_id"]);
    let key = run_json(&[
        "platform",
        "api-key",
        "--data",
        data,
        "--merchant",
        &id,
        "--json",
    ]);
    Merchant {
        api_key: string_field(&key, &["api_key", "key", "secret"]),
        id,
    }
}

/// A fresh single-use enrollment token for a merchant.
pub fn enrollment_token(data: &Path, merchant: &str) -> String {
    let data = data.to_str().expect("UTF-8 path");
    let token = run_json(&[
        "platform",
        "enrollment-token",
        "--data",
        data,
        "--merchant",
        merchant,
        "--json",
    ]);
    string_field(&token, &["token"])
}

fn string_field(value: &Value, names: &[&str]) -> String {
    names
        .iter()
        .find_map(|n| value[n].as_str())
        .unwrap_or_else(|| panic!("none of {names:?} in {value}"))
        .to_owned()
}

/// `GET` a JSON document from the platform with a bearer key.
pub fn get_json(url: &str, api_key: &str) -> Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime starts");
    runtime.block_on(async {
        let response = reqwest::Client::new()
            .get(url)
            .bearer_auth(api_key)
            .send()
            .await
            .expect("the platform answers");
        assert!(
            response.status().is_success(),
            "GET {url}: {}",
            response.status()
        );
        response.json().await.expect("the platform answers JSON")
    })
}

/// Every receipt the merchant API lists for a terminal, following pagination.
pub fn merchant_receipts(platform: &Platform, merchant: &Merchant, terminal: &str) -> Vec<Value> {
    let mut receipts = Vec::new();
    let mut url = format!(
        "{}v1/merchant/receipts?terminal={terminal}&limit=100",
        platform.url
    );
    loop {
        let page = get_json(&url, &merchant.api_key);
        receipts.extend(page["receipts"].as_array().cloned().unwrap_or_default());
        match page["next"].as_str() {
            Some(next) if !next.is_empty() => {
                url = format!(
                    "{}v1/merchant/receipts?terminal={terminal}&limit=100&cursor={next}",
                    platform.url
                );
            }
            _ => return receipts,
        }
    }
}

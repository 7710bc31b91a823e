//! A scripted HTTP/1.1 server on a real socket, for testing the client and the outbox.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A canned answer: status line, extra headers, body.
pub(crate) struct Canned {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(&'static str, String)>,
    body: String,
}

pub(crate) fn canned(status: u16, body: &str) -> Canned {
    Canned {
        status,
        headers: Vec::new(),
        body: body.to_owned(),
    }
}

/// What the server saw: method, path, body length.
pub(crate) type Seen = Arc<Mutex<Vec<(String, String, usize)>>>;

/// Serves `script` in order, one answer per connection, and records the requests. The serving
/// thread ends with the script; a test that sends more than it scripted gets a refused
/// connection.
pub(crate) fn serve(script: Vec<Canned>) -> (String, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let log = seen.clone();
    std::thread::spawn(move || {
        for answer in script {
            let (mut socket, _) = listener.accept().unwrap();
            let (method, path, length) = read_request(&mut socket);
            log.lock().unwrap().push((method, path, length));
            answer_with(&mut socket, &answer);
        }
    });
    (url, seen)
}

/// How many requests a [`serve_concurrently`] server held at once, at most.
pub(crate) type Peak = Arc<AtomicUsize>;

/// Serves every connection at once, answering each request by its path after `delay`, and
/// records the requests and the most it held at one time. The server lives until the test
/// process ends.
pub(crate) fn serve_concurrently(
    answer: impl Fn(&str) -> Canned + Send + Sync + 'static,
    delay: Duration,
) -> (String, Seen, Peak) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let seen: Seen = Arc::default();
    let peak: Peak = Arc::default();
    let (log, most) = (seen.clone(), peak.clone());
    let answer = Arc::new(answer);
    let holding = Arc::new(AtomicUsize::new(0));
    std::thread::spawn(move || {
        loop {
            let (mut socket, _) = listener.accept().unwrap();
            let (log, most, answer, holding) =
                (log.clone(), most.clone(), answer.clone(), holding.clone());
            std::thread::spawn(move || {
                let (method, path, length) = read_request(&mut socket);
                let now = holding.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                let canned = answer(&path);
                log.lock().unwrap().push((method, path, length));
                std::thread::sleep(delay);
                holding.fetch_sub(1, Ordering::SeqCst);
                answer_with(&mut socket, &canned);
            });
        }
    });
    (url, seen, peak)
}

/// Reads one request: method, path, body length.
fn read_request(socket: &mut TcpStream) -> (String, String, usize) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head_end, content_length) = loop {
        let n = socket.read(&mut chunk).unwrap();
        assert!(n > 0, "the client closed the connection mid-request");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            break (end + 4, len);
        }
    };
    while buf.len() < head_end + content_length {
        let n = socket.read(&mut chunk).unwrap();
        assert!(n > 0, "the client closed the connection mid-body");
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut parts = head.split_whitespace();
    let method = parts.next().unwrap().to_owned();
    let path = parts.next().unwrap().to_owned();
    (method, path, content_length)
}

fn answer_with(socket: &mut TcpStream, answer: &Canned) {
    let mut response = format!(
        "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        answer.status,
        answer.body.len()
    );
    for (name, value) in &answer.headers {
        response.push_str(&format!("{name}: {value}\r\n"));
    }
    response.push_str("\r\n");
    response.push_str(&answer.body);
    socket.write_all(response.as_bytes()).unwrap();
    socket.shutdown(Shutdown::Write).ok();
}

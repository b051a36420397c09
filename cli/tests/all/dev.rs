//! `tntc dev` through the real binary: it serves the workflow on localhost and refuses what a
//! web page could send it (DNS rebinding, cross-site posts).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::{command, tempdir, word_counter};

/// A running `tntc dev`, killed when dropped.
struct Dev {
    child: Child,
    port: u16,
    _cache: tempfile::TempDir,
}

impl Drop for Dev {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_dev() -> Dev {
    let cache = tempdir();
    let port = free_port();
    let dir = word_counter();
    let child = command(
        dir.parent().unwrap(),
        &["dev", dir.to_str().unwrap(), "-p", &port.to_string()],
    )
    .env("TENTACULAR_CACHE_DIR", cache.path())
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .expect("tntc dev starts");
    let dev = Dev {
        child,
        port,
        _cache: cache,
    };
    let deadline = Instant::now() + Duration::from_secs(240);
    while Instant::now() < deadline {
        if let Some((200, _)) = try_http(port, "GET /health HTTP/1.1\r\nHost: localhost:PORT\r\n") {
            return dev;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("tntc dev did not answer /health within 240 s");
}

/// Sends `head` (with `PORT` replaced, a body appended) and returns (status, body).
fn try_http(port: u16, head: &str) -> Option<(u16, String)> {
    http_with_body(port, head, "")
}

fn http_with_body(port: u16, head: &str, body: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    let head = head.replace("PORT", &port.to_string());
    let req = format!(
        "{head}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.split_whitespace().nth(1)?.parse().ok()?;
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
    Some((status, body))
}

#[test]
fn dev_answers_local_requests_and_refuses_what_a_web_page_could_send() {
    let dev = start_dev();
    let p = dev.port;
    let cases: &[(&str, &str, u16)] = &[
        (
            "curl-like run",
            "POST /run HTTP/1.1\r\nHost: localhost:PORT\r\nContent-Type: application/json\r\n",
            200,
        ),
        (
            "127.0.0.1 host",
            "GET /health HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\n",
            200,
        ),
        (
            "local page",
            "POST /run HTTP/1.1\r\nHost: localhost:PORT\r\nOrigin: http://localhost:PORT\r\n",
            200,
        ),
        (
            "rebound name",
            "GET /health HTTP/1.1\r\nHost: evil.example:PORT\r\n",
            403,
        ),
        (
            "rebound name, run",
            "POST /run HTTP/1.1\r\nHost: attacker.nip.io:PORT\r\n",
            403,
        ),
        (
            "other port",
            "GET /health HTTP/1.1\r\nHost: localhost:1\r\n",
            403,
        ),
        (
            "cross-site text/plain post",
            "POST /run HTTP/1.1\r\nHost: localhost:PORT\r\nOrigin: https://evil.example\r\nContent-Type: text/plain\r\n",
            403,
        ),
        (
            "cross-site GET /run",
            "GET /run HTTP/1.1\r\nHost: localhost:PORT\r\nSec-Fetch-Site: cross-site\r\n",
            403,
        ),
        (
            "null origin",
            "POST /run HTTP/1.1\r\nHost: localhost:PORT\r\nOrigin: null\r\n",
            403,
        ),
        (
            "cross-site webhook",
            "POST /webhook/github HTTP/1.1\r\nHost: localhost:PORT\r\nOrigin: https://evil.example\r\n",
            403,
        ),
    ];
    for (name, head, want) in cases {
        let (status, body) =
            http_with_body(p, head, "{}").unwrap_or_else(|| panic!("{name}: no answer"));
        assert_eq!(status, *want, "{name}: {body}");
        if *want == 403 {
            assert!(body.contains("tntc dev"), "{name}: {body}");
        } else {
            assert!(!body.contains("tntc dev refuses"), "{name}: {body}");
        }
    }
}

/// Ctrl-C of a `tntc dev` with nothing in flight ends it at once, with exit 0.
#[test]
fn ctrl_c_of_an_idle_dev_exits_at_once() {
    let mut dev = start_dev();
    // An idle keep-alive connection must not hold the shutdown up either.
    let _idle = TcpStream::connect(("127.0.0.1", dev.port)).unwrap();
    let pid = dev.child.id().to_string();
    let started = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
    loop {
        if let Some(status) = dev.child.try_wait().unwrap() {
            assert_eq!(status.code(), Some(0), "{status:?}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "tntc dev still running 3 s after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("tntc dev exited {:?} after SIGINT", started.elapsed());
}

/// A port that is taken is an error that names the flag that picks another.
#[test]
fn a_port_in_use_names_the_flag() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let cache = tempdir();
    let dir = word_counter();
    let out = command(
        dir.parent().unwrap(),
        &["dev", dir.to_str().unwrap(), "-p", &port],
    )
    .env("TENTACULAR_CACHE_DIR", cache.path())
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "error: port {port} is already in use on 127.0.0.1"
        )),
        "{err}"
    );
    assert!(err.contains("with `-p "), "{err}");
    assert_eq!(err.matches("error:").count(), 1, "{err}");
}

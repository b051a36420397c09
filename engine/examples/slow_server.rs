//! A deliberately slow HTTP/1.1 server for `bench/io-burst.sh`: answers every request with
//! `200 ok` after a fixed delay (by default 200 ms), on 127.0.0.1 only, with keep-alive. One
//! thread (tokio's current-thread runtime) and no HTTP library, so that it takes as little of
//! the machine's CPU from the engine under test as it can.
//!
//! Run: `cargo run --release -p tentacular-engine --example slow_server -- [PORT] [DELAY_MS]`
//! (port 0 picks a free port); it prints `listening <port>` on stdout once bound.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok";

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let delay = Duration::from_millis(args.next().and_then(|a| a.parse().ok()).unwrap_or(200));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        println!("listening {}", listener.local_addr()?.port());
        loop {
            let (stream, _) = listener.accept().await?;
            let _ = stream.set_nodelay(true);
            tokio::spawn(serve(stream, delay));
        }
    })
}

/// Answers the requests of one connection, each after `delay`, until the peer closes it.
async fn serve(mut stream: TcpStream, delay: Duration) {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        // One request: everything up to the blank line after the headers. Bodies are not
        // expected (the bench's node sends GETs); a Content-Length body would be skipped.
        let end = loop {
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let body = content_length(&buf[..end]);
        while buf.len() < end + body {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..end + body);
        tokio::time::sleep(delay).await;
        if stream.write_all(RESPONSE).await.is_err() {
            return;
        }
    }
}

/// The `Content-Length` of a request head, 0 when absent.
fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0)
}

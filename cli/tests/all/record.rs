//! `tntc test --record` against a real HTTP server on 127.0.0.1 that reflects the request's
//! credentials back (as a hostile or careless dependency would): the fixture it writes holds
//! placeholders, never the secret in any form.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use crate::support::{tempdir, tntc, write};

const SECRET: &str = "rec0rd:me/never-9f3a";

/// Answers every request with a JSON echo of its path and Authorization header, raw and
/// percent-encoded — the reflections a fixture must not keep.
fn reflecting_server() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let mut auth = String::new();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap() == 0 || h == "\r\n" {
                    break;
                }
                if let Some((k, v)) = h.split_once(':')
                    && k.eq_ignore_ascii_case("authorization")
                {
                    auth = v.trim().to_string();
                }
            }
            let token = auth.trim_start_matches("Bearer ");
            let body = serde_json::json!({
                "path": path,
                "authorization": auth,
                "percent": token.replace(':', "%3A").replace('/', "%2F"),
            })
            .to_string();
            let mut out = stream;
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

#[test]
fn recorded_fixtures_hold_placeholders_not_secret_values() {
    let port = reflecting_server();
    let dir = tempdir();
    let wf = dir.path().join("wf");
    write(
        &wf.join("workflow.yaml"),
        &format!(
            r#"name: record-scrub
version: "1.0"
triggers:
  - type: manual
nodes:
  call:
    path: ./nodes/call.ts
    uses: [api]
contract:
  version: "1"
  dependencies:
    api:
      protocol: http
      host: 127.0.0.1
      port: {port}
      auth:
        type: bearer-token
        secret: api.token
"#
        ),
    );
    write(
        &wf.join("nodes/call.ts"),
        r#"export default async function run(ctx: any, _input: unknown) {
  const r = await ctx.dependency("api").fetch("/echo");
  return await r.json();
}
"#,
    );
    let fixture = wf.join("tests/fixtures/call.json");
    write(
        &fixture,
        &format!(r#"{{"input": {{}}, "secrets": {{"api": {{"token": "{SECRET}"}}}}}}"#),
    );
    let run = tntc(&wf, &["test", ".", "--record"]);
    assert_eq!(run.code(), 0, "{}", run.transcript());
    let written = std::fs::read_to_string(&fixture).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&written).unwrap();
    let http = doc["http"].to_string();
    assert!(
        !http.contains(SECRET),
        "raw secret in the recording: {http}"
    );
    assert!(
        !http.contains(&SECRET.replace(':', "%3A").replace('/', "%2F")),
        "percent-encoded secret in the recording: {http}"
    );
    assert!(
        http.contains("tntc-secret:api.token"),
        "the placeholder stands where the value was: {http}"
    );
    assert_eq!(doc["http"][0]["dependency"], "api");
    assert_eq!(doc["http"][0]["path"], "/echo");
    // The fixture replays: the recorded answers come back without the network.
    let replay = tntc(&wf, &["test", "."]);
    assert_eq!(replay.code(), 0, "{}", replay.transcript());
}

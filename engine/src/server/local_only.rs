//! `tntc dev`'s guard against web pages: a developer's browser can reach `localhost`, so a
//! page they visit could drive the dev server — by DNS rebinding (its own name resolving to
//! 127.0.0.1) or by a cross-site `fetch`/form post. With [`super::ServerConfig::local_only`]
//! set, the server answers:
//!
//! | request | answer |
//! |---|---|
//! | `Host` other than `localhost`, `127.0.0.1` or `[::1]` (with the served port, or none) | 403 — every path |
//! | `/run` (any method) or `/webhook/*` with an `Origin` that is not one of those hosts on the served port (`null` included) | 403 |
//! | `/run` or `/webhook/*` with `Sec-Fetch-Site: cross-site` | 403 |
//!
//! In a cluster requests arrive through the API server's service proxy with other `Host`
//! headers, so the engine binary leaves this off.

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, App};

const LOCAL_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// Whether a `Host` header names this machine on `port`.
pub fn host_allowed(host: &str, port: u16) -> bool {
    let (name, given_port) = match host.rsplit_once(':') {
        // `[::1]` alone has colons inside the brackets.
        Some((name, p)) if !p.contains(']') => (name, Some(p)),
        _ => (host, None),
    };
    let port_ok = match given_port {
        None => port == 80,
        Some(p) => p.parse::<u16>() == Ok(port),
    };
    port_ok && LOCAL_HOSTS.iter().any(|h| name.eq_ignore_ascii_case(h))
}

/// Whether an `Origin` header is a page served from this machine on `port`.
pub fn origin_allowed(origin: &str, port: u16) -> bool {
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    !rest.contains('/') && host_allowed(rest, port)
}

/// Whether the path runs something (`/run`, `/webhook/…`).
fn runs_something(path: &str) -> bool {
    path == "/run" || path.starts_with("/run/") || path.starts_with("/webhook/")
}

/// The middleware: see the module docs.
pub async fn guard(State(app): State<App>, request: Request, next: Next) -> Response {
    let Some(port) = app.config().local_only else {
        return next.run(request).await;
    };
    let headers = request.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !host_allowed(host, port) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            format!("tntc dev answers only requests for localhost:{port}, 127.0.0.1:{port} or [::1]:{port}"),
        )
        .with_detail(format!("refused Host {host:?} (DNS rebinding protection)"))
        .into_response();
    }
    if runs_something(request.uri().path()) {
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        let cross_site = headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"));
        if cross_site || origin.is_some_and(|o| !origin_allowed(o, port)) {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "tntc dev refuses cross-site requests to /run and /webhook (a web page may not drive it); use curl or tntc run",
            )
            .with_detail(format!("refused Origin {origin:?}"))
            .into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_machine_on_the_served_port_is_a_local_host() {
        let cases = [
            ("localhost:8080", true),
            ("LOCALHOST:8080", true),
            ("127.0.0.1:8080", true),
            ("[::1]:8080", true),
            ("localhost", false),
            ("localhost:8081", false),
            ("evil.example:8080", false),
            ("localhost.evil.example:8080", false),
            ("127.0.0.1.nip.io:8080", false),
            ("[::1]", false),
            ("", false),
            ("localhost:8080:8080", false),
            ("0.0.0.0:8080", false),
        ];
        for (host, ok) in cases {
            assert_eq!(host_allowed(host, 8080), ok, "{host}");
        }
        assert!(host_allowed("localhost", 80));
    }

    #[test]
    fn only_local_pages_are_local_origins() {
        let cases = [
            ("http://localhost:8080", true),
            ("http://127.0.0.1:8080", true),
            ("http://[::1]:8080", true),
            ("https://localhost:8080", true),
            ("null", false),
            ("http://evil.example", false),
            ("http://localhost:3000", false),
            ("http://localhost:8080/x", false),
            ("file://", false),
        ];
        for (origin, ok) in cases {
            assert_eq!(origin_allowed(origin, 8080), ok, "{origin}");
        }
    }
}

//! The client side of a trigger: POST a JSON body to a workflow's URL and succeed only on a
//! 2xx. `tentacular-engine trigger <url>` is this; it replaces the curl image the original ran
//! in CronJobs and in `tntc run` pods, and works in a distroless image (rustls, no shell).
//!
//! Retries are for requests that **did not start a run**: the connection could not be made, or
//! the engine answered 429 (busy), 502, 503 (shutting down) or 504. The wait is the answer's
//! `Retry-After` when it has one, else `backoff`·2ⁿ, at most 30 s. A 500 (the run failed) and a
//! timeout (the run may still be going) are not retried, so a run is never started twice.

use std::time::Duration;

/// What to send.
#[derive(Debug, Clone)]
pub struct TriggerRequest {
    /// The URL to POST to, e.g. `http://my-wf.my-ns.svc:8080/run`.
    pub url: String,
    /// The JSON body. By default `{}`.
    pub body: String,
    /// Time allowed for each attempt, from connecting to the end of the answer. By default,
    /// 120 s.
    pub timeout: Duration,
    /// Further attempts after the first. By default, 5.
    pub retries: u32,
    /// The first wait between attempts; it doubles each time. By default, 1 s.
    pub backoff: Duration,
}

impl TriggerRequest {
    /// A request with the defaults.
    pub fn new(url: impl Into<String>) -> Self {
        TriggerRequest {
            url: url.into(),
            body: "{}".into(),
            timeout: Duration::from_secs(120),
            retries: 5,
            backoff: Duration::from_secs(1),
        }
    }
}

/// A 2xx answer.
#[derive(Debug, Clone)]
pub struct TriggerResponse {
    /// The status code.
    pub status: u16,
    /// The body, as text.
    pub body: String,
    /// Attempts made.
    pub attempts: u32,
}

/// Why the trigger failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TriggerError {
    /// The URL is not an http(s) URL.
    #[error("invalid URL \"{url}\": {reason}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The server answered with a status other than 2xx.
    #[error("{url} answered {status} after {attempts} attempt(s)")]
    Status {
        /// The URL.
        url: String,
        /// The last status.
        status: u16,
        /// The last body.
        body: String,
        /// Attempts made.
        attempts: u32,
    },
    /// No answer: connection failure or timeout.
    #[error("{url}: {message} (after {attempts} attempt(s))")]
    Transport {
        /// The URL.
        url: String,
        /// What happened.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
}

const MAX_WAIT: Duration = Duration::from_secs(30);

/// POSTs `req.body` to `req.url` with `Content-Type: application/json`, retrying as the
/// module describes. `on_retry` is told about each retry (attempt number, reason, wait).
pub async fn post(
    req: &TriggerRequest,
    mut on_retry: impl FnMut(u32, &str, Duration),
) -> Result<TriggerResponse, TriggerError> {
    let url = reqwest::Url::parse(&req.url).map_err(|e| TriggerError::InvalidUrl {
        url: req.url.clone(),
        reason: e.to_string(),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(TriggerError::InvalidUrl {
            url: req.url.clone(),
            reason: "the scheme must be http or https".into(),
        });
    }
    let client = reqwest::Client::builder()
        .timeout(req.timeout)
        .connect_timeout(req.timeout.min(Duration::from_secs(10)))
        .user_agent(concat!(
            "tentacular-engine-trigger/",
            env!("CARGO_PKG_VERSION")
        ))
        .build()
        .map_err(|e| TriggerError::Transport {
            url: req.url.clone(),
            message: format!("cannot build the HTTP client: {e}"),
            attempts: 0,
        })?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let sent = client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(req.body.clone())
            .send()
            .await;
        let backoff = req
            .backoff
            .saturating_mul(1 << (attempt - 1).min(16))
            .min(MAX_WAIT);
        let (reason, wait, last) = match sent {
            Ok(res) => {
                let status = res.status();
                let retry_after = res
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|s| Duration::from_secs(s).min(MAX_WAIT));
                let body = match res.text().await {
                    Ok(b) => b,
                    Err(e) => {
                        return Err(TriggerError::Transport {
                            url: req.url.clone(),
                            message: format!("answer {status} could not be read: {e}"),
                            attempts: attempt,
                        });
                    }
                };
                if status.is_success() {
                    return Ok(TriggerResponse {
                        status: status.as_u16(),
                        body,
                        attempts: attempt,
                    });
                }
                let err = TriggerError::Status {
                    url: req.url.clone(),
                    status: status.as_u16(),
                    body,
                    attempts: attempt,
                };
                if !matches!(status.as_u16(), 429 | 502 | 503 | 504) {
                    return Err(err);
                }
                (
                    format!("answered {status}"),
                    retry_after.unwrap_or(backoff),
                    err,
                )
            }
            Err(e) if e.is_connect() => {
                let message = error_chain(&e);
                (
                    message.clone(),
                    backoff,
                    TriggerError::Transport {
                        url: req.url.clone(),
                        message,
                        attempts: attempt,
                    },
                )
            }
            Err(e) => {
                let message = if e.is_timeout() {
                    format!(
                        "no answer within {}",
                        humantime::format_duration(req.timeout)
                    )
                } else {
                    error_chain(&e)
                };
                return Err(TriggerError::Transport {
                    url: req.url.clone(),
                    message,
                    attempts: attempt,
                });
            }
        };
        if attempt > req.retries {
            return Err(last);
        }
        on_retry(attempt, &reason, wait);
        tokio::time::sleep(wait).await;
    }
}

/// An error's text followed by each cause not already part of it: `a: b: c`.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}

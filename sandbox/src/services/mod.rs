//! Synchronous host services (`tentacular.call`): native work the guest asks the host to do
//! and gets an answer for at once — never I/O, never policy, never a secret.
//!
//! A request is a JSON header, a NUL byte, then raw data bytes ([`Request::split`]); the
//! answer is raw bytes, or a guest-visible `{name, message}` ([`ServiceError`]). Services are
//! pure functions of their request, so they may run while a snapshot is built (a module's top
//! level may parse a URL or hash a constant); every answer is bounded by the calling store's
//! memory limit, so no service can hand the guest more than it could hold.

mod compression;
mod crypto;
mod url;

use serde::de::DeserializeOwned;
use tentacular_abi::Service;

/// Why a service call failed; the guest rethrows it with this name and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub(crate) struct ServiceError {
    /// The guest-visible error name (`TypeError`, `NotSupportedError`, `DataError`, …).
    pub name: &'static str,
    /// The guest-visible message.
    pub message: String,
}

impl ServiceError {
    /// An error named `name`.
    pub fn new(name: &'static str, message: impl Into<String>) -> Self {
        ServiceError {
            name,
            message: message.into(),
        }
    }

    /// The `{name, message}` JSON the guest parses.
    pub fn to_json(&self) -> String {
        serde_json::json!({ "name": self.name, "message": self.message }).to_string()
    }
}

/// A service request: its parsed header and the data bytes after it.
pub(crate) struct Request<'a, H> {
    pub header: H,
    pub data: &'a [u8],
}

impl<'a, H: DeserializeOwned> Request<'a, H> {
    /// Splits `bytes` at the first NUL and parses the header before it.
    pub fn split(bytes: &'a [u8]) -> Result<Self, ServiceError> {
        let at = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        let header = serde_json::from_slice(&bytes[..at]).map_err(|e| {
            ServiceError::new("TypeError", format!("malformed service request: {e}"))
        })?;
        Ok(Request {
            header,
            data: bytes.get(at + 1..).unwrap_or(&[]),
        })
    }
}

/// The bytes of a request as the prelude sends them (the inverse of [`Request::split`]),
/// for the services' unit tests.
#[cfg(test)]
pub(crate) fn encode(header: &str, data: &[u8]) -> Vec<u8> {
    let mut v = header.as_bytes().to_vec();
    v.push(0);
    v.extend_from_slice(data);
    v
}

/// Answers one call of `service` with `request`; the answer may be at most `max_answer` bytes.
pub(crate) fn call(
    service: u32,
    request: &[u8],
    max_answer: usize,
) -> Result<Vec<u8>, ServiceError> {
    let answer = match Service::from_u32(service) {
        Some(Service::Crypto) => crypto::call(request)?,
        Some(Service::Url) => url::call(request)?,
        Some(Service::Compression) => compression::call(request, max_answer)?,
        None => {
            return Err(ServiceError::new(
                "TypeError",
                format!("unknown host service {service}"),
            ));
        }
    };
    if answer.len() > max_answer {
        return Err(ServiceError::new(
            "QuotaExceededError",
            format!(
                "the answer ({} bytes) exceeds this node's memory limit ({max_answer} bytes)",
                answer.len()
            ),
        ));
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_services_and_malformed_requests_are_type_errors() {
        assert_eq!(call(99, b"{}", 1 << 20).unwrap_err().name, "TypeError");
        let e = call(Service::Crypto as u32, b"not json\0", 1 << 20).unwrap_err();
        assert_eq!(e.name, "TypeError");
    }

    #[test]
    fn answers_are_bounded_by_the_memory_limit() {
        let e = call(
            Service::Crypto as u32,
            b"{\"op\":\"digest\",\"alg\":\"SHA-512\"}\0abc",
            10,
        )
        .unwrap_err();
        assert_eq!(e.name, "QuotaExceededError");
    }
}

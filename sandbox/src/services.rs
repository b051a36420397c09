//! Synchronous host services (`tentacular.call`): native work the guest asks the host to do
//! and gets an answer for at once — never I/O, never policy.

use tentacular_abi::Service;

/// Why a service call failed; the guest rethrows it with this name and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub(crate) struct ServiceError {
    pub name: &'static str,
    pub message: String,
}

impl ServiceError {
    /// The `{name, message}` JSON the guest parses.
    pub fn to_json(&self) -> String {
        serde_json::json!({ "name": self.name, "message": self.message }).to_string()
    }
}

/// Answers one call of `service` with `request`.
pub(crate) fn call(service: u32, _request: &[u8]) -> Result<Vec<u8>, ServiceError> {
    match Service::from_u32(service) {
        Some(s) => Err(ServiceError {
            name: "NotSupportedError",
            message: format!("the host service {s:?} is not available in this sandbox yet"),
        }),
        None => Err(ServiceError {
            name: "TypeError",
            message: format!("unknown host service {service}"),
        }),
    }
}

//! The workflow's Kubernetes identity: the service-account token and cluster CA that
//! Kubernetes mounts into the engine's pod when `deployment.serviceAccount` is set. The host
//! injects the token into requests to the workflow's `kubernetes` dependencies and trusts
//! only that CA for them; a node never sees the token (at most its placeholder).

use std::path::{Path, PathBuf};

use tentacular_sandbox::fetch::RootCa;

use super::SecretValue;
use crate::Error;

/// Where Kubernetes mounts a pod's service-account token, CA and namespace.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// The secret service the token is kept under in the sandbox's value store. Not a name a
/// contract can write (`@` is not allowed in secret references), so it can neither collide
/// with a workflow's own secrets nor be asked for by one.
pub const TOKEN_SECRET_SERVICE: &str = "@service-account";
/// The key of the token under [`TOKEN_SECRET_SERVICE`].
pub const TOKEN_SECRET_KEY: &str = "token";

/// A mounted service account: its token (a secret) and the cluster CA (public).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccountIdentity {
    token: SecretValue,
    ca: RootCa,
}

impl ServiceAccountIdentity {
    /// Reads `<dir>/token` and `<dir>/ca.crt`. `Ok(None)` when there is no token (the engine
    /// runs outside a pod, or the workflow has no service account); an error when a token is
    /// there but the CA is missing or not a certificate.
    pub fn load(dir: &Path) -> Result<Option<Self>, Error> {
        let token_path = dir.join("token");
        let token = match std::fs::read_to_string(&token_path) {
            Ok(t) => t.trim().to_string(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(read_error(&token_path, &e.to_string())),
        };
        if token.is_empty() {
            return Err(read_error(&token_path, "the token file is empty"));
        }
        let ca_path = dir.join("ca.crt");
        let pem = std::fs::read(&ca_path).map_err(|e| read_error(&ca_path, &e.to_string()))?;
        let ca = RootCa::from_pem(&pem).map_err(|e| read_error(&ca_path, &e.to_string()))?;
        Ok(Some(ServiceAccountIdentity {
            token: SecretValue::new(token),
            ca,
        }))
    }

    /// The bearer token.
    pub fn token(&self) -> &SecretValue {
        &self.token
    }

    /// The cluster CA, the only authority trusted for `kubernetes` dependencies.
    pub fn ca(&self) -> &RootCa {
        &self.ca
    }
}

fn read_error(path: &Path, why: &str) -> Error {
    Error::ServiceAccount {
        path: PathBuf::from(path),
        message: why.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = include_str!("../../tests/data/test-ca.pem");

    #[test]
    fn no_token_is_no_identity() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(ServiceAccountIdentity::load(dir.path()).unwrap(), None);
    }

    #[test]
    fn a_token_with_its_ca_is_an_identity() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "eyJhbGciOi.token-value\n").unwrap();
        std::fs::write(dir.path().join("ca.crt"), PEM).unwrap();
        let id = ServiceAccountIdentity::load(dir.path()).unwrap().unwrap();
        assert_eq!(id.token().expose(), "eyJhbGciOi.token-value");
    }

    #[test]
    fn a_token_without_a_valid_ca_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), "eyJhbGciOi.token-value").unwrap();
        let missing = ServiceAccountIdentity::load(dir.path()).unwrap_err();
        assert!(missing.to_string().contains("ca.crt"), "{missing}");
        std::fs::write(dir.path().join("ca.crt"), "not a certificate").unwrap();
        let invalid = ServiceAccountIdentity::load(dir.path()).unwrap_err();
        assert!(invalid.to_string().contains("ca.crt"), "{invalid}");
    }
}

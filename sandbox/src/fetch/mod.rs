//! The transport side of the `fetch` capability: what a checked request looks like, and the
//! [`Transport`] that carries it (the network, or fixtures in tests).
//!
//! Requests reach a transport only after [`crate::policy`] allowed them; a transport's only
//! remaining duty is to honour [`OutboundRequest::addresses`] for the addresses a host name
//! resolves to.

pub mod net;

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use futures::future::BoxFuture;
use url::Url;

use tentacular_spec::Cidr;
use tentacular_spec::net::address::{reachable_by_name, reachable_in_blocks};

/// Which addresses a request may connect to once its host name is resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AddressPolicy {
    /// A declared host name: public and private addresses only (see [`tentacular_spec::net::address`]). An
    /// IP literal or `localhost` that was declared exactly is used as is.
    Declared,
    /// A dynamic target: only addresses inside these blocks, and special-purpose ones only
    /// when a block lies inside that special range.
    Cidrs(Vec<Cidr>),
}

impl AddressPolicy {
    /// Whether `host`, resolved to `ip`, may be connected to.
    pub fn allows(&self, host: &str, ip: IpAddr) -> bool {
        match self {
            AddressPolicy::Declared => {
                host.eq_ignore_ascii_case("localhost") || reachable_by_name(ip)
            }
            AddressPolicy::Cidrs(blocks) => reachable_in_blocks(ip, blocks),
        }
    }
}

/// Which certificate authorities a request's TLS connection trusts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trust {
    /// The public web roots (webpki): any dependency on the internet.
    #[default]
    PublicRoots,
    /// This authority and nothing else, e.g. the cluster CA of a service account (`ca.crt`)
    /// for a `kubernetes` dependency: a certificate from any public CA is refused for it.
    Only(RootCa),
}

/// One CA certificate, PEM-encoded, checked when made.
#[derive(Clone, PartialEq, Eq)]
pub struct RootCa {
    pem: Arc<[u8]>,
    id: String,
}

impl RootCa {
    /// Reads a PEM certificate (e.g. `/var/run/secrets/kubernetes.io/serviceaccount/ca.crt`).
    pub fn from_pem(pem: &[u8]) -> Result<Self, TransportError> {
        use rustls_pki_types::CertificateDer;
        use rustls_pki_types::pem::PemObject as _;
        let certs: Vec<CertificateDer<'_>> = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<_, _>>()
            .map_err(|e| TransportError::Failed(format!("not a PEM certificate: {e}")))?;
        if certs.is_empty() {
            return Err(TransportError::Failed(
                "no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)".into(),
            ));
        }
        use sha2::Digest as _;
        let id = hex::encode(sha2::Sha256::digest(pem));
        Ok(RootCa {
            pem: pem.into(),
            id,
        })
    }

    /// The PEM bytes.
    pub fn pem(&self) -> &[u8] {
        &self.pem
    }

    /// The SHA-256 of the PEM, hex: identifies the authority in logs and client caches.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl fmt::Debug for RootCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RootCa(sha256:{})", &self.id[..12])
    }
}

/// Which API the node used for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestVia {
    /// `ctx.dependency(name).fetch(path)`; `path` as the node passed it.
    Dependency {
        /// The path argument.
        path: String,
    },
    /// Legacy `ctx.fetch(service, path)`.
    Legacy {
        /// The service argument.
        service: String,
        /// The path (or full URL) argument.
        path: String,
    },
    /// Global `fetch(url)`.
    Url,
}

/// A request that passed the policy check.
#[derive(Debug, Clone)]
pub struct OutboundRequest {
    /// The dependency it goes to.
    pub dependency: String,
    /// Which API the node used.
    pub via: RequestVia,
    /// HTTP method.
    pub method: String,
    /// Full URL (for `webhook-url` dependencies, the secret URL).
    pub url: Url,
    /// Headers (placeholders of the dependency's own secrets already substituted).
    pub headers: Vec<(String, String)>,
    /// Body, if any (bytes, exactly as the node sent them).
    pub body: Option<Vec<u8>>,
    /// Which resolved addresses are acceptable.
    pub addresses: AddressPolicy,
    /// Which certificate authorities the TLS connection trusts.
    pub trust: Trust,
}

/// A response from a transport.
#[derive(Debug, Clone)]
pub struct InboundResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes (at most the limit passed to [`Transport::send`]).
    pub body: Vec<u8>,
}

/// Why a transport could not answer.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The destination resolved to an address the policy refuses.
    #[error("{0}")]
    NotPermitted(String),
    /// The body exceeded the limit.
    #[error("response body exceeds the {limit}-byte limit")]
    BodyTooLarge {
        /// The limit.
        limit: usize,
    },
    /// Connection, TLS or protocol failure.
    #[error("{0}")]
    Failed(String),
}

/// Where checked requests go. The real one is [`net::NetTransport`]; `tntc test` answers from
/// fixtures. Implementations must honour [`OutboundRequest::addresses`].
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends one request (no redirects are followed here: the caller re-checks each hop).
    fn send(
        &self,
        request: OutboundRequest,
        max_body: usize,
    ) -> BoxFuture<'_, Result<InboundResponse, TransportError>>;
}

/// A transport that refuses everything (used while loading, where nodes have no network).
#[derive(Debug, Default)]
pub struct DenyAll;

impl Transport for DenyAll {
    fn send(
        &self,
        request: OutboundRequest,
        _: usize,
    ) -> BoxFuture<'_, Result<InboundResponse, TransportError>> {
        Box::pin(async move {
            Err(TransportError::NotPermitted(format!(
                "no network is available here (request to dependency \"{}\")",
                request.dependency
            )))
        })
    }
}

//! The real network transport: reqwest over rustls, with a resolver that checks every resolved
//! address against the request's [`AddressPolicy`] before connecting (DNS rebinding defence:
//! a declared host name that resolves to loopback or link-local addresses is refused).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::{AddressPolicy, InboundResponse, OutboundRequest, Transport, TransportError, Trust};

/// Sends checked requests to the network. Cheap to clone; connections are pooled, one pool
/// per (address policy, trusted authorities): a connection made under one policy is never
/// reused under another.
#[derive(Debug, Clone)]
pub struct NetTransport {
    declared: reqwest::Client,
    others: Arc<Mutex<HashMap<String, reqwest::Client>>>,
}

impl NetTransport {
    /// A transport with its own connection pools.
    pub fn new() -> Result<Self, TransportError> {
        Ok(NetTransport {
            declared: client(AddressPolicy::Declared, &Trust::PublicRoots)?,
            others: Arc::default(),
        })
    }

    fn client_for(
        &self,
        policy: &AddressPolicy,
        trust: &Trust,
    ) -> Result<reqwest::Client, TransportError> {
        if let (AddressPolicy::Declared, Trust::PublicRoots) = (policy, trust) {
            return Ok(self.declared.clone());
        }
        let roots = match trust {
            Trust::PublicRoots => "public",
            Trust::Only(ca) => ca.id(),
        };
        let key = format!("{policy:?}|{roots}");
        let mut map = self.others.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = map.get(&key) {
            return Ok(c.clone());
        }
        let c = client(policy.clone(), trust)?;
        map.insert(key, c.clone());
        Ok(c)
    }
}

fn client(policy: AddressPolicy, trust: &Trust) -> Result<reqwest::Client, TransportError> {
    let mut builder = reqwest::Client::builder();
    if let Trust::Only(ca) = trust {
        let cert = reqwest::Certificate::from_pem(ca.pem())
            .map_err(|e| TransportError::Failed(format!("invalid CA certificate: {e}")))?;
        builder = builder
            .tls_built_in_root_certs(false)
            .add_root_certificate(cert);
    }
    builder
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(CheckedResolver { policy }))
        .no_proxy()
        .user_agent(concat!("tentacular/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| TransportError::Failed(format!("cannot build the HTTP client: {e}")))
}

#[derive(Debug, thiserror::Error)]
#[error(
    "{host} resolves only to addresses this dependency may not reach (loopback, link-local, metadata or other special-purpose addresses, or outside its CIDR blocks)"
)]
struct RefusedAddress {
    host: String,
}

struct CheckedResolver {
    policy: AddressPolicy,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| policy.allows(&host, a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(
                    Box::new(RefusedAddress { host }) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

impl Transport for NetTransport {
    fn send(
        &self,
        request: OutboundRequest,
        max_body: usize,
    ) -> BoxFuture<'_, Result<InboundResponse, TransportError>> {
        Box::pin(async move {
            let client = self.client_for(&request.addresses, &request.trust)?;
            let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|_| {
                TransportError::Failed(format!("invalid method {}", request.method))
            })?;
            let mut builder = client.request(method, request.url.clone());
            for (k, v) in &request.headers {
                builder = builder.header(k, v);
            }
            if let Some(body) = request.body {
                builder = builder.body(body);
            }
            let mut response = builder.send().await.map_err(classify)?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(classify)? {
                if body.len() + chunk.len() > max_body {
                    return Err(TransportError::BodyTooLarge { limit: max_body });
                }
                body.extend_from_slice(&chunk);
            }
            Ok(InboundResponse {
                status,
                headers,
                body,
            })
        })
    }
}

fn classify(e: reqwest::Error) -> TransportError {
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<RefusedAddress>() {
            return TransportError::NotPermitted(refused.to_string());
        }
        source = s.source();
    }
    if e.is_connect() {
        // The innermost cause says which: refused, unreachable, or a TLS certificate the
        // dependency's trusted authorities do not vouch for.
        let mut cause: &dyn std::error::Error = &e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        return TransportError::Failed(format!("cannot connect: {cause}"));
    }
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_body() || e.is_decode() {
        "bad response body"
    } else {
        "request failed"
    };
    TransportError::Failed(kind.to_string())
}

//! Where a pod reaches the cluster's API server: the egress rule of a `kubernetes`
//! dependency.
//!
//! A NetworkPolicy cannot name `kubernetes.default.svc`, and whether a CNI matches egress
//! before or after the Service's address translation is left open by Kubernetes, so the rule
//! lists both: the `kubernetes` Service's cluster IPs on its port (443) and the addresses of
//! its EndpointSlice on theirs (often 6443). Both live in namespace `default`; the API server
//! itself keeps them current. Reading them takes `get` on exactly those two objects
//! ([`api_server_permissions`]).

use std::net::IpAddr;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::Api;

use super::Cluster;
use super::permissions::Permission;
use crate::error::{Error, Result};
use crate::manifests::{CidrEgress, DeployInput};
use tentacular_spec::{IpProtocol, PortRule};

/// The namespace and name of the API server's Service and EndpointSlice.
pub const API_SERVER_NAMESPACE: &str = "default";
/// See [`API_SERVER_NAMESPACE`].
pub const API_SERVER_OBJECT: &str = "kubernetes";

const NEEDED_BY: &[&str] = &[
    "deploy of a workflow with a `kubernetes` dependency",
    "audit",
];

/// The two reads [`Cluster::api_server_egress`] makes, in namespace [`API_SERVER_NAMESPACE`]
/// and on objects named [`API_SERVER_OBJECT`] only.
pub fn api_server_permissions() -> [Permission; 2] {
    [
        Permission {
            group: "",
            resource: "services",
            subresource: None,
            verb: "get",
            needed_by: NEEDED_BY,
        },
        Permission {
            group: "discovery.k8s.io",
            resource: "endpointslices",
            subresource: None,
            verb: "get",
            needed_by: NEEDED_BY,
        },
    ]
}

/// A single-address range: `/32` or `/128`.
fn host_cidr(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}/32"),
        IpAddr::V6(v6) => format!("{v6}/128"),
    }
}

fn tcp(port: i32) -> Option<PortRule> {
    Some(PortRule {
        port: u16::try_from(port).ok()?,
        protocol: IpProtocol::Tcp,
    })
}

/// The rules for the Service's cluster IPs and the EndpointSlice's ready addresses, sorted
/// and without duplicates. Addresses that do not parse (an FQDN slice) are skipped, and so is
/// an object without a TCP port (an empty port list would open every port).
pub(crate) fn egress_of(service: &Service, slice: &EndpointSlice) -> Vec<CidrEgress> {
    let mut out = Vec::new();
    if let Some(spec) = service.spec.as_ref().filter(|s| {
        s.ports
            .iter()
            .flatten()
            .any(|p| p.protocol.as_deref().unwrap_or("TCP") == "TCP")
    }) {
        let ports: Vec<PortRule> = spec
            .ports
            .iter()
            .flatten()
            .filter(|p| p.protocol.as_deref().unwrap_or("TCP") == "TCP")
            .filter_map(|p| tcp(p.port))
            .collect();
        let ips = spec.cluster_ips.iter().flatten().chain(&spec.cluster_ip);
        for ip in ips.filter_map(|ip| ip.parse::<IpAddr>().ok()) {
            out.push(CidrEgress {
                cidr: host_cidr(ip),
                ports: ports.clone(),
            });
        }
    }
    let ports: Vec<PortRule> = slice
        .ports
        .iter()
        .flatten()
        .filter(|p| p.protocol.as_deref().unwrap_or("TCP") == "TCP")
        .filter_map(|p| p.port.and_then(tcp))
        .collect();
    let addresses = slice
        .endpoints
        .iter()
        .filter(|_| !ports.is_empty())
        .filter(|e| e.conditions.as_ref().and_then(|c| c.ready) != Some(false))
        .flat_map(|e| &e.addresses);
    for ip in addresses.filter_map(|a| a.parse::<IpAddr>().ok()) {
        out.push(CidrEgress {
            cidr: host_cidr(ip),
            ports: ports.clone(),
        });
    }
    out.sort();
    out.dedup();
    out
}

impl Cluster {
    /// Fills in what only the cluster knows about `input`: the API server's addresses
    /// ([`Cluster::api_server_egress`]) when a `kubernetes` dependency needs them and they are
    /// not known yet. What `deploy`, `rollback` and `audit` call before building manifests.
    pub async fn complete_input(&self, input: &mut DeployInput) -> Result<()> {
        if input.needs_api_server && input.api_server_egress.is_none() {
            input.api_server_egress = Some(self.api_server_egress().await?);
        }
        Ok(())
    }

    /// The egress rules that let a pod reach this cluster's API server: what
    /// [`crate::manifests::DeployInput::api_server_egress`] takes for a workflow with a
    /// `kubernetes` dependency. Fails when either object cannot be read, or when they hold no
    /// address: a NetworkPolicy without the rule would cut the dependency off silently.
    pub async fn api_server_egress(&self) -> Result<Vec<CidrEgress>> {
        let ns = API_SERVER_NAMESPACE;
        // The underlying error's own hint ("ask an administrator") says less than this one.
        let fail = |e: Error| Error::ApiServerAddresses {
            message: e.to_string().lines().next().unwrap_or_default().to_string(),
        };
        let service = Api::<Service>::namespaced(self.client.clone(), ns)
            .get(API_SERVER_OBJECT)
            .await
            .map_err(|e| fail(self.err("get", "services", Some(ns), e)))?;
        let slice = Api::<EndpointSlice>::namespaced(self.client.clone(), ns)
            .get(API_SERVER_OBJECT)
            .await
            .map_err(|e| fail(self.err("get", "endpointslices.discovery.k8s.io", Some(ns), e)))?;
        let rules = egress_of(&service, &slice);
        if rules.is_empty() {
            return Err(Error::ApiServerAddresses {
                message: "the `kubernetes` Service and EndpointSlice of namespace default hold \
                          no IP address"
                    .into(),
            });
        }
        Ok(rules)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service(v: serde_json::Value) -> Service {
        serde_json::from_value(v).unwrap()
    }
    fn slice(v: serde_json::Value) -> EndpointSlice {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn both_the_service_and_its_endpoints_on_their_own_ports() {
        let svc = service(json!({"spec": {
            "clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1", "fd00::1"],
            "ports": [{"port": 443, "protocol": "TCP", "targetPort": 6443}]}}));
        let eps = slice(json!({"addressType": "IPv4", "endpoints": [
                {"addresses": ["172.18.0.2"], "conditions": {"ready": true}},
                {"addresses": ["172.18.0.3"]},
                {"addresses": ["172.18.0.9"], "conditions": {"ready": false}}],
            "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}));
        let got: Vec<(String, Vec<u16>)> = egress_of(&svc, &eps)
            .into_iter()
            .map(|r| (r.cidr, r.ports.iter().map(|p| p.port).collect()))
            .collect();
        assert_eq!(
            got,
            [
                ("10.96.0.1/32".to_string(), vec![443]),
                ("172.18.0.2/32".to_string(), vec![6443]),
                ("172.18.0.3/32".to_string(), vec![6443]),
                ("fd00::1/128".to_string(), vec![443]),
            ],
            "not-ready endpoints are left out, the cluster IP appears once"
        );
    }

    #[test]
    fn unparsable_addresses_and_udp_ports_are_skipped() {
        let svc = service(json!({"spec": {"clusterIP": "10.96.0.1",
            "ports": [{"port": 53, "protocol": "UDP"}]}}));
        let eps = slice(json!({"addressType": "FQDN",
            "endpoints": [{"addresses": ["api.example.com"]}], "ports": [{"port": 443}]}));
        assert!(egress_of(&svc, &eps).is_empty());
        let no_ports = slice(json!({"addressType": "IPv4",
            "endpoints": [{"addresses": ["172.18.0.2"]}]}));
        assert!(
            egress_of(&svc, &no_ports).is_empty(),
            "no port is not every port"
        );
    }
}

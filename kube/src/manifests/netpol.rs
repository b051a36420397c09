//! The NetworkPolicy derived from the contract.
//!
//! Egress: DNS to kube-dns; in-cluster services (`<svc>.<ns>.svc.cluster.local`) by namespace
//! and port; external hosts as "public addresses on that port" (a NetworkPolicy cannot name
//! hosts — the host names go into the `tentacular.dev/intended-hosts` annotation, and the
//! sandbox enforces the exact hosts); CIDR rules as given; the API server (a `kubernetes`
//! dependency) at the addresses the cluster reported for it. Ingress to 8080: trigger pods,
//! plus, for webhook workflows, the namespace's pods and the listed webhook namespaces.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use tentacular_spec::{IpProtocol, PortRule};

use super::{
    ANNOTATION_INTENDED_HOSTS, DeployInput, ENGINE_PORT, LABEL_ROLE, ROLE_TRIGGER, engine_selector,
    meta, netpol_name,
};
use crate::error::{Error, Result};

/// Ranges excluded from "any public address": RFC 1918, carrier-grade NAT (often pod or node
/// networks), link-local (cloud metadata endpoints live at 169.254.169.254).
pub const PRIVATE_V4: [&str; 5] = [
    "10.0.0.0/8",
    "100.64.0.0/10",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
];
/// IPv6 ranges excluded from "any public address": unique-local and link-local. (IPv4-mapped
/// `::ffff:0:0/96` cannot be listed: the API server reads it as IPv4 and rejects it as "not a
/// subset of `::/0`"; such addresses never appear on the wire anyway.)
pub const PRIVATE_V6: [&str; 2] = ["fc00::/7", "fe80::/10"];
const CLUSTER_SUFFIX: &str = ".svc.cluster.local";
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

fn port(p: u16, protocol: IpProtocol) -> NetworkPolicyPort {
    NetworkPolicyPort {
        port: Some(IntOrString::Int(p.into())),
        protocol: Some(protocol.as_str().into()),
        end_port: None,
    }
}

fn match_labels(pairs: &[(&str, &str)]) -> LabelSelector {
    LabelSelector {
        match_labels: Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        match_expressions: None,
    }
}

fn namespace_peer(ns: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(match_labels(&[(NAMESPACE_NAME_LABEL, ns)])),
        ..NetworkPolicyPeer::default()
    }
}

fn ip_peer(cidr: &str, except: &[&str]) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        ip_block: Some(IPBlock {
            cidr: cidr.to_string(),
            except: (!except.is_empty()).then(|| except.iter().map(|s| s.to_string()).collect()),
        }),
        ..NetworkPolicyPeer::default()
    }
}

/// The in-cluster namespace of `<svc>.<ns>.svc.cluster.local`, if the host is one.
pub(crate) fn cluster_namespace(host: &str) -> Option<&str> {
    let rest = host.strip_suffix(CLUSTER_SUFFIX)?;
    let (_svc, ns) = rest.rsplit_once('.')?;
    (!ns.is_empty()).then_some(ns)
}

/// Checks a CIDR's shape (`a.b.c.d/n` or an IPv6 address with a prefix length).
fn valid_cidr(cidr: &str) -> bool {
    let Some((addr, len)) = cidr.split_once('/') else {
        return false;
    };
    let Ok(len) = len.parse::<u8>() else {
        return false;
    };
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => len <= 32,
        Ok(std::net::IpAddr::V6(_)) => len <= 128,
        Err(_) => false,
    }
}

/// The egress rules (without DNS) the contract implies, in a canonical order; `audit`
/// compares the live policy against [`network_policy`]'s whole spec.
pub(super) fn network_policy(input: &DeployInput) -> Result<NetworkPolicy> {
    let mut egress = vec![NetworkPolicyEgressRule {
        to: Some(vec![NetworkPolicyPeer {
            namespace_selector: Some(match_labels(&[(NAMESPACE_NAME_LABEL, "kube-system")])),
            pod_selector: Some(match_labels(&[("k8s-app", "kube-dns")])),
            ip_block: None,
        }]),
        ports: Some(vec![port(53, IpProtocol::Udp), port(53, IpProtocol::Tcp)]),
    }];

    // In-cluster: namespace → ports. External: ports, hosts.
    let mut cluster: BTreeMap<&str, BTreeSet<PortRule>> = BTreeMap::new();
    let mut external: BTreeSet<PortRule> = BTreeSet::new();
    let mut hosts: BTreeSet<&str> = BTreeSet::new();
    for rule in &input.egress {
        let pr = PortRule {
            port: rule.port,
            protocol: rule.protocol,
        };
        if rule.host.trim().is_empty() {
            return Err(Error::InvalidInput {
                field: "egress".into(),
                message: "an egress rule has an empty host".into(),
            });
        }
        match cluster_namespace(&rule.host) {
            Some(ns) => {
                cluster.entry(ns).or_default().insert(pr);
            }
            None => {
                external.insert(pr);
                hosts.insert(&rule.host);
            }
        }
    }
    for (ns, ports) in &cluster {
        egress.push(NetworkPolicyEgressRule {
            to: Some(vec![namespace_peer(ns)]),
            ports: Some(ports.iter().map(|p| port(p.port, p.protocol)).collect()),
        });
    }
    if !external.is_empty() {
        egress.push(NetworkPolicyEgressRule {
            to: Some(vec![
                ip_peer("0.0.0.0/0", &PRIVATE_V4),
                ip_peer("::/0", &PRIVATE_V6),
            ]),
            ports: Some(external.iter().map(|p| port(p.port, p.protocol)).collect()),
        });
    }
    let mut cidrs = input.cidr_egress.clone();
    cidrs.sort();
    cidrs.dedup();
    for c in &cidrs {
        if !valid_cidr(&c.cidr) {
            return Err(Error::InvalidInput {
                field: "cidr egress".into(),
                message: format!("{:?} is not a CIDR (e.g. 10.0.0.0/16)", c.cidr),
            });
        }
        let ports: BTreeSet<PortRule> = c.ports.iter().copied().collect();
        egress.push(NetworkPolicyEgressRule {
            to: Some(vec![ip_peer(&c.cidr, &[])]),
            ports: (!ports.is_empty())
                .then(|| ports.iter().map(|p| port(p.port, p.protocol)).collect()),
        });
    }

    if input.needs_api_server {
        let mut api = input.api_server_egress.clone().unwrap_or_default();
        api.sort();
        api.dedup();
        for c in &api {
            if !valid_cidr(&c.cidr) || c.ports.is_empty() {
                return Err(Error::InvalidInput {
                    field: "API server egress".into(),
                    message: format!(
                        "{:?} with ports {:?} is not one address on a port",
                        c.cidr, c.ports
                    ),
                });
            }
            egress.push(NetworkPolicyEgressRule {
                to: Some(vec![ip_peer(&c.cidr, &[])]),
                ports: Some(c.ports.iter().map(|p| port(p.port, p.protocol)).collect()),
            });
        }
    }

    let engine_port = || Some(vec![port(ENGINE_PORT, IpProtocol::Tcp)]);
    let mut from = vec![NetworkPolicyPeer {
        pod_selector: Some(match_labels(&[(LABEL_ROLE, ROLE_TRIGGER)])),
        ..NetworkPolicyPeer::default()
    }];
    if input.has_webhook {
        from.push(NetworkPolicyPeer {
            pod_selector: Some(LabelSelector::default()),
            ..NetworkPolicyPeer::default()
        });
        let mut namespaces = input.webhook_namespaces.clone();
        namespaces.sort();
        namespaces.dedup();
        from.extend(namespaces.iter().map(|ns| namespace_peer(ns)));
    }
    for cidr in &input.proxy_ingress_cidrs {
        if !valid_cidr(cidr) {
            return Err(Error::InvalidInput {
                field: "proxy ingress CIDR".into(),
                message: format!("{cidr:?} is not a CIDR (e.g. 192.0.2.10/32)"),
            });
        }
        from.push(ip_peer(cidr, &[]));
    }
    let ingress = vec![NetworkPolicyIngressRule {
        from: Some(from),
        ports: engine_port(),
    }];

    let mut metadata = meta(input, netpol_name(&input.name));
    metadata.annotations = Some(BTreeMap::from([(
        ANNOTATION_INTENDED_HOSTS.to_string(),
        hosts.into_iter().collect::<Vec<_>>().join(","),
    )]));
    Ok(NetworkPolicy {
        metadata,
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector {
                match_labels: Some(engine_selector(&input.name)),
                match_expressions: None,
            }),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
            egress: Some(egress),
            ingress: Some(ingress),
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::{CidrEgress, HostEgress};

    fn input() -> DeployInput {
        let mut i = DeployInput::new("wf", "1.0", "ns", "img:1");
        i.files.insert("workflow.yaml".into(), String::new());
        i
    }

    #[test]
    fn no_contract_means_dns_only_and_trigger_ingress() {
        let np = network_policy(&input()).unwrap();
        let spec = np.spec.unwrap();
        assert_eq!(spec.egress.as_ref().unwrap().len(), 1);
        let from = spec.ingress.unwrap()[0].from.clone().unwrap();
        assert_eq!(from.len(), 1);
        assert_eq!(
            from[0]
                .pod_selector
                .as_ref()
                .unwrap()
                .match_labels
                .as_ref()
                .unwrap()[LABEL_ROLE],
            ROLE_TRIGGER
        );
    }

    #[test]
    fn hosts_are_grouped_by_kind() {
        let mut i = input();
        i.egress = vec![
            HostEgress {
                host: "api.github.com".into(),
                port: 443,
                protocol: IpProtocol::Tcp,
            },
            HostEgress {
                host: "hooks.slack.com".into(),
                port: 443,
                protocol: IpProtocol::Tcp,
            },
            HostEgress {
                host: "pg.data.svc.cluster.local".into(),
                port: 5432,
                protocol: IpProtocol::Tcp,
            },
        ];
        i.cidr_egress = vec![CidrEgress {
            cidr: "10.1.0.0/16".into(),
            ports: vec![],
        }];
        let np = network_policy(&i).unwrap();
        let egress = np.spec.unwrap().egress.unwrap();
        assert_eq!(egress.len(), 4, "{egress:#?}");
        let ns = egress[1].to.as_ref().unwrap()[0]
            .namespace_selector
            .as_ref()
            .unwrap();
        assert_eq!(
            ns.match_labels.as_ref().unwrap()[NAMESPACE_NAME_LABEL],
            "data"
        );
        assert_eq!(
            egress[2].ports.as_ref().unwrap().len(),
            1,
            "443 once for both hosts"
        );
        assert!(egress[3].ports.is_none(), "all ports");
        assert_eq!(
            np.metadata.annotations.unwrap()[ANNOTATION_INTENDED_HOSTS],
            "api.github.com,hooks.slack.com"
        );
    }

    #[test]
    fn webhook_opens_the_namespace() {
        let mut i = input();
        i.has_webhook = true;
        i.webhook_namespaces = vec!["istio-system".into()];
        let from = network_policy(&i).unwrap().spec.unwrap().ingress.unwrap()[0]
            .from
            .clone()
            .unwrap();
        assert_eq!(from.len(), 3);
    }

    #[test]
    fn api_server_egress_goes_to_the_addresses_the_cluster_gave() {
        let mut i = input();
        let tcp = |port| PortRule {
            port,
            protocol: IpProtocol::Tcp,
        };
        i.needs_api_server = true;
        assert_eq!(
            network_policy(&i)
                .unwrap()
                .spec
                .unwrap()
                .egress
                .unwrap()
                .len(),
            1,
            "unknown addresses: no rule (build warns)"
        );
        i.api_server_egress = Some(vec![
            CidrEgress {
                cidr: "172.18.0.2/32".into(),
                ports: vec![tcp(6443)],
            },
            CidrEgress {
                cidr: "10.96.0.1/32".into(),
                ports: vec![tcp(443)],
            },
        ]);
        let egress = network_policy(&i).unwrap().spec.unwrap().egress.unwrap();
        let rules: Vec<(String, i32)> = egress[1..]
            .iter()
            .map(|r| {
                let cidr = r.to.as_ref().unwrap()[0]
                    .ip_block
                    .as_ref()
                    .unwrap()
                    .cidr
                    .clone();
                let port = match r.ports.as_ref().unwrap()[0].port {
                    Some(IntOrString::Int(p)) => p,
                    _ => unreachable!(),
                };
                (cidr, port)
            })
            .collect();
        assert_eq!(
            rules,
            [
                ("10.96.0.1/32".to_string(), 443),
                ("172.18.0.2/32".to_string(), 6443)
            ]
        );
        i.needs_api_server = false;
        assert_eq!(
            network_policy(&i)
                .unwrap()
                .spec
                .unwrap()
                .egress
                .unwrap()
                .len(),
            1,
            "addresses without a kubernetes dependency open nothing"
        );
        i.needs_api_server = true;
        i.api_server_egress = Some(vec![CidrEgress {
            cidr: "172.18.0.2/32".into(),
            ports: vec![],
        }]);
        assert!(network_policy(&i).is_err(), "never every port");
    }

    #[test]
    fn rejects_bad_cidr() {
        let mut i = input();
        i.cidr_egress = vec![CidrEgress {
            cidr: "10.0.0.0".into(),
            ports: vec![],
        }];
        assert!(network_policy(&i).is_err());
    }

    #[test]
    fn cluster_namespace_parsing() {
        assert_eq!(cluster_namespace("pg.data.svc.cluster.local"), Some("data"));
        assert_eq!(cluster_namespace("api.github.com"), None);
        assert_eq!(cluster_namespace(".svc.cluster.local"), None);
    }
}

//! `deployment.serviceAccount` and `deployment.rbac`: the Kubernetes identity a workflow runs
//! as and the least privilege it asks for. Wildcards and cluster-wide grants are warned about
//! (they are rarely what a workflow needs); unknown verbs are errors.

use saphyr_parser::Span;

use crate::deployment::{PolicyRule, Rbac, ServiceAccount};
use crate::yaml::{Node, Reader, Unknown};

/// Parses `serviceAccount`: exactly one of `{create: true}` or `{name: <existing>}`.
pub(crate) fn service_account(
    r: &mut Reader<'_>,
    v: &Node<'_>,
    key: Span,
) -> Option<ServiceAccount> {
    const HINT: &str = "write `serviceAccount: {create: true}` (one named after the workflow) or `serviceAccount: {name: <existing>}`";
    let mut f = r.fields(v, "serviceAccount", key)?;
    let create = match f.value("create") {
        Some((n, _)) => Some((r.boolean(n, "serviceAccount.create")?, n.span)),
        None => None,
    };
    let name = match f.value("name") {
        Some((n, _)) => Some((r.string(n, "serviceAccount.name")?, n.span)),
        None => None,
    };
    r.finish(
        f,
        &["create", "name"],
        "serviceAccount",
        None,
        Unknown::Reject,
    );
    match (create, name) {
        (Some((true, _)), None) => Some(ServiceAccount {
            create: true,
            name: None,
        }),
        (None | Some((false, _)), Some((name, span))) => {
            if !is_dns_subdomain(&name) {
                r.error(
                    span,
                    "service-account-name",
                    format!("service account name \"{name}\" is not a valid Kubernetes name"),
                    Some("lowercase letters, digits, '-' and '.', starting and ending with a letter or digit".into()),
                );
                return None;
            }
            Some(ServiceAccount {
                create: false,
                name: Some(name),
            })
        }
        (Some((true, span)), Some(_)) => {
            r.error(
                span,
                "service-account-choice",
                "serviceAccount has both `create: true` and `name`: it is one or the other",
                Some(HINT.into()),
            );
            None
        }
        (create, None) => {
            let span = create.map_or(key, |(_, span)| span);
            r.error(
                span,
                "service-account-choice",
                "serviceAccount says neither which account to use nor to create one",
                Some(HINT.into()),
            );
            None
        }
    }
}

/// Parses `rbac: {rules: [...], clusterRole: bool}`.
pub(crate) fn rbac(r: &mut Reader<'_>, v: &Node<'_>, key: Span) -> Option<Rbac> {
    let mut f = r.fields(v, "rbac", key)?;
    let mut ok = true;
    let cluster_role = match f.value("clusterRole") {
        Some((n, k)) => match r.boolean(n, "rbac.clusterRole") {
            Some(true) => {
                r.warn(
                    k,
                    "rbac-cluster-role",
                    "rbac.clusterRole grants these rules in every namespace of the cluster",
                    Some(
                        "leave it out to grant them only in the workflow's namespace (a Role)"
                            .into(),
                    ),
                );
                true
            }
            Some(false) => false,
            None => {
                ok = false;
                false
            }
        },
        None => false,
    };
    let rules = match r.required(
        &mut f,
        "rules",
        "rbac",
        Some("e.g. `rules: [{resources: [pods], verbs: [get, list]}]`".into()),
    ) {
        Some((n, _)) => rules(r, n),
        None => None,
    };
    r.finish(f, &["rules", "clusterRole"], "rbac", None, Unknown::Reject);
    let rules = rules?;
    ok.then_some(Rbac {
        rules,
        cluster_role,
    })
}

fn rules(r: &mut Reader<'_>, v: &Node<'_>) -> Option<Vec<PolicyRule>> {
    let items = r.list(v, "rbac.rules", None)?;
    if items.is_empty() {
        r.error(
            v.span,
            "rbac-no-rules",
            "rbac.rules is empty: a Role without rules grants nothing",
            Some("list what the workflow needs, or remove the rbac block".into()),
        );
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for item in items {
        match rule(r, item) {
            Some(rule) => out.push(rule),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn rule(r: &mut Reader<'_>, v: &Node<'_>) -> Option<PolicyRule> {
    let mut f = r.fields(v, "a rule of rbac.rules", v.span)?;
    let mut list = |r: &mut Reader<'_>, key: &str, required: bool| -> Option<Vec<(String, Span)>> {
        match f.value(key) {
            Some((n, _)) => r.string_list(n, &format!("rbac rule {key}")),
            None if required => {
                r.error(
                    v.span,
                    "missing-key",
                    format!("this rbac rule is missing \"{key}\""),
                    Some("e.g. `{resources: [pods], verbs: [get, list]}`".into()),
                );
                None
            }
            None => Some(Vec::new()),
        }
    };
    let api_groups = list(r, "apiGroups", false);
    let resources = list(r, "resources", true);
    let verbs = list(r, "verbs", true);
    let resource_names = list(r, "resourceNames", false);
    r.finish(
        f,
        &["apiGroups", "resources", "verbs", "resourceNames"],
        "an rbac rule",
        None,
        Unknown::Reject,
    );
    let (api_groups, resources, verbs, resource_names) =
        (api_groups?, resources?, verbs?, resource_names?);
    let mut ok = true;
    for (verb, span) in &verbs {
        if !PolicyRule::VERBS.contains(&verb.as_str()) {
            r.error(
                *span,
                "rbac-verb",
                format!("\"{verb}\" is not a Kubernetes verb"),
                Some(format!("one of: {}", PolicyRule::VERBS.join(", "))),
            );
            ok = false;
        }
    }
    for (word, span) in verbs.iter().chain(&resources).chain(&api_groups) {
        if word == "*" {
            r.warn(
                *span,
                "rbac-wildcard",
                "a `*` in an rbac rule grants everything of its kind, now and in future versions",
                Some("list the resources and verbs the workflow uses".into()),
            );
        }
    }
    let texts = |l: Vec<(String, Span)>| l.into_iter().map(|(s, _)| s).collect::<Vec<_>>();
    let api_groups = if api_groups.is_empty() {
        vec![String::new()]
    } else {
        texts(api_groups)
    };
    ok.then(|| PolicyRule {
        api_groups,
        resources: texts(resources),
        verbs: texts(verbs),
        resource_names: texts(resource_names),
    })
}

/// A Kubernetes DNS-1123 subdomain: what object names must be.
fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes()
            .all(|c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.'))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

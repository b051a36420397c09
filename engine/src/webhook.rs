//! Webhook deliveries: GitHub's signature check and which trigger a delivery matches.
//!
//! The HTTP side is in [`crate::server`]; this module is pure functions.

use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;

use tentacular_spec::{Trigger, TriggerKind, WebhookProvider};

/// The header GitHub puts the HMAC-SHA256 of the body in, as `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";
/// The header naming the event (`push`, `pull_request`, `ping`, …).
pub const EVENT_HEADER: &str = "x-github-event";
/// The header with the delivery's unique id.
pub const DELIVERY_HEADER: &str = "x-github-delivery";

/// True when `header` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under `secret`. The
/// comparison takes the same time whatever the bytes are (`hmac`'s `verify_slice`).
pub fn verify_github_signature(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// `sha256=<hex>` of `body` under `secret`: what GitHub sends (for tests and tools).
pub fn github_signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The first webhook trigger of `provider` that accepts a delivery of `event` whose payload
/// has `action`, as the original matched: a trigger's absent `event` matches any event, and
/// its `actions` filter only when both the list and the payload's `action` are present.
///
/// One difference: GitHub's `ping` (sent when a webhook is created) only matches a trigger
/// that names `event: ping`, so creating a webhook does not run the workflow.
pub fn match_trigger<'a>(
    triggers: &'a [Trigger],
    provider: WebhookProvider,
    event: Option<&str>,
    action: Option<&str>,
) -> Option<&'a Trigger> {
    triggers.iter().find(|t| {
        let TriggerKind::Webhook {
            provider: p,
            event: want_event,
            actions,
            ..
        } = &t.kind
        else {
            return false;
        };
        if *p != provider {
            return false;
        }
        match (want_event.as_deref(), event) {
            (Some(want), Some(got)) if want != got => return false,
            (Some(_), None) => return false,
            (None, Some("ping")) => return false,
            _ => {}
        }
        match action {
            Some(a) if !actions.is_empty() => actions.iter().any(|x| x == a),
            _ => true,
        }
    })
}

/// The name recorded for a matched trigger: its `name`, else its `event`, else `"webhook"`.
pub fn trigger_label(t: &Trigger) -> String {
    if let Some(n) = &t.name {
        return n.to_string();
    }
    match &t.kind {
        TriggerKind::Webhook { event: Some(e), .. } => e.clone(),
        _ => "webhook".to_string(),
    }
}

/// The run's input: the payload's fields plus
/// `_webhook {provider, event, action, delivery_id, trigger}`.
pub fn input(
    payload: Map<String, Value>,
    provider: WebhookProvider,
    event: Option<&str>,
    delivery_id: Option<&str>,
    trigger: &str,
) -> Value {
    let action = payload
        .get("action")
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut input = payload;
    input.insert(
        "_webhook".into(),
        json!({
            "provider": provider.as_str(),
            "event": event,
            "action": action,
            "delivery_id": delivery_id,
            "trigger": trigger,
        }),
    );
    Value::Object(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tentacular_spec::Workflow;

    fn triggers(yaml: &str) -> Vec<Trigger> {
        let src =
            format!("name: w\nversion: \"1.0\"\ntriggers:\n{yaml}nodes:\n  a:\n    path: ./a.ts\n");
        Workflow::parse(&src, "workflow.yaml")
            .unwrap_or_else(|e| panic!("{e}"))
            .workflow
            .triggers
    }

    #[test]
    fn signature_round_trip_and_rejections() {
        let body = br#"{"zen":"Keep it logically awesome."}"#;
        let sig = github_signature(b"s3cret", body);
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        assert!(verify_github_signature(b"s3cret", body, Some(&sig)));
        assert!(verify_github_signature(
            b"s3cret",
            body,
            Some(&sig.to_uppercase().replace("SHA256=", "sha256="))
        ));
        assert!(!verify_github_signature(b"other", body, Some(&sig)));
        assert!(!verify_github_signature(b"s3cret", b"{}", Some(&sig)));
        assert!(!verify_github_signature(b"s3cret", body, None));
        assert!(!verify_github_signature(b"s3cret", body, Some("sha1=abcd")));
        assert!(!verify_github_signature(b"s3cret", body, Some("sha256=zz")));
        assert!(!verify_github_signature(b"s3cret", body, Some(&sig[..20])));
    }

    #[test]
    fn github_documented_example_verifies() {
        // The example from GitHub's "Validating webhook deliveries" page.
        assert!(verify_github_signature(
            b"It's a Secret to Everybody",
            b"Hello, World!",
            Some("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"),
        ));
    }

    #[test]
    fn matching_follows_the_original_with_wildcards() {
        let ts = triggers(
            "  - type: manual\n  - type: webhook\n    name: prs\n    provider: github\n    event: pull_request\n    actions: [opened, synchronize]\n  - type: webhook\n    provider: github\n    event: push\n  - type: webhook\n    provider: github\n",
        );
        let gh = WebhookProvider::Github;
        let m = |e, a| match_trigger(&ts, gh, e, a).map(trigger_label);
        assert_eq!(
            m(Some("pull_request"), Some("opened")).as_deref(),
            Some("prs")
        );
        // closed is filtered out of "prs" and falls through to the catch-all trigger.
        assert_eq!(
            m(Some("pull_request"), Some("closed")).as_deref(),
            Some("webhook")
        );
        // No action in the payload: the actions list does not filter.
        assert_eq!(m(Some("pull_request"), None).as_deref(), Some("prs"));
        assert_eq!(m(Some("push"), None).as_deref(), Some("push"));
        assert_eq!(
            m(Some("issues"), Some("opened")).as_deref(),
            Some("webhook")
        );
        assert_eq!(m(Some("ping"), None), None, "ping only matches event: ping");
        let only_push = triggers("  - type: webhook\n    provider: github\n    event: push\n");
        assert!(match_trigger(&only_push, gh, Some("issues"), None).is_none());
        assert!(match_trigger(&only_push, gh, None, None).is_none());
    }

    #[test]
    fn input_carries_the_payload_and_webhook_metadata() {
        let payload = json!({"action": "opened", "number": 7});
        let Value::Object(obj) = payload else {
            unreachable!()
        };
        let v = input(
            obj,
            WebhookProvider::Github,
            Some("pull_request"),
            Some("d-1"),
            "prs",
        );
        assert_eq!(
            v,
            json!({"action": "opened", "number": 7, "_webhook": {"provider": "github", "event": "pull_request", "action": "opened", "delivery_id": "d-1", "trigger": "prs"}})
        );
    }
}

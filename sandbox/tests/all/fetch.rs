//! The fetch capability against a real HTTP server on 127.0.0.1: grants, secret placeholders,
//! host-injected auth, scrubbing, limits.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;
use tentacular_sandbox::fetch::net::NetTransport;
use tentacular_sandbox::{
    Auth, AuthKind, Capabilities, Dependency, Limits, NodeError, NodeOutcome, SecretRef,
    SecretValues,
};

use crate::server::TestServer;
use crate::support::load;

const TOKEN: &str = "s3cret-token-value-123";
const HOOK_PATH: &str = "/echo-headers?hook=T000/B000/XYZ";

fn dep(host: &str, port: u16, auth: Option<(&str, &str)>, granted: bool) -> Dependency {
    Dependency {
        protocol: "http".into(),
        host: host.into(),
        port,
        auth: auth.map(|(kind, secret)| Auth {
            kind: AuthKind::parse(kind).unwrap(),
            secret: SecretRef::parse(secret).unwrap(),
            header: None,
        }),
        granted,
        dynamic: None,
        extra: Default::default(),
    }
}

fn caps(port: u16) -> Arc<Capabilities> {
    let mut deps = BTreeMap::new();
    deps.insert(
        "api".to_string(),
        dep("localhost", port, Some(("bearer-token", "api.token")), true),
    );
    deps.insert("other".to_string(), dep("127.0.0.1", port, None, true));
    deps.insert("locked".to_string(), dep("localhost", port, None, false));
    deps.insert(
        "slack".to_string(),
        dep(
            "localhost",
            port,
            Some(("webhook-url", "slack.webhook_url")),
            true,
        ),
    );
    let mut secrets = BTreeMap::new();
    secrets.insert(
        "api".to_string(),
        BTreeMap::from([("token".to_string(), TOKEN.to_string())]),
    );
    secrets.insert(
        "slack".to_string(),
        BTreeMap::from([(
            "webhook_url".to_string(),
            format!("http://localhost:{port}{HOOK_PATH}"),
        )]),
    );
    Arc::new(
        Capabilities::builder("n")
            .dependencies(deps)
            .secrets(SecretValues::new(secrets).unwrap())
            .transport(Arc::new(NetTransport::new().unwrap()))
            .build(),
    )
}

async fn node(source: &str, port: u16) -> NodeOutcome {
    load(source)
        .await
        .invoke(&json!({"port": port}), &caps(port), &Limits::default())
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_injects_auth_and_the_node_never_sees_the_secret() {
    let server = TestServer::start().await;
    let out = node(
        r#"import type { Context } from "tentacular";
        export default async function run(ctx: Context) {
          const api = ctx.dependency("api");
          const r = await api.fetch("/echo-headers");
          return { secret: api.secret, authType: api.authType, status: r.status, echoed: (await r.json()).authorization };
        }"#,
        server.port,
    )
    .await;
    let v = out.result.unwrap();
    assert_eq!(v["secret"], json!("tntc-secret:api.token"));
    assert_eq!(v["authType"], json!("bearer-token"));
    assert_eq!(v["status"], json!(200));
    // The server got the real value; what came back to the node is scrubbed to the placeholder.
    assert_eq!(v["echoed"], json!("Bearer tntc-secret:api.token"));
    assert_eq!(
        server.seen()[0].headers["authorization"],
        format!("Bearer {TOKEN}")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn placeholders_are_swapped_only_for_the_owning_dependency() {
    let server = TestServer::start().await;
    let out = node(
        r#"import type { Context } from "tentacular";
        export default async function run(ctx: Context) {
          const secret = ctx.dependency("api").secret;
          const own = await ctx.dependency("api").fetch("/echo-headers", { headers: { Authorization: `token ${secret}` } });
          const other = await ctx.dependency("other").fetch("/echo-headers", { headers: { "X-Leak": secret } });
          return { own: own.status, other: other.status, legacySecret: ctx.secrets.api.token };
        }"#,
        server.port,
    )
    .await;
    assert_eq!(
        out.result.unwrap(),
        json!({"own": 200, "other": 200, "legacySecret": "tntc-secret:api.token"})
    );
    let seen = server.seen();
    // A node that builds its own header (as nodes written for the original do) keeps working.
    assert_eq!(seen[0].headers["authorization"], format!("token {TOKEN}"));
    // Sent to a dependency that does not own it, the placeholder stays meaningless.
    assert_eq!(seen[1].headers["x-leak"], "tntc-secret:api.token");
    assert!(!seen[1].headers.contains_key("authorization"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_urls_are_secrets_too() {
    let server = TestServer::start().await;
    let out = node(
        r#"import type { Context } from "tentacular";
        export default async function run(ctx: Context) {
          const slack = ctx.dependency("slack");
          const viaGlobal = await fetch(slack.secret as string, { method: "POST", body: JSON.stringify({ text: "hi" }) });
          const viaDep = await slack.fetch("", { method: "POST", body: "{}" });
          return { url: slack.secret, a: viaGlobal.status, b: viaDep.status, seenUrl: viaDep.url };
        }"#,
        server.port,
    )
    .await;
    let v = out.result.unwrap();
    assert_eq!(v["url"], json!("tntc-secret:slack.webhook_url"));
    assert_eq!((v["a"].clone(), v["b"].clone()), (json!(200), json!(200)));
    assert_eq!(
        v["seenUrl"],
        json!("tntc-secret:slack.webhook_url"),
        "the real URL is scrubbed from the response"
    );
    assert!(server.seen().iter().all(|s| s.path == HOOK_PATH));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeclared_and_ungranted_dependencies_are_refused() {
    let server = TestServer::start().await;
    let out = node(
        r#"import type { Context } from "tentacular";
        export default async function run(ctx: Context) {
          const names: string[] = [];
          try { ctx.dependency("nope"); } catch (e) { names.push((e as Error).message); }
          try { await ctx.dependency("locked").fetch("/json"); } catch (e) { names.push(`${(e as Error).name}: ${(e as Error).message}`); }
          try { await ctx.dependency("api").fetch("https://evil.example.com/"); } catch (e) { names.push((e as Error).name); }
          return names;
        }"#,
        server.port,
    )
    .await;
    let v = out.result.unwrap();
    assert!(
        v[0].as_str().unwrap().contains("not declared in contract"),
        "{v}"
    );
    assert!(
        v[1].as_str().unwrap().starts_with("NotPermitted")
            && v[1].as_str().unwrap().contains("nodes.n.uses"),
        "{v}"
    );
    assert_eq!(v[2], json!("NotPermitted"));
    assert!(
        server.seen().is_empty(),
        "nothing may reach the server: {:?}",
        server.seen()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_ctx_fetch_and_global_fetch_resolve_to_granted_dependencies() {
    let server = TestServer::start().await;
    let out = node(
        r#"import type { Context } from "tentacular";
        export default async function run(ctx: Context, input: { port: number }) {
          const legacy = await ctx.fetch("api", `http://localhost:${input.port}/json`);
          const global = await fetch(`http://127.0.0.1:${input.port}/json`);
          return { legacy: await legacy.json(), global: await global.json() };
        }"#,
        server.port,
    )
    .await;
    assert_eq!(
        out.result.unwrap(),
        json!({"legacy": {"hello": "world"}, "global": {"hello": "world"}})
    );
    assert_eq!(out.stats.fetches, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_bodies_are_capped() {
    let server = TestServer::start().await;
    let out = node(
        r#"import type { Context } from "tentacular";
        export default async function run(ctx: Context) { return (await ctx.dependency("other").fetch("/big")).status; }"#,
        server.port,
    )
    .await;
    match out.result {
        Err(NodeError::JsError { name, message, .. }) => {
            assert_eq!(name, "NetworkError");
            assert!(message.contains("limit"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_request_is_cut_at_the_deadline() {
    let server = TestServer::start().await;
    let program = load(
        r#"import type { Context } from "tentacular";
        export default async function run(ctx: Context) { return (await ctx.dependency("other").fetch("/slow")).status; }"#,
    )
    .await;
    let limits = Limits {
        timeout: std::time::Duration::from_millis(300),
        ..Limits::default()
    };
    let started = std::time::Instant::now();
    let out = program
        .invoke(&json!({}), &caps(server.port), &limits)
        .await;
    assert_eq!(out.result, Err(NodeError::Timeout { ms: 300 }));
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_name_that_resolves_to_loopback_is_refused() {
    // Debian's /etc/hosts maps ip6-localhost to ::1: a stand-in for DNS rebinding.
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    if !hosts.lines().any(|l| {
        !l.trim_start().starts_with('#')
            && l.split_whitespace().skip(1).any(|n| n == "ip6-localhost")
    }) {
        assert!(
            std::env::var_os("CI").is_none(),
            "/etc/hosts has no ip6-localhost entry: this DNS-rebinding test cannot run"
        );
        eprintln!("SKIP: /etc/hosts has no ip6-localhost entry");
        return;
    }
    let mut deps = BTreeMap::new();
    deps.insert("rebind".to_string(), dep("ip6-localhost", 9, None, true));
    let caps = Arc::new(
        Capabilities::builder("n")
            .dependencies(deps)
            .transport(Arc::new(NetTransport::new().unwrap()))
            .build(),
    );
    let program = load(
        r#"import type { Context } from "tentacular";
        export default async function run(ctx: Context) { return (await ctx.dependency("rebind").fetch("/")).status; }"#,
    )
    .await;
    let out = program.invoke(&json!({}), &caps, &Limits::default()).await;
    match out.result {
        Err(NodeError::JsError { name, message, .. }) => {
            assert_eq!(name, "NotPermitted", "{message}");
            assert!(message.contains("loopback"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

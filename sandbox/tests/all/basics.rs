//! The node contract: input in, output out, ctx, logs, Web APIs.

use serde_json::json;
use tentacular_sandbox::NodeError;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoes_input_through_a_fresh_instance() {
    let p = load("export default async function run(ctx: any, input: any) { return { got: input, cfg: ctx.config.greeting }; }").await;
    let out = run(&p, json!({"a": 1})).await;
    assert_eq!(out.result.unwrap(), json!({"got": {"a": 1}, "cfg": "hi"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_apis_behave() {
    let p = load(
        r#"export default async function run() {
          const u = new URL("https://api.example.com:8443/a/b/../c?x=1&y=two#h");
          u.searchParams.append("z", "a b");
          const order: number[] = [];
          await new Promise<void>((resolve) => { setTimeout(() => order.push(2), 20); setTimeout(() => order.push(1), 10); setTimeout(resolve, 30); });
          const h = new Headers({ "Content-Type": "text/plain" });
          h.append("x-a", "1"); h.append("X-A", "2");
          const r = new Response(JSON.stringify({ k: [1, 2] }), { status: 201 });
          const bytes = new TextEncoder().encode("héllo");
          return {
            host: u.host, path: u.pathname, search: u.search, x: u.searchParams.get("x"),
            rel: new URL("../d?q", "https://h.example/a/b/c").href,
            qs: new URLSearchParams({ a: "1", b: "x y" }).toString(),
            order, ct: h.get("content-type"), xa: h.get("x-a"),
            ok: r.ok, status: r.status, json: await r.json(),
            len: bytes.length, text: new TextDecoder().decode(bytes),
            b64: btoa("hello"), unb64: atob("aGVsbG8="),
            clone: structuredClone({ d: [1, { e: 2 }], m: new Map([["k", 1]]).size }),
            uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID()),
          };
        }"#,
    )
    .await;
    let v = run(&p, json!({})).await.result.unwrap();
    assert_eq!(v["host"], json!("api.example.com:8443"));
    assert_eq!(v["path"], json!("/a/c"));
    assert_eq!(v["search"], json!("?x=1&y=two&z=a+b"));
    assert_eq!(v["x"], json!("1"));
    assert_eq!(v["rel"], json!("https://h.example/a/d?q"));
    assert_eq!(v["qs"], json!("a=1&b=x+y"));
    assert_eq!(v["order"], json!([1, 2]));
    assert_eq!(
        (v["ct"].clone(), v["xa"].clone()),
        (json!("text/plain"), json!("1, 2"))
    );
    assert_eq!(
        (v["ok"].clone(), v["status"].clone(), v["json"].clone()),
        (json!(true), json!(201), json!({"k": [1, 2]}))
    );
    assert_eq!(
        (v["len"].clone(), v["text"].clone()),
        (json!(6), json!("héllo"))
    );
    assert_eq!(
        (v["b64"].clone(), v["unb64"].clone()),
        (json!("aGVsbG8="), json!("hello"))
    );
    assert_eq!(v["clone"], json!({"d": [1, {"e": 2}], "m": 1}));
    assert_eq!(v["uuid"], json!(true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn randomness_is_fresh_in_every_instance() {
    let p = load("export default async function run() { return { r: Math.random(), u: crypto.randomUUID() }; }").await;
    let a = run(&p, json!({})).await.result.unwrap();
    let b = run(&p, json!({})).await.result.unwrap();
    assert_ne!(a["r"], b["r"], "Math.random must be reseeded per instance");
    assert_ne!(a["u"], b["u"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_captured_per_invocation() {
    let p = load(
        r#"export default async function run(ctx: any) { ctx.log.info("hello", { a: 1 }); ctx.log.warn("careful"); console.log("plain"); return null; }"#,
    )
    .await;
    let out = run(&p, json!({})).await;
    let lines: Vec<(String, String)> = out
        .logs
        .iter()
        .map(|l| (l.level.as_str().to_string(), l.message.clone()))
        .collect();
    assert_eq!(
        lines,
        [
            ("INFO".into(), "hello {\"a\":1}".into()),
            ("WARN".into(), "careful".into()),
            ("INFO".into(), "plain".into())
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_carry_the_typescript_file_and_line() {
    let p = load("type T = { a: number };\n\nexport default async function run(): Promise<T> {\n  throw new TypeError(\"bad input\");\n}\n").await;
    match run(&p, json!({})).await.result {
        Err(NodeError::JsError {
            name,
            message,
            stack,
        }) => {
            assert_eq!(
                (name.as_str(), message.as_str()),
                ("TypeError", "bad input")
            );
            assert!(stack.contains("nodes/n.ts:4"), "{stack}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outputs_must_be_json() {
    for (src, what) in [
        (
            "export default async function run() { return () => 1; }",
            "function",
        ),
        (
            "export default async function run() { return { n: 10n }; }",
            "BigInt",
        ),
        (
            "export default async function run() { const a: any = {}; a.self = a; return a; }",
            "circular",
        ),
    ] {
        let p = load(src).await;
        let out = run(&p, json!({})).await;
        assert!(
            matches!(out.result, Err(NodeError::NotSerializable { .. })),
            "{what}: {:?}",
            out.result
        );
    }
    let p = load("export default async function run() { return new Promise(() => {}); }").await;
    assert_eq!(
        run(&p, json!({})).await.result,
        Err(NodeError::NeverSettled)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_errors_are_clear() {
    use std::path::Path;
    use tentacular_sandbox::LoadError;
    type Check = fn(&LoadError) -> bool;
    let cases: &[(&str, Check)] = &[
        ("export const x = 1;\n", |e| {
            matches!(e, LoadError::NoDefaultExport { .. })
        }),
        (
            "export default 42;\n",
            |e| matches!(e, LoadError::NoDefaultExport { message, .. } if message.contains("default export is a number")),
        ),
        (
            "throw new Error(\"at load\");\nexport default () => 1;\n",
            |e| matches!(e, LoadError::Evaluation { message, .. } if message.contains("at load")),
        ),
        ("export default async function run( {\n", |e| {
            matches!(
                e,
                LoadError::Syntax {
                    line: 2,
                    col: 1,
                    ..
                }
            )
        }),
    ];
    for (src, check) in cases {
        let dir = workflow(&[("nodes/n.ts", src)]);
        let err = sandbox()
            .load(dir.path(), Path::new("nodes/n.ts"))
            .await
            .unwrap_err();
        assert!(check(&err), "{src:?} gave {err}");
        assert!(err.to_string().contains("nodes/n.ts"), "{err}");
    }
    let dir = workflow(&[]);
    let err = sandbox()
        .load(dir.path(), Path::new("nodes/missing.ts"))
        .await
        .unwrap_err();
    assert!(matches!(err, LoadError::Read { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helpers_are_imported_from_the_workflow_directory() {
    use std::path::Path;
    let dir = workflow(&[
        (
            "nodes/n.ts",
            "import { double } from \"./lib/math.ts\";\nexport default async function run(_c: unknown, i: { n: number }) { return double(i.n); }\n",
        ),
        (
            "nodes/lib/math.ts",
            "export function double(n: number): number { return n * 2; }\n",
        ),
    ]);
    let p = sandbox()
        .load(dir.path(), Path::new("nodes/n.ts"))
        .await
        .unwrap();
    assert_eq!(run(&p, json!({"n": 21})).await.result.unwrap(), json!(42));
}

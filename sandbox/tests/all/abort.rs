//! AbortController/AbortSignal, Event/EventTarget/CustomEvent and DOMException, and a fetch
//! that a signal cancels on the host (the request's slot is given back at once).

use std::time::{Duration, Instant};

use serde_json::json;
use tentacular_sandbox::Limits;

use crate::server::TestServer;
use crate::support::{load, loopback_caps, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_and_abort_signals_behave() {
    let p = load(
        r#"export default async function run() {
          const t = new EventTarget();
          const seen: string[] = [];
          const once = () => seen.push("once");
          t.addEventListener("ping", once, { once: true });
          t.addEventListener("ping", (e: any) => seen.push(`${e.type}:${e.detail}:${e.target === t}`));
          t.addEventListener("ping", { handleEvent: () => seen.push("obj") });
          t.dispatchEvent(new CustomEvent("ping", { detail: 1 }));
          t.dispatchEvent(new CustomEvent("ping", { detail: 2 }));
          const c = new Event("c", { cancelable: true });
          t.addEventListener("c", (e: Event) => { e.preventDefault(); e.stopImmediatePropagation(); });
          t.addEventListener("c", () => seen.push("never"));
          const notCanceled = t.dispatchEvent(c);
          const ctl = new AbortController();
          let onabort = 0, listened = 0;
          ctl.signal.onabort = () => onabort++;
          ctl.signal.addEventListener("abort", () => listened++);
          const gone = new AbortController();
          t.addEventListener("x", () => seen.push("removed-by-signal"), { signal: gone.signal });
          gone.abort();
          t.dispatchEvent(new Event("x"));
          const before = ctl.signal.aborted;
          ctl.abort("why");
          ctl.abort("twice");
          let thrown;
          try { ctl.signal.throwIfAborted(); } catch (e) { thrown = e; }
          const plain = new AbortController();
          plain.abort();
          const any = AbortSignal.any([new AbortController().signal, plain.signal]);
          const later = new AbortController();
          const any2 = AbortSignal.any([later.signal]);
          later.abort(7);
          const timed = AbortSignal.timeout(10);
          await new Promise((r) => timed.addEventListener("abort", r));
          let ctorError = "";
          try { new (AbortSignal as any)(); } catch (e: any) { ctorError = e.constructor.name; }
          return {
            seen, notCanceled, defaultPrevented: c.defaultPrevented, before, after: ctl.signal.aborted,
            reason: ctl.signal.reason, onabort, listened, thrown,
            plainReason: [plain.signal.reason.name, plain.signal.reason.code, plain.signal.reason instanceof DOMException, plain.signal.reason instanceof Error],
            any: [any.aborted, any.reason === plain.signal.reason], any2: any2.reason,
            timed: [timed.aborted, timed.reason.name, timed.reason.code],
            abortStatic: AbortSignal.abort().aborted,
            dom: [new DOMException("m", "NotFoundError").code, DOMException.TIMEOUT_ERR, new DOMException("m").name, DOMException.URL_MISMATCH_ERR],
            ctorError,
          };
        }"#,
    )
    .await;
    let v = run(&p, json!({})).await.result.unwrap();
    assert_eq!(
        v,
        json!({
            "seen": ["once", "ping:1:true", "obj", "ping:2:true", "obj"],
            "notCanceled": false, "defaultPrevented": true, "before": false, "after": true,
            "reason": "why", "onabort": 1, "listened": 1, "thrown": "why",
            "plainReason": ["AbortError", 20, true, true],
            "any": [true, true], "any2": 7,
            "timed": [true, "TimeoutError", 23],
            "abortStatic": true,
            "dom": [8, 23, "Error", 21],
            "ctorError": "TypeError",
        })
    );
}

const ABORTING: &str = r#"
export default async function run(ctx, input) {
  const api = ctx.dependency("api");
  const outcome = async (p) => { try { await p; return "resolved"; } catch (e) { return `${e.name}`; } };
  // Two slow requests fill both slots; aborting them must give the slots back on the host.
  const ctl = new AbortController();
  const slow = [api.fetch("/slow", { signal: ctl.signal }), fetch(new Request(`http://localhost:${input.port}/slow`, { signal: ctl.signal }))];
  setTimeout(() => ctl.abort(), 50);
  const aborted = await Promise.all(slow.map(outcome));
  const timedOut = await outcome(api.fetch("/slow", { signal: AbortSignal.timeout(100) }));
  const pre = await outcome(api.fetch("/json", { signal: AbortSignal.abort() }));
  const json = await (await api.fetch("/json", { signal: new AbortController().signal })).json();
  return { aborted, timedOut, pre, json };
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_cancels_the_request_on_the_host() {
    let server = TestServer::start().await;
    let program = load(ABORTING).await;
    let started = Instant::now();
    let out = program
        .invoke(
            &json!({"port": server.port}),
            &loopback_caps("api", server.port, 2),
            &Limits::default(),
        )
        .await;
    assert_eq!(
        out.result.unwrap(),
        json!({
            "aborted": ["AbortError", "AbortError"],
            "timedOut": "TimeoutError",
            "pre": "AbortError",
            "json": {"hello": "world"},
        })
    );
    // `/slow` answers after 30 s: every cancelled request gave its slot back long before.
    assert!(started.elapsed() < Duration::from_secs(10));
}

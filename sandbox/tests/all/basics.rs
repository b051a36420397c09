//! The node contract: input in, output out, ctx, logs, Web APIs.

use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echoes_input_through_a_fresh_instance() {
    let p = load("export default async function run(ctx: any, input: any) { return { got: input, cfg: ctx.config.greeting }; }").await;
    let out = run(&p, json!({"a": 1})).await;
    assert_eq!(out.result.unwrap(), json!({"got": {"a": 1}, "cfg": "hi"}));
}

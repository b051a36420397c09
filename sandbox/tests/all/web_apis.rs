//! The Web platform a node gets beyond fetch basics: URL through the host's WHATWG parser,
//! Headers.getSetCookie, Blob/File/FormData (multipart bodies through a real server),
//! Response/Request members, streams, text and compression streams.

use serde_json::json;
use tentacular_sandbox::{DEFAULT_MAX_IN_FLIGHT, Limits};

use crate::server::TestServer;
use crate::support::{load, loopback_caps, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_follow_the_whatwg_standard() {
    let p = load(
        r#"
        const TOP = new URL("https://example.com/a").href; // a URL at the top level parses at load
        export default async function run() {
          const u = new URL("HTTPS://münchen.example:443/a b/../c?q=ä&r=1#f g");
          const s = new URLSearchParams("a=1&a=2&b=x%20y&c=%E2%82%AC+z");
          s.delete("a", "2");
          const set = new URL("http://h.example/p?x=1");
          set.searchParams.set("y", "a&b");
          set.pathname = "/new path";
          set.port = "8080";
          set.hash = "frag";
          set.protocol = "https";
          let invalid = "";
          try { new URL("no scheme"); } catch (e: any) { invalid = e.constructor.name; }
          return {
            TOP, href: u.href, host: u.host, origin: u.origin, search: u.search, hash: u.hash,
            parse: [URL.parse("nope"), URL.parse("/x", "http://b.example/y/z")?.href], can: [URL.canParse("http://x"), URL.canParse("x")],
            ipv4: new URL("http://0x7f.1/").hostname, ipv6: new URL("http://[0:0::1]:81/").host,
            has: [s.has("a", "1"), s.has("a", "2"), s.has("b")], b: s.get("b"), c: s.get("c"), s: s.toString(),
            set: set.href, invalid, json: JSON.stringify({ u: new URL("http://j.example") }),
            rel: new URL("../d?q", "https://h.example/a/b/c").href, userinfo: new URL("https://us er:p@ss@h.example/").href,
          };
        }
        "#,
    )
    .await;
    let v = run(&p, json!({})).await.result.unwrap();
    assert_eq!(
        v,
        json!({
            "TOP": "https://example.com/a",
            "href": "https://xn--mnchen-3ya.example/c?q=%C3%A4&r=1#f%20g",
            "host": "xn--mnchen-3ya.example", "origin": "https://xn--mnchen-3ya.example",
            "search": "?q=%C3%A4&r=1", "hash": "#f%20g",
            "parse": [null, "http://b.example/x"], "can": [true, false],
            "ipv4": "127.0.0.1", "ipv6": "[::1]:81",
            "has": [true, false, true], "b": "x y", "c": "€ z", "s": "a=1&b=x+y&c=%E2%82%AC+z",
            "set": "https://h.example:8080/new%20path?x=1&y=a%26b#frag",
            "invalid": "TypeError", "json": "{\"u\":\"http://j.example/\"}",
            "rel": "https://h.example/a/d?q", "userinfo": "https://us%20er:p%40ss@h.example/",
        })
    );
}

const BODIES: &str = r#"
export default async function run(ctx, input) {
  const api = ctx.dependency("api");
  const cookies = await api.fetch("/cookies");
  const form = new FormData();
  form.append("name", "value with \"quotes\"");
  form.append("file", new Blob([new Uint8Array([0, 1, 2, 255])], { type: "application/x-bin" }), "data.bin");
  form.append("text", new File(["héllo"], "h.txt", { type: "text/plain" }));
  const echoed = await api.fetch("/echo-body", { method: "POST", body: form });
  const ct = echoed.headers.get("content-type");
  const back = await echoed.formData();
  const file = back.get("file");
  const blob = new Blob(["ab", new Uint8Array([99]), new Blob(["d"])], { type: "Text/Plain" });
  const req = new Request(`http://localhost:${input.port}/echo-body`, { method: "post", body: "payload", headers: { "x-a": "1" } });
  const copy = req.clone();
  const viaRequest = await (await fetch(req)).text();
  const urlencoded = await new Response(new URLSearchParams({ k: "v w" })).formData();
  const png = new Uint8Array(256).map((_, i) => i);
  const binary = new Uint8Array(await (await api.fetch("/echo-body", { method: "PUT", body: png })).arrayBuffer());
  const r = new Response("abc", { headers: { "x-y": "z" } });
  const r2 = r.clone();
  const errs = [];
  for (const f of [() => new Response("x", { status: 204 }), () => new Response(null, { status: 99 }), () => Response.redirect("http://x.example/", 200), () => new Request("http://x.example/", { body: "b" })]) {
    try { f(); errs.push("none"); } catch (e) { errs.push(e.constructor.name); }
  }
  const redirect = Response.redirect("http://x.example/a b", 301);
  const streamed = new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode("st")); c.enqueue(new TextEncoder().encode("ream")); c.close(); } }));
  return {
    setCookie: cookies.headers.getSetCookie(), cookieGet: cookies.headers.get("set-cookie"),
    multipart: ct.startsWith("multipart/form-data; boundary="),
    name: back.get("name"), file: [file.name, file.type, [...new Uint8Array(await file.arrayBuffer())]], text: await back.get("text").text(),
    blob: [blob.size, blob.type, await blob.text(), await blob.slice(1, -1).text()],
    copy: [copy.method, copy.headers.get("x-a"), await copy.text(), copy.bodyUsed, req.bodyUsed], viaRequest,
    urlencoded: urlencoded.get("k"), binary: binary.length === 256 && binary.every((b, i) => b === i),
    bytes: [...(await r.bytes())], clone: await (await r2.blob()).text(), used: r.bodyUsed,
    errs, redirect: [redirect.status, redirect.headers.get("location")], error: [Response.error().type, Response.error().status],
    streamed: await streamed.text(), jsonType: Response.json({ a: 1 }).headers.get("content-type"),
    textType: new Request("http://x.example/", { method: "POST", body: "t" }).headers.get("content-type"),
  };
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_blobs_and_forms_are_byte_exact() {
    let server = TestServer::start().await;
    let p = load(BODIES).await;
    let out = p
        .invoke(
            &json!({"port": server.port}),
            &loopback_caps("api", server.port, DEFAULT_MAX_IN_FLIGHT),
            &Limits::default(),
        )
        .await;
    assert_eq!(
        out.result.unwrap(),
        json!({
            "setCookie": ["a=1; Path=/", "b=2, c=3; Expires=Wed, 21 Oct 2015 07:28:00 GMT"],
            "cookieGet": "a=1; Path=/, b=2, c=3; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
            "multipart": true,
            "name": "value with \"quotes\"", "file": ["data.bin", "application/x-bin", [0, 1, 2, 255]], "text": "héllo",
            "blob": [4, "text/plain", "abcd", "bc"],
            "copy": ["POST", "1", "payload", true, true], "viaRequest": "payload",
            "urlencoded": "v w", "binary": true,
            "bytes": [97, 98, 99], "clone": "abc", "used": true,
            "errs": ["TypeError", "RangeError", "RangeError", "TypeError"],
            "redirect": [301, "http://x.example/a%20b"], "error": ["error", 0],
            "streamed": "stream", "jsonType": "application/json",
            "textType": "text/plain;charset=UTF-8",
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_pipe_transform_and_compress() {
    let p = load(
        r#"export default async function run() {
          const chunks: string[] = [];
          const upper = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.toUpperCase()); }, flush(c) { c.enqueue("!"); } });
          let n = 0;
          const source = new ReadableStream({ pull(c) { if (n < 3) c.enqueue(`c${n++}`); else c.close(); } });
          await source.pipeThrough(upper).pipeTo(new WritableStream({ write(chunk) { chunks.push(chunk); } }));
          const body = new Response("héllo wörld").body!;
          const reader = body.getReader();
          const parts: number[] = [];
          for (;;) { const { value, done } = await reader.read(); if (done) break; parts.push(value.length); }
          const decoded: string[] = [];
          const bytes = new TextEncoder().encode("€uro");
          const split = ReadableStream.from([bytes.slice(0, 2), bytes.slice(2)]);
          for await (const s of split.pipeThrough(new TextDecoderStream())) decoded.push(s);
          const text = "compress me ".repeat(200);
          const gz = await new Response(new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer();
          const gzBytes = new Uint8Array(gz);
          const back = await new Response(new Response(gz).body!.pipeThrough(new DecompressionStream("gzip"))).text();
          const deflated = await new Response(ReadableStream.from([new TextEncoder().encode("abc")]).pipeThrough(new CompressionStream("deflate"))).arrayBuffer();
          const inflated = await new Response(new Response(deflated).body!.pipeThrough(new DecompressionStream("deflate"))).text();
          const encoded = await new Response(ReadableStream.from(["a", "é"]).pipeThrough(new TextEncoderStream())).bytes();
          const [t1, t2] = ReadableStream.from(["x", "y"]).tee();
          const all = async (s: ReadableStream) => { const o: string[] = []; for await (const v of s) o.push(v); return o.join(""); };
          let corrupt = "";
          try { await new Response(new Response("not gzip").body!.pipeThrough(new DecompressionStream("gzip"))).text(); } catch (e: any) { corrupt = e.constructor.name; }
          const w = new WritableStream({}, new CountQueuingStrategy({ highWaterMark: 2 }));
          return {
            chunks, parts, decoded, gz: [gzBytes[0], gzBytes[1], gz.byteLength < text.length / 10], back: back === text, inflated,
            encoded: [...encoded], tee: [await all(t1), await all(t2)], corrupt, desired: w.getWriter().desiredSize,
            locked: [body.locked, new ReadableStream().locked],
          };
        }"#,
    )
    .await;
    let v = run(&p, json!({})).await.result.unwrap();
    assert_eq!(
        v,
        json!({
            "chunks": ["C0", "C1", "C2", "!"], "parts": [13], "decoded": ["€uro"],
            "gz": [31, 139, true], "back": true, "inflated": "abc",
            "encoded": [97, 195, 169], "tee": ["xy", "xy"], "corrupt": "TypeError", "desired": 2,
            "locked": [true, false],
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn common_globals_and_locale_formatting_are_right_or_refused() {
    let p = load(
        r#"export default async function run(ctx) {
          const order: string[] = [];
          queueMicrotask(() => order.push("micro"));
          await null;
          reportError(new Error("reported"));
          console.table([{ a: 1, b: "x" }, { a: 2 }]);
          console.assert(1 === 2, "math");
          console.count(); console.count();
          console.group("g"); console.log("inside"); console.groupEnd();
          console.time("t"); console.timeEnd("t");
          console.dir({ d: 1 });
          const refused: string[] = [];
          for (const f of [() => (1).toLocaleString("de-DE"), () => new Date(0).toLocaleDateString("en-US", { month: "long" }),
            () => new Intl.PluralRules("en-US"), () => (5).toLocaleString(undefined, { notation: "compact" })]) {
            try { f(); refused.push("none"); } catch (e: any) { refused.push(e.name); }
          }
          const d = new Date(Date.UTC(2026, 0, 5, 13, 4, 9));
          return {
            order, ua: navigator.userAgent.startsWith("Tentacular/"),
            weak: [typeof WeakRef, typeof FinalizationRegistry, new WeakRef(order).deref() === order],
            numbers: [(1234567.891).toLocaleString(), (1.005).toLocaleString("en-US", { maximumFractionDigits: 2 }), (0.256).toLocaleString("en-US", { style: "percent" }),
              (1234.5).toLocaleString("en-US", { style: "currency", currency: "USD" }), (-0).toLocaleString(), (12).toLocaleString("en", { minimumFractionDigits: 2 }),
              new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 }).format(2.5), (123456789n).toLocaleString(), (1e21).toLocaleString()],
            dates: [d.toLocaleString(), d.toLocaleDateString(), d.toLocaleTimeString("en-US", { timeZone: "UTC" }), new Intl.DateTimeFormat().format(d)],
            sorted: ["b", "a", "B", "é", "e", "_x", "10", "9", "A"].sort((x, y) => x.localeCompare(y)),
            numeric: ["item10", "item9", "item1"].sort(new Intl.Collator("en-US", { numeric: true }).compare),
            base: "a".localeCompare("A", "en", { sensitivity: "base" }),
            refused,
          };
        }"#,
    )
    .await;
    let out = run(&p, json!({})).await;
    let v = out.result.unwrap();
    assert_eq!(
        v,
        json!({
            "order": ["micro"], "ua": true, "weak": ["function", "function", true],
            "numbers": ["1,234,567.891", "1.01", "26%", "$1,234.50", "-0", "12.00", "3", "123,456,789", "1,000,000,000,000,000,000,000"],
            "dates": ["1/5/2026, 1:04:09\u{202f}PM", "1/5/2026", "1:04:09\u{202f}PM", "1/5/2026"],
            "sorted": ["_x", "10", "9", "a", "A", "b", "B", "e", "é"],
            "numeric": ["item1", "item9", "item10"],
            "base": 0,
            "refused": ["NotSupportedError", "NotSupportedError", "NotSupportedError", "NotSupportedError"],
        })
    );
    let logs: Vec<String> = out.logs.iter().map(|l| l.message.clone()).collect();
    let all = logs.join("\n");
    for want in [
        "Uncaught Error: reported",
        "│ (index) │ a │ b │",
        "Assertion failed: math",
        "default: 1",
        "default: 2",
        "  inside",
        "t: ",
        "{\"d\":1}",
    ] {
        assert!(all.contains(want), "{want:?} not in logs:\n{all}");
    }
}

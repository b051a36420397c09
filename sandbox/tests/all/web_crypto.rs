//! crypto.subtle on the host: digests, HMAC keys (raw and JWK), sign/verify, and keys that do
//! not leave unless extractable.

use serde_json::json;

use crate::support::{load, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subtle_digests_and_hmac_match_known_vectors() {
    let p = load(
        r#"
        const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
        const enc = new TextEncoder();
        // A digest at the module's top level runs while the snapshot is built.
        const TOP = hex(await crypto.subtle.digest("SHA-256", enc.encode("abc")));
        export default async function run() {
          const d: Record<string, string> = {};
          for (const alg of ["SHA-1", "SHA-256", "SHA-384", "SHA-512"]) d[alg] = hex(await crypto.subtle.digest({ name: alg }, enc.encode("abc")));
          const key = await crypto.subtle.importKey("raw", enc.encode("Jefe"), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
          const msg = enc.encode("what do ya want for nothing?");
          const sig = await crypto.subtle.sign("HMAC", key, msg);
          const ok = await crypto.subtle.verify("HMAC", key, sig, msg);
          const bad = await crypto.subtle.verify({ name: "HMAC" }, key, new Uint8Array(32), msg);
          // RFC 7515 A.1: the JWS HS256 example key and signing input.
          const jwk = { kty: "oct", k: "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow", alg: "HS256" };
          const jwsKey = await crypto.subtle.importKey("jwk", jwk, { name: "HMAC", hash: { name: "SHA-256" } }, true, ["sign"]);
          const input = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
          const jws = new Uint8Array(await crypto.subtle.sign("HMAC", jwsKey, enc.encode(input)));
          const b64url = btoa(String.fromCharCode(...jws)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
          const exported = await crypto.subtle.exportKey("jwk", jwsKey);
          const errors: string[] = [];
          const name = async (p: Promise<unknown>) => { try { await p; errors.push("none"); } catch (e: any) { errors.push(e.name); } };
          await name(crypto.subtle.exportKey("raw", key));
          await name(crypto.subtle.digest("MD5", enc.encode("")));
          await name(crypto.subtle.sign("HMAC", jwsKey, enc.encode("")).then(() => crypto.subtle.verify("HMAC", jwsKey, new Uint8Array(1), enc.encode(""))));
          await name(crypto.subtle.encrypt({ name: "AES-GCM" }, key, msg));
          await name(crypto.subtle.importKey("raw", new Uint8Array(4), { name: "HMAC", hash: "SHA-256" }, false, []));
          const gen = await crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-512" }, true, ["sign"]);
          return {
            TOP, d, sig: hex(sig), ok, bad, jws: b64url, exported: exported.k === jwk.k && exported.alg === "HS256",
            key: [key.type, key.extractable, key.algorithm.name, key.algorithm.hash.name, key.algorithm.length, key.usages, String(key), Object.keys(key).length],
            gen: [(await crypto.subtle.exportKey("raw", gen)).byteLength, gen.algorithm.length],
            errors, tag: Object.prototype.toString.call(crypto.subtle), rnd: crypto.getRandomValues(new Uint32Array(4)).length,
          };
        }
        "#,
    )
    .await;
    let v = run(&p, json!({})).await.result.unwrap();
    assert_eq!(
        v,
        json!({
            "TOP": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "d": {
                "SHA-1": "a9993e364706816aba3e25717850c26c9cd0d89d",
                "SHA-256": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                "SHA-384": "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
                "SHA-512": "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            },
            "sig": "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            "ok": true, "bad": false,
            "jws": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "exported": true,
            "key": ["secret", false, "HMAC", "SHA-256", 32, ["sign", "verify"], "[object CryptoKey]", 0],
            "gen": [128, 1024],
            "errors": ["InvalidAccessError", "NotSupportedError", "InvalidAccessError", "NotSupportedError", "SyntaxError"],
            "tag": "[object SubtleCrypto]",
            "rnd": 4,
        })
    );
}

import { check, eq } from "./check.ts";
const hex = (b: ArrayBuffer) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, "0")).join("");
export default () => check(async () => {
  const enc = new TextEncoder();
  eq(hex(await crypto.subtle.digest("SHA-1", enc.encode("abc"))), "a9993e364706816aba3e25717850c26c9cd0d89d", "sha1");
  eq(hex(await crypto.subtle.digest("SHA-512", enc.encode(""))).slice(0, 16), "cf83e1357eefb8bd", "sha512");
  const key = await crypto.subtle.importKey("raw", enc.encode("key"), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
  const sig = await crypto.subtle.sign("HMAC", key, enc.encode("The quick brown fox jumps over the lazy dog"));
  eq(hex(sig), "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8", "hmac");
  eq(await crypto.subtle.verify("HMAC", key, sig, enc.encode("The quick brown fox jumps over the lazy dog")), true, "verify");
  eq(crypto.randomUUID().length, 36, "uuid");
  eq(crypto.getRandomValues(new Uint8Array(8)).length, 8, "random");
});

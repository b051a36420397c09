// crypto.getRandomValues / randomUUID from the host's CSPRNG (WASI random_get; the snapshot
// holds no random state, so every instance draws fresh values), and crypto.subtle: digest,
// HMAC importKey/exportKey/generateKey/sign/verify, computed on the host (RustCrypto). A
// CryptoKey's bytes stay private to this prelude and leave only through exportKey of an
// extractable key.
const __keyBytes = new WeakMap();
const __HASHES = { "SHA-1": 64, "SHA-256": 64, "SHA-384": 128, "SHA-512": 128 }; // → HMAC block size
const __cryptoKeyToken = Symbol("CryptoKey");
class CryptoKey {
  #type; #extractable; #algorithm; #usages;
  constructor(token, type, extractable, algorithm, usages) {
    if (token !== __cryptoKeyToken) throw new TypeError("Illegal constructor: use crypto.subtle.importKey or generateKey");
    this.#type = type; this.#extractable = extractable; this.#algorithm = algorithm; this.#usages = usages;
  }
  get type() { return this.#type; }
  get extractable() { return this.#extractable; }
  get algorithm() { return { ...this.#algorithm, hash: { ...this.#algorithm.hash } }; }
  get usages() { return [...this.#usages]; }
  get [Symbol.toStringTag]() { return "CryptoKey"; }
}
function __algName(alg) {
  const name = typeof alg === "string" ? alg : alg && alg.name;
  if (typeof name !== "string") throw new TypeError("crypto.subtle: the algorithm needs a name");
  return name;
}
function __hashName(alg, op) {
  const name = __algName(alg).toUpperCase();
  if (!(name in __HASHES)) throw new DOMException(`${op}: the hash "${__algName(alg)}" is not supported (SHA-1, SHA-256, SHA-384, SHA-512)`, "NotSupportedError");
  return name;
}
function __hmacOnly(alg, op) {
  const name = __algName(alg);
  if (name.toUpperCase() !== "HMAC") {
    throw new DOMException(`crypto.subtle.${op}: the algorithm "${name}" is not supported in this sandbox (HMAC is; AES, RSA, ECDSA and Ed25519 are not yet)`, "NotSupportedError");
  }
}
function __usages(usages, op) {
  const list = [...usages].map(String);
  for (const u of list) if (u !== "sign" && u !== "verify") throw new DOMException(`${op}: an HMAC key cannot be used to "${u}"`, "SyntaxError");
  if (list.length === 0) throw new DOMException(`${op}: a secret key needs at least one usage`, "SyntaxError");
  return list;
}
function __b64url(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function __unb64url(text) {
  const s = atob(String(text).replace(/-/g, "+").replace(/_/g, "/"));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
function __newHmacKey(bytes, hash, extractable, usages, length) {
  const len = length === undefined ? bytes.length * 8 : Number(length);
  if (bytes.length === 0 || len > bytes.length * 8 || len <= (bytes.length - 1) * 8) {
    throw new DOMException("importKey: the HMAC key length does not match its data", "DataError");
  }
  const key = new CryptoKey(__cryptoKeyToken, "secret", !!extractable, { name: "HMAC", hash: { name: hash }, length: len }, usages);
  __keyBytes.set(key, bytes);
  return key;
}
function __hmacKey(key, usage, op) {
  if (!(key instanceof CryptoKey) || !__keyBytes.has(key)) throw new TypeError(`crypto.subtle.${op}: expected a CryptoKey`);
  if (key.algorithm.name !== "HMAC") throw new DOMException(`crypto.subtle.${op}: the key is not an HMAC key`, "InvalidAccessError");
  if (!key.usages.includes(usage)) throw new DOMException(`crypto.subtle.${op}: the key's usages do not include "${usage}"`, "InvalidAccessError");
  return __keyBytes.get(key);
}
const __JWK_ALGS = { HS1: "SHA-1", HS256: "SHA-256", HS384: "SHA-384", HS512: "SHA-512" };
// Each method is a promise, as in Web Crypto; errors reject.
const __subtle = (fn) => function (...a) { try { return __Promise.resolve(fn(...a)); } catch (e) { return __Promise.reject(e); } };
const __subtleApi = {
  digest: __subtle((alg, data) => {
    const out = __callService(__SERVICE.crypto, { op: "digest", alg: __hashName(alg, "digest") }, [__u8(data, "digest").slice()]);
    return out.buffer;
  }),
  importKey: __subtle((format, keyData, alg, extractable, usages) => {
    __hmacOnly(alg, "importKey");
    if (alg.hash === undefined) throw new TypeError("importKey: HMAC needs a hash");
    const hash = __hashName(alg.hash, "importKey");
    const list = __usages(usages, "importKey");
    let bytes;
    if (format === "raw") {
      bytes = __u8(keyData, "importKey").slice();
    } else if (format === "jwk") {
      if (!keyData || keyData.kty !== "oct" || typeof keyData.k !== "string") throw new DOMException("importKey: an HMAC JWK needs kty \"oct\" and k", "DataError");
      if (keyData.alg !== undefined && __JWK_ALGS[keyData.alg] !== hash) throw new DOMException(`importKey: the JWK's alg "${keyData.alg}" does not match the hash ${hash}`, "DataError");
      if (keyData.ext === false && extractable) throw new DOMException("importKey: the JWK is not extractable", "DataError");
      bytes = __unb64url(keyData.k);
    } else {
      throw new DOMException(`importKey: the format "${format}" is not supported for HMAC (raw, jwk)`, "NotSupportedError");
    }
    return __newHmacKey(bytes, hash, extractable, list, alg.length);
  }),
  generateKey: __subtle((alg, extractable, usages) => {
    __hmacOnly(alg, "generateKey");
    const hash = __hashName(alg.hash, "generateKey");
    const bits = alg.length === undefined ? __HASHES[hash] * 8 : Number(alg.length);
    const bytes = __crypto.getRandomValues(new Uint8Array(Math.ceil(bits / 8)));
    return __newHmacKey(bytes, hash, extractable, __usages(usages, "generateKey"), bits);
  }),
  exportKey: __subtle((format, key) => {
    if (!(key instanceof CryptoKey) || !__keyBytes.has(key)) throw new TypeError("exportKey: expected a CryptoKey");
    if (!key.extractable) throw new DOMException("exportKey: the key is not extractable", "InvalidAccessError");
    const bytes = __keyBytes.get(key);
    if (format === "raw") return bytes.slice().buffer;
    if (format === "jwk") {
      const alg = "HS" + key.algorithm.hash.name.slice(4);
      return { kty: "oct", k: __b64url(bytes), alg, key_ops: key.usages, ext: true };
    }
    throw new DOMException(`exportKey: the format "${format}" is not supported for HMAC (raw, jwk)`, "NotSupportedError");
  }),
  sign: __subtle((alg, key, data) => {
    __hmacOnly(alg, "sign");
    const k = __hmacKey(key, "sign", "sign");
    return __callService(__SERVICE.crypto, { op: "sign", hash: key.algorithm.hash.name, keyLen: k.length }, [k, __u8(data, "sign")]).buffer;
  }),
  verify: __subtle((alg, key, signature, data) => {
    __hmacOnly(alg, "verify");
    const k = __hmacKey(key, "verify", "verify");
    const sig = __u8(signature, "verify");
    const out = __callService(__SERVICE.crypto, { op: "verify", hash: key.algorithm.hash.name, keyLen: k.length, sigLen: sig.length }, [k, sig, __u8(data, "verify")]);
    return out[0] === 1;
  }),
};
for (const op of ["encrypt", "decrypt", "deriveBits", "deriveKey", "wrapKey", "unwrapKey"]) {
  __subtleApi[op] = __subtle(() => {
    throw new DOMException(`crypto.subtle.${op} is not supported in this sandbox yet (digest and HMAC sign/verify are)`, "NotSupportedError");
  });
}
class SubtleCrypto { get [Symbol.toStringTag]() { return "SubtleCrypto"; } }
Object.setPrototypeOf(__subtleApi, SubtleCrypto.prototype);
class Crypto { get [Symbol.toStringTag]() { return "Crypto"; } }
const __crypto = {
  getRandomValues(array) {
    if (!ArrayBuffer.isView(array) || array instanceof DataView || array instanceof Float32Array || array instanceof Float64Array) {
      throw new DOMException("crypto.getRandomValues: expected an integer typed array", "TypeMismatchError");
    }
    if (array.byteLength > 65536) throw new DOMException("crypto.getRandomValues: at most 65536 bytes", "QuotaExceededError");
    const bytes = __native.randomBytes(array.byteLength);
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(bytes);
    return array;
  },
  randomUUID() {
    const b = __crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  },
  subtle: __subtleApi,
};
Object.setPrototypeOf(__crypto, Crypto.prototype);
globalThis.crypto = __crypto;
globalThis.Crypto = Crypto;
globalThis.CryptoKey = CryptoKey;
globalThis.SubtleCrypto = SubtleCrypto;

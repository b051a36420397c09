// Headers: case-insensitive, sorted on iteration, values combined with ", " as the Fetch
// standard says — except `set-cookie`, whose values stay apart (`getSetCookie`).
const __TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
function __headerName(k) {
  k = String(k);
  if (!__TOKEN.test(k)) throw new TypeError(`Headers: "${k}" is not a valid header name`);
  return k.toLowerCase();
}
function __headerValue(v) {
  v = String(v).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
  if (/[\0\r\n]/.test(v)) throw new TypeError("Headers: a header value may not contain NUL, CR or LF");
  return v;
}
class Headers {
  #list = []; // [lowercased name, value], in insertion order
  constructor(init) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) { this.#list = init.#list.map(([k, v]) => [k, v]); return; }
    if (typeof init !== "object") throw new TypeError("Headers: init must be an object, an iterable of pairs or a Headers");
    if (typeof init[Symbol.iterator] === "function") {
      for (const pair of init) {
        const p = [...pair];
        if (p.length !== 2) throw new TypeError("Headers: each header pair must have exactly a name and a value");
        this.append(p[0], p[1]);
      }
    } else {
      for (const k of Object.keys(init)) this.append(k, init[k]);
    }
  }
  append(k, v) { this.#list.push([__headerName(k), __headerValue(v)]); }
  set(k, v) {
    k = __headerName(k); v = __headerValue(v);
    const i = this.#list.findIndex(([n]) => n === k);
    if (i < 0) { this.#list.push([k, v]); return; }
    this.#list[i] = [k, v];
    this.#list = this.#list.filter(([n], j) => n !== k || j <= i);
  }
  get(k) {
    k = __headerName(k);
    const vs = this.#list.filter(([n]) => n === k).map(([, v]) => v);
    return vs.length === 0 ? null : vs.join(", ");
  }
  getSetCookie() { return this.#list.filter(([n]) => n === "set-cookie").map(([, v]) => v); }
  has(k) { k = __headerName(k); return this.#list.some(([n]) => n === k); }
  delete(k) { k = __headerName(k); this.#list = this.#list.filter(([n]) => n !== k); }
  forEach(fn, thisArg) { for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this); }
  entries() {
    const names = [...new Set(this.#list.map(([n]) => n))].sort();
    const out = [];
    for (const n of names) {
      if (n === "set-cookie") for (const v of this.getSetCookie()) out.push([n, v]);
      else out.push([n, this.get(n)]);
    }
    return out[Symbol.iterator]();
  }
  keys() { return [...this.entries()].map(([k]) => k)[Symbol.iterator](); }
  values() { return [...this.entries()].map(([, v]) => v)[Symbol.iterator](); }
  [Symbol.iterator]() { return this.entries(); }
  get [Symbol.toStringTag]() { return "Headers"; }
}
globalThis.Headers = Headers;

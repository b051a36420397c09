// URL through the host's WHATWG parser (the `url` crate: percent-encoding, IDNA, IPv4/IPv6
// hosts, setters exactly as browsers), and URLSearchParams (application/x-www-form-urlencoded)
// here in JS.
function __encodeQuery(s) {
  return encodeURIComponent(s).replace(/%20/g, "+").replace(/[!'()~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}
function __decodeQuery(s) {
  s = s.replace(/\+/g, " ");
  if (!s.includes("%")) return s;
  // Percent-decode to bytes, then UTF-8 with replacement characters (never throws).
  const bytes = [];
  const raw = __native.utf8Encode(s);
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === 0x25 && i + 2 < raw.length && /^[0-9A-Fa-f]{2}$/.test(String.fromCharCode(raw[i + 1], raw[i + 2]))) {
      bytes.push(parseInt(String.fromCharCode(raw[i + 1], raw[i + 2]), 16));
      i += 2;
    } else bytes.push(c);
  }
  return __native.utf8Decode(new Uint8Array(bytes), false, true);
}
class URLSearchParams {
  #list = [];
  #url = null;
  constructor(init = "") {
    if (typeof init === "string") {
      this.#parse(init);
    } else if (init instanceof URLSearchParams) {
      this.#list = init.#list.map(([k, v]) => [k, v]);
    } else if (Array.isArray(init) || (init && typeof init[Symbol.iterator] === "function")) {
      for (const pair of init) {
        const [k, v] = [...pair];
        this.#list.push([String(k), String(v)]);
      }
    } else if (init && typeof init === "object") {
      for (const k of Object.keys(init)) this.#list.push([k, String(init[k])]);
    }
  }
  #parse(s) {
    this.#list = [];
    s = String(s);
    if (s.startsWith("?")) s = s.slice(1);
    for (const part of s.split("&")) {
      if (part === "") continue;
      const i = part.indexOf("=");
      const k = i < 0 ? part : part.slice(0, i);
      const v = i < 0 ? "" : part.slice(i + 1);
      this.#list.push([__decodeQuery(k), __decodeQuery(v)]);
    }
  }
  static _attach(params, url) { params.#url = url; }
  static _reparse(params, s) { params.#parse(s); }
  #update() { if (this.#url) this.#url._setSearchFromParams(this.toString()); }
  append(k, v) { this.#list.push([String(k), String(v)]); this.#update(); }
  delete(k, v) {
    k = String(k);
    const drop = v === undefined ? ([n]) => n === k : ([n, x]) => n === k && x === String(v);
    this.#list = this.#list.filter((e) => !drop(e));
    this.#update();
  }
  get(k) { const e = this.#list.find(([n]) => n === String(k)); return e ? e[1] : null; }
  getAll(k) { return this.#list.filter(([n]) => n === String(k)).map(([, v]) => v); }
  has(k, v) {
    k = String(k);
    return v === undefined ? this.#list.some(([n]) => n === k) : this.#list.some(([n, x]) => n === k && x === String(v));
  }
  set(k, v) {
    k = String(k); v = String(v);
    const i = this.#list.findIndex(([n]) => n === k);
    if (i < 0) this.#list.push([k, v]);
    else this.#list = this.#list.filter(([n], j) => n !== k || j === i).map((e, j) => (e[0] === k ? [k, v] : e));
    this.#update();
  }
  // Stable, by UTF-16 code units, as the standard says.
  sort() { this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); this.#update(); }
  forEach(fn, thisArg) { for (const [k, v] of this.#list) fn.call(thisArg, v, k, this); }
  keys() { return this.#list.map(([k]) => k)[Symbol.iterator](); }
  values() { return this.#list.map(([, v]) => v)[Symbol.iterator](); }
  entries() { return this.#list.map(([k, v]) => [k, v])[Symbol.iterator](); }
  [Symbol.iterator]() { return this.entries(); }
  get size() { return this.#list.length; }
  get [Symbol.toStringTag]() { return "URLSearchParams"; }
  toString() { return this.#list.map(([k, v]) => __encodeQuery(k) + "=" + __encodeQuery(v)).join("&"); }
}
const __URL_PARTS = ["href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"];
class URL {
  #c; #params;
  constructor(input, base) {
    const header = { op: "parse", input: String(input) };
    if (base !== undefined) header.base = String(base);
    this.#c = __JSON.parse(__native.utf8Decode(__callService(__SERVICE.url, header), false, true));
    this.#params = new URLSearchParams(this.#c.search);
    URLSearchParams._attach(this.#params, this);
  }
  static parse(input, base) { try { return new URL(input, base); } catch (_) { return null; } }
  static canParse(input, base) { return URL.parse(input, base) !== null; }
  #set(part, value) {
    const c = __JSON.parse(__native.utf8Decode(__callService(__SERVICE.url, { op: "set", href: this.#c.href, part, value: String(value) }), false, true));
    this.#c = c;
    if (part === "search" || part === "href") URLSearchParams._reparse(this.#params, c.search);
  }
  _setSearchFromParams(s) { this.#set("search", s); }
  get searchParams() { return this.#params; }
  get [Symbol.toStringTag]() { return "URL"; }
  toString() { return this.#c.href; }
  toJSON() { return this.#c.href; }
  static _get(u, part) { return u.#c[part]; }
  static _put(u, part, v) { u.#set(part, v); }
}
for (const part of __URL_PARTS) {
  const d = { get() { return URL._get(this, part); }, enumerable: true, configurable: true };
  if (part !== "origin") d.set = function (v) { URL._put(this, part, v); };
  Object.defineProperty(URL.prototype, part, d);
}
globalThis.URL = URL;
globalThis.URLSearchParams = URLSearchParams;

// URL and URLSearchParams: the parts nodes use (absolute http(s) URLs, relative resolution,
// query manipulation). Not a full WHATWG parser.
const __DEFAULT_PORTS = { "http:": "80", "https:": "443", "ws:": "80", "wss:": "443" };
function __encodeQuery(s) {
  return encodeURIComponent(s).replace(/%20/g, "+").replace(/[!'()~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}
function __decodeQuery(s) {
  try { return decodeURIComponent(s.replace(/\+/g, " ")); } catch (_) { return s; }
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
  delete(k) { this.#list = this.#list.filter(([n]) => n !== String(k)); this.#update(); }
  get(k) { const e = this.#list.find(([n]) => n === String(k)); return e ? e[1] : null; }
  getAll(k) { return this.#list.filter(([n]) => n === String(k)).map(([, v]) => v); }
  has(k) { return this.#list.some(([n]) => n === String(k)); }
  set(k, v) {
    k = String(k); v = String(v);
    const i = this.#list.findIndex(([n]) => n === k);
    if (i < 0) this.#list.push([k, v]);
    else this.#list = this.#list.filter(([n], j) => n !== k || j === i).map((e, j) => (e[0] === k ? [k, v] : e));
    this.#update();
  }
  sort() { this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); this.#update(); }
  forEach(fn, thisArg) { for (const [k, v] of this.#list) fn.call(thisArg, v, k, this); }
  keys() { return this.#list.map(([k]) => k)[Symbol.iterator](); }
  values() { return this.#list.map(([, v]) => v)[Symbol.iterator](); }
  entries() { return this.#list.map(([k, v]) => [k, v])[Symbol.iterator](); }
  [Symbol.iterator]() { return this.entries(); }
  get size() { return this.#list.length; }
  toString() { return this.#list.map(([k, v]) => __encodeQuery(k) + "=" + __encodeQuery(v)).join("&"); }
}
const __URL_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*:)(?:\/\/(?:([^:@\/?#]*)(?::([^@\/?#]*))?@)?(\[[^\]]*\]|[^:\/?#]*)(?::(\d*))?)?([^?#]*)(\?[^#]*)?(#.*)?$/;
function __normalizePath(path) {
  const out = [];
  for (const seg of path.split("/")) {
    if (seg === "..") { if (out.length > 1) out.pop(); }
    else if (seg !== ".") out.push(seg);
  }
  let p = out.join("/");
  if (!p.startsWith("/")) p = "/" + p;
  if ((path.endsWith("/.") || path.endsWith("/..")) && !p.endsWith("/")) p += "/";
  return p;
}
class URL {
  #protocol; #username; #password; #hostname; #port; #pathname; #search; #hash; #params;
  constructor(input, base) {
    input = String(input).trim();
    let m = __URL_RE.exec(input);
    if (!m || (m[4] === undefined && base !== undefined && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(input))) {
      if (base === undefined) throw new TypeError(`Invalid URL: ${input}`);
      const b = base instanceof URL ? base : new URL(base);
      let resolved;
      if (input.startsWith("//")) resolved = b.protocol + input;
      else if (input.startsWith("/")) resolved = b.origin + input;
      else if (input.startsWith("?")) resolved = b.origin + b.pathname + input;
      else if (input.startsWith("#")) resolved = b.origin + b.pathname + b.search + input;
      else if (input === "") resolved = b.origin + b.pathname + b.search;
      else resolved = b.origin + b.pathname.replace(/[^/]*$/, "") + input;
      m = __URL_RE.exec(resolved);
      if (!m) throw new TypeError(`Invalid URL: ${input}`);
    }
    this.#protocol = m[1].toLowerCase();
    this.#username = m[2] || "";
    this.#password = m[3] || "";
    this.#hostname = (m[4] || "").toLowerCase();
    this.#port = m[5] && m[5] !== __DEFAULT_PORTS[this.#protocol] ? m[5] : "";
    const special = this.#protocol in __DEFAULT_PORTS;
    if (special && this.#hostname === "") throw new TypeError(`Invalid URL: ${input}`);
    this.#pathname = special ? __normalizePath(m[6] || "/") : (m[6] || "");
    this.#search = m[7] && m[7] !== "?" ? m[7] : "";
    this.#hash = m[8] && m[8] !== "#" ? m[8] : "";
    this.#params = new URLSearchParams(this.#search);
    URLSearchParams._attach(this.#params, this);
  }
  static canParse(u, b) { try { new URL(u, b); return true; } catch (_) { return false; } }
  _setSearchFromParams(s) { this.#search = s ? "?" + s : ""; }
  get protocol() { return this.#protocol; }
  set protocol(v) { v = String(v); this.#protocol = (v.endsWith(":") ? v : v + ":").toLowerCase(); }
  get username() { return this.#username; }
  set username(v) { this.#username = String(v); }
  get password() { return this.#password; }
  set password(v) { this.#password = String(v); }
  get hostname() { return this.#hostname; }
  set hostname(v) { this.#hostname = String(v).toLowerCase(); }
  get port() { return this.#port; }
  set port(v) { v = String(v); this.#port = v === __DEFAULT_PORTS[this.#protocol] ? "" : v; }
  get host() { return this.#hostname + (this.#port ? ":" + this.#port : ""); }
  set host(v) { const [h, p] = String(v).split(":"); this.hostname = h; this.port = p || ""; }
  get origin() { return this.#protocol + "//" + this.host; }
  get pathname() { return this.#pathname; }
  set pathname(v) { v = String(v); this.#pathname = __normalizePath(v.startsWith("/") ? v : "/" + v); }
  get search() { return this.#search; }
  set search(v) { v = String(v); this.#search = v && v !== "?" ? (v.startsWith("?") ? v : "?" + v) : ""; URLSearchParams._reparse(this.#params, this.#search); }
  get searchParams() { return this.#params; }
  get hash() { return this.#hash; }
  set hash(v) { v = String(v); this.#hash = v && v !== "#" ? (v.startsWith("#") ? v : "#" + v) : ""; }
  get href() {
    const auth = this.#username || this.#password ? this.#username + (this.#password ? ":" + this.#password : "") + "@" : "";
    const authority = this.#hostname !== "" || this.#protocol in __DEFAULT_PORTS ? "//" + auth + this.host : "";
    return this.#protocol + authority + this.#pathname + this.#search + this.#hash;
  }
  set href(v) { const u = new URL(v); this.#protocol = u.protocol; this.#username = u.username; this.#password = u.password; this.#hostname = u.hostname; this.#port = u.port; this.#pathname = u.pathname; this.search = u.search; this.#hash = u.hash; }
  toString() { return this.href; }
  toJSON() { return this.href; }
}
globalThis.URL = URL;
globalThis.URLSearchParams = URLSearchParams;

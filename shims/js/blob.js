// Blob, File and FormData, with multipart/form-data encoding and parsing for bodies.
function __concatBytes(chunks) {
  let n = 0;
  for (const c of chunks) n += c.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}
const __blobBytes = new WeakMap();
class Blob {
  #type;
  constructor(parts = [], options = {}) {
    const chunks = [];
    if (parts === null || typeof parts !== "object" || typeof parts[Symbol.iterator] !== "function") {
      throw new TypeError("Blob: the parts must be an iterable");
    }
    for (const p of parts) {
      if (p instanceof Blob) chunks.push(__blobBytes.get(p));
      else if (p instanceof ArrayBuffer || ArrayBuffer.isView(p)) chunks.push(__u8(p, "Blob").slice());
      else chunks.push(__native.utf8Encode(String(p).toWellFormed()));
    }
    __blobBytes.set(this, __concatBytes(chunks));
    const t = options && options.type !== undefined ? String(options.type) : "";
    this.#type = /^[\x20-\x7e]*$/.test(t) ? t.toLowerCase() : "";
  }
  get size() { return __blobBytes.get(this).length; }
  get type() { return this.#type; }
  slice(start = 0, end = undefined, type = "") {
    const b = __blobBytes.get(this);
    const n = b.length;
    const rel = (x) => (x < 0 ? Math.max(n + x, 0) : Math.min(x, n));
    const s = rel(Math.trunc(Number(start)) || 0);
    const e = end === undefined ? n : rel(Math.trunc(Number(end)) || 0);
    return new Blob([b.subarray(s, Math.max(s, e))], { type });
  }
  async text() { return __native.utf8Decode(__blobBytes.get(this), false, false); }
  async arrayBuffer() { return __blobBytes.get(this).slice().buffer; }
  async bytes() { return __blobBytes.get(this).slice(); }
  stream() { return __bytesStream(__blobBytes.get(this).slice()); }
  get [Symbol.toStringTag]() { return "Blob"; }
  static _bytes(b) { return __blobBytes.get(b); }
}
class File extends Blob {
  #name; #lastModified;
  constructor(parts, name, options = {}) {
    if (arguments.length < 2) throw new TypeError("File: a name is required");
    super(parts, options);
    this.#name = String(name);
    this.#lastModified = options && options.lastModified !== undefined ? Number(options.lastModified) : Date.now();
  }
  get name() { return this.#name; }
  get lastModified() { return this.#lastModified; }
  get webkitRelativePath() { return ""; }
  get [Symbol.toStringTag]() { return "File"; }
}
function __formEntry(name, value, filename) {
  name = String(name);
  if (value instanceof Blob) {
    if (!(value instanceof File) || filename !== undefined) {
      value = new File([value], filename !== undefined ? String(filename) : value instanceof File ? value.name : "blob", { type: value.type, lastModified: value instanceof File ? value.lastModified : undefined });
    }
    return [name, value];
  }
  if (filename !== undefined) throw new TypeError("FormData: a filename is only allowed with a Blob value");
  return [name, String(value)];
}
class FormData {
  #list = [];
  constructor(form) {
    if (form !== undefined) throw new TypeError("FormData: there are no HTML forms in a node; construct it empty");
  }
  append(name, value, filename) { this.#list.push(__formEntry(name, value, filename)); }
  delete(name) { name = String(name); this.#list = this.#list.filter(([n]) => n !== name); }
  get(name) { name = String(name); const e = this.#list.find(([n]) => n === name); return e ? e[1] : null; }
  getAll(name) { name = String(name); return this.#list.filter(([n]) => n === name).map(([, v]) => v); }
  has(name) { name = String(name); return this.#list.some(([n]) => n === name); }
  set(name, value, filename) {
    const e = __formEntry(name, value, filename);
    const i = this.#list.findIndex(([n]) => n === e[0]);
    if (i < 0) this.#list.push(e);
    else this.#list = this.#list.filter(([n], j) => n !== e[0] || j === i).map((x) => (x[0] === e[0] ? e : x));
  }
  forEach(fn, thisArg) { for (const [k, v] of this.#list) fn.call(thisArg, v, k, this); }
  entries() { return this.#list.map(([k, v]) => [k, v])[Symbol.iterator](); }
  keys() { return this.#list.map(([k]) => k)[Symbol.iterator](); }
  values() { return this.#list.map(([, v]) => v)[Symbol.iterator](); }
  [Symbol.iterator]() { return this.entries(); }
  get [Symbol.toStringTag]() { return "FormData"; }
}
// multipart/form-data (RFC 7578): names and filenames escaped as browsers do.
const __escapeFormName = (s) => s.replace(/\r\n?|\n/g, "\r\n").replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
function __encodeMultipart(form) {
  const rnd = [...__crypto.getRandomValues(new Uint8Array(12))].map((x) => x.toString(16).padStart(2, "0")).join("");
  const boundary = "----TentacularFormBoundary" + rnd;
  const chunks = [];
  const text = (s) => chunks.push(__native.utf8Encode(s));
  for (const [name, value] of form) {
    text(`--${boundary}\r\nContent-Disposition: form-data; name="${__escapeFormName(name)}"`);
    if (typeof value === "string") {
      text(`\r\n\r\n${value.replace(/\r\n?|\n/g, "\r\n")}\r\n`);
    } else {
      text(`; filename="${__escapeFormName(value.name)}"\r\nContent-Type: ${value.type || "application/octet-stream"}\r\n\r\n`);
      chunks.push(Blob._bytes(value));
      text("\r\n");
    }
  }
  text(`--${boundary}--\r\n`);
  return { bytes: __concatBytes(chunks), type: `multipart/form-data; boundary=${boundary}` };
}
function __indexOf(hay, needle, from) {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
function __parseMultipart(bytes, contentType) {
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!m) throw new TypeError("formData: the multipart body has no boundary");
  const delim = __native.utf8Encode("--" + (m[1] || m[2]));
  const form = new FormData();
  let at = __indexOf(bytes, delim, 0);
  if (at < 0) throw new TypeError("formData: the multipart body has no parts");
  for (;;) {
    at += delim.length;
    if (bytes[at] === 0x2d && bytes[at + 1] === 0x2d) return form; // the closing delimiter
    if (bytes[at] === 0x0d && bytes[at + 1] === 0x0a) at += 2;
    const next = __indexOf(bytes, delim, at);
    if (next < 0) throw new TypeError("formData: the multipart body is not terminated");
    let end = next;
    if (bytes[end - 2] === 0x0d && bytes[end - 1] === 0x0a) end -= 2;
    const part = bytes.subarray(at, end);
    const split = __indexOf(part, [0x0d, 0x0a, 0x0d, 0x0a], 0);
    if (split < 0) throw new TypeError("formData: a multipart part has no headers");
    const head = __native.utf8Decode(part.subarray(0, split), false, false);
    const body = part.subarray(split + 4);
    const disp = /content-disposition:\s*form-data([^\r\n]*)/i.exec(head);
    if (!disp) throw new TypeError("formData: a multipart part has no Content-Disposition: form-data");
    const param = (k) => { const r = new RegExp(`;\\s*${k}="([^"]*)"`, "i").exec(disp[1]); return r ? r[1].replace(/%22/g, '"').replace(/%0D/g, "\r").replace(/%0A/g, "\n") : undefined; };
    const name = param("name");
    if (name === undefined) throw new TypeError("formData: a multipart part has no name");
    const filename = param("filename");
    if (filename === undefined) form.append(name, __native.utf8Decode(body, false, false));
    else {
      const type = /content-type:\s*([^\r\n]*)/i.exec(head);
      form.append(name, new File([body], filename, { type: type ? type[1].trim() : "" }));
    }
    at = next;
  }
}
globalThis.Blob = Blob;
globalThis.File = File;
globalThis.FormData = FormData;

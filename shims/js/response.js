// Response and Request with byte-exact bodies (strings are UTF-8 encoded; binary bodies stay
// as they arrived).
function __bodyBytes(body) {
  if (body === undefined || body === null) return null;
  if (typeof body === "string") return new TextEncoder().encode(body);
  if (body instanceof URLSearchParams) return new TextEncoder().encode(body.toString());
  if (body instanceof ArrayBuffer) return new Uint8Array(body.slice(0));
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
  return new TextEncoder().encode(String(body));
}
class Response {
  #bytes; #used = false;
  constructor(body = null, init = {}) {
    this.#bytes = __bodyBytes(body);
    this.status = init.status === undefined ? 200 : init.status;
    this.statusText = init.statusText || "";
    this.headers = new Headers(init.headers);
    this.url = init.url || "";
    this.redirected = !!init.redirected;
    this.type = "basic";
  }
  get ok() { return this.status >= 200 && this.status < 300; }
  get bodyUsed() { return this.#used; }
  #consume() {
    if (this.#used) throw new TypeError("Response body already used");
    this.#used = true;
    return this.#bytes === null ? new Uint8Array(0) : this.#bytes;
  }
  async text() { return new TextDecoder().decode(this.#consume()); }
  async json() { return JSON.parse(await this.text()); }
  async arrayBuffer() { const b = this.#consume(); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); }
  async bytes() { return new Uint8Array(await this.arrayBuffer()); }
  clone() {
    if (this.#used) throw new TypeError("Response body already used");
    return new Response(this.#bytes, { status: this.status, statusText: this.statusText, headers: this.headers, url: this.url, redirected: this.redirected });
  }
  static json(data, init = {}) {
    const headers = new Headers(init.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return new Response(JSON.stringify(data), { ...init, headers });
  }
}
class Request {
  constructor(input, init = {}) {
    this.url = input instanceof Request ? input.url : String(input);
    this.method = (init.method || (input instanceof Request ? input.method : "GET")).toUpperCase();
    this.headers = new Headers(init.headers || (input instanceof Request ? input.headers : undefined));
    this._bytes = __bodyBytes(init.body !== undefined ? init.body : input instanceof Request ? input._bytes : null);
  }
  async text() { return this._bytes === null ? "" : new TextDecoder().decode(this._bytes); }
  async json() { return JSON.parse(await this.text()); }
  async arrayBuffer() { const b = this._bytes || new Uint8Array(0); return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength); }
}
globalThis.Response = Response;
globalThis.Request = Request;

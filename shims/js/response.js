// Response and Request: text bodies (JSON or strings), the shape nodes use.
function __bodyToText(body) {
  if (body === undefined || body === null) return null;
  if (typeof body === "string") return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof ArrayBuffer) return new TextDecoder().decode(new Uint8Array(body));
  if (ArrayBuffer.isView(body)) return new TextDecoder().decode(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
  return String(body);
}
class Response {
  #body; #used = false;
  constructor(body = null, init = {}) {
    this.#body = __bodyToText(body);
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
    return this.#body === null ? "" : this.#body;
  }
  async text() { return this.#consume(); }
  async json() { return JSON.parse(this.#consume()); }
  async arrayBuffer() { return new TextEncoder().encode(this.#consume()).buffer; }
  clone() {
    if (this.#used) throw new TypeError("Response body already used");
    return new Response(this.#body, { status: this.status, statusText: this.statusText, headers: this.headers, url: this.url });
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
    this._body = __bodyToText(init.body !== undefined ? init.body : input instanceof Request ? input._body : null);
  }
  async text() { return this._body === null ? "" : this._body; }
  async json() { return JSON.parse(await this.text()); }
}
globalThis.Response = Response;
globalThis.Request = Request;

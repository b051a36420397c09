// Response and Request with byte-exact bodies: strings are UTF-8 encoded, binary bodies stay
// as they arrived; Blob, FormData (multipart), URLSearchParams and ReadableStream bodies too.
// A body held as bytes is exposed as a stream only when `.body` is read.
// Extracts a body: {bytes, type} (type: the Content-Type it implies, or null), or
// {stream, type} for a ReadableStream.
function __extractBody(body) {
  if (body === undefined || body === null) return { bytes: null, type: null };
  if (typeof body === "string") return { bytes: __native.utf8Encode(body.toWellFormed()), type: "text/plain;charset=UTF-8" };
  if (body instanceof URLSearchParams) return { bytes: __native.utf8Encode(body.toString()), type: "application/x-www-form-urlencoded;charset=UTF-8" };
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return { bytes: __u8(body, "body").slice(), type: null };
  if (body instanceof Blob) return { bytes: Blob._bytes(body).slice(), type: body.type || null };
  if (body instanceof FormData) return __encodeMultipart(body);
  if (typeof ReadableStream === "function" && body instanceof ReadableStream) return { stream: body, type: null };
  return { bytes: __native.utf8Encode(String(body).toWellFormed()), type: "text/plain;charset=UTF-8" };
}
class __Body {
  #bytes = null; #stream = null; #used = false;
  _initBody(extracted, headers) {
    this.#bytes = extracted.bytes === undefined ? null : extracted.bytes;
    this.#stream = extracted.stream || null;
    if (extracted.type !== null && !headers.has("content-type")) headers.set("content-type", extracted.type);
  }
  get body() {
    if (this.#stream === null && this.#bytes !== null) {
      this.#stream = __bytesStream(this.#bytes);
      this.#bytes = null;
    }
    return this.#stream;
  }
  get bodyUsed() { return this.#used || (this.#stream !== null && this.#stream._disturbed()); }
  _hasBody() { return this.#bytes !== null || this.#stream !== null; }
  async #consume() {
    if (this.bodyUsed) throw new TypeError("Body already used");
    if (this.#stream !== null && this.#stream.locked) throw new TypeError("Body is locked by a reader");
    this.#used = true;
    if (this.#stream !== null) return __readAllBytes(this.#stream);
    const b = this.#bytes;
    this.#bytes = null;
    return b === null ? new Uint8Array(0) : b;
  }
  // Two bodies with the same bytes (the stream is teed when it was read as one).
  _cloneBody() {
    if (this.bodyUsed) throw new TypeError("Body already used");
    if (this.#stream !== null) {
      const [a, b] = this.#stream.tee();
      this.#stream = a;
      return { stream: b, type: null };
    }
    return { bytes: this.#bytes === null ? null : this.#bytes.slice(), type: null };
  }
  async arrayBuffer() { const b = await this.#consume(); return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.slice().buffer; }
  async bytes() { return new Uint8Array(await this.arrayBuffer()); }
  async text() { return __native.utf8Decode(await this.#consume(), false, false); }
  async json() { return __JSON.parse(await this.text()); }
  async blob() {
    const b = await this.#consume();
    const type = this.headers.get("content-type");
    return new Blob([b], { type: type === null ? "" : type });
  }
  async formData() {
    const type = this.headers.get("content-type") || "";
    const b = await this.#consume();
    if (/^multipart\/form-data/i.test(type)) return __parseMultipart(b, type);
    if (/^application\/x-www-form-urlencoded/i.test(type)) {
      const form = new FormData();
      for (const [k, v] of new URLSearchParams(__native.utf8Decode(b, false, false))) form.append(k, v);
      return form;
    }
    throw new TypeError(`formData: the Content-Type "${type}" is neither multipart/form-data nor application/x-www-form-urlencoded`);
  }
}
const __NULL_BODY = new Set([101, 103, 204, 205, 304]);
const __REDIRECTS = new Set([301, 302, 303, 307, 308]);
class Response extends __Body {
  #status; #statusText; #headers; #url; #redirected; #type;
  constructor(body = null, init = {}) {
    super();
    init = init || {};
    const status = init.status === undefined ? 200 : Number(init.status);
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      if (!(init._internal && status === 0)) throw new RangeError(`Response: status ${init.status} is not in the range 200 to 599`);
    }
    const statusText = init.statusText === undefined ? "" : String(init.statusText);
    if (/[^\t\x20-\x7e\x80-\xff]/.test(statusText)) throw new TypeError("Response: invalid statusText");
    this.#status = status;
    this.#statusText = statusText;
    this.#headers = new Headers(init.headers);
    this.#url = init.url || "";
    this.#redirected = !!init.redirected;
    this.#type = init._type || "default";
    const extracted = __extractBody(body);
    if (__NULL_BODY.has(status) && (extracted.bytes !== null || extracted.stream)) {
      throw new TypeError(`Response: a ${status} response cannot have a body`);
    }
    this._initBody(extracted, this.#headers);
  }
  get status() { return this.#status; }
  get statusText() { return this.#statusText; }
  get headers() { return this.#headers; }
  get url() { return this.#url; }
  get redirected() { return this.#redirected; }
  get type() { return this.#type; }
  get ok() { return this.#status >= 200 && this.#status < 300; }
  clone() {
    return new Response(null, { status: this.#status, statusText: this.#statusText, headers: this.#headers, url: this.#url, redirected: this.#redirected, _type: this.#type, _internal: true })._adopt(this._cloneBody());
  }
  _adopt(extracted) { this._initBody(extracted, this.#headers); return this; }
  get [Symbol.toStringTag]() { return "Response"; }
  static json(data, init = {}) {
    const text = __JSON.stringify(data);
    if (text === undefined) throw new TypeError("Response.json: the data is not JSON-serializable");
    const headers = new Headers(init && init.headers);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
    return new Response(text, { ...init, headers });
  }
  static error() { return new Response(null, { status: 0, _internal: true, _type: "error" }); }
  static redirect(url, status = 302) {
    if (!__REDIRECTS.has(status)) throw new RangeError(`Response.redirect: ${status} is not a redirect status (301, 302, 303, 307, 308)`);
    return new Response(null, { status, headers: { location: new URL(url).href } });
  }
}
class Request extends __Body {
  #url; #method; #headers; #signal; #redirect; #options;
  constructor(input, init = {}) {
    super();
    init = init || {};
    const from = input instanceof Request ? input : null;
    this.#url = from ? from.url : new URL(String(input)).href;
    const method = init.method !== undefined ? String(init.method) : from ? from.method : "GET";
    if (!__TOKEN.test(method)) throw new TypeError(`Request: "${method}" is not a valid method`);
    const upper = method.toUpperCase();
    this.#method = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"].includes(upper) ? upper : method;
    if (["CONNECT", "TRACE", "TRACK"].includes(upper)) throw new TypeError(`Request: the method ${upper} is forbidden`);
    this.#headers = new Headers(init.headers !== undefined ? init.headers : from ? from.headers : undefined);
    this.#redirect = init.redirect || (from ? from.redirect : "follow");
    this.#options = {
      cache: init.cache || (from ? from.cache : "default"),
      credentials: init.credentials || (from ? from.credentials : "same-origin"),
      mode: init.mode || (from ? from.mode : "cors"),
      referrer: "about:client", referrerPolicy: init.referrerPolicy || "", integrity: init.integrity || "",
      keepalive: !!init.keepalive,
    };
    const signal = init.signal !== undefined ? init.signal : from ? from.signal : null;
    if (signal !== null && !(signal instanceof AbortSignal)) throw new TypeError("Request: init.signal must be an AbortSignal");
    // A request's signal follows the one it was given.
    this.#signal = signal === null ? AbortSignal._new() : AbortSignal.any([signal]);
    let extracted;
    if (init.body !== undefined && init.body !== null) extracted = __extractBody(init.body);
    else if (from && from._hasBody()) extracted = from._cloneBody();
    else extracted = { bytes: null, type: null };
    if ((extracted.bytes !== null || extracted.stream) && (this.#method === "GET" || this.#method === "HEAD")) {
      throw new TypeError(`Request: a ${this.#method} request cannot have a body`);
    }
    this._initBody(extracted, this.#headers);
  }
  get url() { return this.#url; }
  get method() { return this.#method; }
  get headers() { return this.#headers; }
  get signal() { return this.#signal; }
  get redirect() { return this.#redirect; }
  get cache() { return this.#options.cache; }
  get credentials() { return this.#options.credentials; }
  get mode() { return this.#options.mode; }
  get referrer() { return this.#options.referrer; }
  get referrerPolicy() { return this.#options.referrerPolicy; }
  get integrity() { return this.#options.integrity; }
  get keepalive() { return this.#options.keepalive; }
  get destination() { return ""; }
  clone() {
    if (this.bodyUsed) throw new TypeError("Request.clone: the body was already used");
    return new Request(this);
  }
  get [Symbol.toStringTag]() { return "Request"; }
}
globalThis.Response = Response;
globalThis.Request = Request;

// Every request goes to the host as a description plus its body bytes; the host checks it
// against the node's grants before any I/O and completes the operation with a response or a
// typed error. Requests of one node run concurrently on the host.
function __initToDesc(init, extracted) {
  const headers = new Headers(init.headers);
  if (extracted.type !== null && !headers.has("content-type")) headers.set("content-type", extracted.type);
  const list = [];
  headers.forEach((v, k) => list.push([k, v]));
  const method = String(init.method || "GET");
  if (!__TOKEN.test(method)) throw new TypeError(`fetch: "${method}" is not a valid method`);
  return { method: method.toUpperCase(), headers: list, hasBody: extracted.bytes !== null };
}
// An aborted signal cancels the host operation (the host drops the request) and rejects with
// the signal's reason.
function __send(target, init) {
  init = init || {};
  const signal = init.signal ? init.signal : null;
  if (signal !== null && !(signal instanceof AbortSignal)) throw new TypeError("fetch: init.signal must be an AbortSignal");
  if (signal !== null && signal.aborted) return __Promise.reject(signal.reason);
  const extracted = __extractBody(init.body);
  if (extracted.stream) {
    // A stream body is read to its end first (the host sends whole bodies).
    return __readAllBytes(extracted.stream).then((bytes) => __send(target, { ...init, body: bytes }));
  }
  const desc = __initToDesc(init, extracted);
  const { handle, promise } = __startOp(__OP.fetch, __JSON.stringify({ ...target, ...desc }), extracted.bytes);
  const off = signal === null ? null : AbortSignal._onAbort(signal, (reason) => __cancelOp(handle, reason));
  return promise.then(({ meta, body }) => {
    if (off !== null) off();
    const m = __JSON.parse(meta);
    const r = new Response(null, { status: m.status, statusText: m.statusText, headers: m.headers, url: m.url, redirected: m.redirected, _type: "basic", _internal: true });
    // The host's bytes become the body as they are (no copy).
    return __NULL_BODY.has(m.status) ? r : r._adopt({ bytes: new Uint8Array(body), type: null });
  }, (e) => {
    if (off !== null) off();
    throw e;
  });
}
globalThis.fetch = function fetch(input, init) {
  try {
    if (!(input instanceof Request)) return __send({ kind: "url", url: String(input) }, init);
    const req = init === undefined ? input : new Request(input, init);
    if (req.bodyUsed) throw new TypeError("fetch: the request's body was already used");
    const base = { method: req.method, headers: req.headers, signal: req.signal, redirect: req.redirect };
    if (!req._hasBody()) return __send({ kind: "url", url: req.url }, base);
    return req.arrayBuffer().then((body) => __send({ kind: "url", url: req.url }, { ...base, body }));
  } catch (e) {
    return __Promise.reject(e);
  }
};

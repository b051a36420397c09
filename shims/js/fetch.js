// Every request goes to the host as a description plus its body bytes; the host checks it
// against the node's grants before any I/O and completes the operation with a response or a
// typed error. Requests of one node run concurrently on the host.
function __initToDesc(init) {
  init = init || {};
  const headers = [];
  new Headers(init.headers).forEach((v, k) => headers.push([k, v]));
  const body = __bodyBytes(init.body);
  return { desc: { method: String(init.method || "GET").toUpperCase(), headers, hasBody: body !== null }, body };
}
function __send(target, init) {
  const { desc, body } = __initToDesc(init);
  const { promise } = __startOp(__OP.fetch, __JSON.stringify({ ...target, ...desc }), body);
  return promise.then(({ meta, body }) => {
    const m = __JSON.parse(meta);
    return new Response(new Uint8Array(body), { status: m.status, statusText: m.statusText, headers: m.headers, url: m.url, redirected: m.redirected });
  });
}
globalThis.fetch = function fetch(input, init) {
  try {
    const url = input instanceof Request ? input.url : String(input);
    const base = input instanceof Request ? { method: input.method, headers: input.headers, body: input._bytes } : {};
    return __send({ kind: "url", url }, { ...base, ...(init || {}) });
  } catch (e) {
    return __Promise.reject(e);
  }
};

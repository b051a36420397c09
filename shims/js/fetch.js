// Every request goes to the host as a description; the host checks it against the node's
// grants before any I/O and answers with a response or a typed error.
function __initToDesc(init) {
  init = init || {};
  const headers = [];
  new Headers(init.headers).forEach((v, k) => headers.push([k, v]));
  return { method: String(init.method || "GET").toUpperCase(), headers, body: __bodyToText(init.body) };
}
function __send(desc) {
  const answer = __JSON.parse(__host.fetch(__JSON.stringify(desc)));
  if (!answer.ok) {
    const err = new Error(answer.error.message);
    err.name = answer.error.name;
    return Promise.reject(err);
  }
  return Promise.resolve(new Response(answer.body, { status: answer.status, statusText: answer.statusText, headers: answer.headers, url: answer.url, redirected: answer.redirected }));
}
globalThis.fetch = function fetch(input, init) {
  try {
    const url = input instanceof Request ? input.url : String(input);
    const base = input instanceof Request ? { method: input.method, headers: input.headers, body: input._body } : {};
    return __send({ kind: "url", url, ...__initToDesc({ ...base, ...(init || {}) }) });
  } catch (e) {
    return Promise.reject(e);
  }
};

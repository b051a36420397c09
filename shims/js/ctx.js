// The node context and `invoke`, the function the plugin calls once per invocation.
// This realm belongs to one node, and every invocation runs in a fresh instance of the
// snapshot, so ctx's functions are created once, at snapshot time, and the per-call part of ctx is one object: a node pays
// for a JSON.parse and an object literal, not for a dozen closures.
const __HTTP_PROTOCOLS = new Set(["http", "https"]);
// The declared dependencies of the current invocation (one per instance).
let __deps = {};
const __level = (n) => (...a) => __native.log(n, __formatArgs(a));
const __log = {
  debug: __level(LOG_LEVELS.debug),
  info: __level(LOG_LEVELS.info),
  warn: __level(LOG_LEVELS.warn),
  error: __level(LOG_LEVELS.error),
};
// Legacy: `path` is a full URL, or a path under https://api.<service>.com.
function __legacyFetch(service, path, init) {
  try {
    return __send({ kind: "legacy", service: String(service), path: String(path) }, init);
  } catch (e) {
    return __Promise.reject(e);
  }
}
function __dependency(name) {
  const d = Object.prototype.hasOwnProperty.call(__deps, name) ? __deps[name] : undefined;
  if (!d) {
    throw new Error(`Dependency "${name}" not declared in contract. Add it to workflow.yaml contract.dependencies.`);
  }
  const conn = { ...d };
  if (__HTTP_PROTOCOLS.has(d.protocol)) {
    conn.fetch = (path, init) => {
      try {
        return __send({ kind: "dependency", dependency: String(name), path: path === undefined ? "" : String(path) }, init);
      } catch (e) {
        return __Promise.reject(e);
      }
    };
  }
  return Object.freeze(conn);
}
function __makeCtx(c) {
  __deps = c.dependencies || {};
  return { log: __log, config: c.config || {}, secrets: c.secrets || {}, fetch: __legacyFetch, dependency: __dependency };
}
function __errorInfo(e) {
  if (e instanceof Error || (e && typeof e === "object" && "message" in e)) {
    return { kind: "js", name: String(e.name || "Error"), message: String(e.message), stack: String(e.stack || "") };
  }
  let message;
  try { message = typeof e === "string" ? e : __JSON.stringify(e); } catch (_) { message = String(e); }
  return { kind: "js", name: "Error", message: `non-Error value thrown: ${message}`, stack: "" };
}
// Resolves to "O<json>" for an output or "E<json>" for an error description.
async function invoke(run, payloadJson) {
  let out;
  try {
    const p = __JSON.parse(payloadJson);
    out = await run(__makeCtx(p.ctx), p.input);
  } catch (e) {
    return "E" + __JSON.stringify(__errorInfo(e));
  }
  let text;
  try {
    text = __JSON.stringify(out === undefined ? null : out);
  } catch (e) {
    return "E" + __JSON.stringify({ kind: "not-serializable", name: "TypeError", message: String(e && e.message ? e.message : e) });
  }
  if (text === undefined) {
    return "E" + __JSON.stringify({ kind: "not-serializable", name: "TypeError", message: `the output is a ${typeof out}` });
  }
  return "O" + text;
}

// The node context and `invoke`, the function the plugin calls once per invocation.
// Every invocation runs in a fresh instance of the node's snapshot, so ctx's functions are
// created once, at snapshot time, and the per-call part of ctx is one object: a node pays
// for a JSON.parse and an object literal, not for a dozen closures.
const __HTTP_PROTOCOLS = new Set(["http", "https"]);
// The declared dependencies of the current invocation (one per instance).
let __deps = {};
const __level = (n) => (...a) => __host.log(n, __formatArgs(a));
const __log = {
  debug: __level(LOG_LEVELS.debug),
  info: __level(LOG_LEVELS.info),
  warn: __level(LOG_LEVELS.warn),
  error: __level(LOG_LEVELS.error),
};
// Legacy: `path` is a full URL, or a path under https://api.<service>.com.
function __legacyFetch(service, path, init) {
  try {
    return __send({ kind: "legacy", service: String(service), path: String(path), ...__initToDesc(init) });
  } catch (e) {
    return Promise.reject(e);
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
        return __send({ kind: "dependency", dependency: String(name), path: path === undefined ? "" : String(path), ...__initToDesc(init) });
      } catch (e) {
        return Promise.reject(e);
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
// Load-time realm check. One snapshot holds every node of a workflow, evaluated in one realm;
// a node whose top level changes what the realm shares (globals, intrinsics, prototypes)
// must not be seen by its sibling nodes, so the plugin compares this fingerprint before and
// after each node's evaluation and the host gives such a node a snapshot of its own.
const __ownKeys = Reflect.ownKeys;
const __getDesc = Object.getOwnPropertyDescriptor;
const __getProto = Object.getPrototypeOf;
const __isExtensible = Object.isExtensible;
const __is = Object.is;
function __realmFingerprint() {
  const seen = new Set();
  const out = [];
  const visit = (o) => {
    if (o === null || (typeof o !== "object" && typeof o !== "function") || seen.has(o)) return;
    seen.add(o);
    out.push(o, __getProto(o), __isExtensible(o));
    for (const k of __ownKeys(o)) {
      const d = __getDesc(o, k);
      out.push(k, d.value, d.get, d.set, d.writable, d.enumerable, d.configurable);
    }
  };
  const roots = [globalThis, __getProto(function () {}), __getProto(async function () {}),
    __getProto(function* () {}), __getProto(async function* () {}), __getProto([][Symbol.iterator]())];
  for (const r of roots) visit(r);
  for (const k of __ownKeys(globalThis)) {
    const v = __getDesc(globalThis, k).value;
    visit(v);
    if (typeof v === "function") visit(v.prototype);
    if (v !== null && (typeof v === "object" || typeof v === "function")) visit(__getProto(v));
  }
  return out;
}
invoke.realmFingerprint = __realmFingerprint;
invoke.realmChanged = (before) => {
  const after = __realmFingerprint();
  if (after.length !== before.length) return true;
  for (let i = 0; i < after.length; i++) if (!__is(after[i], before[i])) return true;
  return false;
};

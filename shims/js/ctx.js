// The node context and `invoke`, the function the plugin calls once per invocation.
const __HTTP_PROTOCOLS = new Set(["http", "https"]);
function __makeCtx(c) {
  const deps = c.dependencies || {};
  const level = (n) => (...a) => __host.log(n, __formatArgs(a));
  return {
    log: { debug: level(LOG_LEVELS.debug), info: level(LOG_LEVELS.info), warn: level(LOG_LEVELS.warn), error: level(LOG_LEVELS.error) },
    config: c.config || {},
    secrets: c.secrets || {},
    // Legacy: `path` is a full URL, or a path under https://api.<service>.com.
    fetch(service, path, init) {
      try {
        return __send({ kind: "legacy", service: String(service), path: String(path), ...__initToDesc(init) });
      } catch (e) {
        return Promise.reject(e);
      }
    },
    dependency(name) {
      const d = Object.prototype.hasOwnProperty.call(deps, name) ? deps[name] : undefined;
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
    },
  };
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

// Tentacular's Deno Worker script: one Worker per node. It imports the node's module, builds
// `ctx` for each run, and sends every HTTP request (ctx.dependency(d).fetch, ctx.fetch and
// globalThis.fetch) to the host, which checks and performs it as in wasm mode. No policy
// lives here: the host decides, and the Worker's Deno permissions bound everything else.
const post = (m) => self.postMessage(m);
const HTTP = new Set(["http", "https"]);
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
let runFn = null;
let loadError = null;
let loading = Promise.resolve();
// The run that started last: console output and globalThis.fetch are attributed to it.
let currentRun = 0;
let nextFetch = 0;
const pending = new Map();

function errorInfo(e) {
  if (e instanceof Error || (e && typeof e === "object" && "message" in e)) {
    return { name: String(e.name || "Error"), message: String(e.message), stack: String(e.stack || "") };
  }
  let message;
  try { message = typeof e === "string" ? e : JSON.stringify(e); } catch (_) { message = String(e); }
  return { name: "Error", message: `non-Error value thrown: ${message}`, stack: "" };
}
function format(args) {
  return args.map((a) => {
    if (typeof a === "string") return a;
    try { return Deno.inspect(a); } catch (_) { return String(a); }
  }).join(" ");
}
function toB64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
function fromB64(t) {
  const s = atob(t);
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}
const logTo = (run, level) => (...a) => post({ type: "log", run, level, message: format(a) });
for (const [k, level] of [["log", "info"], ["info", "info"], ["debug", "debug"], ["trace", "debug"], ["warn", "warn"], ["error", "error"]]) {
  console[k] = (...a) => logTo(currentRun, level)(...a);
}

// Sends `req` (a Request, for its normalised method, headers and body) to the host as
// `target` ({kind: "url"|"dependency"|"legacy", …}).
async function viaHost(run, target, req) {
  if (req.signal && req.signal.aborted) throw req.signal.reason;
  const headers = [];
  req.headers.forEach((v, k) => headers.push([k, v]));
  const hasBody = req.body !== null;
  const bytes = hasBody ? new Uint8Array(await req.arrayBuffer()) : null;
  const id = ++nextFetch;
  const answer = new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    // Aborted: reject now, and tell the host to drop the request it is making.
    if (req.signal) req.signal.addEventListener("abort", () => {
      if (!pending.delete(id)) return;
      post({ type: "fetch-abort", run, id });
      reject(req.signal.reason);
    }, { once: true });
  });
  post({ type: "fetch", run, id, request: { ...target, method: req.method, headers, hasBody }, body: hasBody ? toB64(bytes) : null });
  const m = await answer;
  if (m.error) {
    const e = new Error(m.error.message);
    e.name = m.error.name;
    throw e;
  }
  const meta = m.meta;
  const body = NULL_BODY.has(meta.status) ? null : fromB64(m.body || "");
  const r = new Response(body, { status: meta.status, statusText: meta.statusText, headers: meta.headers });
  Object.defineProperty(r, "url", { value: meta.url });
  Object.defineProperty(r, "redirected", { value: meta.redirected });
  return r;
}
const PLACE = "http://tentacular.invalid/";
globalThis.fetch = function fetch(input, init) {
  try {
    const req = new Request(input, init);
    return viaHost(currentRun, { kind: "url", url: req.url }, req);
  } catch (e) {
    return Promise.reject(e);
  }
};

function makeCtx(run, c) {
  const deps = c.dependencies || {};
  const level = (l) => logTo(run, l);
  return {
    log: { debug: level("debug"), info: level("info"), warn: level("warn"), error: level("error") },
    config: c.config || {},
    secrets: c.secrets || {},
    tmpDir: c.tmpDir,
    fetch(service, path, init) {
      try {
        return viaHost(run, { kind: "legacy", service: String(service), path: String(path) }, new Request(PLACE, init));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    dependency(name) {
      const d = Object.prototype.hasOwnProperty.call(deps, name) ? deps[name] : undefined;
      if (!d) throw new Error(`Dependency "${name}" not declared in contract. Add it to workflow.yaml contract.dependencies.`);
      const conn = { ...d };
      if (HTTP.has(d.protocol)) {
        conn.fetch = (path, init) => {
          try {
            return viaHost(run, { kind: "dependency", dependency: String(name), path: path === undefined ? "" : String(path) }, new Request(PLACE, init));
          } catch (e) {
            return Promise.reject(e);
          }
        };
      }
      return Object.freeze(conn);
    },
  };
}

async function onRun(m) {
  await loading;
  if (loadError) return post({ type: "error", run: m.run, error: loadError });
  currentRun = m.run;
  let out;
  try {
    out = await runFn(makeCtx(m.run, m.ctx || {}), m.input);
  } catch (e) {
    return post({ type: "error", run: m.run, error: errorInfo(e) });
  }
  let text;
  try {
    text = JSON.stringify(out === undefined ? null : out);
  } catch (e) {
    return post({ type: "error", run: m.run, error: { name: "not-serializable", message: String(e && e.message ? e.message : e), stack: "" } });
  }
  if (text === undefined) {
    return post({ type: "error", run: m.run, error: { name: "not-serializable", message: `the output is a ${typeof out}`, stack: "" } });
  }
  post({ type: "result", run: m.run, output: text });
}

self.onmessage = ({ data: m }) => {
  switch (m.type) {
    case "load":
      loading = import(m.module).then((mod) => {
        if (typeof mod.default !== "function") {
          throw new TypeError("the module has no default export function (export default async function run(ctx, input) { … })");
        }
        runFn = mod.default;
        post({ type: "loaded" });
      }).catch((e) => {
        loadError = errorInfo(e);
        post({ type: "load-error", error: loadError });
      });
      return;
    case "run":
      onRun(m);
      return;
    case "fetch-response": {
      const p = pending.get(m.id);
      if (p) {
        pending.delete(m.id);
        p.resolve(m);
      }
      return;
    }
  }
};
// An error a node leaves behind (a rejected promise nobody awaits, a throwing timer) is that
// node's log line, not the end of its Worker.
self.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  logTo(currentRun, "error")(`unhandled rejection: ${format([e.reason])}`);
});
self.addEventListener("error", (e) => {
  e.preventDefault();
  logTo(currentRun, "error")(`uncaught error: ${e.message}`);
});

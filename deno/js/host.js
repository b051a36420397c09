// Tentacular's Deno host script: the main thread of a workflow's Deno child.
// It connects to the host's private Unix socket (Deno.args[0]), starts one Worker per node
// with that node's own `deno.permissions`, and relays the protocol of deno/src/protocol.rs.
// A Worker may speak only for its own node's runs: anything else it posts is dropped here.
const conn = await Deno.connect({ transport: "unix", path: Deno.args[0] });
const encoder = new TextEncoder();
let writing = Promise.resolve();
function send(msg) {
  const bytes = encoder.encode(JSON.stringify(msg) + "\n");
  writing = writing.then(async () => {
    let off = 0;
    while (off < bytes.length) off += await conn.write(bytes.subarray(off));
  }).catch(() => Deno.exit(0));
}
const nodes = new Map(); // node -> { module, permissions, worker }
const runs = new Map(); // run -> node
const workerUrl = import.meta.resolve("./worker.js");
const str = (v) => String(v ?? "");
const errorOf = (e) => ({ name: str(e && e.name) || "Error", message: str(e && e.message), stack: str(e && e.stack) });

function runsOf(node) {
  return [...runs].filter(([, n]) => n === node).map(([r]) => r);
}

function spawn(node) {
  const n = nodes.get(node);
  const w = new Worker(workerUrl, { type: "module", name: node, deno: { permissions: n.permissions } });
  n.worker = w;
  w.onmessage = ({ data: m }) => {
    if (n.worker !== w || !m || typeof m !== "object") return;
    switch (m.type) {
      case "loaded":
        return send({ type: "loaded", node });
      case "load-error":
        return send({ type: "load-error", node, error: errorOf(m.error) });
    }
    if (runs.get(m.run) !== node) return;
    switch (m.type) {
      case "log":
        return send({ type: "log", run: m.run, level: str(m.level), message: str(m.message) });
      case "fetch":
        return send({ type: "fetch", run: m.run, id: Number(m.id), request: m.request, body: m.body ?? null });
      case "fetch-abort":
        return send({ type: "fetch-abort", run: m.run, id: Number(m.id) });
      case "result":
        runs.delete(m.run);
        return send({ type: "result", run: m.run, output: str(m.output) });
      case "error":
        runs.delete(m.run);
        return send({ type: "error", run: m.run, error: errorOf(m.error) });
    }
  };
  const died = (e) => {
    if (e && e.preventDefault) e.preventDefault();
    if (n.worker !== w) return;
    w.terminate();
    n.worker = null;
    const error = { name: "Error", message: `the node's Worker died: ${str(e && e.message) || "unknown error"}`, stack: "" };
    const active = runsOf(node);
    for (const r of active) {
      runs.delete(r);
      send({ type: "error", run: r, error });
    }
    send({ type: "crash", node, error });
  };
  w.onerror = died;
  w.onmessageerror = died;
  w.postMessage({ type: "load", module: n.module });
}

function stop(node) {
  const n = nodes.get(node);
  if (n && n.worker) n.worker.terminate();
  if (n) n.worker = null;
  for (const r of runsOf(node)) {
    runs.delete(r);
    send({ type: "error", run: r, error: { name: "Stopped", message: "the node's Worker was stopped because another run of this node overran its timeout", stack: "" } });
  }
  send({ type: "stopped", node });
}

function handle(m) {
  switch (m.type) {
    case "load":
      nodes.set(m.node, { module: m.module, permissions: m.permissions, worker: null });
      return spawn(m.node);
    case "run": {
      const n = nodes.get(m.node);
      if (!n) return send({ type: "error", run: m.run, error: { name: "Error", message: `no node "${m.node}" in this child`, stack: "" } });
      runs.set(m.run, m.node);
      if (!n.worker) spawn(m.node);
      return n.worker.postMessage({ type: "run", run: m.run, ctx: m.ctx, input: m.input });
    }
    case "fetch-response": {
      const node = runs.get(m.run);
      const w = node === undefined ? null : nodes.get(node).worker;
      if (w) w.postMessage(m);
      return;
    }
    case "stop":
      return stop(m.node);
  }
}

send({ type: "ready" });
const decoder = new TextDecoder();
let buf = "";
for await (const chunk of conn.readable) {
  buf += decoder.decode(chunk, { stream: true });
  let i;
  while ((i = buf.indexOf("\n")) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    if (line.trim() !== "") handle(JSON.parse(line));
  }
}
// The host went away: so does the child.
Deno.exit(0);

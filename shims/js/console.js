// console.* goes to the node's captured log (never to the engine's stdout directly), and
// reportError logs an uncaught error there.
const __console = (() => {
  const counts = new __Map();
  const timers = new __Map();
  let indent = "";
  const out = (level, args) => __native.log(level, indent === "" ? __formatArgs(args) : indent + __formatArgs(args).replace(/\n/g, "\n" + indent));
  const at = (level) => (...a) => out(level, a);
  const label = (l) => (l === undefined ? "default" : String(l));
  function table(data, columns) {
    if (data === null || typeof data !== "object") return out(LOG_LEVELS.info, [data]);
    const rows = [...(data instanceof __Map ? data.entries() : Object.entries(data))];
    const cols = [];
    const cell = (v) => (typeof v === "string" ? v : v === undefined ? "" : __formatArgs([v]));
    let values = false;
    for (const [, r] of rows) {
      if (r !== null && typeof r === "object") {
        for (const k of Object.keys(r)) if (!cols.includes(k) && (!columns || columns.includes(k))) cols.push(k);
      } else values = true;
    }
    const head = ["(index)", ...cols, ...(values ? ["Values"] : [])];
    const body = rows.map(([k, r]) => [String(k), ...cols.map((c) => (r !== null && typeof r === "object" && c in r ? cell(r[c]) : "")),
      ...(values ? [r !== null && typeof r === "object" ? "" : cell(r)] : [])]);
    const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
    const line = (l, m, r) => l + w.map((n) => "─".repeat(n + 2)).join(m) + r;
    const row = (cells) => "│" + cells.map((c, i) => " " + c.padEnd(w[i]) + " ").join("│") + "│";
    out(LOG_LEVELS.info, [[line("┌", "┬", "┐"), row(head), line("├", "┼", "┤"), ...body.map(row), line("└", "┴", "┘")].join("\n")]);
  }
  return {
    log: at(LOG_LEVELS.info),
    info: at(LOG_LEVELS.info),
    debug: at(LOG_LEVELS.debug),
    warn: at(LOG_LEVELS.warn),
    error: at(LOG_LEVELS.error),
    trace: (...a) => out(LOG_LEVELS.debug, ["Trace:", ...a, "\n" + String(new Error().stack || "")]),
    dir: (v) => out(LOG_LEVELS.info, [v]),
    dirxml: at(LOG_LEVELS.info),
    table,
    assert(cond, ...a) {
      if (!cond) out(LOG_LEVELS.error, a.length ? ["Assertion failed:", ...a] : ["Assertion failed"]);
    },
    count(l) {
      const k = label(l);
      const n = (counts.get(k) || 0) + 1;
      counts.set(k, n);
      out(LOG_LEVELS.info, [`${k}: ${n}`]);
    },
    countReset(l) { counts.delete(label(l)); },
    time(l) {
      const k = label(l);
      if (timers.has(k)) return out(LOG_LEVELS.warn, [`Timer "${k}" already exists`]);
      timers.set(k, __now());
    },
    timeLog(l, ...a) {
      const k = label(l);
      if (!timers.has(k)) return out(LOG_LEVELS.warn, [`Timer "${k}" does not exist`]);
      out(LOG_LEVELS.info, [`${k}: ${(__now() - timers.get(k)).toFixed(3)}ms`, ...a]);
    },
    timeEnd(l) {
      const k = label(l);
      if (!timers.has(k)) return out(LOG_LEVELS.warn, [`Timer "${k}" does not exist`]);
      out(LOG_LEVELS.info, [`${k}: ${(__now() - timers.get(k)).toFixed(3)}ms`]);
      timers.delete(k);
    },
    group(...a) { if (a.length) out(LOG_LEVELS.info, a); indent += "  "; },
    groupCollapsed(...a) { if (a.length) out(LOG_LEVELS.info, a); indent += "  "; },
    groupEnd() { indent = indent.slice(2); },
    clear() {},
  };
})();
globalThis.console = __console;
globalThis.reportError = function reportError(e) {
  __native.log(LOG_LEVELS.error, "Uncaught " + __formatArgs([e]));
};

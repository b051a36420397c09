// structuredClone for the data nodes pass around (no functions, symbols or host objects).
globalThis.structuredClone = function structuredClone(value) {
  const seen = new Map();
  function clone(v) {
    if (v === null || typeof v !== "object") {
      if (typeof v === "function" || typeof v === "symbol") throw new DOMException(`${typeof v} could not be cloned`, "DataCloneError");
      return v;
    }
    if (seen.has(v)) return seen.get(v);
    let out;
    if (v instanceof Date) out = new Date(v.getTime());
    else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
    else if (v instanceof Map) { out = new Map(); seen.set(v, out); for (const [k, x] of v) out.set(clone(k), clone(x)); return out; }
    else if (v instanceof Set) { out = new Set(); seen.set(v, out); for (const x of v) out.add(clone(x)); return out; }
    else if (ArrayBuffer.isView(v)) out = new v.constructor(v);
    else if (v instanceof ArrayBuffer) out = v.slice(0);
    else if (Array.isArray(v)) { out = []; seen.set(v, out); v.forEach((x, i) => { out[i] = clone(x); }); return out; }
    else if (v instanceof Error) { out = new v.constructor(v.message); out.name = v.name; }
    else { out = {}; seen.set(v, out); for (const k of Object.keys(v)) out[k] = clone(v[k]); return out; }
    seen.set(v, out);
    return out;
  }
  return clone(value);
};

// Headers: case-insensitive, insertion-ordered, combined with ", " like the Fetch standard.
class Headers {
  #map = new Map();
  constructor(init) {
    if (init instanceof Headers) init.forEach((v, k) => this.append(k, v));
    else if (Array.isArray(init)) for (const [k, v] of init) this.append(k, v);
    else if (init && typeof init === "object") for (const k of Object.keys(init)) this.append(k, init[k]);
  }
  append(k, v) {
    k = String(k).toLowerCase(); v = String(v);
    this.#map.set(k, this.#map.has(k) ? this.#map.get(k) + ", " + v : v);
  }
  set(k, v) { this.#map.set(String(k).toLowerCase(), String(v)); }
  get(k) { const v = this.#map.get(String(k).toLowerCase()); return v === undefined ? null : v; }
  has(k) { return this.#map.has(String(k).toLowerCase()); }
  delete(k) { this.#map.delete(String(k).toLowerCase()); }
  forEach(fn, thisArg) { for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this); }
  entries() { return [...this.#map.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))[Symbol.iterator](); }
  keys() { return [...this.entries()].map(([k]) => k)[Symbol.iterator](); }
  values() { return [...this.entries()].map(([, v]) => v)[Symbol.iterator](); }
  [Symbol.iterator]() { return this.entries(); }
}
globalThis.Headers = Headers;

// Timers on the host clock: each timer is a host operation that completes when its delay has
// passed (the node's deadline bounds the wait; the instance burns no CPU meanwhile). Under
// `tntc test` the host runs timers on a virtual clock, in deadline order, without waiting.
const __timers = (() => {
  let nextId = 1;
  // timer id → the host handle of its current wait
  const live = new __Map();
  function delayBytes(ms) {
    const d = Math.max(0, Math.min(Number(ms) || 0, 2 ** 31 - 1));
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, d, true);
    return b;
  }
  function arm(id, fn, ms, args, repeat) {
    const handle = __native.start(__OP.timer, delayBytes(ms), null);
    live.set(id, handle);
    __ops.set(handle, {
      timer() {
        if (repeat) arm(id, fn, Math.max(1, Number(ms) || 0), args, true);
        else live.delete(id);
        fn(...args);
      },
    });
  }
  return {
    set(fn, ms, args, repeat) {
      if (typeof fn !== "function") throw new TypeError("setTimeout: callback must be a function");
      const id = nextId++;
      arm(id, fn, ms, args, repeat);
      return id;
    },
    clear(id) {
      const handle = live.get(id);
      if (handle === undefined) return;
      live.delete(id);
      __cancelOp(handle);
    },
  };
})();
globalThis.setTimeout = (fn, ms, ...args) => __timers.set(fn, ms, args, false);
globalThis.setInterval = (fn, ms, ...args) => __timers.set(fn, ms, args, true);
globalThis.clearTimeout = (id) => __timers.clear(id);
globalThis.clearInterval = (id) => __timers.clear(id);
globalThis.queueMicrotask = (fn) => {
  if (typeof fn !== "function") throw new TypeError("queueMicrotask: callback must be a function");
  __Promise.resolve().then(fn);
};

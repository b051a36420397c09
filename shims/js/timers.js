// Timers on a virtual clock: a timer fires, in deadline order, when the node has no other
// work left. Nothing sleeps; the node's deadline is enforced by the host.
const __timers = (() => {
  let nextId = 1;
  let seq = 0;
  let now = 0;
  const pending = new Map();
  function schedule(fn, ms, args, repeat) {
    if (typeof fn !== "function") throw new TypeError("setTimeout: callback must be a function");
    const delay = Math.max(0, Number(ms) || 0);
    const id = nextId++;
    pending.set(id, { id, at: now + delay, seq: seq++, fn, args, repeat: repeat ? delay : -1 });
    return id;
  }
  return {
    set: schedule,
    clear(id) { pending.delete(id); },
    fireNext() {
      let best = null;
      for (const t of pending.values()) {
        if (best === null || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
      }
      if (best === null) return false;
      now = best.at;
      if (best.repeat >= 0) {
        best.at = now + Math.max(1, best.repeat);
        best.seq = seq++;
      } else {
        pending.delete(best.id);
      }
      best.fn(...best.args);
      return true;
    },
  };
})();
Object.defineProperty(globalThis, "__tntcTimers", { value: { fireNext: __timers.fireNext }, enumerable: false });
globalThis.setTimeout = (fn, ms, ...args) => __timers.set(fn, ms, args, false);
globalThis.setInterval = (fn, ms, ...args) => __timers.set(fn, ms, args, true);
globalThis.clearTimeout = (id) => __timers.clear(id);
globalThis.clearInterval = (id) => __timers.clear(id);
globalThis.queueMicrotask = (fn) => { Promise.resolve().then(fn); };

// AbortController and AbortSignal (incl. `timeout`, `any`, `throwIfAborted`, `reason`). A
// fetch given a signal cancels its host operation when the signal aborts; `timeout` arms a
// host timer (on the host clock, or the virtual clock under `tntc test`).
const __abortKey = Symbol("AbortSignal");
class AbortSignal extends EventTarget {
  #aborted = false; #reason = undefined;
  // Algorithms run before the abort event (fetch's cancellation, dependents of `any`).
  #algorithms = [];
  constructor(key) {
    if (key !== __abortKey) throw new TypeError("AbortSignal cannot be constructed: use new AbortController().signal");
    super();
  }
  get aborted() { return this.#aborted; }
  get reason() { return this.#reason; }
  throwIfAborted() { if (this.#aborted) throw this.#reason; }
  static _new() { return new AbortSignal(__abortKey); }
  // Runs `fn(reason)` once when this signal aborts (at once if it has); returns an unsubscribe.
  static _onAbort(signal, fn) {
    if (signal.#aborted) { fn(signal.#reason); return () => {}; }
    signal.#algorithms.push(fn);
    return () => { const i = signal.#algorithms.indexOf(fn); if (i >= 0) signal.#algorithms.splice(i, 1); };
  }
  static _abort(signal, reason) {
    if (signal.#aborted) return;
    signal.#aborted = true;
    signal.#reason = reason === undefined ? new DOMException("signal is aborted without reason", "AbortError") : reason;
    const algorithms = signal.#algorithms;
    signal.#algorithms = [];
    for (const fn of algorithms) {
      try { fn(signal.#reason); } catch (e) { reportError(e); }
    }
    signal.dispatchEvent(new Event("abort"));
  }
  static abort(reason) {
    const s = AbortSignal._new();
    AbortSignal._abort(s, reason);
    return s;
  }
  static timeout(ms) {
    const n = Number(ms);
    if (!Number.isFinite(n) || n < 0) throw new TypeError("AbortSignal.timeout: the delay must be a non-negative finite number");
    const s = AbortSignal._new();
    setTimeout(() => AbortSignal._abort(s, new DOMException("signal timed out", "TimeoutError")), n);
    return s;
  }
  static any(signals) {
    const s = AbortSignal._new();
    const list = [...signals];
    for (const x of list) {
      if (!(x instanceof AbortSignal)) throw new TypeError("AbortSignal.any: expected an iterable of AbortSignal");
    }
    const done = list.find((x) => x.aborted);
    if (done) { AbortSignal._abort(s, done.reason); return s; }
    const offs = list.map((x) => AbortSignal._onAbort(x, (reason) => {
      for (const off of offs) off();
      AbortSignal._abort(s, reason);
    }));
    return s;
  }
}
__eventHandler(AbortSignal.prototype, "abort");
class AbortController {
  #signal = AbortSignal._new();
  get signal() { return this.#signal; }
  abort(reason) { AbortSignal._abort(this.#signal, reason); }
}
globalThis.AbortSignal = AbortSignal;
globalThis.AbortController = AbortController;

// Event, EventTarget and CustomEvent (the DOM standard's dispatch without a tree: no capture
// or bubble path, so a dispatch reaches the target's own listeners only).
const __NONE = 0, __AT_TARGET = 2;
class Event {
  #type; #bubbles; #cancelable; #composed; #canceled = false; #stop = false; #stopNow = false;
  #target = null; #current = null; #phase = __NONE; #dispatching = false; #time;
  constructor(type, init = {}) {
    if (arguments.length === 0) throw new TypeError("Event: the type argument is required");
    this.#type = String(type);
    this.#bubbles = !!(init && init.bubbles);
    this.#cancelable = !!(init && init.cancelable);
    this.#composed = !!(init && init.composed);
    this.#time = __now();
  }
  get type() { return this.#type; }
  get bubbles() { return this.#bubbles; }
  get cancelable() { return this.#cancelable; }
  get composed() { return this.#composed; }
  get defaultPrevented() { return this.#canceled; }
  get returnValue() { return !this.#canceled; }
  get target() { return this.#target; }
  get srcElement() { return this.#target; }
  get currentTarget() { return this.#current; }
  get eventPhase() { return this.#phase; }
  get isTrusted() { return false; }
  get timeStamp() { return this.#time; }
  get cancelBubble() { return this.#stop; }
  set cancelBubble(v) { if (v) this.#stop = true; }
  composedPath() { return this.#current ? [this.#current] : []; }
  preventDefault() { if (this.#cancelable) this.#canceled = true; }
  stopPropagation() { this.#stop = true; }
  stopImmediatePropagation() { this.#stop = true; this.#stopNow = true; }
  static _begin(e, target) {
    if (e.#dispatching) throw new DOMException("the event is already being dispatched", "InvalidStateError");
    e.#dispatching = true; e.#target = target; e.#current = target; e.#phase = __AT_TARGET;
  }
  static _stopped(e) { return e.#stopNow; }
  static _end(e) { e.#dispatching = false; e.#current = null; e.#phase = __NONE; e.#stop = false; e.#stopNow = false; return !e.#canceled; }
}
for (const [k, v] of [["NONE", 0], ["CAPTURING_PHASE", 1], ["AT_TARGET", 2], ["BUBBLING_PHASE", 3]]) {
  Object.defineProperty(Event, k, { value: v });
  Object.defineProperty(Event.prototype, k, { value: v });
}
class CustomEvent extends Event {
  #detail;
  constructor(type, init = {}) {
    super(type, init);
    this.#detail = init && init.detail !== undefined ? init.detail : null;
  }
  get detail() { return this.#detail; }
}
function __listenerOptions(options) {
  if (typeof options === "boolean") return { capture: options };
  return options && typeof options === "object" ? options : {};
}
class EventTarget {
  #listeners = new __Map(); // type → [{callback, capture, once, passive, removed}]
  addEventListener(type, callback, options) {
    if (callback === null || callback === undefined) return;
    const o = __listenerOptions(options);
    const signal = o.signal;
    if (signal !== undefined && signal.aborted) return;
    type = String(type);
    const capture = !!o.capture;
    let list = this.#listeners.get(type);
    if (!list) this.#listeners.set(type, (list = []));
    if (list.some((l) => l.callback === callback && l.capture === capture)) return;
    const entry = { callback, capture, once: !!o.once, passive: !!o.passive, removed: false };
    list.push(entry);
    if (signal !== undefined) signal.addEventListener("abort", () => this.removeEventListener(type, callback, { capture }));
  }
  removeEventListener(type, callback, options) {
    const capture = !!__listenerOptions(options).capture;
    const list = this.#listeners.get(String(type));
    if (!list) return;
    const i = list.findIndex((l) => l.callback === callback && l.capture === capture);
    if (i >= 0) { list[i].removed = true; list.splice(i, 1); }
  }
  dispatchEvent(event) {
    if (!(event instanceof Event)) throw new TypeError("EventTarget.dispatchEvent: expected an Event");
    Event._begin(event, this);
    try {
      const list = this.#listeners.get(event.type);
      for (const l of list ? [...list] : []) {
        if (l.removed) continue;
        if (l.once) this.removeEventListener(event.type, l.callback, { capture: l.capture });
        try {
          if (typeof l.callback === "function") l.callback.call(this, event);
          else if (l.callback && typeof l.callback.handleEvent === "function") l.callback.handleEvent(event);
        } catch (e) {
          reportError(e);
        }
        if (Event._stopped(event)) break;
      }
    } finally {
      return Event._end(event);
    }
  }
}
// `on<type>` attribute handlers, as the abort signal's `onabort`.
function __eventHandler(proto, type) {
  const handlers = new WeakMap();
  Object.defineProperty(proto, "on" + type, {
    get() { const h = handlers.get(this); return h ? h.fn : null; },
    set(fn) {
      const h = handlers.get(this);
      if (h) this.removeEventListener(type, h.wrapper);
      if (typeof fn !== "function") { handlers.delete(this); return; }
      const wrapper = (e) => fn.call(this, e);
      handlers.set(this, { fn, wrapper });
      this.addEventListener(type, wrapper);
    },
    configurable: true,
    enumerable: true,
  });
}
globalThis.Event = Event;
globalThis.CustomEvent = CustomEvent;
globalThis.EventTarget = EventTarget;

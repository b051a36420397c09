// The native bridge of this realm, captured once and removed from the global object. Every
// native carries this realm's id to the host; the host refuses calls from other realms.
const __native = {
  log: globalThis.__tntcLog,
  start: globalThis.__tntcStart,
  cancel: globalThis.__tntcCancel,
  call: globalThis.__tntcCall,
  randomBytes: globalThis.__tntcRandomBytes,
  utf8Encode: globalThis.__tntcUtf8Encode,
  utf8Decode: globalThis.__tntcUtf8Decode,
};
for (const k of ["__tntcLog", "__tntcStart", "__tntcCancel", "__tntcCall", "__tntcRandomBytes", "__tntcUtf8Encode", "__tntcUtf8Decode"]) {
  delete globalThis[k];
}
// Intrinsics the prelude relies on, captured before node code can replace them (a node that
// overrides JSON.stringify must not be able to corrupt its own result framing).
const __JSON = { parse: JSON.parse.bind(JSON), stringify: JSON.stringify.bind(JSON) };
const __Promise = Promise;
const __Map = Map;
const __now = performance.now.bind(performance);
const LOG_LEVELS = { debug: 0, info: 1, warn: 2, error: 3 };
// Operation kinds and statuses of the host ABI (shims/abi).
const __OP = { fetch: 1, timer: 2 };
const __SERVICE = { crypto: 1, url: 2, compression: 3 };
const __OP_OK = 0;
function __formatArgs(args) {
  return args
    .map((a) => {
      if (typeof a === "string") return a;
      if (a instanceof Error) return a.stack ? `${a.name}: ${a.message}\n${a.stack}` : `${a.name}: ${a.message}`;
      try {
        const s = __JSON.stringify(a);
        return s === undefined ? String(a) : s;
      } catch (_) {
        return String(a);
      }
    })
    .join(" ");
}
// Host operations in flight: handle → what to do when the host reports completion.
const __ops = new __Map();
function __errorFromHost(meta) {
  let e;
  try { e = __JSON.parse(meta); } catch (_) { e = { name: "Error", message: String(meta) }; }
  const err = new Error(e.message);
  err.name = e.name || "Error";
  return err;
}
// Starts a host operation; resolves with {meta, body} when the host completes it.
function __startOp(op, meta, body) {
  const handle = __native.start(op, meta, body);
  const promise = new __Promise((resolve, reject) => __ops.set(handle, { resolve, reject }));
  return { handle, promise };
}
// Abandons an operation on the host (its task is dropped there: a request's connection is
// closed); `reason`, when given, rejects the operation's promise.
function __cancelOp(handle, reason) {
  const op = __ops.get(handle);
  if (op === undefined) return;
  __ops.delete(handle);
  __native.cancel(handle);
  if (arguments.length > 1 && op.reject) op.reject(reason);
}
// Called by the plugin for each completion the host reports.
function __complete(handle, status, meta, body) {
  const op = __ops.get(handle);
  if (op === undefined) return;
  __ops.delete(handle);
  if (op.timer) return op.timer();
  if (status === __OP_OK) op.resolve({ meta, body });
  else op.reject(__errorFromHost(meta));
}
// The bytes of a BufferSource (a view on them, not a copy).
function __u8(data, what) {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError(`${what}: expected an ArrayBuffer, a typed array or a DataView`);
}
// A synchronous host service: `header` (JSON), a NUL, then `parts` (byte arrays) concatenated.
// Returns the answer's bytes; a failure is rethrown as a DOMException (or a TypeError).
function __callService(service, header, parts = []) {
  const head = __native.utf8Encode(__JSON.stringify(header));
  let n = head.length + 1;
  for (const p of parts) n += p.length;
  const req = new Uint8Array(n);
  req.set(head, 0);
  let at = head.length + 1;
  for (const p of parts) { req.set(p, at); at += p.length; }
  let answer;
  try {
    answer = __native.call(service, req);
  } catch (e) {
    let info;
    try { info = __JSON.parse(e.message); } catch (_) { throw e; }
    if (info.name === "TypeError") throw new TypeError(info.message);
    throw new DOMException(info.message, info.name);
  }
  return new Uint8Array(answer);
}

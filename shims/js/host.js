// The native bridge, captured once and removed from the global object.
const __host = {
  fetch: globalThis.__tntcHostFetch,
  log: globalThis.__tntcHostLog,
  randomBytes: globalThis.__tntcRandomBytes,
};
delete globalThis.__tntcHostFetch;
delete globalThis.__tntcHostLog;
delete globalThis.__tntcRandomBytes;
// Intrinsics the prelude relies on, captured before node code can replace them (a node that
// overrides JSON.stringify must not be able to corrupt its own result framing).
const __JSON = { parse: JSON.parse.bind(JSON), stringify: JSON.stringify.bind(JSON) };
const LOG_LEVELS = { debug: 0, info: 1, warn: 2, error: 3 };
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

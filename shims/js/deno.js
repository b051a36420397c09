// A `Deno` object for code written for the original engine: harmless members work, and
// everything that would touch files, the environment, the network or processes throws.
class PermissionDenied extends Error {
  constructor(what) {
    super(`${what} is not available in the Tentacular sandbox: nodes have no file system, ` +
      `environment, sockets or subprocesses. Reach services with ctx.dependency("<name>").fetch(...), ` +
      `or set \`runtime: deno\` on this node in workflow.yaml to run it with full Deno semantics.`);
    this.name = "PermissionDenied";
  }
}
const __denyAll = (prefix, names) => Object.fromEntries(names.map((n) => [n, () => { throw new PermissionDenied(`${prefix}${n}`); }]));
globalThis.Deno = Object.freeze({
  ...__denyAll("Deno.", ["readTextFile", "readTextFileSync", "readFile", "readFileSync", "writeTextFile", "writeTextFileSync",
    "writeFile", "writeFileSync", "open", "openSync", "create", "createSync", "remove", "removeSync", "mkdir", "mkdirSync",
    "readDir", "readDirSync", "stat", "statSync", "lstat", "lstatSync", "realPath", "realPathSync", "copyFile", "rename",
    "connect", "connectTls", "listen", "listenTls", "listenDatagram", "resolveDns", "serve", "run", "kill", "exit",
    "cwd", "chdir", "execPath", "createHttpClient", "makeTempDir", "makeTempFile", "watchFs"]),
  Command: class { constructor() { throw new PermissionDenied("Deno.Command"); } },
  env: Object.freeze(__denyAll("Deno.env.", ["get", "set", "delete", "has", "toObject"])),
  errors: Object.freeze({ PermissionDenied, NotFound: class NotFound extends Error {} }),
  args: Object.freeze([]),
  build: Object.freeze({ os: "wasi", arch: "wasm32", target: "wasm32-wasip1" }),
  version: Object.freeze({ deno: "tentacular-sandbox", v8: "none", typescript: "stripped" }),
  noColor: true,
});

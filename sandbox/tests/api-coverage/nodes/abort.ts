import { check, eq } from "./check.ts";
export default (ctx: any, input: any) => check(async () => {
  const api = ctx.dependency("api");
  const name = async (p: Promise<unknown>) => { try { await p; return "resolved"; } catch (e: any) { return e.name; } };
  eq(await name(api.fetch("/slow", { signal: AbortSignal.timeout(100) })), "TimeoutError", "timeout");
  const c = new AbortController();
  const p = api.fetch("/slow", { signal: c.signal });
  c.abort();
  eq(await name(p), "AbortError", "abort");
  eq(AbortSignal.any([AbortSignal.abort(1)]).reason, 1, "any");
  eq((await (await api.fetch("/json", { signal: new AbortController().signal })).json()).hello, "world", "unaborted");
});

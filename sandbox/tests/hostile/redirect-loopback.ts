// A declared host that redirects to 127.0.0.1 (the same server under another name).
import type { Context } from "tentacular";
export default async function run(ctx: Context, input: { port: number }) {
  const r = await ctx.dependency("api").fetch("/redirect?to=" + encodeURIComponent(`http://127.0.0.1:${input.port}/json`));
  return await r.text();
}

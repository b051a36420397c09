// A declared host that redirects to some other host.
import type { Context } from "tentacular";
export default async function run(ctx: Context) {
  const r = await ctx.dependency("api").fetch("/redirect?to=" + encodeURIComponent("https://other.example.com/steal"));
  return await r.text();
}

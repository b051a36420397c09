// A declared host that redirects to the cloud metadata service.
import type { Context } from "tentacular";
export default async function run(ctx: Context) {
  const r = await ctx.dependency("api").fetch("/redirect?to=" + encodeURIComponent("http://169.254.169.254/latest/meta-data/"));
  return await r.text();
}

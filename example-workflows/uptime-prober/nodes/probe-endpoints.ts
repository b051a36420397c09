import type { Context } from "tentacular";

interface ProbeResult {
  url: string;
  status: number;
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export default async function run(ctx: Context, _input: unknown): Promise<unknown> {
  const endpoints = (ctx.config.endpoints ?? []) as string[];

  // The clock. config.fixed_time (an ISO date) pins it for reproducible runs such as the
  // fixtures: probedAt is then that time and every latency reads 0 ms.
  const fixed = typeof ctx.config.fixed_time === "string" ? Date.parse(ctx.config.fixed_time) : NaN;
  const now = () => (Number.isNaN(fixed) ? Date.now() : fixed);

  const probedAt = new Date(now()).toISOString();
  const results: ProbeResult[] = [];
  // One after another, so one slow endpoint does not skew the others' latency.
  for (const url of endpoints) {
    const start = now();
    try {
      // Legacy ctx.fetch with a full URL: no rewriting, and no secrets exist for "probe".
      // The host lets it through only to addresses and ports of the probe-targets dependency.
      const res = await ctx.fetch("probe", url, { method: "GET" });
      results.push({ url, status: res.status, ok: res.ok, latencyMs: now() - start });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      results.push({ url, status: 0, ok: false, latencyMs: now() - start, error });
    }
  }

  ctx.log.info(
    `probed ${results.length} endpoints, ${results.filter((r) => !r.ok).length} failing`,
  );
  return { results, probedAt };
}

import type { Context } from "tentacular";

interface ProbeResult {
  url: string;
  status: number;
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export default async function run(_ctx: Context, input: unknown): Promise<unknown> {
  const { results = [], probedAt = "" } = input as { results?: ProbeResult[]; probedAt?: string };

  const healthy = results.filter((r) => r.ok).map(({ url, status, latencyMs }) => ({
    url,
    status,
    latencyMs,
  }));
  const unhealthy = results
    .filter((r) => !r.ok)
    .map(({ url, status, latencyMs, error }) => ({
      url,
      status,
      latencyMs,
      error: error ?? `HTTP ${status}`,
    }));

  return {
    alert: unhealthy.length > 0,
    probedAt,
    totals: { total: results.length, healthy: healthy.length, unhealthy: unhealthy.length },
    healthy,
    unhealthy,
  };
}

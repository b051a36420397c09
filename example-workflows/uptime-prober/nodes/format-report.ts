import type { Context } from "tentacular";

interface Entry {
  url: string;
  status: number;
  latencyMs: number;
  error?: string;
}

interface Analysis {
  alert: boolean;
  probedAt: string;
  totals: { total: number; healthy: number; unhealthy: number };
  healthy: Entry[];
  unhealthy: Entry[];
}

// Network errors arrive as chains like "error sending request for url (...): client error
// (Connect): tcp connect error: Connection refused (os error 111)". Keep the last, human part.
function cleanError(message: string): string {
  const last = message.split(": ").pop() ?? message;
  const text = last.replace(/\s*\(os error \d+\)\s*$/, "").trim();
  return (text || "unknown error").slice(0, 120);
}

export default async function run(_ctx: Context, input: unknown): Promise<unknown> {
  const a = input as Analysis;
  const { total, unhealthy } = a.totals;

  const headline = a.alert
    ? `:red_circle: ${unhealthy} of ${total} endpoints are down`
    : `:large_green_circle: All ${total} endpoints are healthy`;

  const sections: string[] = [];
  if (a.unhealthy.length > 0) {
    const lines = a.unhealthy.map((e) =>
      `• ${e.url} - ${cleanError(e.error ?? `HTTP ${e.status}`)}`
    );
    sections.push(`*Unhealthy (${a.unhealthy.length})*\n${lines.join("\n")}`);
  }
  if (a.healthy.length > 0) {
    const lines = a.healthy.map((e) => `• ${e.url} - ${e.status} in ${e.latencyMs} ms`);
    sections.push(`*Healthy (${a.healthy.length})*\n${lines.join("\n")}`);
  }

  return { alert: a.alert, probedAt: a.probedAt, totals: a.totals, headline, sections };
}

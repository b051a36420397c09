import type { Context } from "tentacular";

interface HealthRecord {
  collectedAt: string;
  totalNodes: number;
  readyNodes: number;
  totalPods: number;
  problemPodCount: number;
  healthyPct: number;
}

interface History {
  records?: HealthRecord[];
  periodStart?: string | null;
  periodEnd?: string | null;
}

interface Stats {
  snapshotCount: number;
  avgHealthyPct: number | null;
  minHealthyPct: number | null;
  maxProblemPods: number;
  nodeDownEvents: number;
  podRange: { min: number; max: number } | null;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

function computeStats(records: HealthRecord[]): Stats {
  if (records.length === 0) {
    return {
      snapshotCount: 0,
      avgHealthyPct: null,
      minHealthyPct: null,
      maxProblemPods: 0,
      nodeDownEvents: 0,
      podRange: null,
    };
  }
  const pcts = records.map((r) => r.healthyPct);
  const pods = records.map((r) => r.totalPods);
  // A node-down event starts whenever the ready-node count drops below the total.
  let nodeDownEvents = 0;
  let wasDown = false;
  for (const r of records) {
    const down = r.readyNodes < r.totalNodes;
    if (down && !wasDown) nodeDownEvents++;
    wasDown = down;
  }
  return {
    snapshotCount: records.length,
    avgHealthyPct: round2(pcts.reduce((a, b) => a + b, 0) / pcts.length),
    minHealthyPct: Math.min(...pcts),
    maxProblemPods: Math.max(...records.map((r) => r.problemPodCount)),
    nodeDownEvents,
    podRange: { min: Math.min(...pods), max: Math.max(...pods) },
  };
}

function statsSummary(s: Stats): string {
  if (s.snapshotCount === 0) return "No cluster health snapshots were recorded in this period.";
  const events = s.nodeDownEvents === 1
    ? "1 node-down event"
    : `${s.nodeDownEvents} node-down events`;
  return `Across ${s.snapshotCount} snapshots, ${s.avgHealthyPct}% of pods were healthy on average ` +
    `(minimum ${s.minHealthyPct}%). At most ${s.maxProblemPods} problem pods at once; ${events}; ` +
    `${s.podRange!.min}-${s.podRange!.max} pods in total.`;
}

// At most `max` records, evenly spread, to keep the prompt small (288 snapshots a day).
function sample<T>(items: T[], max: number): T[] {
  const step = Math.ceil(items.length / max);
  return items.filter((_, i) => i % step === 0);
}

export default async function run(ctx: Context, input: unknown): Promise<unknown> {
  const { records = [], periodStart = null, periodEnd = null } = input as History;
  const stats = computeStats(records);
  const result = (summary: string, summarySource: "claude" | "stats") => ({
    periodStart,
    periodEnd,
    stats,
    summary,
    summarySource,
  });

  if (records.length === 0) return result(statsSummary(stats), "stats");

  const anthropic = ctx.dependency("anthropic");
  if (!anthropic.secret) {
    ctx.log.warn("anthropic.api_key is not set; statistics-only summary");
    return result(statsSummary(stats), "stats");
  }

  const line = (r: HealthRecord) =>
    `${r.collectedAt} nodes ${r.readyNodes}/${r.totalNodes} pods ${r.totalPods} ` +
    `problem ${r.problemPodCount} healthy ${r.healthyPct}%`;
  const timeline = sample(records, 48).map(line).join("\n");
  const prompt = [
    `You are reviewing ${stats.snapshotCount} health snapshots of a Kubernetes cluster`,
    `taken from ${periodStart} to ${periodEnd}.`,
    `Statistics: ${JSON.stringify(stats)}`,
    "Timeline (sampled):",
    timeline,
    "",
    "In at most 5 sentences of Slack markdown, say how healthy the cluster was, point out",
    "trends or incidents worth a look, and suggest one follow-up if anything looks wrong.",
  ].join("\n");

  try {
    // api-key auth: x-api-key carries the placeholder for anthropic.api_key.
    const res = await anthropic.fetch("/v1/messages", {
      method: "POST",
      headers: {
        "x-api-key": anthropic.secret,
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
      },
      body: JSON.stringify({
        model: String(ctx.config.model ?? "claude-haiku-4-5-20251001"),
        max_tokens: 512,
        messages: [{ role: "user", content: prompt }],
      }),
    });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const data = (await res.json()) as { content?: { type: string; text?: string }[] };
    const text = (data.content ?? [])
      .filter((c) => c.type === "text" && c.text)
      .map((c) => c.text)
      .join("\n")
      .trim();
    if (!text) throw new Error("empty reply");
    return result(text, "claude");
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    ctx.log.warn(`Claude summary failed (${why}); statistics-only summary`);
    return result(statsSummary(stats), "stats");
  }
}

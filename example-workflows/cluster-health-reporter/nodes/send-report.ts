import type { Context } from "tentacular";

interface Analysis {
  periodStart: string | null;
  periodEnd: string | null;
  stats: {
    snapshotCount: number;
    avgHealthyPct: number | null;
    minHealthyPct: number | null;
    maxProblemPods: number;
    nodeDownEvents: number;
    podRange: { min: number; max: number } | null;
  };
  summary: string;
  summarySource: "claude" | "stats";
}

const LEVELS = {
  green: { color: "#2eb67d", emoji: ":large_green_circle:", label: "healthy" },
  yellow: { color: "#ecb22e", emoji: ":large_yellow_circle:", label: "degraded" },
  red: { color: "#e01e5a", emoji: ":red_circle:", label: "unhealthy" },
};

// Average share of healthy pods: >= 99% green, >= 95% yellow, below that red.
// No data at all is yellow: something is wrong with the collector.
function level(avg: number | null): keyof typeof LEVELS {
  if (avg === null) return "yellow";
  if (avg >= 99) return "green";
  if (avg >= 95) return "yellow";
  return "red";
}

// "2025-01-14T15:00:00.000Z", "2025-01-15T15:00:00.000Z" -> "2025-01-14 15:00 UTC to 2025-01-15 15:00 UTC"
function period(start: string | null, end: string | null): string {
  const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
  return start && end ? `${utc(start)} to ${utc(end)}` : "period unknown";
}

export default async function run(ctx: Context, input: unknown): Promise<unknown> {
  const a = input as Analysis;
  const s = a.stats;
  const lvl = level(s.avgHealthyPct);
  const { color, emoji } = LEVELS[lvl];
  const label = s.snapshotCount === 0 ? "no data" : LEVELS[lvl].label;
  const pct = (n: number | null) => (n === null ? "n/a" : `${n}%`);
  const field = (title: string, value: string) => ({
    type: "mrkdwn",
    text: `*${title}*\n${value}`,
  });

  const message = {
    text: `${emoji} Cluster health, last 24 hours: ${label}`,
    attachments: [{
      color,
      blocks: [
        {
          type: "header",
          text: { type: "plain_text", text: "Cluster health report - last 24 hours" },
        },
        {
          type: "section",
          fields: [
            field("Avg healthy pods", pct(s.avgHealthyPct)),
            field("Min healthy pods", pct(s.minHealthyPct)),
            field("Max problem pods", String(s.maxProblemPods)),
            field("Node-down events", String(s.nodeDownEvents)),
            field("Pods", s.podRange ? `${s.podRange.min}-${s.podRange.max}` : "n/a"),
            field("Snapshots", String(s.snapshotCount)),
          ],
        },
        { type: "section", text: { type: "mrkdwn", text: a.summary } },
        {
          type: "context",
          elements: [{
            type: "mrkdwn",
            text: `${period(a.periodStart, a.periodEnd)} | ` +
              (a.summarySource === "claude" ? "summary by Claude" : "statistics only"),
          }],
        },
      ],
    }],
  };

  const slack = ctx.dependency("slack");
  if (!slack.secret) {
    ctx.log.info("slack.webhook_url is not set; skipping the report");
    return { delivered: false, status: 0, level: lvl, message };
  }

  // webhook-url auth: the node posts to the path "" and the host sends the request to the
  // secret webhook URL (on hooks.slack.com); the URL itself never enters the sandbox.
  const res = await slack.fetch("", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(message),
  });
  if (!res.ok) ctx.log.warn(`Slack answered HTTP ${res.status}`);
  return { delivered: res.ok, status: res.status, level: lvl, message };
}

import type { Context } from "tentacular";

interface Report {
  alert: boolean;
  probedAt: string;
  headline: string;
  sections: string[];
}

// Start of a US daylight-saving boundary: the nth Sunday of a month at a given UTC hour.
function nthSundayUtc(year: number, month: number, n: number, hourUtc: number): number {
  const firstDay = new Date(Date.UTC(year, month, 1)).getUTCDay();
  const firstSunday = 1 + ((7 - firstDay) % 7);
  return Date.UTC(year, month, firstSunday + 7 * (n - 1), hourUtc);
}

// "2025-06-01 05:00 PDT". Written out by hand: the sandbox has no Intl time zones.
function pacificTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const year = new Date(t).getUTCFullYear();
  // DST runs from the 2nd Sunday of March 02:00 PST to the 1st Sunday of November 02:00 PDT.
  const dst = t >= nthSundayUtc(year, 2, 2, 10) && t < nthSundayUtc(year, 10, 1, 9);
  const local = new Date(t + (dst ? -7 : -8) * 3600 * 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())} ${dst ? "PDT" : "PST"}`;
}

export default async function run(ctx: Context, input: unknown): Promise<unknown> {
  const report = input as Report;
  const clusterId = String(ctx.config.cluster_id ?? "unknown");

  const message = {
    text: report.headline, // shown in notifications
    attachments: [{
      color: report.alert ? "#e01e5a" : "#2eb67d",
      blocks: [
        { type: "header", text: { type: "plain_text", text: `Uptime report - ${clusterId}` } },
        { type: "section", text: { type: "mrkdwn", text: report.headline } },
        ...report.sections.map((s) => ({ type: "section", text: { type: "mrkdwn", text: s } })),
        {
          type: "context",
          elements: [{
            type: "mrkdwn",
            text: `Cluster *${clusterId}* | probed ${pacificTime(report.probedAt)}`,
          }],
        },
      ],
    }],
  };

  const slack = ctx.dependency("slack");
  if (!slack.secret) {
    ctx.log.info("slack.webhook_url is not set; skipping notification");
    return { delivered: false, status: 0, alert: report.alert, message };
  }

  // webhook-url auth: the node posts to the path "" and the host sends the request to the
  // secret webhook URL (on hooks.slack.com); the URL itself never enters the sandbox.
  const res = await slack.fetch("", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(message),
  });
  if (!res.ok) ctx.log.warn(`Slack answered HTTP ${res.status}`);
  return { delivered: res.ok, status: res.status, alert: report.alert, message };
}

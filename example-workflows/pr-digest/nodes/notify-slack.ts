import type { Context } from "tentacular";

export default async function run(ctx: Context, input: unknown): Promise<unknown> {
  const { repo = "", summary = "", prCount = 0 } = input as {
    repo?: string;
    summary?: string;
    prCount?: number;
  };
  const slack = ctx.dependency("slack");

  if (!slack.secret) {
    ctx.log.info("slack.webhook_url is not set; skipping notification");
    return { delivered: false, status: 0 };
  }

  // webhook-url auth: the secret is the whole webhook URL. The node posts to the path ""
  // and the host sends the request to the secret URL (on hooks.slack.com).
  const res = await slack.fetch("", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text: `*Open PRs in ${repo}* (${prCount})\n${summary}` }),
  });
  if (!res.ok) ctx.log.warn(`Slack answered HTTP ${res.status}`);
  return { delivered: res.ok, status: res.status };
}

import type { Context } from "tentacular";

export default async function run(ctx: Context, input: unknown): Promise<unknown> {
  const { title = "", summary = "" } = input as { title?: string; summary?: string };
  const slack = ctx.dependency("slack");

  // No webhook configured: nothing to deliver (a normal state for local runs and tests).
  if (!slack.secret) {
    ctx.log.info("slack.webhook_url is not set; skipping notification");
    return { delivered: false, status: 0 };
  }

  // webhook-url auth: the secret is the whole webhook URL. The node never sees it; it posts
  // to the path "" and the host sends the request to the secret URL, which must be on the
  // dependency's host (hooks.slack.com).
  const res = await slack.fetch("", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text: `*${title}*\n${summary}` }),
  });
  if (!res.ok) ctx.log.warn(`Slack answered HTTP ${res.status}`);
  return { delivered: res.ok, status: res.status };
}

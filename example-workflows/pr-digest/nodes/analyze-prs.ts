import type { Context } from "tentacular";

interface Pr {
  number: number;
  title: string;
  author: string;
  draft: boolean;
  labels: string[];
}

function plainList(prs: Pr[]): string {
  return prs
    .map((pr) => `• #${pr.number} ${pr.title} (@${pr.author})${pr.draft ? " [draft]" : ""}`)
    .join("\n");
}

export default async function run(ctx: Context, input: unknown): Promise<unknown> {
  const { prs = [], repo = String(ctx.config.repo ?? "") } = input as { prs?: Pr[]; repo?: string };

  if (prs.length === 0) {
    return { repo, summary: "No open pull requests.", prCount: 0 };
  }

  const anthropic = ctx.dependency("anthropic");
  if (!anthropic.secret) {
    ctx.log.warn("anthropic.api_key is not set; sending the plain list");
    return { repo, summary: plainList(prs), prCount: prs.length };
  }

  const prompt = [
    `Here are the ${prs.length} most recently updated open pull requests of ${repo}.`,
    "Write a short digest for a team Slack channel: group related work, call out anything",
    "that looks urgent or blocked, and keep it under 12 lines of Slack markdown.",
    "",
    ...prs.map((pr) =>
      `#${pr.number} ${pr.title} by @${pr.author}${pr.draft ? " (draft)" : ""}` +
      (pr.labels.length ? ` [${pr.labels.join(", ")}]` : "")
    ),
  ].join("\n");

  // api-key auth: the x-api-key header carries the placeholder for anthropic.api_key.
  const res = await anthropic.fetch("/v1/messages", {
    method: "POST",
    headers: {
      "x-api-key": anthropic.secret,
      "anthropic-version": "2023-06-01",
      "content-type": "application/json",
    },
    body: JSON.stringify({
      model: String(ctx.config.model ?? "claude-haiku-4-5-20251001"),
      max_tokens: 1024,
      messages: [{ role: "user", content: prompt }],
    }),
  });

  if (!res.ok) {
    ctx.log.warn(`Anthropic answered HTTP ${res.status}; sending the plain list`);
    return { repo, summary: plainList(prs), prCount: prs.length };
  }

  const data = (await res.json()) as { content?: { type: string; text?: string }[] };
  const text = (data.content ?? [])
    .filter((c) => c.type === "text" && c.text)
    .map((c) => c.text)
    .join("\n")
    .trim();

  return { repo, summary: text || "No summary generated", prCount: prs.length };
}

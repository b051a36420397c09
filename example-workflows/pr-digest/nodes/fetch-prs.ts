import type { Context } from "tentacular";

interface PullRequest {
  number: number;
  title: string;
  html_url: string;
  draft?: boolean;
  user?: { login?: string } | null;
  labels?: { name: string }[];
  created_at: string;
  updated_at: string;
}

export default async function run(ctx: Context, _input: unknown): Promise<unknown> {
  const github = ctx.dependency("github");
  const repo = String(ctx.config.repo ?? "denoland/deno");

  const headers: Record<string, string> = {
    "Accept": "application/vnd.github+json",
    "User-Agent": "tentacular-pr-digest",
  };
  // Placeholder for github.token; the host swaps the real token in for api.github.com only.
  if (github.secret) headers["Authorization"] = `Bearer ${github.secret}`;

  const res = await github.fetch(`/repos/${repo}/pulls?state=open&per_page=10&sort=updated`, {
    headers,
  });
  if (!res.ok) throw new Error(`GitHub /repos/${repo}/pulls: HTTP ${res.status}`);

  const body: unknown = await res.json();
  if (!Array.isArray(body)) {
    ctx.log.warn("GitHub did not return a list of pull requests");
    return { prs: [], repo };
  }

  const prs = (body as PullRequest[]).map((pr) => ({
    number: pr.number,
    title: pr.title,
    author: pr.user?.login ?? "unknown",
    url: pr.html_url,
    draft: pr.draft ?? false,
    labels: (pr.labels ?? []).map((l) => l.name),
    createdAt: pr.created_at,
    updatedAt: pr.updated_at,
  }));

  ctx.log.info(`fetched ${prs.length} open pull requests of ${repo}`);
  return { prs, repo };
}

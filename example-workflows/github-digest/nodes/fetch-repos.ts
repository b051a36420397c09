import type { Context } from "tentacular";

interface Repo {
  name: string;
  description: string | null;
  stargazers_count: number;
}

export default async function run(ctx: Context, _input: unknown): Promise<unknown> {
  const github = ctx.dependency("github");
  const user = String(ctx.config.github_user ?? "denoland");

  const headers: Record<string, string> = {
    "Accept": "application/vnd.github+json",
    "User-Agent": "tentacular-github-digest",
  };
  // dep.secret is a placeholder that the host replaces with the token on requests to
  // api.github.com only; without a token the request goes out unauthenticated.
  if (github.secret) headers["Authorization"] = `Bearer ${github.secret}`;

  // The search API, because /users/<user>/repos cannot sort by stars.
  const path = `/search/repositories?q=user:${
    encodeURIComponent(user)
  }&sort=stars&order=desc&per_page=5`;
  const res = await github.fetch(path, { headers });
  if (!res.ok) throw new Error(`GitHub repository search for ${user}: HTTP ${res.status}`);

  const body = (await res.json()) as { items?: unknown };
  if (!Array.isArray(body?.items)) {
    ctx.log.warn("GitHub did not return a list of repositories");
    return { repos: [] };
  }

  const repos = (body.items as Repo[]).map((r) => ({
    name: r.name,
    description: r.description ?? "",
    stars: r.stargazers_count ?? 0,
  }));

  ctx.log.info(`fetched ${repos.length} repositories of ${user}`);
  return { repos };
}

import type { Context } from "tentacular";

interface Repo {
  name: string;
  description: string;
  stars: number;
}

export default async function run(ctx: Context, input: unknown): Promise<unknown> {
  const repos = ((input as { repos?: Repo[] })?.repos ?? []) as Repo[];
  const user = String(ctx.config.github_user ?? "denoland");

  const title = `GitHub digest: top ${repos.length} repositories of ${user}`;
  const summary = repos.length === 0 ? "No repositories found." : repos
    .map((r) => `• ${r.name} (★ ${r.stars})${r.description ? ` - ${r.description}` : ""}`)
    .join("\n");

  return { title, summary, repoCount: repos.length };
}

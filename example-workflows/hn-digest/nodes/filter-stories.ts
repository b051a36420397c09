import type { Context } from "tentacular";

interface Story {
  id: number;
  title: string;
  url: string;
  score: number;
  by: string;
  descendants: number;
}

export default async function run(ctx: Context, input: unknown): Promise<unknown> {
  const all = ((input as { stories?: Story[] })?.stories ?? []) as Story[];
  const minScore = Number(ctx.config.min_score ?? 50);

  const stories = all.filter((s) => s.score >= minScore).sort((a, b) => b.score - a.score);

  ctx.log.info(`kept ${stories.length} of ${all.length} stories with score >= ${minScore}`);
  // `filtered` is the number of stories that passed the filter.
  return { stories, filtered: stories.length };
}

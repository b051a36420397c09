import type { Context } from "tentacular";

interface Story {
  title: string;
  url: string;
  score: number;
  by: string;
  descendants: number;
}

export default async function run(_ctx: Context, input: unknown): Promise<unknown> {
  const stories = ((input as { stories?: Story[] })?.stories ?? []) as Story[];

  if (stories.length === 0) {
    return { digest: "Hacker News Digest\n\nNo stories met the minimum score.", count: 0 };
  }

  const lines = stories.map((s, i) =>
    `${i + 1}. ${s.title}\n   ${s.score} points by ${s.by} | ${s.descendants} comments\n   ${s.url}`
  );
  const digest = `Hacker News Digest - ${stories.length} top stories\n\n${lines.join("\n\n")}`;
  return { digest, count: stories.length };
}

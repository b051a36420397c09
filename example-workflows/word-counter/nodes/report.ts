import type { Context } from "tentacular";

export default async function run(_ctx: Context, input: unknown): Promise<unknown> {
  const { words = [], counts = {} } = input as {
    words?: string[];
    counts?: Record<string, number>;
  };
  // Highest count first; Array.prototype.sort is stable, so ties keep first-seen order.
  const topWords = Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([word, count]) => ({ word, count }));
  return { totalWords: words.length, uniqueWords: Object.keys(counts).length, topWords };
}

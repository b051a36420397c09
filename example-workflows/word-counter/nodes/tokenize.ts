import type { Context } from "tentacular";

export default async function run(_ctx: Context, input: unknown): Promise<unknown> {
  const text = String((input as { text?: unknown })?.text ?? "");
  const words = text.toLowerCase().split(/\s+/).filter((w) => w.length > 0);
  const counts: Record<string, number> = {};
  for (const word of words) counts[word] = (counts[word] ?? 0) + 1;
  return { words, counts };
}

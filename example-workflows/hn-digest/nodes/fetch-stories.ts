import type { Context } from "tentacular";

const MAX_STORIES = 10;

interface Item {
  id: number;
  type?: string;
  title?: string;
  url?: string;
  score?: number;
  by?: string;
  descendants?: number;
}

export default async function run(ctx: Context, _input: unknown): Promise<unknown> {
  const hn = ctx.dependency("hn");

  const res = await hn.fetch("/v0/topstories.json");
  if (!res.ok) throw new Error(`topstories.json: HTTP ${res.status}`);
  const ids: unknown = await res.json();
  // Anything but an array of ids (e.g. the test runner's generic mock answer) means no stories.
  if (!Array.isArray(ids)) {
    ctx.log.warn("topstories.json did not return an array; no stories");
    return { stories: [] };
  }

  const items = await Promise.all(
    ids.slice(0, MAX_STORIES).map(async (id) => {
      const r = await hn.fetch(`/v0/item/${id}.json`);
      if (!r.ok) {
        ctx.log.warn(`item ${id}: HTTP ${r.status}, skipped`);
        return null;
      }
      return (await r.json()) as Item | null; // deleted items come back as null
    }),
  );

  const stories = items
    .filter((item): item is Item => item !== null && typeof item === "object")
    .map((item) => ({
      id: item.id,
      title: item.title ?? "(untitled)",
      // Ask HN and other text posts have no url: link to the discussion instead.
      url: item.url ?? `https://news.ycombinator.com/item?id=${item.id}`,
      score: item.score ?? 0,
      by: item.by ?? "unknown",
      descendants: item.descendants ?? 0,
    }));

  ctx.log.info(`fetched ${stories.length} stories`);
  return { stories };
}

import type { Context } from "tentacular";

// The sentence every run counts. The input is ignored, so `POST /run` with `{}` works.
const TEXT = "the quick brown fox jumps over the lazy dog and the dog sleeps while the fox runs";

export default async function run(_ctx: Context, _input: unknown): Promise<unknown> {
  return { text: TEXT };
}

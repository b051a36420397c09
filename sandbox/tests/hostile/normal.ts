// The well-behaved node run after every attack.
export default async function run(_ctx: unknown, input: { n?: number }) {
  return { ok: true, polluted: ({} as Record<string, unknown>).polluted ?? null, n: input?.n ?? 0, json: JSON.stringify({ a: 1 }) };
}

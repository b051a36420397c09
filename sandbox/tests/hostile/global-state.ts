// State set in one run must not be visible in the next.
let moduleCounter = 0;
export default async function run() {
  // deno-lint-ignore no-explicit-any
  const g = globalThis as any;
  g.counter = (g.counter ?? 0) + 1;
  moduleCounter += 1;
  const seenLeak = g.leakedByOtherNode ?? null;
  g.leakedByOtherNode = "from global-state";
  return { counter: g.counter, moduleCounter, seenLeak };
}

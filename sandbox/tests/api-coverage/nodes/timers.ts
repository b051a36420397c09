import { check, eq } from "./check.ts";
export default () => check(async () => {
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 50));
  if (performance.now() - t0 < 49) throw new Error("setTimeout did not wait");
  let n = 0;
  await new Promise<void>((r) => { const id = setInterval(() => { if (++n === 3) { clearInterval(id); r(); } }, 5); });
  const order: number[] = [];
  queueMicrotask(() => order.push(1));
  await null;
  eq([n, order], [3, [1]], "interval/microtask");
});

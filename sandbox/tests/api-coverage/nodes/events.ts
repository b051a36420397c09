import { check, eq } from "./check.ts";
export default () => check(() => {
  const t = new EventTarget();
  const got: unknown[] = [];
  t.addEventListener("x", (e: any) => got.push(e.detail), { once: true });
  t.dispatchEvent(new CustomEvent("x", { detail: 1 }));
  t.dispatchEvent(new CustomEvent("x", { detail: 2 }));
  eq(got, [1], "once");
  const e = new Event("c", { cancelable: true });
  t.addEventListener("c", (ev) => ev.preventDefault());
  eq(t.dispatchEvent(e), false, "canceled");
  eq([new DOMException("m", "AbortError").code, new DOMException("m", "AbortError") instanceof Error], [20, true], "DOMException");
});

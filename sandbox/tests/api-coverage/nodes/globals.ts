import { check, eq } from "./check.ts";
export default () => check(() => {
  for (const m of ["table", "dir", "assert", "count", "time", "timeEnd", "group", "groupEnd"]) {
    if (typeof (console as any)[m] !== "function") throw new Error(`console.${m} missing`);
  }
  console.table([{ a: 1 }]);
  reportError(new Error("reported on purpose"));
  eq([typeof navigator.userAgent, typeof WeakRef, typeof FinalizationRegistry], ["string", "function", "function"], "globals");
  eq(structuredClone({ a: [1, new Map([[1, 2]]).size] }), { a: [1, 1] }, "structuredClone");
  eq(atob(btoa("hi")), "hi", "base64");
});

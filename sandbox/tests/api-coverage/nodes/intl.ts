import { check, eq } from "./check.ts";
export default () => check(() => {
  eq((1234.5).toLocaleString("en-US"), "1,234.5", "number");
  eq(new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(3), "$3.00", "currency");
  eq(new Date(Date.UTC(2026, 11, 2)).toLocaleDateString(), "12/2/2026", "date");
  eq(["b", "A", "a"].sort(new Intl.Collator().compare), ["a", "A", "b"], "collator");
  let refused = "";
  try { (1).toLocaleString("fr-FR"); } catch (e: any) { refused = e.name; }
  eq(refused, "NotSupportedError", "other locales are refused");
});

// Runs `body`; {api: "ok"} when every assertion held, else {api: "<the error>"}.
export async function check(body: () => Promise<void> | void): Promise<{ api: string }> {
  try {
    await body();
    return { api: "ok" };
  } catch (e: any) {
    return { api: `${e?.name ?? "Error"}: ${e?.message ?? String(e)}` };
  }
}
export function eq(got: unknown, want: unknown, what: string) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`);
}

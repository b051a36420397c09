// Node-style environment access.
export default async function run() {
  // deno-lint-ignore no-explicit-any
  return { home: (globalThis as any).process.env.HOME };
}

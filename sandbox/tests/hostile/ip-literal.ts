// The dependency is declared as "localhost"; the same server by IP literal is another host.
import type { Context } from "tentacular";
export default async function run(ctx: Context, input: { port: number }) {
  return (await fetch(`http://127.0.0.1:${input.port}/json`)).status;
}

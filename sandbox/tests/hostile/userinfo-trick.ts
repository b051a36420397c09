// Smuggles another host through the userinfo part of a URL, two ways.
import type { Context } from "tentacular";
export default async function run(ctx: Context, input: { port: number }) {
  // 1. As a dependency "path": http://localhost:PORT@evil.example.com/ — refused as a non-path.
  let first = "not refused";
  try {
    await ctx.dependency("api").fetch("@evil.example.com/");
  } catch (e) {
    first = (e as Error).name;
  }
  if (first !== "NotPermitted") return { first };
  // 2. As a full URL whose userinfo looks like the declared host.
  return (await fetch(`http://localhost:${input.port}@evil.example.com/`)).status;
}

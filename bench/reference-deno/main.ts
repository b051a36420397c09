// bench/reference-deno: a baseline for the benchmarks, not a product. One Deno process runs
// a workflow's node files for every POST /run with no isolation between nodes or runs, as
// the original engine did. See README.md.
//
//   deno run --allow-read --allow-net main.ts --workflow DIR [--port 18090] [--bind 127.0.0.1]
//            [--quiet]  < {"spec": <workflow.yaml as JSON>, "secrets": <.secrets.yaml as JSON>}
// (run.sh does the YAML → JSON conversion and starts it.)
import { Workflow } from "./executor.ts";
import type { Spec } from "./spec.ts";

function arg(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

const dir = arg("workflow");
if (!dir) {
  console.error(
    'usage: main.ts --workflow DIR [--port N] [--bind ADDR] [--quiet] < {"spec": …, "secrets": …}',
  );
  Deno.exit(2);
}
const stdin = JSON.parse(await new Response(Deno.stdin.readable).text());
const spec: Spec = stdin.spec;
const secrets: Record<string, Record<string, string>> = stdin.secrets ?? {};
const quiet = Deno.args.includes("--quiet");
const workflow = await Workflow.load(await Deno.realPath(dir), spec, secrets, quiet);
const port = Number(arg("port") ?? 18090);
const hostname = arg("bind") ?? "127.0.0.1";

const json = (status: number, body: unknown, pretty = false) =>
  new Response(pretty ? JSON.stringify(body, null, 2) : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });

Deno.serve(
  { port, hostname, onListen: ({ port }) => console.error(`listening on ${hostname}:${port}`) },
  async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/health") return json(200, { status: "ok" });
    if (path === "/run" && (req.method === "POST" || req.method === "GET")) {
      let input: unknown = {};
      if (req.method === "POST") {
        try {
          input = JSON.parse(await req.text());
        } catch {
          input = {};
        }
      }
      try {
        const result = await workflow.run(input);
        return json(result.success ? 200 : 500, result, true);
      } catch (e) {
        return json(500, { error: e instanceof Error ? e.message : String(e) });
      }
    }
    return new Response("Not Found", { status: 404 });
  },
);

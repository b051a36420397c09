// Runs under Deno compatibility mode (runtime: deno): it speaks the Postgres wire protocol
// through the npm package `postgres` (postgres.js), which needs a TCP socket the sandbox does
// not give. The package is locked in the workflow's deno.lock and comes from the Deno cache,
// never from the network at run time (`tntc deno-cache` fills the cache).
import type { Context } from "tentacular";
import postgres from "npm:postgres@3.4.9";

const PERIOD_HOURS = 24;

interface Row {
  collected_at: Date;
  total_nodes: number;
  ready_nodes: number;
  total_pods: number;
  running_pods: number;
  problem_pod_count: number;
  healthy_pct: number;
}

export default async function run(ctx: Context, _input: unknown): Promise<unknown> {
  const pg = ctx.dependency("postgres");
  if (!pg.secret) {
    ctx.log.warn("postgres.password is not set; no history to report");
    return {
      records: [],
      periodStart: null,
      periodEnd: null,
      snapshotCount: 0,
      skipped: true,
      reason: "postgres.password is not set",
    };
  }

  const periodEnd = new Date();
  const periodStart = new Date(periodEnd.getTime() - PERIOD_HOURS * 3600 * 1000);

  const sql = postgres({
    host: pg.host,
    port: pg.port,
    database: pg.database,
    username: pg.user,
    password: pg.secret,
    ssl: false,
    max: 1,
    connect_timeout: 10,
    onnotice: (n: { message?: string }) => ctx.log.info(`postgres: ${n.message}`),
    connection: { application_name: "cluster-health-reporter" },
  });
  try {
    const rows = await sql<Row[]>`
      SELECT collected_at, total_nodes, ready_nodes, total_pods, running_pods,
             problem_pod_count, healthy_pct
        FROM cluster_health_snapshots
       WHERE collected_at >= ${periodStart} AND collected_at <= ${periodEnd}
       ORDER BY collected_at`;
    const records = rows.map((r) => ({
      collectedAt: new Date(r.collected_at).toISOString(),
      totalNodes: r.total_nodes,
      readyNodes: r.ready_nodes,
      totalPods: r.total_pods,
      runningPods: r.running_pods,
      problemPodCount: r.problem_pod_count,
      healthyPct: Number(r.healthy_pct),
    }));
    ctx.log.info(`read ${records.length} snapshots`);
    return {
      records,
      periodStart: periodStart.toISOString(),
      periodEnd: periodEnd.toISOString(),
      snapshotCount: records.length,
    };
  } finally {
    await sql.end();
  }
}

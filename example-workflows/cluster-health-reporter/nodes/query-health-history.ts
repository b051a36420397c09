// Runs under Deno compatibility mode (runtime: deno): it talks to Postgres with the
// jsr:@db/postgres driver, which the sandbox cannot load.
import type { Context } from "tentacular";

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

  // Imported here, not at the top, so that runs without a database never load the driver.
  const { Client } = await import("jsr:@db/postgres@0.19.5");
  const client = new Client({
    hostname: pg.host,
    port: pg.port,
    database: pg.database,
    user: pg.user,
    password: pg.secret,
    tls: { enabled: false },
  });
  await client.connect();
  try {
    const result = await client.queryObject<Row>(
      `SELECT collected_at, total_nodes, ready_nodes, total_pods, running_pods,
              problem_pod_count, healthy_pct
         FROM cluster_health_snapshots
        WHERE collected_at >= $1 AND collected_at <= $2
        ORDER BY collected_at`,
      [periodStart.toISOString(), periodEnd.toISOString()],
    );
    const records = result.rows.map((r) => ({
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
    await client.end();
  }
}

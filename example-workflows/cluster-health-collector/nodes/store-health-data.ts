// Runs under Deno compatibility mode (runtime: deno): it talks to Postgres with the
// jsr:@db/postgres driver, which the sandbox cannot load.
import type { Context } from "tentacular";

interface Snapshot {
  skipped?: boolean;
  reason?: string;
  collectedAt: string;
  summary: {
    totalNodes: number;
    readyNodes: number;
    totalPods: number;
    runningPods: number;
    problemPodCount: number;
    namespaceCount: number;
    healthyPct: number;
  };
}

const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS cluster_health_snapshots (
    id                SERIAL PRIMARY KEY,
    collected_at      TIMESTAMPTZ NOT NULL,
    total_nodes       INTEGER NOT NULL,
    ready_nodes       INTEGER NOT NULL,
    total_pods        INTEGER NOT NULL,
    running_pods      INTEGER NOT NULL,
    problem_pod_count INTEGER NOT NULL,
    namespace_count   INTEGER NOT NULL,
    healthy_pct       DOUBLE PRECISION NOT NULL,
    snapshot          JSONB NOT NULL
  )`;
const CREATE_INDEX = `
  CREATE INDEX IF NOT EXISTS cluster_health_snapshots_collected_at_idx
    ON cluster_health_snapshots (collected_at DESC)`;

export default async function run(ctx: Context, input: unknown): Promise<unknown> {
  const snap = input as Snapshot;
  if (snap.skipped) {
    return { stored: false, skipped: true, reason: `nothing collected: ${snap.reason}` };
  }

  const pg = ctx.dependency("postgres");
  if (!pg.secret) {
    ctx.log.warn("postgres.password is not set; snapshot not stored");
    return { stored: false, skipped: true, reason: "postgres.password is not set" };
  }

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
    await client.queryArray(CREATE_TABLE);
    await client.queryArray(CREATE_INDEX);
    const s = snap.summary;
    const result = await client.queryObject<{ id: number }>(
      `INSERT INTO cluster_health_snapshots
         (collected_at, total_nodes, ready_nodes, total_pods, running_pods,
          problem_pod_count, namespace_count, healthy_pct, snapshot)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       RETURNING id`,
      [
        snap.collectedAt,
        s.totalNodes,
        s.readyNodes,
        s.totalPods,
        s.runningPods,
        s.problemPodCount,
        s.namespaceCount,
        s.healthyPct,
        JSON.stringify(snap),
      ],
    );
    const rowId = result.rows[0]?.id;
    ctx.log.info(`stored snapshot ${rowId}`);
    return { stored: true, rowId };
  } finally {
    await client.end();
  }
}

// Runs under Deno compatibility mode (runtime: deno): it speaks the Postgres wire protocol
// through the npm package `postgres` (postgres.js), which needs a TCP socket the sandbox does
// not give. The package is locked in the workflow's deno.lock and comes from the Deno cache, never from
// the network at run time (`tntc deno-cache` fills the cache).
import type { Context } from "tentacular";
import postgres from "npm:postgres@3.4.9";

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

  const sql = postgres({
    host: pg.host,
    port: pg.port,
    database: pg.database,
    username: pg.user,
    password: pg.secret,
    ssl: false,
    max: 1,
    connect_timeout: 10,
    // The driver prints server notices ("relation already exists, skipping") on stdout.
    onnotice: (n: { message?: string }) => ctx.log.info(`postgres: ${n.message}`),
    connection: { application_name: "cluster-health-collector" },
  });
  try {
    await sql.unsafe(CREATE_TABLE);
    await sql.unsafe(CREATE_INDEX);
    const s = snap.summary;
    const [row] = await sql<{ id: number }[]>`
      INSERT INTO cluster_health_snapshots
        (collected_at, total_nodes, ready_nodes, total_pods, running_pods,
         problem_pod_count, namespace_count, healthy_pct, snapshot)
      VALUES (${snap.collectedAt}, ${s.totalNodes}, ${s.readyNodes}, ${s.totalPods},
              ${s.runningPods}, ${s.problemPodCount}, ${s.namespaceCount}, ${s.healthyPct},
              ${sql.json(snap)})
      RETURNING id`;
    const rowId = row?.id;
    ctx.log.info(`stored snapshot ${rowId}`);
    return { stored: true, rowId };
  } finally {
    await sql.end();
  }
}

// The parts of workflow.yaml (read as JSON: run.sh converts it) that the reference uses, and
// the DAG compiler: stages by Kahn's algorithm, alphabetical within a stage, as the engine.

/** A contract dependency. */
export interface Dependency {
  protocol: string;
  host: string;
  port?: number;
  auth?: { type?: string; secret?: string };
  database?: string;
  user?: string;
  subject?: string;
  container?: string;
}

/** workflow.yaml, the keys the reference reads. */
export interface Spec {
  name: string;
  nodes: Record<string, { path: string }>;
  edges?: { from: string; to: string }[];
  config?: Record<string, unknown> & { timeout?: string | number; retries?: number };
  contract?: { dependencies?: Record<string, Dependency> };
}

/** Stages of the DAG: stage 0 has the roots; a node is one after its latest parent. */
export function stages(spec: Spec): string[][] {
  const ids = Object.keys(spec.nodes);
  const indegree = new Map(ids.map((id) => [id, 0]));
  const children = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of spec.edges ?? []) {
    indegree.set(e.to, (indegree.get(e.to) ?? 0) + 1);
    children.get(e.from)!.push(e.to);
  }
  const out: string[][] = [];
  let ready = ids.filter((id) => indegree.get(id) === 0).sort();
  while (ready.length > 0) {
    out.push(ready);
    const next: string[] = [];
    for (const id of ready) {
      for (const c of children.get(id)!) {
        const d = indegree.get(c)! - 1;
        indegree.set(c, d);
        if (d === 0) next.push(c);
      }
    }
    ready = next.sort();
  }
  return out;
}

/** Parents of each node, in edge-declaration order. */
export function parents(spec: Spec): Map<string, string[]> {
  const p = new Map<string, string[]>(Object.keys(spec.nodes).map((id) => [id, []]));
  for (const e of spec.edges ?? []) p.get(e.to)!.push(e.from);
  return p;
}

/** `config.timeout` in ms (`10s`, `500ms`, `2m`, a bare number of seconds); default 30 s. */
export function timeoutMs(spec: Spec): number {
  const t = spec.config?.timeout;
  if (t === undefined) return 30_000;
  if (typeof t === "number") return t * 1000;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(t.trim());
  if (!m) return 30_000;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"]!;
  return Number(m[1]) * unit;
}

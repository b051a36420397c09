// Runs in the wasm sandbox. The `kubernetes` dependency is the API server as the workflow's
// service account: the host injects the token and trusts the cluster CA for it, so this
// node never sees either.
import type { Context } from "tentacular";

const MAX_RESTARTS = 10;

interface K8sNode {
  metadata: { name: string; labels?: Record<string, string> };
  status?: {
    conditions?: { type: string; status: string }[];
    nodeInfo?: { kubeletVersion?: string };
  };
}

interface K8sPod {
  metadata: { name: string; namespace: string };
  status?: {
    phase?: string;
    reason?: string;
    containerStatuses?: {
      ready: boolean;
      restartCount: number;
      state?: { waiting?: { reason?: string }; terminated?: { reason?: string } };
    }[];
  };
}

/** The API server answered 401: no service-account token reached it. */
class NoCredentials extends Error {}

// Why a pod counts as a problem, or null: not Running/Succeeded, Running but not ready, or
// restarting too often.
function problemReason(
  pod: K8sPod,
  phase: string,
  ready: boolean,
  restarts: number,
): string | null {
  const waiting = (pod.status?.containerStatuses ?? []).map((c) => c.state?.waiting?.reason).find(
    Boolean,
  );
  if (phase !== "Running" && phase !== "Succeeded") return pod.status?.reason ?? waiting ?? phase;
  if (phase === "Running" && !ready) return waiting ?? "NotReady";
  if (restarts > MAX_RESTARTS) return "HighRestarts";
  return null;
}

export default async function run(ctx: Context, _input: unknown): Promise<unknown> {
  const api = ctx.dependency("kubernetes");
  const get = async (path: string) => {
    const res = await api.fetch(path, { headers: { Accept: "application/json" } });
    if (res.status === 401) throw new NoCredentials();
    if (!res.ok) throw new Error(`Kubernetes API ${path}: HTTP ${res.status}`);
    return await res.json();
  };

  let nodeList: { items: K8sNode[] };
  let podList: { items: K8sPod[] };
  try {
    // One after the other: without credentials the first answer ends the run.
    // A list without items (an empty cluster, or a test's stock answer) is an empty list.
    nodeList = { items: (await get("/api/v1/nodes")).items ?? [] };
    podList = { items: (await get("/api/v1/pods")).items ?? [] };
  } catch (err) {
    if (!(err instanceof NoCredentials)) throw err;
    ctx.log.warn("the API server refused the request without credentials");
    return { skipped: true, reason: "no service-account token; is one mounted into the pod?" };
  }

  const nodes = nodeList.items.map((n) => ({
    name: n.metadata.name,
    ready: n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    roles: Object.keys(n.metadata.labels ?? {})
      .filter((l) => l.startsWith("node-role.kubernetes.io/"))
      .map((l) => l.slice("node-role.kubernetes.io/".length)),
    kubeletVersion: n.status?.nodeInfo?.kubeletVersion ?? "",
  }));

  const problemPods = [];
  let runningPods = 0;
  for (const pod of podList.items) {
    const phase = pod.status?.phase ?? "Unknown";
    const containers = pod.status?.containerStatuses ?? [];
    const restarts = containers.reduce((sum, c) => sum + c.restartCount, 0);
    const ready = containers.length > 0 && containers.every((c) => c.ready);
    if (phase === "Running") runningPods++;

    const reason = problemReason(pod, phase, ready, restarts);
    if (reason !== null) {
      problemPods.push({
        namespace: pod.metadata.namespace,
        name: pod.metadata.name,
        phase,
        reason,
        restarts,
        ready,
      });
    }
  }

  const namespaces = [...new Set(podList.items.map((p) => p.metadata.namespace))].sort();
  const totalPods = podList.items.length;
  const healthyPct = totalPods === 0
    ? 100
    : Math.round(((totalPods - problemPods.length) / totalPods) * 10000) / 100;

  return {
    collectedAt: new Date().toISOString(),
    nodes,
    problemPods,
    namespaces,
    summary: {
      totalNodes: nodes.length,
      readyNodes: nodes.filter((n) => n.ready).length,
      totalPods,
      runningPods,
      problemPodCount: problemPods.length,
      namespaceCount: namespaces.length,
      healthyPct,
    },
  };
}

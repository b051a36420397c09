// Runs under Deno compatibility mode (runtime: deno): it reads the pod's service-account
// files and uses Deno.createHttpClient to trust the cluster CA.
import type { Context } from "tentacular";

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";
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
  let token: string;
  let caCert: string;
  try {
    token = (await Deno.readTextFile(`${SA_DIR}/token`)).trim();
    caCert = await Deno.readTextFile(`${SA_DIR}/ca.crt`);
  } catch (err) {
    ctx.log.warn(`no service-account credentials: ${err instanceof Error ? err.message : err}`);
    return { skipped: true, reason: "no service-account token; is one mounted into the pod?" };
  }

  const client = Deno.createHttpClient({ caCerts: [caCert] });
  const get = async (path: string) => {
    const res = await fetch(`https://${api.host}:${api.port}${path}`, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
      client,
    });
    if (!res.ok) throw new Error(`Kubernetes API ${path}: HTTP ${res.status}`);
    return await res.json();
  };

  let nodeList: { items: K8sNode[] };
  let podList: { items: K8sPod[] };
  try {
    [nodeList, podList] = await Promise.all([get("/api/v1/nodes"), get("/api/v1/pods")]);
  } finally {
    client.close();
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

// The node context, built per node invocation as the original engine did (§4.2 of
// reference/original-tentacular.md): log with a node prefix, the whole config, secrets,
// legacy ctx.fetch, ctx.dependency with fetch for http/https.
import type { Context, DependencyConnection } from "./tentacular.ts";
import type { Spec } from "./spec.ts";

const DEFAULT_PORTS: Record<string, number> = {
  https: 443,
  http: 80,
  postgresql: 5432,
  nats: 4222,
  blob: 443,
};

/** Builds the context for one invocation of `nodeId`. */
export function makeContext(
  spec: Spec,
  secrets: Record<string, Record<string, string>>,
  nodeId: string,
  quiet: boolean,
): Context {
  const line = (level: string) => (msg: unknown, ...args: unknown[]) => {
    if (!quiet) console.log(`[${nodeId}] ${level}`, msg, ...args);
  };
  const deps = spec.contract?.dependencies ?? {};
  return {
    log: { debug: line("DEBUG"), info: line("INFO"), warn: line("WARN"), error: line("ERROR") },
    config: spec.config ?? {},
    secrets,
    fetch(service: string, path: string, init?: RequestInit): Promise<Response> {
      const url = path.startsWith("http") ? path : `https://api.${service}.com${path}`;
      const headers = new Headers(init?.headers);
      const s = secrets[service] ?? {};
      if (s.token) headers.set("Authorization", `Bearer ${s.token}`);
      if (s.api_key) headers.set("X-API-Key", s.api_key);
      return globalThis.fetch(url, { ...init, headers });
    },
    dependency(name: string): DependencyConnection {
      const dep = deps[name];
      if (!dep) {
        throw new Error(
          `Dependency "${name}" not declared in contract. Add it to workflow.yaml contract.dependencies.`,
        );
      }
      const port = dep.port ?? DEFAULT_PORTS[dep.protocol] ?? 443;
      let secret: string | undefined;
      if (dep.auth?.secret) {
        const [svc, key] = dep.auth.secret.split(".", 2);
        secret = secrets[svc]?.[key];
      }
      const conn: DependencyConnection = {
        protocol: dep.protocol,
        host: dep.host,
        port,
        authType: dep.auth?.type,
        secret,
        database: dep.database,
        user: dep.user,
        subject: dep.subject,
        container: dep.container,
      };
      if (dep.protocol === "http" || dep.protocol === "https") {
        conn.fetch = (path: string, init?: RequestInit) =>
          globalThis.fetch(`${dep.protocol}://${dep.host}:${port}${path}`, init);
      }
      return conn;
    },
  };
}

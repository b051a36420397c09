// The original engine's SimpleExecutor (§4.6 of reference/original-tentacular.md): stages in
// order, the nodes of a stage concurrently with Promise.all in this one process, a timeout
// per attempt by Promise.race (not cancelled), retries with backoff 100 ms·2^attempt, errors
// per node, later stages skipped after a failure.
import { makeContext } from "./context.ts";
import { parents, type Spec, stages, timeoutMs } from "./spec.ts";

type NodeFn = (ctx: unknown, input: unknown) => Promise<unknown>;

/** The original's ExecutionResult. */
export interface ExecutionResult {
  success: boolean;
  outputs: Record<string, unknown>;
  errors: Record<string, string>;
  timing: {
    startedAt: string;
    completedAt: string;
    durationMs: number;
    nodeTimings: Record<string, { startedAt: string; completedAt: string; durationMs: number }>;
  };
}

/** A loaded workflow: its node functions and plan, ready to run any number of times. */
export class Workflow {
  private constructor(
    private spec: Spec,
    private fns: Map<string, NodeFn>,
    private plan: string[][],
    private parentsOf: Map<string, string[]>,
    private secrets: Record<string, Record<string, string>>,
    private quiet: boolean,
  ) {}

  /** Imports every node module of the workflow in `dir`. */
  static async load(
    dir: string,
    spec: Spec,
    secrets: Record<string, Record<string, string>>,
    quiet: boolean,
  ): Promise<Workflow> {
    const fns = new Map<string, NodeFn>();
    for (const [id, node] of Object.entries(spec.nodes)) {
      const url = new URL(node.path, `file://${dir.replace(/\/?$/, "/")}`).href;
      const mod = await import(url);
      if (typeof mod.default !== "function") {
        throw new Error(`${node.path} must export a default async function. Got: ${typeof mod.default}`);
      }
      fns.set(id, mod.default);
    }
    return new Workflow(spec, fns, stages(spec), parents(spec), secrets, quiet);
  }

  /** Runs the DAG once with `input` for the root nodes. */
  async run(input: unknown): Promise<ExecutionResult> {
    const started = Date.now();
    const outputs: Record<string, unknown> = {};
    const errors: Record<string, string> = {};
    const nodeTimings: ExecutionResult["timing"]["nodeTimings"] = {};
    for (const stage of this.plan) {
      await Promise.all(stage.map(async (id) => {
        const t0 = Date.now();
        try {
          outputs[id] = await this.runNode(id, this.inputOf(id, input, outputs));
        } catch (e) {
          errors[id] = e instanceof Error ? e.message : String(e);
        }
        const t1 = Date.now();
        nodeTimings[id] = {
          startedAt: new Date(t0).toISOString(),
          completedAt: new Date(t1).toISOString(),
          durationMs: t1 - t0,
        };
      }));
      if (Object.keys(errors).length > 0) break;
    }
    const completed = Date.now();
    return {
      success: Object.keys(errors).length === 0,
      outputs,
      errors,
      timing: {
        startedAt: new Date(started).toISOString(),
        completedAt: new Date(completed).toISOString(),
        durationMs: completed - started,
        nodeTimings,
      },
    };
  }

  private inputOf(id: string, input: unknown, outputs: Record<string, unknown>): unknown {
    const ps = this.parentsOf.get(id)!;
    if (ps.length === 0) return input;
    if (ps.length === 1) return outputs[ps[0]];
    return Object.fromEntries(ps.map((p) => [p, outputs[p]]));
  }

  private async runNode(id: string, input: unknown): Promise<unknown> {
    const retries = Number(this.spec.config?.retries ?? 0);
    const ms = timeoutMs(this.spec);
    let last: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1)));
      const ctx = makeContext(this.spec, this.secrets, id, this.quiet);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`Node "${id}" timed out after ${ms}ms`)), ms);
      });
      try {
        return await Promise.race([this.fns.get(id)!(ctx, input), timeout]);
      } catch (e) {
        last = e;
      } finally {
        clearTimeout(timer);
      }
    }
    throw last;
  }
}

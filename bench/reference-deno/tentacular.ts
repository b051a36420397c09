// The `tentacular` module that node files import types from (`import type { Context } from
// "tentacular"`). Type-only, as the original's engine/mod.ts was for nodes.

/** Logger given to a node: prints `[<node>] LEVEL message`. */
export interface Logger {
  debug(msg: unknown, ...args: unknown[]): void;
  info(msg: unknown, ...args: unknown[]): void;
  warn(msg: unknown, ...args: unknown[]): void;
  error(msg: unknown, ...args: unknown[]): void;
}

/** What `ctx.dependency(name)` returns. */
export interface DependencyConnection {
  protocol: string;
  host: string;
  port: number;
  authType?: string;
  secret?: string;
  database?: string;
  user?: string;
  subject?: string;
  container?: string;
  fetch?: (path: string, init?: RequestInit) => Promise<Response>;
}

/** The context every node gets. */
export interface Context {
  log: Logger;
  config: Record<string, unknown>;
  secrets: Record<string, Record<string, string>>;
  fetch(service: string, path: string, init?: RequestInit): Promise<Response>;
  dependency(name: string): DependencyConnection;
}

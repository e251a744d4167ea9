/**
 * `GET /` (the landing page), `GET /healthz` (the process is up) and `GET /readyz` (its stores
 * answer within a deadline).
 *
 * @module
 */
import { Hono } from "hono";
import { readinessCheck, sharedReadiness } from "../health/readiness.ts";
import type { KvHandle } from "../kv/kv_handle.ts";
import type { ReadingStore } from "../store/types.ts";
import type { ToolDefinition } from "../tools/definition.ts";
import { landingPage } from "./page.ts";

/** Options of {@linkcode landingRoutes}. */
export interface LandingRoutesOptions {
  resourceUrl: string;
  tools: readonly ToolDefinition[];
  store: ReadingStore;
  kv: KvHandle;
  developmentSignin: boolean;
  publicDevelopmentSignin: boolean;
  /** Deadline of each readiness check, ms. */
  readinessTimeoutMs?: number;
}

/** The human-facing and operational routes. */
export function landingRoutes(options: LandingRoutesOptions): Hono {
  const app = new Hono();
  const timeoutMs = options.readinessTimeoutMs ?? 2_000;
  const deps = { store: options.store, kv: options.kv };
  // Probes that arrive together share one check (it queries the database and touches KV).
  const ready = sharedReadiness(readinessCheck(deps, { timeoutMs }), 0);
  const readyForPage = sharedReadiness(
    readinessCheck(deps, { timeoutMs: Math.min(timeoutMs, 1_000) }),
    0,
  );

  app.get("/healthz", (c) => c.json({ status: "ok" }, 200, { "cache-control": "no-store" }));
  app.get("/readyz", async (c) => {
    const readiness = await ready();
    return c.json(
      { status: readiness.ready ? "ready" : "not ready", checks: readiness.checks },
      readiness.ready ? 200 : 503,
      { "cache-control": "no-store" },
    );
  });
  app.get("/", async (c) => {
    const readiness = await readyForPage();
    c.header(
      "content-security-policy",
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    c.header("x-frame-options", "DENY");
    c.header("cache-control", "no-store");
    return c.html(
      await landingPage({
        resourceUrl: options.resourceUrl,
        tools: options.tools,
        readiness,
        checkedAt: new Date(),
        developmentSignin: options.developmentSignin,
        publicDevelopmentSignin: options.publicDevelopmentSignin,
      }),
    );
  });
  return app;
}

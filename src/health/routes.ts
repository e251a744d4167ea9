/**
 * `GET /healthz` (the process is up) and `GET /readyz` (it can serve: its stores answer within a
 * deadline, and it is not shutting down — `"draining"` then, so a balancer stops sending).
 *
 * @module
 */
import { Hono } from "hono";
import type { Readiness } from "./readiness.ts";

/** The operational routes, over the shared readiness check. */
export function healthRoutes(readiness: () => Promise<Readiness>): Hono {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }, 200, { "cache-control": "no-store" }));
  app.get("/readyz", async (c) => {
    const { ready, checks, kvReplacedAt, draining, issuerProblem } = await readiness();
    return c.json(
      {
        status: draining ? "draining" : ready ? "ready" : "not ready",
        checks,
        ...(kvReplacedAt ? { kvReplacedAt } : {}),
        ...(issuerProblem ? { issuerProblem } : {}),
      },
      ready ? 200 : 503,
      { "cache-control": "no-store" },
    );
  });
  return app;
}

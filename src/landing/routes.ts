/**
 * `GET /` (the landing page), `GET /healthz` (the process is up) and `GET /readyz` (its stores
 * answer within a deadline).
 *
 * @module
 */
import { Hono } from "hono";
import type { PackBrand } from "../domain_pack.ts";
import type { Readiness } from "../health/readiness.ts";
import type { RegisteredTool } from "../tools/registry.ts";
import { landingPage } from "./page.ts";

/** Options of {@linkcode landingRoutes}. */
export interface LandingRoutesOptions {
  resourceUrl: string;
  brand: PackBrand;
  tools: readonly RegisteredTool[];
  /** The shared readiness check (probes arriving together share one run). */
  readiness(): Promise<Readiness>;
  developmentSignin: boolean;
  publicDevelopmentSignin: boolean;
}

/** The human-facing and operational routes. */
export function landingRoutes(options: LandingRoutesOptions): Hono {
  const app = new Hono();

  app.get("/healthz", (c) => c.json({ status: "ok" }, 200, { "cache-control": "no-store" }));
  app.get("/readyz", async (c) => {
    const readiness = await options.readiness();
    return c.json(
      { status: readiness.ready ? "ready" : "not ready", checks: readiness.checks },
      readiness.ready ? 200 : 503,
      { "cache-control": "no-store" },
    );
  });
  app.get("/", async (c) => {
    const readiness = await options.readiness();
    c.header(
      "content-security-policy",
      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    c.header("x-frame-options", "DENY");
    c.header("cache-control", "no-store");
    return c.html(
      await landingPage({
        resourceUrl: options.resourceUrl,
        brand: options.brand,
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

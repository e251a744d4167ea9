/**
 * `GET /`: the landing page.
 *
 * @module
 */
import { Hono } from "hono";
import type { PackBrand } from "../pack/mod.ts";
import type { Readiness } from "../health/readiness.ts";
import type { RegisteredTool } from "../tools/registry.ts";
import { securePageHeaders } from "../http/page_shell.ts";
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

  app.get("/", async (c) => {
    const readiness = await options.readiness();
    for (const [name, value] of Object.entries(securePageHeaders())) c.header(name, value);
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

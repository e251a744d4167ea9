/**
 * The Hono application: mounts the routes and the gate in front of `/mcp`, nothing more.
 *
 * @module
 */
import { Hono } from "hono";
import { cors } from "hono/cors";
import type { AccessVerifier } from "./auth/access_verifier.ts";
import { type BearerVariables, requireBearer } from "./auth/bearer.ts";
import {
  protectedResourceMetadataUrl,
  protectedResourceRoutes,
} from "./auth/protected_resource.ts";
import type { Config } from "./config.ts";
import {
  hostnameOf,
  isLoopback,
  limitBody,
  requireKnownOrigin,
  requireOwnHost,
} from "./http/guards.ts";
import { bodyRead } from "./http/body_reader.ts";
import { createMcpEndpoint, toAuthInfo } from "./mcp/endpoint.ts";
import { countPersonRefusal } from "./tracing.ts";
import { openRequestsPerPerson, releasedWhenSent } from "./http/open_per_person.ts";
import type { SigninContext } from "./signin/context.ts";
import type { CoreServices } from "./tools/kit_tool.ts";
import type { OpenPack } from "./pack/kit_side.ts";
import type { ToolRegistry } from "./tools/registry.ts";
import { healthRoutes } from "./health/routes.ts";
import { landingRoutes } from "./landing/routes.ts";
import { type LogSink, requestLog } from "./observability/request_log.ts";
import { signinRoutes } from "./signin/routes.ts";

const utf8 = new TextDecoder();

/** Listen streams one person may hold open at once (one per host window or two is plenty). */
const LISTENS_PER_PERSON = 2;

/** What the app is built from. */
export interface AppDependencies {
  /** The validated configuration. */
  config: Config;
  /** Verifies access tokens for `/mcp`. */
  verifyAccess: AccessVerifier;
  /** The kit's services the tools work with. */
  core: CoreServices;
  /** The tools, built from the kit's and the pack's. */
  registry: ToolRegistry;
  /** The served pack, its store open. */
  pack: OpenPack;
  /** The development issuer, when it is the issuer in use. */
  signin?: SigninContext;
  /** Key for hashing `sub` in logs. */
  subjectKey: Uint8Array;
  /** Where request log lines go (default stdout). */
  logSink?: LogSink;
  /**
   * The scopes hosts are told to request (the 401 challenge, the protected-resource metadata);
   * default the scopes a token needs.
   */
  requestScopes?: () => readonly string[];
}

/** Builds the whole HTTP surface. */
export function createApp(
  { config, verifyAccess, core, registry, pack, signin, subjectKey, logSink, ...rest }:
    AppDependencies,
): Hono<{ Variables: BearerVariables }> {
  const requestScopes = rest.requestScopes ?? (() => config.requiredScopes);
  const app = new Hono<{ Variables: BearerVariables }>();
  const resourceUrl = new URL(config.resourceUrl);
  const mcpPath = resourceUrl.pathname;
  const mcp = createMcpEndpoint({
    telemetry: config.telemetry,
    maxBodyBytes: config.maxBodyBytes,
    core,
    registry,
    pack,
    directCalls: config.directCalls,
  });
  const openRequests = openRequestsPerPerson(config.maxOpenPerPerson);
  const openListens = openRequestsPerPerson(LISTENS_PER_PERSON);
  const resourceMetadataUrl = protectedResourceMetadataUrl(config.resourceUrl);
  const publicHost = new URL(config.publicUrl).hostname;
  const originHosts = [publicHost, ...config.allowedOrigins];
  if (isLoopback(publicHost)) originHosts.push("localhost", "127.0.0.1", "[::1]");

  app.use("*", requestLog({ subjectKey, sink: logSink }));
  // An error no layer answered: logged by name only (a message can quote a request), answered 500.
  app.onError((error) => {
    console.error(`http: unanswered error (${error.name})`);
    return Response.json({ error: "internal_error" }, { status: 500 });
  });
  // While bound to loopback, every route answers only to our own names: a page on a rebinding
  // domain that resolves to 127.0.0.1 could otherwise drive the sign-in (register a client, start
  // an authorization) or read the landing page of a local server from a browser.
  if (isLoopback(config.bindHost)) app.use("*", requireOwnHost([publicHost]));
  app.route("/", healthRoutes(core.readiness));
  app.route(
    "/",
    landingRoutes({
      resourceUrl: config.resourceUrl,
      brand: core.brand,
      tools: registry.tools,
      readiness: core.readiness,
      developmentSignin: config.auth.kind === "development",
      publicDevelopmentSignin: config.auth.kind === "development" && config.auth.warnOnPages,
    }),
  );
  app.route(
    "/",
    protectedResourceRoutes({
      resource: config.resourceUrl,
      issuer: config.auth.issuer,
      scopes: requestScopes,
      resourceName: core.brand.productName,
    }),
  );
  if (signin) app.route("/", signinRoutes(signin));

  // Browser-based hosts need CORS to call /mcp and to read the 401 challenge. Hosts calling
  // server-to-server send no Origin and skip this work entirely.
  const mcpCors = cors({
    origin: (origin) => originHosts.includes(hostnameOf(origin) ?? "") ? origin : null,
    allowMethods: ["POST", "OPTIONS"],
    allowHeaders: [
      "authorization",
      "content-type",
      "accept",
      "mcp-protocol-version",
      "mcp-method",
      "mcp-name",
      "last-event-id",
    ],
    exposeHeaders: ["www-authenticate", "mcp-protocol-version"],
    maxAge: 600,
  });
  app.use(mcpPath, (c, next) => c.req.header("origin") === undefined ? next() : mcpCors(c, next));
  app.use(mcpPath, requireKnownOrigin(originHosts));
  app.on(["GET", "DELETE", "PUT", "PATCH"], mcpPath, (c) => {
    c.header("allow", "POST");
    return c.json({
      jsonrpc: "2.0",
      id: null,
      error: { code: -32000, message: "Method not allowed: this endpoint is stateless; use POST." },
    }, 405);
  });
  app.post(
    mcpPath,
    requireBearer({
      verify: verifyAccess,
      resourceMetadataUrl,
      scopes: requestScopes,
    }),
    // Read only once the caller is known: nobody can make the server hold a body unsigned.
    limitBody(config.maxBodyBytes, config.bodyIdleTimeoutMs),
    async (c) => {
      const access = c.get("access");
      const authInfo = toAuthInfo(access, resourceUrl);
      // The body (already read, within bounds) is parsed here once, so the tool arguments can be
      // judged as they arrived (see raw_arguments.ts), and handed to the SDK parsed, which spares
      // it a copy of the request.
      const text = utf8.decode(bodyRead(c.req.raw));
      let parsedBody: unknown;
      try {
        parsedBody = text === "" ? undefined : JSON.parse(text);
      } catch {
        parsedBody = undefined;
      }
      // A listen stream stays open as long as the host keeps it: counted apart, so a few of them
      // cannot lock the person out of calls.
      const counter = isListen(parsedBody) ? openListens : openRequests;
      const release = counter.enter(access.identity.sub);
      if (!release) {
        countPersonRefusal(counter === openListens ? "open_listens" : "open_requests");
        return tooManyOpen(counter.limit);
      }
      try {
        const response = parsedBody === undefined
          // Not JSON: the SDK gives the protocol's own answer for that.
          ? await mcp.fetch(
            new Request(c.req.raw.url, { method: "POST", headers: c.req.raw.headers, body: text }),
            { authInfo },
          )
          : await mcp.fetch(c.req.raw, { authInfo, parsedBody });
        return releasedWhenSent(response, release);
      } catch (error) {
        release();
        throw error;
      }
    },
  );
  return app;
}

/** Whether a parsed body is one `subscriptions/listen` request (2026-07-28). */
function isListen(body: unknown): boolean {
  return body !== null && typeof body === "object" &&
    (body as { method?: unknown }).method === "subscriptions/listen";
}

/** 429 for a person with too many requests open at once, in JSON-RPC's error shape. */
function tooManyOpen(limit: number): Response {
  return Response.json({
    jsonrpc: "2.0",
    id: null,
    error: {
      code: -32000,
      message: `Too many requests at once for this person: at most ${limit} may be open. ` +
        "Wait for an answer, then send again.",
    },
  }, { status: 429, headers: { "retry-after": "1" } });
}

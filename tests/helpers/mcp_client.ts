/**
 * A connected real MCP client for a reader, and a terse way to call tools.
 *
 * @module
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import type { TestServer } from "./server.ts";

/** A tool result as tests read it. */
export interface ToolResult {
  isError: boolean;
  text: string;
  /** The structured content of a success (`undefined` for a failure). */
  // deno-lint-ignore no-explicit-any
  data: any;
  /** The structured content of a failure (`undefined` for a success). */
  // deno-lint-ignore no-explicit-any
  error?: any;
}

/** A reader's chat: an MCP client signed in as `sub`. */
export interface ReaderChat extends AsyncDisposable {
  call(name: string, args?: Record<string, unknown>): Promise<ToolResult>;
  /** begin_session, returning the session token and the whole result. */
  begin(): Promise<{ session: string; result: ToolResult }>;
  client: Client;
}

/** Connects a new client (a new chat) for reader `sub`, in the given protocol era. */
export async function openChat(
  server: TestServer,
  sub: string,
  era: "2025" | "2026" = "2025",
): Promise<ReaderChat> {
  const token = await server.mint({ sub, email: `${sub}@example.com` });
  const client = new Client(
    { name: "reader-chat", version: "1.0.0" },
    era === "2026" ? { versionNegotiation: { mode: { pin: "2026-07-28" } } } : {},
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.mcpUrl), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  const call = async (name: string, args: Record<string, unknown> = {}): Promise<ToolResult> => {
    const result = await client.callTool({ name, arguments: args });
    const text = (result.content as { type: string; text?: string }[])
      .map((c) => c.text ?? "").join("\n");
    const isError = result.isError === true;
    return {
      isError,
      text,
      data: isError ? undefined : result.structuredContent,
      error: isError ? result.structuredContent : undefined,
    };
  };
  return {
    client,
    call,
    async begin() {
      const result = await call("begin_session");
      if (result.isError) throw new Error(`begin_session failed: ${result.text}`);
      return { session: result.data.session.token, result };
    },
    [Symbol.asyncDispose]: () => client.close(),
  };
}

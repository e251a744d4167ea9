/**
 * One cold start: `main.ts` spawned on `backend` and called as soon as it answers — the time to
 * the first answered `health` and to the first `begin_session` after it, from the spawn.
 *
 * @module
 */
import type { Backend } from "./connector.ts";
import { retryWhileStarting } from "./connector.ts";
import { once, toolCall } from "./mcp.ts";

import { ROOT } from "./proc.ts";

/** Milliseconds from the spawn to each first answer. */
export interface ColdStart {
  toHealthMs: number;
  toBeginSessionMs: number;
}

/**
 * Starts a connector on `port` (with `extraEnv`), times its first two answers, stops it.
 * `denoArgs` replace `run -A main.ts` (e.g. another checkout's `--config` and `main.ts`).
 */
export async function coldStart(
  backend: Backend,
  port: number,
  sub: string,
  extraEnv: Record<string, string> = {},
  denoArgs: string[] = ["run", "-A", "main.ts"],
): Promise<ColdStart> {
  const publicUrl = `http://localhost:${port}`;
  const token = await backend.tokenFor(publicUrl, sub);
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: denoArgs,
    env: { ...backend.env, PORT: String(port), ...extraEnv },
    cwd: ROOT,
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const call = async (name: string) => {
      const request = toolCall("2025", name, {});
      request.headers.authorization = `Bearer ${token}`;
      const answer = await retryWhileStarting(() => once(`${publicUrl}/mcp`, request));
      if (!answer.result || answer.result.isError) throw new Error(JSON.stringify(answer));
      return Math.round(performance.now() - t0);
    };
    return { toHealthMs: await call("health"), toBeginSessionMs: await call("begin_session") };
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

/**
 * The outside peers the kit's `user_get_profile` is measured against, each verifying the same ES256
 * bearer tokens and reading the same row from the same PostgreSQL database:
 *
 * - `sdk-v1` — the MCP SDK v1 under Node, as its documentation builds a bearer-protected stateless
 *   server (express, `requireBearerAuth` with a jose verifier, a fresh server and transport per
 *   request, `pg`), from `bench/peers/sdk_v1/`;
 * - `floor` — the least a correct server can do: `Deno.serve`, jose, one `pg` query, from
 *   `bench/peers/floor/`.
 *
 * Neither is part of the kit: {@linkcode preparePeers} copies their sources into a scratch
 * directory and installs their pinned dependencies there from the npm registry, leaving the
 * repository's configuration and lock files alone.
 *
 * @module
 */
import { join } from "node:path";
import { loadOrCreateSigningKey } from "../../src/signin/signing_key.ts";
import { forEachLine } from "../../tests/helpers/process.ts";
import type { Backend, Connector } from "./connector.ts";
import { type JsonRpcAnswer, type McpRequest, toolCall } from "./mcp.ts";
import { ROOT, spawn } from "./proc.ts";

/** A peer: the SDK v1 server under Node, or the hand-written Deno floor. */
export type PeerKind = "sdk-v1" | "floor";

/** Every peer, in the order a benchmark measures them. */
export const PEER_KINDS: readonly PeerKind[] = ["sdk-v1", "floor"];

/** The one tool every peer serves. */
export const PEER_TOOL = "user_get_profile";

/** The peers' sources and their installed dependencies in a scratch directory; disposing removes it. */
export interface PeerInstall extends AsyncDisposable {
  /** The scratch directory (`sdk_v1/` and `floor/` inside). */
  dir: string;
  /** How long copying and installing took, ms. */
  installMs: number;
  /** The installed direct dependencies of each peer, `name@version`. */
  packages: Record<PeerKind, string[]>;
}

/** What a peer reads from its environment. */
export interface PeerEnv {
  /** A plain TCP `postgres://` URL of the database holding the kit's `users` and `user_state`. */
  DATABASE_URL: string;
  /** The issuer's public JWK set, as JSON. */
  JWKS: string;
  /** The `iss` the tokens must carry. */
  ISSUER: string;
  /** The `aud` the tokens must carry. */
  AUDIENCE: string;
  /** The port to listen on (default `0`: any). */
  PORT?: string;
}

/** A running peer. */
export interface Peer {
  /** Its MCP endpoint, `http://127.0.0.1:PORT/mcp`. */
  url: string;
  pid: number;
  /** Kills the process (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Where each peer's sources live in the repository, and its directory in the scratch copy. */
const SOURCES: Record<PeerKind, string> = { "sdk-v1": "sdk_v1", floor: "floor" };

/** What announces that a peer is listening. */
const LISTENING = /^listening on (http:\/\/\S+)$/;

/**
 * Copies the peers' sources into a fresh scratch directory and installs their dependencies there
 * (`npm install` for the Node peer, `deno install` with the floor's own `deno.json` and lock),
 * both at once; prints one line saying what was installed and how long it took.
 *
 * @throws {Error} when an install fails (its output is in the message).
 */
export async function preparePeers(): Promise<PeerInstall> {
  const started = performance.now();
  const dir = await Deno.makeTempDir({ prefix: "bench-peers-" });
  const dispose = () => Deno.remove(dir, { recursive: true });
  try {
    for (const source of Object.values(SOURCES)) {
      await copySources(join(ROOT, "bench/peers", source), join(dir, source));
    }
    const sdk = join(dir, SOURCES["sdk-v1"]);
    const floor = join(dir, SOURCES.floor);
    await Promise.all([
      run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], sdk),
      run(Deno.execPath(), ["install", "--config", join(floor, "deno.json"), "--frozen"], floor),
    ]);
    const packages = {
      "sdk-v1": await installedPackages(
        sdk,
        Object.keys((await readJson(sdk, "package.json")).dependencies),
      ),
      floor: await installedPackages(
        floor,
        Object.keys((await readJson(floor, "deno.json")).imports),
      ),
    };
    const installMs = Math.round(performance.now() - started);
    console.log(
      `peers installed in ${dir} (${(installMs / 1000).toFixed(1)} s): ` +
        PEER_KINDS.map((kind) => `${kind} ${packages[kind].join(" ")}`).join("; "),
    );
    return { dir, installMs, packages, [Symbol.asyncDispose]: dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/**
 * Starts peer `kind` from `install` with `env` (PORT defaults to 0) and waits until it listens.
 *
 * @throws {Error} when it exits before saying it listens.
 */
export async function startPeer(
  install: PeerInstall,
  kind: PeerKind,
  env: PeerEnv,
): Promise<Peer> {
  const dir = join(install.dir, SOURCES[kind]);
  const environment = { PORT: "0", ...env };
  const proc = kind === "sdk-v1" ? await spawnNode(["server.mjs"], dir, environment) : await spawn(
    [
      ...["run", "--config", join(dir, "deno.json"), "--frozen", "--cached-only"],
      ...["--allow-net", "--allow-env", `--allow-read=${dir}`, join(dir, "floor.ts")],
    ],
    environment,
    LISTENING,
  );
  return { url: `${proc.match[1]}/mcp`, pid: proc.child.pid, stop: proc.stop };
}

/**
 * The environment for peers beside a connector on a `postgres` backend: its database over plain
 * TCP, its development issuer's public key, and the issuer and audience its tokens carry.
 *
 * @throws {Error} when the backend has no PostgreSQL database (the `pglite` store).
 */
export async function peerEnvFor(backend: Backend, connector: Connector): Promise<PeerEnv> {
  if (!backend.env.DATABASE_URL) throw new Error("peers need a backend on the postgres store");
  const key = await loadOrCreateSigningKey(backend.env.DATA_DIR);
  return {
    DATABASE_URL: backend.env.DATABASE_URL,
    JWKS: JSON.stringify({ keys: [key.publicJwk] }),
    ISSUER: connector.publicUrl,
    AUDIENCE: `${connector.publicUrl}/mcp`,
  };
}

/**
 * The request every peer answers: `tools/call user_get_profile` with no arguments, in the 2025 era
 * (no initialize first; the SDK v1 peer serves it statelessly). Its `authorization` is `auth` when
 * given; otherwise a caller adds one (wrk Lua such as `readersLua` sets it per request).
 */
export function peerRequest(auth?: string): McpRequest {
  const request = toolCall("2025", PEER_TOOL, {});
  if (auth !== undefined) request.headers.authorization = auth;
  return request;
}

/**
 * Checks that a peer answered `sub`'s profile; returns its structured content.
 *
 * @throws {Error} when the answer is an error, a tool error, or someone else's row.
 */
// deno-lint-ignore no-explicit-any
export function checkPeerAnswer(answer: JsonRpcAnswer, sub: string): any {
  const structured = answer.result?.structuredContent;
  const text = answer.result?.content?.[0]?.text;
  if (
    answer.result?.isError || structured?.profile?.id !== sub ||
    typeof structured.state?.version !== "number" || text !== JSON.stringify(structured)
  ) {
    throw new Error(`unexpected peer answer for ${sub}: ${JSON.stringify(answer).slice(0, 500)}`);
  }
  return structured;
}

// ---------------------------------------------------------------------------------------------

/** Copies the regular files of `from` (not `node_modules`) into a new directory `to`. */
async function copySources(from: string, to: string): Promise<void> {
  await Deno.mkdir(to);
  for await (const entry of Deno.readDir(from)) {
    if (entry.isFile) await Deno.copyFile(join(from, entry.name), join(to, entry.name));
  }
}

async function readJson(dir: string, file: string) {
  return JSON.parse(await Deno.readTextFile(join(dir, file)));
}

/** `name@version` of each of `names` as installed under `dir/node_modules`. */
async function installedPackages(dir: string, names: string[]): Promise<string[]> {
  return await Promise.all(
    names.map(async (name) =>
      `${name}@${(await readJson(join(dir, "node_modules", name), "package.json")).version}`
    ),
  );
}

/** Runs `command args…` in `cwd` to completion. */
async function run(command: string, args: string[], cwd: string): Promise<void> {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    const output = new TextDecoder().decode(new Uint8Array([...stdout, ...stderr]));
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd} (exit ${code}): ${output}`);
  }
}

/**
 * Like `proc.ts`'s `spawn`, for `node args…` in `cwd`: waits for the {@linkcode LISTENING} line on
 * stdout and keeps draining it.
 */
async function spawnNode(
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ child: Deno.ChildProcess; match: RegExpMatchArray; stop(): Promise<void> }> {
  const child = new Deno.Command("node", { args, env, cwd, stdout: "piped", stderr: "inherit" })
    .spawn();
  const found = Promise.withResolvers<RegExpMatchArray>();
  forEachLine(child.stdout, (line) => {
    const match = line.match(LISTENING);
    if (match) found.resolve(match);
  }).then(
    () => found.reject(new Error(`node ${args.join(" ")} exited before listening`)),
    found.reject,
  );
  const stop = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
  };
  try {
    return { child, match: await found.promise, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

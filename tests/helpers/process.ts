/**
 * Runs the connector as its own process (as `deno task dev` or a platform would) and reads what it
 * prints: the banner gives the listening address; every later line is kept.
 *
 * @module
 */

/** A running connector process. */
export interface ServerProcess extends AsyncDisposable {
  /** `http://host:port` it listens on. */
  origin: string;
  /** The banner's connector URL. */
  connectorUrl: string;
  /** Everything printed on stdout so far, line by line. */
  lines: string[];
  child: Deno.ChildProcess;
  /** Resolves with stderr text once the process has exited. */
  stderr: Promise<string>;
}

/** Calls `onLine` for every line of a byte stream, until it ends. */
export async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    parts.forEach(onLine);
  }
}

/** Spawns `deno <args>` with `env` and waits for the banner. */
export async function spawnConnector(
  args: string[],
  env: Record<string, string>,
  cwd?: string,
): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env,
    cwd,
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const lines: string[] = [];
  const banner = Promise.withResolvers<void>();
  forEachLine(child.stdout, (line) => {
    lines.push(line);
    if (line.includes("MCP Inspector")) banner.resolve();
  }).then(() => banner.reject(new Error("exited before its banner")), banner.reject);
  try {
    await banner.promise;
  } catch (error) {
    child.kill();
    throw new Error(`${(error as Error).message}: ${await stderr}`);
  }
  const text = lines.join("\n");
  const origin = /listening on (http:\/\/\S+?)\.?$/m.exec(text)![1];
  const connectorUrl = /Connector URL\s+(\S+)/.exec(text)![1];
  return {
    origin,
    connectorUrl,
    lines,
    child,
    stderr,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
      await child.status;
    },
  };
}

/** The environment a child needs to find Deno's caches, without the test runner's own variables. */
export function baseEnv(): Record<string, string> {
  const keep = ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"];
  return Object.fromEntries(keep.flatMap((k) => (Deno.env.get(k) ? [[k, Deno.env.get(k)!]] : [])));
}

/**
 * The environment of a connector process on a test database: the kept variables, any free port,
 * `dataDir`, and PostgreSQL through the database's driver and relay.
 */
export function postgresEnv(
  db: { env: Record<string, string> },
  dataDir: string,
): Record<string, string> {
  return { ...baseEnv(), PORT: "0", DATA_DIR: dataDir, ...db.env };
}

/**
 * A token from `deno task mint` for the connector that last started with `dataDir` (it records its
 * issuer there), as a builder would get one.
 */
export async function mintFor(dataDir: string, sub: string): Promise<string> {
  const minted = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "mint", "--sub", sub],
    cwd: new URL("../../", import.meta.url),
    env: { ...baseEnv(), DATA_DIR: dataDir },
    clearEnv: true,
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(minted.stdout).trim();
}

/** A port free right now on 127.0.0.1 (for a server that must keep one origin across restarts). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

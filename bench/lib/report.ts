/**
 * What every benchmark report carries: the machine it ran on, and where its files go.
 *
 * @module
 */
import { SERVER_VERSION } from "../../src/version.ts";
import { ROOT } from "./proc.ts";

/** The machine, runtime and package versions of a run. */
export async function machine(): Promise<Record<string, unknown>> {
  const cpu = /model name\s*:\s*(.+)/.exec(await Deno.readTextFile("/proc/cpuinfo"))?.[1] ??
    "unknown";
  const run = async (cmd: string, args: string[]) => {
    try {
      const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
      return new TextDecoder().decode(out.stdout).split("\n")[0].trim();
    } catch {
      return "unknown";
    }
  };
  const lock = JSON.parse(await Deno.readTextFile(`${ROOT}deno.lock`));
  const npm = (name: string) =>
    Object.keys(lock.npm ?? {}).find((k) => k.startsWith(`${name}@`)) ?? name;
  return {
    cpu,
    cores: navigator.hardwareConcurrency,
    memoryGb: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    wrk: await run("wrk", ["--version"]),
    postgres: await run("psql", ["--version"]),
    connector: SERVER_VERSION,
    packages: [
      "@modelcontextprotocol/server",
      "hono",
      "jose",
      "@neondatabase/serverless",
      "pg",
      "@electric-sql/pglite",
    ].map(npm),
  };
}

/** The machine as one Markdown paragraph. */
export function machineMarkdown(m: Record<string, unknown>): string[] {
  return [
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GiB, ${m.os}. Deno ${m.deno} (V8 ${m.v8}), ${m.wrk}, ${m.postgres}.`,
    `Packages: ${(m.packages as string[]).join(", ")}. Connector ${m.connector}.`,
  ];
}

/** Writes `<stamp>-<label>.json` and `.md` to bench/results/; returns the path without suffix. */
export async function writeResults(
  started: Date,
  label: string,
  json: unknown,
  markdown: string,
): Promise<string> {
  const stamp = started.toISOString().slice(0, 16).replace(/[:]/g, "");
  const base = `${ROOT}bench/results/${stamp}-${label}`;
  await Deno.writeTextFile(`${base}.json`, JSON.stringify(json, null, 2) + "\n");
  await Deno.writeTextFile(`${base}.md`, markdown);
  console.log(`wrote ${base}.json and .md`);
  return base;
}

/** The `p`-th percentile (0-100) of `values`, nearest rank; NaN when empty. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))];
}

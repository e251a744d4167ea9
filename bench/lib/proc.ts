/**
 * Processes the benchmarks start, and what /proc says about them (RSS, CPU time).
 *
 * @module
 */
import { forEachLine } from "../../tests/helpers/process.ts";

/** The repository root (with a trailing slash). */
export const ROOT: string = new URL("../../", import.meta.url).pathname;

/** A child `deno` process whose stdout is drained (the first 200 lines are kept). */
export interface Proc {
  child: Deno.ChildProcess;
  lines: string[];
  /** The first stdout line that matched `ready`. */
  match: RegExpMatchArray;
  /** Kills it (SIGKILL) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Spawns `deno args…` and waits for a stdout line matching `ready`; keeps draining output. */
export async function spawn(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
): Promise<Proc> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env,
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: string[] = [];
  const found = Promise.withResolvers<RegExpMatchArray>();
  forEachLine(child.stdout, (line) => {
    if (lines.length < 200) lines.push(line);
    const match = line.match(ready);
    if (match) found.resolve(match);
  }).then(() => found.reject(new Error(`${args.join(" ")} exited before ${ready}`)), found.reject);
  const stop = async () => {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    await child.status;
  };
  try {
    return { child, lines, match: await found.promise, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A process's resident memory now and at its peak, MB. */
export interface Rss {
  rssMb: number;
  peakMb: number;
}

/** VmRSS and VmHWM of a process, from /proc/<pid>/status. */
export function rssOf(pid: number): Rss {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]);
  return {
    rssMb: Math.round(kb("VmRSS") / 102.4) / 10,
    peakMb: Math.round(kb("VmHWM") / 102.4) / 10,
  };
}

/** Clock ticks per second of /proc's CPU counters. */
export const CLOCK_TICKS: number = await (async () => {
  try {
    const { stdout } = await new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped" })
      .output();
    return Number(new TextDecoder().decode(stdout).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU ticks (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuTicks(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name (which may hold spaces) start at ") ".
  const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
}

/** CPU µs per call for `ticks` spent on `calls` calls; null when there were none. */
export function cpuUsPerCall(ticks: number, calls: number): number | null {
  return calls === 0 ? null : Math.round(ticks * 1e6 / CLOCK_TICKS / calls);
}

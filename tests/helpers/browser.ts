/**
 * Debian's Chromium driven by playwright-core, launched the way this machine needs (no sandbox as
 * root, no background networking on a closed network), plus where screenshots go.
 *
 * @module
 */
import { type Browser, chromium } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";

/**
 * Whether browser tests are skipped: only locally without Chromium. CI installs it, so there a
 * missing browser fails the test instead of hiding it.
 */
export const skipWithoutBrowser = !Deno.env.get("CI") &&
  !(await Deno.stat(CHROMIUM).then(() => true, () => false));

/** Launches headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** A folder under `test-artifacts/` for screenshots, created on demand; returns a path builder. */
export async function artifacts(folder: string): Promise<(file: string) => string> {
  const dir = new URL(`../../test-artifacts/${folder}/`, import.meta.url);
  await Deno.mkdir(dir, { recursive: true });
  return (file) => new URL(file, dir).pathname;
}

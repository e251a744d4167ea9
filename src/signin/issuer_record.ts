/**
 * Which issuer and resource the development server in a data directory serves, written there at
 * every start: `deno task mint` reads it, so a token minted with the server's `DATA_DIR` opens that
 * server whatever `PORT` or `PUBLIC_URL` it was started with.
 *
 * @module
 */
import { join } from "node:path";

/** What a development server records about itself. */
export interface IssuerRecord {
  /** The `iss` its tokens carry (its public origin). */
  issuer: string;
  /** The `aud` its `/mcp` requires. */
  resourceUrl: string;
  /** The scopes its `/mcp` requires. */
  scopes: string[];
}

const FILE = "issuer.json";

/**
 * Records `record` in `dataDir` (the development server, at start-up). The file is replaced in one
 * step (written beside it, then renamed over it): a `deno task mint` reading it meanwhile sees the
 * old record or the new one, never half of one.
 */
export async function writeIssuerRecord(dataDir: string, record: IssuerRecord): Promise<void> {
  const path = join(dataDir, FILE);
  const partial = `${path}.${crypto.randomUUID()}.partial`;
  await Deno.writeTextFile(partial, JSON.stringify(record, null, 2) + "\n", { mode: 0o600 });
  try {
    await Deno.rename(partial, path);
  } catch (error) {
    await Deno.remove(partial).catch(() => {});
    throw error;
  }
}

/** The record in `dataDir`, or `undefined` when no development server has started there. */
export async function readIssuerRecord(dataDir: string): Promise<IssuerRecord | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(dataDir, FILE));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const value = JSON.parse(text) as Partial<IssuerRecord>;
  if (typeof value.issuer !== "string" || typeof value.resourceUrl !== "string") return undefined;
  return {
    issuer: value.issuer,
    resourceUrl: value.resourceUrl,
    scopes: Array.isArray(value.scopes) ? value.scopes.map(String) : [],
  };
}

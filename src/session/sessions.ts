/**
 * The session contract: `begin` issues a signed token and records it in Deno KV; `check` accepts a
 * token only if its signature and expiry are good, its KV record exists and is not revoked, and it
 * belongs to the caller; `end` revokes it. One strongly consistent KV read per check.
 *
 * @module
 */
import type { Identity } from "../auth/identity.ts";
import type { RateDecision, RateLimiter } from "../kv/rate_limit.ts";
import type { KvHandle } from "../kv/kv_handle.ts";
import { base64url } from "jose";
import { SessionError } from "./errors.ts";
import { indexForPerson, type PersonRecordKind } from "../kv/person_keys.ts";
import { cachedSessionVerifier, sessionKey, signSessionToken } from "./session_token.ts";

/** A session's KV record. `expiresAt` is checked on read: local KV expires keys lazily. */
interface SessionRecord {
  sub: string;
  expiresAt: number;
  /** When it began (ms); records written before this field read as 0. */
  startedAt?: number;
  revokedAt?: number;
}

/** Every session of a person that began at or before `at` is over (set when they are forgotten). */
interface SessionCutoff {
  at: number;
  expiresAt: number;
}

/** KV key of a person's session cut-off. */
const sessionCutoffKey = (sub: string): Deno.KvKey => ["session-cutoff", sub];

/** KV key of a session record. */
export const sessionRecordKey = (sid: string): Deno.KvKey => ["session", sid];

/** Session records name their person: what forgetting's index walks (see `kv/person_keys.ts`). */
export const SESSION_PERSON_RECORDS: PersonRecordKind = {
  prefix: ["session"],
  sub: (value) => {
    const sub = (value as { sub?: unknown } | null)?.sub;
    return typeof sub === "string" ? sub : null;
  },
};

/** A started session. */
export interface StartedSession {
  token: string;
  sessionId: string;
  /** Expiry, seconds since the epoch. */
  expiresAt: number;
}

/** Session operations for the tools. */
export interface Sessions {
  begin(identity: Identity): Promise<StartedSession>;
  /** Returns the session id, or throws {@linkcode SessionError}. */
  check(token: string | undefined, identity: Identity): Promise<string>;
  /** Revokes the session (after the same checks as `check`). */
  end(token: string, identity: Identity): Promise<void>;
  /** Ends every session of `sub` started until now. */
  endAll(sub: string): Promise<void>;
  /**
   * Forgets `sub`'s session-start counts (their rate-limit counters name them). Their session
   * records go with the rest of their KV records (see `person_keys.ts`).
   */
  forgetStarts(sub: string): Promise<void>;
  /**
   * A short-lived code confirming a step the person must ask for twice (forgetting), bound to
   * `purpose`, the person and the session: useless in another session, for another person, or late.
   */
  confirmationCode(
    purpose: string,
    sub: string,
    sessionId: string,
    ttlSeconds: number,
  ): Promise<{ code: string; expiresAt: number }>;
  /** Whether `code` is a live confirmation of `purpose` for this person and session. */
  checkConfirmationCode(
    purpose: string,
    sub: string,
    sessionId: string,
    code: string,
  ): Promise<boolean>;
}

/** Options of {@linkcode createSessions}. */
export interface SessionsOptions {
  kv: KvHandle;
  secret: Uint8Array;
  ttlSeconds: number;
  /** Bounds how many sessions one person can start (each is a KV record). */
  startsPerPerson?: RateLimiter;
}

/** Builds the session service. */
export function createSessions(
  { kv, secret, ttlSeconds, startsPerPerson }: SessionsOptions,
): Sessions {
  const key = sessionKey(secret);
  const verifyToken = cachedSessionVerifier(key);
  /** Runs a KV operation; any KV failure is `unavailable` (and a lost connection is reopened next time). */
  async function withKv<T>(work: (kv: Deno.Kv) => Promise<T>): Promise<T> {
    try {
      return await kv.use(work);
    } catch (error) {
      throw new SessionError("unavailable", "The session store is unavailable", { cause: error });
    }
  }

  async function load(token: string | undefined, identity: Identity) {
    if (!token) throw new SessionError("missing", "No session token was given");
    const claims = await verifyToken(token);
    // A token lifted from one person is useless with another person's access token.
    if (claims.sub !== identity.sub) {
      throw new SessionError("foreign", "The session token belongs to another person");
    }
    const [entry, cutoff] = await withKv((db) =>
      db.getMany<[SessionRecord, SessionCutoff]>(
        [sessionRecordKey(claims.sid), sessionCutoffKey(claims.sub)],
        { consistency: "strong" },
      )
    );
    const record = entry.value;
    const cutOff = cutoff.value !== null && cutoff.value.expiresAt > Date.now();
    // Forgetting a person deletes their session records after setting the cut-off: a session
    // missing while the cut-off stands was ended, not never known.
    if (!record && cutOff) {
      throw new SessionError("forgotten", "The person's data was deleted at their request");
    }
    if (!record) throw new SessionError("unknown", "The session is not known");
    if (record.sub !== identity.sub) {
      throw new SessionError("foreign", "The session token belongs to another person");
    }
    if (record.revokedAt !== undefined) throw new SessionError("revoked", "The session was ended");
    if (cutOff && (record.startedAt ?? 0) <= cutoff.value!.at) {
      throw new SessionError("forgotten", "The person's data was deleted at their request");
    }
    if (record.expiresAt <= Date.now()) {
      throw new SessionError("expired", "The session has expired");
    }
    return { claims, entry };
  }

  return {
    async begin(identity) {
      const sessionId = crypto.randomUUID();
      const { token, expiresAt } = await signSessionToken(await key, {
        sub: identity.sub,
        sid: sessionId,
        ttlSeconds,
      });
      const record: SessionRecord = {
        sub: identity.sub,
        expiresAt: expiresAt * 1000,
        startedAt: Date.now(),
      };
      const recordWrite = (op: Deno.AtomicOperation) => {
        const lifetime = { expireIn: ttlSeconds * 1000 + 60_000 };
        op.set(sessionRecordKey(sessionId), record, lifetime);
        // Indexed under the person (see person_keys.ts), so forgetting them deletes it.
        indexForPerson(op, identity.sub, sessionRecordKey(sessionId), lifetime);
      };
      // The session record and the person's start count commit together: one KV transaction, and
      // a refused start writes nothing.
      const decision = await withKv(async (db): Promise<RateDecision> => {
        if (startsPerPerson) return await startsPerPerson.hit(identity.sub, { with: recordWrite });
        const op = db.atomic();
        recordWrite(op);
        await op.commit();
        return { allowed: true };
      });
      const refusal = decision.allowed ? undefined : decision.retryAfterSeconds;
      if (refusal !== undefined) {
        throw new SessionError(
          "too_many",
          `Too many sessions were started for this person just now; try again in ${refusal} s`,
        );
      }
      return { token, sessionId, expiresAt };
    },

    async check(token, identity) {
      const { claims } = await load(token, identity);
      return claims.sid;
    },

    async end(token, identity) {
      const { claims, entry } = await load(token, identity);
      // Only over the record as read: if forgetting deleted it meanwhile, it stays deleted (a
      // plain write would bring back a record naming the person, outside their index).
      await withKv((db) =>
        db.atomic().check(entry).set(
          sessionRecordKey(claims.sid),
          { ...entry.value!, revokedAt: Date.now() },
          { expireIn: Math.max(1, entry.value!.expiresAt - Date.now()) + 60_000 },
        ).commit()
      );
    },

    async endAll(sub) {
      // Sessions live at most `ttlSeconds`: past that, the cut-off has nothing left to end.
      const at = Date.now();
      const expiresAt = at + ttlSeconds * 1000 + 60_000;
      await withKv((db) =>
        db.set(sessionCutoffKey(sub), { at, expiresAt } satisfies SessionCutoff, {
          expireIn: expiresAt - at,
        })
      );
    },

    async forgetStarts(sub) {
      try {
        await startsPerPerson?.forget(sub);
      } catch (error) {
        throw new SessionError("unavailable", "The session store is unavailable", { cause: error });
      }
    },

    async confirmationCode(purpose, sub, sessionId, codeTtlSeconds) {
      const expiresAt = Math.floor(Date.now() / 1000) + codeTtlSeconds;
      const mac = await crypto.subtle.sign(
        "HMAC",
        await key,
        confirmationMessage(purpose, sub, sessionId, expiresAt),
      );
      return { code: `${expiresAt}.${base64url.encode(new Uint8Array(mac))}`, expiresAt };
    },

    async checkConfirmationCode(purpose, sub, sessionId, code) {
      // Exactly the form we issue: no leading zeros, canonical base64url (checked below).
      const match = /^([1-9]\d{0,11})\.([A-Za-z0-9_-]{43})$/.exec(code);
      if (!match) return false;
      const expiresAt = Number(match[1]);
      if (expiresAt <= Math.floor(Date.now() / 1000)) return false;
      let mac: Uint8Array;
      try {
        mac = base64url.decode(match[2]);
      } catch {
        return false;
      }
      // A non-canonical spelling of the same bytes is not the code we issued.
      if (base64url.encode(mac) !== match[2]) return false;
      // Constant-time: WebCrypto's own HMAC verification.
      return await crypto.subtle.verify(
        "HMAC",
        await key,
        mac as BufferSource,
        confirmationMessage(purpose, sub, sessionId, expiresAt),
      );
    },
  };
}

function confirmationMessage(
  purpose: string,
  sub: string,
  sessionId: string,
  expiresAt: number,
): BufferSource {
  // A distinct prefix: a confirmation MAC can never pass for a session token's signature.
  return new TextEncoder().encode(
    JSON.stringify(["kit:confirmation", purpose, sub, sessionId, expiresAt]),
  ) as BufferSource;
}

/**
 * The session signing secret: `SESSION_SIGNING_SECRET` when configured; in development, one
 * generated on first start and kept under `DATA_DIR`.
 */
export async function loadSessionSecret(
  configured: string | undefined,
  dataDir: string,
): Promise<Uint8Array> {
  if (configured) return new TextEncoder().encode(configured);
  const path = `${dataDir}/session-secret`;
  try {
    return new TextEncoder().encode((await Deno.readTextFile(path)).trim());
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.mkdir(dataDir, { recursive: true });
  const fresh = Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  try {
    await Deno.writeTextFile(path, fresh, { createNew: true, mode: 0o600 });
    return new TextEncoder().encode(fresh);
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    return new TextEncoder().encode((await Deno.readTextFile(path)).trim());
  }
}

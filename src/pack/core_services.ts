/**
 * What the kit's own tools work with, shared by every request.
 *
 * @module
 */
import type { PackBrand } from "./brand.ts";
import type { Guidance } from "../guidance.ts";
import type { Readiness } from "../health/readiness.ts";
import type { Sessions } from "../session/sessions.ts";
import type { UserStore } from "../store/types.ts";

/** The kit's services, as tools see them. */
export interface CoreServices {
  /** People and their versioned saved state. */
  users: UserStore;
  /** Session tokens and their records. */
  sessions: Sessions;
  /** The pack's rules and persona. */
  guidance: Guidance;
  /** The pack's names and voice. */
  brand: PackBrand;
  /** Cap on one person's saved state, bytes of JSON. */
  stateMaxBytes: number;
  /** Whether the stores answer (shared with `/readyz`). */
  readiness(): Promise<Readiness>;
  /** Deletes everything kept about a person, the pack's data included, in one transaction. */
  forget(sub: string): Promise<void>;
  /**
   * Runs `work` with every database call it makes (the pack's store, the kit's) inside one
   * transaction, under one store deadline: it commits once `work` has finished, or not at all.
   * The kit runs a pack's write tool this way so its history entry commits with its change.
   */
  atomically<T>(work: () => Promise<T>): Promise<T>;
}

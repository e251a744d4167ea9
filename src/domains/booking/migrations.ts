/**
 * The booking desk's tables, under its own namespace (`booking`).
 *
 * No two active reservations of one resource may overlap, and the database says so, not a read
 * followed by a write: every reservation holds one row per quarter hour it covers in
 * `booking_reservation_slots`, whose primary key is (resource, slot start). Two transactions that
 * want the same quarter hour cannot both insert it, whatever the timing; cancelling deletes the
 * slots. (An exclusion constraint over a time range would need the `btree_gist` extension, which
 * the embedded database does not load; unique slot rows behave the same on both backends.)
 *
 * @module
 */
import type { Migration } from "../../pack/mod.ts";

/** The pack's migrations, in order. Never edit one that has shipped: add the next. */
export const BOOKING_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "resources, opening hours, reservations and their slots",
    sql: `
CREATE TABLE booking_resources (
  id text PRIMARY KEY,
  name text NOT NULL,
  kind text NOT NULL,
  capacity int NOT NULL CHECK (capacity > 0),
  hourly_price_cents int NOT NULL CHECK (hourly_price_cents >= 0),
  description text NOT NULL,
  amenities text[] NOT NULL DEFAULT '{}'
);

-- Weekly opening hours on the venue's clock, one row per open ISO weekday (1 = Monday).
CREATE TABLE booking_opening_hours (
  resource_id text NOT NULL REFERENCES booking_resources (id) ON DELETE CASCADE,
  isodow int NOT NULL CHECK (isodow BETWEEN 1 AND 7),
  opens time NOT NULL,
  closes time NOT NULL,
  PRIMARY KEY (resource_id, isodow),
  CHECK (opens < closes)
);

CREATE TABLE booking_reservations (
  id text PRIMARY KEY,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Hosts retry calls: the same key from the same person is the same booking.
  idempotency_key text NOT NULL,
  resource_id text NOT NULL REFERENCES booking_resources (id),
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  party_size int NOT NULL CHECK (party_size > 0),
  note text,
  price_cents int NOT NULL CHECK (price_cents >= 0),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  cancelled_at timestamptz,
  fee_cents int CHECK (fee_cents >= 0),
  UNIQUE (user_id, idempotency_key),
  CHECK (ends_at > starts_at),
  CHECK (extract(epoch FROM starts_at)::bigint % 900 = 0 AND extract(epoch FROM ends_at)::bigint % 900 = 0),
  CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL))
);
CREATE INDEX booking_reservations_user_idx ON booking_reservations (user_id, starts_at);

-- One row per quarter hour an active reservation covers; the primary key is the no-overlap rule.
CREATE TABLE booking_reservation_slots (
  resource_id text NOT NULL REFERENCES booking_resources (id),
  slot_start timestamptz NOT NULL,
  reservation_id text NOT NULL REFERENCES booking_reservations (id) ON DELETE CASCADE,
  PRIMARY KEY (resource_id, slot_start),
  CHECK (extract(epoch FROM slot_start)::bigint % 900 = 0)
);
CREATE INDEX booking_reservation_slots_reservation_idx ON booking_reservation_slots (reservation_id);
`,
  },
];

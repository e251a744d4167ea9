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
  {
    version: 2,
    name: "booking in one call: booking_book",
    // The steps a booking took from the server one statement at a time (the key, the person's
    // lock, the count, the reservation, its slots), in one function: one round trip instead of
    // five, in the caller's transaction, with the same statements and the same outcomes.
    sql: `
CREATE FUNCTION booking_book(
  p_id text, p_user text, p_key text, p_resource text, p_start timestamptz, p_end timestamptz,
  p_party int, p_note text, p_price int, p_tz text, p_wanted int, p_max_upcoming int
) RETURNS TABLE (outcome text, reservation_id text)
LANGUAGE plpgsql AS $$
DECLARE
  v_id text;
  v_count int;
BEGIN
  SELECT id INTO v_id FROM booking_reservations WHERE user_id = p_user AND idempotency_key = p_key;
  IF v_id IS NOT NULL THEN
    RETURN QUERY SELECT 'existing'::text, v_id;
    RETURN;
  END IF;
  -- One booking of a person at a time, so parallel requests cannot all pass the count.
  PERFORM 1 FROM users WHERE id = p_user FOR UPDATE;
  SELECT count(*)::int INTO v_count FROM booking_reservations
   WHERE user_id = p_user AND status = 'active' AND ends_at > now();
  IF v_count >= p_max_upcoming THEN
    RETURN QUERY SELECT 'limit'::text, NULL::text;
    RETURN;
  END IF;
  -- Opening hours (on the venue's clock), capacity and "not in the past" are checked here.
  INSERT INTO booking_reservations
    (id, user_id, idempotency_key, resource_id, starts_at, ends_at, party_size, note, price_cents)
  SELECT p_id, p_user, p_key, r.id, p_start, p_end, p_party, p_note, p_price
    FROM booking_resources r
    JOIN booking_opening_hours h
      ON h.resource_id = r.id AND h.isodow = extract(isodow FROM p_start AT TIME ZONE p_tz)
   WHERE r.id = p_resource AND r.capacity >= p_party
     AND p_start > now()
     AND (p_start AT TIME ZONE p_tz)::time >= h.opens
     AND (p_end AT TIME ZONE p_tz) <= (p_start AT TIME ZONE p_tz)::date + h.closes
  ON CONFLICT (user_id, idempotency_key) DO NOTHING
  RETURNING id INTO v_id;
  IF v_id IS NULL THEN
    -- The same key was just used by a concurrent retry, or the booking is not possible.
    SELECT id INTO v_id FROM booking_reservations WHERE user_id = p_user AND idempotency_key = p_key;
    RETURN QUERY SELECT CASE WHEN v_id IS NULL THEN 'not_bookable' ELSE 'existing' END, v_id;
    RETURN;
  END IF;
  -- Ascending order, so two overlapping bookings meet at their first shared slot and never wait
  -- on each other crosswise.
  WITH taken AS (
    INSERT INTO booking_reservation_slots (resource_id, slot_start, reservation_id)
    SELECT p_resource, s, p_id
      FROM generate_series(p_start, p_end - interval '15 minutes', interval '15 minutes') AS s
     ORDER BY s
    ON CONFLICT (resource_id, slot_start) DO NOTHING
    RETURNING 1
  )
  SELECT count(*)::int INTO v_count FROM taken;
  IF v_count <> p_wanted THEN
    DELETE FROM booking_reservations WHERE id = p_id;
    RETURN QUERY SELECT 'taken'::text, NULL::text;
    RETURN;
  END IF;
  RETURN QUERY SELECT 'booked'::text, p_id;
END
$$;
`,
  },
];

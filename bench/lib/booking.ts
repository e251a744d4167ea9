/**
 * The booking line: the booking pack's `domain_book` at 16 connections, each request a
 * distinct 30-minute slot (a write transaction each), on PostgreSQL.
 *
 * @module
 */
import { addDays, clock, localTime, minutesOf, WEEKDAYS } from "../../src/domains/booking/time.ts";
import { readVenue } from "../../src/domains/booking/venue.ts";

const VENUE = await readVenue();
import type { Backend } from "./connector.ts";
import { once, toolCall } from "./mcp.ts";
import { spawn } from "./proc.ts";
import { type Load, wrk, WRK_THREADS } from "./wrk.ts";

/** Members the booking line spreads its requests over (each may hold 20 upcoming bookings). */
const MEMBERS = 500;

/**
 * Books distinct 30-minute slots (every resource, every half hour it is open, days 1-59) as fast as
 * 16 connections go, on a booking server of its own on `backend` with `databaseUrl` (same data
 * directory, so the same signing key); checks afterwards that every request booked.
 */
export async function benchBooking(
  backend: Backend,
  databaseUrl: string,
  seconds: number,
  extraEnv: Record<string, string> = {},
): Promise<Load> {
  const server = await spawn(
    ["run", "-A", "main.ts"],
    { ...backend.env, DATABASE_URL: databaseUrl, DOMAIN: "booking", ...extraEnv },
    /Connector URL\s+(\S+)\/mcp/,
  );
  try {
    const origin = /listening on (http:\/\/\S+?)\.?$/m.exec(server.lines.join("\n"))![1];
    const members = await signInMembers(backend, server.match[1], origin);
    const slots = distinctSlots();
    const template = toolCall("2025", "domain_book", {
      session: "%s",
      resource_id: "%s",
      start: "%s",
      end: "%s",
      party_size: 2,
      idempotency_key: "bench-%d-%d",
    });
    template.headers.authorization = members[0].auth;
    const outcomes = await Deno.makeTempFile({ suffix: ".txt" });
    const load = await wrk(`${origin}/mcp`, template, 16, seconds, {
      extraLua: bookingLua(slots, members, template.body, outcomes),
      serverPid: server.child.pid,
    });
    const [booked, refused] = (await Deno.readTextFile(outcomes)).split(" ").map(Number);
    await Deno.remove(outcomes);
    console.log(`booking: ${booked} booked, ${refused} refused, of ${slots.length} distinct slots`);
    if (refused > 0 || booked > slots.length) {
      throw new Error("booking bench: not every request booked");
    }
    return load;
  } finally {
    await server.stop();
  }
}

/**
 * Many members, each with a session: one member may hold only so many upcoming bookings, so the
 * requests are spread over enough of them that no one reaches the cap.
 */
async function signInMembers(
  backend: Backend,
  publicUrl: string,
  origin: string,
): Promise<{ auth: string; session: string }[]> {
  const members: { auth: string; session: string }[] = [];
  for (let batch = 0; batch < MEMBERS / 25; batch++) {
    members.push(
      ...await Promise.all(Array.from({ length: 25 }, async (_, i) => {
        const auth = `Bearer ${await backend.tokenFor(
          publicUrl,
          `bench-booker-${batch * 25 + i}`,
        )}`;
        const begin = toolCall("2025", "begin_session", {});
        begin.headers.authorization = auth;
        const answer = await once(`${origin}/mcp`, begin);
        return { auth, session: answer.result!.structuredContent.session.token as string };
      })),
    );
  }
  return members;
}

/** Every open half hour of every resource on days 1-59, as `resource|start|end`. */
function distinctSlots(): string[] {
  const slots: string[] = [];
  for (let day = 1; day < 60; day++) {
    const date = addDays(localTime(Date.now(), VENUE.timeZone).date, day);
    const weekday = WEEKDAYS[(new Date(`${date}T12:00:00Z`).getUTCDay() + 6) % 7];
    for (const r of VENUE.resources) {
      const hours = r.hours[weekday];
      if (!hours) continue;
      for (let m = minutesOf(hours[0]); m + 30 <= minutesOf(hours[1]); m += 30) {
        slots.push(`${r.id}|${date}T${clock(m)}|${date}T${clock(m + 30)}`);
      }
    }
  }
  return slots;
}

/**
 * wrk Lua that fills `body` (a format string) with a distinct slot and a member per request, and
 * writes "booked refused" to `outcomes` at the end. Each wrk thread takes every WRK_THREADS-th slot
 * from its own offset (threads share no Lua state), so no two requests share a slot.
 */
function bookingLua(
  slots: string[],
  members: { auth: string; session: string }[],
  body: string,
  outcomes: string,
): string {
  return `
local slots = { ${slots.map((x) => `"${x}"`).join(",")} }
local members = { ${members.map((m) => `{"${m.auth}","${m.session}"}`).join(",")} }
local threads = {}
function setup(thread) thread:set("id", #threads) table.insert(threads, thread) end
function init() n = 0 booked = 0 refused = 0 end
function request()
  local i = (id + n * ${WRK_THREADS}) % #slots + 1
  n = n + 1
  local r, s, e = slots[i]:match("([^|]+)|([^|]+)|([^|]+)")
  local m = members[(id + n * ${WRK_THREADS}) % #members + 1]
  local h = {}
  for k, v in pairs(wrk.headers) do h[k] = v end
  h["authorization"] = m[1]
  return wrk.format(nil, nil, h, string.format([==[${body}]==], m[2], r, s, e, id, n))
end
function response(status, headers, body)
  if body:find('"isError":true', 1, true) then refused = refused + 1 else booked = booked + 1 end
end
function done()
  local b, r = 0, 0
  for _, t in ipairs(threads) do b = b + t:get("booked") r = r + t:get("refused") end
  local f = io.open("${outcomes}", "w") f:write(b .. " " .. r) f:close()
end`;
}

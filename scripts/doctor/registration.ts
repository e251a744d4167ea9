/**
 * The doctor's own clients at an issuer: it registers them the way hosts do (RFC 7591), and when
 * it is done deletes each one the issuer lets it delete (RFC 7592: `DELETE` on the
 * `registration_client_uri` with the `registration_access_token`), so a run leaves no
 * "kit-doctor" row behind there; where the issuer offers no such thing, the report says which
 * clients it left.
 *
 * @module
 */
import { type Answer, answered, followable, jsonOf, send, wordsOf } from "./http.ts";
import { joined, ours, type Probe, type Text, text } from "./probe.ts";

/** What a registration came to: the client's ID when it got one, and the answer itself. */
export interface Registered {
  /** The registration endpoint's answer. */
  answer: Answer;
  /** The client's ID, when one came back. */
  clientId?: string;
}

/**
 * Registers a client with `metadata` at `endpoint`; a client that came back (with a `client_id`)
 * is remembered for {@linkcode forgetRegistrations}, whatever else is wrong with the answer.
 */
export async function register(
  probe: Probe,
  endpoint: string,
  metadata: { client_name: string } & Record<string, unknown>,
): Promise<Registered> {
  const answer = await send(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(metadata),
  });
  const json = answer.status >= 200 && answer.status < 300 ? jsonOf(answer) : undefined;
  if (typeof json?.client_id !== "string") return { answer };
  const { registration_client_uri: uri, registration_access_token: token } = json;
  probe.registered.push({
    clientId: json.client_id,
    name: metadata.client_name,
    management: typeof uri === "string" && typeof token === "string" ? { uri, token } : undefined,
  });
  return { answer, clientId: json.client_id };
}

/** Why a registration was refused, in the server's words: `429 ("…" "Too many …")`. */
export function refusal(probe: Probe, answer: Answer): Text {
  return text`${answered(probe, answer)}${wordsOf(answer)}`;
}

/** Whether a refusal says "not now" (a cap, an outage) rather than "not like this". */
export function isTemporary(answer: Answer): boolean {
  return answer.status === 429 || answer.status === 503;
}

/**
 * Deletes every client the doctor registered where the issuer offers RFC 7592, and notes in the
 * probe what it deleted and what it left registered. Called once every check is done (deleting a
 * client may revoke the tokens the checks use).
 */
export async function forgetRegistrations(probe: Probe): Promise<void> {
  let deleted = 0;
  const unmanaged: Text[] = [];
  for (const { clientId, management } of probe.registered) {
    if (!management) {
      unmanaged.push(text`${clientId}`);
      continue;
    }
    if (!followable(probe, management.uri)) {
      probe.cleanup.push(
        text`left the doctor's client ${clientId} registered: its registration_client_uri ${management.uri} is not an address the doctor follows from here`,
      );
      continue;
    }
    const answer = await send(management.uri, {
      method: "DELETE",
      headers: { authorization: `Bearer ${management.token}` },
    });
    if (answer.status === 204 || answer.status === 200) deleted++;
    else {
      probe.cleanup.push(
        text`left the doctor's client ${clientId} registered: deleting it (RFC 7592) answered ${
          answered(probe, answer)
        }${wordsOf(answer)}`,
      );
    }
  }
  const s = (n: number) => ours(n === 1 ? "" : "s");
  if (deleted > 0) {
    probe.cleanup.push(
      text`deleted the doctor's ${deleted} registered client${s(deleted)} (RFC 7592)`,
    );
  }
  if (unmanaged.length > 0) {
    const them = ours(unmanaged.length === 1 ? "it" : "them");
    probe.cleanup.push(
      text`left the doctor's client${s(unmanaged.length)} ${
        joined(unmanaged, ", ")
      } registered at the issuer: its registration answer offers no RFC 7592 registration_client_uri and registration_access_token, so the doctor cannot delete ${them} (an issuer that does not reuse registrations gains new ones each run)`,
    );
  }
}

/**
 * The verified caller: all a tool learns about who is calling.
 *
 * @module
 */

/**
 * Who is calling, proven by a verified OAuth access token. Never built from tool arguments: a
 * tool that needs "whose rows" reads `identity.sub`, never an argument.
 */
export interface Identity {
  /** The token's `sub`: the person's stable id. */
  readonly sub: string;
  /** The token's `email`, when the issuer put one in. */
  readonly email?: string;
}

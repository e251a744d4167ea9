/**
 * Names the kit used on the wire before it spoke of no pack. They were issued to hosts or stored,
 * so they are still read; none is ever written again. Each says how long it is kept and why: this
 * is the one file of the kit that holds them (the vocabulary test allows these lines here only).
 *
 * @module
 */

/**
 * The claim naming an access token's grant before it was `kit_grant`. Access tokens live at most
 * `ACCESS_TOKEN_TTL` (24 h by default): read until every token issued under it has expired, so a
 * revoked grant's earlier tokens are refused too. Safe to drop from 2026-12-07.
 */
export const EARLIER_GRANT_CLAIM = "rr_grant";

/**
 * The prefix refresh tokens had before `kit_rt_`. Refresh-token families live `REFRESH_TOKEN_TTL`
 * (30 days by default): such tokens still rotate and revoke until then. Safe to drop from 2027-01-05.
 */
export const EARLIER_REFRESH_TOKEN_PREFIX = "rrt_";

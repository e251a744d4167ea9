/**
 * How a connector names itself: the words every text of the kit is built from. A domain pack
 * supplies one; the kit never writes a product's name of its own.
 *
 * @module
 */

/** How the connector names itself and the people it serves, in every text the kit writes. */
export interface PackBrand {
  /** The product's name, as people and models read it. */
  productName: string;
  /** Its machine name (MCP server name, suggested connector name), e.g. "my-pack". */
  serverName: string;
  /** What a signed-in person is called here: "reader". */
  userNoun: string;
  /** What the saved state is called in failure texts: "reading memory". */
  memoryName: string;
  /** The landing page's headline. */
  tagline: string;
  /** What the assistant can do here, completing "your assistant can …" on the landing page. */
  pitch: string;
  /** The MCP `instructions` every host receives at initialize. */
  instructions: string;
  /** What the `mcp` scope lets an app do, on the consent page. */
  scopeDescription: string;
  /** Something a person could ask first, completing "In a chat, turn it on and …". */
  firstRequest: string;
}

import { assertEquals } from "@std/assert";
import {
  getOAuthProtectedResourceMetadataUrl,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/server";
import { LEGACY_PROTOCOL_REVISIONS } from "./version.ts";
import { protectedResourceMetadataUrl } from "./auth/protected_resource.ts";

Deno.test("the revisions written out are the SDK's, in its order", () => {
  assertEquals([...LEGACY_PROTOCOL_REVISIONS], [...SUPPORTED_PROTOCOL_VERSIONS]);
});

Deno.test("the protected-resource metadata URL is where the SDK puts it", () => {
  for (
    const resource of [
      "https://example.com/mcp",
      "https://example.com/mcp/",
      "https://example.com/",
      "https://example.com",
      "http://localhost:8000/a/b/mcp#frag",
      "https://example.com/mcp?x=1",
    ]
  ) {
    assertEquals(
      protectedResourceMetadataUrl(resource),
      getOAuthProtectedResourceMetadataUrl(new URL(resource)),
      resource,
    );
  }
});

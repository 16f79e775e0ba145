// The conformance vectors of docs/vectors/: the only thing this client takes from
// the liuhen repository besides the documents in docs/. A third party gets the
// same files with the specification.

import fs from "node:fs";

const DIR = new URL("../../../docs/vectors/", import.meta.url);

/** Reads docs/vectors/<name> as JSON. */
export function vector(name) {
  return JSON.parse(fs.readFileSync(new URL(name, DIR), "utf8"));
}

/** Bytes of a hex string. */
export function unhex(hex) {
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/**
 * The schema chain's changes (docs/protocol/document.md, "The schema chain"), as
 * the bytes to apply: index 0 is schema version 1.
 */
export function schemaChain() {
  const v = vector("schema-chain.json");
  return {
    version: v.schema_version,
    // New documents start at the base version; later links (4: capture positions)
    // are applied by the first write that needs them.
    base: v.base_version ?? v.schema_version,
    actor: v.schema_actor,
    changes: v.changes.map((c) => unhex(c.bytes_hex)),
    hashes: v.changes.map((c) => c.hash),
  };
}

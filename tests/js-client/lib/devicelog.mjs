// The signed device log (docs/protocol/device-log.md): canonical encoding, SHA-256
// hash, ed25519 signature over the ASCII hex hash. Node's own crypto only.

import crypto from "node:crypto";
import { byUtf8 } from "./schema.mjs";

/** `prev_hash` of entry 1. */
export const GENESIS_HASH = "0".repeat(64);

// DER prefixes of an ed25519 private key (PKCS#8) and public key (SPKI), RFC 8410.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** An ed25519 key from its 32-byte seed (hex). */
export function keyFromSeed(seedHex) {
  const seed = Buffer.from(seedHex, "hex");
  if (seed.length !== 32) throw new Error("an ed25519 seed is 32 bytes");
  const privateKey = crypto.createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: "der",
    type: "pkcs8",
  });
  const spki = crypto.createPublicKey(privateKey).export({ format: "der", type: "spki" });
  return { privateKey, publicKeyHex: spki.subarray(SPKI_PREFIX.length).toString("hex") };
}

/** A new random seed (hex). */
export function newSeed() {
  return crypto.randomBytes(32).toString("hex");
}

/**
 * JSON text of `v` with object keys sorted by their UTF-8 bytes, no spaces.
 * Numbers must be integers within ±2^53 (other numbers are encoded differently by
 * JSON libraries, so the document forbids them in `detail`).
 */
export function canonicalJson(v) {
  if (v === null || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new Error(`detail number ${v} is not a safe integer`);
    return String(v);
  }
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (typeof v === "object") {
    const keys = Object.keys(v).sort(byUtf8);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(",")}}`;
  }
  throw new Error(`cannot encode ${typeof v}`);
}

/**
 * The canonical encoding of an entry: the hashed fields in this fixed order,
 * `at` as integer milliseconds `at_ms`, version `v` 1.
 */
export function canonical(e) {
  return (
    `{"v":1,"seq":${e.seq},"prev_hash":${JSON.stringify(e.prev_hash)}` +
    `,"at_ms":${Date.parse(e.at)},"officer_id":${JSON.stringify(e.officer_id)}` +
    `,"device_id":${JSON.stringify(e.device_id)}` +
    `,"inspection_id":${e.inspection_id === null ? "null" : JSON.stringify(e.inspection_id)}` +
    `,"action":${JSON.stringify(e.action)},"detail":${canonicalJson(e.detail)}` +
    `,"evidence":${canonicalJson(e.evidence)},"doc_heads":${canonicalJson(e.doc_heads)}}`
  );
}

/** SHA-256 (lower-case hex) of the canonical encoding. */
export function entryHash(e) {
  return crypto.createHash("sha256").update(canonical(e), "utf8").digest("hex");
}

/** The signature (hex) of an entry's hash: ed25519 over the 64 ASCII hex characters. */
export function sign(hash, privateKey) {
  return crypto.sign(null, Buffer.from(hash, "ascii"), privateKey).toString("hex");
}

/**
 * Chains and signs the next entry after `prev` (null for the first): `fields` are
 * at (ISO with milliseconds), officer_id, inspection_id (or null), action, detail,
 * evidence, doc_heads.
 */
export function seal(fields, prev, deviceId, privateKey) {
  const e = {
    seq: prev ? prev.seq + 1 : 1,
    prev_hash: prev ? prev.hash : GENESIS_HASH,
    at: fields.at,
    officer_id: fields.officer_id,
    device_id: deviceId,
    inspection_id: fields.inspection_id ?? null,
    action: fields.action,
    detail: fields.detail ?? {},
    evidence: fields.evidence ?? [],
    doc_heads: fields.doc_heads ?? [],
  };
  e.hash = entryHash(e);
  e.signature = sign(e.hash, privateKey);
  return e;
}

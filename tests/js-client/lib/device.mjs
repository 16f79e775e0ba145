// The device's durable state: identity, token, documents, sync states, its signed
// log and blobs, in one directory (state.json plus blobs/<sha256>). Written after
// every step, so an interrupted run loses nothing it recorded.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as A from "@automerge/automerge";
import { keyFromSeed, seal } from "./devicelog.mjs";

const b64 = (bytes) => Buffer.from(bytes).toString("base64");
const unb64 = (s) => Uint8Array.from(Buffer.from(s, "base64"));

/** Sorted hex heads of a document. */
export function heads(doc) {
  return [...A.getHeads(doc)].sort();
}

export class Device {
  constructor(dir) {
    this.dir = dir;
    this.file = path.join(dir, "state.json");
    this.docs = new Map();
    if (fs.existsSync(this.file)) {
      this.s = JSON.parse(fs.readFileSync(this.file, "utf8"));
      for (const [id, bytes] of Object.entries(this.s.docs)) {
        this.docs.set(id, A.load(unb64(bytes), { actor: this.s.actor_id }));
      }
    } else {
      // A new identity: device id (UUID), automerge actor id (16 random bytes),
      // ed25519 key. The actor id never changes, even on re-enrolment.
      this.s = {
        device_id: crypto.randomUUID(),
        actor_id: crypto.randomBytes(16).toString("hex"),
        key_seed: crypto.randomBytes(32).toString("hex"),
        server: null,
        token: null,
        user: null,
        roster: null,
        roster_version: null,
        docs: {},
        sync_states: {},
        pending: [],
        attention: {},
        log: [],
        log_acked_seq: 0,
        uploads: {},
      };
    }
    this.key = keyFromSeed(this.s.key_seed);
    fs.mkdirSync(path.join(dir, "blobs"), { recursive: true });
  }

  get officerId() {
    return this.s.user?.officer_id;
  }

  save() {
    for (const [id, doc] of this.docs) this.s.docs[id] = b64(A.save(doc));
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.s, null, 1));
    fs.renameSync(tmp, this.file);
  }

  /** Appends a signed log entry (docs/protocol/device-log.md). */
  log(fields) {
    const prev = this.s.log.at(-1) ?? null;
    const entry = seal(
      { at: new Date().toISOString(), ...fields },
      prev,
      this.s.device_id,
      this.key.privateKey,
    );
    this.s.log.push(entry);
    return entry;
  }

  /**
   * Records one step: `fn(doc)` returns the changed document, which is stored
   * with a log entry carrying its heads; the record becomes pending sync.
   */
  step(id, action, detail, evidence, fn) {
    const doc = fn(this.docs.get(id) ?? null);
    this.docs.set(id, doc);
    if (!this.s.pending.includes(id)) this.s.pending.push(id);
    this.log({
      officer_id: this.officerId,
      inspection_id: id,
      action,
      detail,
      evidence,
      doc_heads: heads(doc),
    });
    this.save();
    return doc;
  }

  /** Stores a blob under its SHA-256; returns the hash. */
  putBlob(bytes) {
    const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
    fs.writeFileSync(path.join(this.dir, "blobs", sha256), bytes);
    return sha256;
  }

  blobPath(sha256) {
    return path.join(this.dir, "blobs", sha256);
  }

  hasBlob(sha256) {
    return fs.existsSync(this.blobPath(sha256));
  }

  syncState(id) {
    const s = this.s.sync_states[id];
    return s ? A.decodeSyncState(unb64(s)) : A.initSyncState();
  }

  setSyncState(id, state) {
    this.s.sync_states[id] = b64(A.encodeSyncState(state));
  }
}

export { b64, unb64 };

// Offline self-checks against docs/vectors/: this client reproduces the vectors'
// change hashes, canonical log encodings, hashes and signatures exactly, and reads
// the vectors' documents with the types the document specifies.

import { isDeepStrictEqual } from "node:util";
import * as A from "@automerge/automerge";
import * as doc from "./schema.mjs";
import { canonical, entryHash, keyFromSeed, seal, sign } from "./devicelog.mjs";
import { schemaChain, unhex, vector } from "./vectors.mjs";

function check(results, name, ok, detail) {
  results.push({ name, ok: Boolean(ok), ...(ok ? {} : { detail }) });
}

/** Replays the inspection vector's steps with this client's writers. */
function replayInspection(v, results) {
  const actor = v.device.actor_id;
  const chainLen = schemaChain().base;
  let d = null;
  const team = [];
  v.steps.forEach((s, i) => {
    const x = s.input;
    switch (s.message) {
      case "open":
        d = doc.open(actor, x);
        break;
      case "check_in":
        team.push(x.officer_id);
        d = doc.checkIn(d, { ...x, at: x.checked_in_at });
        break;
      case "evidence":
        d = doc.addEvidence(d, x);
        break;
      case "identity_notice":
        d = doc.identityNotice(d, x);
        break;
      case "finding":
        d = doc.addFinding(d, x);
        break;
      case "edit_finding":
        d = doc.editFinding(d, x.id, x.text, x.at);
        break;
      case "rights_notice":
        d = doc.rightsNotice(d, { ...x, ack: x.acknowledgement });
        break;
      case "close":
        d = doc.close(d, x);
        break;
      case "amendment":
        d = doc.addAmendment(d, x);
        break;
      default:
        throw new Error(`unknown step ${s.message}`);
    }
    const expected = v.changes[chainLen + i].hash;
    const got = A.getHeads(d)[0];
    check(results, `inspection step ${i + 1} (${s.message}) is byte-identical`, got === expected, {
      expected,
      got,
    });
  });
  check(results, "inspection: typed fields equal the vector", isDeepStrictEqual(doc.typed(d), v.typed), {
    got: doc.typed(d),
  });
}

/** Runs every check; returns the list of results. */
export function runConformance() {
  const results = [];

  const chain = vector("schema-chain.json");
  const [c] = A.applyChanges(A.init(), schemaChain().changes);
  const last = chain.changes.at(-1);
  check(results, "schema chain: heads after the chain", isDeepStrictEqual(A.getHeads(c), [last.hash]));
  check(results, "schema chain: typed document", isDeepStrictEqual(doc.typed(c), last.document_after));

  const insp = vector("inspection.json");
  const loaded = A.load(unhex(insp.document_hex));
  check(results, "inspection: loads with the vector's heads", isDeepStrictEqual([...A.getHeads(loaded)].sort(), insp.heads));
  check(results, "inspection: typed fields of the loaded document", isDeepStrictEqual(doc.typed(loaded), insp.typed));
  replayInspection(insp, results);

  const mig = vector("migration.json");
  let v1 = A.load(unhex(mig.v1_document_hex));
  check(results, "migration: v1 document reads as schema 1", v1.schema_version === 1);
  [v1] = A.applyChanges(v1, schemaChain().changes.slice(mig.from_version, mig.to_version));
  check(results, "migration: heads after applying the missing chain changes", isDeepStrictEqual([...A.getHeads(v1)].sort(), mig.migrated_heads));
  check(results, "migration: typed document", isDeepStrictEqual(doc.typed(v1), mig.migrated_typed));

  const draft = vector("draft.json");
  const dd = A.load(unhex(draft.document_hex));
  check(results, "draft: typed fields", isDeepStrictEqual(doc.typed(dd), draft.typed));

  const log = vector("device-log.json");
  const key = keyFromSeed(log.secret_key_seed_hex);
  check(results, "device log: public key from the seed", key.publicKeyHex === log.public_key_hex);
  let prev = null;
  log.entries.forEach((v, i) => {
    const e = v.entry;
    check(results, `device log ${i + 1}: canonical encoding`, canonical(e) === v.canonical, {
      got: canonical(e),
    });
    check(results, `device log ${i + 1}: hash`, entryHash(e) === v.hash);
    check(results, `device log ${i + 1}: signature`, sign(v.hash, key.privateKey) === v.signature);
    const resealed = seal(e, prev, e.device_id, key.privateKey);
    check(results, `device log ${i + 1}: sealed again`, resealed.hash === e.hash && resealed.signature === e.signature);
    prev = e;
  });
  return results;
}

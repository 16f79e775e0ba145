// The inspection document (docs/protocol/document.md, schema version 3) written
// with the unmodified @automerge/automerge 3.x. Every string is a scalar string
// (`ImmutableString`; a plain JS string would become collaborative text), every
// time an integer of milliseconds since the epoch, coordinates are `Float64`.
// One change per step, all fields of a new list entry in the change that inserts it.

import * as A from "@automerge/automerge";
import { schemaChain } from "./vectors.mjs";

const S = (s) => new A.ImmutableString(String(s));

/** Milliseconds since the epoch of an ISO time or a Date. */
export function ms(t) {
  return typeof t === "number" ? t : Date.parse(t instanceof Date ? t.toISOString() : t);
}

/** A change's `time` field: whole seconds (informational). */
function secs(t) {
  return Math.floor(ms(t) / 1000);
}

function change(doc, message, at, fn) {
  return A.change(doc, { message, time: secs(at) }, fn);
}

/**
 * A new document for `actor` holding the schema chain: the chain's bytes from the
 * vectors, applied as they are (never re-created, so they merge as one with
 * every other device's copy).
 */
export function fromChain(actor) {
  const chain = schemaChain();
  const [doc] = A.applyChanges(A.init({ actor }), chain.changes.slice(0, chain.base));
  if (doc.schema_version !== chain.base) {
    throw new Error(`schema chain gave version ${doc.schema_version}`);
  }
  return doc;
}

/**
 * Brings `doc` to schema `version` by applying the chain's missing changes (the
 * same bytes as everywhere): version 4 before the first capture position.
 */
export function requireVersion(doc, version) {
  if (doc.schema_version >= version) return doc;
  const [d] = A.applyChanges(doc, schemaChain().changes.slice(0, version));
  return d;
}

/** Writes a capture position's fields (schema 4, R-REC-3) into `x`. */
function putLocation(x, l) {
  x.lat = new A.Float64(l.lat);
  x.lon = new A.Float64(l.lon);
  x.accuracy_m = new A.Float64(l.accuracy_m);
  x.fixed_at = ms(l.fixed_at);
}

/**
 * Opens an inspection: the chain, then one change writing every `meta` field
 * (docs/protocol/document.md, `meta`). `m` holds plain values; times ISO or ms.
 */
export function open(actor, m) {
  const doc = fromChain(actor);
  return change(doc, "open", m.opened_at, (d) => {
    const t = d.meta;
    t.id = S(m.id);
    t.kind = S(m.kind); // "task" or "adhoc"
    if (m.task_id) t.task_id = S(m.task_id);
    t.agency_id = S(m.agency_id);
    t.agency_name = S(m.agency_name);
    t.target_id = S(m.target_id);
    t.target_name = S(m.target_name);
    if (m.target_credit_code) t.target_credit_code = S(m.target_credit_code);
    t.target_address = S(m.target_address);
    t.target_area = S(m.target_area);
    t.target_is_natural_person = Boolean(m.target_is_natural_person);
    t.category = S(m.category);
    t.item_code = S(m.item_code);
    t.item_name = S(m.item_name);
    if (m.legal_basis) t.legal_basis = S(m.legal_basis);
    t.opened_at = ms(m.opened_at);
    t.opened_by = S(m.opened_by);
    t.device_id = S(m.device_id);
  });
}

/** Appends a check-in to `team`. */
export function checkIn(doc, m) {
  if (m.location) doc = requireVersion(doc, 4);
  return change(doc, "check_in", m.at, (d) => {
    const t = append(d.team);
    t.officer_id = S(m.officer_id);
    t.name = S(m.name);
    t.certificate_no = S(m.certificate_no);
    t.certificate_valid_until = S(m.certificate_valid_until); // YYYY-MM-DD
    t.at = ms(m.at);
    t.device_id = S(m.device_id);
    if (m.location) {
      t.location = {};
      putLocation(t.location, m.location);
    }
  });
}

/** Appends an evidence reference (append-only, R-REC-5). */
export function addEvidence(doc, e) {
  const located = e.accuracy_m !== undefined && e.accuracy_m !== null;
  if (located) doc = requireVersion(doc, 4);
  return change(doc, "evidence", e.captured_at, (d) => {
    const x = append(d.evidence);
    x.sha256 = S(e.sha256);
    x.kind = S(e.kind);
    x.media_type = S(e.media_type);
    x.size_bytes = e.size_bytes;
    x.captured_at = ms(e.captured_at);
    x.captured_by = S(e.captured_by);
    x.device_id = S(e.device_id);
    x.step = S(e.step);
    if (e.lat !== undefined && e.lat !== null) x.lat = new A.Float64(e.lat);
    if (e.lon !== undefined && e.lon !== null) x.lon = new A.Float64(e.lon);
    if (located) {
      x.accuracy_m = new A.Float64(e.accuracy_m);
      x.fixed_at = ms(e.fixed_at);
    }
  });
}

/** Writes the identity notice (R-SCENE-3, R-REC-3). */
export function identityNotice(doc, n) {
  return change(doc, "identity_notice", n.given_at, (d) => {
    const o = d.identity_notice;
    o.statement = S(n.statement);
    o.recording_sha256 = S(n.recording_sha256);
    o.given_at = ms(n.given_at);
    o.given_by = S(n.given_by);
  });
}

/**
 * Appends an empty map to a list and returns it, so that its fields are written
 * one by one in a chosen order (a pushed object literal is written in key order).
 * Field order does not matter for validity; the order of docs/protocol/document.md
 * reproduces the reference implementation's changes byte for byte.
 */
function append(list) {
  list.push({});
  return list[list.length - 1];
}

function recordWithEvidence(list, fields, evidence) {
  const x = append(list);
  for (const [k, v] of fields) x[k] = v;
  x.evidence = [];
  for (const h of evidence) x.evidence.push(S(h));
}

/** Appends a finding. */
export function addFinding(doc, f) {
  return change(doc, "finding", f.at, (d) => {
    recordWithEvidence(
      d.findings,
      [
        ["id", S(f.id)],
        ["text", S(f.text)],
        ["author", S(f.author)],
        ["at", ms(f.at)],
      ],
      f.evidence ?? [],
    );
  });
}

/** Re-writes a finding's text (its author, while open). */
export function editFinding(doc, id, text, at) {
  return change(doc, "edit_finding", at, (d) => {
    const f = d.findings.find((x) => String(x.id) === id);
    if (!f) throw new Error(`no finding ${id}`);
    f.text = S(text);
  });
}

/** Writes the rights notice and the party's acknowledgement (R-SCENE-4). */
export function rightsNotice(doc, r) {
  return change(doc, "rights_notice", r.given_at, (d) => {
    const o = d.rights_notice;
    o.notice_version = S(r.notice_version);
    // A JSON array of strings, stored as one scalar string.
    o.remedy_channels = S(JSON.stringify(r.remedy_channels));
    if (r.ack.kind === "signed") {
      o.ack_kind = S("signed");
      o.signer_name = S(r.ack.signer_name);
      o.signature_sha256 = S(r.ack.signature_sha256);
    } else {
      o.ack_kind = S("refused");
      o.witness_name = S(r.ack.witness_name);
      o.refusal_reason = S(r.ack.reason ?? "");
    }
    o.given_at = ms(r.given_at);
    o.given_by = S(r.given_by);
  });
}

/** Closes the on-site record. */
export function close(doc, c) {
  return change(doc, "close", c.closed_at, (d) => {
    d.closure.closed_at = ms(c.closed_at);
    d.closure.closed_by = S(c.closed_by);
  });
}

/** Appends an amendment (only once the record is closed). */
export function addAmendment(doc, a) {
  return change(doc, "amendment", a.at, (d) => {
    recordWithEvidence(
      d.amendments,
      [
        ["id", S(a.id)],
        ["amends", S(a.amends)],
        ["text", S(a.text)],
        ["author", S(a.author)],
        ["at", ms(a.at)],
      ],
      a.evidence ?? [],
    );
  });
}

const str = (v) => (v === undefined || v === null ? null : String(v));
const time = (v) => (typeof v === "number" ? new Date(v).toISOString() : null);

/** The review part a device receives (written by supervisors on the server). */
export function review(doc) {
  const r = doc.review ?? {};
  const decision = r.decision
    ? {
        decision: str(r.decision),
        decided_by: str(r.decided_by),
        decided_by_name: str(r.decided_by_name),
        decided_at: time(r.decided_at),
      }
    : null;
  const comments = (r.comments ?? []).map((c) => ({
    id: str(c.id),
    author_id: str(c.author_id),
    author_name: str(c.author_name),
    at: time(c.at),
    text: str(c.text),
    item: str(c.item),
  }));
  return { decision, comments };
}

/**
 * Every value with its automerge type, in the form of the vectors' `typed`
 * fields: `{"str": ..}`, `{"int": ..}`, `{"uint": ..}`, `{"f64": ..}`,
 * `{"bool": ..}`, `{"null": null}`, maps as objects, lists as arrays, text as
 * `{"text": ..}`. Read through the backend, because automerge JS shows int, uint
 * and f64 alike as a JS number.
 */
export function typed(doc) {
  const b = A.getBackend(doc);
  const walk = (obj, type) => {
    if (type === "list") {
      const out = [];
      for (let i = 0; i < b.length(obj); i++) out.push(value(obj, i));
      return out;
    }
    const out = {};
    for (const k of b.keys(obj)) out[k] = value(obj, k);
    return out;
  };
  const value = (obj, prop) => {
    const [t, v] = b.getWithType(obj, prop);
    switch (t) {
      case "str":
      case "f64":
        return { [t]: v };
      case "int":
      case "uint":
        return { [t]: Number(v) };
      case "boolean":
        return { bool: v };
      case "null":
        return { null: null };
      case "map":
      case "list":
        return walk(v, t);
      case "text":
        return { text: b.text(v) };
      default:
        return { other: t };
    }
  };
  return walk("_root", "map");
}

/** Orders strings by their UTF-8 bytes (as the Rust side sorts map keys). */
export function byUtf8(a, b) {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

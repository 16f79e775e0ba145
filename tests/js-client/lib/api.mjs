// Enrolment and the batched sync exchange (docs/sync-protocol.md), over fetch.

import * as A from "@automerge/automerge";
import { b64, heads, unb64 } from "./device.mjs";

/** An API error: HTTP status and the `code` of the JSON error body. */
export class ApiError extends Error {
  constructor(status, body) {
    super(`${status} ${body?.code ?? "?"}: ${body?.message ?? ""}`);
    this.status = status;
    this.code = body?.code;
  }
}

async function postJson(url, body, token) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const resp = await fetch(url, { method: "POST", headers, body: JSON.stringify(body) });
  const text = await resp.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = { code: "not_json", message: text.slice(0, 200) };
  }
  if (!resp.ok) throw new ApiError(resp.status, json);
  return json;
}

/**
 * `POST /api/v1/enroll` with `login`+`password` or `code`: registers the device
 * id, public key and actor id; stores the token (shown once) and the account.
 */
export async function enroll(device, server, credentials, deviceName) {
  const answer = await postJson(`${server}/api/v1/enroll`, {
    ...credentials,
    device_id: device.s.device_id,
    public_key: device.key.publicKeyHex,
    actor_id: device.s.actor_id,
    device_name: deviceName,
  });
  device.s.server = server;
  device.s.token = answer.token;
  device.s.user = answer.user;
  device.save();
  return answer;
}

const MAX_ROUNDS = 8;
const MAX_DOCS = 500;
const MAX_LOG = 2000;

/**
 * One sync run: up to 8 rounds of `POST /api/v1/sync` until neither side has
 * anything to say and the log is acknowledged. Returns what happened.
 */
export async function sync(device, { ask = [] } = {}) {
  const report = {
    requests: 0,
    statuses: {},
    reasons: {},
    missing_blobs: new Set(),
    received: [],
    offered: [],
    roster_updated: false,
  };
  const active = new Set(device.s.pending.filter((id) => !device.s.attention[id]));
  // `ask`: records to include even with nothing to send (msg null if no message),
  // e.g. to learn whether their blobs are still missing.
  for (const id of ask) active.add(id);
  const mustAsk = new Set(ask);
  // Sync states live in memory during a run: the encoded form keeps only the
  // shared heads (what survives between runs), not what the peer said it has.
  const states = new Map();
  const stateOf = (id) => states.get(id) ?? device.syncState(id);
  const setState = (id, state) => {
    states.set(id, state);
    device.setSyncState(id, state);
  };
  let logSent = device.s.log_acked_seq;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const docs = [];
    for (const id of active) {
      if (device.s.attention[id]) continue;
      const doc = device.docs.get(id) ?? A.init({ actor: device.s.actor_id });
      const [state, msg] = A.generateSyncMessage(doc, stateOf(id));
      setState(id, state);
      if (msg || mustAsk.has(id)) docs.push({ id, msg: msg ? b64(msg) : null });
    }
    mustAsk.clear();
    const log = device.s.log.filter((e) => e.seq > logSent).slice(0, MAX_LOG);
    if (round > 0 && docs.length === 0 && log.length === 0) break;
    if (docs.length > MAX_DOCS) throw new Error("paging is not implemented in this client");
    const req = {
      protocol: 1,
      device_time: new Date().toISOString(),
      roster_version: device.s.roster_version,
      docs,
    };
    if (log.length) req.log = log;
    const resp = await postJson(`${device.s.server}/api/v1/sync`, req, device.s.token);
    report.requests++;
    if (resp.protocol !== 1) throw new Error(`server speaks protocol ${resp.protocol}`);
    if (log.length) {
      logSent = log.at(-1).seq;
      // Absent when the server keeps no log; it then holds nothing of it.
      if (typeof resp.log_acked_seq === "number") device.s.log_acked_seq = resp.log_acked_seq;
    }
    // Absent (or null from older servers) when our roster_version is current.
    if (resp.roster) {
      device.s.roster = resp.roster;
      device.s.roster_version = resp.roster_version;
      report.roster_updated = true;
      device.log({
        officer_id: device.s.device_id,
        inspection_id: null,
        action: "roster_refresh",
        detail: {
          officers: resp.roster.officers.length,
          targets: resp.roster.targets.length,
          tasks: resp.roster.tasks.length,
        },
      });
    }
    for (const reply of resp.docs) {
      report.statuses[reply.id] = reply.status;
      if (reply.status !== "ok") {
        // rejected, forbidden, malformed, not_found: stop retrying, show the reason.
        device.s.attention[reply.id] = reply.reason ?? reply.status;
        report.reasons[reply.id] = reply.reason;
        active.delete(reply.id);
        continue;
      }
      if (!reply.msg) continue;
      const had = device.docs.get(reply.id);
      const doc = had ?? A.init({ actor: device.s.actor_id });
      const before = heads(doc).join();
      const [next, state] = A.receiveSyncMessage(doc, stateOf(reply.id), unb64(reply.msg));
      setState(reply.id, state);
      if (heads(next).join() !== before && next.meta?.id !== undefined) {
        device.docs.set(reply.id, next);
        device.log({
          officer_id: device.s.device_id,
          inspection_id: reply.id,
          action: had ? "sync_merge" : "sync_new",
          detail: {},
          doc_heads: heads(next),
        });
        report.received.push(reply.id);
      } else if (had || next.meta?.id !== undefined) {
        device.docs.set(reply.id, next);
      }
    }
    for (const id of resp.offer) {
      if (active.has(id) || device.s.attention[id]) continue;
      active.add(id);
      report.offered.push(id);
      if (!device.docs.has(id)) mustAsk.add(id);
    }
    for (const h of resp.missing_blobs) report.missing_blobs.add(h);
    device.save();
  }
  // Synced: the server holds every change of ours. A record needing attention
  // leaves the queue (the user sees the reason instead).
  device.s.pending = device.s.pending.filter((id) => {
    const doc = device.docs.get(id);
    if (device.s.attention[id] !== undefined || !doc) return false;
    return !A.hasOurChanges(doc, stateOf(id));
  });
  device.save();
  report.missing_blobs = [...report.missing_blobs].sort();
  return report;
}

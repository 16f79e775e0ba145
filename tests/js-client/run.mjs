#!/usr/bin/env node
// An independent liuhen device client, written from docs/sync-protocol.md and
// docs/protocol/ with the unmodified @automerge/automerge and tus-js-client. It
// takes nothing from the Rust code; the conformance vectors in docs/vectors/ are
// its only input from the repository.
//
//   node run.mjs conformance
//   node run.mjs enroll  <server> <state-dir> <login> <password>
//   node run.mjs record  <state-dir> <photo-file>
//   node run.mjs receive <state-dir>
//
// Progress goes to stderr; the last line on stdout is `RESULT <json>`.

import crypto from "node:crypto";
import fs from "node:fs";
import * as A from "@automerge/automerge";
import { enroll, sync } from "./lib/api.mjs";
import { runConformance } from "./lib/conformance.mjs";
import { Device } from "./lib/device.mjs";
import * as doc from "./lib/schema.mjs";
import { head, upload, uploadWithResume } from "./lib/upload.mjs";

const say = (...a) => console.error("[js-client]", ...a);
const result = (v) => console.log(`RESULT ${JSON.stringify(v)}`);
const now = () => new Date().toISOString();

/** A UUIDv7 (RFC 9562): 48-bit milliseconds, version 7, random rest. */
function uuidv7() {
  const b = crypto.randomBytes(16);
  const t = BigInt(Date.now());
  for (let i = 0; i < 6; i++) b[i] = Number((t >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A short silent WAV recording (8 kHz, 16 bit, mono). */
function wav(seconds) {
  const samples = 8000 * seconds;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(200 * Math.sin(i / 10)), i * 2);
  const h = Buffer.alloc(44);
  h.write("RIFF", 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write("WAVEfmt ", 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(16000, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write("data", 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

/** A 1x1 PNG standing in for the party's signature image. */
const SIGNATURE_PNG = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e0a7c8e70000000049454e44ae426082",
  "hex",
);

function officer(device, id) {
  const o = device.s.roster.officers.find((x) => x.id === id);
  if (!o) throw new Error(`officer ${id} is not on the roster`);
  return o;
}

/** Captures evidence: stores the blob, adds the reference, logs the step. */
function capture(device, id, bytes, kind, mediaType, step, extra = {}) {
  const sha256 = device.putBlob(bytes);
  const e = {
    sha256,
    kind,
    media_type: mediaType,
    size_bytes: bytes.length,
    captured_at: now(),
    captured_by: device.officerId,
    device_id: device.s.device_id,
    step,
    ...extra,
  };
  device.step(id, "evidence", { kind, media_type: mediaType, size: bytes.length, step }, [sha256], (d) =>
    doc.addEvidence(d, e),
  );
  return sha256;
}

/** Opens an inspection for `task` (or ad hoc for `target` when task is null). */
function openInspection(device, task, target, item, category) {
  const id = uuidv7();
  const agency = device.s.roster.agency;
  const meta = {
    id,
    kind: task ? "task" : "adhoc",
    task_id: task?.id,
    agency_id: agency.id,
    agency_name: agency.name,
    target_id: target.id,
    target_name: target.name,
    target_credit_code: target.credit_code,
    target_address: target.address,
    target_area: target.area,
    target_is_natural_person: target.kind === "natural_person",
    category,
    item_code: item.code,
    item_name: item.name,
    legal_basis: item.legal_basis,
    opened_at: now(),
    opened_by: device.officerId,
    device_id: device.s.device_id,
  };
  device.step(id, "open", { target_id: target.id, task_id: task?.id ?? null }, [], () =>
    doc.open(device.s.actor_id, meta),
  );
  return id;
}

function checkIn(device, id, officerId) {
  const o = officer(device, officerId);
  device.step(id, "check_in", { certificate_no: o.certificate_no, name: o.name }, [], (d) =>
    doc.checkIn(d, {
      officer_id: o.id,
      name: o.name,
      certificate_no: o.certificate_no,
      certificate_valid_until: o.valid_until,
      at: now(),
      device_id: device.s.device_id,
    }),
  );
}

async function cmdEnroll([server, dir, login, password]) {
  fs.mkdirSync(dir, { recursive: true });
  const device = new Device(dir);
  const answer = await enroll(device, server.replace(/\/$/, ""), { login, password }, "JS 测试客户端");
  say("enrolled", device.s.device_id, "as", answer.user.officer_id);
  result({
    ok: true,
    device_id: device.s.device_id,
    actor_id: device.s.actor_id,
    public_key: device.key.publicKeyHex,
    user: answer.user,
  });
}

async function cmdRecord([dir, photoFile]) {
  const device = new Device(dir);
  const first = await sync(device);
  if (!device.s.roster) throw new Error("the first sync brought no roster");
  say("roster:", device.s.roster.officers.length, "officers,", device.s.roster.tasks.length, "tasks");
  const me = device.officerId;
  const roster = device.s.roster;
  const task = roster.tasks.find((t) => t.status === "open" && t.officer_ids.includes(me));
  if (!task) throw new Error(`no open task for ${me}`);
  const target = roster.targets.find((t) => t.id === task.target_id);
  const partner = task.officer_ids.find((o) => o !== me);

  // The task inspection, every step of the on-site record.
  const id = openInspection(device, task, target, task.item, task.category);
  checkIn(device, id, me);
  checkIn(device, id, partner);
  const audio = capture(device, id, wav(2), "audio", "audio/wav", "identity_notice");
  const names = [me, partner].map((o) => officer(device, o).name).join("、");
  device.step(id, "identity_notice", {}, [audio], (d) =>
    doc.identityNotice(d, {
      statement: `我们是${roster.agency.name}执法人员${names}，现依法进行${task.item.name}，全程录音录像。`,
      recording_sha256: audio,
      given_at: now(),
      given_by: me,
    }),
  );
  const photo = capture(device, id, fs.readFileSync(photoFile), "photo", "image/jpeg", "findings", {
    lat: 23.6312,
    lon: 113.2405,
  });
  const findingId = uuidv7();
  device.step(id, "finding", { finding_id: findingId }, [photo], (d) =>
    doc.addFinding(d, {
      id: findingId,
      text: "危废贮存间标识不全（JS 客户端记录）",
      author: me,
      at: now(),
      evidence: [photo],
    }),
  );
  device.step(id, "edit_finding", { finding_id: findingId }, [], (d) =>
    doc.editFinding(d, findingId, "危废贮存间标识不全，台账缺两天（JS 客户端记录）", now()),
  );
  const signature = capture(device, id, SIGNATURE_PNG, "signature", "image/png", "rights_notice");
  device.step(id, "rights_notice", { ack: "signed", notice_version: "2026-01" }, [signature], (d) =>
    doc.rightsNotice(d, {
      notice_version: "2026-01",
      remedy_channels: ["行政复议：清远市人民政府", "行政诉讼：清城区人民法院"],
      ack: { kind: "signed", signer_name: "王某", signature_sha256: signature },
      given_at: now(),
      given_by: me,
    }),
  );
  device.step(id, "close", {}, [], (d) => doc.close(d, { closed_at: now(), closed_by: me }));

  // An ad hoc inspection (no task) of another target, left open.
  const other = roster.targets.find((t) => t.id !== target.id) ?? target;
  const adhoc = openInspection(
    device,
    null,
    other,
    { code: "ADHOC-01", name: "群众举报现场核查", legal_basis: "" },
    other.category,
  );
  checkIn(device, adhoc, me);
  device.step(adhoc, "finding", {}, [], (d) =>
    doc.addFinding(d, { id: uuidv7(), text: "现场未发现举报所述情况", author: me, at: now(), evidence: [] }),
  );

  // Sync: the documents and the log; the server lists the blobs it lacks.
  const second = await sync(device);
  say("sync:", JSON.stringify(second.statuses), "missing", second.missing_blobs.length);

  // Upload what the server lacks: the photo with an interruption and a resume.
  const resumed = await uploadWithResume(device, photo, id, "image/jpeg", 64 * 1024);
  say("photo upload resumed at", resumed.offset_at_resume, "of", resumed.size);
  for (const [sha, type] of [
    [audio, "audio/wav"],
    [signature, "image/png"],
  ]) {
    if (second.missing_blobs.includes(sha)) await upload(device, sha, id, type);
  }
  // Completion: the server no longer lists them as missing.
  const third = await sync(device, { ask: [id] });
  const headNow = await head(device, resumed.url);
  result({
    ok: true,
    device_id: device.s.device_id,
    inspection_id: id,
    adhoc_id: adhoc,
    finding_id: findingId,
    blobs: { audio, photo, signature },
    first_sync: { roster_updated: first.roster_updated, requests: first.requests },
    sync_statuses: second.statuses,
    missing_before_upload: second.missing_blobs,
    missing_after_upload: third.missing_blobs,
    photo_upload: resumed,
    photo_head_after: headNow,
    log_entries: device.s.log.length,
    log_acked_seq: device.s.log_acked_seq,
    pending: device.s.pending,
    attention: device.s.attention,
  });
}

async function cmdReceive([dir, inspectionId, findingId]) {
  const device = new Device(dir);
  const r = await sync(device);
  const d = device.docs.get(inspectionId);
  const review = doc.review(d);
  say("review:", JSON.stringify(review));
  let amendment = null;
  if (review.decision?.decision === "returned") {
    // Returned with comments: answer with an amendment (the record is closed).
    amendment = uuidv7();
    device.step(inspectionId, "amendment", { amendment_id: amendment, amends: `finding:${findingId}` }, [], (x) =>
      doc.addAmendment(x, {
        id: amendment,
        amends: `finding:${findingId}`,
        text: "已按审核意见补充：台账缺失日期为 11 月 18 日、19 日",
        author: device.officerId,
        at: now(),
        evidence: [],
      }),
    );
  }
  const after = amendment ? await sync(device) : null;
  result({
    ok: true,
    received: r.received,
    review,
    amendment_id: amendment,
    amendment_sync: after?.statuses ?? null,
    schema_version: d.schema_version,
    heads: [...A.getHeads(d)].sort(),
    log_acked_seq: device.s.log_acked_seq,
    log_entries: device.s.log.length,
    attention: device.s.attention,
  });
}

async function main() {
  const [cmd, ...args] = process.argv.slice(2);
  switch (cmd) {
    case "conformance": {
      const results = runConformance();
      const failed = results.filter((r) => !r.ok);
      for (const r of failed) say("FAILED", r.name, JSON.stringify(r.detail ?? {}));
      result({ ok: failed.length === 0, checks: results.length, failed });
      break;
    }
    case "enroll":
      await cmdEnroll(args);
      break;
    case "record":
      await cmdRecord(args);
      break;
    case "receive":
      await cmdReceive(args);
      break;
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}

main().catch((e) => {
  say("error:", e?.stack ?? JSON.stringify(e));
  result({ ok: false, error: String(e?.message ?? JSON.stringify(e)) });
  process.exitCode = 1;
});

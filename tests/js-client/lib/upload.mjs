// Evidence upload with the unmodified tus-js-client (docs/protocol/tus.md):
// metadata `sha256` is the HEX text of the file's SHA-256 (tus-js-client base64-
// encodes every metadata value itself), `inspection_id` the record that references
// it. A blob may be uploaded only after a sync in which that record was `ok`.

import fs from "node:fs";
import * as tus from "tus-js-client";

/** `HEAD` of an upload: its offset and length (both numbers), or the error code. */
export async function head(device, url) {
  const resp = await fetch(new URL(url, device.s.server), {
    method: "HEAD",
    headers: { authorization: `Bearer ${device.s.token}`, "tus-resumable": "1.0.0" },
  });
  if (!resp.ok) {
    return { status: resp.status, code: resp.headers.get("liuhen-error-code") };
  }
  return {
    status: resp.status,
    offset: Number(resp.headers.get("upload-offset")),
    length: Number(resp.headers.get("upload-length")),
  };
}

function options(device, sha256, inspectionId, mediaType, extra) {
  return {
    endpoint: `${device.s.server}/api/v1/files`,
    headers: { authorization: `Bearer ${device.s.token}` },
    metadata: {
      sha256,
      inspection_id: inspectionId,
      filename: `${sha256.slice(0, 12)}`,
      media_type: mediaType,
    },
    retryDelays: null,
    storeFingerprintForResuming: false,
    ...extra,
  };
}

function errorOf(err) {
  const res = err?.originalResponse;
  let code = null;
  try {
    code = JSON.parse(res?.getBody() ?? "null")?.code ?? null;
  } catch {
    code = null;
  }
  return { status: res?.getStatus() ?? null, code, message: String(err?.message ?? err) };
}

/**
 * Uploads a blob in one go (chunks of `chunkSize`). Resolves with the upload URL;
 * rejects with `{status, code, message}`.
 */
export function upload(device, sha256, inspectionId, mediaType, { chunkSize, uploadUrl } = {}) {
  const bytes = fs.readFileSync(device.blobPath(sha256));
  return new Promise((resolve, reject) => {
    const u = new tus.Upload(
      bytes,
      options(device, sha256, inspectionId, mediaType, {
        chunkSize: chunkSize ?? Infinity,
        uploadUrl: uploadUrl ?? null,
        onSuccess: () => resolve(u.url),
        onError: (err) => reject(errorOf(err)),
      }),
    );
    u.start();
  });
}

/**
 * Uploads a blob, interrupting after the first chunk the server accepted (as a
 * dropped connection or a killed app would), then resumes from the offset the
 * server reports. Returns what happened at each stage.
 */
export async function uploadWithResume(device, sha256, inspectionId, mediaType, chunkSize) {
  const bytes = fs.readFileSync(device.blobPath(sha256));
  const url = await new Promise((resolve, reject) => {
    let u = null;
    u = new tus.Upload(
      bytes,
      options(device, sha256, inspectionId, mediaType, {
        chunkSize,
        onChunkComplete: () => {
          // Stop after the first chunk: nothing more is sent on this upload.
          u.abort().then(() => resolve(u.url), reject);
        },
        onSuccess: () => reject(new Error("the upload finished before it was interrupted")),
        onError: (err) => reject(errorOf(err)),
      }),
    );
    u.start();
  });
  device.s.uploads[sha256] = url;
  device.save();
  const atResume = await head(device, url);
  let firstAcceptedAfterResume = null;
  await new Promise((resolve, reject) => {
    const u = new tus.Upload(
      bytes,
      options(device, sha256, inspectionId, mediaType, {
        chunkSize,
        uploadUrl: url,
        onChunkComplete: (_size, accepted) => {
          firstAcceptedAfterResume ??= accepted;
        },
        onSuccess: resolve,
        onError: (err) => reject(errorOf(err)),
      }),
    );
    u.start();
  });
  const done = await head(device, url);
  return {
    url,
    size: bytes.length,
    chunk_size: chunkSize,
    offset_at_resume: atResume.offset,
    first_offset_after_resume: firstAcceptedAfterResume,
    final_offset: done.offset,
    final_length: done.length,
  };
}

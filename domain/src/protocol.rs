//! Wire types of the batched sync exchange, shared by the device client and the
//! server (see `docs/sync-protocol.md`). One HTTP request carries the automerge sync
//! messages of many documents; the response carries the server's replies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::LogEntry;
use crate::model::RosterSnapshot;

/// Version of this protocol; a server refuses others with a clear error.
pub const PROTOCOL_VERSION: u32 = 1;

/// Path of the sync endpoint.
pub const SYNC_PATH: &str = "/api/v1/sync";

/// Largest request body the server accepts (bytes of JSON).
pub const MAX_REQUEST_BYTES: usize = 8 * 1024 * 1024;

/// Sum of message bytes a client puts in one request before paging the rest.
pub const PAGE_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// Most documents in one request.
pub const MAX_DOCS_PER_REQUEST: usize = 500;

/// Most device log entries in one request (`SyncRequest::log`).
pub const MAX_LOG_ENTRIES_PER_REQUEST: usize = 2_000;

/// Sum of the JSON sizes of the log entries a client puts in one request; with
/// [`PAGE_MESSAGE_BYTES`] of messages (base64) it stays under [`MAX_REQUEST_BYTES`].
pub const PAGE_LOG_BYTES: usize = 2 * 1024 * 1024;

/// Most drafts a client puts in one request.
pub const MAX_DRAFTS_PER_REQUEST: usize = 50;

/// Largest draft document (full save) the server accepts from a device; a draft is
/// a few KB of text and links, so this is far above any real one.
pub const MAX_DRAFT_BYTES: usize = 64 * 1024;

/// Base64 (standard alphabet, padded) for byte fields in JSON.
pub mod b64 {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialises optional bytes as a base64 string or null.
    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(b) => s.serialize_str(&STANDARD.encode(b)),
            None => s.serialize_none(),
        }
    }

    /// Parses a base64 string or null.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| STANDARD.decode(s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// One document's automerge sync message from the device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "WireDocMessage")]
pub struct DocMessage {
    /// Inspection id (UUID).
    pub id: String,
    /// Encoded `automerge::sync::Message`; null when the device has nothing to say
    /// but wants the server's message (e.g. a document it was offered).
    #[serde(serialize_with = "b64::serialize")]
    pub msg: Option<Vec<u8>>,
    /// Why the `msg` of a parsed request could not be read (not base64). Never sent:
    /// set only by parsing, so that one bad entry is answered `malformed` on its own
    /// instead of failing the whole request (docs/sync-protocol.md).
    #[serde(skip)]
    pub invalid_msg: Option<String>,
}

/// [`DocMessage`] as it is on the wire, before `msg` is decoded.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireDocMessage {
    id: String,
    #[serde(default)]
    msg: Option<String>,
}

impl From<WireDocMessage> for DocMessage {
    fn from(w: WireDocMessage) -> Self {
        use base64::Engine;
        let decoded = w
            .msg
            .map(|s| base64::engine::general_purpose::STANDARD.decode(s))
            .transpose();
        match decoded {
            Ok(msg) => DocMessage {
                id: w.id,
                msg,
                invalid_msg: None,
            },
            Err(e) => DocMessage {
                id: w.id,
                msg: None,
                invalid_msg: Some(e.to_string()),
            },
        }
    }
}

/// A device's sync request: messages for many documents at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    /// Must be [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// The device clock when sending (the server reports skew, never trusts it).
    pub device_time: DateTime<Utc>,
    /// Version tag of the roster/tasks the device holds, if any.
    pub roster_version: Option<String>,
    /// Messages, at most [`MAX_DOCS_PER_REQUEST`].
    pub docs: Vec<DocMessage>,
    /// The device's signed log entries after the last one the server acknowledged,
    /// in order, at most [`MAX_LOG_ENTRIES_PER_REQUEST`] (R-REC-5). Left out of the
    /// JSON when empty, so a request without entries is the version-1 request.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<LogEntry>,
    /// Proposed decisions drafted on the device (R-LEGAL-1), at most
    /// [`MAX_DRAFTS_PER_REQUEST`]. Left out of the JSON when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drafts: Vec<DraftPush>,
    /// The change cursor of the device's last complete sync (`offer_cursor` of a
    /// response; 0 when it has none yet): the server then offers only records
    /// written after it, so a sync with nothing to do costs what changed, not what
    /// exists (issue 19). Left out by clients that do not keep a cursor; the server
    /// then compares every record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_since: Option<u64>,
}

/// One draft as the device has it: its heads, and the whole document when the
/// device holds changes the server has not accepted yet (drafts are small, so the
/// document travels whole rather than through the automerge sync protocol).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftPush {
    /// Draft id.
    pub id: String,
    /// The device's heads (hex, sorted).
    pub heads: Vec<String>,
    /// The full automerge save, when the device has unsynced changes.
    #[serde(with = "b64", default)]
    pub doc: Option<Vec<u8>>,
}

/// The server's answer about one draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftReply {
    /// Draft id.
    pub id: String,
    /// Whether the device's changes were merged (`ok`) or refused (and why).
    pub status: DocStatus,
    /// Why it was refused (Chinese, names the rule).
    pub reason: Option<String>,
    /// The draft's workflow status code on the server (e.g. `in_review`).
    pub workflow: Option<String>,
    /// Its Chinese label (e.g. 审核中).
    pub workflow_label: Option<String>,
    /// The server's heads after the merge (hex, sorted).
    pub heads: Vec<String>,
    /// The server's full document, when it has changes the device lacks.
    #[serde(with = "b64", default)]
    pub doc: Option<Vec<u8>>,
}

/// What the server did with one document's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocStatus {
    /// Accepted (or nothing to apply).
    Ok,
    /// Refused: a change broke a write rule; `reason` says which. The device marks
    /// the record as needing attention and stops retrying it automatically.
    Rejected,
    /// The officer may not see or write this document (another agency, not on the team).
    Forbidden,
    /// The message could not be decoded (not base64, not an automerge sync
    /// message), or the id is not a UUID.
    Malformed,
    /// The request carried no message (`msg` null) for a document the server does
    /// not hold: there is nothing to sync. The device drops the id.
    NotFound,
}

/// The server's reply for one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocReply {
    /// Inspection id.
    pub id: String,
    /// What happened.
    pub status: DocStatus,
    /// Why, in Chinese, when not `ok`.
    pub reason: Option<String>,
    /// The server's next sync message for this document, if it has one.
    #[serde(with = "b64", default)]
    pub msg: Option<Vec<u8>>,
}

/// The server's response to a [`SyncRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncResponse {
    /// [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// Server clock.
    pub server_time: DateTime<Utc>,
    /// Device clock minus server clock, in seconds (informational).
    pub clock_skew_seconds: i64,
    /// One reply per document of the request, in the same order.
    pub docs: Vec<DocReply>,
    /// Documents the device may see that changed on the server and were not in the
    /// request: the device adds them to its next request (with `msg` null if new).
    pub offer: Vec<String>,
    /// Evidence hashes referenced by this device's documents that the server has
    /// not received yet: upload them (tus) after the exchange.
    pub missing_blobs: Vec<String>,
    /// The roster and tasks, when they differ from `roster_version`; left out of the
    /// JSON otherwise (clients read a `null` from older servers the same way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roster: Option<RosterSnapshot>,
    /// Version tag of the roster the server holds.
    pub roster_version: String,
    /// Highest sequence number up to which the server holds this device's log
    /// without gaps (0 if none). Present only when the request carried `log`, so a
    /// client that never sends one never sees the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_acked_seq: Option<u64>,
    /// Answers about the drafts the request carried; left out when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drafts: Vec<DraftReply>,
    /// The change cursor to send as `offer_since` once every offered record is
    /// synced; present only when the request carried `offer_since`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_cursor: Option<u64>,
}

/// An error body of any failed API call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable machine code, e.g. `token_revoked`, `protocol_mismatch`.
    pub code: String,
    /// Chinese message for the user.
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::NewLogEntry;
    use ed25519_dalek::SigningKey;
    use proptest::prelude::*;

    /// The version-1 request as servers before the device log parse it.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct OldSyncRequest {
        protocol: u32,
        device_time: DateTime<Utc>,
        roster_version: Option<String>,
        docs: Vec<DocMessage>,
    }

    /// The version-1 response as clients before the device log parse it.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct OldSyncResponse {
        protocol: u32,
        server_time: DateTime<Utc>,
        clock_skew_seconds: i64,
        docs: Vec<DocReply>,
        offer: Vec<String>,
        missing_blobs: Vec<String>,
        roster: Option<RosterSnapshot>,
        roster_version: String,
    }

    fn time(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).unwrap()
    }

    fn log(details: &[String], device: &str) -> Vec<LogEntry> {
        let key = SigningKey::from_bytes(&[3u8; 32]);
        let mut out: Vec<LogEntry> = vec![];
        for (i, d) in details.iter().enumerate() {
            let prev = out.last().map(|e| (e.seq, e.hash.clone()));
            out.push(LogEntry::seal(
                NewLogEntry {
                    at: time(1_700_000_000_000 + i as i64 * 1_001),
                    officer_id: "qy-zf-001".into(),
                    inspection_id: (i % 2 == 0).then(|| format!("insp-{i}")),
                    action: "finding".into(),
                    detail: serde_json::json!({ "text": d, "n": i }),
                    evidence: vec![format!("{i:064x}")],
                    doc_heads: vec![],
                },
                prev,
                device,
                &key,
            ));
        }
        out
    }

    fn docs() -> impl Strategy<Value = Vec<DocMessage>> {
        prop::collection::vec(
            (
                "[0-9a-f-]{1,36}",
                prop::option::of(prop::collection::vec(any::<u8>(), 0..40)),
            )
                .prop_map(|(id, msg)| DocMessage {
                    id,
                    msg,
                    invalid_msg: None,
                }),
            0..4,
        )
    }

    fn request() -> impl Strategy<Value = SyncRequest> {
        (
            0u32..3,
            0i64..4_000_000_000_000,
            prop::option::of("[a-z0-9-]{0,12}"),
            docs(),
            prop::collection::vec("\\PC{0,16}", 0..5),
            "[0-9a-f-]{8,36}",
        )
            .prop_map(|(protocol, ms, roster_version, docs, details, device)| {
                SyncRequest {
                    protocol,
                    device_time: time(ms),
                    roster_version,
                    docs,
                    log: log(&details, &device),
                    drafts: vec![],
                    offer_since: None,
                }
            })
    }

    fn response() -> impl Strategy<Value = SyncResponse> {
        (
            0i64..4_000_000_000_000,
            -100_000i64..100_000,
            prop::collection::vec(("[0-9a-f-]{1,36}", "\\PC{0,10}"), 0..3),
            prop::collection::vec("[0-9a-f]{1,64}", 0..3),
            prop::option::of(any::<u64>()),
        )
            .prop_map(|(ms, skew, replies, hashes, ack)| SyncResponse {
                protocol: PROTOCOL_VERSION,
                server_time: time(ms),
                clock_skew_seconds: skew,
                docs: replies
                    .into_iter()
                    .map(|(id, reason)| DocReply {
                        id,
                        status: DocStatus::Rejected,
                        reason: Some(reason),
                        msg: None,
                    })
                    .collect(),
                offer: hashes.clone(),
                missing_blobs: hashes,
                roster: None,
                roster_version: "r-1".into(),
                log_acked_seq: ack,
                drafts: vec![],
                offer_cursor: None,
            })
    }

    proptest! {
        #[test]
        fn requests_round_trip_and_stay_readable_by_old_servers(req in request()) {
            let json = serde_json::to_string(&req).unwrap();
            let back: SyncRequest = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, &req);
            // The log survives the wire exactly: every entry still verifies its hash.
            prop_assert!(back.log.iter().all(|e| e.compute_hash() == e.hash));

            let old: Result<OldSyncRequest, _> = serde_json::from_str(&json);
            if req.log.is_empty() {
                // Without entries the new client's request is the version-1 request.
                prop_assert!(!json.contains("\"log\""));
                let old = old.unwrap();
                prop_assert_eq!(old.protocol, req.protocol);
                prop_assert_eq!(old.device_time, req.device_time);
                prop_assert_eq!(&old.roster_version, &req.roster_version);
                prop_assert_eq!(&old.docs, &req.docs);
            } else {
                // An old server refuses the field: the client's fallback re-sends
                // without it (client.rs), so this refusal is what it relies on.
                prop_assert!(old.is_err());
            }

            // What an old client sends, a new server reads with an empty log.
            let old_req = OldSyncRequest {
                protocol: req.protocol,
                device_time: req.device_time,
                roster_version: req.roster_version.clone(),
                docs: req.docs.clone(),
            };
            let new: SyncRequest =
                serde_json::from_str(&serde_json::to_string(&old_req).unwrap()).unwrap();
            prop_assert!(new.log.is_empty());
            prop_assert_eq!(&new.docs, &req.docs);
        }

        #[test]
        fn responses_round_trip_and_stay_readable_by_old_clients(resp in response()) {
            let json = serde_json::to_string(&resp).unwrap();
            let back: SyncResponse = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, &resp);

            let old: Result<OldSyncResponse, _> = serde_json::from_str(&json);
            match resp.log_acked_seq {
                // The server answers `log_acked_seq` only to a request with a log,
                // which an old client never sends; without it the answer is version 1.
                None => {
                    let old = old.unwrap();
                    prop_assert_eq!(&old.docs, &resp.docs);
                    prop_assert_eq!(&old.missing_blobs, &resp.missing_blobs);
                }
                Some(_) => prop_assert!(old.is_err()),
            }

            // What an old server answers, a new client reads without an ack.
            let old_resp = OldSyncResponse {
                protocol: resp.protocol,
                server_time: resp.server_time,
                clock_skew_seconds: resp.clock_skew_seconds,
                docs: resp.docs.clone(),
                offer: resp.offer.clone(),
                missing_blobs: resp.missing_blobs.clone(),
                roster: None,
                roster_version: resp.roster_version.clone(),
            };
            let new: SyncResponse =
                serde_json::from_str(&serde_json::to_string(&old_resp).unwrap()).unwrap();
            prop_assert_eq!(new.log_acked_seq, None);
            prop_assert_eq!(&new.docs, &resp.docs);
        }
    }

    fn draft_pushes() -> impl Strategy<Value = Vec<DraftPush>> {
        prop::collection::vec(
            (
                "[0-9a-f-]{1,36}",
                prop::collection::vec("[0-9a-f]{64}", 0..3),
                prop::option::of(prop::collection::vec(any::<u8>(), 0..64)),
            )
                .prop_map(|(id, heads, doc)| DraftPush { id, heads, doc }),
            0..4,
        )
    }

    proptest! {
        /// Drafts travel in both directions without loss; a request or response
        /// without drafts is byte for byte what a server or client that predates
        /// them reads (the field is left out), and one with drafts is refused by
        /// an old server as malformed (the client then keeps them pending).
        #[test]
        fn drafts_round_trip_and_stay_out_of_old_messages(
            pushes in draft_pushes(),
            reason in prop::option::of("\\PC{0,20}"),
        ) {
            let req = SyncRequest {
                protocol: PROTOCOL_VERSION,
                device_time: time(1_700_000_000_000),
                roster_version: None,
                docs: vec![],
                log: vec![],
                drafts: pushes.clone(),
                offer_since: None,
            };
            let json = serde_json::to_string(&req).unwrap();
            let back: SyncRequest = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, &req);
            let old: Result<OldSyncRequest, _> = serde_json::from_str(&json);
            prop_assert_eq!(old.is_ok(), pushes.is_empty());

            let replies: Vec<DraftReply> = pushes
                .iter()
                .map(|p| DraftReply {
                    id: p.id.clone(),
                    status: if reason.is_some() { DocStatus::Rejected } else { DocStatus::Ok },
                    reason: reason.clone(),
                    workflow: Some("in_review".into()),
                    workflow_label: Some("审核中".into()),
                    heads: p.heads.clone(),
                    doc: p.doc.clone(),
                })
                .collect();
            let resp = SyncResponse {
                protocol: PROTOCOL_VERSION,
                server_time: time(1_700_000_000_000),
                clock_skew_seconds: 0,
                docs: vec![],
                offer: vec![],
                missing_blobs: vec![],
                roster: None,
                roster_version: String::new(),
                log_acked_seq: None,
                drafts: replies,
                offer_cursor: None,
            };
            let json = serde_json::to_string(&resp).unwrap();
            let back: SyncResponse = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(&back, &resp);
            prop_assert_eq!(json.contains("\"drafts\""), !pushes.is_empty());
        }
    }

    #[test]
    fn a_bad_base64_msg_spoils_only_its_own_entry() {
        let json = r#"{"protocol":1,"device_time":"2026-11-20T01:05:00Z","roster_version":null,"docs":[{"id":"a","msg":"AAEC"},{"id":"b","msg":"!!not base64!!"},{"id":"c","msg":null},{"id":"d"}]}"#;
        let req: SyncRequest = serde_json::from_str(json).unwrap();
        assert_eq!(req.docs[0].msg, Some(vec![0, 1, 2]));
        assert_eq!(req.docs[0].invalid_msg, None);
        assert_eq!(req.docs[1].msg, None);
        assert!(req.docs[1].invalid_msg.is_some());
        assert!(
            req.docs[2..]
                .iter()
                .all(|d| d.msg.is_none() && d.invalid_msg.is_none())
        );
        // The parse-only field never goes on the wire; unknown fields still fail.
        let back = serde_json::to_string(&req.docs[1]).unwrap();
        assert_eq!(back, r#"{"id":"b","msg":null}"#);
        let unknown = r#"{"protocol":1,"device_time":"2026-11-20T01:05:00Z","roster_version":null,"docs":[{"id":"a","msg":null,"x":1}]}"#;
        assert!(serde_json::from_str::<SyncRequest>(unknown).is_err());
    }

    #[test]
    fn an_unchanged_roster_is_left_out_and_a_null_one_still_reads() {
        let resp = SyncResponse {
            protocol: PROTOCOL_VERSION,
            server_time: time(1_700_000_000_000),
            clock_skew_seconds: 0,
            docs: vec![DocReply {
                id: "a".into(),
                status: DocStatus::NotFound,
                reason: Some("x".into()),
                msg: None,
            }],
            offer: vec![],
            missing_blobs: vec![],
            roster: None,
            roster_version: "r-1".into(),
            log_acked_seq: None,
            drafts: vec![],
            offer_cursor: None,
        };
        let json = serde_json::to_string(&resp).unwrap();
        assert!(!json.contains("\"roster\""), "{json}");
        assert!(json.contains("\"status\":\"not_found\""), "{json}");
        let with_null = json.replace("\"roster_version\"", "\"roster\":null,\"roster_version\"");
        let back: SyncResponse = serde_json::from_str(&with_null).unwrap();
        assert_eq!(back, resp);
    }

    #[test]
    fn an_explicit_null_or_empty_log_is_accepted() {
        let json = r#"{"protocol":1,"device_time":"2026-11-20T01:05:00Z","roster_version":null,"docs":[],"log":[]}"#;
        let req: SyncRequest = serde_json::from_str(json).unwrap();
        assert!(req.log.is_empty());
        let json = r#"{"protocol":1,"server_time":"2026-11-20T01:05:00Z","clock_skew_seconds":0,"docs":[],"offer":[],"missing_blobs":[],"roster":null,"roster_version":"","log_acked_seq":null}"#;
        let resp: SyncResponse = serde_json::from_str(json).unwrap();
        assert_eq!(resp.log_acked_seq, None);
    }
}

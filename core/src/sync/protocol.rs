//! Wire types of the batched sync exchange, shared by the device client and the
//! server (see `docs/sync-protocol.md`). One HTTP request carries the automerge sync
//! messages of many documents; the response carries the server's replies.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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
#[serde(deny_unknown_fields)]
pub struct DocMessage {
    /// Inspection id (UUID).
    pub id: String,
    /// Encoded `automerge::sync::Message`; null when the device has nothing to say
    /// but wants the server's message (e.g. a document it was offered).
    #[serde(with = "b64", default)]
    pub msg: Option<Vec<u8>>,
}

/// A device's sync request: messages for many documents at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// The message could not be decoded.
    Malformed,
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
    /// The roster and tasks, when they differ from `roster_version`.
    pub roster: Option<RosterSnapshot>,
    /// Version tag of the roster the server holds.
    pub roster_version: String,
}

/// An error body of any failed API call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable machine code, e.g. `token_revoked`, `protocol_mismatch`.
    pub code: String,
    /// Chinese message for the user.
    pub message: String,
}

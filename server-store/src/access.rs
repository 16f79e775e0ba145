//! Storage of the access log (R-REC-7): who looked at which record or original
//! evidence, or exported it, and when. Append-only: there is no update or delete.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Role, StorageResult};

/// What was done with a record (R-REC-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessAction {
    /// The record was opened (page or API).
    ViewRecord,
    /// An original piece of evidence (photo, signature, document) was opened.
    ViewOriginal,
    /// A recording (audio or video) was played.
    PlayRecording,
    /// The record was exported.
    Export,
}

impl AccessAction {
    /// Stable text stored in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessAction::ViewRecord => "view_record",
            AccessAction::ViewOriginal => "view_original",
            AccessAction::PlayRecording => "play_recording",
            AccessAction::Export => "export",
        }
    }

    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "view_record" => AccessAction::ViewRecord,
            "view_original" => AccessAction::ViewOriginal,
            "play_recording" => AccessAction::PlayRecording,
            "export" => AccessAction::Export,
            _ => return None,
        })
    }
}

/// One entry of the access log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEntry {
    /// Sequence number (0 before it is stored).
    pub id: i64,
    /// Agency of the record.
    pub agency_id: String,
    /// Inspection id.
    pub inspection_id: String,
    /// Who: user id.
    pub user_id: String,
    /// Who: display name at the time.
    pub user_name: String,
    /// Who: role at the time.
    pub user_role: Role,
    /// What was done.
    pub action: AccessAction,
    /// What it was done to besides the record (e.g. `photo:<sha256>`).
    pub object: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// Client address, if known.
    pub client_ip: Option<String>,
}

/// Storage of the access log (implemented by every backend).
#[async_trait]
pub trait AccessStorage {
    /// Appends one entry (its `id` is ignored); returns the stored id.
    async fn log_access(&self, entry: &AccessEntry) -> StorageResult<i64>;
    /// Entries of one inspection of an agency, newest first (paged).
    async fn access_log(
        &self,
        agency_id: &str,
        inspection_id: &str,
        limit: u32,
        offset: u32,
    ) -> StorageResult<Vec<AccessEntry>>;
    /// Number of entries of one inspection of an agency.
    async fn access_count(&self, agency_id: &str, inspection_id: &str) -> StorageResult<u64>;
}

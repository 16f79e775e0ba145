//! The access log's writing side (R-REC-7): every view of an original, every
//! playback and export is logged before it is served, by the pages and the API.

use std::net::SocketAddr;

use axum::extract::FromRequestParts;
use axum::extract::connect_info::ConnectInfo;
use axum::http::request::Parts;

use crate::state::AppState;
use crate::storage::access::{AccessAction, AccessEntry};
use crate::storage::{StorageError, User};

/// The client's address, when the server knows it (served with connect info):
/// the one [`crate::client_addr`] resolved (a `--trusted-proxy`'s client), else
/// the TCP peer.
#[derive(Debug, Clone, Default)]
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let resolved = parts
            .extensions
            .get::<crate::client_addr::ClientAddr>()
            .map(|c| c.0);
        let peer = || {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
        };
        Ok(ClientIp(resolved.or_else(peer).map(|ip| ip.to_string())))
    }
}

/// Writes one access to inspection `inspection_id` (of the user's agency) into the
/// log (R-REC-7). Callers show nothing when this fails: an unlogged view is refused.
pub async fn record_access(
    st: &AppState,
    user: &User,
    inspection_id: &str,
    action: AccessAction,
    object: Option<String>,
    client_ip: Option<String>,
) -> Result<(), StorageError> {
    let entry = AccessEntry {
        id: 0,
        agency_id: user.agency_id.clone(),
        inspection_id: inspection_id.to_string(),
        user_id: user.id.clone(),
        user_name: user.name.clone(),
        user_role: user.role,
        action,
        object,
        at: st.clock.now(),
        client_ip,
    };
    let id = st.storage.log_access(&entry).await?;
    tracing::info!(
        entry = id,
        user = %user.id,
        inspection = inspection_id,
        action = action.as_str(),
        object = entry.object.as_deref().unwrap_or(""),
        "R-REC-7 access recorded"
    );
    Ok(())
}

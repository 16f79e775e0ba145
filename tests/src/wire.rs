//! Raw requests to the sync endpoint, as a third-party or hostile client makes
//! them: hand-made bodies and automerge sync messages, no `SyncClient`.

use std::time::Duration;

use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::Utc;
use serde_json::{Value, json};

use liuhen_core::sync::protocol::{DocReply, DocStatus};

use crate::TestServer;

/// A blocking HTTP client with a generous timeout.
pub fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// `POST /api/v1/sync` with a raw body; returns the status and the JSON answer.
pub fn post_sync(
    server: &TestServer,
    token: &str,
    body: impl Into<reqwest::blocking::Body>,
) -> (u16, Value) {
    let resp = http()
        .post(format!("{}/api/v1/sync", server.base_url))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .expect("sync request");
    let status = resp.status().as_u16();
    let text = resp.text().unwrap_or_default();
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, v)
}

/// A sync request body with these `docs` entries.
pub fn sync_body(docs: Value) -> String {
    json!({
        "protocol": 1,
        "device_time": Utc::now(),
        "roster_version": null,
        "docs": docs,
    })
    .to_string()
}

/// Runs automerge's sync protocol by hand for one document under `id`, with raw
/// requests, for up to `rounds` exchanges; returns every reply.
pub fn raw_sync(
    server: &TestServer,
    token: &str,
    id: &str,
    doc: &mut AutoCommit,
    rounds: usize,
) -> Vec<DocReply> {
    let mut state = State::new();
    let mut replies = vec![];
    for _ in 0..rounds {
        let msg = doc.sync().generate_sync_message(&mut state);
        let Some(msg) = msg else { break };
        let body = sync_body(json!([{ "id": id, "msg": STANDARD.encode(msg.encode()) }]));
        let (status, v) = post_sync(server, token, body);
        assert_eq!(status, 200, "{v}");
        let reply: DocReply = serde_json::from_value(v["docs"][0].clone()).unwrap();
        if let Some(bytes) = &reply.msg {
            doc.sync()
                .receive_sync_message(&mut state, Message::decode(bytes).unwrap())
                .unwrap();
        }
        let stop = reply.status != DocStatus::Ok;
        replies.push(reply);
        if stop {
            break;
        }
    }
    replies
}

//! Legal review test helpers shared by the API and page tests: a bearer-token API
//! client, a demo draft's content and a review checklist (R-LEGAL-3).

use serde_json::{Value, json};

use super::{DEMO_PASSWORD, TestServer, client, status_json};

/// The seven R-LEGAL-3 checklist items, in order.
pub const CHECK_ITEMS: [&str; 7] = [
    "qualification",
    "authority",
    "procedure",
    "facts_evidence",
    "law_discretion",
    "documents",
    "crime_transfer",
];

/// A bearer-token client of the JSON API.
pub struct Api<'a> {
    /// The server.
    pub server: &'a TestServer,
    /// Session token.
    pub token: String,
}

impl<'a> Api<'a> {
    /// Signs in `login` with the demo password.
    pub fn login(server: &'a TestServer, login: &str) -> Self {
        Api {
            server,
            token: server.login(login, DEMO_PASSWORD),
        }
    }
    /// GET.
    pub fn get(&self, path: &str) -> (u16, Value) {
        status_json(
            client()
                .get(self.server.url(path))
                .bearer_auth(&self.token)
                .send()
                .expect("GET"),
        )
    }
    /// Any method with a JSON body.
    pub fn send(&self, method: reqwest::Method, path: &str, body: &Value) -> (u16, Value) {
        status_json(
            client()
                .request(method, self.server.url(path))
                .bearer_auth(&self.token)
                .json(body)
                .send()
                .expect("request"),
        )
    }
    /// POST.
    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, body)
    }
    /// PUT.
    pub fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, body)
    }
}

/// A penalty draft of the demo company with a fine in yuan.
pub fn content(title: &str, fine_yuan: i64) -> Value {
    json!({
        "kind": "penalty",
        "title": title,
        "category": "生态环境",
        "party_kind": "company",
        "party_name": "清远市鑫达陶瓷有限公司",
        "party_code": "91441802MA53XKP2R7",
        "legal_basis": "《大气污染防治法》第九十九条",
        "facts": "颗粒物超标排放",
        "discretion": "一般情节",
        "conclusion": "罚款",
        "fine_fen": fine_yuan * 100,
        "revocation": false, "suspension": false, "major_coercion": false,
        "hearing_held": false, "crime_suspected": false, "public_interest": false,
        "social_risk": false, "complex": false,
        "confidential": "",
        "inspection_ids": [],
        "evidence": []
    })
}

/// A checklist with every item passed except `failed`.
pub fn checks(failed: Option<&str>) -> Value {
    Value::Array(
        CHECK_ITEMS
            .iter()
            .map(|i| {
                let ok = failed != Some(*i);
                json!({"item": i, "passed": ok, "note": if ok { "" } else { "证据不足" }})
            })
            .collect(),
    )
}

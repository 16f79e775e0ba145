//! Tests of `server/src/pages/public/open_data.rs`.

use axum::http::{HeaderMap, HeaderValue, header};
use liuhen_server::pages::public::after::{MAX_PER_PAGE, parse_search};
use liuhen_server::pages::public::open_data::*;
use liuhen_server::services::mask::PublicDecision;
use serde::Serialize;
use utoipa::openapi::OpenApi as OpenApiDoc;

use liuhen_server::pages::public::after::{MAX_PAGE, MAX_Q_CHARS, PAGE_SIZE};
use serde_json::Value;

/// The served document, parsed back.
fn served() -> Value {
    serde_json::from_str(openapi_json()).unwrap()
}

/// The `$ref`'d component schema of a response, resolved in `doc`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

#[test]
fn the_openapi_document_is_valid_and_has_every_route_the_router_registers() {
    let text = openapi_json();
    // Valid: it reads back as an OpenAPI document and as plain JSON.
    let back: OpenApiDoc = serde_json::from_str(text).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), served());
    let doc = served();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(doc["info"]["title"], "行政执法决定公示开放数据接口");
    // Every route of the router (read from its registry, not a list here)
    // is described with its operation, parameters and a 200 schema.
    let registered = api_router().get_openapi().paths.paths.clone();
    assert_eq!(registered.len(), 3, "{:?}", registered.keys());
    for (path, item) in &registered {
        let op = &doc["paths"][path]["get"];
        assert!(op.is_object(), "{path} is not in the document");
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{path}"
        );
        let ok = &op["responses"]["200"];
        assert!(ok["description"].is_string(), "{path}");
        let content = ok["content"].as_object().unwrap();
        assert_eq!(content.len(), 1, "{path}");
        let (_, media) = content.iter().next().unwrap();
        assert!(media["schema"].is_object(), "{path}");
        assert!(!resolve(&doc, &media["schema"]).is_null(), "{path}");
        assert!(ok["headers"]["ETag"].is_object(), "{path}");
        let params = item
            .get
            .as_ref()
            .unwrap()
            .parameters
            .as_ref()
            .map_or(0, Vec::len);
        assert_eq!(
            op["parameters"].as_array().map_or(0, Vec::len),
            params,
            "{path}"
        );
    }
    let list = &doc["paths"]["/api/open/v1/decisions"]["get"];
    let page = resolve(
        &doc,
        &list["responses"]["200"]["content"]["application/json"]["schema"],
    );
    assert!(page["properties"]["items"].is_object());
    let bad = resolve(
        &doc,
        &list["responses"]["400"]["content"]["application/json"]["schema"],
    );
    assert!(bad["properties"]["error"].is_object());
}

/// The names of the query parameters an operation documents.
fn documented_params(doc: &Value, path: &str) -> Vec<String> {
    doc["paths"][path]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(p["in"], "query", "{p}");
            assert!(p["description"].is_string(), "{p}");
            p["name"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn the_documented_parameters_are_the_ones_the_parser_reads() {
    let doc = served();
    let list = documented_params(&doc, "/api/open/v1/decisions");
    let csv = documented_params(&doc, "/api/open/v1/decisions.csv");
    // Every documented parameter changes what the real parser returns.
    let plain = parse_search(None, true).unwrap();
    for name in &list {
        let value = match name.as_str() {
            "kind" => "penalty",
            "from" | "to" => "2026-01-01",
            "page" | "per_page" => "3",
            _ => "x",
        };
        let s = parse_search(Some(&format!("{name}={value}")), true).unwrap();
        assert_ne!(s, plain, "{name} is documented but not read");
    }
    // Every parameter the API writes in its own links is documented.
    let all = parse_search(
        Some("q=a&category=b&kind=penalty&from=2026-01-01&to=2026-01-02&agency=c"),
        true,
    )
    .unwrap();
    let link = next_link(&all, u64::MAX).unwrap();
    let (_, query) = link.split_once('?').unwrap();
    let written: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    assert_eq!(written.len(), list.len(), "{link}");
    for (k, _) in &written {
        assert!(list.contains(k), "{k} is read but not documented");
    }
    // The export takes the filters only.
    let filters: Vec<&String> = list
        .iter()
        .filter(|n| !["page", "per_page"].contains(&n.as_str()))
        .collect();
    assert_eq!(csv.iter().collect::<Vec<_>>(), filters);
    // Limits and values come from the parser's constants and the domain.
    let p = |name: &str| -> Value {
        doc["paths"]["/api/open/v1/decisions"]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["schema"]
            .clone()
    };
    assert_eq!(p("per_page")["maximum"], u64::from(MAX_PER_PAGE));
    assert_eq!(p("per_page")["default"], u64::from(PAGE_SIZE));
    assert_eq!(p("page")["minimum"], 1);
    assert_eq!(p("page")["maximum"], MAX_PAGE);
    assert_eq!(p("q")["maxLength"], MAX_Q_CHARS);
    let kinds = liuhen_domain::legal::DecisionKind::ALL.map(|k| Value::from(k.as_str()));
    assert_eq!(p("kind")["enum"].as_array().unwrap(), &kinds.to_vec());
}

/// A decision with every optional field set.
fn full_decision() -> PublicDecision {
    PublicDecision {
        id: "d".into(),
        agency_id: "a".into(),
        body: "b".into(),
        target: "t".into(),
        party_kind: "company",
        credit_code: Some("c".into()),
        category: "c".into(),
        kind: "penalty",
        kind_label: "行政处罚",
        title: "t".into(),
        doc_number: "n".into(),
        decided_on: "2026-01-01".into(),
        legal_basis: "l".into(),
        conclusion: "c".into(),
        fine_fen: Some(1),
        fine_yuan: Some("0.01 元".into()),
        published_on: Some("2026-01-02".into()),
        late: false,
        late_working_days: Some(0),
    }
}

/// The property names of a component schema.
fn properties(doc: &Value, name: &str) -> Vec<String> {
    let mut v: Vec<String> = doc["components"]["schemas"][name]["properties"]
        .as_object()
        .unwrap_or_else(|| panic!("no schema {name}"))
        .keys()
        .cloned()
        .collect();
    v.sort();
    v
}

/// The keys of a value serialized as a JSON object.
fn keys(v: &impl Serialize) -> Vec<String> {
    let mut k: Vec<String> = serde_json::to_value(v)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

#[test]
fn the_schemas_are_the_response_types_field_for_field() {
    // A field added to a response type is in its JSON, so it must be in the
    // document too: the schema is derived from the type, never written by hand.
    let doc = served();
    assert_eq!(properties(&doc, "Decision"), keys(&full_decision()));
    let page = DecisionPage {
        items: vec![full_decision()],
        page: 1,
        per_page: 20,
        total: 1,
        next: Some("/api/open/v1/decisions?page=2".into()),
    };
    assert_eq!(properties(&doc, "DecisionPage"), keys(&page));
    let err = ErrorBody { error: "x".into() };
    assert_eq!(properties(&doc, "Error"), keys(&err));
    // Chinese descriptions and the values of the kinds travel with the types.
    let d = &doc["components"]["schemas"]["Decision"];
    assert_eq!(d["description"], "一条公示的执法决定（R-POST-2）");
    assert_eq!(d["properties"]["doc_number"]["description"], "文书编号");
    assert_eq!(
        d["properties"]["party_kind"]["enum"],
        serde_json::json!(["company", "person"])
    );
    assert_eq!(d["properties"]["decided_on"]["format"], "date");
    // Optional fields are nullable, the rest required.
    let required: Vec<&str> = d["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(required.contains(&"late") && !required.contains(&"fine_fen"));
    // `next` is always there (null on the last page).
    let page = &doc["components"]["schemas"]["DecisionPage"];
    assert!(
        page["required"]
            .as_array()
            .unwrap()
            .contains(&"next".into())
    );
    assert_eq!(page["description"], "一页查询结果");
}

#[test]
fn if_none_match_matches_lists_weak_tags_and_star() {
    let tag = etag_of(b"x");
    let mut h = HeaderMap::new();
    h.insert(
        header::IF_NONE_MATCH,
        HeaderValue::from_str(&format!("\"a\", W/{tag}")).unwrap(),
    );
    assert!(not_modified(&h, &tag));
    h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"other\""));
    assert!(!not_modified(&h, &tag));
    h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("*"));
    assert!(not_modified(&h, &tag));
}

#[test]
fn csv_starts_with_a_bom_and_headings() {
    let b = csv_bytes(&[]).unwrap();
    assert!(b.starts_with("\u{feff}编号,执法主体".as_bytes()));
}

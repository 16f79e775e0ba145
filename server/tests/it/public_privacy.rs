//! R-POST-2 over the whole public portal: a real `liuhen-server serve --demo`
//! process (the full demo: legal decisions, including one on the natural person
//! 刘建华 with his ID number and private notes, and the demo publications) is
//! crawled — every public page, every agency page, every draw, every statistics
//! year and export, every decision, searches for the person, every page of the open
//! data JSON, the CSV and the OpenAPI document — and no response body may contain
//! any of `DEMO_PRIVATE_VALUES`. The masked name 刘某 must appear for the person's
//! decision.

use crate::common;

use std::collections::{BTreeSet, VecDeque};

use serde_json::Value;

use common::{TestServer, client};
use liuhen_server::demo::legal::{DEMO_DECISION_PERSON_DOC, DEMO_PERSON_NAME, DEMO_PRIVATE_VALUES};

/// Demo agency.
const AGENCY: &str = "qy-sthj";
/// Most pages the crawler fetches.
const MAX_PAGES: usize = 600;

/// Starts `serve --demo` (with the legal demo and sample inspections).
fn start_full_demo() -> (TestServer, tempfile::TempDir) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = TestServer::start_in(tmp.path(), &["--demo"])
        .unwrap_or_else(|logs| panic!("server did not start:\n{}", logs.join("\n")));
    (server, tmp)
}

/// Same-site links of a page under the public portal or the open API.
fn links(html: &str) -> Vec<String> {
    html.match_indices("href=\"")
        .filter_map(|(i, m)| {
            let s = &html[i + m.len()..];
            let end = s.find('"')?;
            let href = s[..end].replace("&amp;", "&");
            let href = href.split('#').next().unwrap_or("").to_string();
            (href.starts_with("/public") || href.starts_with("/api/open/")).then_some(href)
        })
        .collect()
}

/// Fails if `body` of `path` holds any private value. A search page shows back
/// what the visitor typed (the search box and "查询“…”"): that echo of their own
/// input is not a disclosure and is left out of the check.
fn assert_clean(path: &str, body: &str) {
    let mut body = body.to_string();
    if let Some((_, query)) = path.split_once('?') {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        for (k, v) in pairs {
            if k == "q" && !v.is_empty() {
                body = body
                    .replace(&format!("value=\"{v}\""), "value=\"\"")
                    .replace(&format!("查询“{v}”"), "查询“”");
            }
        }
    }
    for v in DEMO_PRIVATE_VALUES {
        assert!(
            !body.contains(v),
            "R-POST-2: private value {v:?} appears in the public answer of {path}"
        );
    }
}

#[test]
fn r_post_2_no_private_value_appears_on_any_public_route() {
    let (server, _tmp) = start_full_demo();
    let http = client();
    let fetch = |path: &str| -> (u16, String) {
        let r = http.get(server.url(path)).send().expect("request");
        let status = r.status().as_u16();
        let bytes = r.bytes().expect("body");
        (status, String::from_utf8_lossy(&bytes).into_owned())
    };

    // Routes that must exist (200) and are crawled from.
    let agency = format!("/public/agencies/{AGENCY}");
    let mut required: Vec<String> = vec![
        "/public".into(),
        agency.clone(),
        format!("{agency}/officers"),
        format!("{agency}/items"),
        format!("{agency}/documents"),
        format!("{agency}/catalogue"),
        "/public/draws".into(),
        "/public/stats".into(),
        "/public/decisions".into(),
        "/public/open-data".into(),
        "/api/open/v1/decisions".into(),
        "/api/open/v1/decisions.csv".into(),
        "/api/open/v1/openapi.json".into(),
    ];
    // Searches for the person: by real name (finds nothing public), by masked
    // name, by ID number, by the document number.
    for q in [
        DEMO_PERSON_NAME,
        "刘某",
        "刘",
        "441802198505120317",
        DEMO_DECISION_PERSON_DOC,
    ] {
        let q = serde_urlencoded::to_string([("q", q)]).unwrap();
        required.push(format!("/public/decisions?{q}"));
        required.push(format!("/api/open/v1/decisions?{q}"));
        required.push(format!("/api/open/v1/decisions.csv?{q}"));
    }
    // Every page of the open data JSON, and every decision's page.
    let mut next = Some("/api/open/v1/decisions?per_page=1".to_string());
    let mut decision_ids = vec![];
    let mut person_decision = None;
    while let Some(path) = next.take() {
        let (status, body) = fetch(&path);
        assert_eq!(status, 200, "{path}: {body}");
        assert_clean(&path, &body);
        let v: Value = serde_json::from_str(&body).expect("json");
        for item in v["items"].as_array().expect("items") {
            let id = item["id"].as_str().expect("id").to_string();
            if item["party_kind"] == "person" {
                assert_eq!(item["target"], "刘某", "R-POST-2: the person is masked");
                assert!(item["credit_code"].is_null(), "no code for a person");
                person_decision = Some(id.clone());
            }
            decision_ids.push(id);
        }
        next = v["next"].as_str().map(str::to_string);
    }
    let person = person_decision
        .expect("the demo publishes the penalty on the natural person (demo_publish::load)");
    for id in &decision_ids {
        required.push(format!("/public/decisions/{id}"));
    }

    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut todo: VecDeque<String> = VecDeque::new();
    for r in &required {
        let (status, body) = fetch(r);
        assert_eq!(status, 200, "required public route {r}: {body}");
        assert_clean(r, &body);
        seen.insert(r.clone());
        todo.extend(links(&body));
    }
    // The person's record shows the masked name.
    let (_, page) = fetch(&format!("/public/decisions/{person}"));
    assert!(page.contains("刘某"), "R-POST-2: masked name shown: {page}");
    // Crawl everything linked from there (agency pages, draws, stats years and
    // exports, document downloads, pages of the list).
    while let Some(path) = todo.pop_front() {
        if seen.len() >= MAX_PAGES {
            break;
        }
        if !seen.insert(path.clone()) {
            continue;
        }
        let (status, body) = fetch(&path);
        assert!(
            status == 200 || status == 304,
            "a linked public route answers {status}: {path}"
        );
        assert_clean(&path, &body);
        todo.extend(links(&body));
    }
    // The crawl reached the parts of the portal it must have.
    // (Draw pages are crawled from /public/draws whenever the demo has draws.)
    for must in ["/public/stats/", "/public/decisions/"] {
        assert!(
            seen.iter().any(|p| p.starts_with(must)),
            "the crawl reached no page under {must}: {seen:?}"
        );
    }
    assert!(
        seen.iter()
            .any(|p| p.starts_with("/public/stats/") && p.ends_with(".csv")),
        "the crawl reached no statistics CSV: {seen:?}"
    );
}

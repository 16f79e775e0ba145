//! The legal review workflow (法制审核, R-LEGAL-1..7) in a real browser (headless
//! Chromium driven by playwright-core, `tests/browser/legal.spec.mjs`) against a
//! real server process with the demo accounts: the supervisor drafts a major
//! penalty and submits it; deciding before review is refused (R-LEGAL-1); the legal
//! reviewer returns it with 事实证据 failed; the supervisor amends and resubmits; the
//! reviewer sees what changed since the last review (R-LEGAL-4) and approves; the
//! supervisor decides with 清环罚〔2026〕99号; the audit trail names everyone. The
//! JSON API then confirms the decision and both reviewed versions. Screenshots go
//! into `target/browser-artifacts/`.
//!
//! Needs Chromium's headless shell at /usr/bin/chromium-headless-shell and tests/browser/node_modules: run
//! `scripts/browser-tools.sh` once (scripts/test-all.sh does).

use std::path::{Path, PathBuf};
use std::process::Command;

use liuhen_e2e::TestServer;
use serde_json::{Value, json};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root")
        .to_path_buf()
}

/// Fails with what to run when the browser tools are missing (never skips).
fn require_browser_tools(root: &Path) {
    let missing: Vec<String> = [
        PathBuf::from("/usr/bin/chromium-headless-shell"),
        root.join("tests/browser/node_modules/playwright-core/package.json"),
    ]
    .into_iter()
    .filter(|p| !p.exists())
    .map(|p| p.display().to_string())
    .collect();
    assert!(
        missing.is_empty(),
        "the browser test needs {} — run `bash scripts/browser-tools.sh` first \
         (installs Chromium and tests/browser/node_modules)",
        missing.join(" and ")
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "the browser test needs Node.js (`node`) on PATH; then run `bash scripts/browser-tools.sh`"
    );
}

/// Publishes catalogue version 1 (R-LEGAL-2) as admin unless the demo has one.
fn ensure_catalogue(server: &TestServer, admin: &str) {
    let http = reqwest::blocking::Client::new();
    let url = format!("{}/api/v1/legal/catalogue", server.base_url);
    let current = http.get(&url).bearer_auth(admin).send().expect("catalogue");
    if current.status().is_success() {
        return;
    }
    let r = http
        .put(&url)
        .bearer_auth(admin)
        .json(&json!({
            "catalogue": {
                "triggers": ["revocation", "suspension", "hearing_held", "judicial_transfer",
                             "major_coercion", "public_interest", "social_risk", "complex",
                             "large_fine"],
                "fine_threshold_fen": 5_000_000,
                "other_items": []
            },
            "note": "浏览器测试：目录清单第 1 版（罚款超过 5 万元属于重大）"
        }))
        .send()
        .expect("put catalogue");
    let status = r.status();
    assert!(status.is_success(), "catalogue: {status} {:?}", r.text());
}

#[test]
fn r_legal_full_review_cycle_in_a_real_browser() {
    let root = repo_root();
    require_browser_tools(&root);
    let server = TestServer::start_demo();
    let admin = server.login("admin");
    ensure_catalogue(&server, &admin);

    let artifacts = root.join("target/browser-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    // One Chromium at a time: the suites share this test binary (see browser.rs). The
    // slot is taken only now, so the server and the data above are set up while
    // another suite's browser runs.
    let _browser = crate::browser::exclusive();
    let out = Command::new("node")
        .arg(root.join("tests/browser/legal.spec.mjs"))
        .current_dir(root.join("tests/browser"))
        .env("BASE_URL", &server.base_url)
        .env("ARTIFACTS_DIR", &artifacts)
        .output()
        .expect("run node tests/browser/legal.spec.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "legal.spec.mjs failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let result: Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no JSON result on stdout:\n{stdout}"));
    for shot in result["screenshots"].as_array().expect("screenshots") {
        let path = shot.as_str().unwrap();
        assert!(Path::new(path).is_file(), "screenshot {path}");
        println!("screenshot: {path}");
    }

    // The JSON API agrees: decided after the second version passed review.
    let id = result["draft_id"].as_str().expect("draft_id");
    let d: Value = reqwest::blocking::Client::new()
        .get(format!("{}/api/v1/legal/drafts/{id}", server.base_url))
        .bearer_auth(&admin)
        .send()
        .expect("detail")
        .json()
        .expect("detail JSON");
    assert_eq!(d["draft"]["status"], "decided", "{d}");
    assert_eq!(d["decision"][1], "清环罚〔2026〕99号", "{d}");
    let opinions: Vec<&str> = d["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["opinion"].as_str().unwrap())
        .collect();
    assert_eq!(opinions, ["problems", "approve"], "{d}");
    assert_eq!(d["versions"].as_array().unwrap().len(), 2, "{d}");
}

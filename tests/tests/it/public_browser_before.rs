//! The public portal's "before enforcement" pages (R-PRE-1..4), double random
//! results (R-POST-4) and annual statistics (R-POST-5) in a real browser (headless
//! Chromium driven by playwright-core, `tests/browser/public_before.spec.mjs`)
//! against a real server process with the full demo data, without signing in:
//! from the portal home to 清远市生态环境局's profile, roster (valid certificates
//! only), spot-check items, documents (the flow chart downloads), legal review
//! catalogue, each page's agency tabs; a draw of QYHJ-SJ-07 committed and run here
//! shows its natural person as 刘某; the 2025 statistics with the chart and CSV and
//! XLSX downloads; a bad year is a clear error page. No page shows 刘建华 or an ID
//! number. Screenshots go into `target/browser-artifacts/public-before-*.png`.
//!
//! Needs Chromium at /usr/bin/chromium and tests/browser/node_modules: run
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

/// `POST path` with a JSON body as `token`; the JSON answer (status 2xx asserted).
fn post(server: &TestServer, token: &str, path: &str, body: Value) -> Value {
    let r = reqwest::blocking::Client::new()
        .post(format!("{}{path}", server.base_url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .unwrap_or_else(|e| panic!("POST {path}: {e}"));
    let status = r.status();
    let text = r.text().unwrap_or_default();
    assert!(status.is_success(), "POST {path}: {status} {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("POST {path}: {e}: {text}"))
}

/// Commits and runs a draw of QYHJ-SJ-07 (ratio 100 %, every kind of target, so
/// the natural person 刘建华 is drawn); returns its id (R-POST-4).
fn completed_draw(server: &TestServer) -> String {
    let supervisor = server.login("supervisor");
    let committed = post(
        server,
        &supervisor,
        "/api/v1/draws",
        json!({"item_code": "QYHJ-SJ-07"}),
    );
    let id = committed["id"]
        .as_str()
        .unwrap_or_else(|| panic!("draw id in {committed}"))
        .to_string();
    post(
        server,
        &supervisor,
        &format!("/api/v1/draws/{id}/run"),
        json!({}),
    );
    id
}

#[test]
fn visitor_reads_the_before_enforcement_pages_and_statistics_in_a_real_browser() {
    let root = repo_root();
    require_browser_tools(&root);
    let server = TestServer::start_demo_desk();
    let draw = completed_draw(&server);

    let artifacts = root.join("target/browser-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    // One Chromium at a time: the suites share this test binary (see browser.rs). The
    // slot is taken only now, so the server and the data above are set up while
    // another suite's browser runs.
    let _browser = crate::browser::exclusive();
    let out = Command::new("node")
        .arg(root.join("tests/browser/public_before.spec.mjs"))
        .current_dir(root.join("tests/browser"))
        .env("BASE_URL", &server.base_url)
        .env("ARTIFACTS_DIR", &artifacts)
        .env("DRAW_ID", &draw)
        .output()
        .expect("run node tests/browser/public_before.spec.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    let result: Option<Value> = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok());
    if let Some(r) = &result {
        println!("{r}");
    }
    assert!(
        out.status.success(),
        "public_before.spec.mjs failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let result = result.unwrap_or_else(|| panic!("no JSON result on stdout:\n{stdout}"));
    let failures = result["failures"].as_array().expect("failures");
    assert!(failures.is_empty(), "failed checks: {failures:?}");
    let shots = result["screenshots"].as_array().expect("screenshots");
    if crate::browser::screenshots() {
        assert!(!shots.is_empty(), "no screenshots taken");
    } else {
        assert!(shots.is_empty(), "LIUHEN_SCREENSHOTS=0: no screenshots");
    }
    for shot in shots {
        let path = shot.as_str().expect("screenshot path");
        assert!(Path::new(path).is_file(), "screenshot {path}");
        println!("screenshot: {path}");
    }
    // The visitor saw every agency page, the draw result and the year's statistics.
    let visited: Vec<&str> = result["visited"]
        .as_array()
        .expect("visited")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let draw_page = format!("/public/draws/{draw}");
    for want in [
        "/public",
        "/public/agencies/qy-sthj",
        "/public/agencies/qy-sthj/officers",
        "/public/agencies/qy-sthj/items",
        "/public/agencies/qy-sthj/documents",
        "/public/agencies/qy-sthj/catalogue",
        "/public/draws",
        draw_page.as_str(),
        "/public/stats",
        "/public/stats/2025",
        "/public/stats/99999",
    ] {
        assert!(visited.contains(&want), "{want} not visited: {visited:?}");
    }
}

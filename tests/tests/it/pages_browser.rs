//! Every web page in a real browser at desk width (1280×800) and phone width
//! (390×844): headless Chromium driven by playwright-core
//! (`tests/browser/pages.spec.mjs`) against a real `serve --demo` process with all
//! demo data. The script signs in as each demo role (each must land on its own
//! work), crawls same-origin links from the landing page and the public portal,
//! and fails on horizontal overflow, text under 12 px, unlabeled form controls,
//! small radio targets, console errors, 4xx links and 5xx answers; it saves
//! screenshots of every page at both widths under `target/browser-artifacts/pages/`
//! unless `LIUHEN_SCREENSHOTS=0` (scripts/test-all.sh: the screenshots are half of
//! the suite's time and nobody reads a CI machine's files; issue 17).
//!
//! Needs Chromium's headless shell at /usr/bin/chromium-headless-shell and tests/browser/node_modules: run
//! `scripts/browser-tools.sh` once (scripts/test-all.sh does).

use std::path::{Path, PathBuf};
use std::process::Command;

use liuhen_e2e::TestServer;

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
        "the browser test needs {} — run `bash scripts/browser-tools.sh` first",
        missing.join(" and ")
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "the browser test needs Node.js (`node`) on PATH"
    );
}

#[test]
fn every_page_reads_well_at_desk_and_phone_width() {
    let root = repo_root();
    require_browser_tools(&root);
    let server = TestServer::start_demo_desk();
    let artifacts = root.join("target/browser-artifacts");
    std::fs::create_dir_all(&artifacts).expect("artifacts directory");
    // One Chromium at a time: the suites share this test binary (see browser.rs). The
    // slot is taken only now, so the server and the data above are set up while
    // another suite's browser runs.
    let screenshots = crate::browser::screenshots();
    let _browser = crate::browser::exclusive();
    let out = Command::new("node")
        .arg(root.join("tests/browser/pages.spec.mjs"))
        .current_dir(root.join("tests/browser"))
        .env("BASE_URL", &server.base_url)
        .env("ARTIFACTS_DIR", &artifacts)
        .output()
        .expect("run node tests/browser/pages.spec.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    let result: serde_json::Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no JSON result on stdout:\n{stdout}"));
    assert!(
        out.status.success(),
        "pages.spec.mjs found problems ({}):\n{}",
        out.status,
        serde_json::to_string_pretty(&result["failures"]).unwrap_or_default()
    );
    let loads = result["loads"].as_u64().unwrap_or(0);
    let shots = result["screenshots"].as_u64().unwrap_or(0);
    println!("page loads: {loads}, screenshots: {shots}");
    assert!(
        loads >= 40,
        "the crawl reached every kind of page ({loads} loads)"
    );
    if screenshots {
        assert!(shots >= loads / 2, "a screenshot of every page ({shots})");
    } else {
        assert_eq!(shots, 0, "LIUHEN_SCREENSHOTS=0: no screenshots");
    }
}

//! The rules half of issue 20 in a real browser (headless Chromium driven by
//! playwright-core, `tests/browser/rules.spec.mjs`) against a real
//! `serve --demo` process: the desk queue after a web decision, R-POST-2 names
//! refused with their position, R-LEGAL-2 other items, the R-LEGAL-3 reviewer
//! lockout warning, and deadlines without holiday data shown as
//! 「待导入 N 年节假日安排」 linked to the calendar page. Screenshots go into
//! `target/browser-artifacts/`.
//!
//! Needs Chromium's headless shell at /usr/bin/chromium-headless-shell and tests/browser/node_modules: run
//! `scripts/browser-tools.sh` once (scripts/test-all.sh does).

use std::path::{Path, PathBuf};
use std::process::Command;

use liuhen_e2e::TestServer;
use serde_json::Value;

/// The demo's clean pending inspection (`server/src/demo.rs`, `desk_ids`).
const DEMO_PENDING_CLEAN: &str = "01936d00-0000-7000-8000-00000000d001";

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
}

#[test]
fn issue_20_rules_in_a_real_browser() {
    let root = repo_root();
    require_browser_tools(&root);
    let server = TestServer::start_demo_desk();
    let artifacts = root.join("target/browser-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    // One Chromium at a time: the suites share this test binary (see browser.rs). The
    // slot is taken only now, so the server and the data above are set up while
    // another suite's browser runs.
    let _browser = crate::browser::exclusive();
    let out = Command::new("node")
        .arg(root.join("tests/browser/rules.spec.mjs"))
        .current_dir(root.join("tests/browser"))
        .env("BASE_URL", &server.base_url)
        .env("ARTIFACTS_DIR", &artifacts)
        .env("DEMO_PENDING", DEMO_PENDING_CLEAN)
        .output()
        .expect("run node tests/browser/rules.spec.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "rules.spec.mjs failed ({}):\n{stdout}\n{stderr}",
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
    }
}

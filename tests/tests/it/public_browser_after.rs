//! Published decisions on the public portal in a real browser (headless Chromium
//! driven by playwright-core, `tests/browser/public_after.spec.mjs`) against a real
//! `serve --demo` process (legal demo decisions and demo publications). The runner
//! adds 24 published fixture decisions straight into the server's database so the
//! public list has two pages; the script searches by the masked name, opens the
//! record (刘某, never the real name or ID number), pages through the list,
//! publishes the demo inspection result through filer, reviewer and approver, and
//! withdraws the company penalty (R-POST-3), seeing the notice; screenshots into
//! `target/browser-artifacts/`.
//!
//! Needs Chromium at /usr/bin/chromium and tests/browser/node_modules: run
//! `scripts/browser-tools.sh` once (scripts/test-all.sh does).

use std::path::{Path, PathBuf};
use std::process::Command;

use liuhen_e2e::TestServer;

/// Demo values (`server/src/legal/demo.rs`).
const COMPANY_DOC: &str = "清环罚〔2026〕15号";
const PERSON_DOC: &str = "清环罚〔2026〕16号";
const INSPECTION_DOC: &str = "清环检〔2026〕3号";
const PERSON_NAME: &str = "刘建华";
const PRIVATE_VALUES: &[&str] = &[
    "刘建华",
    "441802198505120317",
    "XD-7731",
    "13902221234",
    "保密：",
];
/// The server's database file (`server/src/storage/sqlite.rs`, `DB_FILE_NAME`).
const DB_FILE: &str = "liuhen-server.db";
const AGENCY: &str = "qy-sthj";
/// Fixture decisions added so the public list (20 a page) has two pages.
const FIXTURES: u32 = 24;

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

/// Inserts `FIXTURES` decided and published company decisions (filer supervisor,
/// reviewer legal, approver admin) into the running server's database.
fn add_published_fixtures(data_dir: &Path) {
    let db = rusqlite::Connection::open(data_dir.join(DB_FILE)).expect("open database");
    db.busy_timeout(std::time::Duration::from_secs(30))
        .expect("busy timeout");
    let user = |login: &str| -> String {
        db.query_row("SELECT id FROM users WHERE login = ?1", [login], |r| {
            r.get(0)
        })
        .unwrap_or_else(|e| panic!("demo account {login}: {e}"))
    };
    let (sup, legal, admin) = (user("supervisor"), user("legal"), user("admin"));
    let body: String = db
        .query_row(
            "SELECT json_extract(data, '$.name') FROM agencies WHERE id = ?1",
            [AGENCY],
            |r| r.get(0),
        )
        .expect("demo agency");
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let today = chrono::Utc::now().date_naive().to_string();
    for n in 0..FIXTURES {
        let id = uuid::Uuid::now_v7().to_string();
        let draft = uuid::Uuid::now_v7().to_string();
        let name = format!("清远市浏览器分页测试{n:02}有限公司");
        let decided = format!("2026-10-{:02}", 1 + n % 28);
        db.execute(
            "INSERT INTO legal_drafts (id, agency_id, created_by, created_at, updated_at, status,
             title, kind, heads, bytes) VALUES (?1, ?2, ?3, ?4, ?4, 'decided', ?5, 'penalty', '[]', x'')",
            rusqlite::params![draft, AGENCY, legal, at, format!("测试决定 {n}")],
        )
        .expect("fixture draft");
        db.execute(
            "INSERT INTO decisions (id, agency_id, draft_id, kind, title, doc_number, decided_on,
             decided_at, decided_by, category, party_kind, party_name, party_code, legal_basis,
             conclusion, fine_fen, major, catalogue_version, reviewed_version, inspection_ids,
             confidential) VALUES (?1, ?2, ?3, 'penalty', ?4, ?5, ?6, ?7, ?8, '生态环境', 'company',
             ?9, '91441800MA4UJ5X21K', '《大气污染防治法》第九十九条', '罚款一万元', 1000000, 0,
             NULL, NULL, '[]', '')",
            rusqlite::params![
                id,
                AGENCY,
                draft,
                format!("关于{name}的行政处罚决定"),
                format!("清环罚〔2026〕{}号", 900 + n),
                decided,
                at,
                legal,
                name
            ],
        )
        .expect("fixture decision");
        db.execute(
            "INSERT INTO publications (decision_id, agency_id, public_body, public_target,
             public_code, filed_by, filed_at, reviewed_by, reviewed_at, approved_by, approved_at,
             published_on, due_on, late, late_working_days)
             VALUES (?1, ?2, ?3, ?4, '91441800MA4UJ5X21K', ?5, ?6, ?7, ?6, ?8, ?6, ?9, NULL, NULL, NULL)",
            rusqlite::params![id, AGENCY, body, name, sup, at, legal, admin, today],
        )
        .expect("fixture publication");
    }
}

#[test]
fn public_decisions_search_page_publish_and_withdraw_in_a_real_browser() {
    let root = repo_root();
    require_browser_tools(&root);
    let server = TestServer::start_demo_desk();
    add_published_fixtures(&server.data_dir);

    let artifacts = root.join("target/browser-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    // One Chromium at a time: the suites share this test binary (see browser.rs). The
    // slot is taken only now, so the server and the data above are set up while
    // another suite's browser runs.
    let _browser = crate::browser::exclusive();
    let out = Command::new("node")
        .arg(root.join("tests/browser/public_after.spec.mjs"))
        .current_dir(root.join("tests/browser"))
        .env("BASE_URL", &server.base_url)
        .env("ARTIFACTS_DIR", &artifacts)
        .env("COMPANY_DOC", COMPANY_DOC)
        .env("PERSON_DOC", PERSON_DOC)
        .env("INSPECTION_DOC", INSPECTION_DOC)
        .env("PERSON_NAME", PERSON_NAME)
        .env(
            "PRIVATE_VALUES",
            serde_json::to_string(PRIVATE_VALUES).unwrap(),
        )
        .output()
        .expect("run node tests/browser/public_after.spec.mjs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "public_after.spec.mjs failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    let result: serde_json::Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("no JSON result on stdout:\n{stdout}"));
    for shot in result["screenshots"].as_array().expect("screenshots") {
        let path = shot.as_str().unwrap();
        assert!(Path::new(path).is_file(), "screenshot {path}");
        println!("screenshot: {path}");
    }
    // The withdrawn decision is gone from the open data JSON, from outside the browser.
    let company = result["company_id"].as_str().expect("company id");
    let v: serde_json::Value = reqwest::blocking::get(format!(
        "{}/api/open/v1/decisions?per_page=100",
        server.base_url
    ))
    .unwrap()
    .json()
    .unwrap();
    assert!(
        !v["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == company),
        "withdrawn decision still in the open data"
    );
}

//! The field CLI (`liuhen-field`) against a real server process: devices enrol with
//! a password (on standard input) or a one-time code given as its QR payload, one
//! device records an inspection step by step and syncs it, the other devices receive
//! it, a supervisor's comment comes back and `show` prints it; a stopped server, a
//! bad code, a revoked device and a change the server refuses each get the exit code
//! and the words an officer needs.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use liuhen_e2e::{DEMO_PASSWORD, TestServer, server_binary};

const O1: &str = "qy-zf-001";
const O2: &str = "qy-zf-002";
const TASK: &str = "QY-2026-SJ-0117";

/// Path of the field client built by this workspace (same profile as the tests).
fn field_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/liuhen-field
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target profile directory");
    let bin = dir.join("liuhen-field");
    assert!(
        bin.is_file(),
        "{} is missing: build it with `cargo build -p liuhen-field` \
         (cargo test --workspace does)",
        bin.display()
    );
    bin
}

/// One finished process.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts exit `code` with `错误：…` naming every needle.
    #[track_caller]
    fn fails(self, code: i32, needles: &[&str]) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit code {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(
            self.stderr.contains("错误："),
            "stderr should say 错误：\n{}",
            self.stderr
        );
        for n in needles {
            assert!(
                self.stderr.contains(n),
                "stderr should contain {n:?}:\n{}",
                self.stderr
            );
        }
        self
    }

    #[track_caller]
    fn says(&self, needles: &[&str]) -> &Run {
        for n in needles {
            assert!(
                self.stdout.contains(n),
                "stdout should contain {n:?}:\n{}\nstderr:\n{}",
                self.stdout,
                self.stderr
            );
        }
        self
    }

    fn last_line(&self) -> String {
        self.stdout
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_string()
    }
}

/// A phone, as the CLI sees it: a data directory.
struct Field {
    dir: tempfile::TempDir,
}

impl Field {
    fn new() -> Field {
        Field {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut child = Command::new(field_binary())
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args)
            .env_remove("LIUHEN_OFFICER")
            .env_remove("LIUHEN_DATA_DIR")
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start liuhen-field");
        {
            let mut pipe = child.stdin.take().expect("stdin");
            pipe.write_all(stdin.as_bytes()).expect("write stdin");
        }
        let o = child.wait_with_output().expect("liuhen-field output");
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Enrolls with the demo password on standard input.
    fn enroll_password(&self, server: &TestServer, login: &str) -> Run {
        self.run_with_stdin(
            &[
                "enroll",
                "--server",
                &server.base_url,
                "--login",
                login,
                "--password-stdin",
            ],
            &format!("{DEMO_PASSWORD}\n"),
        )
    }
}

/// A one-time code from `liuhen-server admin enrollment-code` (the server runs on
/// the same database meanwhile): (code, QR payload).
fn enrollment_code(server: &TestServer, login: &str) -> (String, String) {
    let o = Command::new(server_binary())
        .args(["admin", "enrollment-code", "--login", login, "--server"])
        .arg(&server.base_url)
        .arg("--data-dir")
        .arg(&server.data_dir)
        .output()
        .expect("run liuhen-server admin enrollment-code");
    let stdout = String::from_utf8_lossy(&o.stdout);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "enrollment-code failed:\n{stderr}");
    let code = stdout.lines().next().unwrap_or_default().trim().to_string();
    let qr = stderr
        .lines()
        .find_map(|l| {
            l.split_once("二维码内容：")
                .map(|(_, p)| p.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no QR payload in:\n{stderr}"));
    assert!(!code.is_empty() && qr.contains(&code), "{code} / {qr}");
    (code, qr)
}

/// A small real PNG (evidence ingest checks the content).
fn png(seed: u8) -> Vec<u8> {
    liuhen_e2e::png_bytes(1, 1, u64::from(seed))
}

/// A supervisor reviews a record through the API; returns the stored inspection.
fn supervisor_review(server: &TestServer, id: &str, body: serde_json::Value) -> serde_json::Value {
    let session = server.login("supervisor");
    let resp = reqwest::blocking::Client::new()
        .post(format!(
            "{}/api/v1/inspections/{id}/review",
            server.base_url
        ))
        .bearer_auth(&session)
        .json(&body)
        .send()
        .expect("review request");
    assert_eq!(resp.status(), 200, "review refused");
    resp.json().expect("review answer")
}

/// China-time text of an RFC 3339 time in an API answer, as the CLI prints times.
fn china_time(v: &serde_json::Value) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(v.as_str().expect("time text"))
        .expect("RFC 3339 time")
        .with_timezone(&chrono::Utc);
    liuhen_core::time::local_text(t)
}

#[test]
fn devices_enrol_sync_a_cli_inspection_and_receive_a_supervisor_comment() {
    let mut server = TestServer::start_demo();
    let (a, b, c) = (Field::new(), Field::new(), Field::new());

    // Two devices enrol with login and password (read from standard input)...
    a.enroll_password(&server, O1)
        .ok()
        .says(&["李明", "已登记", &server.base_url]);
    b.enroll_password(&server, O2)
        .ok()
        .says(&["陈晓红", "已登记"]);
    // ...and one with a code from the admin command, as its QR payload: the server
    // address comes from the payload (percent-encoded there), no --server needed.
    let (_, qr) = enrollment_code(&server, O2);
    assert!(qr.starts_with("liuhen://enroll?server="), "{qr}");
    c.run(&["enroll", "--code", &qr])
        .ok()
        .says(&["陈晓红", "已登记", &server.base_url]);
    // The code is single-use.
    Field::new()
        .run(&["enroll", "--code", &qr])
        .fails(2, &["登记码无效"]);

    let st = a.run(&["status"]);
    st.ok()
        .says(&["已登记", &server.base_url, "李明", "尚未同步"]);
    let st: serde_json::Value =
        serde_json::from_str(&a.run(&["status", "--json"]).ok().stdout).unwrap();
    assert_eq!(st["enrolled"], true);
    assert_eq!(st["server_url"], server.base_url.as_str());
    assert_eq!(st["officer"]["officer_id"], O1);

    // The first sync brings the roster and the tasks.
    a.run(&["sync"])
        .ok()
        .says(&["同步完成", "名录和任务：已更新", "任务 2 项"]);
    a.run(&["tasks"]).ok().says(&[TASK]);

    // The whole on-site part, step by step with the CLI.
    let open = a.run(&["--as", O1, "open", "--task", TASK]).ok();
    let id = open.last_line();
    a.run(&["check-in", &id, O1]).ok();
    a.run(&["check-in", &id, O2]).ok();
    let photo = a.data_dir().join("现场.png");
    std::fs::write(&photo, png(9)).unwrap();
    let sha = a
        .run(&[
            "--as",
            O1,
            "evidence",
            &id,
            photo.to_str().unwrap(),
            "--kind",
            "photo",
            "--step",
            "findings",
        ])
        .ok()
        .last_line();
    let finding = a
        .run(&[
            "--as",
            O1,
            "finding",
            &id,
            "危废贮存间标识不全",
            "--evidence",
            &sha,
        ])
        .ok()
        .last_line();
    a.run(&["status"]).ok().says(&[&id, "待同步"]);

    a.run(&["sync"]).ok().says(&[
        "已同步记录：1 条",
        "上传证据：1 个",
        "需处理：0 条",
        "往返请求：",
        "名录和任务：无变化",
    ]);
    assert!(
        server
            .data_dir
            .join("blobs")
            .join(&sha[..2])
            .join(&sha)
            .is_file(),
        "the photo is on the server"
    );
    let st = a.run(&["status"]);
    st.ok().says(&[
        &id,
        "清远市鑫达陶瓷有限公司",
        "进行中",
        "已同步",
        "上次同步：",
    ]);

    // The other officer's devices receive the record with the first sync.
    for d in [&b, &c] {
        d.run(&["sync"])
            .ok()
            .says(&["收到新记录：1 条", &id, "名录和任务：已更新"]);
        d.run(&["show", &id]).ok().says(&[
            "危废贮存间标识不全",
            "李明",
            "陈晓红",
            &sha,
            "审核意见：",
            "（尚无审核意见）",
        ]);
    }

    // A supervisor returns the record with a comment on the finding.
    let reviewed = supervisor_review(
        &server,
        &id,
        serde_json::json!({
            "comment": "请补充危废台账照片",
            "item": format!("finding:{finding}"),
            "decision": "returned",
        }),
    );
    let commented_at = china_time(&reviewed["review"]["comments"][0]["at"]);
    let decided_at = china_time(&reviewed["review"]["decision"]["decided_at"]);
    for d in [&a, &b] {
        d.run(&["sync"])
            .ok()
            .says(&["收到更新：1 条", &id, "审核意见 1 条", "退回补正"]);
        let shown = d.run(&["show", &id]).ok();
        shown.says(&[
            "审核意见：",
            &format!("审核结论：退回补正（演示督查员，{decided_at}）"),
            "1. 请补充危废台账照片（关于检查情况第 1 条）",
            &format!("—— 演示督查员，{commented_at}"),
        ]);
        assert!(
            !shown.stdout.contains("（尚无审核意见）"),
            "{}",
            shown.stdout
        );
    }
    // A device clock far behind the server's gets a warning (and still syncs).
    let behind = (chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339();
    c.run(&["--at", &behind, "sync"]).ok().says(&[
        "同步完成",
        "本设备时钟比服务器慢",
        "小时",
        "请校准设备时间",
    ]);

    // Offline: the server is gone. The new finding stays on the device.
    server.kill();
    a.run(&["--as", O1, "finding", &id, "雨水排口有积水"]).ok();
    a.run(&["sync"])
        .fails(1, &["同步未完成", "网络", "保存在本设备上", "下次同步"]);
    let retried = a.run(&["sync", "--retry", "2"]);
    assert!(
        retried.stderr.contains("后进行第 2 次尝试（共 2 次）"),
        "{}",
        retried.stderr
    );
    retried.fails(1, &["保存在本设备上"]);
    a.run(&["status"]).ok().says(&[&id, "待同步"]);
    a.run(&["show", &id]).ok().says(&["雨水排口有积水"]);
}

#[test]
fn bad_credentials_and_unenrolled_devices_are_refused() {
    let server = TestServer::start_demo();
    let d = Field::new();
    d.run(&[
        "enroll",
        "--server",
        &server.base_url,
        "--code",
        "ZZZZ-2222",
    ])
    .fails(2, &["登记未成功", "登记码无效"]);
    d.run_with_stdin(
        &[
            "enroll",
            "--server",
            &server.base_url,
            "--login",
            O1,
            "--password-stdin",
        ],
        "not-the-password\n",
    )
    .fails(2, &["登录名或密码错误"]);
    d.run_with_stdin(
        &[
            "enroll",
            "--server",
            &server.base_url,
            "--login",
            O1,
            "--password-stdin",
        ],
        "",
    )
    .fails(2, &["未从标准输入读到密码"]);
    d.run(&["enroll", "--code", "K7PM2QXA"])
        .fails(2, &["--server"]);
    d.run(&["enroll", "--server", "ftp://example", "--code", "K7PM2QXA"])
        .fails(2, &["服务器地址"]);
    // Nothing was enrolled: sync says how to enrol, status says it is not enrolled.
    d.run(&["sync"]).fails(2, &["尚未登记", "enroll"]);
    d.run(&["status"]).ok().says(&["尚未登记"]);
    // A server that does not answer is a failure, not a refusal.
    let mut gone = TestServer::start_demo();
    let url = gone.base_url.clone();
    gone.kill();
    d.run(&["enroll", "--server", &url, "--code", "K7PM2QXA"])
        .fails(1, &["无法连接服务器"]);
}

#[test]
fn a_revoked_device_is_told_to_enrol_again_and_keeps_its_records() {
    let server = TestServer::start_demo();
    let a = Field::new();
    a.enroll_password(&server, O1).ok();
    a.run(&["sync"]).ok();
    // An enrolled device acts for its officer without --as.
    let id = a.run(&["open", "--task", TASK]).ok().last_line();
    let init: serde_json::Value =
        serde_json::from_str(&a.run(&["init", "--json"]).ok().stdout).unwrap();
    let device = init["device_id"].as_str().unwrap().to_string();
    let admin = server.login("admin");
    let resp = reqwest::blocking::Client::new()
        .post(format!(
            "{}/api/v1/admin/devices/{device}/revoke",
            server.base_url
        ))
        .bearer_auth(&admin)
        .send()
        .unwrap();
    assert!(resp.status().is_success());
    a.run(&["sync"])
        .fails(2, &["重新登记", "enroll", "检查记录均已保留"]);
    a.run(&["status"]).ok().says(&[&id, "待同步"]);
}

#[test]
fn a_refused_change_needs_attention_but_the_run_completes() {
    use automerge::ReadDoc;
    use automerge::transaction::Transactable;
    let server = TestServer::start_demo();
    let a = Field::new();
    a.enroll_password(&server, O1).ok();
    a.run(&["sync"]).ok();
    let id = a
        .run(&["--as", O1, "open", "--task", TASK])
        .ok()
        .last_line();
    a.run(&["check-in", &id, O1]).ok();
    a.run(&["sync"]).ok().says(&["已同步记录：1 条"]);

    // A tampered copy on this device writes a review decision, which only
    // supervisors may do on the server.
    {
        let mut core = liuhen_core::Core::open(a.data_dir()).unwrap();
        let bytes = core.export_document(&id).unwrap();
        let mut doc = automerge::AutoCommit::load(&bytes).unwrap();
        doc.set_actor(core.device().actor.clone());
        let (_, review) = doc.get(automerge::ROOT, "review").unwrap().unwrap();
        doc.put(&review, "decision", "approved").unwrap();
        doc.put(&review, "decided_by", "supervisor").unwrap();
        doc.put(&review, "decided_by_name", "伪造").unwrap();
        doc.put(&review, "decided_at", 1_790_000_000_000i64)
            .unwrap();
        doc.commit();
        core.merge_document(&doc.save(), O1).unwrap();
    }
    // The run completes (exit 0) and names the record and the server's reason.
    let r = a.run(&["sync"]).ok();
    r.says(&["同步完成", "需处理：1 条"]);
    let reason_line = |out: &str| {
        out.lines()
            .find(|l| l.contains(&id))
            .unwrap_or_default()
            .to_string()
    };
    let line = reason_line(&r.stdout);
    assert!(
        line.contains("清远市鑫达陶瓷有限公司") && line.contains("审核"),
        "the record and the server's reason:\n{}",
        r.stdout
    );
    let st = a.run(&["status"]).ok();
    let line = reason_line(&st.stdout);
    assert!(
        line.contains("需处理") && line.contains("审核"),
        "{}",
        st.stdout
    );
    // Not retried automatically; the next run still points at it.
    a.run(&["sync"])
        .ok()
        .says(&["需处理：0 条", "仍需处理", &id]);
}

#[test]
fn a_draft_decision_made_offline_goes_up_with_sync() {
    let server = TestServer::start_demo();
    let a = Field::new();

    // The skeleton parses back as a draft's content.
    let t = a.run(&["draft", "template", "--kind", "penalty"]).ok();
    let mut content: liuhen_core::legal::DraftContent =
        serde_json::from_str(&t.stdout).expect("template is a DraftContent");
    assert_eq!(
        content,
        liuhen_core::legal::DraftContent::empty(liuhen_core::legal::DecisionKind::Penalty)
    );
    a.run(&["draft", "template", "--kind", "fine"])
        .fails(2, &["--kind", "penalty"]);

    // Bad content files are refused with the reason, and nothing is written.
    let bad = a.data_dir().join("坏草案.json");
    std::fs::write(&bad, "{\"kind\": \"penalty\", \"title\": ").unwrap();
    let bad_path = bad.to_str().unwrap();
    a.run(&["--as", O1, "draft", "new", "--file", bad_path])
        .fails(2, &["草案内容", "内容不完整", "draft template"]);
    let mut long = content.clone();
    long.title = "超".repeat(liuhen_core::legal::MAX_TEXT_CHARS + 1);
    std::fs::write(&bad, serde_json::to_string(&long).unwrap()).unwrap();
    a.run(&["--as", O1, "draft", "new", "--file", bad_path])
        .fails(2, &["标题不能超过"]);
    a.run(&["--as", O1, "draft", "new", "--file", "不存在.json"])
        .fails(2, &["无法读取草案内容文件", "不存在"]);
    // Not enrolled: a draft needs the account it is submitted in.
    content.title = "关于清远市鑫达陶瓷有限公司超标排放的行政处罚决定".into();
    content.category = "生态环境".into();
    content.party_name = "清远市鑫达陶瓷有限公司".into();
    content.facts = "2026年11月20日现场检查发现雨水排口有积水".into();
    content.fine_fen = Some(5_000_000);
    let body = serde_json::to_string(&content).unwrap();
    a.run_with_stdin(&["--as", O1, "draft", "new", "--file", "-"], &body)
        .fails(2, &["尚未登记"]);
    a.run(&["draft", "list"]).ok().says(&["还没有决定草案"]);

    // Enrolled, with the roster: drafted offline, listed as pending, sent by sync.
    a.enroll_password(&server, O1).ok();
    a.run(&["sync"]).ok();
    let id = a
        .run_with_stdin(&["draft", "new", "--file", "-"], &body)
        .ok()
        .last_line();
    a.run(&["draft", "list"])
        .ok()
        .says(&[&id, "超标排放", "待同步", "尚未提交服务器"]);
    let file = a.data_dir().join("草案.json");
    content.discretion = "一般情节".into();
    std::fs::write(&file, serde_json::to_string(&content).unwrap()).unwrap();
    let file = file.to_str().unwrap();
    a.run(&["draft", "edit", &id, "--file", file])
        .ok()
        .says(&["已修改"]);
    a.run(&["draft", "edit", &id, "--file", file])
        .ok()
        .says(&["无改动"]);
    a.run(&["sync"])
        .ok()
        .says(&["同步完成", "已同步决定草案：1 份"]);
    a.run(&["draft", "show", &id]).ok().says(&[
        "同步状态：已同步",
        "一般情节",
        "50000.00 元",
        "修改冲突：无",
    ]);
    let shown: serde_json::Value =
        serde_json::from_str(&a.run(&["draft", "show", &id, "--json"]).ok().stdout).unwrap();
    assert_eq!(shown["sync"]["state"], "synced");
    assert_eq!(shown["content"]["discretion"], "一般情节");
    assert!(shown["heads"].as_array().is_some_and(|h| !h.is_empty()));
    // An edit from heads this device never saw is refused.
    a.run(&["draft", "edit", &id, "--file", file, "--base-heads", "00ff"])
        .fails(2, &["重新打开草案"]);
}

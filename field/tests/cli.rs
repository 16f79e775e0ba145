//! Integration tests of the `liuhen-field` binary, driven step by step the way a
//! shell script drives it: every step is a separate process on a data directory.

#[path = "../../core/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use liuhen_core::inspection::{Inspection, InspectionStatus};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_liuhen-field");
const TASK: &str = "QY-2026-SJ-0117";
/// Officers of the demo roster: two valid, one expired, one suspended.
const LEAD: &str = "qy-zf-001";
const SECOND: &str = "qy-zf-002";
const EXPIRED: &str = "qy-zf-003";
const SUSPENDED: &str = "qy-zf-004";

fn demo_roster() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/data/demo-roster.json")
}

/// 2026-11-20 (a date on which the demo certificates of LEAD and SECOND are valid
/// and EXPIRED's is not), at 09:00 + `minutes` Beijing time.
fn at(minutes: u32) -> String {
    format!(
        "--at=2026-11-20T{:02}:{:02}:00+08:00",
        9 + minutes / 60,
        minutes % 60
    )
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Asserts success; returns self for chaining.
    #[track_caller]
    fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts a refusal (exit 2) with a Chinese error naming every `needle`.
    #[track_caller]
    fn refused(self, needles: &[&str]) -> Run {
        assert_eq!(
            self.code, 2,
            "expected exit code 2\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(
            self.stderr.starts_with("错误："),
            "stderr should start with 错误：\n{}",
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

    /// The last line of stdout (where ids are printed for scripts).
    fn last_line(&self) -> String {
        self.stdout
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_string()
    }
}

/// One device: a data directory the binary works on.
struct Device {
    data: PathBuf,
}

impl Device {
    fn new(root: &Path, name: &str) -> Device {
        Device {
            data: root.join(name),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--data-dir")
            .arg(&self.data)
            .args(args)
            .env_remove("LIUHEN_OFFICER")
            .env_remove("LIUHEN_DATA_DIR")
            .env_remove("RUST_LOG");
        c
    }

    fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("run liuhen-field"))
    }

    fn load_demo_roster(&self) {
        let roster = demo_roster();
        let r = self
            .run(&["roster", "load", roster.to_str().expect("utf-8 path")])
            .ok();
        assert!(r.stdout.contains("清远市生态环境局"), "{}", r.stdout);
    }

    fn inspection(&self, id: &str) -> Inspection {
        let r = self.run(&["show", id, "--json"]).ok();
        serde_json::from_str(&r.stdout).expect("show --json is an Inspection")
    }

    fn show_json(&self, id: &str) -> Value {
        let r = self.run(&["show", id, "--json"]).ok();
        serde_json::from_str(&r.stdout).expect("show --json is JSON")
    }

    /// `show` still works and its text contains every piece recorded so far.
    #[track_caller]
    fn assert_intact(&self, id: &str, recorded: &[&str]) {
        let r = self.run(&["show", id]).ok();
        for piece in recorded {
            assert!(
                r.stdout.contains(piece),
                "record lost {piece:?}:\n{}",
                r.stdout
            );
        }
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write test file");
    p.to_str().expect("utf-8 path").to_string()
}

/// A short valid WAV: 8 kHz mono 8-bit, 0.1 s of silence.
fn wav() -> Vec<u8> {
    let data = 800u32;
    let mut w = b"RIFF".to_vec();
    w.extend_from_slice(&(36 + data).to_le_bytes());
    w.extend_from_slice(b"WAVEfmt ");
    w.extend_from_slice(&16u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&8000u32.to_le_bytes());
    w.extend_from_slice(&8000u32.to_le_bytes());
    w.extend_from_slice(&1u16.to_le_bytes());
    w.extend_from_slice(&8u16.to_le_bytes());
    w.extend_from_slice(b"data");
    w.extend_from_slice(&data.to_le_bytes());
    w.resize(44 + data as usize, 128);
    w
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// (1) The whole lifecycle, one process per step, ids captured from stdout's last
/// line; ends closed, amended, with both officers in the record and a sound log.
#[test]
fn whole_lifecycle_like_a_shell_script() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dev = Device::new(tmp.path(), "device");
    let files = tmp.path();

    let init = dev.run(&["init"]).ok();
    assert!(init.stdout.contains("设备编号："), "{}", init.stdout);
    let key = init
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("设备公钥："))
        .expect("public key line");
    assert!(is_sha256(key), "ed25519 public key is 32 bytes hex: {key}");

    dev.load_demo_roster();
    let tasks = dev.run(&["tasks", "--as", SECOND]).ok();
    assert!(tasks.stdout.contains(TASK), "{}", tasks.stdout);

    let open = dev
        .run(&["--as", LEAD, "open", "--task", TASK, &at(0)])
        .ok();
    let id = open.last_line();
    assert_eq!(
        id.len(),
        36,
        "inspection id on the last line: {}",
        open.stdout
    );

    dev.run(&["check-in", &id, LEAD, &at(1)]).ok();
    dev.run(&["check-in", &id, SECOND, &at(2)]).ok();

    let st = dev.run(&["statement", &id, &at(3)]).ok();
    assert!(
        st.stdout.contains("李明（执法证号：44180021001）"),
        "{}",
        st.stdout
    );
    assert!(st.stdout.contains("陈晓红"), "{}", st.stdout);
    assert!(
        st.stdout.contains("2026年11月20日 09时03分"),
        "{}",
        st.stdout
    );

    let rec_file = write(files, "recording.wav", &wav());
    let rec = dev
        .run(&[
            "evidence",
            &id,
            &rec_file,
            "--kind",
            "audio",
            "--step",
            "identity_notice",
            "--lat",
            "23.6313",
            "--lon",
            "113.2404",
            "--accuracy-m",
            "8",
            "--as",
            LEAD,
            &at(3),
        ])
        .ok()
        .last_line();
    assert!(is_sha256(&rec), "sha256 printed: {rec}");

    // The acting officer may come from the environment, as in a script.
    let r = dev
        .command(&["identity-notice", &id, "--recording", &rec, &at(4)])
        .env("LIUHEN_OFFICER", LEAD)
        .output()
        .expect("run");
    Run::from(r).ok();

    let photo_file = write(
        files,
        "outlet.jpg",
        &common::media_bytes("outlet.jpg", b"photo of the outlet"),
    );
    let photo = dev
        .run(&[
            "evidence",
            &id,
            &photo_file,
            "--kind",
            "photo",
            "--step",
            "findings",
            "--as",
            SECOND,
            &at(10),
        ])
        .ok()
        .last_line();
    let finding = dev
        .run(&[
            "finding",
            &id,
            "厂区东侧雨水排放口有积水",
            "--evidence",
            &photo,
            "--as",
            SECOND,
            &at(12),
        ])
        .ok()
        .last_line();
    assert_eq!(finding.len(), 36, "finding id: {finding}");
    dev.run(&[
        "edit-finding",
        &id,
        &finding,
        "厂区东侧雨水排放口有少量灰白色积水，已拍照取证",
        "--as",
        SECOND,
        &at(14),
    ])
    .ok();

    let sig_file = write(
        files,
        "signature.png",
        &common::media_bytes("signature.png", b"signature"),
    );
    let sig = dev
        .run(&[
            "evidence",
            &id,
            &sig_file,
            "--kind",
            "signature",
            "--step",
            "rights_notice",
            "--as",
            LEAD,
            &at(20),
        ])
        .ok()
        .last_line();
    let before = dev.run(&["violations", &id, &at(20)]).ok();
    assert!(before.stdout.contains("R-SCENE-4"), "{}", before.stdout);
    dev.run(&[
        "rights-notice",
        &id,
        "--notice-version",
        "QYHJ-2026-01",
        "--channel",
        "向清远市人民政府申请行政复议",
        "--channel",
        "向人民法院提起行政诉讼",
        "--signed-by",
        "周国栋",
        "--signature",
        &sig,
        "--as",
        LEAD,
        &at(21),
    ])
    .ok();

    let v = dev.run(&["violations", &id, &at(22)]).ok();
    assert!(v.stdout.contains("无未满足的规则"), "{}", v.stdout);
    let closed = dev.run(&["close", &id, "--as", LEAD, &at(23)]).ok();
    assert!(closed.stdout.contains("已结束"), "{}", closed.stdout);

    // After close only amendments.
    dev.run(&["finding", &id, "补充", "--as", LEAD, &at(30)])
        .refused(&["R-REC-5"]);
    let amendment = dev
        .run(&[
            "amend",
            &id,
            "--amends",
            &format!("finding:{finding}"),
            "积水面积约 2 平方米",
            "--as",
            SECOND,
            &at(40),
        ])
        .ok()
        .last_line();

    let show = dev.run(&["show", &id]).ok();
    for label in [
        "检查对象：清远市鑫达陶瓷有限公司",
        "检查事项：排污许可证执行情况检查",
        "执法人员：",
        "证号 44180021001",
        "证号 44180021002",
        "亮证告知：",
        "检查情况：",
        "证据：",
        "权利告知：",
        "当事人签字：周国栋",
        "状态：已结束",
        "更正：",
        "积水面积约 2 平方米",
    ] {
        assert!(
            show.stdout.contains(label),
            "{label:?} in:\n{}",
            show.stdout
        );
    }

    let i = dev.inspection(&id);
    assert_eq!(i.status(), InspectionStatus::Closed);
    let team: Vec<&str> = i.team.iter().map(|m| m.officer_id.as_str()).collect();
    assert!(team.contains(&LEAD) && team.contains(&SECOND), "{team:?}");
    assert_eq!(i.findings.len(), 1);
    assert!(i.findings[0].text.contains("灰白色"));
    assert_eq!(i.evidence.len(), 3);
    assert_eq!(i.amendments.len(), 1);
    assert_eq!(i.amendments[0].id, amendment);
    assert_eq!(i.evidence[0].lat, Some(23.6313));
    assert_eq!(i.evidence[0].media_type, "audio/wav");
    assert_eq!(i.evidence[1].media_type, "image/jpeg");

    let list = dev.run(&["list"]).ok();
    assert!(list.stdout.contains(&id), "{}", list.stdout);
    assert!(list.stdout.contains("待同步"), "{}", list.stdout);
    assert!(list.stdout.contains("已结束"), "{}", list.stdout);
    let pending = dev.run(&["list", "--pending", "--json"]).ok();
    let pending: Value = serde_json::from_str(&pending.stdout).expect("json list");
    assert_eq!(pending.as_array().map(|a| a.len()), Some(1));

    let log = dev.run(&["log", "--inspection", &id]).ok();
    for action in [
        "开始检查",
        "签到",
        "亮证告知",
        "权利告知",
        "结束检查",
        "更正",
    ] {
        assert!(log.stdout.contains(action), "{action}:\n{}", log.stdout);
    }
    let verify = dev.run(&["log", "verify"]).ok();
    assert!(
        verify.stdout.starts_with("设备日志完整：共 "),
        "{}",
        verify.stdout
    );
}

/// (2) Bad input is refused with a clear Chinese error and exit code 2, and nothing
/// recorded before is lost.
#[test]
fn bad_input_is_refused_with_code_2_and_nothing_is_lost() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dev = Device::new(tmp.path(), "device");
    dev.load_demo_roster();
    let id = dev
        .run(&["--as", LEAD, "open", "--task", TASK, &at(0)])
        .ok()
        .last_line();
    dev.run(&["check-in", &id, LEAD, &at(1)]).ok();
    let mut recorded = vec!["李明", "证号 44180021001"];

    // R-SCENE-1: expired and suspended certificates.
    dev.run(&["check-in", &id, EXPIRED, &at(2)])
        .refused(&["R-SCENE-1", "黄志强", "有效期"]);
    dev.run(&["check-in", &id, SUSPENDED, &at(2)])
        .refused(&["R-SCENE-1", "吴建国", "暂扣"]);
    dev.assert_intact(&id, &recorded);
    let i = dev.inspection(&id);
    assert_eq!(i.team.len(), 1, "no refused officer joined the team");

    // Closing with one officer, no identity notice and no rights notice lists
    // every unmet rule, each on its own line.
    let r = dev.run(&["close", &id, "--as", LEAD, &at(3)]).refused(&[
        "R-SCENE-2",
        "R-SCENE-3",
        "R-SCENE-4",
    ]);
    for rule in ["R-SCENE-2", "R-SCENE-3", "R-SCENE-4"] {
        assert!(
            r.stderr
                .lines()
                .any(|l| l.starts_with(&format!("{rule}: "))),
            "{rule} on its own line:\n{}",
            r.stderr
        );
    }
    dev.assert_intact(&id, &recorded);

    // The identity notice needs the whole team (R-SCENE-2).
    let rec_file = write(tmp.path(), "rec.wav", &wav());
    let rec = dev
        .run(&[
            "evidence",
            &id,
            &rec_file,
            "--kind",
            "audio",
            "--step",
            "identity_notice",
            "--as",
            LEAD,
            &at(4),
        ])
        .ok()
        .last_line();
    dev.run(&[
        "identity-notice",
        &id,
        "--recording",
        &rec,
        "--as",
        LEAD,
        &at(5),
    ])
    .refused(&["R-SCENE-2"]);
    dev.run(&["check-in", &id, SECOND, &at(6)]).ok();
    recorded.push("陈晓红");
    recorded.push(&rec);
    dev.assert_intact(&id, &recorded);

    // A finding pointing at evidence that is not attached.
    let missing = "ab".repeat(32);
    dev.run(&[
        "finding",
        &id,
        "引用不存在的证据",
        "--evidence",
        &missing,
        "--as",
        SECOND,
        &at(7),
    ])
    .refused(&["R-REC-5", &missing]);
    dev.run(&[
        "finding",
        &id,
        "引用格式错误的证据",
        "--evidence",
        "not-a-hash",
        "--as",
        SECOND,
        &at(7),
    ])
    .refused(&["evidence.sha256"]);
    dev.run(&["finding", &id, "现场生产正常", "--as", SECOND, &at(8)])
        .ok();
    recorded.push("现场生产正常");
    dev.assert_intact(&id, &recorded);
    let shown = dev.run(&["show", &id]).ok();
    assert!(!shown.stdout.contains("引用不存在的证据"));

    // A recording is no signature (R-SCENE-4), a refusal needs a witness.
    dev.run(&[
        "rights-notice",
        &id,
        "--notice-version",
        "2026-01",
        "--channel",
        "申请行政复议",
        "--signed-by",
        "周国栋",
        "--signature",
        &rec,
        "--as",
        LEAD,
        &at(9),
    ])
    .refused(&["R-SCENE-4", "签名"]);
    dev.run(&[
        "rights-notice",
        &id,
        "--notice-version",
        "2026-01",
        "--channel",
        "申请行政复议",
        "--refused",
        "--as",
        LEAD,
        &at(9),
    ])
    .refused(&["R-SCENE-4", "见证人"]);
    dev.assert_intact(&id, &recorded);

    // Steps that need an officer say so; unknown records are named.
    dev.run(&["finding", &id, "无执法人员", &at(10)])
        .refused(&["--as", "LIUHEN_OFFICER"]);
    dev.run(&["show", "no-such-inspection"])
        .refused(&["找不到", "no-such-inspection"]);
    dev.run(&[
        "evidence",
        &id,
        "/no/such/file.jpg",
        "--kind",
        "photo",
        "--step",
        "findings",
        "--as",
        LEAD,
    ])
    .refused(&["文件或目录不存在"]);
    dev.run(&["--at", "yesterday", "list"])
        .refused(&["RFC3339"]);
    // Command-line mistakes are explained in Chinese too.
    dev.run(&[
        "evidence", &id, &rec_file, "--kind", "smell", "--step", "findings",
    ])
    .refused(&["--kind", "smell", "photo"]);
    dev.run(&["chekc-in"]).refused(&["不认识的命令"]);

    // A roster with a malformed credit code is refused and the cached one kept.
    let good = std::fs::read_to_string(demo_roster()).expect("demo roster");
    let code: Value = serde_json::from_str(&good).expect("json");
    let credit = code["targets"][0]["credit_code"]
        .as_str()
        .expect("credit code")
        .to_string();
    let mut broken = credit.clone();
    let last = broken.pop().expect("18 chars");
    broken.push(if last == '1' { '2' } else { '1' });
    let bad = write(
        tmp.path(),
        "bad-credit-code.json",
        good.replace(&credit, &broken).as_bytes(),
    );
    dev.run(&["roster", "load", &bad])
        .refused(&["credit_code", "targets[0]", "校验码"]);
    let not_json = write(tmp.path(), "roster.json", "这不是名录 {".as_bytes());
    dev.run(&["roster", "load", &not_json]).refused(&["JSON"]);
    let truncated = write(
        tmp.path(),
        "truncated.json",
        &good.as_bytes()[..good.len() / 2],
    );
    dev.run(&["roster", "load", &truncated])
        .refused(&["不完整"]);
    dev.run(&["roster", "load", "/no/such/roster.json"])
        .refused(&["文件或目录不存在"]);
    let roster = dev.run(&["roster", "show", &at(10)]).ok();
    assert!(roster.stdout.contains(&credit), "{}", roster.stdout);
    assert!(roster.stdout.contains("已过期"), "{}", roster.stdout);
    assert!(roster.stdout.contains("暂扣"), "{}", roster.stdout);
    dev.assert_intact(&id, &recorded);

    // Everything recorded is still there and the log is whole.
    let i = dev.inspection(&id);
    assert_eq!(i.team.len(), 2);
    assert_eq!(i.findings.len(), 1);
    assert!(i.identity_notice.is_none());
    assert!(i.rights_notice.is_none());
    assert_eq!(i.status(), InspectionStatus::Open);
    let v = dev.run(&["violations", &id]).ok();
    assert!(v.stdout.contains("R-SCENE-3"), "{}", v.stdout);
    dev.run(&["log", "verify"]).ok();
}

/// (3) The scripted demo runs to the end; `demo-roster` is the saved test roster.
#[test]
fn demo_runs_to_the_end() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dev = Device::new(tmp.path(), "device");
    let r = dev.run(&["demo", "--at", "2026-11-20T10:00:00+08:00"]).ok();
    assert!(r.stdout.contains("[1/18] 加载演示名录"), "{}", r.stdout);
    assert!(r.stdout.contains("无未满足的规则"), "{}", r.stdout);
    assert!(r.stdout.contains("状态：已结束"), "{}", r.stdout);
    assert!(r.stdout.contains("设备日志完整"), "{}", r.stdout);
    assert!(
        r.last_line()
            .starts_with("[18/18] 核验案卷：案卷完整，已核对 "),
        "{}",
        r.stdout
    );
    let list = dev.run(&["list", "--json"]).ok();
    let list: Value = serde_json::from_str(&list.stdout).expect("json");
    assert_eq!(list[0]["status"], "closed");

    // The demo filed its case into the data directory; it verifies on its own.
    let id = list[0]["id"].as_str().expect("id");
    let case = dev.data.join(format!("案卷-{id}.zip"));
    assert!(case.is_file(), "{} missing:\n{}", case.display(), r.stdout);
    let v = verify_case(tmp.path(), &[case.to_str().expect("utf-8")]).ok();
    assert!(v.stdout.starts_with("案卷完整：已核对 "), "{}", v.stdout);
    let access = dev.run(&["access-log", id]).ok();
    assert!(access.stdout.contains("导出案卷"), "{}", access.stdout);

    let printed = dev.run(&["demo-roster"]).ok();
    let printed: Value = serde_json::from_str(&printed.stdout).expect("demo roster json");
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(demo_roster()).expect("saved roster"))
            .expect("saved roster json");
    assert_eq!(printed, saved, "core/tests/data/demo-roster.json is stale");
}

/// (4) One device exports, two officers add findings on two devices at the same
/// time, the copies are merged both ways: both devices show the same findings.
#[test]
fn concurrent_findings_merge_both_ways() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let a = Device::new(tmp.path(), "device-a");
    let b = Device::new(tmp.path(), "device-b");
    a.load_demo_roster();
    b.load_demo_roster();
    let id = a
        .run(&["--as", LEAD, "open", "--task", TASK, &at(0)])
        .ok()
        .last_line();
    a.run(&["check-in", &id, LEAD, &at(1)]).ok();
    a.run(&["check-in", &id, SECOND, &at(2)]).ok();

    let first = tmp.path().join("first.automerge");
    let first = first.to_str().expect("utf-8");
    a.run(&["export", &id, "--out", first]).ok();
    let merged = b.run(&["merge", first, "--as", SECOND, &at(3)]).ok();
    assert_eq!(merged.last_line(), id);

    // Both officers write at the same time, each on their own device.
    let spawn = |dev: &Device, args: &[&str]| {
        dev.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn liuhen-field")
    };
    let on_a = spawn(
        &a,
        &[
            "finding",
            &id,
            "李明：废水排放口标识规范",
            "--as",
            LEAD,
            &at(10),
        ],
    );
    let on_b = spawn(
        &b,
        &[
            "finding",
            &id,
            "陈晓红：雨水口有积水",
            "--as",
            SECOND,
            &at(10),
        ],
    );
    Run::from(on_a.wait_with_output().expect("wait a")).ok();
    Run::from(on_b.wait_with_output().expect("wait b")).ok();

    let from_a = tmp.path().join("from-a.automerge");
    let from_b = tmp.path().join("from-b.automerge");
    let (from_a, from_b) = (
        from_a.to_str().expect("utf-8"),
        from_b.to_str().expect("utf-8"),
    );
    a.run(&["export", &id, "--out", from_a]).ok();
    b.run(&["export", &id, "--out", from_b]).ok();
    b.run(&["merge", from_a, "--as", SECOND, &at(11)]).ok();
    a.run(&["merge", from_b, "--as", LEAD, &at(11)]).ok();

    let (ja, jb) = (a.show_json(&id), b.show_json(&id));
    assert_eq!(
        ja["findings"], jb["findings"],
        "same findings on both devices"
    );
    assert_eq!(ja["team"], jb["team"]);
    let texts: Vec<&str> = ja["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["text"].as_str())
        .collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts.iter().any(|t| t.starts_with("李明")));
    assert!(texts.iter().any(|t| t.starts_with("陈晓红")));

    // A file that is not an inspection document is refused.
    let junk = write(tmp.path(), "junk.automerge", b"not an automerge document");
    a.run(&["merge", &junk]).refused(&["不是有效的检查记录"]);
    a.run(&["log", "verify"]).ok();
    b.run(&["log", "verify"]).ok();
}

/// `log verify` names the first altered entry and exits 2 (R-REC-5).
#[test]
fn tampered_log_fails_verification() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dev = Device::new(tmp.path(), "device");
    dev.load_demo_roster();
    dev.run(&["--as", LEAD, "open", "--task", TASK, &at(0)])
        .ok();
    let ok = dev.run(&["log", "verify", "--json"]).ok();
    let ok: Value = serde_json::from_str(&ok.stdout).expect("json");
    assert_eq!(ok["entries"], 2);

    let db = rusqlite::Connection::open(dev.data.join("liuhen.db")).expect("open store");
    db.execute(
        "UPDATE log_entries SET officer_id = 'someone-else' WHERE seq = 2",
        [],
    )
    .expect("tamper");
    drop(db);
    dev.run(&["log", "verify"]).refused(&["R-REC-5", "第 2 条"]);
}

/// Runs `verify-case` the way a reviewer does: no `--data-dir`, no environment, in
/// an empty working directory (which must stay empty: no data directory is made).
fn verify_case(cwd: &Path, args: &[&str]) -> Run {
    let work = tempfile::tempdir_in(cwd).expect("tempdir");
    let o = Command::new(BIN)
        .arg("verify-case")
        .args(args)
        .current_dir(work.path())
        .env_remove("LIUHEN_OFFICER")
        .env_remove("LIUHEN_DATA_DIR")
        .env_remove("RUST_LOG")
        .output()
        .expect("run liuhen-field");
    let left: Vec<_> = std::fs::read_dir(work.path())
        .expect("read work dir")
        .collect();
    assert!(left.is_empty(), "verify-case created files: {left:?}");
    Run::from(o)
}

/// Flips one bit pattern of the byte at `at` (so it always changes).
fn flip_byte(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).expect("read file to tamper");
    bytes[at] ^= 0xA5;
    std::fs::write(path, bytes).expect("write tampered file");
}

/// Evidence hashes of a closed inspection made by [`closed_inspection`].
struct Closed {
    id: String,
    recording: String,
    photo: String,
    photo_bytes: Vec<u8>,
    signature: String,
}

/// A complete, closed inspection of the demo task, one process per step.
fn closed_inspection(dev: &Device, files: &Path) -> Closed {
    dev.load_demo_roster();
    let id = dev
        .run(&["--as", LEAD, "open", "--task", TASK, &at(0)])
        .ok()
        .last_line();
    dev.run(&["check-in", &id, LEAD, &at(1)]).ok();
    dev.run(&["check-in", &id, SECOND, &at(2)]).ok();
    let capture = |name: &str, bytes: &[u8], kind: &str, step: &str, by: &str, t: u32| {
        let f = write(files, name, bytes);
        dev.run(&[
            "evidence",
            &id,
            &f,
            "--kind",
            kind,
            "--step",
            step,
            "--as",
            by,
            &at(t),
        ])
        .ok()
        .last_line()
    };
    let recording = capture(
        "rec.wav",
        &common::media_bytes("rec.wav", b"identity notice"),
        "audio",
        "identity_notice",
        LEAD,
        3,
    );
    dev.run(&[
        "identity-notice",
        &id,
        "--recording",
        &recording,
        "--as",
        LEAD,
        &at(4),
    ])
    .ok();
    let photo_bytes = common::media_bytes("outlet.jpg", b"outlet photo for the case file");
    let photo = capture("outlet.jpg", &photo_bytes, "photo", "findings", SECOND, 10);
    dev.run(&[
        "finding",
        &id,
        "雨水排放口有少量积水，已拍照取证",
        "--evidence",
        &photo,
        "--as",
        SECOND,
        &at(12),
    ])
    .ok();
    let signature = capture(
        "sig.png",
        &common::media_bytes("sig.png", b"party signature"),
        "signature",
        "rights_notice",
        LEAD,
        20,
    );
    dev.run(&[
        "rights-notice",
        &id,
        "--notice-version",
        "QYHJ-2026-01",
        "--channel",
        "申请行政复议",
        "--signed-by",
        "周国栋",
        "--signature",
        &signature,
        "--as",
        LEAD,
        &at(21),
    ])
    .ok();
    dev.run(&["close", &id, "--as", LEAD, &at(23)]).ok();
    for h in [&recording, &photo, &signature] {
        assert!(is_sha256(h), "evidence hash: {h}");
    }
    Closed {
        id,
        recording,
        photo,
        photo_bytes,
        signature,
    }
}

/// R-REC-6/R-REC-7: a closed inspection is exported as a zip case file (the export
/// is logged), verifies offline without a data directory, and a single changed byte
/// of its stored evidence is found and named. Exports need a reason and never
/// overwrite.
#[test]
fn case_file_export_and_offline_verification() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dev = Device::new(tmp.path(), "device");
    let key = dev
        .run(&["init"])
        .ok()
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("设备公钥：").map(str::to_string))
        .expect("public key line");
    let c = closed_inspection(&dev, tmp.path());
    let zip = tmp.path().join("案卷.zip");
    let zip_s = zip.to_str().expect("utf-8");

    // Refusals first: no officer, no reason, unknown inspection.
    dev.run(&[
        "export-case",
        &c.id,
        "--out",
        zip_s,
        "--zip",
        "--reason",
        "移送",
    ])
    .refused(&["--as"]);
    dev.run(&["export-case", &c.id, "--out", zip_s, "--zip", "--as", LEAD])
        .refused(&["R-REC-7", "--reason"]);
    dev.run(&[
        "export-case",
        &c.id,
        "--out",
        zip_s,
        "--zip",
        "--reason",
        "   ",
        "--as",
        LEAD,
    ])
    .refused(&["R-REC-7", "事由"]);
    dev.run(&[
        "export-case",
        "no-such-inspection",
        "--out",
        zip_s,
        "--reason",
        "移送",
        "--as",
        LEAD,
    ])
    .refused(&["找不到", "no-such-inspection"]);
    assert!(!zip.exists(), "nothing written by a refused export");
    let access = dev.run(&["access-log", &c.id]).ok();
    assert!(
        access.stdout.contains("尚无查看原件或导出案卷的记录"),
        "{}",
        access.stdout
    );

    let e = dev
        .run(&[
            "export-case",
            &c.id,
            "--out",
            zip_s,
            "--zip",
            "--reason",
            "移送法制审核",
            "--as",
            LEAD,
            &at(60),
        ])
        .ok();
    assert_eq!(e.last_line(), zip_s, "path on the last line:\n{}", e.stdout);
    assert!(zip.is_file());
    assert!(e.stdout.contains("证据原件 3 个"), "{}", e.stdout);
    assert!(e.stdout.contains("案卷清单 SHA-256："), "{}", e.stdout);
    assert!(e.stdout.contains("移送法制审核"), "{}", e.stdout);

    // Never overwritten; the original stays as it was.
    let before = std::fs::read(&zip).expect("read zip");
    dev.run(&[
        "export-case",
        &c.id,
        "--out",
        zip_s,
        "--zip",
        "--reason",
        "再次导出",
        "--as",
        LEAD,
        &at(61),
    ])
    .refused(&["已存在"]);
    assert_eq!(std::fs::read(&zip).expect("read zip"), before);

    // Offline verification, without any data directory.
    let v = verify_case(tmp.path(), &[zip_s]).ok();
    assert!(
        v.stdout.starts_with("案卷完整：已核对 7 个文件"),
        "{}",
        v.stdout
    );
    assert!(v.stdout.contains(&c.id), "{}", v.stdout);
    verify_case(tmp.path(), &[zip_s, "--device-key", &key]).ok();
    let json = verify_case(tmp.path(), &[zip_s, "--json"]).ok();
    let json: Value = serde_json::from_str(&json.stdout).expect("json report");
    assert_eq!(json["problems"], Value::Array(vec![]));
    assert_eq!(json["files_checked"], 7);
    let other_key = "11".repeat(32);
    let wrong =
        verify_case(tmp.path(), &[zip_s, "--device-key", &other_key]).refused(&["未通过核验"]);
    assert!(
        wrong.stdout.contains(&other_key) && wrong.stdout.contains(&key),
        "{}",
        wrong.stdout
    );
    verify_case(tmp.path(), &[zip_s, "--device-key", "not-a-key"]).refused(&["--device-key", "64"]);
    let missing = tmp.path().join("no-such-case.zip");
    verify_case(tmp.path(), &[missing.to_str().expect("utf-8")]).refused(&["不存在"]);
    let not_case = write(tmp.path(), "not-a-case.zip", b"just some text");
    verify_case(tmp.path(), &[&not_case]).refused(&["不是案卷"]);

    // One byte of the photo as stored (uncompressed) in the zip.
    let bytes = std::fs::read(&zip).expect("read zip");
    let at_photo = bytes
        .windows(c.photo_bytes.len())
        .position(|w| w == c.photo_bytes.as_slice())
        .expect("evidence is stored byte for byte in the zip");
    flip_byte(&zip, at_photo + c.photo_bytes.len() / 2);
    let bad = verify_case(tmp.path(), &[zip_s]).refused(&["未通过核验"]);
    let photo_path = format!("evidence/{}.jpg", c.photo);
    assert!(bad.stdout.contains(&photo_path), "{}", bad.stdout);
    for untouched in [&c.recording, &c.signature] {
        assert!(!bad.stdout.contains(untouched.as_str()), "{}", bad.stdout);
    }

    // The same as a folder: one changed byte of an evidence file is named.
    let folder = tmp.path().join("案卷-文件夹");
    let folder_s = folder.to_str().expect("utf-8");
    let e = dev
        .run(&[
            "export-case",
            &c.id,
            "--out",
            folder_s,
            "--reason",
            "归档",
            "--as",
            SECOND,
            &at(62),
        ])
        .ok();
    assert_eq!(e.last_line(), folder_s);
    assert!(folder.join(&photo_path).is_file(), "{}", e.stdout);
    verify_case(tmp.path(), &[folder_s]).ok();
    let sig_path = format!("evidence/{}.png", c.signature);
    flip_byte(&folder.join(&sig_path), 40);
    let bad = verify_case(tmp.path(), &[folder_s]).refused(&["1 处问题"]);
    assert!(bad.stdout.contains(&sig_path), "{}", bad.stdout);
    assert!(bad.stdout.contains("R-REC-5"), "{}", bad.stdout);

    // Both exports are on the access log, with who and why.
    let access = dev.run(&["access-log", &c.id]).ok();
    for needle in ["导出案卷", "移送法制审核", "归档", "李明", "陈晓红"] {
        assert!(
            access.stdout.contains(needle),
            "{needle}:\n{}",
            access.stdout
        );
    }
    assert!(!access.stdout.contains("再次导出"), "{}", access.stdout);
    dev.run(&["log", "verify"]).ok();
}

/// R-REC-7 and R-REC-5 on the device: opening an original is logged with its reason
/// and shows on the access log; `verify-evidence` names a missing original.
#[test]
fn originals_are_opened_on_the_record_and_checked() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dev = Device::new(tmp.path(), "device");
    let c = closed_inspection(&dev, tmp.path());

    let ok = dev.run(&["verify-evidence", &c.id]).ok();
    assert!(ok.stdout.starts_with("证据完整"), "{}", ok.stdout);

    dev.run(&["open-original", &c.id, &c.photo, "--as", SECOND])
        .refused(&["R-REC-7", "--reason"]);
    dev.run(&["open-original", &c.id, &c.photo, "--reason", "复核"])
        .refused(&["--as"]);
    let unknown = "cd".repeat(32);
    dev.run(&[
        "open-original",
        &c.id,
        &unknown,
        "--reason",
        "复核",
        "--as",
        SECOND,
    ])
    .refused(&["R-REC-5", &unknown]);
    let none = dev.run(&["access-log", &c.id]).ok();
    assert!(none.stdout.contains("尚无查看原件"), "{}", none.stdout);

    let opened = dev
        .run(&[
            "open-original",
            &c.id,
            &c.photo,
            "--reason",
            "法制审核复核现场照片",
            "--as",
            SECOND,
            &at(90),
        ])
        .ok();
    let path = PathBuf::from(opened.last_line());
    assert_eq!(
        std::fs::read(&path).expect("the printed path is the original"),
        c.photo_bytes
    );
    let access = dev.run(&["access-log", &c.id]).ok();
    for needle in [
        "查看原件",
        "法制审核复核现场照片",
        "陈晓红",
        "2026年11月20日 10时30分",
        &c.photo[..12],
    ] {
        assert!(
            access.stdout.contains(needle),
            "{needle}:\n{}",
            access.stdout
        );
    }
    let json = dev.run(&["access-log", &c.id, "--json"]).ok();
    let json: Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(json[0]["action"], "access_original");
    assert_eq!(json[0]["evidence"][0], c.photo.as_str());
    let log = dev.run(&["log", "--inspection", &c.id]).ok();
    assert!(log.stdout.contains("查看原件"), "{}", log.stdout);
    dev.run(&["access-log", "no-such-inspection"])
        .refused(&["找不到"]);

    // An original deleted from the device is named, and an export refused.
    std::fs::remove_file(&path).expect("delete the blob");
    let bad = dev.run(&["verify-evidence", &c.id]).refused(&["1 处问题"]);
    assert!(bad.stdout.contains(&c.photo), "{}", bad.stdout);
    assert!(bad.stdout.contains("R-REC-5"), "{}", bad.stdout);
    assert!(!bad.stdout.contains(&c.recording), "{}", bad.stdout);
    let json = dev.run(&["verify-evidence", &c.id, "--json"]);
    assert_eq!(json.code, 2);
    let json: Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(json["ok"], false);
    let out = tmp.path().join("incomplete.zip");
    dev.run(&[
        "export-case",
        &c.id,
        "--out",
        out.to_str().expect("utf-8"),
        "--reason",
        "移送",
        "--as",
        LEAD,
    ])
    .refused(&["R-REC-5", &c.photo]);
    assert!(!out.exists());
}

/// A wide PNG photo of noise: a long side above 4096 pixels, and (noise does not
/// compress) larger than its reduced JPEG copy.
fn wide_png(seed: u8) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ u64::from(seed);
    let img = image::RgbImage::from_fn(4200, 32, |_, _| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let [a, b, c, ..] = (state >> 32).to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

/// `--max-photo-mb` bounds photos (refused with the size, nothing recorded) and
/// `--allow-upload-copy` makes a reduced copy of an oversized photo.
#[test]
fn evidence_limits_from_the_command_line() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dev = Device::new(tmp.path(), "device");
    dev.load_demo_roster();
    let id = dev
        .run(&["--as", LEAD, "open", "--task", TASK, &at(0)])
        .ok()
        .last_line();
    dev.run(&["check-in", &id, LEAD, &at(1)]).ok();
    let photo = write(
        tmp.path(),
        "photo.jpg",
        &common::media_bytes("photo.jpg", b"limit"),
    );
    let before = dev.show_json(&id);
    let shown = dev.run(&["show", &id]).ok().stdout;
    let run = |extra: &[&str]| {
        let mut a: Vec<&str> = vec![
            "evidence", &id, &photo, "--kind", "photo", "--step", "findings", "--as", LEAD,
        ];
        a.extend_from_slice(extra);
        dev.run(&a)
    };
    run(&["--max-photo-mb", "0"]).refused(&["照片文件过大", "上限", "--max-photo-mb"]);
    run(&["--max-photo-mb", "0.0001"]).refused(&["照片文件过大"]);
    run(&["--max-photo-mb", "-1"]).refused(&["--max-photo-mb"]);
    run(&["--max-photo-mb", "很多"]).refused(&["--max-photo-mb"]);
    assert_eq!(dev.show_json(&id), before, "nothing recorded");
    assert_eq!(dev.run(&["show", &id]).ok().stdout, shown);
    let blobs: Vec<_> = walk_files(&dev.data.join("blobs"));
    assert!(blobs.is_empty(), "nothing stored: {blobs:?}");

    // Within the limit it is taken; no upload copy for a small photo.
    let ok = run(&["--max-photo-mb", "1"]).ok();
    assert!(!ok.stdout.contains("上传副本"), "{}", ok.stdout);

    // A photo above 4096 pixels: an upload copy only when allowed.
    let capture = |seed: u8, extra: &[&str]| {
        let wide = write(tmp.path(), &format!("wide-{seed}.png"), &wide_png(seed));
        let mut a: Vec<&str> = vec![
            "evidence", &id, &wide, "--kind", "photo", "--step", "findings", "--as", LEAD,
        ];
        a.extend_from_slice(extra);
        dev.run(&a)
    };
    let plain = capture(0, &[]).ok();
    assert!(!plain.stdout.contains("上传副本"), "{}", plain.stdout);
    let copied = capture(1, &["--allow-upload-copy"]).ok();
    let original = copied.last_line();
    assert!(
        is_sha256(&original),
        "original hash last: {}",
        copied.stdout
    );
    let line = copied
        .stdout
        .lines()
        .find(|l| l.contains("上传副本 SHA-256"))
        .unwrap_or_else(|| panic!("upload copy line:\n{}", copied.stdout));
    assert!(line.contains("2560×"), "{line}");
    let copy_hash = line.rsplit(' ').next().expect("hash");
    assert!(is_sha256(copy_hash) && copy_hash != original, "{line}");
    let json = capture(1, &["--allow-upload-copy", "--json"]).ok();
    let json: Value = serde_json::from_str(&json.stdout).expect("json");
    assert_eq!(json["sha256"], original.as_str());
    assert_eq!(json["upload_copy"]["sha256"], copy_hash);
    assert_eq!(json["upload_copy"]["width"], 2560);
}

fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk_files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

//! `--demo`: loads the demo agency (清远市生态环境局) idempotently: its roster, one
//! officer account per roster officer and a supervisor, a legal reviewer and an
//! admin, all with the password [`DEMO_PASSWORD`]; and makes a one-time enrollment
//! code for the first officer; the spot-check item list and one declared conflict
//! for double random draws. [`load_desk`] (called by `serve --demo` unless
//! `--demo-without-inspections`) also seeds the supervisor's desk. For trying the
//! system out only.

pub mod legal;
pub mod public_profile;
pub mod publish;

use liuhen_domain::model::{RosterSnapshot, TargetKind};

use crate::api::admin::{NewUser, create_user_hashed, load_roster};
use crate::api::enroll::create_code;
use crate::error::AppError;
use crate::services::draws::algorithm::SpotCheckItem;
use crate::state::AppState;
use crate::storage::{ConflictRecord, Role};

/// The demo roster (also used by the core's tests and the field CLI demo).
pub const DEMO_ROSTER_JSON: &str = include_str!("../../../core/tests/data/demo-roster.json");

/// Password of every demo account. Demo only: never on a real deployment.
pub const DEMO_PASSWORD: &str = "demo-password";

/// The argon2id hash of [`DEMO_PASSWORD`], made once per process: every demo account
/// stores it (one salt for a password that is public anyway), so a server start
/// seeds its accounts with one hash instead of one each (most of a start's CPU in
/// the tests, issue 17). Its cost parameters are argon2's smallest (8 KiB, one
/// pass) instead of the default 19 MiB and two passes: the password is printed in
/// the README, so the cost protects nothing, and every sign-in of a demo account
/// (each test's enrolments and logins) verified 19 MiB in a debug build -- a quarter
/// of the server tests' CPU. Every sign-in still runs the full argon2id check against
/// the stored PHC string (whose parameters it reads); accounts made by an admin or
/// the roster import keep the default parameters ([`crate::auth::hash_password`]).
async fn demo_password_hash() -> Result<String, AppError> {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_try_init(|| async {
        tokio::task::spawn_blocking(demo_hash_blocking)
            .await
            .map_err(AppError::internal)?
    })
    .await
    .cloned()
}

fn demo_hash_blocking() -> Result<String, AppError> {
    use argon2::{Algorithm, Argon2, Params, Version};
    let params = Params::new(Params::MIN_M_COST, Params::MIN_T_COST, 1, None)
        .map_err(|e| AppError::internal(format!("argon2 params: {e}")))?;
    crate::auth::hash_password_with(
        &Argon2::new(Algorithm::Argon2id, Version::V0x13, params),
        DEMO_PASSWORD,
    )
}

/// What `--demo` set up.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    /// Agency id.
    pub agency_id: String,
    /// Logins that exist now, with their roles (created now or before).
    pub logins: Vec<(String, Role)>,
    /// Logins created by this run.
    pub created: Vec<String>,
    /// Login of the first officer.
    pub first_officer_login: String,
    /// One-time enrollment code for the first officer (valid 24 h).
    pub enrollment_code: String,
}

/// The demo spot-check item list (随机抽查事项清单, R-PRE-3), consistent with the
/// demo roster: both items of its tasks, in the 生态环境 category.
pub fn demo_items() -> Vec<SpotCheckItem> {
    vec![
        SpotCheckItem {
            code: "QYHJ-SJ-03".into(),
            name: "排污许可证执行情况检查".into(),
            checking_body: "清远市生态环境局".into(),
            legal_basis: "《排污许可管理条例》".into(),
            category: "生态环境".into(),
            target_kinds: vec![TargetKind::Organisation, TargetKind::IndividualBusiness],
            target_areas: vec!["441800".into()],
            content: "排污许可证载明事项执行情况、自行监测、执行报告和环境管理台账".into(),
            ratio_bp: 5_000,
            method: "现场检查".into(),
            frequency: "每年一次".into(),
        },
        SpotCheckItem {
            code: "QYHJ-SJ-07".into(),
            name: "危险废物规范化环境管理检查".into(),
            checking_body: "清远市生态环境局".into(),
            legal_basis: "《中华人民共和国固体废物污染环境防治法》".into(),
            category: "生态环境".into(),
            target_kinds: vec![],
            target_areas: vec![],
            content: "危险废物贮存、转移联单、管理台账和处置去向".into(),
            ratio_bp: 10_000,
            method: "现场检查".into(),
            frequency: "每半年一次".into(),
        },
    ]
}

/// The demo declared conflict (回避): 陈晓红 (qy-zf-002) with 英德市华盈再生资源有限公司
/// (qy-dx-0002), so a draw of QYHJ-SJ-07 shows a staffing shortfall for it.
pub const DEMO_CONFLICT: (&str, &str, &str) = ("qy-zf-002", "qy-dx-0002", "近亲属在该单位任职");

/// The demo roster: [`DEMO_ROSTER_JSON`] plus what the 2025 statistics year needs
/// (issue 20): two targets catalogued under 固体废物, the second category of the
/// 2025 decisions, and that category on the certificates of 李明 and 陈晓红, who
/// inspected them (R-SCENE-1). Drawn items stay 生态环境, so draws are unchanged.
pub fn demo_roster() -> Result<RosterSnapshot, AppError> {
    use liuhen_domain::model::Target;
    let mut roster: RosterSnapshot = serde_json::from_str(DEMO_ROSTER_JSON)
        .map_err(|e| AppError::internal(format!("demo roster: {e}")))?;
    for o in roster.officers.iter_mut() {
        if ["qy-zf-001", "qy-zf-002"].contains(&o.id.as_str())
            && !o.categories.iter().any(|c| c == SOLID_WASTE)
        {
            o.categories.push(SOLID_WASTE.into());
        }
    }
    let agency_id = roster.agency.id.clone();
    for (id, name, code, address, area) in STATS_YEAR_TARGETS {
        if roster.targets.iter().any(|t| t.id == *id) {
            continue;
        }
        let target: Target = serde_json::from_value(serde_json::json!({
            "id": id, "agency_id": agency_id, "name": name, "kind": "organisation",
            "credit_code": code, "address": address, "category": SOLID_WASTE,
            "area": area, "location": null
        }))
        .map_err(|e| AppError::internal(format!("demo target {id}: {e}")))?;
        roster.targets.push(target);
    }
    Ok(roster)
}

/// The enforcement category of the demo's solid-waste targets and decisions.
pub const SOLID_WASTE: &str = "固体废物";

/// Targets catalogued under [`SOLID_WASTE`], inspected in 2025: (id, name, credit
/// code, address, area).
pub const STATS_YEAR_TARGETS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "qy-dx-0004",
        "清远市恒通五金制品有限公司",
        "91441802MA55QH3T01",
        "清远市清城区石角镇五金工业区 6 号",
        "441802",
    ),
    (
        "qy-dx-0005",
        "清远市华美再生资源有限公司",
        "91441803MA56RW7K2Y",
        "清远市清新区太和镇再生资源产业园 12 号",
        "441803",
    ),
];

/// Loads the demo agency; running it again changes nothing but issuing a new code.
pub async fn load(state: &AppState) -> Result<DemoSummary, AppError> {
    let roster = demo_roster()?;
    load_roster(state, &roster).await?;
    let agency_id = roster.agency.id.clone();
    state
        .storage
        .upsert_check_items(&agency_id, &demo_items())
        .await?;
    let (officer_id, target_id, reason) = DEMO_CONFLICT;
    state
        .storage
        .put_conflict(&ConflictRecord {
            agency_id: agency_id.clone(),
            officer_id: officer_id.into(),
            target_id: target_id.into(),
            reason: reason.into(),
            declared_at: state.clock.now(),
        })
        .await?;
    let mut accounts: Vec<(String, String, Role, Option<String>)> = roster
        .officers
        .iter()
        .map(|o| {
            (
                o.id.clone(),
                o.name.clone(),
                Role::Officer,
                Some(o.id.clone()),
            )
        })
        .collect();
    accounts.push((
        "supervisor".into(),
        "演示督查员".into(),
        Role::Supervisor,
        None,
    ));
    accounts.push((
        "legal".into(),
        "演示法制审核员".into(),
        Role::LegalReviewer,
        None,
    ));
    accounts.push(("admin".into(), "演示管理员".into(), Role::Admin, None));

    let mut created = Vec::new();
    let mut logins = Vec::new();
    for (login, name, role, officer_id) in accounts {
        logins.push((login.clone(), role));
        if state.storage.user_by_login(&login).await?.is_some() {
            continue;
        }
        create_user_hashed(
            state,
            NewUser {
                agency_id: agency_id.clone(),
                login: login.clone(),
                name,
                role,
                officer_id,
                password: DEMO_PASSWORD.to_string(),
            },
            Some(demo_password_hash().await?),
        )
        .await?;
        created.push(login);
    }
    let first = roster
        .officers
        .first()
        .ok_or_else(|| AppError::internal("demo roster has no officer"))?;
    let user = state
        .storage
        .user_by_login(&first.id)
        .await?
        .ok_or_else(|| AppError::internal("demo officer account missing"))?;
    let (enrollment_code, _) = create_code(state, &user).await?;
    Ok(DemoSummary {
        agency_id,
        logins,
        created,
        first_officer_login: first.id.clone(),
        enrollment_code,
    })
}

// ---- The supervisor's desk (issue 8) -------------------------------------------

/// The second demo agency (英德市市场监督管理局): a minimal roster, its own
/// supervisor `supervisor2` and one inspection, to show agencies are kept apart.
pub const DEMO_ROSTER2_JSON: &str = r#"{
  "agency": { "id": "yd-scjg", "name": "英德市市场监督管理局", "region_code": "441881" },
  "officers": [
    { "id": "yd-zf-001", "agency_id": "yd-scjg", "name": "邓志成", "unit": "英德市市场监督管理局综合执法队",
      "post": "执法队员", "certificate_no": "44188123001", "categories": ["市场监管"], "areas": ["441881"],
      "valid_from": "2023-01-01", "valid_until": "2029-12-31", "status": "active" },
    { "id": "yd-zf-002", "agency_id": "yd-scjg", "name": "梁美玲", "unit": "英德市市场监督管理局综合执法队",
      "post": "执法队员", "certificate_no": "44188123002", "categories": ["市场监管"], "areas": ["441881"],
      "valid_from": "2023-01-01", "valid_until": "2029-12-31", "status": "active" }
  ],
  "targets": [
    { "id": "yd-dx-0001", "agency_id": "yd-scjg", "name": "罗秀英", "kind": "natural_person", "credit_code": null,
      "address": "英德市英城街道和平中路 12 号（罗记米粉店）", "category": "市场监管", "area": "441881", "location": null }
  ],
  "tasks": []
}"#;

/// Login of the second agency's supervisor.
pub const DEMO_SUPERVISOR2: &str = "supervisor2";

/// Ids of the seeded desk inspections (fixed, so a second start adds nothing twice).
pub mod desk_ids;

/// One approved inspection of the 2025 statistics year: (target id, waste item
/// rather than permit item, opened month/day at 10:00 Beijing, finding, signer).
type StatsYearInspection = (&'static str, bool, (u32, u32), &'static str, &'static str);

/// The 2025 inspections seeded under [`desk_ids::STATS_YEAR`], in that order.
const STATS_YEAR_INSPECTIONS: [StatsYearInspection; 6] = [
    (
        "qy-dx-0001",
        false,
        (3, 4),
        "废气排放口在线监测数据超标，已调取 2 月份监测记录。",
        "周国栋（公司环保主管）",
    ),
    (
        "qy-dx-0002",
        false,
        (6, 24),
        "排污许可证执行报告按时提交，环境管理台账记录完整。",
        "何嘉欣（仓库负责人）",
    ),
    (
        "qy-dx-0001",
        true,
        (9, 10),
        "危废暂存间标识齐全，贮存量与管理台账一致。",
        "周国栋（公司环保主管）",
    ),
    (
        "qy-dx-0004",
        true,
        (6, 5),
        "废切削液桶露天堆放，未采取防渗漏措施。",
        "陈志伟（生产主管）",
    ),
    (
        "qy-dx-0005",
        true,
        (8, 1),
        "一般工业固体废物分类贮存，转移联单 5 份与台账一致。",
        "梁淑仪（环保专员）",
    ),
    (
        "qy-dx-0004",
        true,
        (10, 21),
        "复查：废切削液桶已移入危废贮存间，防渗整改完成。",
        "陈志伟（生产主管）",
    ),
];

/// The finding text with an injected script (shown literally by the desk).
pub const SCRIPT_FINDING_TEXT: &str =
    "现场张贴的告示写有 <script>alert(\"xss\")</script>，已拍照留存";

/// What [`load_desk`] did.
#[derive(Debug, Clone, Default)]
pub struct DeskSummary {
    /// Inspections written by this run (none on a second start).
    pub created: Vec<String>,
    /// Logins of the second agency created by this run.
    pub created_logins: Vec<String>,
}

/// A demo officer's phone: the device id and automerge actor its changes carry.
struct DemoDevice {
    officer: liuhen_domain::model::Officer,
    device_id: String,
    actor: automerge::ActorId,
}

impl DemoDevice {
    fn of(roster: &RosterSnapshot, officer_id: &str) -> Result<DemoDevice, AppError> {
        let officer = roster
            .officers
            .iter()
            .find(|o| o.id == officer_id)
            .cloned()
            .ok_or_else(|| AppError::internal(format!("demo officer {officer_id} missing")))?;
        use sha2::{Digest, Sha256};
        let h = Sha256::digest(format!("liuhen-demo-device:{officer_id}").as_bytes());
        Ok(DemoDevice {
            device_id: format!("demo-phone-{officer_id}"),
            actor: automerge::ActorId::from(&h[..16]),
            officer,
        })
    }
}

/// When a seeded evidence file reached the server.
#[derive(Debug, Clone, Copy)]
enum Arrival {
    /// This long after capture.
    After(chrono::Duration),
    /// Not yet.
    Missing,
}

/// One evidence file of a seeded inspection, with its bytes.
struct SeedBlob {
    reference: liuhen_domain::inspection::EvidenceRef,
    bytes: Vec<u8>,
    arrival: Arrival,
}

/// An inspection being seeded: the document, its evidence files and a clock.
struct Seed {
    doc: liuhen_domain::doc::InspectionDoc,
    blobs: Vec<SeedBlob>,
    at: chrono::DateTime<chrono::Utc>,
    n: u64,
}

type SeedResult<T> = Result<T, AppError>;

/// Builds one seeded inspection (run only if it is not stored yet).
type SeedBuild<'a> = Box<dyn FnOnce() -> SeedResult<Seed> + 'a>;

fn doc_err(e: liuhen_domain::doc::DocError) -> AppError {
    AppError::internal(format!("demo inspection: {e}"))
}

impl Seed {
    #[allow(clippy::too_many_arguments)]
    fn open(
        roster: &RosterSnapshot,
        id: &str,
        target_id: &str,
        item: (&str, &str, &str),
        by: &DemoDevice,
        opened_at: chrono::DateTime<chrono::Utc>,
        seed: u64,
    ) -> SeedResult<Seed> {
        use liuhen_domain::doc::{InspectionDoc, NewInspection};
        use liuhen_domain::inspection::{InspectionKind, InspectionMeta};
        let target = roster
            .targets
            .iter()
            .find(|t| t.id == target_id)
            .ok_or_else(|| AppError::internal(format!("demo target {target_id} missing")))?;
        let meta = InspectionMeta {
            id: id.to_string(),
            kind: InspectionKind::AdHoc,
            task_id: None,
            agency_id: roster.agency.id.clone(),
            agency_name: roster.agency.name.clone(),
            target_id: target.id.clone(),
            target_name: target.name.clone(),
            target_credit_code: target.credit_code.as_ref().map(|c| c.to_string()),
            target_address: target.address.clone(),
            target_area: target.area.clone(),
            target_is_natural_person: target.kind == TargetKind::NaturalPerson,
            category: target.category.clone(),
            item_code: item.0.to_string(),
            item_name: item.1.to_string(),
            legal_basis: item.2.to_string(),
            opened_at,
            opened_by: by.officer.id.clone(),
            device_id: by.device_id.clone(),
        };
        let doc =
            InspectionDoc::create(by.actor.clone(), NewInspection { meta }).map_err(doc_err)?;
        Ok(Seed {
            doc,
            blobs: vec![],
            at: opened_at,
            n: seed,
        })
    }

    /// Advances the seed's clock by `minutes` and returns the new time.
    fn tick(&mut self, minutes: i64) -> chrono::DateTime<chrono::Utc> {
        self.at += chrono::Duration::minutes(minutes);
        self.at
    }

    fn check_in(&mut self, d: &DemoDevice, who: &DemoDevice) -> SeedResult<()> {
        let at = self.tick(1);
        self.doc.set_actor(d.actor.clone());
        self.doc
            .add_team_member(&liuhen_domain::inspection::TeamMember {
                officer_id: who.officer.id.clone(),
                name: who.officer.name.clone(),
                certificate_no: who.officer.certificate_no.clone(),
                certificate_valid_until: who.officer.valid_until,
                checked_in_at: at,
                device_id: d.device_id.clone(),
                location: None,
            })
            .map_err(doc_err)
    }

    /// Captures an evidence file on `d` and attaches it; returns its hash.
    fn capture(
        &mut self,
        d: &DemoDevice,
        kind: liuhen_domain::inspection::EvidenceKind,
        step: liuhen_domain::inspection::InspectionStep,
        bytes: Vec<u8>,
        arrival: Arrival,
    ) -> SeedResult<String> {
        use liuhen_domain::inspection::{EvidenceKind, EvidenceRef};
        use sha2::{Digest, Sha256};
        let at = self.tick(2);
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let reference = EvidenceRef {
            sha256: sha256.clone(),
            kind,
            media_type: match kind {
                EvidenceKind::Photo => "image/jpeg",
                EvidenceKind::Audio => "audio/wav",
                _ => "image/png",
            }
            .into(),
            size_bytes: bytes.len() as u64,
            captured_at: at,
            captured_by: d.officer.id.clone(),
            device_id: d.device_id.clone(),
            step,
            lat: Some(23.6312),
            lon: Some(113.2405),
            accuracy_m: None,
            fixed_at: None,
        };
        self.doc.set_actor(d.actor.clone());
        self.doc.add_evidence(&reference).map_err(doc_err)?;
        self.blobs.push(SeedBlob {
            reference,
            bytes,
            arrival,
        });
        Ok(sha256)
    }

    /// The identity notice with its audio recording.
    fn identity_notice(&mut self, d: &DemoDevice) -> SeedResult<()> {
        use liuhen_domain::inspection::{EvidenceKind, IdentityNotice, InspectionStep};
        let n = self.n;
        let sha = self.capture(
            d,
            EvidenceKind::Audio,
            InspectionStep::IdentityNotice,
            wav_bytes(n),
            Arrival::After(chrono::Duration::minutes(40)),
        )?;
        let at = self.tick(1);
        let v = self.doc.read().map_err(doc_err)?;
        let statement = liuhen_domain::statement::identity_statement(&v, at);
        self.doc.set_actor(d.actor.clone());
        self.doc
            .set_identity_notice(&IdentityNotice {
                statement,
                recording_sha256: sha,
                given_at: at,
                given_by: d.officer.id.clone(),
            })
            .map_err(doc_err)
    }

    /// A finding with one photo; returns the finding id.
    fn finding(
        &mut self,
        d: &DemoDevice,
        fid: &str,
        text: &str,
        photo: Option<Arrival>,
    ) -> SeedResult<String> {
        use liuhen_domain::inspection::{EvidenceKind, Finding, InspectionStep};
        let mut evidence = vec![];
        if let Some(arrival) = photo {
            self.n += 1;
            let n = self.n;
            evidence.push(self.capture(
                d,
                EvidenceKind::Photo,
                InspectionStep::Findings,
                photo_jpeg(n)?,
                arrival,
            )?);
        }
        let at = self.tick(3);
        self.doc.set_actor(d.actor.clone());
        self.doc
            .add_finding(&Finding {
                id: fid.to_string(),
                text: text.to_string(),
                author: d.officer.id.clone(),
                at,
                evidence,
            })
            .map_err(doc_err)?;
        Ok(fid.to_string())
    }

    /// The rights notice, signed by the party.
    fn rights_notice(&mut self, d: &DemoDevice, signer: &str) -> SeedResult<()> {
        use liuhen_domain::inspection::{
            Acknowledgement, EvidenceKind, InspectionStep, RightsNotice,
        };
        let n = self.n;
        let sha = self.capture(
            d,
            EvidenceKind::Signature,
            InspectionStep::RightsNotice,
            signature_png(n)?,
            Arrival::After(chrono::Duration::minutes(40)),
        )?;
        let at = self.tick(1);
        self.doc.set_actor(d.actor.clone());
        self.doc
            .set_rights_notice(&RightsNotice {
                notice_version: "QYHJ-2026-01".into(),
                remedy_channels: vec![
                    "自收到决定之日起六十日内向清远市人民政府申请行政复议".into(),
                    "自收到决定之日起六个月内向有管辖权的人民法院提起行政诉讼".into(),
                    "对执法行为有异议的，可拨打 12345 政务服务便民热线投诉".into(),
                ],
                acknowledgement: Acknowledgement::Signed {
                    signer_name: signer.to_string(),
                    signature_sha256: sha,
                },
                given_at: at,
                given_by: d.officer.id.clone(),
            })
            .map_err(doc_err)
    }

    fn close(&mut self, d: &DemoDevice) -> SeedResult<()> {
        let at = self.tick(2);
        self.doc.set_actor(d.actor.clone());
        self.doc
            .set_closure(&liuhen_domain::inspection::Closure {
                closed_at: at,
                closed_by: d.officer.id.clone(),
            })
            .map_err(doc_err)
    }

    /// A supervisor's review: comments (general and per item), then the decision.
    fn review(
        &mut self,
        supervisor: &crate::storage::User,
        minutes_later: i64,
        outcome: liuhen_domain::inspection::ReviewOutcome,
        comments: &[(Option<&str>, &str)],
    ) -> SeedResult<()> {
        use liuhen_domain::inspection::{ReviewComment, ReviewDecision};
        let at = self.tick(minutes_later);
        self.doc
            .set_actor(crate::services::actors::user_actor(&supervisor.id));
        for (i, (item, text)) in comments.iter().enumerate() {
            self.doc
                .add_review_comment(&ReviewComment {
                    id: format!("demo-comment-{}-{i}", at.timestamp_millis()),
                    author_id: supervisor.id.clone(),
                    author_name: supervisor.name.clone(),
                    at,
                    text: (*text).to_string(),
                    item: item.map(str::to_string),
                })
                .map_err(doc_err)?;
        }
        self.doc
            .set_review_decision(&ReviewDecision {
                decision: outcome,
                decided_by: supervisor.id.clone(),
                decided_by_name: supervisor.name.clone(),
                decided_at: at,
            })
            .map_err(doc_err)
    }

    /// Stores evidence, then the document, as if the officers' devices had synced.
    async fn store(mut self, state: &AppState) -> SeedResult<String> {
        use liuhen_domain::inspection::InspectionStatus;
        let i = self.doc.read().map_err(doc_err)?;
        let id = i.meta.id.clone();
        for b in &self.blobs {
            let r = &b.reference;
            state
                .storage
                .reference_blob(&crate::storage::BlobRecord {
                    sha256: r.sha256.clone(),
                    inspection_id: id.clone(),
                    captured_at: r.captured_at,
                    received_at: None,
                    size: r.size_bytes,
                })
                .await?;
        }
        let mut officers = std::collections::BTreeSet::new();
        officers.insert(i.meta.opened_by.clone());
        officers.extend(i.team.iter().map(|m| m.officer_id.clone()));
        let rec = crate::storage::DocRecord {
            id: id.clone(),
            agency_id: i.meta.agency_id.clone(),
            officer_ids: officers.into_iter().collect(),
            task_id: i.meta.task_id.clone(),
            target_name: i.meta.target_name.clone(),
            status: match i.status() {
                InspectionStatus::Open => "open".into(),
                InspectionStatus::Closed => "closed".into(),
            },
            heads: self.doc.heads().iter().map(|h| h.to_string()).collect(),
            bytes: self.doc.save(),
            updated_at: (self.at + chrono::Duration::minutes(10)).min(state.clock.now()),
        };
        match state.storage.put_doc(&rec, None).await {
            Ok(()) => {}
            // Another server instance seeded it meanwhile (issue 18): its copy stands.
            Err(crate::storage::StorageError::Stale(_)) => return Ok(id),
            Err(e) => return Err(e.into()),
        }
        // Receipt is per agency (issue 16 item 6): granted to the stored record's
        // agency, so after the document.
        for b in &self.blobs {
            let r = &b.reference;
            if let Arrival::After(after) = b.arrival {
                let stored = state
                    .blobs
                    .put_bytes(b.bytes.clone())
                    .await
                    .map_err(|e| AppError::internal(format!("demo evidence: {e}")))?;
                state
                    .storage
                    .mark_blob_received(
                        &rec.agency_id,
                        &stored.sha256,
                        stored.size,
                        r.captured_at + after,
                    )
                    .await?;
            }
        }
        crate::services::summary::refresh(state, &id).await?;
        Ok(id)
    }
}

/// A real JPEG "site photo" (640x480): sky, a factory wall with a door and a
/// sign, a drain; colours vary with `n` so each photo has its own hash. Drawn on a
/// 960x720 plan; 640x480 keeps a demo start (a dozen photos, made by unoptimised
/// code in test builds) cheap, as do plain RGB bytes encoded by jpeg-encoder
/// (optimised in test builds) instead of `image`'s generic pixel and encoder code.
#[allow(clippy::manual_range_contains)] // plain comparisons, see the wall below
pub fn photo_jpeg(n: u64) -> Result<Vec<u8>, AppError> {
    const W: u16 = 640;
    const H: u16 = 480;
    let hue = (n.wrapping_mul(47) % 180) as i32;
    let mut rgb = Vec::with_capacity(usize::from(W) * usize::from(H) * 3);
    for y in 0..i32::from(H) {
        for x in 0..i32::from(W) {
            let (x, y) = (x * 3 / 2, y * 3 / 2);
            let px: [u8; 3] = if y < 260 {
                // Sky gradient.
                let t = y * 255 / 260;
                [(120 + t / 4) as u8, (170 + t / 6) as u8, 235]
            } else if x >= 180 && x < 780 && y >= 200 && y < 560 {
                // Wall, door and sign. (Plain comparisons: `contains` and `abs` are
                // calls in an unoptimised test build, 4.9 million of them per demo.)
                if x >= 420 && x < 540 && y >= 380 {
                    [70, 60, 55]
                } else if x >= 260 && x < 700 && y >= 230 && y < 300 {
                    [(180 + hue / 3) as u8, 40, (40 + hue / 2) as u8]
                } else {
                    let brick = ((x / 40 + y / 20) % 2) * 12;
                    [(170 + brick) as u8, (160 + brick) as u8, 150]
                }
            } else if y >= 560 && y < 620 && x > 280 - (y - 560) * 3 && x < 680 + (y - 560) * 3 {
                // Drain channel.
                [(40 + hue / 4) as u8, (70 + hue / 5) as u8, 60]
            } else {
                // Ground with some texture.
                let g = ((x * 7 + y * 13 + hue) % 23) as u8;
                [100 + g, 95 + g, 80 + g]
            };
            rgb.extend_from_slice(&px);
        }
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 85)
        .encode(&rgb, W, H, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| AppError::internal(format!("demo photo: {e}")))?;
    Ok(out)
}

/// A real PNG signature (480x180): a dark pen stroke on white, shaped by `n`.
pub fn signature_png(n: u64) -> Result<Vec<u8>, AppError> {
    let mut img = image::RgbImage::from_pixel(480, 180, image::Rgb([255, 255, 255]));
    let k = (n % 7) as f64 + 2.0;
    let mut prev: Option<(f64, f64)> = None;
    for i in 0..=800 {
        let t = f64::from(i) / 800.0;
        let x = 40.0 + 400.0 * t;
        let y = 95.0
            + 45.0 * (t * k * std::f64::consts::PI + n as f64 * 0.29).sin() * (1.0 - t * 0.6)
            + 18.0 * (t * 31.0).sin();
        if let Some((px, py)) = prev {
            for s in 0..=6 {
                let f = f64::from(s) / 6.0;
                let (cx, cy) = (px + (x - px) * f, py + (y - py) * f);
                for dx in -1i32..=1 {
                    for dy in -1i32..=1 {
                        let (ix, iy) = (cx as i32 + dx, cy as i32 + dy);
                        if (0..480).contains(&ix) && (0..180).contains(&iy) {
                            img.put_pixel(ix as u32, iy as u32, image::Rgb([20, 25, 70]));
                        }
                    }
                }
            }
        }
        prev = Some((x, y));
    }
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| AppError::internal(format!("demo signature: {e}")))?;
    Ok(out.into_inner())
}

/// A real WAV recording (16-bit PCM mono, 8 kHz, 3 s): spoken-like tone bursts
/// whose pitch varies with `n`.
pub fn wav_bytes(n: u64) -> Vec<u8> {
    const RATE: u32 = 8000;
    let samples = RATE * 3;
    let base = 180.0 + (n % 9) as f64 * 15.0;
    let phase = n as f64 * 0.37;
    let mut data = Vec::with_capacity(samples as usize * 2);
    for i in 0..samples {
        let t = f64::from(i) / f64::from(RATE);
        // Syllable envelope: four bursts per second.
        let env = (t * 4.0 * std::f64::consts::PI + phase)
            .sin()
            .abs()
            .powf(0.7);
        let f = base * (1.0 + 0.15 * (t * 1.3).sin());
        let v = env
            * (0.6 * (2.0 * std::f64::consts::PI * f * t).sin()
                + 0.3 * (4.0 * std::f64::consts::PI * f * t).sin());
        let s = (v * 12_000.0) as i16;
        data.extend_from_slice(&s.to_le_bytes());
    }
    let mut out = Vec::with_capacity(44 + data.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    out
}

async fn ensure_user(
    state: &AppState,
    agency_id: &str,
    login: &str,
    name: &str,
    role: Role,
    officer_id: Option<String>,
    created: &mut Vec<String>,
) -> Result<crate::storage::User, AppError> {
    if let Some(u) = state.storage.user_by_login(login).await? {
        return Ok(u);
    }
    let u = create_user_hashed(
        state,
        NewUser {
            agency_id: agency_id.to_string(),
            login: login.to_string(),
            name: name.to_string(),
            role,
            officer_id,
            password: DEMO_PASSWORD.to_string(),
        },
        Some(demo_password_hash().await?),
    )
    .await?;
    created.push(login.to_string());
    Ok(u)
}

/// Seeds the supervisor's desk (idempotent): inspections of the demo agency in
/// every state the desk shows, as the demo officers' devices would have synced
/// them, with real photos, recordings and signatures in the blob store; six
/// approved inspections opened in 2025 for the published statistics year
/// ([`desk_ids::STATS_YEAR`]); and the second agency with `supervisor2` and one
/// inspection. Needs [`load`] first.
pub async fn load_desk(state: &AppState) -> Result<DeskSummary, AppError> {
    use desk_ids as ids;
    use liuhen_domain::doc::ScalarField;
    use liuhen_domain::inspection::{Amendment, ReviewOutcome};

    let mut summary = DeskSummary::default();
    let roster = demo_roster()?;
    let roster2: RosterSnapshot = serde_json::from_str(DEMO_ROSTER2_JSON)
        .map_err(|e| AppError::internal(format!("second demo roster: {e}")))?;
    load_roster(state, &roster2).await?;
    let agency2 = roster2.agency.id.clone();
    for o in &roster2.officers {
        ensure_user(
            state,
            &agency2,
            &o.id,
            &o.name,
            Role::Officer,
            Some(o.id.clone()),
            &mut summary.created_logins,
        )
        .await?;
    }
    ensure_user(
        state,
        &agency2,
        DEMO_SUPERVISOR2,
        "演示督查员（英德市场监管）",
        Role::Supervisor,
        None,
        &mut summary.created_logins,
    )
    .await?;
    let supervisor = state
        .storage
        .user_by_login("supervisor")
        .await?
        .ok_or_else(|| AppError::internal("demo supervisor account missing"))?;

    let li = DemoDevice::of(&roster, "qy-zf-001")?;
    let chen = DemoDevice::of(&roster, "qy-zf-002")?;
    let huang = DemoDevice::of(&roster, "qy-zf-003")?;
    let deng = DemoDevice::of(&roster2, "yd-zf-001")?;
    let liang = DemoDevice::of(&roster2, "yd-zf-002")?;
    let now = state.clock.now();
    let days = |d: i64, h: i64| now - chrono::Duration::days(d) - chrono::Duration::hours(h);
    let permit = (
        "QYHJ-SJ-03",
        "排污许可证执行情况检查",
        "《排污许可管理条例》",
    );
    let waste = (
        "QYHJ-SJ-07",
        "危险废物规范化环境管理检查",
        "《中华人民共和国固体废物污染环境防治法》",
    );
    let soon = Some(Arrival::After(chrono::Duration::minutes(35)));

    // A complete, clean on-site record by 李明 and 陈晓红.
    let full = |id: &str, target: &str, item, at, n: u64, findings: &[(&str, &str)]| {
        let mut s = Seed::open(&roster, id, target, item, &li, at, n)?;
        s.check_in(&li, &li)?;
        s.check_in(&chen, &chen)?;
        s.identity_notice(&li)?;
        for (fid, text) in findings {
            s.finding(&li, fid, text, soon)?;
        }
        SeedResult::Ok(s)
    };

    let mut seeds: Vec<(&str, SeedBuild<'_>)> = vec![];
    seeds.push((
        ids::PENDING_CLEAN,
        Box::new(|| {
            let mut s = full(
                ids::PENDING_CLEAN,
                "qy-dx-0001",
                permit,
                days(1, 5),
                11,
                &[
                    (
                        "demo-f-0011",
                        "排污口标识牌完好，在线监测设备运行正常，数据与台账一致。",
                    ),
                    (
                        "demo-f-0012",
                        "自行监测报告按季度公开，2026 年第三季度报告已上传。",
                    ),
                ],
            )?;
            s.rights_notice(&li, "周国栋（公司环保主管）")?;
            s.close(&li)?;
            Ok(s)
        }),
    ));
    seeds.push((
        ids::VIOLATIONS,
        Box::new(|| {
            // 黄志强 alone, with a certificate that expired on 2026-06-30, and no
            // rights notice: R-SCENE-1, R-SCENE-2, R-SCENE-3, R-SCENE-4.
            let mut s = Seed::open(
                &roster,
                ids::VIOLATIONS,
                "qy-dx-0003",
                permit,
                &huang,
                days(2, 3),
                21,
            )?;
            s.check_in(&huang, &huang)?;
            s.finding(
                &huang,
                "demo-f-0021",
                "养殖场废水直排沟渠，现场未见处理设施。",
                soon,
            )?;
            s.close(&huang)?;
            Ok(s)
        }),
    ));
    seeds.push((
        ids::LATE_PHOTO,
        Box::new(|| {
            let mut s = full(
                ids::LATE_PHOTO,
                "qy-dx-0002",
                waste,
                days(4, 2),
                31,
                &[("demo-f-0031", "危废贮存间防渗层完好，标识齐全。")],
            )?;
            s.finding(
                &chen,
                "demo-f-0032",
                "转移联单 3 份，与台账核对一致（照片在山区无信号，次日才上传）。",
                Some(Arrival::After(chrono::Duration::hours(31))),
            )?;
            s.rights_notice(&li, "何嘉欣（仓库负责人）")?;
            s.close(&li)?;
            Ok(s)
        }),
    ));
    seeds.push((
        ids::AWAITING_UPLOAD,
        Box::new(|| {
            let mut s = Seed::open(
                &roster,
                ids::AWAITING_UPLOAD,
                "qy-dx-0001",
                waste,
                &li,
                now - chrono::Duration::hours(4),
                41,
            )?;
            s.check_in(&li, &li)?;
            s.check_in(&chen, &chen)?;
            s.identity_notice(&li)?;
            s.finding(
                &li,
                "demo-f-0041",
                "危废暂存区地面有少量油污，已要求清理。",
                soon,
            )?;
            s.finding(
                &chen,
                "demo-f-0042",
                "废机油桶 12 只，均已加盖（照片尚未从手机上传）。",
                Some(Arrival::Missing),
            )?;
            s.rights_notice(&li, "周国栋（公司环保主管）")?;
            s.close(&li)?;
            Ok(s)
        }),
    ));
    seeds.push((
        ids::RETURNED,
        Box::new(|| {
            let mut s = full(
                ids::RETURNED,
                "qy-dx-0002",
                permit,
                days(3, 6),
                51,
                &[("demo-f-0051", "执行报告未按时提交，企业称系统故障。")],
            )?;
            s.rights_notice(&li, "何嘉欣（仓库负责人）")?;
            s.close(&li)?;
            s.review(
                &supervisor,
                600,
                ReviewOutcome::Returned,
                &[
                    (None, "记录不够具体，请补正后重新提交。"),
                    (
                        Some("finding:demo-f-0051"),
                        "请写明执行报告应提交的时间和实际情况，并附系统故障的证明材料。",
                    ),
                ],
            )?;
            Ok(s)
        }),
    ));
    seeds.push((
        ids::AMENDED,
        Box::new(|| {
            let mut s = full(
                ids::AMENDED,
                "qy-dx-0001",
                waste,
                days(5, 1),
                61,
                &[("demo-f-0061", "危废管理台账记录不全。")],
            )?;
            s.rights_notice(&li, "周国栋（公司环保主管）")?;
            s.close(&li)?;
            s.review(
                &supervisor,
                300,
                ReviewOutcome::Returned,
                &[(
                    Some("finding:demo-f-0061"),
                    "“记录不全”具体缺哪几个月？请补正。",
                )],
            )?;
            let at = s.tick(900);
            s.doc.set_actor(li.actor.clone());
            s.doc
                .add_amendment(&Amendment {
                    id: "demo-m-0061".into(),
                    amends: "finding:demo-f-0061".into(),
                    text: "补正：台账缺 2026 年 7 月至 9 月的出入库记录，企业已承诺 10 日内补齐。"
                        .into(),
                    author: li.officer.id.clone(),
                    at,
                    evidence: vec![],
                })
                .map_err(doc_err)?;
            Ok(s)
        }),
    ));
    seeds.push((
        ids::APPROVED,
        Box::new(|| {
            let mut s = full(
                ids::APPROVED,
                "qy-dx-0001",
                permit,
                days(6, 4),
                71,
                &[(
                    "demo-f-0071",
                    "排污许可证在有效期内，许可事项执行情况良好。",
                )],
            )?;
            s.rights_notice(&li, "周国栋（公司环保主管）")?;
            s.close(&li)?;
            s.review(
                &supervisor,
                240,
                ReviewOutcome::Approved,
                &[(None, "记录完整，同意。")],
            )?;
            Ok(s)
        }),
    ));
    seeds.push((
        ids::OPEN,
        Box::new(|| {
            let mut s = Seed::open(
                &roster,
                ids::OPEN,
                "qy-dx-0002",
                waste,
                &chen,
                now - chrono::Duration::minutes(50),
                81,
            )?;
            s.check_in(&chen, &chen)?;
            s.check_in(&chen, &li)?;
            s.identity_notice(&chen)?;
            s.finding(&chen, "demo-f-0081", "正在核查危废转移联单。", soon)?;
            Ok(s)
        }),
    ));
    seeds.push((
        ids::CONFLICT,
        Box::new(|| {
            let mut s = full(
                ids::CONFLICT,
                "qy-dx-0001",
                permit,
                days(2, 8),
                91,
                &[("demo-f-0091", "雨污分流管网已改造完成。")],
            )?;
            // Both phones corrected the statement offline; the merge keeps both.
            let at = s.tick(2);
            let mut other = s.doc.fork_as(chen.actor.clone());
            s.doc.set_actor(li.actor.clone());
            s.doc
                .set_scalar(
                    ScalarField::IdentityStatement,
                    "我们是清远市生态环境局的执法人员李明、陈晓红，现依法对你单位进行现场检查（李明手机上的更正）。",
                    at,
                )
                .map_err(doc_err)?;
            other
                .set_scalar(
                    ScalarField::IdentityStatement,
                    "我们是清远市生态环境局执法人员陈晓红、李明，依法进行排污许可证执行情况检查（陈晓红手机上的更正）。",
                    at,
                )
                .map_err(doc_err)?;
            s.doc.merge(&mut other).map_err(doc_err)?;
            s.rights_notice(&li, "周国栋（公司环保主管）")?;
            s.close(&li)?;
            Ok(s)
        }),
    ));
    seeds.push((
        ids::SCRIPT_TEXT,
        Box::new(|| {
            let mut s = full(
                ids::SCRIPT_TEXT,
                "qy-dx-0002",
                waste,
                days(1, 9),
                101,
                &[("demo-f-0101", SCRIPT_FINDING_TEXT)],
            )?;
            s.rights_notice(&li, "何嘉欣（仓库负责人）")?;
            s.close(&li)?;
            Ok(s)
        }),
    ));
    seeds.push((
        ids::OTHER_AGENCY,
        Box::new(|| {
            let mut s = Seed::open(
                &roster2,
                ids::OTHER_AGENCY,
                "yd-dx-0001",
                (
                    "YDSJ-SP-01",
                    "食品经营许可和从业人员健康证明检查",
                    "《中华人民共和国食品安全法》",
                ),
                &deng,
                days(1, 2),
                111,
            )?;
            s.check_in(&deng, &deng)?;
            s.check_in(&liang, &liang)?;
            s.identity_notice(&deng)?;
            s.finding(
                &deng,
                "demo-f-0111",
                "英德市场监管局的记录：后厨卫生良好。",
                soon,
            )?;
            s.rights_notice(&deng, "罗秀英")?;
            s.close(&deng)?;
            Ok(s)
        }),
    ));

    // The statistics year (issue 20): closed, signed and approved a day later, so
    // the published 2025 statistics count inspections in both categories.
    let year = crate::demo::public_profile::DEMO_STATS_YEAR;
    for (k, (&id, (target, is_waste, (m, d), text, signer))) in ids::STATS_YEAR
        .iter()
        .zip(STATS_YEAR_INSPECTIONS)
        .enumerate()
    {
        let full = &full;
        let supervisor = &supervisor;
        let li = &li;
        seeds.push((
            id,
            Box::new(move || {
                use chrono::TimeZone;
                let opened_at = chrono::Utc
                    .with_ymd_and_hms(year, m, d, 2, 0, 0)
                    .single()
                    .ok_or_else(|| AppError::internal("demo 2025 date"))?;
                let n = 121 + 10 * k as u64;
                let fid = format!("demo-f-{n:04}");
                let item = if is_waste { waste } else { permit };
                let mut s = full(id, target, item, opened_at, n, &[(fid.as_str(), text)])?;
                s.rights_notice(li, signer)?;
                s.close(li)?;
                s.review(
                    supervisor,
                    1440,
                    ReviewOutcome::Approved,
                    &[(None, "记录完整，同意。")],
                )?;
                Ok(s)
            }),
        ));
    }

    for (id, build) in seeds {
        if state.storage.doc(id).await?.is_some() {
            continue;
        }
        let seed = build()?;
        let id = seed.store(state).await?;
        tracing::info!(inspection = %id, "demo desk inspection seeded");
        summary.created.push(id);
    }
    Ok(summary)
}

/// One completed double-random draw of the demo agency's first spot-check item, so
/// the public portal has draw results to publish (R-POST-4, R-RAND-3). Skipped when
/// the agency already has a draw.
pub async fn load_draw(state: &AppState) -> Result<Option<String>, AppError> {
    let roster = demo_roster()?;
    let agency_id = roster.agency.id.clone();
    if !state.storage.draws(Some(&agency_id)).await?.is_empty() {
        return Ok(None);
    }
    let user = state
        .storage
        .user_by_login("supervisor")
        .await?
        .ok_or_else(|| AppError::internal("demo supervisor missing"))?;
    let Some(item) = demo_items().into_iter().next() else {
        return Ok(None);
    };
    let draw = crate::services::draws::create_draw(
        state,
        &user,
        &crate::services::draws::CreateDrawRequest {
            item_code: item.code,
            due_date: None,
        },
    )
    .await?;
    let done = crate::services::draws::run_draw(
        state,
        &user,
        &draw.id,
        Some("demo-public-entropy".into()),
    )
    .await?;
    Ok(Some(done.id))
}

//! Demo drafts and decisions of the legal workflow (`serve --demo`): one draft in
//! every state and decisions the public portal publishes, including one about a
//! natural person whose name, ID number and confidential notes must never appear
//! on a public page (R-POST-2); and last year's decisions behind the demo's
//! published statistics ([`load_stats_year`]).

use chrono::Duration;
use liuhen_domain::legal::{
    Catalogue, CheckItem, CheckResult, DecisionKind, DraftContent, EvidenceLink, Opinion, PartyKind,
};

use crate::error::AppError;
use crate::services::legal::workflow::{self, DecideInput, ReviewInput};
use crate::state::AppState;
use crate::storage::User;
use crate::storage::legal::{DraftStatus, LegalWrite, VersionRecord};

/// Document number of the demo penalty on a company (decided, major, reviewed).
pub const DEMO_DECISION_COMPANY_DOC: &str = "清环罚〔2026〕15号";
/// Document number of the demo penalty on a natural person (decided, not major).
pub const DEMO_DECISION_PERSON_DOC: &str = "清环罚〔2026〕16号";
/// Document number of the demo inspection result (decided, not major).
pub const DEMO_DECISION_INSPECTION_DOC: &str = "清环检〔2026〕3号";
/// The natural person of the demo decision (public pages show 刘某).
pub const DEMO_PERSON_NAME: &str = "刘建华";
/// The person's ID number (never public).
pub const DEMO_PERSON_ID_NUMBER: &str = "441802198505120317";
/// Confidential notes of the company decision (trade secret; never public).
pub const DEMO_CONFIDENTIAL_COMPANY: &str = "保密：鑫达釉料配方 XD-7731 及供应商报价单";
/// Confidential notes of the person decision (private; never public).
pub const DEMO_CONFIDENTIAL_PERSON: &str =
    "保密：当事人家庭住址清城区凤城街道某小区 8 栋 1203 室，联系电话 13902221234";

/// Every value of the demo data that must never leave the server through a public
/// page, feed or export (R-POST-2): scan public responses for each.
pub const DEMO_PRIVATE_VALUES: &[&str] = &[
    DEMO_PERSON_NAME,
    DEMO_PERSON_ID_NUMBER,
    DEMO_CONFIDENTIAL_COMPANY,
    DEMO_CONFIDENTIAL_PERSON,
    "XD-7731",
    "13902221234",
];

/// Titles of the demo drafts, one per workflow state (the loader skips drafts whose
/// title already exists, so loading twice adds nothing).
pub mod titles {
    /// Decided, major (large fine), reviewed twice.
    pub const COMPANY_PENALTY: &str = "关于清远市鑫达陶瓷有限公司超标排放大气污染物的行政处罚决定";
    /// Decided, not major, about a natural person.
    pub const PERSON_PENALTY: &str = "关于刘建华露天焚烧废弃物的行政处罚决定";
    /// Decided inspection result.
    pub const INSPECTION_RESULT: &str = "英德市华盈再生资源有限公司危险废物规范化管理检查结果";
    /// In review, received today.
    pub const IN_REVIEW: &str = "关于责令清远市鑫达陶瓷有限公司停产整治的决定";
    /// In review, past its deadline.
    pub const OVERDUE: &str = "关于吊销某砖厂排污许可证的决定（逾期示例）";
    /// Returned with problems.
    pub const RETURNED: &str = "关于对某电镀厂查封扣押设备的决定";
    /// Disputed, in coordination.
    pub const DISPUTED: &str = "关于某再生资源公司移送公安机关的决定";
    /// Being drafted.
    pub const DRAFTING: &str = "关于某石场未批先建的行政处罚决定（起草中）";
}

fn dx(e: impl std::fmt::Display) -> AppError {
    AppError::internal(format!("demo legal data: {e}"))
}

async fn user(st: &AppState, login: &str) -> Result<User, AppError> {
    st.storage
        .user_by_login(login)
        .await?
        .ok_or_else(|| dx(format!("demo account {login} missing")))
}

fn base(kind: DecisionKind, title: &str) -> DraftContent {
    let mut c = DraftContent::empty(kind);
    c.title = title.into();
    c.category = "生态环境".into();
    c.party_name = "清远市鑫达陶瓷有限公司".into();
    c.party_code = "91441802MA53XKP2R7".into();
    c.legal_basis = "《中华人民共和国大气污染防治法》第九十九条第二项".into();
    c.facts = "2026 年 11 月现场检查发现，该公司窑炉废气排放口颗粒物浓度超过排放标准。".into();
    c.discretion = "《广东省生态环境行政处罚自由裁量权规定》：超标倍数 0.5 倍以下，一般情节".into();
    c.conclusion = "责令改正违法行为，处以罚款。".into();
    c
}

fn all_pass() -> Vec<CheckResult> {
    CheckItem::ALL
        .into_iter()
        .map(|item| CheckResult {
            item,
            passed: true,
            note: String::new(),
        })
        .collect()
}

fn with_failed(item: CheckItem, note: &str) -> Vec<CheckResult> {
    let mut v = all_pass();
    if let Some(c) = v.iter_mut().find(|c| c.item == item) {
        c.passed = false;
        c.note = note.into();
    }
    v
}

/// The demo catalogue of major decisions (version 1) for the demo agency, always
/// loaded with the demo accounts (R-LEGAL-2, R-PRE-4).
pub async fn load_catalogue(st: &AppState, agency_id: &str) -> Result<(), AppError> {
    if st.storage.catalogue(agency_id, None).await?.is_some() {
        return Ok(());
    }
    let admin = user(st, "admin").await?;
    let mut c = Catalogue::default_for_agency();
    c.other_items = vec!["涉及新污染物、跨行政区域污染等重大环境风险的处理决定".into()];
    workflow::put_catalogue(st, &admin, &c, "首次发布重大执法决定法制审核目录清单")
        .await
        .map_err(dx)?;
    Ok(())
}

/// One draft per workflow state and three decisions (`serve --demo` with the sample
/// inspections). Idempotent: drafts whose title exists are skipped.
pub async fn load(st: &AppState, agency_id: &str) -> Result<Vec<String>, AppError> {
    load_catalogue(st, agency_id).await?;
    let sup = user(st, "supervisor").await?;
    let legal = user(st, "legal").await?;
    let admin = user(st, "admin").await?;
    let existing: Vec<String> = st
        .storage
        .legal_drafts(agency_id, &[])
        .await?
        .into_iter()
        .map(|d| d.title)
        .collect();
    let mut created = vec![];
    let today = liuhen_domain::time::local_date(st.clock.now());
    let e = |r| dx(r);

    // A major company penalty: returned once, amended, approved, decided.
    if !existing.iter().any(|t| t == titles::COMPANY_PENALTY) {
        let mut c = base(DecisionKind::Penalty, titles::COMPANY_PENALTY);
        c.fine_fen = Some(8_000_000);
        c.conclusion = "责令立即改正违法行为，处罚款人民币捌万元整。".into();
        c.confidential = DEMO_CONFIDENTIAL_COMPANY.into();
        let insp = crate::demo::desk_ids::VIOLATIONS;
        if st.storage.doc(insp).await?.is_some() {
            c.inspection_ids = vec![insp.into()];
            if let Some(b) = st.storage.blobs_of(insp).await?.first() {
                c.evidence = vec![EvidenceLink {
                    inspection_id: insp.into(),
                    sha256: b.sha256.clone(),
                    note: "排放口现场照片".into(),
                }];
            }
        }
        let d = workflow::create_draft(st, &sup, &c).await.map_err(e)?;
        workflow::submit(st, &sup, &d.id, "初次提交", None)
            .await
            .map_err(e)?;
        let problems = ReviewInput {
            version: 1,
            checks: with_failed(CheckItem::FactsEvidence, "缺少监测报告编号及采样记录"),
            opinion: Opinion::Problems,
            opinion_text: "事实认定缺少监测报告支撑，请补充后重新提交。".into(),
        };
        workflow::review(st, &legal, &d.id, &problems, None)
            .await
            .map_err(e)?;
        let (rec, _) = workflow::load(st, &sup, &d.id).await.map_err(e)?;
        let mut amended = c.clone();
        amended.facts = format!("{}（监测报告编号 QYJC-2026-1108，附采样记录）", c.facts);
        workflow::edit_draft(st, &sup, &d.id, &rec.heads, &amended)
            .await
            .map_err(e)?;
        workflow::submit(st, &sup, &d.id, "已补充监测报告", None)
            .await
            .map_err(e)?;
        let ok = ReviewInput {
            version: 2,
            checks: all_pass(),
            opinion: Opinion::Approve,
            opinion_text: "同意。".into(),
        };
        workflow::review(st, &legal, &d.id, &ok, None)
            .await
            .map_err(e)?;
        workflow::decide(
            st,
            &sup,
            &d.id,
            &DecideInput {
                doc_number: DEMO_DECISION_COMPANY_DOC.into(),
                decided_on: today,
            },
            None,
        )
        .await
        .map_err(e)?;
        created.push(d.id);
    }

    // A small penalty on a natural person: not major, decided without review.
    if !existing.iter().any(|t| t == titles::PERSON_PENALTY) {
        let mut c = base(DecisionKind::Penalty, titles::PERSON_PENALTY);
        c.party_kind = PartyKind::Person;
        c.party_name = DEMO_PERSON_NAME.into();
        c.party_code = DEMO_PERSON_ID_NUMBER.into();
        c.legal_basis = "《中华人民共和国大气污染防治法》第一百一十九条第二款".into();
        c.facts = format!("{DEMO_PERSON_NAME}在清城区某村露天焚烧废旧轮胎。");
        c.conclusion = format!("对{DEMO_PERSON_NAME}处以罚款人民币贰仟元整。");
        c.fine_fen = Some(200_000);
        c.confidential = DEMO_CONFIDENTIAL_PERSON.into();
        let d = workflow::create_draft(st, &sup, &c).await.map_err(e)?;
        workflow::decide(
            st,
            &sup,
            &d.id,
            &DecideInput {
                doc_number: DEMO_DECISION_PERSON_DOC.into(),
                decided_on: today,
            },
            None,
        )
        .await
        .map_err(e)?;
        created.push(d.id);
    }

    // An inspection result: not major.
    if !existing.iter().any(|t| t == titles::INSPECTION_RESULT) {
        let mut c = base(DecisionKind::Inspection, titles::INSPECTION_RESULT);
        c.category = "固体废物".into();
        c.party_name = "英德市华盈再生资源有限公司".into();
        c.party_code = "91441881MA4WB8Y6JA".into();
        c.legal_basis = "《中华人民共和国固体废物污染环境防治法》".into();
        c.facts = "危险废物贮存场所标识、台账齐全。".into();
        c.discretion = String::new();
        c.conclusion = "检查未发现违法行为。".into();
        let d = workflow::create_draft(st, &sup, &c).await.map_err(e)?;
        workflow::decide(
            st,
            &admin,
            &d.id,
            &DecideInput {
                doc_number: DEMO_DECISION_INSPECTION_DOC.into(),
                decided_on: today,
            },
            None,
        )
        .await
        .map_err(e)?;
        created.push(d.id);
    }

    // In review since today (suspension order: major).
    if !existing.iter().any(|t| t == titles::IN_REVIEW) {
        let mut c = base(DecisionKind::Penalty, titles::IN_REVIEW);
        c.suspension = true;
        c.conclusion = "责令停产整治，期限三个月。".into();
        let d = workflow::create_draft(st, &sup, &c).await.map_err(e)?;
        workflow::submit(st, &sup, &d.id, "", None)
            .await
            .map_err(e)?;
        created.push(d.id);
    }

    // In review and past its deadline: received 8 working days ago. The submission
    // is written with that receipt date directly (demo history; the workflow always
    // uses the server's clock).
    if !existing.iter().any(|t| t == titles::OVERDUE) {
        let mut c = base(DecisionKind::Penalty, titles::OVERDUE);
        c.revocation = true;
        c.party_name = "清远市某砖厂".into();
        c.party_code = String::new();
        c.conclusion = "吊销排污许可证。".into();
        let d = workflow::create_draft(st, &sup, &c).await.map_err(e)?;
        let cal = st.calendar();
        let mut received = today;
        let mut back = 0;
        while back < 8 {
            received -= Duration::days(1);
            if cal.is_working_day(received).unwrap_or(true) {
                back += 1;
            }
        }
        let (mut rec, mut doc) = workflow::load(st, &sup, &d.id).await.map_err(e)?;
        let cat = st
            .storage
            .catalogue(agency_id, None)
            .await?
            .ok_or_else(|| dx("demo catalogue missing"))?;
        let content = doc.read().map_err(dx)?;
        let triggers = cat.catalogue.classify(&content);
        let at = st.clock.now() - Duration::days((today - received).num_days());
        let v = VersionRecord {
            draft_id: d.id.clone(),
            version: 1,
            submitted_by: sup.id.clone(),
            submitted_at: at,
            received_on: received,
            heads: doc.heads_hex(),
            content,
            catalogue_version: cat.version,
            triggers: triggers.clone(),
            note: "演示：逾期未审结的草案".into(),
            review_started_by: None,
            review_started_at: None,
        };
        rec.status = DraftStatus::InReview;
        rec.version = 1;
        rec.received_on = Some(received);
        rec.catalogue_version = Some(cat.version);
        rec.triggers = triggers;
        let ev = crate::storage::legal::LegalEvent {
            seq: 0,
            agency_id: agency_id.into(),
            draft_id: Some(d.id.clone()),
            kind: "submitted".into(),
            version: Some(1),
            by_user: sup.id.clone(),
            at,
            detail: serde_json::json!({ "note": "演示：逾期未审结的草案", "catalogue_version": cat.version }),
        };
        st.storage
            .apply_legal(&LegalWrite {
                draft: Some(rec),
                version: Some(v),
                events: vec![ev],
                ..LegalWrite::default()
            })
            .await?;
        created.push(d.id);
    }

    // Returned with problems (major coercion).
    if !existing.iter().any(|t| t == titles::RETURNED) {
        let mut c = base(DecisionKind::Coercion, titles::RETURNED);
        c.major_coercion = true;
        c.fine_fen = None;
        c.discretion = String::new();
        c.party_name = "清远市某电镀厂".into();
        c.party_code = String::new();
        c.conclusion = "查封扣押电镀生产线设备 3 台套。".into();
        let d = workflow::create_draft(st, &sup, &c).await.map_err(e)?;
        workflow::submit(st, &sup, &d.id, "", None)
            .await
            .map_err(e)?;
        let problems = ReviewInput {
            version: 1,
            checks: with_failed(CheckItem::Procedure, "未履行事先告知程序"),
            opinion: Opinion::Problems,
            opinion_text: "程序存在问题：查封扣押前未告知当事人陈述申辩权利。".into(),
        };
        workflow::review(st, &legal, &d.id, &problems, None)
            .await
            .map_err(e)?;
        created.push(d.id);
    }

    // Disputed (transfer to judicial organs).
    if !existing.iter().any(|t| t == titles::DISPUTED) {
        let mut c = base(DecisionKind::Other, titles::DISPUTED);
        c.crime_suspected = true;
        c.fine_fen = None;
        c.discretion = String::new();
        c.party_name = "清远市某再生资源有限公司".into();
        c.party_code = String::new();
        c.conclusion = "涉嫌污染环境罪，移送公安机关处理。".into();
        let d = workflow::create_draft(st, &sup, &c).await.map_err(e)?;
        workflow::submit(st, &sup, &d.id, "", None)
            .await
            .map_err(e)?;
        let problems = ReviewInput {
            version: 1,
            checks: with_failed(CheckItem::CrimeTransfer, "尚无鉴定意见证明达到入罪标准"),
            opinion: Opinion::Problems,
            opinion_text: "涉嫌犯罪的证据不足，建议先行委托鉴定。".into(),
        };
        workflow::review(st, &legal, &d.id, &problems, None)
            .await
            .map_err(e)?;
        workflow::dispute(
            st,
            &sup,
            &d.id,
            "现场已查获危险废物 3 吨以上，达到《关于办理环境污染刑事案件适用法律若干问题的解释》标准。",
        )
        .await
        .map_err(e)?;
        created.push(d.id);
    }

    // Being drafted.
    if !existing.iter().any(|t| t == titles::DRAFTING) {
        let mut c = base(DecisionKind::Penalty, titles::DRAFTING);
        c.party_name = "清远市某石场".into();
        c.party_code = String::new();
        c.fine_fen = Some(3_000_000);
        let d = workflow::create_draft(st, &sup, &c).await.map_err(e)?;
        created.push(d.id);
    }
    // Last year's decisions, for the published statistics (R-POST-5).
    load_stats_year(st, agency_id).await?;
    Ok(created)
}

/// One decision of the demo statistics year: (document number, kind, category,
/// party, fine in fen, decided month/day, reviewed).
pub type StatsYearDecision = (
    &'static str,
    DecisionKind,
    &'static str,
    &'static str,
    Option<i64>,
    (u32, u32),
    bool,
);

/// The demo's decisions of [`DEMO_STATS_YEAR`](crate::demo::public_profile::DEMO_STATS_YEAR)
/// (2025), so its published statistics (R-POST-5) have real figures in every
/// column: each kind of decision, two enforcement categories, fines, and legal
/// reviews.
pub const STATS_YEAR_DECISIONS: &[StatsYearDecision] = &[
    (
        "清环罚〔2025〕8号",
        DecisionKind::Penalty,
        "生态环境",
        "清远市鑫达陶瓷有限公司",
        Some(6_000_000),
        (3, 12),
        true,
    ),
    (
        "清环罚〔2025〕21号",
        DecisionKind::Penalty,
        "固体废物",
        "清远市恒通五金制品有限公司",
        Some(3_000_000),
        (6, 18),
        false,
    ),
    (
        "清环罚〔2025〕40号",
        DecisionKind::Penalty,
        "生态环境",
        "英德市宏达水泥有限公司",
        Some(12_000_000),
        (9, 23),
        true,
    ),
    (
        "清环许〔2025〕5号",
        DecisionKind::Licensing,
        "生态环境",
        "清远市清新区绿源污水处理有限公司",
        None,
        (4, 8),
        false,
    ),
    (
        "清环许〔2025〕17号",
        DecisionKind::Licensing,
        "固体废物",
        "清远市华美再生资源有限公司",
        None,
        (8, 14),
        false,
    ),
    (
        "清环强〔2025〕2号",
        DecisionKind::Coercion,
        "固体废物",
        "清远市某电镀厂",
        None,
        (5, 20),
        true,
    ),
    (
        "清环检〔2025〕11号",
        DecisionKind::Inspection,
        "生态环境",
        "清远市嘉禾食品有限公司",
        None,
        (7, 9),
        false,
    ),
    (
        "清环检〔2025〕19号",
        DecisionKind::Inspection,
        "固体废物",
        "英德市华盈再生资源有限公司",
        None,
        (11, 4),
        true,
    ),
    (
        "清环决〔2025〕3号",
        DecisionKind::Other,
        "生态环境",
        "清远市佛冈县某石材厂",
        None,
        (10, 16),
        false,
    ),
];

/// Stores [`STATS_YEAR_DECISIONS`] as demo history: each a real draft document,
/// its submitted version, a passed legal review where marked, and the decision,
/// dated in 2025 (the workflow always uses the clock, so this writes storage
/// directly). Idempotent: a document number already decided is skipped. Returns
/// the document numbers stored now.
pub async fn load_stats_year(st: &AppState, agency_id: &str) -> Result<Vec<String>, AppError> {
    use chrono::{NaiveDate, NaiveTime};
    use liuhen_domain::draft_doc::{DraftDoc, DraftMeta};

    let Some(cat) = st.storage.catalogue(agency_id, None).await? else {
        return Ok(vec![]);
    };
    let sup = user(st, "supervisor").await?;
    let legal = user(st, "legal").await?;
    let admin = user(st, "admin").await?;
    let existing: Vec<String> = st
        .storage
        .publication_queue(agency_id)
        .await?
        .into_iter()
        .map(|e| e.source.doc_number)
        .collect();
    let year = crate::demo::public_profile::DEMO_STATS_YEAR;
    let mut stored = vec![];
    for (doc, kind, category, party, fine, (m, d), reviewed) in STATS_YEAR_DECISIONS {
        if existing.iter().any(|e| e == doc) {
            continue;
        }
        let decided_on = NaiveDate::from_ymd_opt(year, *m, *d).ok_or_else(|| dx("demo date"))?;
        // 10:00 Beijing, some days before the decision.
        let at_day = |n: i64| {
            liuhen_domain::time::beijing_instant(
                decided_on - Duration::days(n),
                NaiveTime::from_hms_opt(10, 0, 0).unwrap_or_default(),
            )
        };
        let mut c = DraftContent::empty(*kind);
        c.title = format!("关于{party}的{}决定", kind.label());
        c.category = (*category).into();
        c.party_name = (*party).into();
        c.party_code = if *party == "清远市鑫达陶瓷有限公司" {
            "91441802MA53XKP2R7".into()
        } else {
            String::new()
        };
        c.legal_basis = match *category {
            "固体废物" => "《中华人民共和国固体废物污染环境防治法》".into(),
            _ => "《中华人民共和国大气污染防治法》".into(),
        };
        c.facts = format!("{year} 年现场检查记录及监测报告。");
        c.fine_fen = *fine;
        if fine.is_some() {
            c.discretion = "《广东省生态环境行政处罚自由裁量权规定》一般情节".into();
        }
        c.conclusion = match kind {
            DecisionKind::Penalty => "责令改正违法行为，处以罚款。".into(),
            DecisionKind::Licensing => "准予行政许可。".into(),
            DecisionKind::Coercion => "查封违法排放污染物的设施、设备。".into(),
            DecisionKind::Inspection => "检查未发现违法行为。".into(),
            DecisionKind::Other => "责令限期整改。".into(),
        };
        c.major_coercion = *kind == DecisionKind::Coercion;
        let draft_id = uuid::Uuid::now_v7().to_string();
        let created_at = at_day(10);
        let meta = DraftMeta {
            id: draft_id.clone(),
            agency_id: agency_id.into(),
            created_by: sup.id.clone(),
            created_at,
        };
        let mut docd = DraftDoc::create(crate::services::actors::user_actor(&sup.id), &meta, &c)
            .map_err(dx)?;
        let triggers = cat.catalogue.classify(&c);
        let submitted_at = at_day(8);
        let version = VersionRecord {
            draft_id: draft_id.clone(),
            version: 1,
            submitted_by: sup.id.clone(),
            submitted_at,
            received_on: liuhen_domain::time::local_date(submitted_at),
            heads: docd.heads_hex(),
            content: c.clone(),
            catalogue_version: cat.version,
            triggers: triggers.clone(),
            note: "演示：往年决定".into(),
            review_started_by: None,
            review_started_at: None,
        };
        let review = reviewed.then(|| crate::storage::legal::ReviewRecord {
            draft_id: draft_id.clone(),
            version: 1,
            reviewer: legal.id.clone(),
            opinion: Opinion::Approve,
            opinion_text: String::new(),
            checks: all_pass(),
            at: at_day(5),
        });
        let decided_at = at_day(0);
        let draft = crate::storage::legal::DraftRecord {
            id: draft_id.clone(),
            agency_id: agency_id.into(),
            created_by: sup.id.clone(),
            created_at,
            updated_at: decided_at,
            status: DraftStatus::Decided,
            title: c.title.clone(),
            kind: *kind,
            catalogue_version: Some(cat.version),
            triggers: triggers.clone(),
            version: 1,
            received_on: Some(version.received_on),
            extended: false,
            heads: docd.heads_hex(),
            bytes: docd.save(),
        };
        let decision = crate::storage::legal::DecisionRecord {
            id: uuid::Uuid::now_v7().to_string(),
            agency_id: agency_id.into(),
            draft_id: draft_id.clone(),
            kind: *kind,
            title: c.title.clone(),
            doc_number: (*doc).into(),
            decided_on,
            decided_at,
            decided_by: admin.id.clone(),
            category: c.category.clone(),
            party_kind: PartyKind::Company,
            party_name: c.party_name.clone(),
            party_code: c.party_code.clone(),
            legal_basis: c.legal_basis.clone(),
            conclusion: c.conclusion.clone(),
            fine_fen: c.fine_fen,
            major: !triggers.is_empty(),
            catalogue_version: Some(cat.version),
            reviewed_version: reviewed.then_some(1),
            inspection_ids: vec![],
            confidential: String::new(),
        };
        st.storage
            .apply_legal(&LegalWrite {
                draft: Some(draft),
                version: Some(version),
                review,
                decision: Some(decision),
                ..LegalWrite::default()
            })
            .await?;
        stored.push((*doc).to_string());
    }
    Ok(stored)
}

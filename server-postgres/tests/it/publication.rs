//! What only PostgreSQL has to show of the legal workflow, publication, public
//! profile and review queue (migration 0002, helper pg-b): the append-only tables
//! refuse changes in raw SQL, and two server instances (two pools on one
//! database) writing at once keep catalogue numbers and queue counts exact.

use chrono::{DateTime, TimeZone, Utc};
use tokio_postgres::NoTls;

use liuhen_domain::legal::{Catalogue, DecisionKind, PartyKind};
use liuhen_server_postgres::PgStorage;
use liuhen_server_store::legal::{
    DecisionRecord, DraftRecord, DraftStatus, LegalEvent, LegalStorage, LegalWrite,
};
use liuhen_server_store::public_profile::{
    Actor, AppealCounts, AppealKind, DocumentKind, PublicDocument, PublicProfileStorage,
    StatsPublication,
};
use liuhen_server_store::publicity::{
    PublicationStep, PublicityStorage, WithdrawReason, WithdrawalRecord,
};
use liuhen_server_store::queue::{QueueStorage, QueueSummary, ReviewState};
use liuhen_server_store::{DocRecord, Role, Storage, User};

use super::fresh_db;

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, hour, 0, 0).unwrap()
}

/// Two storages on one fresh database: two server instances.
async fn two_instances() -> (PgStorage, PgStorage, String) {
    let db = fresh_db().await;
    let a = PgStorage::connect(&db.url).await.unwrap();
    let b = PgStorage::connect(&db.url).await.unwrap();
    (a, b, db.url)
}

async fn user(s: &dyn Storage, id: &str) {
    s.create_user(&User {
        id: id.into(),
        agency_id: "qy".into(),
        login: id.into(),
        name: id.into(),
        role: Role::Admin,
        officer_id: None,
        password_hash: "$argon2id$x".into(),
        disabled: false,
    })
    .await
    .unwrap();
}

/// A published and withdrawn decision, a withdrawn public document, a
/// publication of statistics, appeals, a catalogue and a calendar import: then
/// every UPDATE and DELETE of their append-only rows is refused by the database
/// itself (R-REC-5, R-POST-1, R-POST-3, R-POST-5, R-LEGAL-2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn append_only_tables_refuse_update_and_delete_in_raw_sql() {
    let (s, _, url) = two_instances().await;
    for u in ["u-f", "u-r", "u-a"] {
        user(&s, u).await;
    }
    let draft = DraftRecord {
        id: "dr1".into(),
        agency_id: "qy".into(),
        created_by: "u-f".into(),
        created_at: at(1),
        updated_at: at(1),
        status: DraftStatus::Decided,
        title: "决定".into(),
        kind: DecisionKind::Penalty,
        catalogue_version: None,
        triggers: vec![],
        version: 0,
        received_on: None,
        extended: false,
        heads: vec![],
        bytes: vec![],
    };
    let decision = DecisionRecord {
        id: "dec1".into(),
        agency_id: "qy".into(),
        draft_id: "dr1".into(),
        kind: DecisionKind::Penalty,
        title: "决定".into(),
        doc_number: "1号".into(),
        decided_on: at(1).date_naive(),
        decided_at: at(1),
        decided_by: "u-f".into(),
        category: "生态环境".into(),
        party_kind: PartyKind::Company,
        party_name: "某公司".into(),
        party_code: "91X".into(),
        legal_basis: "依据".into(),
        conclusion: "结论".into(),
        fine_fen: None,
        major: false,
        catalogue_version: None,
        reviewed_version: None,
        inspection_ids: vec![],
        confidential: String::new(),
    };
    s.apply_legal(&LegalWrite {
        draft: Some(draft),
        decision: Some(decision),
        events: vec![LegalEvent {
            seq: 0,
            agency_id: "qy".into(),
            draft_id: Some("dr1".into()),
            kind: "decided".into(),
            version: None,
            by_user: "u-f".into(),
            at: at(1),
            detail: serde_json::json!({}),
        }],
        ..Default::default()
    })
    .await
    .unwrap();
    let steps = [
        PublicationStep::File {
            decision_id: "dec1".into(),
            public_body: "局".into(),
            public_target: "某公司".into(),
            public_code: "91X".into(),
            by: "u-f".into(),
            at: at(2),
        },
        PublicationStep::Review {
            decision_id: "dec1".into(),
            by: "u-r".into(),
            at: at(3),
        },
        PublicationStep::Approve {
            decision_id: "dec1".into(),
            by: "u-a".into(),
            at: at(4),
            published_on: at(4).date_naive(),
            due_on: None,
            late: None,
            late_working_days: None,
        },
        PublicationStep::Withdraw(WithdrawalRecord {
            decision_id: "dec1".into(),
            agency_id: "qy".into(),
            reason_kind: WithdrawReason::Redo,
            reason: "责令重新作出".into(),
            by_user: "u-a".into(),
            at: at(5),
            withdrawn_on: at(5).date_naive(),
        }),
    ];
    for step in &steps {
        s.publication_step(None, step).await.unwrap();
    }
    s.add_catalogue("qy", &Catalogue::default_for_agency(), "初版", "u-a", at(6))
        .await
        .unwrap();
    let actor = Actor {
        user_id: "u-a".into(),
        name: "管理员".into(),
        at: at(7),
    };
    s.add_public_document(
        &PublicDocument {
            id: "pd1".into(),
            agency_id: "qy".into(),
            kind: DocumentKind::ServiceGuide,
            title: "服务指南".into(),
            file_name: "guide.pdf".into(),
            content_type: "application/pdf".into(),
            sha256: "ab".repeat(32),
            size: 3,
            uploaded_by: "u-a".into(),
            uploaded_at: at(7),
            deleted_at: None,
        },
        "管理员",
        "上传",
    )
    .await
    .unwrap();
    s.withdraw_public_document("qy", "pd1", &actor)
        .await
        .unwrap();
    s.publish_stats(&StatsPublication {
        agency_id: "qy".into(),
        year: 2025,
        published_by: "u-a".into(),
        by_name: "管理员".into(),
        published_at: at(8),
    })
    .await
    .unwrap();
    s.put_appeal_stats(
        "qy",
        2025,
        AppealKind::Reconsideration,
        &AppealCounts {
            total: 1,
            ..Default::default()
        },
        &actor,
        "复议 1",
    )
    .await
    .unwrap();

    let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(connection);
    for sql in [
        "UPDATE legal_events SET kind = 'x'",
        "DELETE FROM legal_events",
        "UPDATE legal_catalogues SET note = 'x'",
        "DELETE FROM legal_catalogues",
        "UPDATE publications SET public_target = 'x'",
        "DELETE FROM publications",
        "UPDATE publication_withdrawals SET reason = 'x'",
        "DELETE FROM publication_withdrawals",
        "UPDATE publication_events SET by_user = 'u-f'",
        "DELETE FROM publication_events",
        "UPDATE public_documents SET title = 'x'",
        "UPDATE public_documents SET deleted_at = now()",
        "DELETE FROM public_documents",
        "UPDATE stats_publications SET published_at = '2026-01-01T00:00:00Z'",
        "DELETE FROM stats_publications",
        "UPDATE public_profile_events SET detail = 'x'",
        "DELETE FROM public_profile_events",
    ] {
        let r = client.batch_execute(sql).await;
        assert!(r.is_err(), "{sql} went through");
    }
    // What may change still can: current appeal numbers are replaced.
    client
        .batch_execute("UPDATE appeal_stats SET total = 2")
        .await
        .unwrap();
}

/// Two instances save catalogue versions at once: every number is taken once,
/// 1 to 20 without a gap (R-LEGAL-2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_number_catalogue_versions_without_gaps() {
    let (a, b, _) = two_instances().await;
    user(&a, "u-a").await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let s = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            s.add_catalogue(
                "qy",
                &Catalogue::default_for_agency(),
                &format!("第 {i} 次"),
                "u-a",
                at(1),
            )
            .await
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        numbers.push(t.await.unwrap().unwrap());
    }
    numbers.sort();
    assert_eq!(numbers, (1..=20).collect::<Vec<u32>>());
    assert_eq!(a.catalogue_versions("qy").await.unwrap().len(), 20);
}

/// Two instances rewrite the summaries of the same documents at once, moving them
/// between states: every write is done (no deadlock between the count rows), and
/// the kept counts equal the summaries' states.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_keep_queue_counts_exact() {
    let (a, b, url) = two_instances().await;
    const DOCS: usize = 6;
    let mut docs = Vec::new();
    for i in 0..DOCS {
        let d = DocRecord {
            id: format!("i{i}"),
            agency_id: "qy".into(),
            officer_ids: vec!["o1".into(), "o2".into()],
            task_id: None,
            target_name: "某公司".into(),
            status: "closed".into(),
            heads: vec!["h1".into()],
            bytes: vec![1],
            updated_at: at(1),
        };
        a.put_doc(&d, None).await.unwrap();
        docs.push(d);
    }
    let states = [
        ReviewState::Pending,
        ReviewState::Returned,
        ReviewState::Amended,
        ReviewState::Approved,
    ];
    let mut tasks = Vec::new();
    for round in 0..8 {
        for (i, d) in docs.iter().enumerate() {
            let s = if (round + i) % 2 == 0 {
                a.clone()
            } else {
                b.clone()
            };
            let summary = QueueSummary {
                doc_id: d.id.clone(),
                agency_id: d.agency_id.clone(),
                state: states[(round * 3 + i) % states.len()],
                rank: 1,
                rank_late: 1,
                rank_due_at: None,
                opened_at: at(1),
                target_id: "t1".into(),
                target_name: d.target_name.clone(),
                target_credit_code: None,
                officer_ids: d.officer_ids.clone(),
                officer_names: vec!["甲".into(), "乙".into()],
                violations: vec![],
                evidence_total: 0,
                evidence_missing: 0,
                oldest_missing_at: None,
                arrived_late: false,
                updated_at: at(1),
                doc_heads: d.heads.clone(),
            };
            tasks.push(tokio::spawn(
                async move { s.put_queue_summary(&summary).await },
            ));
        }
    }
    for t in tasks {
        assert!(t.await.unwrap().unwrap());
    }
    let mut kept = a.queue_counts("qy").await.unwrap();
    kept.sort();
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(connection);
    let rows = client
        .query(
            "SELECT state, COUNT(*) FROM queue_summaries WHERE agency_id = 'qy' GROUP BY state",
            &[],
        )
        .await
        .unwrap();
    let mut actual: Vec<(ReviewState, u64)> = rows
        .iter()
        .map(|r| {
            let state: String = r.get(0);
            let n: i64 = r.get(1);
            (ReviewState::parse(&state).unwrap(), n as u64)
        })
        .collect();
    actual.sort();
    assert_eq!(kept, actual);
    assert_eq!(kept.iter().map(|(_, n)| n).sum::<u64>(), DOCS as u64);
    // Each document's officers are listed once for the officer filter.
    let officers: i64 = client
        .query_one("SELECT COUNT(*) FROM queue_officers", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(officers, 2 * DOCS as i64);
}

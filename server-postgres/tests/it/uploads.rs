//! What only PostgreSQL has to show of tus upload state (migration 0003, issue 18
//! item 2): two server instances (two pools on one database) sharing one upload.
//! The lease is exclusive however claims and takes interleave across instances,
//! and racing advances from one offset have one winner across instances.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, TimeZone, Utc};

use liuhen_server_postgres::PgStorage;
use liuhen_server_store::testsuite_uploads::{upload_piece as piece, upload_record as record};
use liuhen_server_store::uploads::{Lease, UploadStorage};

use super::fresh_db;

fn at(s: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap() + chrono::Duration::seconds(s)
}

/// Two storages on one fresh database: two server instances.
async fn two_instances() -> (PgStorage, PgStorage) {
    let db = fresh_db().await;
    let a = PgStorage::connect(&db.url).await.unwrap();
    let b = PgStorage::connect(&db.url).await.unwrap();
    (a, b)
}

/// Sixteen requests on one upload, half through each instance, each claiming it,
/// waiting for the lease (re-claiming when superseded), then writing one piece and
/// releasing. Leases never lapse here (`until` is far ahead), so no two requests
/// may ever hold it at once: each checks that it is alone while it holds it, and
/// its advance from the offset it read must win. Fails when the lease check and
/// take are not serialized with the claims (without `FOR UPDATE` an older
/// claimant's check can pass just before a newer claim commits, and both hold).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_hold_one_upload_lease_at_once() {
    const WRITERS: u64 = 16;
    const STEP: u64 = 10;
    let (a, b) = two_instances().await;
    let id = "0193a7c2-0000-7000-8000-0000000000c1";
    a.create_upload(&record(id, WRITERS * STEP)).await.unwrap();
    let holding = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let s = if w % 2 == 0 { a.clone() } else { b.clone() };
        let holding = holding.clone();
        tasks.push(tokio::spawn(async move {
            let me = format!("w{w}");
            let mut supersessions = 0u32;
            'claim: loop {
                assert!(s.claim_upload(id, &me).await.unwrap());
                loop {
                    match s.take_upload_lease(id, &me, at(1), at(3600)).await.unwrap() {
                        Lease::Held => break 'claim,
                        Lease::Busy => tokio::task::yield_now().await,
                        Lease::Superseded => {
                            supersessions += 1;
                            tokio::task::yield_now().await;
                            continue 'claim;
                        }
                        Lease::Gone => panic!("{me}: the upload is gone"),
                    }
                }
            }
            // Not asserted here: a panic while holding would leave the others
            // waiting for the lease for ever. Counted, and asserted at the end.
            let others = holding.fetch_add(1, Ordering::SeqCst);
            let mut lost = 0;
            loop {
                let from = s.upload(id).await.unwrap().unwrap().offset;
                let p = piece(from, from + STEP, &me);
                if s.advance_upload(id, from, &[p], at(2)).await.unwrap() {
                    break;
                }
                lost += 1;
            }
            holding.fetch_sub(1, Ordering::SeqCst);
            s.release_upload_lease(id, &me).await.unwrap();
            (others, lost, supersessions)
        }));
    }
    let mut overlaps = 0;
    let mut lost = 0;
    let mut supersessions = 0;
    for t in tasks {
        let (o, l, s) = t.await.unwrap();
        overlaps += usize::from(o > 0);
        lost += l;
        supersessions += s;
    }
    assert_eq!(
        (overlaps, lost),
        (0, 0),
        "holders that found another holder, advances of a holder that lost \
         ({supersessions} supersessions)"
    );
    let u = b.upload(id).await.unwrap().unwrap();
    assert_eq!(u.offset, WRITERS * STEP);
    let pieces = a.upload_pieces(id).await.unwrap();
    assert_eq!(
        pieces.iter().map(|p| (p.start, p.end)).collect::<Vec<_>>(),
        (0..WRITERS)
            .map(|i| (i * STEP, (i + 1) * STEP))
            .collect::<Vec<_>>()
    );
    // Every writer wrote exactly one piece.
    let mut writers: Vec<&str> = pieces
        .iter()
        .map(|p| p.key.rsplit('-').next().unwrap_or(""))
        .collect();
    writers.sort_unstable();
    writers.dedup();
    assert_eq!(writers.len() as u64, WRITERS);
}

/// Sixteen advances from one offset, half through each instance, for several
/// steps: one winner per step, and the pieces recorded are the winner's only.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn advances_from_two_instances_have_one_winner() {
    let (a, b) = two_instances().await;
    let id = "0193a7c2-0000-7000-8000-0000000000c2";
    a.create_upload(&record(id, 500)).await.unwrap();
    for step in 0..5u64 {
        let from = step * 100;
        let tries = (0..16).map(|w| {
            let s = if w % 2 == 0 { a.clone() } else { b.clone() };
            tokio::spawn(async move {
                let p = piece(from, from + 100, &format!("w{w}"));
                let won = s.advance_upload(id, from, &[p], at(1)).await.unwrap();
                (w, won)
            })
        });
        let mut winners = Vec::new();
        for t in tries {
            let (w, won) = t.await.unwrap();
            if won {
                winners.push(w);
            }
        }
        assert_eq!(winners.len(), 1, "step {step}: winners {winners:?}");
        let pieces = b.upload_pieces(id).await.unwrap();
        assert_eq!(
            pieces.last().map(|p| p.key.clone()),
            Some(piece(from, from + 100, &format!("w{}", winners[0])).key),
            "step {step}: the recorded piece is the winner's"
        );
    }
    assert_eq!(a.upload(id).await.unwrap().unwrap().offset, 500);
}

/// A restart on one instance while the other advances: whatever order they take,
/// the pieces recorded afterwards cover exactly `0..offset` (the restart returns
/// every piece it forgot, and an advance never lands on a restarted upload at the
/// old offset).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restart_and_advance_from_two_instances_keep_pieces_and_offset_together() {
    let (a, b) = two_instances().await;
    for round in 0..20u64 {
        let id = format!("0193a7c2-0000-7000-8000-0000000{round:05}");
        a.create_upload(&record(&id, 300)).await.unwrap();
        assert!(
            a.advance_upload(&id, 0, &[piece(0, 100, "x")], at(1))
                .await
                .unwrap()
        );
        let (ra, rb) = (a.clone(), b.clone());
        let (ia, ib) = (id.clone(), id.clone());
        let restart = tokio::spawn(async move { ra.restart_upload(&ia, at(2)).await.unwrap() });
        let advance = tokio::spawn(async move {
            rb.advance_upload(&ib, 100, &[piece(100, 200, "y")], at(2))
                .await
                .unwrap()
        });
        let forgot = restart.await.unwrap();
        let advanced = advance.await.unwrap();
        let u = a.upload(&id).await.unwrap().unwrap();
        let pieces = b.upload_pieces(&id).await.unwrap();
        let covered: u64 = pieces.iter().map(|p| p.end - p.start).sum();
        assert_eq!(
            covered, u.offset,
            "round {round}: {pieces:?} vs offset {}",
            u.offset
        );
        assert_eq!(
            u.offset, 0,
            "round {round}: a restart leaves offset 0 whatever came first"
        );
        let mut expected = vec![piece(0, 100, "x")];
        if advanced {
            expected.push(piece(100, 200, "y"));
        }
        assert_eq!(forgot, expected, "round {round}");
    }
}

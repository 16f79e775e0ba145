//! Suite tests of [`UploadStorage`] (tus upload state shared by server instances,
//! issue 18 item 2): every backend must pass them.

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::Storage;
use crate::uploads::{Lease, UploadPiece, UploadRecord};

fn t(s: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap() + Duration::seconds(s)
}

/// An upload of `length` bytes at offset 0, created at 2026-12-07 09:00 UTC.
pub fn upload_record(id: &str, length: u64) -> UploadRecord {
    UploadRecord {
        id: id.into(),
        sha256: "ab".repeat(32),
        inspection_id: "0193a7c2-0000-7000-8000-000000000001".into(),
        filename: Some("现场照片.jpg".into()),
        media_type: Some("image/jpeg".into()),
        metadata: "sha256 YWI=".into(),
        length,
        offset: 0,
        user_id: "u1".into(),
        device_id: "d1".into(),
        created_at: t(0),
        updated_at: t(0),
        completed_at: None,
        verified: false,
    }
}

/// The piece `start..end` written by `writer`, under a key of the evidence store's
/// shape.
pub fn upload_piece(start: u64, end: u64, writer: &str) -> UploadPiece {
    UploadPiece {
        start,
        end,
        key: format!("uploads/x/{start:020}-{writer}"),
    }
}

/// An upload round-trips; the offset moves only from where it is, never past the
/// length, and the pieces recorded cover exactly `0..offset`.
pub async fn uploads_advance_only_from_the_current_offset<S: Storage>(s: &S) {
    let id = "0193a7c2-0000-7000-8000-0000000000a1";
    s.create_upload(&upload_record(id, 300)).await.unwrap();
    assert!(matches!(
        s.create_upload(&upload_record(id, 300)).await,
        Err(crate::StorageError::Conflict(_))
    ));
    assert_eq!(s.upload(id).await.unwrap(), Some(upload_record(id, 300)));
    assert_eq!(s.upload("nope").await.unwrap(), None);

    assert!(
        s.advance_upload(id, 0, &[upload_piece(0, 100, "a")], t(1))
            .await
            .unwrap()
    );
    // A second request that also started at 0 lost the race: nothing changes.
    assert!(
        !s.advance_upload(id, 0, &[upload_piece(0, 50, "b")], t(2))
            .await
            .unwrap()
    );
    // Two pieces at once (a checked PATCH), contiguous from the offset.
    assert!(
        s.advance_upload(
            id,
            100,
            &[upload_piece(100, 150, "c"), upload_piece(150, 200, "c")],
            t(3)
        )
        .await
        .unwrap()
    );
    // Past the declared length: refused.
    assert!(
        !s.advance_upload(id, 200, &[upload_piece(200, 301, "d")], t(4))
            .await
            .unwrap()
    );
    let u = s.upload(id).await.unwrap().unwrap();
    assert_eq!((u.offset, u.updated_at), (200, t(3)));
    assert_eq!(
        s.upload_pieces(id).await.unwrap(),
        vec![
            upload_piece(0, 100, "a"),
            upload_piece(100, 150, "c"),
            upload_piece(150, 200, "c")
        ]
    );

    assert!(
        s.advance_upload(id, 200, &[upload_piece(200, 300, "e")], t(5))
            .await
            .unwrap()
    );
    s.set_upload_verified(id).await.unwrap();
    assert!(s.upload(id).await.unwrap().unwrap().verified);
    s.complete_upload(id, t(6)).await.unwrap();
    let u = s.upload(id).await.unwrap().unwrap();
    assert_eq!((u.offset, u.completed_at), (300, Some(t(6))));
    assert!(
        s.upload_pieces(id).await.unwrap().is_empty(),
        "pieces forgotten"
    );
    // A complete upload takes nothing more.
    assert!(
        !s.advance_upload(id, 300, &[upload_piece(300, 301, "f")], t(7))
            .await
            .unwrap()
    );

    s.delete_upload(id).await.unwrap();
    assert_eq!(s.upload(id).await.unwrap(), None);
    s.delete_upload(id).await.unwrap();
}

/// Many requests racing to advance one upload from the same offset: exactly one
/// wins each step (the conditional update that replaces the in-process lock).
pub async fn parallel_advances_from_one_offset_have_one_winner<S: Storage>(s: &S) {
    let id = "0193a7c2-0000-7000-8000-0000000000a2";
    s.create_upload(&upload_record(id, 300)).await.unwrap();
    for step in 0..3u64 {
        let from = step * 100;
        let tries = (0..8).map(|w| {
            let p = upload_piece(from, from + 100, &format!("w{w}"));
            async move { s.advance_upload(id, from, &[p], t(1)).await.unwrap() }
        });
        let won = futures_util::future::join_all(tries).await;
        assert_eq!(
            won.iter().filter(|w| **w).count(),
            1,
            "step {step}: {won:?}"
        );
    }
    let pieces = s.upload_pieces(id).await.unwrap();
    assert_eq!(
        pieces.iter().map(|p| (p.start, p.end)).collect::<Vec<_>>(),
        vec![(0, 100), (100, 200), (200, 300)]
    );
    assert_eq!(s.upload(id).await.unwrap().unwrap().offset, 300);
}

/// The write lease: the newest claimant takes it once the holder released it or
/// let it lapse; an older claimant is told it was superseded.
pub async fn upload_lease_goes_to_the_newest_claimant<S: Storage>(s: &S) {
    let id = "0193a7c2-0000-7000-8000-0000000000a3";
    assert!(!s.claim_upload(id, "a").await.unwrap());
    assert_eq!(
        s.take_upload_lease(id, "a", t(0), t(20)).await.unwrap(),
        Lease::Gone
    );
    s.create_upload(&upload_record(id, 300)).await.unwrap();
    // Nobody claimed it: a lease needs a claim first.
    assert_eq!(
        s.take_upload_lease(id, "a", t(0), t(20)).await.unwrap(),
        Lease::Superseded
    );
    assert_eq!(s.upload_claimant(id).await.unwrap(), None);
    assert!(s.claim_upload(id, "a").await.unwrap());
    assert_eq!(s.upload_claimant(id).await.unwrap().as_deref(), Some("a"));
    assert_eq!(
        s.take_upload_lease(id, "a", t(0), t(20)).await.unwrap(),
        Lease::Held
    );
    // A newer request claims: the holder learns it at its next renewal, the newer
    // one waits while the lease is live.
    assert!(s.claim_upload(id, "b").await.unwrap());
    assert_eq!(
        s.take_upload_lease(id, "b", t(1), t(21)).await.unwrap(),
        Lease::Busy
    );
    assert_eq!(
        s.take_upload_lease(id, "a", t(2), t(22)).await.unwrap(),
        Lease::Superseded
    );
    // Releasing by someone else changes nothing; by the holder frees it.
    s.release_upload_lease(id, "b").await.unwrap();
    assert_eq!(
        s.take_upload_lease(id, "b", t(3), t(23)).await.unwrap(),
        Lease::Busy
    );
    s.release_upload_lease(id, "a").await.unwrap();
    assert_eq!(
        s.take_upload_lease(id, "b", t(3), t(23)).await.unwrap(),
        Lease::Held
    );
    // Renewal by the holder.
    assert_eq!(
        s.take_upload_lease(id, "b", t(10), t(30)).await.unwrap(),
        Lease::Held
    );
    // A holder that died (no renewal): the next claimant waits for the lapse only.
    assert!(s.claim_upload(id, "c").await.unwrap());
    assert_eq!(
        s.take_upload_lease(id, "c", t(29), t(49)).await.unwrap(),
        Lease::Busy
    );
    assert_eq!(
        s.take_upload_lease(id, "c", t(30), t(50)).await.unwrap(),
        Lease::Held
    );
    // Not stale while a lease is live, whatever its age.
    assert!(
        s.stale_uploads(t(100), t(100), t(40))
            .await
            .unwrap()
            .is_empty()
    );
}

/// Restarting forgets the pieces; housekeeping finds idle incomplete uploads and
/// old complete ones.
pub async fn uploads_restart_and_go_stale<S: Storage>(s: &S) {
    let idle = "0193a7c2-0000-7000-8000-0000000000b1";
    let busy = "0193a7c2-0000-7000-8000-0000000000b2";
    let done = "0193a7c2-0000-7000-8000-0000000000b3";
    for id in [idle, busy, done] {
        s.create_upload(&upload_record(id, 300)).await.unwrap();
    }
    assert!(
        s.advance_upload(idle, 0, &[upload_piece(0, 10, "a")], t(0))
            .await
            .unwrap()
    );
    assert!(
        s.advance_upload(busy, 0, &[upload_piece(0, 10, "a")], t(50))
            .await
            .unwrap()
    );
    s.complete_upload(done, t(10)).await.unwrap();

    let forgot = s.restart_upload(idle, t(1)).await.unwrap();
    assert_eq!(forgot, vec![upload_piece(0, 10, "a")]);
    let u = s.upload(idle).await.unwrap().unwrap();
    assert_eq!((u.offset, u.updated_at), (0, t(1)));
    assert!(s.upload_pieces(idle).await.unwrap().is_empty());

    let mut stale = s.stale_uploads(t(20), t(5), t(100)).await.unwrap();
    stale.sort();
    assert_eq!(stale, vec![idle.to_string()]);
    let mut stale = s.stale_uploads(t(20), t(11), t(100)).await.unwrap();
    stale.sort();
    assert_eq!(stale, vec![idle.to_string(), done.to_string()]);
}

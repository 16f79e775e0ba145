//! The end-to-end scenarios against a deployment at scale (issue 18 item 4): two
//! server instances on one database and one blob store behind nginx
//! (`liuhen_e2e::deployment`; the stores come from `LIUHEN_DEPLOY_DATABASE` and
//! `LIUHEN_DEPLOY_BLOBS`). Phones only know nginx's address, so consecutive requests
//! of one sync (and the chunks of one upload) land on different instances.
//! One instance aborted or SIGKILLed in the middle of a merge while the other goes on:
//! nothing acknowledged is lost, nothing is stored twice.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use liuhen_e2e::deployment::Deployment;
use liuhen_e2e::proxy::{FaultKind, FaultProxy, Plan, SplitMix64, Target};
use liuhen_e2e::{Device, png_bytes};
use liuhen_server_store::failpoints::SYNC_MERGE_POINTS;

use crate::faults::World;

const O1: &str = "qy-zf-001";
const O2: &str = "qy-zf-002";
const TASK: &str = "QY-2026-SJ-0117";

/// Enroll, sync records both ways, upload evidence, read it back through nginx;
/// both instances served requests.
#[test]
fn two_instances_behind_nginx_sync_and_serve_evidence() {
    let d = Deployment::start();
    let mut a = Device::enrolled_at(&d.base_url, O1);
    let mut b = Device::enrolled_at(&d.base_url, O2);
    assert!(a.sync().roster_updated);
    b.sync();

    let id = a.core.open_for_task(TASK, O1).unwrap();
    a.core.check_in(&id, O1).unwrap();
    a.core.check_in(&id, O2).unwrap();
    // About 1.3 MB: two tus chunks, likely on two instances.
    let photo = png_bytes(720, 600, 7);
    let sha = a.capture_photo(&id, &photo, "image/png");
    a.core
        .add_finding(&id, "危废贮存间标识不全", vec![sha.clone()], O1)
        .unwrap();
    let r = a.sync();
    assert_eq!(r.synced, vec![id.clone()], "{r:?}");
    assert_eq!(r.blobs_uploaded, vec![sha.clone()], "{r:?}");
    assert!(a.sync().blobs_uploaded.is_empty(), "uploaded once");

    let r = b.sync();
    assert_eq!(r.received_new, vec![id.clone()], "{r:?}");
    b.core
        .add_finding(&id, "乙：雨水排口有积水", vec![], O2)
        .unwrap();
    b.sync();
    a.sync();
    let (ia, ib) = (
        a.core.inspection(&id).unwrap(),
        b.core.inspection(&id).unwrap(),
    );
    assert_eq!(ia, ib, "both phones converge");
    assert_eq!(ia.findings.len(), 2);

    let session = d.login("supervisor");
    assert_eq!(d.supervisor_inspection(&session, &id), Some(ia));
    assert_eq!(d.supervisor_inspection_ids(&session), vec![id.clone()]);
    assert_eq!(
        d.evidence_bytes(&session, &id, &sha).as_deref(),
        Some(photo.as_slice()),
        "the desk reads the photo back"
    );
    let per = d.requests_per_instance();
    assert!(
        per.iter().all(|&n| n > 0),
        "nginx spread the requests over both instances: {per:?}"
    );
}

/// Every kind of network fault between the phones and nginx, as in faults.rs.
#[test]
fn random_faults_through_nginx_lose_and_duplicate_nothing() {
    let mut w = World::on(Box::new(Deployment::start()));
    w.rounds_under(
        Plan::random(
            0xde01,
            Target::SyncAndFiles,
            0.35,
            &[
                FaultKind::Drop,
                FaultKind::Duplicate,
                FaultKind::Delay,
                FaultKind::Reorder,
                FaultKind::Late,
                FaultKind::Cut,
                FaultKind::Truncate,
                FaultKind::Gateway,
            ],
        ),
        3,
    );
    assert!(!w.proxy.faults_injected().is_empty());
    w.finish();
    w.assert_nothing_lost_nothing_duplicated();
}

/// A record with a finding and a photo on phone `a`, not yet synced.
fn record_with_photo(a: &mut Device, seed: u64) -> (String, String) {
    let roster = a.core.roster().unwrap();
    let task = roster.tasks.iter().find(|t| t.id == TASK).unwrap();
    let id = a
        .core
        .open_ad_hoc(&task.target_id, &task.category, &task.item, O1)
        .unwrap();
    a.core.check_in(&id, O1).unwrap();
    let photo = a.capture_photo(&id, &png_bytes(32, 24, seed), "image/png");
    a.core
        .add_finding(
            &id,
            &format!("第{seed}号：危废贮存间标识不全"),
            vec![photo.clone()],
            O1,
        )
        .unwrap();
    (id, photo)
}

/// Every record of the phone on the deployment once, as the phone has it, every
/// photo readable and whole, nothing pending.
fn assert_all_there(
    d: &Deployment,
    a: &mut Device,
    ids: &BTreeSet<String>,
    photos: &[(String, String)],
) {
    assert!(a.unsynced().is_empty(), "{:?}", a.unsynced());
    let session = d.login("supervisor");
    let on_server = d.supervisor_inspection_ids(&session);
    assert_eq!(on_server.len(), ids.len(), "no record twice, none lost");
    assert_eq!(on_server.into_iter().collect::<BTreeSet<_>>(), *ids);
    for id in ids {
        let here = a.core.inspection(id).unwrap();
        let there = d.supervisor_inspection(&session, id).unwrap();
        assert_eq!(there, here, "{id}: the deployment holds what the phone has");
        let texts: BTreeSet<&str> = here.findings.iter().map(|f| f.text.as_str()).collect();
        assert_eq!(texts.len(), here.findings.len(), "{id}: no finding twice");
    }
    for (id, sha) in photos {
        assert!(d.evidence_verified(&session, id, sha), "{id}: photo {sha}");
    }
}

/// Instance 0 aborts at each write boundary of a merge in turn (the crash points
/// of crash_points.rs) while instance 1 goes on serving: the phone's sync fails
/// once (nginx answers 502 for the request it had sent), the retry goes to the
/// other instance, and the record ends up stored once, whole, with its photo.
#[test]
fn an_instance_aborted_mid_merge_while_the_other_goes_on_loses_nothing() {
    let mut d = Deployment::start();
    let mut a = Device::enrolled_at(&d.base_url, O1);
    let mut b = Device::enrolled_at(&d.base_url, O2);
    a.sync();
    b.sync();
    let mut ids = BTreeSet::new();
    let mut photos = Vec::new();
    for (n, point) in SYNC_MERGE_POINTS.iter().enumerate() {
        let env = format!("{point}=return");
        d.start_instance(0, &[("FAILPOINTS", env.as_str())]);
        // Records until one of A's merges reaches instance 0: nginx's round robin
        // is turned so that the run's first request, which carries the new
        // record, goes there.
        let mut crashed = false;
        for k in 0..8 {
            let (id, photo) = record_with_photo(&mut a, (n * 10 + k) as u64);
            ids.insert(id.clone());
            photos.push((id, photo));
            d.next_request_to(0);
            // A failed sync most likely met the abort: give the process time to end.
            let wait = match a.try_sync() {
                Ok(r) => {
                    assert!(r.needs_attention.is_empty(), "{point}: {r:?}");
                    Duration::from_millis(200)
                }
                Err(e) => {
                    assert!(e.is_retryable(), "{point}: {e}");
                    Duration::from_secs(5)
                }
            };
            if d.wait_for_exit(0, wait) {
                crashed = true;
                break;
            }
        }
        assert!(
            crashed,
            "{point}: instance 0 ({}) did not abort in a merge; nginx's last requests:\n{}",
            d.instance_url(0),
            d.access_log_tail(30).join("\n")
        );
        // The other instance goes on: B syncs meanwhile, A's retries get through.
        let (r, _) = b.sync_retrying(3);
        assert!(r.needs_attention.is_empty(), "{point}: {r:?}");
        let (r, _) = a.sync_retrying(4);
        assert!(r.needs_attention.is_empty(), "{point}: {r:?}");
        assert_all_there(&d, &mut a, &ids, &photos);
    }
    d.start_instance(0, &[]);
    a.sync_retrying(3);
    assert_all_there(&d, &mut a, &ids, &photos);
}

/// A phone with 100 records syncs through a pass-through proxy in front of nginx;
/// instance 0 is SIGKILLed a random delay after a large sync request went out,
/// twice (restarted in between), while instance 1 keeps serving. Every record is on
/// the deployment once, as the phone has it, every photo whole. (The records go up in
/// one request of ~100 merges; the first kill comes 91 ms after it starts, the seed's
/// first delay, well inside its merge. 200 records cost twice the CPU for the same
/// cut, issue 17.)
#[test]
fn an_instance_killed_mid_sync_while_the_other_goes_on_loses_and_duplicates_nothing() {
    let d = Arc::new(Mutex::new(Deployment::start()));
    let base = d.lock().unwrap().base_url.clone();
    let proxy = FaultProxy::start(&base);
    let mut a = Device::enrolled_at(&proxy.base_url, O1);
    a.sync();
    let roster = a.core.roster().unwrap();
    let task = roster.tasks.iter().find(|t| t.id == TASK).unwrap();
    let mut ids = BTreeSet::new();
    let mut photos = Vec::new();
    for i in 0..100u64 {
        let id = a
            .core
            .open_ad_hoc(&task.target_id, &task.category, &task.item, O1)
            .unwrap();
        a.core.check_in(&id, O1).unwrap();
        let mut evidence = vec![];
        if i % 20 == 0 {
            let sha = a.capture_photo(&id, &png_bytes(64, 48, i), "image/png");
            photos.push((id.clone(), sha.clone()));
            evidence.push(sha);
        }
        a.core
            .add_finding(&id, &format!("第{i}号记录的检查情况"), evidence, O1)
            .unwrap();
        ids.insert(id);
    }
    let mut rng = SplitMix64::new(0xdead_0001);
    let mut kills = 0;
    for round in 0..2 {
        if round == 1 {
            for id in &ids {
                a.core.add_finding(id, "复查：已整改", vec![], O1).unwrap();
            }
            d.lock().unwrap().start_instance(0, &[]);
        }
        let delay = rng.below(1200);
        let run_over = AtomicBool::new(false);
        let seen = proxy.events().len();
        let killer = || -> bool {
            loop {
                let big = |ev: &[liuhen_e2e::proxy::Event]| {
                    ev.iter().skip(seen).any(|e| {
                        !e.done && Target::Sync.matches(&e.request) && e.request.body_len > 40_000
                    })
                };
                if proxy.wait_for(Duration::from_millis(50), big) {
                    break;
                }
                if run_over.load(Ordering::SeqCst) {
                    return false;
                }
            }
            std::thread::sleep(Duration::from_millis(delay));
            d.lock().unwrap().kill(0);
            true
        };
        let killed = std::thread::scope(|s| {
            let k = s.spawn(killer);
            match a.try_sync() {
                Ok(r) => assert!(r.needs_attention.is_empty(), "{r:?}"),
                Err(e) => assert!(
                    e.is_retryable(),
                    "a killed instance is a retryable failure: {e}"
                ),
            }
            run_over.store(true, Ordering::SeqCst);
            k.join().unwrap()
        });
        kills += u32::from(killed);
        eprintln!(
            "round {round}: instance 0 killed {delay} ms after a large sync request: {killed}"
        );
        // Instance 0 stays down; instance 1 takes the phone's retries.
        let (r, _) = a.sync_retrying(5);
        assert!(r.needs_attention.is_empty(), "{r:?}");
    }
    assert_eq!(kills, 2, "instance 0 was killed in both runs");
    // Large sync requests (a batch of records to merge) that got no 200: cut by the
    // kill in the middle of their merge (nginx answers 502 for them).
    let cut: Vec<_> = proxy
        .events()
        .iter()
        .filter(|e| Target::Sync.matches(&e.request) && e.request.body_len > 40_000)
        .map(|e| e.status)
        .collect();
    eprintln!("large sync requests and their answers: {cut:?}");
    assert!(
        cut.iter().any(|s| *s != Some(200)),
        "a merge was cut by the kill: {cut:?}"
    );
    let d = d.lock().unwrap();
    a.sync_retrying(3);
    assert_all_there(&d, &mut a, &ids, &photos);
}

/// nginx passes the client's address on in `X-Forwarded-For` and both instances
/// believe it (`--trusted-proxy 127.0.0.1`): wrong passwords from one client, spread
/// over both instances by the round robin, lock that client out of the login on
/// both (the counters live in the shared database, R-REC-7 / issue 16), while its
/// neighbour still signs in.
#[test]
fn the_client_address_and_sign_in_lockout_hold_across_both_instances() {
    let d = Deployment::start();
    let attempt = |client_ip: &str, password: &str| {
        reqwest::blocking::Client::new()
            .post(format!("{}/api/v1/login", d.base_url))
            .header("X-Forwarded-For", client_ip)
            .json(&serde_json::json!({ "login": "supervisor", "password": password }))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    for _ in 0..5 {
        assert_eq!(attempt("198.51.100.7", "wrong"), 401);
    }
    // The next two attempts reach both instances: both refuse.
    for _ in 0..2 {
        assert_eq!(attempt("198.51.100.7", liuhen_e2e::DEMO_PASSWORD), 429);
    }
    assert_eq!(attempt("198.51.100.8", liuhen_e2e::DEMO_PASSWORD), 200);
    let per = d.requests_per_instance();
    assert!(per.iter().all(|&n| n > 0), "{per:?}");
}

/// Two phones edit one record offline and sync at the same moment, round after
/// round: their merges of the same document run on the two instances at once.
/// Each instance writes only over the heads it read and merges again otherwise
/// (optimistic writes, issue 18 item 2), so neither overwrites the other's changes.
#[test]
fn simultaneous_merges_of_one_record_on_both_instances_lose_nothing() {
    let mut w = World::on(Box::new(Deployment::start()));
    w.proxy.set_plan(Plan::pass());
    for _ in 0..6 {
        w.offline_edits();
        let (fa, fb) = std::thread::scope(|s| {
            let a = s.spawn(|| {
                let mut f = 0;
                World::sync_under_faults(&mut w.a, &mut f);
                f
            });
            let b = s.spawn(|| {
                let mut f = 0;
                World::sync_under_faults(&mut w.b, &mut f);
                f
            });
            (a.join().unwrap(), b.join().unwrap())
        });
        w.failed_runs += fa + fb;
    }
    w.finish();
    w.assert_nothing_lost_nothing_duplicated();
}

//! Property tests: two officers' phones work on one inspection in a random
//! interleaving of offline edits (add a finding, edit a finding, take a photo)
//! and syncs; after syncing A, B, A both phones and the server hold the same
//! document, with every finding once (its text one of those written for it),
//! every photo once and verified on the server, and nothing pending.
//!
//! Each case uses real processes, so there are few cases; one server per test
//! process is shared by every case (a new inspection per case).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use liuhen_e2e::proxy::{FaultKind, FaultProxy, Plan, Target};
use liuhen_e2e::{Device, TestServer, png_bytes};

const O1: &str = "qy-zf-001";
const O2: &str = "qy-zf-002";
const TASK: &str = "QY-2026-SJ-0117";

/// The server of this test process: started by the first test that needs it,
/// killed when the last one holding it is done.
fn shared_server() -> Arc<TestServer> {
    static SERVER: Mutex<Weak<TestServer>> = Mutex::new(Weak::new());
    let mut slot = SERVER.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(s) = slot.upgrade() {
        return s;
    }
    let s = Arc::new(TestServer::start_demo());
    *slot = Arc::downgrade(&s);
    s
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dev {
    A,
    B,
}

#[derive(Debug, Clone)]
enum Op {
    AddFinding(Dev),
    /// Edits the finding at this index (modulo) of the phone's current list.
    EditFinding(Dev, usize),
    CapturePhoto(Dev),
    Sync(Dev),
}

fn dev() -> impl Strategy<Value = Dev> {
    prop_oneof![Just(Dev::A), Just(Dev::B)]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => dev().prop_map(Op::AddFinding),
        2 => (dev(), 0..8usize).prop_map(|(d, i)| Op::EditFinding(d, i)),
        1 => dev().prop_map(Op::CapturePhoto),
        3 => dev().prop_map(Op::Sync),
    ]
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        // Real processes: keep shrinking short, and write no regression files.
        max_shrink_iters: 8,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Two phones and what they wrote, across cases.
struct Phones {
    a: Device,
    b: Device,
    case: u64,
}

impl Phones {
    fn new(base_url: &str) -> Phones {
        let mut a = Device::enrolled_at(base_url, O1);
        let mut b = Device::enrolled_at(base_url, O2);
        a.sync_retrying(10);
        b.sync_retrying(10);
        Phones { a, b, case: 0 }
    }

    fn dev(&mut self, d: Dev) -> (&mut Device, &'static str) {
        match d {
            Dev::A => (&mut self.a, O1),
            Dev::B => (&mut self.b, O2),
        }
    }
}

/// One sync; with `faults`, a retryable failure is fine.
fn sync_once(dev: &mut Device, faults: bool) -> Result<(), TestCaseError> {
    match dev.try_sync() {
        Ok(r) => {
            prop_assert!(r.needs_attention.is_empty(), "{:?}", r);
            Ok(())
        }
        Err(e) if faults && e.is_retryable() => Ok(()),
        Err(e) => Err(TestCaseError::fail(format!("sync failed: {e}"))),
    }
}

/// Runs one case: A opens a new inspection with both officers checked in (B
/// gets it at its first sync), then `ops`, then syncs A, B, A.
fn run_case(
    server: &TestServer,
    phones: &mut Phones,
    ops: &[Op],
    proxy: Option<&FaultProxy>,
) -> Result<(), TestCaseError> {
    phones.case += 1;
    let case = phones.case;
    let faults = proxy.is_some();
    let roster = phones.a.core.roster().unwrap();
    let task = roster.tasks.iter().find(|t| t.id == TASK).unwrap();
    let id = phones
        .a
        .core
        .open_ad_hoc(&task.target_id, &task.category, &task.item, O1)
        .unwrap();
    phones.a.core.check_in(&id, O1).unwrap();
    phones.a.core.check_in(&id, O2).unwrap();

    // Finding id → every text written for it.
    let mut written: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut photos: BTreeSet<String> = BTreeSet::new();
    for (n, op) in ops.iter().enumerate() {
        let d = match op {
            Op::AddFinding(d) | Op::EditFinding(d, _) | Op::CapturePhoto(d) | Op::Sync(d) => *d,
        };
        let (device, officer) = phones.dev(d);
        if let Op::Sync(_) = op {
            sync_once(device, faults)?;
            continue;
        }
        // B works on the record only once it has it.
        if !device.core.has_document(&id).unwrap() {
            continue;
        }
        match op {
            Op::AddFinding(_) => {
                let text = format!("第{case}例 {d:?} 第{n}步：现场发现");
                let fid = device
                    .core
                    .add_finding(&id, &text, vec![], officer)
                    .unwrap();
                written.entry(fid).or_default().insert(text);
            }
            Op::EditFinding(_, i) => {
                // Only a finding's author edits it (R-REC-5).
                let findings: Vec<_> = device
                    .core
                    .inspection(&id)
                    .unwrap()
                    .findings
                    .into_iter()
                    .filter(|f| f.author == officer)
                    .collect();
                if findings.is_empty() {
                    continue;
                }
                let f = &findings[i % findings.len()];
                let text = format!("第{case}例 {d:?} 第{n}步：修改后的发现");
                device
                    .core
                    .edit_finding(&id, &f.id, &text, officer)
                    .unwrap();
                written.entry(f.id.clone()).or_default().insert(text);
            }
            Op::CapturePhoto(_) => {
                let seed = case * 1000 + n as u64 * 2 + u64::from(d == Dev::B);
                let sha = device.capture_photo(&id, &png_bytes(12, 8, seed), "image/png");
                photos.insert(sha);
            }
            Op::Sync(_) => unreachable!(),
        }
    }

    if let Some(p) = proxy {
        p.pass_all();
        prop_assert!(p.wait_idle(Duration::from_secs(30)));
    }
    // A sync run stops after its round bound (8) without completing when other
    // records keep it busy: the other test of this file shares the server and its
    // phones belong to the same officers, so they are offered its records too. The
    // report then says the run was incomplete, and a phone syncs again, as a real one
    // does on its next sync. At most four passes; the assertion below still fails if
    // the phones never converge.
    for _pass in 0..4 {
        let mut complete = true;
        for d in [Dev::A, Dev::B, Dev::A] {
            let (device, _) = phones.dev(d);
            complete &= device.sync_retrying(5).0.complete;
        }
        if complete {
            break;
        }
    }

    let ia = phones.a.core.inspection(&id).unwrap();
    let ib = phones.b.core.inspection(&id).unwrap();
    prop_assert_eq!(&ia, &ib, "both phones converge");
    let session = server.login("supervisor");
    let is = server.supervisor_inspection(&session, &id);
    prop_assert_eq!(is.as_ref(), Some(&ia), "the server holds the same document");

    let ids: Vec<&String> = ia.findings.iter().map(|f| &f.id).collect();
    let unique: BTreeSet<&String> = ids.iter().copied().collect();
    prop_assert_eq!(ids.len(), unique.len(), "no finding twice");
    prop_assert_eq!(
        unique,
        written.keys().collect::<BTreeSet<_>>(),
        "every finding present"
    );
    for f in &ia.findings {
        prop_assert!(
            written[&f.id].contains(&f.text),
            "{:?} is one of the texts written for it",
            f.text
        );
    }
    let shas: Vec<&String> = ia.evidence.iter().map(|e| &e.sha256).collect();
    let unique: BTreeSet<&String> = shas.iter().copied().collect();
    prop_assert_eq!(shas.len(), unique.len(), "no photo twice");
    prop_assert_eq!(
        unique,
        photos.iter().collect::<BTreeSet<_>>(),
        "every photo"
    );
    for sha in &photos {
        prop_assert!(server.blob_verified(sha), "{} on the server", sha);
    }
    for device in [&phones.a, &phones.b] {
        prop_assert!(device.unsynced().is_empty(), "{:?}", device.unsynced());
    }
    Ok(())
}

#[test]
fn random_interleavings_of_edits_and_syncs_converge() {
    let server = shared_server();
    let phones = RefCell::new(Phones::new(&server.base_url));
    let mut runner = TestRunner::new(config(12));
    let result = runner.run(&prop::collection::vec(op(), 4..24), |ops| {
        run_case(&server, &mut phones.borrow_mut(), &ops, None)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The same through a proxy that drops, duplicates, delays and reorders
/// responses, delivers stale requests late and cuts uploads, with a random seed
/// per case.
#[test]
fn random_interleavings_converge_through_random_faults() {
    let server = shared_server();
    let proxy = FaultProxy::start(&server.base_url);
    let phones = RefCell::new(Phones::new(&proxy.base_url));
    let mut runner = TestRunner::new(config(8));
    let strategy = (prop::collection::vec(op(), 4..20), any::<u64>());
    let result = runner.run(&strategy, |(ops, seed)| {
        proxy.set_plan(Plan::random(
            seed,
            Target::SyncAndFiles,
            0.3,
            &[
                FaultKind::Drop,
                FaultKind::Duplicate,
                FaultKind::Delay,
                FaultKind::Reorder,
                FaultKind::Late,
                FaultKind::Cut,
            ],
        ));
        run_case(&server, &mut phones.borrow_mut(), &ops, Some(&proxy))
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

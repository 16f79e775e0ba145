//! Sync benchmarks against a real `liuhen-server --demo` process on loopback, with
//! real device stores (`liuhen_core::Core`) enrolled over HTTP.
//!
//! 1. **Batched vs naive.** For n = 1, 100 and 1,000 inspections recorded offline
//!    (ad hoc on the demo targets, two officers checked in, one finding each), one
//!    `SyncClient::run` on a fresh device enrolled to a fresh server: client
//!    exchanges (`SyncReport.requests`), HTTP requests, protocol rounds, bytes on the
//!    wire (request and response bodies) and wall time. The baseline, measured in the
//!    same run on an identical fresh device and server, is the naive approach of one
//!    HTTP request per document: a `Transport` wrapper ([`Naive`]) splits every
//!    batched request into one request per document, sends each with the real
//!    `HttpTransport::exchange`, and merges the replies. Then a second sync right
//!    after, with nothing changed. Setup (server start, enrollment, first sync for
//!    the roster, recording) is not timed.
//! 2. **Load.** N devices (each enrolled as one of the two demo officers, in turn)
//!    with 20 changed inspections each sync at once, in threads, against one fresh
//!    server per N: first the 20 new inspections, then up to four waves in which each
//!    device adds one finding to each of its 20 inspections (incremental changes).
//!    Throughput (documents synced per second, HTTP exchanges per second, from the
//!    wave's wall time) and per-exchange latency (p50/p99/max, every
//!    `HttpTransport::exchange` call timed by a wrapper), and their growth with N.
//!    Devices ignore the server's `offer` lists here: with only two demo officers,
//!    every device would otherwise pull every other device's records too (traffic
//!    growing as N², an artefact of the setup). The server still computes and sends
//!    the offers; their bytes are counted.
//!
//! Run one part only with `cargo bench -p liuhen-benches --no-default-features --features e2e --bench sync -- compare` (or
//! `-- load`, `-- targets`; `-- merge` runs only part 3's merge rows: one device
//! with 1,000 new records, eight devices with 125 each at once). Every scenario stops at a time cap (the transport refuses further
//! exchanges and the run is reported as capped). Under `cargo test --benches` (no
//! `--bench` argument) a smoke version runs instead: n = 1 and 5, N = 1 and 2, with
//! checks.
//!
//! The server binary is located next to the bench executable
//! (`target/<profile>/liuhen-server`): for `cargo bench` build it with
//! `cargo build --release -p liuhen-server` first; `scripts/bench-sync.sh` does both.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use liuhen_benches::{dur, pct};

use liuhen_core::Core;
use liuhen_core::model::CheckItem;
use liuhen_core::sync::client::Exchange;
use liuhen_core::sync::protocol::SyncRequest;
use liuhen_core::sync::{SyncClient, SyncReport, Transport, TransportError};
use liuhen_e2e::{Device, TestServer};

const O1: &str = "qy-zf-001";
const O2: &str = "qy-zf-002";
const OFFICERS: [&str; 2] = [O1, O2];
const TARGETS: [&str; 3] = ["qy-dx-0001", "qy-dx-0002", "qy-dx-0003"];

/// What one invocation runs.
struct Plan {
    full: bool,
    /// Inspection counts of the batched-vs-naive comparison.
    sizes: &'static [usize],
    /// Cap of one sync run (batched or naive).
    run_cap: Duration,
    /// Device counts of the load scenario.
    devices: &'static [usize],
    /// Changed inspections per device.
    per_device: usize,
    /// Waves per N: the first syncs new inspections, the others one edit each.
    waves: usize,
    /// Cap of one load scenario (one N), setup included; waves after it are skipped
    /// and a wave still running when it passes is cut off.
    load_cap: Duration,
}

const FULL: Plan = Plan {
    full: true,
    sizes: &[1, 100, 1000],
    run_cap: Duration::from_secs(150),
    devices: &[1, 8, 32],
    per_device: 125,
    waves: 3,
    load_cap: Duration::from_secs(75),
};

const SMOKE: Plan = Plan {
    full: false,
    sizes: &[1, 5],
    run_cap: Duration::from_secs(60),
    devices: &[1, 2],
    per_device: 3,
    waves: 2,
    load_cap: Duration::from_secs(60),
};

// ---- transports -------------------------------------------------------------

/// What went over the wire through a [`Metered`] transport.
#[derive(Debug, Default, Clone)]
struct Meter {
    /// HTTP sync requests.
    http_requests: u64,
    /// Request body bytes.
    bytes_sent: u64,
    /// Response body bytes.
    bytes_received: u64,
    /// Part of the response bytes that are `offer` ids (about `"<uuid>",` each).
    offer_bytes: u64,
    /// Time of each HTTP exchange (serialise, send, server, receive, parse).
    latencies: Vec<Duration>,
}

/// Wraps the real HTTP transport: counts and times every exchange, enforces a
/// deadline, and optionally hides the server's offers from the client.
struct Metered<T> {
    inner: T,
    meter: RefCell<Meter>,
    deadline: Instant,
    ignore_offers: bool,
}

impl<T: Transport> Metered<T> {
    fn new(inner: T, deadline: Instant, ignore_offers: bool) -> Self {
        Metered {
            inner,
            meter: RefCell::new(Meter::default()),
            deadline,
            ignore_offers,
        }
    }
}

const CAPPED: &str = "bench time cap reached";

impl<T: Transport> Transport for Metered<T> {
    fn exchange(&self, req: &SyncRequest) -> Result<Exchange, TransportError> {
        if Instant::now() >= self.deadline {
            return Err(TransportError::Network(CAPPED.into()));
        }
        let t0 = Instant::now();
        let result = self.inner.exchange(req);
        let dt = t0.elapsed();
        let mut m = self.meter.borrow_mut();
        m.http_requests += 1;
        m.latencies.push(dt);
        let mut ex = result?;
        m.bytes_sent += ex.bytes_sent;
        m.bytes_received += ex.bytes_received;
        m.offer_bytes += ex
            .response
            .offer
            .iter()
            .map(|id| id.len() as u64 + 3)
            .sum::<u64>();
        if self.ignore_offers {
            ex.response.offer.clear();
        }
        Ok(ex)
    }

    fn upload(
        &self,
        path: &Path,
        sha256: &str,
        inspection_id: &str,
        media_type: &str,
        resume_url: Option<&str>,
        on_url: &mut dyn FnMut(&str),
    ) -> Result<u64, TransportError> {
        self.inner
            .upload(path, sha256, inspection_id, media_type, resume_url, on_url)
    }
}

/// The naive baseline: one HTTP request per document. Splits every batched request
/// into single-document requests and merges the replies into one response, as if
/// the server had answered the batch (offers of documents that were in the batch
/// are dropped, the rest deduplicated).
struct Naive<T> {
    inner: T,
}

impl<T: Transport> Transport for Naive<T> {
    fn exchange(&self, req: &SyncRequest) -> Result<Exchange, TransportError> {
        if req.docs.len() <= 1 {
            return self.inner.exchange(req);
        }
        let mut merged: Option<Exchange> = None;
        for doc in &req.docs {
            let one = SyncRequest {
                protocol: req.protocol,
                device_time: req.device_time,
                roster_version: req.roster_version.clone(),
                docs: vec![doc.clone()],
                log: vec![],
                drafts: vec![],
                offer_since: None,
            };
            let ex = self.inner.exchange(&one)?;
            match &mut merged {
                None => merged = Some(ex),
                Some(m) => {
                    m.bytes_sent += ex.bytes_sent;
                    m.bytes_received += ex.bytes_received;
                    let (r, more) = (&mut m.response, ex.response);
                    r.docs.extend(more.docs);
                    r.offer.extend(more.offer);
                    r.missing_blobs.extend(more.missing_blobs);
                    r.server_time = more.server_time;
                    r.clock_skew_seconds = more.clock_skew_seconds;
                    if r.roster.is_none() {
                        r.roster = more.roster;
                    }
                    r.roster_version = more.roster_version;
                }
            }
        }
        let mut ex = merged.expect("at least two documents");
        let asked: BTreeSet<&str> = req.docs.iter().map(|d| d.id.as_str()).collect();
        let mut seen = BTreeSet::new();
        ex.response
            .offer
            .retain(|id| !asked.contains(id.as_str()) && seen.insert(id.clone()));
        let mut seen = BTreeSet::new();
        ex.response.missing_blobs.retain(|h| seen.insert(h.clone()));
        Ok(ex)
    }

    fn upload(
        &self,
        path: &Path,
        sha256: &str,
        inspection_id: &str,
        media_type: &str,
        resume_url: Option<&str>,
        on_url: &mut dyn FnMut(&str),
    ) -> Result<u64, TransportError> {
        self.inner
            .upload(path, sha256, inspection_id, media_type, resume_url, on_url)
    }
}

/// Transports whose wire traffic is metered.
trait Metering: Transport {
    fn meter(&self) -> &RefCell<Meter>;
    /// The meter so far, reset.
    fn take_meter(&self) -> Meter {
        std::mem::take(&mut *self.meter().borrow_mut())
    }
}

impl<T: Transport> Metering for Metered<T> {
    fn meter(&self) -> &RefCell<Meter> {
        &self.meter
    }
}

impl<T: Metering> Metering for Naive<T> {
    fn meter(&self) -> &RefCell<Meter> {
        self.inner.meter()
    }
}

// ---- devices ----------------------------------------------------------------

fn item() -> CheckItem {
    CheckItem {
        code: "HB-PW-01".into(),
        name: "排污许可执行情况检查".into(),
        legal_basis: "《排污许可管理条例》第三十条".into(),
    }
}

/// A device enrolled as `officer` that has fetched the roster (first sync).
fn device(server: &TestServer, officer: &str) -> Device {
    let mut d = Device::enrolled(server, officer);
    let r = d.sync();
    assert!(r.roster_updated, "first sync brings the roster: {r:?}");
    d
}

/// Records `n` ad hoc inspections offline: opened by `by`, both demo officers
/// checked in, one finding by `by`.
fn record(core: &mut Core, n: usize, by: &str) -> Vec<String> {
    let item = item();
    (0..n)
        .map(|i| {
            let id = core
                .open_ad_hoc(TARGETS[i % TARGETS.len()], "生态环境", &item, by)
                .expect("open ad hoc");
            core.check_in(&id, O1).expect("check in O1");
            core.check_in(&id, O2).expect("check in O2");
            core.add_finding(
                &id,
                &format!("第 {} 号排放口未按规定设置标识牌，现场已拍照", i + 1),
                vec![],
                by,
            )
            .expect("finding");
            id
        })
        .collect()
}

/// One measured sync run.
struct Outcome {
    report: Result<SyncReport, String>,
    meter: Meter,
    wall: Duration,
}

impl Outcome {
    fn status(&self) -> String {
        match &self.report {
            Ok(r) if r.still_pending.is_empty() && r.needs_attention.is_empty() => "ok".into(),
            Ok(r) => format!(
                "{} pending, {} refused",
                r.still_pending.len(),
                r.needs_attention.len()
            ),
            Err(e) if e.contains(CAPPED) => "CAPPED".into(),
            Err(e) => format!("error: {e}"),
        }
    }
    fn synced(&self) -> usize {
        self.report.as_ref().map_or(0, |r| r.synced.len())
    }
}

/// Time spent inside HTTP exchanges.
fn in_http(o: &Outcome) -> Duration {
    o.meter.latencies.iter().sum()
}

fn sync_once<T: Metering>(client: &SyncClient<T>, core: &mut Core) -> Outcome {
    client.transport().take_meter();
    let t0 = Instant::now();
    let report = client.run(core).map_err(|e| e.to_string());
    let wall = t0.elapsed();
    Outcome {
        report,
        meter: client.transport().take_meter(),
        wall,
    }
}

// ---- formatting -------------------------------------------------------------

fn bytes(b: u64) -> String {
    const K: f64 = 1024.0;
    let f = b as f64;
    if f < 10.0 * K {
        format!("{b} B")
    } else if f < 10.0 * K * K {
        format!("{:.1} KiB", f / K)
    } else {
        format!("{:.1} MiB", f / K / K)
    }
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.1}x", a / b)
    } else {
        "-".into()
    }
}

// ---- 1. batched vs naive ----------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Batched,
    Naive,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Batched => "batched",
            Mode::Naive => "naive",
        }
    }
}

/// First and second sync of `n` inspections in one mode, on a fresh server.
fn compare_one(plan: &Plan, n: usize, mode: Mode) -> (Outcome, Outcome) {
    let t0 = Instant::now();
    let server = TestServer::start_demo();
    let mut dev = device(&server, O1);
    record(&mut dev.core, n, O1);
    eprintln!(
        "   setup {} n={n}: {} (server start, enrol, roster, recording; not timed)",
        mode.name(),
        dur(t0.elapsed())
    );
    let http = dev.client().transport().clone();
    let run = |core: &mut Core| {
        let metered = Metered::new(http.clone(), Instant::now() + plan.run_cap, false);
        match mode {
            Mode::Batched => sync_once(&SyncClient::new(metered), core),
            Mode::Naive => sync_once(&SyncClient::new(Naive { inner: metered }), core),
        }
    };
    let first = run(&mut dev.core);
    let second = run(&mut dev.core);
    (first, second)
}

fn compare(plan: &Plan) {
    println!();
    println!(
        "== 1. Sync of n changed inspections: batched (this protocol) vs naive (one HTTP request per document)"
    );
    println!(
        "   fresh demo server + fresh enrolled device per row; inspections recorded offline (ad hoc, 2 check-ins, 1 finding);"
    );
    println!(
        "   client-ex = SyncReport.requests (client exchanges), http = HTTP requests actually sent, bytes = request/response bodies,"
    );
    println!(
        "   in-http = time inside HTTP exchanges (network + server + JSON), the rest of wall is the device (automerge, store writes)"
    );
    let header = format!(
        "{:<8} {:>5} {:>6} {:>9} {:>6} {:>10} {:>10} {:>9} {:>9} {:>9} {:>7}  {}",
        "mode",
        "n",
        "rounds",
        "client-ex",
        "http",
        "sent",
        "received",
        "of-offers",
        "wall",
        "in-http",
        "synced",
        "status"
    );
    let row = |mode: Mode, n: usize, o: &Outcome| {
        let r = o.report.as_ref().ok();
        let in_http = in_http(o);
        format!(
            "{:<8} {:>5} {:>6} {:>9} {:>6} {:>10} {:>10} {:>9} {:>9} {:>9} {:>7}  {}",
            mode.name(),
            n,
            r.map_or("-".into(), |r| r.rounds.to_string()),
            r.map_or("-".into(), |r| r.requests.to_string()),
            o.meter.http_requests,
            bytes(o.meter.bytes_sent),
            bytes(o.meter.bytes_received),
            bytes(o.meter.offer_bytes),
            dur(o.wall),
            dur(in_http),
            o.synced(),
            o.status()
        )
    };
    let mut first_rows = vec![];
    let mut second_rows = vec![];
    let mut ratios = vec![];
    for &n in plan.sizes {
        let (b1, b2) = compare_one(plan, n, Mode::Batched);
        let (n1, n2) = compare_one(plan, n, Mode::Naive);
        if !plan.full {
            for (what, o) in [("batched", &b1), ("naive", &n1)] {
                assert_eq!(o.synced(), n, "{what} n={n}: {}", o.status());
            }
            assert!(b1.meter.http_requests <= 4, "batched: a few round trips");
            assert!(
                n1.meter.http_requests >= n as u64,
                "naive: one per document"
            );
        }
        first_rows.push(row(Mode::Batched, n, &b1));
        first_rows.push(row(Mode::Naive, n, &n1));
        second_rows.push(row(Mode::Batched, n, &b2));
        second_rows.push(row(Mode::Naive, n, &n2));
        let wire = |o: &Outcome| (o.meter.bytes_sent + o.meter.bytes_received) as f64;
        let wire_no_offers = |o: &Outcome| {
            (o.meter.bytes_sent + o.meter.bytes_received - o.meter.offer_bytes) as f64
        };
        ratios.push(format!(
            "{:>5} {:>10} {:>10} {:>16} {:>8} {:>8}{}",
            n,
            ratio(n1.meter.http_requests as f64, b1.meter.http_requests as f64),
            ratio(wire(&n1), wire(&b1)),
            ratio(wire_no_offers(&n1), wire_no_offers(&b1)),
            ratio(n1.wall.as_secs_f64(), b1.wall.as_secs_f64()),
            ratio(in_http(&n1).as_secs_f64(), in_http(&b1).as_secs_f64()),
            if n1.report.is_err() {
                "   (naive run capped: ratios are lower bounds)"
            } else {
                ""
            }
        ));
    }
    println!();
    println!("-- first sync (n changed records)");
    println!("{header}");
    first_rows.iter().for_each(|r| println!("{r}"));
    println!();
    println!("-- ratios naive / batched (first sync)");
    println!(
        "{:>5} {:>10} {:>10} {:>16} {:>8} {:>8}",
        "n", "http-req", "bytes", "bytes-no-offers", "wall", "in-http"
    );
    ratios.iter().for_each(|r| println!("{r}"));
    println!();
    println!("-- second sync right after (nothing changed)");
    println!("{header}");
    second_rows.iter().for_each(|r| println!("{r}"));
}

// ---- 2. load ----------------------------------------------------------------

/// What one device did in one wave.
struct WaveResult {
    synced: usize,
    failed: Option<String>,
    meter: Meter,
}

/// A load device: enrolls, fetches the roster, records `k` inspections, then per
/// wave (after the first, one more finding per inspection) syncs between barriers.
fn load_worker(
    server: &TestServer,
    i: usize,
    plan: &Plan,
    deadline: Instant,
    gate: &Barrier,
    stop: &AtomicBool,
) -> Result<Vec<WaveResult>, String> {
    let officer = OFFICERS[i % OFFICERS.len()];
    let setup = catch_unwind(AssertUnwindSafe(|| {
        let mut dev = device(server, officer);
        let ids = record(&mut dev.core, plan.per_device, officer);
        (dev, ids)
    }));
    let mut setup = setup.map_err(|_| format!("device {i}: setup panicked"));
    let mut out = vec![];
    for wave in 0..plan.waves {
        if wave > 0
            && let Ok((dev, ids)) = &mut setup
        {
            let text = format!("复查第 {wave} 次：整改尚未完成");
            let failed = ids
                .iter()
                .find_map(|id| dev.core.add_finding(id, &text, vec![], officer).err());
            if let Some(e) = failed {
                setup = Err(format!("device {i}: edit: {e}"));
            }
        }
        gate.wait(); // start
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if let Ok((dev, _)) = &mut setup {
            let http = dev.client().transport().clone();
            let client = SyncClient::new(Metered::new(http, deadline, true));
            let o = sync_once(&client, &mut dev.core);
            out.push(WaveResult {
                synced: o.synced(),
                failed: o.report.err(),
                meter: o.meter,
            });
        }
        gate.wait(); // end
    }
    setup.map(|_| out)
}

struct LoadRow {
    n: usize,
    kind: &'static str,
    waves: usize,
    docs: usize,
    expected: usize,
    exchanges: u64,
    sent: u64,
    received: u64,
    offers: u64,
    wall: Duration,
    latencies: Vec<Duration>,
    failures: usize,
    /// CPU seconds of the server process during the wave(s).
    cpu_server: f64,
    /// CPU seconds of this process (the device threads) during the wave(s).
    cpu_devices: f64,
}

impl LoadRow {
    fn docs_per_s(&self) -> f64 {
        self.docs as f64 / self.wall.as_secs_f64().max(1e-9)
    }
    fn ex_per_s(&self) -> f64 {
        self.exchanges as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

fn load_one(plan: &Plan, n: usize) -> Vec<LoadRow> {
    let t0 = Instant::now();
    let deadline = t0 + plan.load_cap;
    let server = TestServer::start_demo();
    let gate = Barrier::new(n + 1);
    let stop = AtomicBool::new(false);
    let walls = Mutex::new(vec![]);
    let results: Vec<Result<Vec<WaveResult>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (server, gate, stop) = (&server, &gate, &stop);
                s.spawn(move || load_worker(server, i, plan, deadline, gate, stop))
            })
            .collect();
        for wave in 0..plan.waves {
            // Later waves only if the cap leaves room for them.
            let stopping = wave > 0 && Instant::now() >= deadline;
            stop.store(stopping, Ordering::SeqCst);
            gate.wait();
            if wave == 0 {
                eprintln!(
                    "   load N={n}: setup {} (enrol, roster, recording; not timed)",
                    dur(t0.elapsed())
                );
            }
            if stopping {
                break;
            }
            let (w0, s0, d0) = (Instant::now(), server_cpu(), own_cpu());
            gate.wait();
            let wall = w0.elapsed();
            walls
                .lock()
                .unwrap()
                .push((wall, server_cpu() - s0, own_cpu() - d0));
        }
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("device thread panicked".into()))
            })
            .collect()
    });
    let walls = walls.into_inner().unwrap();
    let mut rows: Vec<LoadRow> = vec![];
    for (w, &(wall, cpu_server, cpu_devices)) in walls.iter().enumerate() {
        let kind = if w == 0 { "new" } else { "edit" };
        let mut row = LoadRow {
            n,
            kind,
            waves: 1,
            docs: 0,
            expected: n * plan.per_device,
            exchanges: 0,
            sent: 0,
            received: 0,
            offers: 0,
            wall,
            latencies: vec![],
            failures: 0,
            cpu_server,
            cpu_devices,
        };
        for r in &results {
            match r.as_ref().map(|v| v.get(w)) {
                Ok(Some(wr)) => {
                    row.docs += wr.synced;
                    row.exchanges += wr.meter.http_requests;
                    row.sent += wr.meter.bytes_sent;
                    row.received += wr.meter.bytes_received;
                    row.offers += wr.meter.offer_bytes;
                    row.latencies.extend(wr.meter.latencies.iter().copied());
                    if let Some(e) = &wr.failed {
                        row.failures += 1;
                        if !e.contains(CAPPED) {
                            eprintln!("   load N={n} wave {w}: {e}");
                        }
                    }
                }
                Ok(None) => row.failures += 1,
                Err(e) => {
                    row.failures += 1;
                    if w == 0 {
                        eprintln!("   load N={n}: {e}");
                    }
                }
            }
        }
        // Edit waves are merged into one row.
        match rows.last_mut() {
            Some(prev) if prev.kind == "edit" && kind == "edit" => {
                prev.waves += 1;
                prev.docs += row.docs;
                prev.expected += row.expected;
                prev.exchanges += row.exchanges;
                prev.sent += row.sent;
                prev.received += row.received;
                prev.offers += row.offers;
                prev.wall += row.wall;
                prev.cpu_server += row.cpu_server;
                prev.cpu_devices += row.cpu_devices;
                prev.latencies.extend(row.latencies);
                prev.failures += row.failures;
            }
            _ => rows.push(row),
        }
    }
    for r in &mut rows {
        r.latencies.sort();
    }
    eprintln!("   load N={n}: done in {}", dur(t0.elapsed()));
    rows
}

fn load(plan: &Plan) {
    println!();
    println!(
        "== 2. Load: N devices syncing at once (threads) against one fresh server per N, {} changed inspections per device",
        plan.per_device
    );
    println!(
        "   machine: {} CPU core(s) shared by the server process and all N client devices (automerge, SQLite, JSON on both sides)",
        std::thread::available_parallelism().map_or(0, |p| p.get())
    );
    println!(
        "   new = first sync of the new inspections; edit = waves where each device added one finding to each of its inspections"
    );
    println!(
        "   docs/s and exch/s over the wave's wall time (all devices start together); latency = one HTTP sync exchange as the client sees it"
    );
    println!(
        "   devices ignore offers (two demo officers: each would otherwise pull every other device's records); the server still"
    );
    println!(
        "   sends them (of-offers = their share of received bytes). exch = HTTP exchanges = latency samples: p99 of < 100 samples is the max"
    );
    let mut rows = vec![];
    for &n in plan.devices {
        let r = load_one(plan, n);
        if !plan.full {
            for row in &r {
                assert_eq!(row.failures, 0, "N={n} {}", row.kind);
                assert_eq!(row.docs, row.expected, "N={n} {}", row.kind);
            }
        }
        rows.extend(r);
    }
    println!();
    println!(
        "{:>3} {:<5} {:>5} {:>10} {:>6} {:>10} {:>10} {:>10} {:>9} {:>8} {:>8} {:>9} {:>9} {:>9} {:>5}",
        "N",
        "wave",
        "waves",
        "docs",
        "exch",
        "sent",
        "received",
        "of-offers",
        "wall",
        "docs/s",
        "exch/s",
        "p50",
        "p99",
        "max",
        "fail"
    );
    for r in &rows {
        println!(
            "{:>3} {:<5} {:>5} {:>10} {:>6} {:>10} {:>10} {:>10} {:>9} {:>8.0} {:>8.1} {:>9} {:>9} {:>9} {:>5}",
            r.n,
            r.kind,
            r.waves,
            format!("{}/{}", r.docs, r.expected),
            r.exchanges,
            bytes(r.sent),
            bytes(r.received),
            bytes(r.offers),
            dur(r.wall),
            r.docs_per_s(),
            r.ex_per_s(),
            dur(pct(&r.latencies, 0.50)),
            dur(pct(&r.latencies, 0.99)),
            dur(r.latencies.last().copied().unwrap_or_default()),
            r.failures
        );
    }
    println!();
    println!("-- growth relative to N = {}", plan.devices[0]);
    println!(
        "{:>3} {:<5} {:>8} {:>8} {:>8} {:>8}",
        "N", "wave", "docs/s", "exch/s", "p50", "p99"
    );
    for kind in ["new", "edit"] {
        let Some(base) = rows.iter().find(|r| r.kind == kind) else {
            continue;
        };
        for r in rows.iter().filter(|r| r.kind == kind) {
            println!(
                "{:>3} {:<5} {:>8} {:>8} {:>8} {:>8}",
                r.n,
                kind,
                ratio(r.docs_per_s(), base.docs_per_s()),
                ratio(r.ex_per_s(), base.ex_per_s()),
                ratio(
                    pct(&r.latencies, 0.5).as_secs_f64(),
                    pct(&base.latencies, 0.5).as_secs_f64()
                ),
                ratio(
                    pct(&r.latencies, 0.99).as_secs_f64(),
                    pct(&base.latencies, 0.99).as_secs_f64()
                ),
            );
        }
    }
}

// ---- 3. issue 19 targets ----------------------------------------------------

/// The server's share of the same automerge work done in process, without HTTP,
/// JSON or storage: for each record, a fresh empty document receives the device's
/// document through automerge's sync protocol until both agree, then is saved.
/// Only the server side's calls are timed.
fn in_process_merges(core: &mut Core, ids: &[String]) -> Duration {
    use automerge::AutoCommit;
    use automerge::sync::{State, SyncDoc};
    let mut spent = Duration::ZERO;
    for id in ids {
        let bytes = core.export_document(id).expect("export");
        let mut device = AutoCommit::load(&bytes).expect("load");
        let mut server = AutoCommit::new();
        let (mut sd, mut ss) = (State::new(), State::new());
        for _ in 0..8 {
            let up = device.sync().generate_sync_message(&mut sd);
            let t0 = Instant::now();
            if let Some(m) = up.clone() {
                server
                    .sync()
                    .receive_sync_message(&mut ss, m)
                    .expect("receive");
            }
            let down = server.sync().generate_sync_message(&mut ss);
            spent += t0.elapsed();
            if let Some(m) = down.clone() {
                device
                    .sync()
                    .receive_sync_message(&mut sd, m)
                    .expect("receive");
            }
            if up.is_none() && down.is_none() {
                break;
            }
        }
        let t0 = Instant::now();
        std::hint::black_box(server.save());
        spent += t0.elapsed();
    }
    spent
}

/// CPU seconds (user + system) used so far by the `liuhen-server` processes this
/// bench started (children of this process), from `/proc/<pid>/stat`: the server's
/// work without the waiting and without the devices, steadier than wall time on a
/// shared machine.
fn server_cpu() -> f64 {
    let me = std::process::id();
    let mut ticks = 0.0;
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    for e in dir.flatten() {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head.split_once('(').map_or("", |(_, c)| c);
        let f: Vec<&str> = rest.split_whitespace().collect();
        // After the ')': state, ppid, ...; utime and stime are the 12th and 13th.
        let parsed = (|| {
            let ppid: u32 = f.get(1)?.parse().ok()?;
            let t = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
            Some((ppid, t))
        })();
        if let Some((ppid, t)) = parsed
            && ppid == me
            && comm.starts_with("liuhen-server")
        {
            ticks += t;
        }
    }
    ticks / 100.0 // USER_HZ on Linux
}

/// CPU seconds (user + system, all threads) used so far by this process: in a
/// wave, the simulated devices' work (automerge, their stores, JSON, HTTP client).
fn own_cpu() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (field(11) + field(12)) / 100.0 // USER_HZ on Linux
}

/// The load average (1, 5, 15 minutes) as `/proc/loadavg` gives it.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn per_s(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

/// Issue 19 items 1-3: merge throughput of `n` new records from one device against
/// the in-process cost of the same merges; a fresh phone receiving them; an idle
/// sync of a device holding `idle_n` records (bytes and time inside the exchange).
fn targets(plan: &Plan, merge_only: bool) {
    let (n, idle_n, idle_runs) = if plan.full {
        (1000, 10_000, 20)
    } else {
        (5, 20, 3)
    };
    println!();
    println!("== 3. Issue 19 targets (release build; one device unless said)");

    // 1. Merge throughput and its ratio to the in-process automerge work.
    let t0 = Instant::now();
    let server = TestServer::start_demo();
    let mut dev = device(&server, O1);
    let ids = record(&mut dev.core, n, O1);
    let http = dev.client().transport().clone();
    let client = SyncClient::new(Metered::new(http, Instant::now() + plan.run_cap, false));
    eprintln!(
        "   first sync: setup {} (server start, enrol, recording {n} records; not timed)",
        dur(t0.elapsed())
    );
    let (cpu0, dev0) = (server_cpu(), own_cpu());
    let first = sync_once(&client, &mut dev.core);
    let (cpu, dev_cpu) = (server_cpu() - cpu0, own_cpu() - dev0);
    assert_eq!(first.synced(), n, "first sync: {}", first.status());
    let base = in_process_merges(&mut dev.core, &ids);
    println!();
    println!("-- 1. first sync of {n} new records from one device");
    println!(
        "{:>8} {:>10} {:>10} {:>12} {:>12} {:>14} {:>8} {:>11} {:>10} {:>11}",
        "records",
        "wall",
        "in-http",
        "records/s",
        "in-process",
        "in-process/s",
        "ratio",
        "server CPU",
        "CPU ratio",
        "device CPU"
    );
    println!(
        "{:>8} {:>10} {:>10} {:>12.0} {:>12} {:>14.0} {:>8} {:>11} {:>10} {:>11}",
        n,
        dur(first.wall),
        dur(in_http(&first)),
        per_s(n, in_http(&first)),
        dur(base),
        per_s(n, base),
        ratio(in_http(&first).as_secs_f64(), base.as_secs_f64()),
        format!("{:.0} ms", cpu * 1000.0),
        ratio(cpu, base.as_secs_f64()),
        format!("{:.0} ms", dev_cpu * 1000.0)
    );
    println!(
        "   records/s = records / time inside HTTP exchanges (server merge, checks, group commit, JSON, loopback);"
    );
    println!(
        "   in-process = the server side of the same automerge sync (receive, generate, save) without HTTP or storage; ratio = in-http / in-process"
    );
    println!(
        "   server CPU = user + system CPU time of the server process during the sync (all its threads: merges, SQLite writer, HTTP); CPU ratio = server CPU / in-process"
    );
    println!(
        "   device CPU = user + system CPU time of the device (this bench process) during the sync: its messages, store writes, JSON; load average now {}",
        loadavg()
    );

    // 1b. Eight devices at once, each with its own new records (issue 19 item 1:
    // total records/s); the in-process baseline is the same work, 8 x the
    // per-record in-process cost measured above on records of the same shape.
    let (devices, per_device) = if plan.full { (8, 125) } else { (2, 3) };
    let eight = Plan {
        devices: &[],
        per_device,
        waves: 1,
        load_cap: plan.run_cap,
        ..*plan
    };
    let rows = load_one(&eight, devices);
    let row = &rows[0];
    let total = devices * per_device;
    assert_eq!(
        row.docs, total,
        "{devices} devices: {} failures",
        row.failures
    );
    let base_all = base.mul_f64(total as f64 / n as f64);
    println!();
    println!(
        "-- 1b. first sync of {per_device} new records from each of {devices} devices at once"
    );
    let cores = std::thread::available_parallelism().map_or(1, |p| p.get());
    println!(
        "{:>8} {:>8} {:>10} {:>12} {:>10} {:>10} {:>12} {:>8} {:>11} {:>11} {:>11} {:>10}",
        "devices",
        "records",
        "wall",
        "records/s",
        "p50",
        "p99",
        "in-process",
        "ratio",
        "server CPU",
        "per record",
        "device CPU",
        "derived/s"
    );
    println!(
        "{:>8} {:>8} {:>10} {:>12.0} {:>10} {:>10} {:>12} {:>8} {:>11} {:>11} {:>11} {:>10.0}",
        devices,
        total,
        dur(row.wall),
        per_s(total, row.wall),
        dur(pct(&row.latencies, 0.5)),
        dur(pct(&row.latencies, 0.99)),
        dur(base_all),
        ratio(row.wall.as_secs_f64(), base_all.as_secs_f64()),
        format!("{:.0} ms", row.cpu_server * 1000.0),
        format!("{:.2} ms", row.cpu_server * 1000.0 / total as f64),
        format!("{:.0} ms", row.cpu_devices * 1000.0),
        cores as f64 * total as f64 / row.cpu_server.max(1e-9)
    );
    println!(
        "   records/s = all records / wall time of the wave (all devices start together): MEASURED; in-process = {total} x the per-record in-process cost of part 1; ratio = wall / in-process"
    );
    println!(
        "   server CPU / device CPU = user + system CPU time during the wave of the server process / of the {devices} simulated devices (threads of this bench process), which share the machine's {cores} cores"
    );
    println!(
        "   derived/s = {cores} cores x records / server CPU: the server's capacity if it had the cores to itself, DERIVED from its CPU per record, not measured; load average now {}",
        loadavg()
    );

    if merge_only {
        return;
    }

    // 3. A fresh phone of the same officer receives them all.
    let mut fresh = Device::enrolled(&server, O1);
    let http = fresh.client().transport().clone();
    let client = SyncClient::new(Metered::new(http, Instant::now() + plan.run_cap, false));
    let got = sync_once(&client, &mut fresh.core);
    let received = got.report.as_ref().map_or(0, |r| r.received_new.len());
    assert!(
        received >= n,
        "fresh phone received {received}: {}",
        got.status()
    );
    println!();
    println!("-- 3. a fresh phone of the same officer: first sync");
    println!(
        "{:>9} {:>10} {:>10} {:>6} {:>10} {:>10} {:>12}",
        "received", "wall", "in-http", "http", "sent", "recv", "records/s"
    );
    println!(
        "{:>9} {:>10} {:>10} {:>6} {:>10} {:>10} {:>12.0}",
        received,
        dur(got.wall),
        dur(in_http(&got)),
        got.meter.http_requests,
        bytes(got.meter.bytes_sent),
        bytes(got.meter.bytes_received),
        per_s(received, got.wall)
    );
    drop(server);

    // 2. An idle sync of a device that holds many records.
    let server = TestServer::start_demo();
    let mut dev = device(&server, O1);
    let t0 = Instant::now();
    record(&mut dev.core, idle_n, O1);
    let http = dev.client().transport().clone();
    let client = SyncClient::new(Metered::new(http, Instant::now() + plan.run_cap * 4, false));
    let all = sync_once(&client, &mut dev.core);
    assert_eq!(all.synced(), idle_n, "sync of {idle_n}: {}", all.status());
    eprintln!(
        "   idle setup: {idle_n} records recorded and synced in {}",
        dur(t0.elapsed())
    );
    let mut idle: Vec<Outcome> = (0..idle_runs)
        .map(|_| sync_once(&client, &mut dev.core))
        .collect();
    let mut lat: Vec<Duration> = idle
        .iter_mut()
        .flat_map(|o| o.meter.latencies.drain(..))
        .collect();
    lat.sort();
    let o = &idle[0];
    println!();
    println!("-- 2. idle sync of a device holding {idle_n} records ({idle_runs} runs)");
    println!(
        "{:>8} {:>6} {:>10} {:>10} {:>10} {:>10} {:>10} {:>12}",
        "records", "http", "sent", "recv", "total", "p50", "max", "first sync/s"
    );
    println!(
        "{:>8} {:>6} {:>10} {:>10} {:>10} {:>10} {:>10} {:>12.0}",
        idle_n,
        o.meter.http_requests,
        bytes(o.meter.bytes_sent),
        bytes(o.meter.bytes_received),
        bytes(o.meter.bytes_sent + o.meter.bytes_received),
        dur(pct(&lat, 0.5)),
        dur(lat.last().copied().unwrap_or_default()),
        per_s(idle_n, in_http(&all))
    );
    println!(
        "   p50/max = one idle HTTP exchange as the client sees it (server time + loopback + JSON); first sync/s = the {idle_n}-record first sync's records per second in HTTP"
    );
    if !plan.full {
        assert!(
            o.meter.bytes_sent + o.meter.bytes_received <= 1024,
            "idle sync stays under 1 KiB"
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not.
    let args: Vec<String> = std::env::args().skip(1).collect();
    let plan = if args.iter().any(|a| a == "--bench") {
        &FULL
    } else {
        &SMOKE
    };
    // Optional filter: `cargo bench -p liuhen-benches --no-default-features --features e2e --bench sync -- compare` (or `load`).
    let only: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| matches!(*a, "compare" | "load" | "targets" | "merge"))
        .collect();
    let wants = |what: &str| only.is_empty() || only.contains(&what);
    let t0 = Instant::now();
    println!(
        "liuhen sync bench ({}), server {}",
        if plan.full {
            "full"
        } else {
            "smoke test: cargo test --benches"
        },
        liuhen_e2e::server_binary().display()
    );
    if wants("compare") {
        compare(plan);
    }
    if wants("load") {
        load(plan);
    }
    if wants("targets") {
        targets(plan, false);
    } else if only.contains(&"merge") {
        // Part 3's merge rows only (1 device, 8 devices): for quick comparisons.
        targets(plan, true);
    }
    println!();
    println!("total bench time {}", dur(t0.elapsed()));
}

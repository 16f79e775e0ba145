//! Issue 18 benchmarks, in one run against real release `liuhen-server` processes on
//! loopback and real device stores (`liuhen_core::Core`):
//!
//! 1. **Sync load on three deployments.** The same workload as the load part of
//!    `sync.rs`: N devices (1, 8, 32; threads, each enrolled as one of the two demo
//!    officers in turn) with `LIUHEN_SCALE_RECORDS` new inspections each sync at once
//!    ("new"), then each adds one finding to each and syncs again ("edit"). Deployments:
//!    one instance on SQLite; one instance on PostgreSQL; two instances on one
//!    PostgreSQL database behind nginx (`liuhen_e2e::deployment`). Records merged per
//!    second over the wave's wall time, p50/p99 of one HTTP sync exchange, ratios
//!    against the SQLite row of the same N, and the CPU the wave used: the bench
//!    process (the devices) and the whole machine (servers, PostgreSQL, nginx,
//!    devices and whatever else runs on the shared machine).
//! 2. **Evidence upload through tus**: one instance on SQLite with local blobs vs the
//!    same with `--blobs s3://…` (Garage): `LIUHEN_SCALE_BLOBS` audio files of
//!    `LIUHEN_SCALE_BLOB_MIB` MiB each uploaded by one device's sync; MiB/s over the
//!    time inside `Transport::upload`.
//!
//! Needs `LIUHEN_TEST_POSTGRES` (`scripts/postgres.sh start`), `LIUHEN_TEST_S3` and
//! the `AWS_*` variables (`scripts/s3.sh start`) and nginx; `scripts/bench-scale.sh`
//! starts them, runs this and writes the markdown between `<!-- md:scale -->` and
//! `<!-- /md -->` into docs/performance.md. The server binary is the one next to the
//! bench executable (`target/release/liuhen-server` for `cargo bench`).

use std::cell::RefCell;
use std::path::Path;
use std::process::Command;
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use liuhen_benches::{dur, pct};

use liuhen_core::inspection::{EvidenceKind, InspectionStep};
use liuhen_core::model::CheckItem;
use liuhen_core::sync::client::Exchange;
use liuhen_core::sync::protocol::SyncRequest;
use liuhen_core::sync::{SyncClient, Transport, TransportError};
use liuhen_e2e::deployment::{Backends, Blobs, Database, Deployment};
use liuhen_e2e::{Device, TestServer, wav_bytes};

const OFFICERS: [&str; 2] = ["qy-zf-001", "qy-zf-002"];
const TARGETS: [&str; 3] = ["qy-dx-0001", "qy-dx-0002", "qy-dx-0003"];
const DEVICES: [usize; 3] = [1, 8, 32];

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn required_env(name: &str, script: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v,
        _ => panic!(
            "{name} is not set: start it with `eval \"$(bash {script} start)\"` \
             (scripts/bench-scale.sh does)"
        ),
    }
}

// ---- metering -----------------------------------------------------------------

/// What went through a [`Metered`] transport.
#[derive(Default)]
struct Meter {
    latencies: Vec<Duration>,
    upload_bytes: u64,
    upload_time: Duration,
}

/// The real HTTP transport, timing every exchange and upload. Offers are hidden
/// from the client (with two demo officers every device would otherwise pull every
/// other device's records: traffic growing as N², an artefact of the setup).
struct Metered<T> {
    inner: T,
    meter: RefCell<Meter>,
}

impl<T: Transport> Transport for Metered<T> {
    fn exchange(&self, req: &SyncRequest) -> Result<Exchange, TransportError> {
        let t0 = Instant::now();
        let result = self.inner.exchange(req);
        self.meter.borrow_mut().latencies.push(t0.elapsed());
        let mut ex = result?;
        ex.response.offer.clear();
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
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let t0 = Instant::now();
        let r = self
            .inner
            .upload(path, sha256, inspection_id, media_type, resume_url, on_url);
        let mut m = self.meter.borrow_mut();
        m.upload_time += t0.elapsed();
        if r.is_ok() {
            m.upload_bytes += size;
        }
        r
    }
}

/// Syncs `dev` once through a [`Metered`] transport: (records synced, error, meter).
fn metered_sync(dev: &mut Device) -> (usize, Option<String>, Meter) {
    let client = SyncClient::new(Metered {
        inner: dev.client().transport().clone(),
        meter: RefCell::new(Meter::default()),
    });
    let r = client.run(&mut dev.core);
    let meter = client.transport().meter.take();
    match r {
        Ok(rep) => {
            let err =
                (!rep.still_pending.is_empty() || !rep.needs_attention.is_empty()).then(|| {
                    format!(
                        "{} pending, {} refused",
                        rep.still_pending.len(),
                        rep.needs_attention.len()
                    )
                });
            (rep.synced.len(), err, meter)
        }
        Err(e) => (0, Some(e.to_string()), meter),
    }
}

/// CPU seconds used so far, per group of processes (from /proc).
#[derive(Clone, Copy, Default)]
struct Cpu {
    /// `liuhen-server` processes.
    servers: f64,
    /// PostgreSQL processes (the cluster of scripts/postgres.sh and its backends).
    postgres: f64,
    /// This process: the simulated devices.
    devices: f64,
    /// Busy CPU of the whole machine (every process, including other users').
    machine: f64,
}

impl std::ops::Sub for Cpu {
    type Output = Cpu;
    fn sub(self, o: Cpu) -> Cpu {
        Cpu {
            servers: self.servers - o.servers,
            postgres: self.postgres - o.postgres,
            devices: self.devices - o.devices,
            machine: self.machine - o.machine,
        }
    }
}

/// (command name, parent pid, utime + stime in ticks) of `/proc/<pid>/stat`.
fn proc_ticks(stat: &str) -> Option<(String, u32, f64)> {
    let (head, rest) = stat.rsplit_once(')')?;
    let comm = head.split_once('(')?.1.to_string();
    let f: Vec<&str> = rest.split_whitespace().collect();
    // After the ')': state, ppid, ...; utime and stime (fields 14 and 15) are the
    // 12th and 13th.
    Some((
        comm,
        f.get(1)?.parse().ok()?,
        f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?,
    ))
}

/// The postmaster of the cluster at `LIUHEN_TEST_POSTGRES` (the parent of its
/// checkpointer), so that other PostgreSQL clusters on the shared machine are not
/// counted.
fn postmaster_pid() -> Option<u32> {
    let admin = std::env::var("LIUHEN_TEST_POSTGRES").ok()?;
    let out = Command::new("psql")
        .arg(&admin)
        .args([
            "-Atc",
            "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'",
        ])
        .output()
        .ok()?;
    let pid: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    proc_ticks(&stat).map(|(_, ppid, _)| ppid)
}

/// CPU seconds so far of the servers this process started, of the PostgreSQL
/// cluster `postmaster` (itself and its children), of this process, and of the
/// whole machine. Processes that ended between two readings drop out of a group
/// (the servers and the cluster live through a wave).
fn cpu_now(postmaster: Option<u32>) -> Cpu {
    let tick = 100.0; // USER_HZ on Linux
    let me = std::process::id();
    let mut c = Cpu::default();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Some((comm, ppid, t)) = std::fs::read_to_string(e.path().join("stat"))
                .ok()
                .and_then(|s| proc_ticks(&s))
            else {
                continue;
            };
            if pid == me {
                c.devices += t / tick;
            } else if ppid == me && comm.starts_with("liuhen-server") {
                c.servers += t / tick;
            } else if postmaster.is_some_and(|pm| pid == pm || ppid == pm) {
                c.postgres += t / tick;
            }
        }
    }
    c.machine = std::fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| {
            let v: Vec<f64> = s
                .lines()
                .next()?
                .split_whitespace()
                .skip(1)
                .filter_map(|x| x.parse().ok())
                .collect();
            // user nice system idle iowait irq softirq steal: busy = all but idle, iowait.
            let total: f64 = v.iter().take(8).sum();
            Some((total - v.get(3)? - v.get(4)?) / tick)
        })
        .unwrap_or(0.0);
    c
}

// ---- formatting -------------------------------------------------------------

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("{:.2}x", a / b)
    } else {
        "-".into()
    }
}

// ---- deployments ------------------------------------------------------------

/// A new database on the PostgreSQL cluster of `LIUHEN_TEST_POSTGRES`; its URL.
fn create_database(name: &str) -> String {
    let admin = required_env("LIUHEN_TEST_POSTGRES", "scripts/postgres.sh");
    liuhen_e2e::deployment::create_database(&admin, name)
}

fn unique(tag: &str) -> String {
    format!(
        "liuhen_bench_{tag}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_millis()
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sqlite,
    Postgres,
    PostgresTwo,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Sqlite => "SQLite, 1 instance",
            Kind::Postgres => "PostgreSQL, 1 instance",
            Kind::PostgresTwo => "PostgreSQL, 2 instances + nginx",
        }
    }
}

/// A running deployment (stopped on drop).
enum Running {
    One(TestServer),
    Two(Deployment),
}

impl Running {
    fn start(kind: Kind) -> Running {
        match kind {
            Kind::Sqlite => Running::One(TestServer::start_demo()),
            Kind::Postgres => {
                let url = create_database(&unique("pg1"));
                Running::One(TestServer::start_demo_with(&["--database", &url]))
            }
            Kind::PostgresTwo => Running::Two(Deployment::start_on(Backends {
                database: Database::Postgres {
                    admin_url: required_env("LIUHEN_TEST_POSTGRES", "scripts/postgres.sh"),
                },
                blobs: Blobs::Local,
            })),
        }
    }

    fn url(&self) -> &str {
        match self {
            Running::One(s) => &s.base_url,
            Running::Two(d) => &d.base_url,
        }
    }
}

// ---- 1. sync load -----------------------------------------------------------

fn item() -> CheckItem {
    CheckItem {
        code: "HB-PW-01".into(),
        name: "排污许可执行情况检查".into(),
        legal_basis: "《排污许可管理条例》第三十条".into(),
    }
}

/// One wave of one configuration.
struct Row {
    kind: Kind,
    n: usize,
    wave: &'static str,
    docs: usize,
    expected: usize,
    failures: usize,
    wall: Duration,
    latencies: Vec<Duration>,
    cpu: Cpu,
}

impl Row {
    fn per_s(&self) -> f64 {
        self.docs as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// What one device did per wave: (synced, error, latencies).
type Waves = Vec<(usize, Option<String>, Vec<Duration>)>;

/// A load device: enrolls (one device at a time: parallel sign-ins of one officer
/// from one address count as failures until each succeeds and trip the lockout,
/// `login_limit`), records `k` inspections, then syncs between barriers per wave.
fn worker(
    url: &str,
    i: usize,
    k: usize,
    gate: &Barrier,
    enrol: &Mutex<()>,
) -> Result<Waves, String> {
    let officer = OFFICERS[i % OFFICERS.len()];
    let setup = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut dev = {
            let _one = enrol.lock().unwrap_or_else(|e| e.into_inner());
            Device::enrolled_at(url, officer)
        };
        dev.sync();
        let ids: Vec<String> = (0..k)
            .map(|j| {
                let id = dev
                    .core
                    .open_ad_hoc(TARGETS[j % TARGETS.len()], "生态环境", &item(), officer)
                    .expect("open ad hoc");
                dev.core.check_in(&id, OFFICERS[0]).expect("check in");
                dev.core.check_in(&id, OFFICERS[1]).expect("check in");
                dev.core
                    .add_finding(
                        &id,
                        &format!("第 {} 号排放口未设置标识牌", j + 1),
                        vec![],
                        officer,
                    )
                    .expect("finding");
                id
            })
            .collect();
        (dev, ids)
    }));
    let mut setup = setup.map_err(|_| format!("device {i}: setup panicked"));
    let mut out = vec![];
    for wave in 0..2 {
        if wave == 1
            && let Ok((dev, ids)) = &mut setup
            && let Some(e) = ids.iter().find_map(|id| {
                dev.core
                    .add_finding(id, "复查：整改尚未完成", vec![], officer)
                    .err()
            })
        {
            setup = Err(format!("device {i}: edit: {e}"));
        }
        gate.wait(); // start
        if let Ok((dev, _)) = &mut setup {
            let (synced, err, meter) = metered_sync(dev);
            out.push((synced, err, meter.latencies));
        }
        gate.wait(); // end
    }
    setup.map(|_| out)
}

fn load_one(kind: Kind, n: usize, k: usize) -> Vec<Row> {
    let t0 = Instant::now();
    let running = Running::start(kind);
    let url = running.url().to_string();
    let gate = Barrier::new(n + 1);
    let enrol = Mutex::new(());
    let postmaster = postmaster_pid();
    let marks = Mutex::new(vec![]);
    let results: Vec<Result<Waves, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (url, gate, enrol) = (&url, &gate, &enrol);
                s.spawn(move || worker(url, i, k, gate, enrol))
            })
            .collect();
        for _ in 0..2 {
            gate.wait();
            let (c0, w0) = (cpu_now(postmaster), Instant::now());
            gate.wait();
            let wall = w0.elapsed();
            let cpu = cpu_now(postmaster) - c0;
            marks.lock().unwrap().push((wall, cpu));
        }
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("device panicked".into())))
            .collect()
    });
    drop(running);
    let marks = marks.into_inner().unwrap();
    let rows = marks
        .iter()
        .enumerate()
        .map(|(w, &(wall, cpu))| {
            let mut row = Row {
                kind,
                n,
                wave: if w == 0 { "new" } else { "edit" },
                docs: 0,
                expected: n * k,
                failures: 0,
                wall,
                latencies: vec![],
                cpu,
            };
            for r in &results {
                match r.as_ref().map(|v| v.get(w)) {
                    Ok(Some((synced, err, lat))) => {
                        row.docs += synced;
                        row.latencies.extend(lat.iter().copied());
                        if let Some(e) = err {
                            row.failures += 1;
                            eprintln!("   {} N={n} wave {w}: {e}", kind.name());
                        }
                    }
                    Ok(None) => row.failures += 1,
                    Err(e) => {
                        row.failures += 1;
                        if w == 0 {
                            eprintln!("   {} N={n}: {e}", kind.name());
                        }
                    }
                }
            }
            row.latencies.sort();
            row
        })
        .collect();
    eprintln!("   {} N={n}: done in {}", kind.name(), dur(t0.elapsed()));
    rows
}

fn load(k: usize) {
    let kinds = [Kind::Sqlite, Kind::Postgres, Kind::PostgresTwo];
    let mut rows = vec![];
    for &n in &DEVICES {
        for kind in kinds {
            rows.extend(load_one(kind, n, k));
        }
    }
    println!("#### Sync under load: SQLite vs PostgreSQL vs two instances");
    println!();
    println!(
        "N devices (threads of the bench process) with {k} new inspections each sync at once (new), then each adds one finding to each and syncs again (edit); a fresh deployment per N and deployment. records/s = records merged / wave wall time; p50/p99 = one HTTP sync exchange as the device sees it; ratios against the SQLite row of the same N and wave (records/s: higher is better; latency: lower is better). CPU: CPU seconds used during the wave by the liuhen-server process(es), the processes of the PostgreSQL cluster, the devices (the bench process) and the rest of the machine (nginx, the kernel, other users); machine busy = all busy CPU / (2 cores x wall)."
    );
    println!();
    println!(
        "| deployment | N | wave | records | wall | records/s | p50 | p99 | vs SQLite records/s | vs SQLite p50 | vs SQLite p99 | CPU servers | CPU PostgreSQL | CPU devices | CPU rest | machine busy |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let base = rows
            .iter()
            .find(|b| b.kind == Kind::Sqlite && b.n == r.n && b.wave == r.wave);
        let (vr, v50, v99) = match base {
            Some(b) => (
                ratio(r.per_s(), b.per_s()),
                ratio(
                    pct(&r.latencies, 0.5).as_secs_f64(),
                    pct(&b.latencies, 0.5).as_secs_f64(),
                ),
                ratio(
                    pct(&r.latencies, 0.99).as_secs_f64(),
                    pct(&b.latencies, 0.99).as_secs_f64(),
                ),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        let fail = if r.failures > 0 {
            format!(" ({} failed)", r.failures)
        } else {
            String::new()
        };
        println!(
            "| {} | {} | {} | {}/{}{} | {} | {:.0} | {} | {} | {} | {} | {} | {:.1} s | {:.1} s | {:.1} s | {:.1} s | {:.0}% |",
            r.kind.name(),
            r.n,
            r.wave,
            r.docs,
            r.expected,
            fail,
            dur(r.wall),
            r.per_s(),
            dur(pct(&r.latencies, 0.5)),
            dur(pct(&r.latencies, 0.99)),
            vr,
            v50,
            v99,
            r.cpu.servers,
            r.cpu.postgres,
            r.cpu.devices,
            (r.cpu.machine - r.cpu.servers - r.cpu.postgres - r.cpu.devices).max(0.0),
            100.0 * r.cpu.machine / (2.0 * r.wall.as_secs_f64().max(1e-9)),
        );
    }
    println!();
    limits(&rows);
    println!();
}

/// One sentence per deployment on what bounded it, from the CPU figures of its waves
/// at the largest N: CPU-bound when the machine was nearly saturated (then the
/// biggest consumer is named), else waiting (commit fsyncs, round trips).
fn limits(rows: &[Row]) {
    let n = DEVICES[DEVICES.len() - 1];
    println!("What limits each, read from the N = {n} waves of this run:");
    println!();
    for kind in [Kind::Sqlite, Kind::Postgres, Kind::PostgresTwo] {
        let waves: Vec<&Row> = rows.iter().filter(|r| r.kind == kind && r.n == n).collect();
        let wall: f64 = waves.iter().map(|r| r.wall.as_secs_f64()).sum();
        let mut c = Cpu::default();
        for r in &waves {
            c.servers += r.cpu.servers;
            c.postgres += r.cpu.postgres;
            c.devices += r.cpu.devices;
            c.machine += r.cpu.machine;
        }
        let rest = (c.machine - c.servers - c.postgres - c.devices).max(0.0);
        let busy = c.machine / (2.0 * wall.max(1e-9));
        let share = |x: f64| 100.0 * x / c.machine.max(1e-9);
        let verdict = if busy >= 0.85 {
            "CPU-bound, the two cores were (nearly) saturated"
        } else {
            "the cores were not saturated: the rest of the wall time went to waiting (commit fsyncs, round trips between processes)"
        };
        println!(
            "- {}: {verdict} ({:.0}% of 2 cores x wall); of the busy CPU, server(s) {:.0}%, PostgreSQL {:.0}%, devices {:.0}%, rest (nginx, kernel, other users of the machine) {:.0}%.",
            kind.name(),
            100.0 * busy,
            share(c.servers),
            share(c.postgres),
            share(c.devices),
            share(rest)
        );
    }
}

// ---- 2. evidence upload -----------------------------------------------------

/// (MiB/s, bytes, time in upload) of `files` audio files of `mib` MiB each uploaded
/// by one device's sync to a server started with `args`.
fn upload_run(args: &[&str], files: usize, mib: usize) -> (f64, u64, Duration, Option<String>) {
    let server = TestServer::start_demo_with(args);
    let mut dev = Device::enrolled_at(&server.base_url, OFFICERS[0]);
    dev.sync();
    let id = dev
        .core
        .open_ad_hoc(TARGETS[0], "生态环境", &item(), OFFICERS[0])
        .expect("open ad hoc");
    dev.core.check_in(&id, OFFICERS[0]).expect("check in");
    dev.core.check_in(&id, OFFICERS[1]).expect("check in");
    // 16,000 bytes per second of 8 kHz 16-bit audio.
    let seconds = (mib * 1024 * 1024 / 16_000).max(1) as u32;
    for f in 0..files {
        let bytes = wav_bytes(seconds, 300.0 + 37.0 * f as f64);
        dev.capture_file(
            &id,
            &bytes,
            EvidenceKind::Audio,
            "audio/wav",
            InspectionStep::Findings,
        );
    }
    let (_, err, meter) = metered_sync(&mut dev);
    let mibs = meter.upload_bytes as f64 / 1048576.0 / meter.upload_time.as_secs_f64().max(1e-9);
    (mibs, meter.upload_bytes, meter.upload_time, err)
}

fn uploads(files: usize, mib: usize) {
    let s3 = format!(
        "{}/{}",
        required_env("LIUHEN_TEST_S3", "scripts/s3.sh").trim_end_matches('/'),
        unique("up")
    );
    let runs = [
        ("local disk (data directory)", upload_run(&[], files, mib)),
        (
            "S3 (Garage, same machine)",
            upload_run(&["--blobs", &s3], files, mib),
        ),
    ];
    println!("#### Evidence upload through tus: local disk vs S3");
    println!();
    println!(
        "One device's sync uploads {files} audio files of {mib} MiB each to one instance (SQLite records); MiB/s = bytes / time inside the tus uploads (client side: create, PATCH pieces, server-side hashing and storing). Ratio against local disk."
    );
    println!();
    println!("| blobs | uploaded | time | MiB/s | vs local |");
    println!("|---|---:|---:|---:|---:|");
    let base = runs[0].1.0;
    for (name, (mibs, bytes, time, err)) in &runs {
        let note = err.as_ref().map(|e| format!(" ({e})")).unwrap_or_default();
        println!(
            "| {name} | {:.1} MiB{note} | {} | {:.1} | {} |",
            *bytes as f64 / 1048576.0,
            dur(*time),
            mibs,
            ratio(*mibs, base)
        );
    }
    println!();
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test --benches`: nothing to check without the services.
        println!(
            "scale bench: run with `scripts/bench-scale.sh` (needs PostgreSQL, Garage, nginx)"
        );
        return;
    }
    let k = env_usize("LIUHEN_SCALE_RECORDS", 20);
    let files = env_usize("LIUHEN_SCALE_BLOBS", 4);
    let mib = env_usize("LIUHEN_SCALE_BLOB_MIB", 8);
    let only: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| matches!(*a, "load" | "uploads"))
        .collect();
    let wants = |w: &str| only.is_empty() || only.contains(&w);
    let t0 = Instant::now();
    eprintln!(
        "scale bench, server {}",
        liuhen_e2e::server_binary().display()
    );
    println!("<!-- md:scale -->");
    if wants("load") {
        load(k);
    }
    if wants("uploads") {
        uploads(files, mib);
    }
    println!("Bench time {}.", dur(t0.elapsed()));
    println!("<!-- /md -->");
}

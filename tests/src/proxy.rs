//! A fault-injecting HTTP/1.1 proxy on loopback, between a simulated device and a
//! [`crate::TestServer`].
//!
//! It reads one request per client connection (request line, headers and a
//! `Content-Length` body, which reqwest always sends for the sync client and tus),
//! forwards it to the server on a fresh connection with `Connection: close`, and
//! answers the client with the server's response, then closes. For each request a
//! [`Plan`] (a script, a seeded random choice, or both) decides a [`Fault`]:
//!
//! - [`Fault::DropResponse`]: the server gets and applies the request, the client
//!   never hears back (the connection closes).
//! - [`Fault::Duplicate`]: the request reaches the server twice; the client gets one
//!   of the two responses.
//! - [`Fault::Delay`]: the response arrives late.
//! - [`Fault::Reorder`]: the response is held until a *later* request has been
//!   answered by the server (so responses reach clients out of order; meaningful
//!   with two devices syncing at once), or at most [`MAX_HOLD`].
//! - [`Fault::Late`]: the client's connection breaks at once, and the request
//!   reaches the server only after a later request was answered (or [`MAX_HOLD`]):
//!   a stale request applied after a newer one.
//! - [`Fault::CutBody`]: only the first bytes of the body reach the server, then both
//!   connections close (an upload cut mid-body).
//!
//! Everything is bounded: socket timeouts, at most [`MAX_CONNECTIONS`] connections
//! at once, and the proxy stops accepting when dropped.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Longest a [`Fault::Reorder`] response or a [`Fault::Late`] request is held.
pub const MAX_HOLD: Duration = Duration::from_millis(1500);

/// Most client connections served at once (others are closed at once).
pub const MAX_CONNECTIONS: usize = 64;

/// Largest request head and body the proxy reads.
const MAX_HEAD: usize = 64 * 1024;
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Socket read/write timeout (both sides).
const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forwarded, answered.
    Pass,
    /// Forwarded and applied; the client's connection closes without an answer.
    DropResponse,
    /// Forwarded twice; the client gets the second answer if `answer_second`.
    Duplicate {
        /// Which of the two answers the client gets.
        answer_second: bool,
    },
    /// Forwarded; the answer is delivered after this long.
    Delay(Duration),
    /// Forwarded; the answer is held until a later request was answered.
    Reorder,
    /// The client's connection closes at once; the request reaches the server
    /// only after a later request was answered.
    Late,
    /// Only the first `after` bytes of the body reach the server (at most the body
    /// length minus one), then both connections close.
    CutBody {
        /// Body bytes forwarded.
        after: usize,
    },
    /// Forwarded with one byte in the middle of the body flipped; answered.
    CorruptBody,
    /// Forwarded; the client gets the first half of the answer, then the
    /// connection closes.
    TruncateResponse,
    /// A gateway answers `status` (e.g. 502) with a small text body; the request
    /// reached the server first if `forwarded`.
    Gateway {
        /// HTTP status of the gateway's answer.
        status: u16,
        /// Whether the server got (and applied) the request.
        forwarded: bool,
    },
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Every request.
    Any,
    /// `POST /api/v1/sync`.
    Sync,
    /// Every tus request (`/api/v1/files...`).
    Files,
    /// tus `PATCH` (the upload bodies).
    Patch,
    /// Sync and tus requests (not enrollment, login or the supervisor API).
    SyncAndFiles,
}

impl Target {
    /// Whether a request is one of these.
    pub fn matches(self, req: &RequestInfo) -> bool {
        let files = req.path.starts_with("/api/v1/files");
        let sync = req.path.starts_with("/api/v1/sync");
        match self {
            Target::Any => true,
            Target::Sync => sync,
            Target::Files => files,
            Target::Patch => files && req.method == "PATCH",
            Target::SyncAndFiles => sync || files,
        }
    }
}

/// A kind of fault for the random plan (its parameters are drawn too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// [`Fault::DropResponse`].
    Drop,
    /// [`Fault::Duplicate`], either answer.
    Duplicate,
    /// [`Fault::Delay`] of 50–500 ms.
    Delay,
    /// [`Fault::Reorder`].
    Reorder,
    /// [`Fault::Late`].
    Late,
    /// [`Fault::CutBody`] at a random point (requests with a body only).
    Cut,
    /// [`Fault::TruncateResponse`].
    Truncate,
    /// [`Fault::Gateway`] with 502, 503 or 504, forwarded or not.
    Gateway,
}

/// The request as the plan sees it.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// 0-based, in order of arrival at the proxy.
    pub index: u64,
    /// `POST`, `PATCH`, ...
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Body bytes.
    pub body_len: usize,
    /// `Upload-Offset` of a tus request.
    pub upload_offset: Option<u64>,
}

/// A small deterministic RNG (SplitMix64): reproducible plans without a crate.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// Random faults: for each request matching `target`, with probability `rate`, one
/// of `kinds` with random parameters.
#[derive(Debug, Clone)]
pub struct RandomFaults {
    rng: SplitMix64,
    target: Target,
    rate: f64,
    kinds: Vec<FaultKind>,
}

/// Decides the fault of each request: the next scripted step if its target
/// matches the request, else (if set) a random fault, else [`Fault::Pass`].
#[derive(Debug, Clone, Default)]
pub struct Plan {
    script: VecDeque<(Target, Fault)>,
    random: Option<RandomFaults>,
}

impl Plan {
    /// Passes everything.
    pub fn pass() -> Plan {
        Plan::default()
    }

    /// A script: each step applies to the next request its target matches;
    /// requests that do not match the step at the front pass.
    pub fn script(steps: impl IntoIterator<Item = (Target, Fault)>) -> Plan {
        Plan {
            script: steps.into_iter().collect(),
            random: None,
        }
    }

    /// Random faults with a seed.
    pub fn random(seed: u64, target: Target, rate: f64, kinds: &[FaultKind]) -> Plan {
        Plan {
            script: VecDeque::new(),
            random: Some(RandomFaults {
                rng: SplitMix64::new(seed),
                target,
                rate,
                kinds: kinds.to_vec(),
            }),
        }
    }

    /// Adds random faults after the script.
    pub fn then_random(
        mut self,
        seed: u64,
        target: Target,
        rate: f64,
        kinds: &[FaultKind],
    ) -> Plan {
        self.random = Plan::random(seed, target, rate, kinds).random;
        self
    }

    /// Scripted steps not used yet.
    pub fn remaining_steps(&self) -> usize {
        self.script.len()
    }

    fn decide(&mut self, req: &RequestInfo) -> Fault {
        if let Some((target, fault)) = self.script.front()
            && target.matches(req)
        {
            let fault = *fault;
            self.script.pop_front();
            return fault;
        }
        let Some(r) = self.random.as_mut() else {
            return Fault::Pass;
        };
        if r.kinds.is_empty() || !r.target.matches(req) || !r.rng.chance(r.rate) {
            return Fault::Pass;
        }
        let kind = r.kinds[r.rng.below(r.kinds.len() as u64) as usize];
        match kind {
            FaultKind::Drop => Fault::DropResponse,
            FaultKind::Duplicate => Fault::Duplicate {
                answer_second: r.rng.chance(0.5),
            },
            FaultKind::Delay => Fault::Delay(Duration::from_millis(50 + r.rng.below(450))),
            FaultKind::Reorder => Fault::Reorder,
            FaultKind::Late => Fault::Late,
            FaultKind::Cut if req.body_len > 0 => Fault::CutBody {
                after: r.rng.below(req.body_len as u64) as usize,
            },
            FaultKind::Cut => Fault::Pass,
            FaultKind::Truncate => Fault::TruncateResponse,
            FaultKind::Gateway => Fault::Gateway {
                status: [502, 503, 504][r.rng.below(3) as usize],
                forwarded: r.rng.chance(0.5),
            },
        }
    }
}

/// What the proxy did with one request.
#[derive(Debug, Clone)]
pub struct Event {
    /// The request.
    pub request: RequestInfo,
    /// The fault applied.
    pub fault: Fault,
    /// Status of the server's (first) answer, if one came (for a gateway error
    /// that was not forwarded: the gateway's).
    pub status: Option<u16>,
    /// Whether the client got an answer.
    pub answered_client: bool,
    /// Whether handling is over.
    pub done: bool,
    /// How long the server took to answer (the first forward), if it did.
    pub server_time: Option<Duration>,
    /// For [`Fault::Reorder`] and [`Fault::Late`]: whether a later request was
    /// answered by the server before this one's answer was delivered (reorder) or
    /// before this request reached the server (late), rather than the hold timing out.
    pub overtaken: bool,
}

#[derive(Debug, Default)]
struct Progress {
    /// Highest request index the server has answered (+1; 0 = none).
    answered_upto: u64,
}

struct Inner {
    upstream: SocketAddr,
    stop: AtomicBool,
    next_index: AtomicU64,
    connections: AtomicUsize,
    plan: Mutex<Plan>,
    events: Mutex<Vec<Event>>,
    events_changed: Condvar,
    progress: Mutex<Progress>,
    progress_changed: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The proxy; stops accepting when dropped.
pub struct FaultProxy {
    /// `http://127.0.0.1:PORT`: give it to a device as its server.
    pub base_url: String,
    addr: SocketAddr,
    inner: Arc<Inner>,
    accept: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl FaultProxy {
    /// A proxy to `upstream_base_url` (`http://127.0.0.1:PORT`) that passes
    /// everything until a plan is set.
    pub fn start(upstream_base_url: &str) -> FaultProxy {
        let host = upstream_base_url
            .trim_start_matches("http://")
            .trim_end_matches('/');
        let upstream: SocketAddr = host.parse().expect("upstream is http://IP:PORT");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let inner = Arc::new(Inner {
            upstream,
            stop: AtomicBool::new(false),
            next_index: AtomicU64::new(0),
            connections: AtomicUsize::new(0),
            plan: Mutex::new(Plan::pass()),
            events: Mutex::new(Vec::new()),
            events_changed: Condvar::new(),
            progress: Mutex::new(Progress::default()),
            progress_changed: Condvar::new(),
        });
        let accept_inner = inner.clone();
        let accept = std::thread::Builder::new()
            .name("fault-proxy-accept".into())
            .spawn(move || accept_loop(listener, accept_inner))
            .expect("spawn proxy");
        FaultProxy {
            base_url: format!("http://{addr}"),
            addr,
            inner,
            accept: Some(accept),
        }
    }

    /// Replaces the plan.
    pub fn set_plan(&self, plan: Plan) {
        *lock(&self.inner.plan) = plan;
    }

    /// Passes everything from now on.
    pub fn pass_all(&self) {
        self.set_plan(Plan::pass());
    }

    /// Scripted steps of the current plan not used yet.
    pub fn remaining_steps(&self) -> usize {
        lock(&self.inner.plan).remaining_steps()
    }

    /// Everything the proxy did so far.
    pub fn events(&self) -> Vec<Event> {
        lock(&self.inner.events).clone()
    }

    /// Events whose fault is not [`Fault::Pass`].
    pub fn faults_injected(&self) -> Vec<Event> {
        self.events()
            .into_iter()
            .filter(|e| e.fault != Fault::Pass)
            .collect()
    }

    /// Waits until `pred` holds for the events so far (true) or `timeout` (false).
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&[Event]) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut events = lock(&self.inner.events);
        loop {
            if pred(&events) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            events = self
                .inner
                .events_changed
                .wait_timeout(events, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Waits (bounded) until no request is being handled.
    pub fn wait_idle(&self, timeout: Duration) -> bool {
        self.wait_for(timeout, |ev| ev.iter().all(|e| e.done))
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.inner.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        self.inner.progress_changed.notify_all();
    }
}

fn accept_loop(listener: TcpListener, inner: Arc<Inner>) {
    for conn in listener.incoming() {
        if inner.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(conn) = conn else { continue };
        if inner.connections.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            inner.connections.fetch_sub(1, Ordering::SeqCst);
            let _ = conn.shutdown(Shutdown::Both);
            continue;
        }
        let worker = inner.clone();
        let spawned = std::thread::Builder::new()
            .name("fault-proxy-conn".into())
            .spawn(move || {
                handle(conn, &worker);
                worker.connections.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            // Out of threads: the connection was closed with the failed closure.
            inner.connections.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// A parsed request.
struct Request {
    info: RequestInfo,
    /// Request line and headers for the server (with `Connection: close`), and the body.
    head: Vec<u8>,
    body: Vec<u8>,
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

fn read_request(conn: &mut TcpStream, index: &AtomicU64) -> Option<Request> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(end) = find_head_end(&buf) {
            break end;
        }
        if buf.len() > MAX_HEAD {
            return None;
        }
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head_text = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head_text.split("\r\n");
    let request_line = lines.next()?.to_string();
    let mut parts = request_line.split(' ');
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut content_length = 0usize;
    let mut upload_offset = None;
    let mut out_head = format!("{request_line}\r\n").into_bytes();
    for line in lines {
        if line.is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let lname = name.trim().to_ascii_lowercase();
        let value = value.trim();
        match lname.as_str() {
            "content-length" => content_length = value.parse().ok()?,
            // Chunked request bodies are not used by the clients under test.
            "transfer-encoding" => return None,
            "connection" | "keep-alive" | "proxy-connection" => continue,
            "upload-offset" => upload_offset = value.parse().ok(),
            _ => {}
        }
        out_head.extend_from_slice(line.as_bytes());
        out_head.extend_from_slice(b"\r\n");
    }
    out_head.extend_from_slice(b"Connection: close\r\n\r\n");
    if content_length > MAX_BODY {
        return None;
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < content_length {
        let n = conn.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(content_length);
    Some(Request {
        info: RequestInfo {
            index: index.fetch_add(1, Ordering::SeqCst),
            method,
            path,
            body_len: content_length,
            upload_offset,
        },
        head: out_head,
        body,
    })
}

fn connect_upstream(inner: &Inner) -> Option<TcpStream> {
    let s = TcpStream::connect_timeout(&inner.upstream, Duration::from_secs(5)).ok()?;
    let _ = s.set_read_timeout(Some(IO_TIMEOUT));
    let _ = s.set_write_timeout(Some(IO_TIMEOUT));
    let _ = s.set_nodelay(true);
    Some(s)
}

/// Sends the request to the server and reads its whole answer (the server closes
/// after it, as asked). `None` if the server is unreachable or the answer broke.
fn forward(inner: &Inner, req: &Request, slot: usize) -> Option<Vec<u8>> {
    let started = Instant::now();
    let mut up = connect_upstream(inner)?;
    up.write_all(&req.head).ok()?;
    up.write_all(&req.body).ok()?;
    up.flush().ok()?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp).ok()?;
    if resp.is_empty() {
        return None;
    }
    let took = started.elapsed();
    record(inner, slot, |e| {
        e.server_time.get_or_insert(took);
    });
    let mut p = lock(&inner.progress);
    p.answered_upto = p.answered_upto.max(req.info.index + 1);
    drop(p);
    inner.progress_changed.notify_all();
    Some(resp)
}

fn status_of(resp: &[u8]) -> Option<u16> {
    let line_end = resp.iter().position(|&b| b == b'\r')?;
    let line = std::str::from_utf8(&resp[..line_end]).ok()?;
    line.split(' ').nth(1)?.parse().ok()
}

/// Waits until a request after `index` was answered by the server (true), or
/// [`MAX_HOLD`] (false).
fn hold_until_later_answered(inner: &Inner, index: u64) -> bool {
    let deadline = Instant::now() + MAX_HOLD;
    let mut p = lock(&inner.progress);
    while p.answered_upto <= index + 1 && !inner.stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        p = inner
            .progress_changed
            .wait_timeout(p, deadline - now)
            .unwrap_or_else(|e| e.into_inner())
            .0;
    }
    p.answered_upto > index + 1
}

fn record(inner: &Inner, slot: usize, f: impl FnOnce(&mut Event)) {
    let mut events = lock(&inner.events);
    if let Some(e) = events.get_mut(slot) {
        f(e);
    }
    drop(events);
    inner.events_changed.notify_all();
}

fn close(conn: &TcpStream) {
    let _ = conn.shutdown(Shutdown::Both);
}

fn handle(mut conn: TcpStream, inner: &Inner) {
    let _ = conn.set_read_timeout(Some(IO_TIMEOUT));
    let _ = conn.set_write_timeout(Some(IO_TIMEOUT));
    let _ = conn.set_nodelay(true);
    let Some(req) = read_request(&mut conn, &inner.next_index) else {
        close(&conn);
        return;
    };
    let fault = lock(&inner.plan).decide(&req.info);
    let slot = {
        let mut events = lock(&inner.events);
        events.push(Event {
            request: req.info.clone(),
            fault,
            status: None,
            answered_client: false,
            done: false,
            server_time: None,
            overtaken: false,
        });
        events.len() - 1
    };
    inner.events_changed.notify_all();

    let answer = |resp: Option<Vec<u8>>, conn: &mut TcpStream| {
        let status = resp.as_deref().and_then(status_of);
        let delivered = match &resp {
            Some(bytes) => conn.write_all(bytes).and_then(|()| conn.flush()).is_ok(),
            None => false,
        };
        close(conn);
        record(inner, slot, |e| {
            e.status = e.status.or(status);
            e.answered_client = delivered;
            e.done = true;
        });
    };

    match fault {
        Fault::Pass => {
            let resp = forward(inner, &req, slot);
            answer(resp, &mut conn);
        }
        Fault::DropResponse => {
            let resp = forward(inner, &req, slot);
            let status = resp.as_deref().and_then(status_of);
            record(inner, slot, |e| e.status = status);
            answer(None, &mut conn);
        }
        Fault::Duplicate { answer_second } => {
            let first = forward(inner, &req, slot);
            let second = forward(inner, &req, slot);
            let status = first.as_deref().and_then(status_of);
            record(inner, slot, |e| e.status = status);
            answer(if answer_second { second } else { first }, &mut conn);
        }
        Fault::Delay(d) => {
            let resp = forward(inner, &req, slot);
            std::thread::sleep(d);
            answer(resp, &mut conn);
        }
        Fault::Reorder => {
            let resp = forward(inner, &req, slot);
            let overtaken = hold_until_later_answered(inner, req.info.index);
            record(inner, slot, |e| e.overtaken = overtaken);
            answer(resp, &mut conn);
        }
        Fault::Late => {
            // The client's connection breaks now; the request arrives later.
            close(&conn);
            let overtaken = hold_until_later_answered(inner, req.info.index);
            let resp = forward(inner, &req, slot);
            let status = resp.as_deref().and_then(status_of);
            record(inner, slot, |e| {
                e.overtaken = overtaken;
                e.status = status;
                e.done = true;
            });
        }
        Fault::CutBody { after } => {
            let after = after.min(req.body.len().saturating_sub(1));
            // Without a body there is nothing to cut: the request never arrives.
            if !req.body.is_empty()
                && let Some(mut up) = connect_upstream(inner)
            {
                let _ = up
                    .write_all(&req.head)
                    .and_then(|()| up.write_all(&req.body[..after]))
                    .and_then(|()| up.flush());
                // Give the server a moment to take in what arrived, then cut.
                std::thread::sleep(Duration::from_millis(50));
                let _ = up.shutdown(Shutdown::Both);
            }
            answer(None, &mut conn);
        }
        Fault::CorruptBody => {
            let mut req = req;
            let mid = req.body.len() / 2;
            if let Some(b) = req.body.get_mut(mid) {
                *b ^= 0x5a;
            }
            let resp = forward(inner, &req, slot);
            answer(resp, &mut conn);
        }
        Fault::TruncateResponse => {
            let resp = forward(inner, &req, slot);
            let status = resp.as_deref().and_then(status_of);
            record(inner, slot, |e| e.status = status);
            answer(
                resp.map(|mut r| {
                    r.truncate(r.len() / 2);
                    r
                }),
                &mut conn,
            );
        }
        Fault::Gateway { status, forwarded } => {
            if forwarded {
                let resp = forward(inner, &req, slot);
                let upstream = resp.as_deref().and_then(status_of);
                record(inner, slot, |e| e.status = upstream);
            }
            let body = format!("gateway error {status}\n");
            let resp = format!(
                "HTTP/1.1 {status} Gateway Error\r\ncontent-type: text/plain\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            answer(Some(resp.into_bytes()), &mut conn);
        }
    }
}

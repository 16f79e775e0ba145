//! What a message just inside the guard's limits costs the server: builds one
//! real message of a given kind, checks it, runs the intake and prints the time
//! and the process's peak RSS. One kind per process, so the peak is its own.
//!
//! `fuzz/target/release/limits_cost text-ops 450000`   one change, N text ops
//! `fuzz/target/release/limits_cost doc-ops 450000`    v2 document, N text ops
//! `fuzz/target/release/limits_cost changes 19000`     N small changes (v1)

use std::process::ExitCode;
use std::time::Instant;

use automerge::sync::{ChunkList, Message, MessageVersion};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, ObjType, ROOT};
use liuhen_fuzz::{fixed_doc, intake, sync_guard};

fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

fn message(changes: Vec<Vec<u8>>, version: MessageVersion) -> Vec<u8> {
    Message {
        heads: Vec::new(),
        need: Vec::new(),
        have: Vec::new(),
        changes: ChunkList::from(changes),
        flags: None,
        version,
    }
    .encode()
}

fn build(kind: &str, n: usize) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut doc = fixed_doc()
        .clone()
        .fork()
        .with_actor(ActorId::from([0xc0; 16]));
    let base = doc.get_heads();
    match kind {
        "text-ops" | "doc-ops" => {
            let text = doc.put_object(ROOT, "long", ObjType::Text)?;
            let s: String = "现场检查记录abcdefghij".chars().cycle().take(n).collect();
            doc.splice_text(&text, 0, 0, &s)?;
            doc.commit_with(CommitOptions::default().with_time(1));
        }
        "changes" => {
            for i in 0..n {
                doc.put(ROOT, "k", i as i64)?;
                doc.commit_with(CommitOptions::default().with_time(i as i64));
            }
        }
        _ => return Err(format!("unknown kind {kind}").into()),
    }
    Ok(if kind == "doc-ops" {
        message(vec![doc.save()], MessageVersion::V2)
    } else {
        let changes = doc
            .get_changes(&base)
            .iter()
            .map(|c| c.raw_bytes().to_vec())
            .collect();
        message(changes, MessageVersion::V1)
    })
}

/// Times each step of the intake on a fork of the fixed document.
fn phases(bytes: &[u8]) {
    use automerge::ReadDoc;
    use automerge::sync::{State, SyncDoc};
    let mut line = Vec::new();
    let mut t = Instant::now();
    let mut lap = |name: &str, t: &mut Instant| {
        line.push(format!(
            "{name} {:.0} ms",
            t.elapsed().as_secs_f64() * 1000.0
        ));
        *t = Instant::now();
    };
    let Ok(msg) = Message::decode(bytes) else {
        return;
    };
    lap("decode", &mut t);
    let mut doc = fixed_doc().clone();
    let before = doc.get_heads();
    let mut fork = doc.fork();
    let mut state = State::new();
    let _ = fork.sync().receive_sync_message(&mut state, msg);
    lap("receive", &mut t);
    let after = fork.get_heads();
    let _ = fork.get_changes(&before).len();
    lap("get_changes", &mut t);
    let _ = fork.diff(&before, &after).len();
    lap("diff", &mut t);
    let saved = fork.save();
    lap("save", &mut t);
    let _ = automerge::AutoCommit::load(&saved).map(|mut d| d.get_heads());
    lap("load", &mut t);
    let _ = fork.fork_at(&before).map(|d| d.length(ROOT));
    lap("fork_at", &mut t);
    doc = fork;
    let _ = doc.sync().generate_sync_message(&mut state);
    lap("reply", &mut t);
    println!("phases: {}", line.join(", "));
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(kind), Some(n)) = (args.next(), args.next().and_then(|n| n.parse().ok())) else {
        eprintln!("usage: limits_cost text-ops|doc-ops|changes N");
        return ExitCode::from(2);
    };
    let bytes = match build(&kind, n) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let built_rss = peak_rss_mib();
    let t = Instant::now();
    let shape = sync_guard::check(&bytes, &sync_guard::Limits::default());
    let guard_ms = t.elapsed().as_secs_f64() * 1000.0;
    println!(
        "{kind} {n}: {} bytes, guard {guard_ms:.1} ms: {shape:?}",
        bytes.len()
    );
    phases(&bytes);
    let t = Instant::now();
    let outcome = intake(&bytes);
    println!(
        "intake {:?} in {:.0} ms; peak RSS {} MiB after building, {} MiB after intake",
        outcome,
        t.elapsed().as_secs_f64() * 1000.0,
        built_rss,
        peak_rss_mib()
    );
    ExitCode::SUCCESS
}

//! Writes the seed corpus of `sync_intake`: real automerge 0.12 sync messages
//! (a device syncing with the fixed document and with an empty server, v1 change
//! lists, v2 whole documents with DEFLATE columns, bloom filters after a first
//! sync, a compressed change chunk) and the hand-made attacks of issue 16.
//! Deterministic (fixed actors and timestamps).
//!
//! `cargo run --release --no-default-features --bin seed_corpus -- corpus/sync_intake`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use automerge::sync::{ChunkList, Message, MessageVersion, State, SyncDoc};
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc};
use liuhen_fuzz::fixed_doc;

/// Collects the messages of one scenario.
struct Corpus {
    dir: PathBuf,
    written: usize,
}

impl Corpus {
    fn write(&mut self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        self.written += 1;
        Ok(())
    }
}

type Res = Result<(), Box<dyn std::error::Error>>;

/// Messages of a sync session: device to server, server to device.
type Sent = (Vec<Vec<u8>>, Vec<Vec<u8>>);

fn commit(doc: &mut AutoCommit, t: i64) {
    doc.commit_with(CommitOptions::default().with_time(t));
}

/// Syncs device and server to quiescence; returns (device→server, server→device).
fn sync(
    device: &mut AutoCommit,
    server: &mut AutoCommit,
) -> Result<Sent, Box<dyn std::error::Error>> {
    let (mut sd, mut ss) = (State::new(), State::new());
    let (mut up, mut down) = (Vec::new(), Vec::new());
    for _ in 0..32 {
        let a = device
            .sync()
            .generate_sync_message(&mut sd)
            .map(|m| m.encode());
        if let Some(bytes) = &a {
            up.push(bytes.clone());
            server
                .sync()
                .receive_sync_message(&mut ss, Message::decode(bytes)?)?;
        }
        let b = server
            .sync()
            .generate_sync_message(&mut ss)
            .map(|m| m.encode());
        if let Some(bytes) = &b {
            down.push(bytes.clone());
            device
                .sync()
                .receive_sync_message(&mut sd, Message::decode(bytes)?)?;
        }
        if a.is_none() && b.is_none() {
            break;
        }
    }
    Ok((up, down))
}

fn save_all(c: &mut Corpus, name: &str, up: &[Vec<u8>], down: &[Vec<u8>]) -> Result<(), String> {
    for (i, m) in up.iter().enumerate() {
        c.write(&format!("{name}-up-{i}"), m)?;
    }
    for (i, m) in down.iter().enumerate() {
        c.write(&format!("{name}-down-{i}"), m)?;
    }
    Ok(())
}

fn device_of(base: &AutoCommit, byte: u8) -> AutoCommit {
    base.clone().fork().with_actor(ActorId::from([byte; 16]))
}

fn scenarios(c: &mut Corpus) -> Res {
    let fixed = fixed_doc();

    // A small edit on a device that has the fixed document.
    let mut device = device_of(fixed, 0xd1);
    let findings = device
        .get(ROOT, "findings")?
        .map(|(_, id)| id)
        .ok_or("findings")?;
    device.splice_text(&findings, 0, 0, "补充：")?;
    device.put(ROOT, "closed_at", 1_700_000_000_i64)?;
    commit(&mut device, 10);
    let mut server = fixed.clone();
    let (up, down) = sync(&mut device, &mut server)?;
    save_all(c, "small-edit", &up, &down)?;

    // Later edits: messages with a bloom filter of the changes since the last sync.
    for t in 0..5 {
        device.splice_text(&findings, 0, 0, "再补充")?;
        device.increment(ROOT, "photos", 1)?;
        commit(&mut device, 20 + t);
    }
    let (up, down) = sync(&mut device, &mut server)?;
    save_all(c, "after-sync", &up, &down)?;

    // Weeks offline: many commits (v1 change lists).
    let mut device = device_of(fixed, 0xd2);
    let team = device.get(ROOT, "team")?.map(|(_, id)| id).ok_or("team")?;
    for t in 0..60 {
        let m = device.insert_object(&team, 0, ObjType::Map)?;
        device.put(&m, "officer_id", format!("o-{t}"))?;
        device.mark(
            &findings,
            automerge::marks::Mark::new("bold".into(), true, 0, 2),
            automerge::marks::ExpandMark::After,
        )?;
        commit(&mut device, 100 + t);
    }
    let mut server = fixed.clone();
    let (up, down) = sync(&mut device, &mut server)?;
    save_all(c, "offline", &up, &down)?;

    // First upload of a new inspection: the server has nothing, the device sends
    // the whole document (v2, DEFLATE columns).
    let mut device = AutoCommit::new().with_actor(ActorId::from([0xd3; 16]));
    device.put(ROOT, "id", "0191a7e0-0000-7000-8000-000000000002")?;
    let text = device.put_object(ROOT, "findings", ObjType::Text)?;
    for t in 0..80 {
        device.splice_text(&text, 0, 0, "现场检查发现安全出口堵塞，已责令整改。")?;
        device.put(ROOT, format!("field{}", t % 10), t)?;
        commit(&mut device, 200 + t);
    }
    let mut server = AutoCommit::new().with_actor(ActorId::from([0x5e; 16]));
    let (up, down) = sync(&mut device, &mut server)?;
    save_all(c, "first-upload", &up, &down)?;

    // Concurrent edits on both sides.
    let mut device = device_of(fixed, 0xd4);
    let mut server = fixed.clone().fork().with_actor(ActorId::from([0x5e; 16]));
    let list = device.get(ROOT, "team")?.map(|(_, id)| id).ok_or("team")?;
    device.delete(&list, 0)?;
    commit(&mut device, 300);
    server.put(ROOT, "status", "closed")?;
    commit(&mut server, 301);
    let (up, down) = sync(&mut device, &mut server)?;
    save_all(c, "concurrent", &up, &down)?;

    // A compressed change chunk (type 2) in a v1 message.
    let mut device = device_of(fixed, 0xd5);
    device.splice_text(&findings, 0, 0, &"长文本".repeat(300))?;
    commit(&mut device, 400);
    let mut change = device
        .get_changes(&fixed.clone().get_heads())
        .into_iter()
        .next()
        .ok_or("change")?
        .clone();
    let compressed = change.bytes().into_owned();
    let msg = Message {
        heads: device.get_heads(),
        need: Vec::new(),
        have: Vec::new(),
        changes: ChunkList::from(vec![compressed]),
        flags: None,
        version: MessageVersion::V1,
    };
    c.write("compressed-change", &msg.encode())?;
    Ok(())
}

fn uleb(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// A v1 message with no heads or need, one `have` with this bloom filter.
fn with_bloom(entries: u64, bits: u64, probes: u64, bit_bytes: usize) -> Vec<u8> {
    let mut filter = uleb(entries);
    filter.extend(uleb(bits));
    filter.extend(uleb(probes));
    filter.extend(vec![0xa5; bit_bytes]);
    let mut out = vec![0x42, 0, 0, 1, 0];
    out.extend(uleb(filter.len() as u64));
    out.extend(filter);
    out.extend([0, 2, 0x02, 0x84]);
    out
}

fn attacks(c: &mut Corpus) -> Res {
    c.write(
        "attack-probes-u32-max",
        &with_bloom(1, 10, u64::from(u32::MAX), 2),
    )?;
    c.write("attack-probes-60m", &with_bloom(1, 10, 60_000_000, 2))?;
    c.write("attack-zero-bits", &with_bloom(5, 0, 7, 0))?;
    c.write("bloom-ok", &with_bloom(10, 10, 7, 13))?;
    // A compressed change chunk that inflates to 8 MiB of zeros.
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut enc, &vec![0u8; 8 << 20])?;
    let bomb = enc.finish()?;
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 2];
    chunk.extend(uleb(bomb.len() as u64));
    chunk.extend(bomb);
    let mut out = vec![0x42, 0, 0, 0, 1];
    out.extend(uleb(chunk.len() as u64));
    out.extend(chunk);
    c.write("attack-zip-bomb", &out)?;
    Ok(())
}

fn run(dir: &Path) -> Res {
    std::fs::create_dir_all(dir)?;
    let mut c = Corpus {
        dir: dir.to_path_buf(),
        written: 0,
    };
    scenarios(&mut c)?;
    attacks(&mut c)?;
    println!("{} seeds written to {}", c.written, dir.display());
    Ok(())
}

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: seed_corpus DIR");
        return ExitCode::from(2);
    };
    match run(Path::new(&dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

//! Stable-toolchain fuzzing of the sync intake, for CI: replays the corpus, then
//! runs random mutations of it (inputs that get past the guard join the pool)
//! until `--runs` inputs or `--seconds` have passed. Any panic is saved to
//! `--artifacts` and makes the exit status 1.
//!
//! `cargo run --release --no-default-features --bin replay -- \
//!     --runs 200000 --seconds 90 --seed 1 corpus/sync_intake`

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use liuhen_fuzz::mutate::{Rng, mutate};
use liuhen_fuzz::{Outcome, intake};

struct Args {
    runs: u64,
    seconds: u64,
    seed: u64,
    max_len: usize,
    artifacts: PathBuf,
    dirs: Vec<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        runs: 100_000,
        seconds: 60,
        seed: 1,
        max_len: 64 * 1024,
        artifacts: PathBuf::from("artifacts/replay"),
        dirs: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--runs" => args.runs = value("--runs")?.parse().map_err(|e| format!("{e}"))?,
            "--seconds" => {
                args.seconds = value("--seconds")?.parse().map_err(|e| format!("{e}"))?
            }
            "--seed" => args.seed = value("--seed")?.parse().map_err(|e| format!("{e}"))?,
            "--max-len" => {
                args.max_len = value("--max-len")?.parse().map_err(|e| format!("{e}"))?
            }
            "--artifacts" => args.artifacts = value("--artifacts")?.into(),
            dir => args.dirs.push(dir.into()),
        }
    }
    if args.dirs.is_empty() {
        return Err("usage: replay [--runs N] [--seconds S] [--seed X] [--max-len L] [--artifacts DIR] CORPUS_DIR...".into());
    }
    Ok(args)
}

fn load(dirs: &[PathBuf]) -> Result<Vec<Vec<u8>>, String> {
    let mut files = Vec::new();
    for d in dirs {
        let entries = std::fs::read_dir(d).map_err(|e| format!("{}: {e}", d.display()))?;
        for e in entries.flatten() {
            if e.path().is_file() {
                files.push(e.path());
            }
        }
    }
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read(f).map_err(|e| format!("{}: {e}", f.display())))
        .collect()
}

/// Peak resident memory of this process (Linux), in MiB.
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut pool = match load(&args.dirs) {
        Ok(c) if !c.is_empty() => c,
        Ok(_) => {
            eprintln!("empty corpus");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let corpus_len = pool.len();
    let mut rng = Rng::new(args.seed);
    let started = Instant::now();
    let budget = Duration::from_secs(args.seconds);
    let mut outcomes: BTreeMap<Outcome, u64> = BTreeMap::new();
    let mut panics = 0u64;
    let mut executed = 0u64;
    let mut slowest = (Duration::ZERO, 0usize);
    while executed < args.runs && started.elapsed() < budget {
        let input = if (executed as usize) < corpus_len {
            pool[executed as usize].clone()
        } else {
            let a = rng.below(pool.len());
            let b = rng.below(pool.len());
            mutate(&mut rng, &pool[a], &pool[b], args.max_len)
        };
        let t = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| intake(&input)));
        let took = t.elapsed();
        if took > slowest.0 {
            slowest = (took, input.len());
        }
        executed += 1;
        match result {
            Ok(outcome) => {
                *outcomes.entry(outcome).or_default() += 1;
                let passed = !matches!(outcome, Outcome::Refused(_));
                if passed && executed as usize > corpus_len && pool.len() < 20_000 {
                    pool.push(input);
                }
            }
            Err(_) => {
                panics += 1;
                let _ = std::fs::create_dir_all(&args.artifacts);
                let path = args
                    .artifacts
                    .join(format!("crash-seed{}-{executed}", args.seed));
                match std::fs::write(&path, &input) {
                    Ok(()) => eprintln!("panic: input saved to {}", path.display()),
                    Err(e) => eprintln!("panic: could not save input: {e}"),
                }
            }
        }
    }
    println!(
        "sync_intake replay: {executed} inputs ({corpus_len} from the corpus) in {:.1} s, {panics} panics, pool {}",
        started.elapsed().as_secs_f64(),
        pool.len()
    );
    println!(
        "slowest input: {:.1} ms ({} bytes); peak RSS: {} MiB",
        slowest.0.as_secs_f64() * 1000.0,
        slowest.1,
        peak_rss_mib().map_or("?".into(), |m| m.to_string())
    );
    for (outcome, n) in &outcomes {
        println!("  {outcome:?}: {n}");
    }
    if panics > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

//! The layer rule of `server/src` (issue 17), checked over the source text:
//!
//! | layer | may import |
//! |---|---|
//! | infrastructure (`state`, `error`, `auth`, `client_addr`, `login_limit`, `security_headers`, `query_limit`, `storage`) | storage |
//! | `services` | infrastructure, storage |
//! | `api` | services, infrastructure, storage |
//! | `pages` | api, services, infrastructure, storage |
//! | `demo` | api, services, infrastructure, storage (not pages) |
//!
//! Nothing imports `pages` (only `lib.rs` mounts its router), so no cycle runs
//! between layers. Exceptions are listed in [`KNOWN`] with their reason; a new
//! import against the rule fails the test.

use std::path::{Path, PathBuf};

/// Imports against the rule that are known and due to go: (file under
/// `server/src`, the path imported, why it is still there).
const KNOWN: &[(&str, &str, &str)] = &[];

/// The layer of a file (its first directory under `src`), or "infra".
fn layer(rel: &str) -> &str {
    match rel.split_once('/') {
        Some((dir, _)) if ["api", "services", "pages", "demo"].contains(&dir) => dir,
        _ => "infra",
    }
}

/// Layers a layer must not import.
fn forbidden(layer: &str) -> &'static [&'static str] {
    match layer {
        "infra" => &[
            "liuhen_server::services",
            "liuhen_server::api",
            "liuhen_server::pages",
            "liuhen_server::demo",
        ],
        "services" => &[
            "liuhen_server::api",
            "liuhen_server::pages",
            "liuhen_server::demo",
        ],
        "api" => &["liuhen_server::pages", "liuhen_server::demo"],
        "pages" => &["liuhen_server::demo"],
        "demo" => &["liuhen_server::pages"],
        _ => &[],
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read server/src") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_layer_imports_a_layer_above_it_and_nothing_imports_pages() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rust_files(&src, &mut files);
    let mut found = vec![];
    for file in files {
        let rel = file
            .strip_prefix(&src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "lib.rs" || rel == "main.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read a source file");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for bad in forbidden(layer(&rel)) {
                let Some(at) = code.find(bad) else { continue };
                let tail = &code[at..];
                let known = KNOWN
                    .iter()
                    .any(|(f, path, _)| *f == rel && tail.starts_with(path));
                if !known {
                    found.push(format!("{rel}:{}: {}", n + 1, code));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "imports against the layer rule (see server/tests/it/unit/layers.rs):\n{}",
        found.join("\n")
    );
}

//! The generator binary runs. Having an integration test also makes
//! `cargo test --workspace` build the real `uniffi-bindgen` binary with the
//! workspace's one feature set, so `scripts/native-build.sh` runs that binary instead
//! of compiling uniffi a second time under other features (issue 17).

use std::process::Command;

#[test]
fn the_generator_answers_with_its_usage() {
    let out = Command::new(env!("CARGO_BIN_EXE_uniffi-bindgen"))
        .arg("--help")
        .output()
        .expect("run uniffi-bindgen");
    assert!(out.status.success(), "{out:?}");
    let usage = String::from_utf8_lossy(&out.stdout);
    assert!(usage.contains("generate"), "{usage}");
}

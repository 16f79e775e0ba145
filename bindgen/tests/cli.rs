//! The generator starts and offers `generate`. Having a test also makes
//! `cargo test --workspace` build `target/<profile>/uniffi-bindgen` with the
//! workspace's features, so the mobile scripts can run that binary and compile
//! nothing more.

use std::process::Command;

#[test]
fn the_generator_runs_and_offers_generate() {
    let out = Command::new(env!("CARGO_BIN_EXE_uniffi-bindgen"))
        .arg("--help")
        .output()
        .expect("run uniffi-bindgen");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("generate"), "{text}");
}

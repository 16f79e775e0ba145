//! Generates the Kotlin and Swift bindings from the built library:
//! `cargo run -p uniffi-bindgen -- generate --library target/debug/libliuhen_ffi.so
//! --language kotlin --out-dir out/` (settings from `bindings/uniffi.toml`).
//!
//! Its own crate, not a binary of liuhen-ffi behind a feature, so the ffi crate is
//! built with one feature set only (issue 17).

fn main() {
    uniffi::uniffi_bindgen_main()
}

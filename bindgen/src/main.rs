//! Generates the Kotlin and Swift bindings from the built library:
//! `cargo run -p liuhen-ffi --features bindgen --bin uniffi-bindgen -- generate
//! --library target/debug/libliuhen_ffi.so --language kotlin --out-dir out/`.

fn main() {
    uniffi::uniffi_bindgen_main()
}

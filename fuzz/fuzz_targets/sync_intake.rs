//! libFuzzer target: one device sync message through the server's intake
//! (guard, decode, receive on a fork, reply). `cargo +nightly fuzz run sync_intake`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = liuhen_fuzz::intake(data);
});

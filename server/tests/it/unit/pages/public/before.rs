//! Tests of `server/src/pages/public/before.rs`.

use liuhen_server::pages::public::before::*;

#[test]
fn ratios_read_as_percent() {
    assert_eq!(percent(500), "5%");
    assert_eq!(percent(1250), "12.5%");
    assert_eq!(percent(10_000), "100%");
}

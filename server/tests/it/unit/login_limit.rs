//! Tests of `server/src/login_limit.rs`.

use liuhen_server::client_addr::ClientAddr;
use liuhen_server::login_limit::*;

fn client(s: &str) -> ClientAddr {
    ClientAddr(s.parse().unwrap())
}

#[test]
fn each_address_has_its_own_bucket() {
    let rate = AddressRate::new(1, 3);
    let a = client("127.0.0.1");
    for _ in 0..3 {
        rate.check(&a).unwrap();
    }
    let e = rate.check(&a).unwrap_err();
    assert_eq!(e.code(), "too_many_requests");
    assert!(
        e.user_message().contains("分钟后再试"),
        "{}",
        e.user_message()
    );
    rate.check(&client("127.0.0.2")).unwrap();
    // The same IPv6 /64 shares one bucket.
    let rate = AddressRate::new(1, 1);
    rate.check(&client("2001:db8::1")).unwrap();
    assert!(rate.check(&client("2001:db8::2")).is_err());
}

#[test]
fn zero_per_minute_turns_the_limit_off() {
    let rate = AddressRate::new(0, 1);
    for _ in 0..100 {
        rate.check(&client("127.0.0.1")).unwrap();
    }
}

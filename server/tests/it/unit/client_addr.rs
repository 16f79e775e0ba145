//! Tests of `server/src/client_addr.rs`.

use axum::http::HeaderValue;
use proptest::prelude::*;

use axum::http::HeaderMap;
use liuhen_server::client_addr::*;
use std::net::{IpAddr, Ipv4Addr};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn xff(values: &[&str]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for v in values {
        h.append(FORWARDED_FOR, HeaderValue::from_str(v).unwrap());
    }
    h
}

#[test]
fn the_header_is_ignored_unless_the_peer_is_a_trusted_proxy() {
    let none = TrustedProxies::default();
    let h = xff(&["198.51.100.1"]);
    assert_eq!(resolve(ip("203.0.113.9"), &h, &none), ip("203.0.113.9"));
    let lb = TrustedProxies::parse(&["10.0.0.0/24"]).unwrap();
    assert_eq!(resolve(ip("203.0.113.9"), &h, &lb), ip("203.0.113.9"));
    assert_eq!(resolve(ip("10.0.0.7"), &h, &lb), ip("198.51.100.1"));
}

#[test]
fn the_client_is_the_rightmost_untrusted_hop() {
    let lb = TrustedProxies::parse(&["10.0.0.0/24", "192.0.2.1"]).unwrap();
    // The client sent a made-up header; the proxies appended the real hops.
    let h = xff(&["1.1.1.1, 198.51.100.1", "192.0.2.1"]);
    assert_eq!(resolve(ip("10.0.0.7"), &h, &lb), ip("198.51.100.1"));
    // Ports and IPv4-mapped IPv6 are understood.
    let h = xff(&["[::ffff:198.51.100.2]:4711"]);
    assert_eq!(resolve(ip("10.0.0.7"), &h, &lb), ip("198.51.100.2"));
    // No header, or garbage: the proxy itself (the last good hop).
    assert_eq!(resolve(ip("10.0.0.7"), &xff(&[]), &lb), ip("10.0.0.7"));
    let h = xff(&["198.51.100.1, unknown"]);
    assert_eq!(resolve(ip("10.0.0.7"), &h, &lb), ip("10.0.0.7"));
    // Only trusted hops: the leftmost of them.
    let h = xff(&["10.0.0.3"]);
    assert_eq!(resolve(ip("10.0.0.7"), &h, &lb), ip("10.0.0.3"));
}

#[test]
fn bad_proxies_are_refused_and_single_addresses_accepted() {
    assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
    assert!(TrustedProxies::parse(&["proxy.example"]).is_err());
    let t = TrustedProxies::parse(&["::1", "127.0.0.1"]).unwrap();
    assert!(t.contains(ip("127.0.0.1")) && t.contains(ip("::1")));
    assert!(t.contains(ip("::ffff:127.0.0.1")));
    assert!(!t.contains(ip("127.0.0.2")));
}

#[test]
fn ipv6_clients_are_limited_per_64() {
    let a = ClientAddr(ip("2001:db8:1:2:aaaa::1"));
    let b = ClientAddr(ip("2001:db8:1:2:bbbb::9"));
    assert_eq!(a.limit_key(), b.limit_key());
    assert_eq!(a.limit_text(), "2001:db8:1:2::/64");
    assert_eq!(ClientAddr(ip("::ffff:127.0.0.2")).limit_text(), "127.0.0.2");
}

proptest! {
    /// Whatever a client puts in the header, an untrusted peer stays the
    /// client; behind a trusted proxy the answer is the proxy or one of the
    /// header's entries.
    #[test]
    fn forged_headers_never_move_an_untrusted_peer(
        header in "[0-9a-f.:, \\[\\]]{0,60}|10\\.0\\.0\\.[0-9], ?1\\.2\\.3\\.[0-9]",
        last in prop_oneof![any::<[u8; 4]>(), Just([10, 0, 0, 1])],
    ) {
        let lb = TrustedProxies::parse(&["10.0.0.0/8"]).unwrap();
        let Ok(v) = HeaderValue::from_str(&header) else { return Ok(()) };
        let mut h = HeaderMap::new();
        h.append(FORWARDED_FOR, v);
        let peer = IpAddr::V4(Ipv4Addr::from(last));
        let got = resolve(peer, &h, &lb);
        if !lb.contains(peer) {
            prop_assert_eq!(got, peer);
        } else if got != peer {
            let entries: Vec<IpAddr> = header.split(',').filter_map(|h| parse_hop(h.trim())).collect();
            prop_assert!(entries.contains(&got), "{got} not in {header}");
        }
    }
}

//! The client's address of a request, for the sign-in limits and the access log
//! (R-REC-7).
//!
//! By default it is the TCP peer. Behind a load balancer or reverse proxy every
//! peer is the proxy, so `serve --trusted-proxy CIDR` names the proxies whose
//! `X-Forwarded-For` is believed: when the peer is one of them, the header is
//! read from the right, skipping trusted hops, and the first other address is the
//! client. From any other peer the header is ignored (anyone can send it).
//! [`resolve_layer`] works this out once per request and stores [`ClientAddr`].

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::str::FromStr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use ipnet::IpNet;

use crate::state::AppState;

/// Header a proxy appends the address of its own peer to.
pub const FORWARDED_FOR: &str = "x-forwarded-for";

/// The proxies whose `X-Forwarded-For` is believed (empty: none, the default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(pub Vec<IpNet>);

/// A `--trusted-proxy` value that is neither an address nor a CIDR block.
#[derive(Debug, thiserror::Error)]
#[error("可信代理地址 “{0}” 无效：应为 IP 地址（如 10.0.0.5）或网段（如 10.0.0.0/24）")]
pub struct BadProxy(pub String);

impl TrustedProxies {
    /// Parses addresses (`10.0.0.5`, `::1`) and CIDR blocks (`10.0.0.0/24`).
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<TrustedProxies, BadProxy> {
        items
            .iter()
            .map(|s| {
                let s = s.as_ref().trim();
                IpNet::from_str(s)
                    .or_else(|_| IpAddr::from_str(s).map(IpNet::from))
                    .map(|n| n.trunc())
                    .map_err(|_| BadProxy(s.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    /// Whether `ip` is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|n| n.contains(&ip))
    }
}

/// The client's address as resolved by [`resolve_layer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The key the sign-in limits count under: an IPv4 address as is, an IPv6
    /// address as its /64 network (one subscriber usually holds a whole /64).
    pub fn limit_key(&self) -> IpAddr {
        match self.0.to_canonical() {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(bits))
            }
        }
    }

    /// [`ClientAddr::limit_key`] as stored text (`203.0.113.7`, `2001:db8::/64`).
    pub fn limit_text(&self) -> String {
        match self.limit_key() {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("{v6}/64"),
        }
    }
}

/// Works out the client's address from the TCP peer and, when the peer is a
/// trusted proxy, `X-Forwarded-For` (see the module documentation).
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let hops: Vec<&str> = headers
        .get_all(FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            // Garbage where an address should be: stop at the last good hop.
            break;
        };
        client = ip;
        if !trusted.contains(ip) {
            break;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5`,
/// `[2001:db8::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = IpAddr::from_str(hop) {
        return Some(ip.to_canonical());
    }
    SocketAddr::from_str(hop)
        .ok()
        .map(|s| s.ip().to_canonical())
}

/// Middleware: stores the request's [`ClientAddr`] (needs the connect info that
/// [`crate::serve`] provides; without it, as in in-process tests, nothing is
/// stored and the extractor answers `0.0.0.0`).
pub async fn resolve_layer(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let client = resolve(peer, req.headers(), &st.security.trusted_proxies);
        req.extensions_mut().insert(ClientAddr(client));
    }
    next.run(req).await
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(parts
            .extensions
            .get::<ClientAddr>()
            .copied()
            .unwrap_or(ClientAddr(IpAddr::V4(Ipv4Addr::UNSPECIFIED))))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;
    use proptest::prelude::*;

    use super::*;

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
}

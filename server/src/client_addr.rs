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
pub fn parse_hop(hop: &str) -> Option<IpAddr> {
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

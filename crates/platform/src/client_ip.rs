//! Who sent a request: the TCP peer, or — behind proxies tandem is told to trust — the
//! address those proxies recorded in `X-Forwarded-For`.
//!
//! Each proxy *appends* the address it received the request from, so only the right end
//! of the header is written by machines tandem trusts; everything to the left of them was
//! sent by the client and can say anything. The client's address is therefore read from
//! the right: the entry `server.forwarded_hops` places from the end, or the first entry
//! from the right that is not one of `server.trusted_proxies`. Never the left-most entry,
//! which is the one a client forges.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use serde::Deserialize;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The address of the client that sent a request, as [`ClientIpPolicy`] resolved it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientIp>()
            .copied()
            .unwrap_or(ClientIp(IpAddr::from([0, 0, 0, 0]))))
    }
}

/// A network whose addresses are proxies of this deployment: `10.0.0.0/8`, `::1/128`, or
/// a single address (`192.0.2.7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNet(ipnet::IpNet);

impl ProxyNet {
    /// Whether `ip` is in this network.
    pub fn contains(&self, ip: &IpAddr) -> bool {
        self.0.contains(ip)
    }
}

impl std::str::FromStr for ProxyNet {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        raw.parse::<ipnet::IpNet>()
            .or_else(|_| raw.parse::<IpAddr>().map(ipnet::IpNet::from))
            .map(ProxyNet)
            .map_err(|_| format!("`{raw}` is not an IP address or a network like 10.0.0.0/8"))
    }
}

impl<'de> Deserialize<'de> for ProxyNet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        raw.parse().map_err(serde::de::Error::custom)
    }
}

/// How to find the client's address, from `[server]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientIpPolicy {
    /// Proxies in front of tandem that each append to `X-Forwarded-For`; 0 ignores it.
    pub hops: usize,
    /// Proxy networks; when set, these win over `hops`.
    pub trusted: Vec<ProxyNet>,
}

impl ClientIpPolicy {
    /// The policy `[server]` describes. `trust_forwarded_for = true`, the older setting,
    /// means one proxy.
    pub fn from_config(config: &crate::config::ServerConfig) -> Self {
        let hops = match (config.forwarded_hops, config.trust_forwarded_for) {
            (0, true) => 1,
            (hops, _) => hops,
        };
        Self {
            hops,
            trusted: config.trusted_proxies.clone(),
        }
    }

    fn is_trusted(&self, ip: &IpAddr) -> bool {
        self.trusted.iter().any(|net| net.contains(ip))
    }

    /// The client's address for a request from `peer` carrying `headers`.
    pub fn resolve(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if self.trusted.is_empty() && self.hops == 0 {
            return peer;
        }
        let chain = forwarded_for(headers);
        if !self.trusted.is_empty() {
            if !self.is_trusted(&peer) {
                return peer;
            }
            // Right to left, past every proxy of ours. An entry that does not parse was
            // written by the client or by a broken proxy: stop at the last address a
            // trusted machine vouched for.
            let mut client = peer;
            for entry in chain.iter().rev() {
                match entry {
                    Some(ip) if self.is_trusted(ip) => client = *ip,
                    Some(ip) => return *ip,
                    None => return client,
                }
            }
            return client;
        }
        // Fewer entries than proxies: the request did not come through all of them.
        if chain.len() < self.hops {
            return peer;
        }
        chain[chain.len() - self.hops].unwrap_or(peer)
    }
}

/// Every `X-Forwarded-For` entry in order (several headers count as one list), each parsed
/// into an address if it is one: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or
/// `[2001:db8::1]:4711`.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|value| {
            value
                .to_str()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .map(parse_entry)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn parse_entry(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .and_then(|e| e.parse().ok())
        })
}

/// Middleware storing the request's [`ClientIp`] in its extensions.
pub async fn resolve(
    State(policy): State<Arc<ClientIpPolicy>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let ip = policy.resolve(peer, request.headers());
        request.extensions_mut().insert(ClientIp(ip));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append("x-forwarded-for", v.parse().unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    const PEER: &str = "10.0.0.2";

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let policy = ClientIpPolicy::default();
        assert_eq!(
            policy.resolve(ip(PEER), &headers(&["203.0.113.9"])),
            ip(PEER)
        );
    }

    #[test]
    fn one_hop_takes_the_right_most_entry_not_the_spoofed_left_one() {
        let policy = ClientIpPolicy {
            hops: 1,
            trusted: vec![],
        };
        // The client sent `X-Forwarded-For: 6.6.6.6`; nginx appended the real address.
        let spoofed = headers(&["6.6.6.6, 198.51.100.7"]);
        assert_eq!(policy.resolve(ip(PEER), &spoofed), ip("198.51.100.7"));
        assert_eq!(policy.resolve(ip(PEER), &headers(&[])), ip(PEER));
    }

    #[test]
    fn two_hops_skip_the_inner_proxy_and_multiple_headers_are_one_list() {
        let policy = ClientIpPolicy {
            hops: 2,
            trusted: vec![],
        };
        let chain = headers(&["6.6.6.6", "198.51.100.7, 10.0.0.9"]);
        assert_eq!(policy.resolve(ip(PEER), &chain), ip("198.51.100.7"));
        // Only one entry, with two proxies configured: it bypassed the outer proxy.
        assert_eq!(policy.resolve(ip(PEER), &headers(&["6.6.6.6"])), ip(PEER));
    }

    #[test]
    fn trusted_networks_are_skipped_from_the_right() {
        let policy = ClientIpPolicy {
            hops: 0,
            trusted: vec!["10.0.0.0/8".parse().unwrap(), "192.0.2.1".parse().unwrap()],
        };
        let chain = headers(&["6.6.6.6, [2001:db8::5]:4711, 192.0.2.1, 10.1.2.3"]);
        assert_eq!(policy.resolve(ip(PEER), &chain), ip("2001:db8::5"));
        // A peer outside the trusted networks is the client, whatever it claims.
        assert_eq!(
            policy.resolve(ip("198.51.100.1"), &chain),
            ip("198.51.100.1")
        );
        // Garbage stops the walk at the last address a trusted proxy vouched for.
        let garbage = headers(&["198.51.100.7, not-an-ip, 10.1.2.3"]);
        assert_eq!(policy.resolve(ip(PEER), &garbage), ip("10.1.2.3"));
    }

    #[test]
    fn proxy_networks_parse_from_addresses_and_cidrs() {
        assert!("10.0.0.0/8".parse::<ProxyNet>().is_ok());
        assert!("::1".parse::<ProxyNet>().is_ok());
        assert!("10.0.0.0/99".parse::<ProxyNet>().is_err());
        assert!("proxy.internal".parse::<ProxyNet>().is_err());
    }
}

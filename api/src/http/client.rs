//! Who is on the other end of a connection, for rate limits and logs.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The client's IP address: the peer's, unless the peer is a trusted proxy,
/// in which case the nearest untrusted address of `X-Forwarded-For` (read
/// from the right: each proxy appends the address it saw). A forwarded
/// header from anyone else is ignored, so a client cannot pick its own
/// bucket.
pub fn address(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse().ok())
        .collect();
    let nearest_untrusted = forwarded.iter().rev().find(|ip| !is_trusted(ip));
    Some(nearest_untrusted.or(forwarded.first()).copied().unwrap_or(peer))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn request(peer: &str, forwarded: Option<&str>) -> HttpRequest {
        let mut req = TestRequest::default().peer_addr(format!("{peer}:4000").parse().expect("socket address"));
        if let Some(f) = forwarded {
            req = req.insert_header(("x-forwarded-for", f));
        }
        req.to_http_request()
    }

    #[test]
    fn forwarded_addresses_count_only_behind_trusted_proxies() {
        let proxies: Vec<IpNet> = vec!["10.0.0.0/8".parse().expect("cidr")];
        let client = |peer, fwd| address(&request(peer, fwd), &proxies).map(|ip| ip.to_string());
        assert_eq!(client("203.0.113.9", Some("1.2.3.4")).as_deref(), Some("203.0.113.9"));
        assert_eq!(client("10.0.0.5", Some("1.2.3.4")).as_deref(), Some("1.2.3.4"));
        // A client's own forged entry sits left of what the proxies saw.
        assert_eq!(
            client("10.0.0.5", Some("6.6.6.6, 1.2.3.4, 10.0.0.7")).as_deref(),
            Some("1.2.3.4")
        );
        assert_eq!(client("10.0.0.5", None).as_deref(), Some("10.0.0.5"));
    }
}

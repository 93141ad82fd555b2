//! Which hosts a URL may name. A target on loopback or a private network (a developer's own
//! server, the scenario mocks) may point anywhere; a public target may not point the client at
//! loopback or private addresses, or a hostile server could make `check` fetch the operator's
//! own services and copy the answers into a report that is then published.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Where the target (the URL the user gave) lives, which decides what other URLs may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AddressPolicy {
    /// No target known, or a target on loopback or a private network: anything goes.
    #[default]
    Open,
    /// A public target: URLs naming loopback, private or link-local hosts are refused.
    PublicTarget,
}

impl AddressPolicy {
    /// The policy for a target URL, judged by its host as written.
    pub fn for_target(target: &str) -> Self {
        match Url::parse(target) {
            Ok(url) if is_private_host(&url) => Self::Open,
            Ok(_) => Self::PublicTarget,
            // An unparsable target is refused elsewhere; nothing to protect here.
            Err(_) => Self::Open,
        }
    }

    /// Whether this policy refuses a request to `url`.
    pub fn refuses(self, url: &Url) -> bool {
        self == Self::PublicTarget && is_private_host(url)
    }
}

/// A host name or address that means this machine or a private network: `localhost` (and
/// `*.localhost`, RFC 6761), loopback, RFC 1918 / RFC 4193 private, link-local (cloud metadata
/// services live there), unspecified and CGNAT shared addresses. Names are judged as written;
/// what a public name resolves to is not checked.
pub fn is_private_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => is_private_v4(ip),
        Some(Host::Ipv6(ip)) => is_private_v6(ip),
        None => false,
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || (a == 100 && (64..128).contains(&b))
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_private_v4(v4);
    }
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
}

/// Whether an address is loopback, for the plain-http rule.
pub fn is_loopback_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn private_hosts_are_recognised() {
        for private in [
            "http://localhost:1/",
            "http://a.localhost/",
            "http://127.0.0.1/",
            "http://127.8.9.1/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(is_private_host(&url(private)), "{private}");
        }
        for public in [
            "https://mcp.example.com/",
            "https://8.8.8.8/",
            "https://[2001:db8::1]/",
            "https://172.32.0.1/",
            "https://localhost.example.com/",
        ] {
            assert!(!is_private_host(&url(public)), "{public}");
        }
    }

    #[test]
    fn only_a_public_target_refuses_private_urls() {
        let public = AddressPolicy::for_target("https://mcp.vendor.example/mcp");
        assert_eq!(public, AddressPolicy::PublicTarget);
        assert!(public.refuses(&url("http://127.0.0.1:8080/admin")));
        assert!(!public.refuses(&url("https://auth.vendor.example/")));
        let local = AddressPolicy::for_target("http://127.0.0.1:9000/mcp");
        assert_eq!(local, AddressPolicy::Open);
        assert!(!local.refuses(&url("http://127.0.0.1:8080/admin")));
        assert!(
            !AddressPolicy::for_target("http://10.0.0.5/mcp").refuses(&url("http://127.0.0.1/"))
        );
    }
}

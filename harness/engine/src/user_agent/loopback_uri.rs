//! A callback URI chosen exactly (`--redirect-uri`): host, port and path. Only loopback hosts
//! are accepted (RFC 8252 §7.3): the listener that receives the code runs on this machine, and a
//! code sent anywhere else would leave it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// The three spellings of this machine a native app's redirect URI may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopbackHost {
    Ipv4,
    Localhost,
    Ipv6,
}

impl LoopbackHost {
    pub fn as_str(self) -> &'static str {
        match self {
            LoopbackHost::Ipv4 => "127.0.0.1",
            LoopbackHost::Localhost => "localhost",
            LoopbackHost::Ipv6 => "[::1]",
        }
    }

    /// Where the listener binds: `localhost` is served on 127.0.0.1, which every resolver
    /// maps it to (browsers fall back to it when `::1` refuses).
    pub fn bind_address(self) -> IpAddr {
        match self {
            LoopbackHost::Ipv4 | LoopbackHost::Localhost => IpAddr::V4(Ipv4Addr::LOCALHOST),
            LoopbackHost::Ipv6 => IpAddr::V6(Ipv6Addr::LOCALHOST),
        }
    }
}

/// A loopback callback: `http://HOST:PORT/PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoopbackUri {
    pub host: LoopbackHost,
    pub port: u16,
    pub path: String,
}

impl LoopbackUri {
    pub fn to_uri(&self) -> String {
        format!("http://{}:{}{}", self.host.as_str(), self.port, self.path)
    }
}

/// Reads a redirect URI the user chose, refusing what the loopback listener cannot serve.
pub fn parse(uri: &str) -> Result<LoopbackUri, String> {
    let url = Url::parse(uri).map_err(|e| format!("{uri:?} is not an absolute URL: {e}"))?;
    if url.scheme() != "http" {
        return Err(format!(
            "{uri:?}: a loopback callback is plain http (RFC 8252 §7.3); the listener has no certificate for {}",
            url.scheme()
        ));
    }
    let host = match url.host() {
        Some(Host::Ipv4(ip)) if ip == Ipv4Addr::LOCALHOST => LoopbackHost::Ipv4,
        Some(Host::Ipv6(ip)) if ip == Ipv6Addr::LOCALHOST => LoopbackHost::Ipv6,
        Some(Host::Domain(name)) if name.eq_ignore_ascii_case("localhost") => {
            LoopbackHost::Localhost
        }
        _ => {
            return Err(format!(
                "{uri:?}: the callback must be on this machine (127.0.0.1, localhost or [::1]), not {}: the authorization code would be sent elsewhere",
                url.host_str().unwrap_or("(no host)")
            ));
        }
    };
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!(
            "{uri:?}: a callback URI carries no query, fragment or user name"
        ));
    }
    let path = url.path().to_owned();
    if path.contains(['*', '{', '}', ':']) {
        return Err(format!(
            "{uri:?}: the callback path must not contain '*', '{{', '}}' or ':'"
        ));
    }
    Ok(LoopbackUri {
        host,
        port: url.port_or_known_default().unwrap_or(80),
        path,
    })
}

/// The same callback with the other common loopback spelling (localhost ↔ 127.0.0.1), for an
/// authorization server that accepts only one of them.
pub fn other_loopback_form(uri: &str) -> Option<String> {
    let mut parsed = parse(uri).ok()?;
    parsed.host = match parsed.host {
        LoopbackHost::Ipv4 => LoopbackHost::Localhost,
        LoopbackHost::Localhost => LoopbackHost::Ipv4,
        LoopbackHost::Ipv6 => return None,
    };
    Some(parsed.to_uri())
}

/// The sentence a refusal of the redirect URI ends with, naming the other loopback form.
pub fn other_form_advice(uri: &str) -> String {
    match other_loopback_form(uri) {
        Some(other) => format!(
            " Some authorization servers accept only one loopback spelling: if this one refuses {uri}, connect with --redirect-uri {other}."
        ),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_uris_are_read_exactly() {
        let uri = parse("http://localhost:8080/oauth/callback").unwrap();
        assert_eq!(uri.host, LoopbackHost::Localhost);
        assert_eq!(uri.port, 8080);
        assert_eq!(uri.path, "/oauth/callback");
        assert_eq!(uri.to_uri(), "http://localhost:8080/oauth/callback");
        assert_eq!(parse("http://127.0.0.1/cb").unwrap().port, 80);
        assert_eq!(
            parse("http://[::1]:9/cb").unwrap().to_uri(),
            "http://[::1]:9/cb"
        );
    }

    #[test]
    fn other_hosts_and_shapes_are_refused_with_the_reason() {
        let error = parse("http://example.com:8080/callback").unwrap_err();
        assert!(error.contains("must be on this machine"), "{error}");
        assert!(error.contains("example.com"), "{error}");
        assert!(parse("http://10.0.0.1/cb").is_err());
        assert!(
            parse("https://localhost/cb")
                .unwrap_err()
                .contains("plain http")
        );
        assert!(parse("http://localhost/cb?x=1").is_err());
        assert!(parse("http://localhost/cb#f").is_err());
        assert!(parse("http://localhost/a*b").is_err());
        // Braces arrive percent-encoded, which the router reads as plain text.
        assert_eq!(parse("http://localhost/{x}").unwrap().path, "/%7Bx%7D");
        assert!(parse("callback").is_err());
    }

    #[test]
    fn the_other_form_swaps_localhost_and_127_0_0_1() {
        assert_eq!(
            other_loopback_form("http://127.0.0.1:33418/callback").as_deref(),
            Some("http://localhost:33418/callback")
        );
        assert_eq!(
            other_loopback_form("http://localhost:33418/callback").as_deref(),
            Some("http://127.0.0.1:33418/callback")
        );
        assert_eq!(other_loopback_form("http://[::1]:1/cb"), None);
        assert!(
            other_form_advice("http://127.0.0.1:1/cb")
                .contains("--redirect-uri http://localhost:1/cb")
        );
    }
}

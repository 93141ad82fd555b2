//! Properties of URL canonicalization and of the well-known URLs built from a pasted URL or an
//! issuer (RFC 9728 §3.1, RFC 8414 §3.1, OpenID Connect Discovery), for any URL.

use mcp_oauth_harness::flow::discovery::{
    ResourceMatch, auth_server_metadata_locations, auth_server_metadata_urls, canonical_resource,
    compare_resource, protected_resource_metadata_urls,
};
use proptest::prelude::*;
use url::Url;

fn segment() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9._~-]{1,10}"
}

/// An http(s) URL with an optional port, path, query and fragment.
fn any_url() -> impl Strategy<Value = Url> {
    (
        prop::sample::select(vec!["http", "https", "HTTPS"]),
        // No "--" in a label: "xn--" starts a punycode label, which must then decode.
        "[a-zA-Z][a-zA-Z0-9]{0,5}(-[a-zA-Z0-9]{1,5})?(\\.[a-zA-Z]{2,5}){0,2}",
        prop::option::of(1u16..),
        prop::collection::vec(segment(), 0..4),
        any::<bool>(),
        prop::option::of("[a-z]{1,5}=[a-z0-9]{0,5}"),
        prop::option::of("[a-z0-9]{0,8}"),
    )
        .prop_map(|(scheme, host, port, segments, slash, query, fragment)| {
            let mut text = format!("{scheme}://{host}");
            if let Some(port) = port {
                text.push_str(&format!(":{port}"));
            }
            text.push('/');
            text.push_str(&segments.join("/"));
            if slash && !segments.is_empty() {
                text.push('/');
            }
            if let Some(query) = query {
                text.push('?');
                text.push_str(&query);
            }
            if let Some(fragment) = fragment {
                text.push('#');
                text.push_str(&fragment);
            }
            Url::parse(&text).expect("generated URLs parse")
        })
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

proptest! {
    #[test]
    fn the_canonical_resource_has_no_fragment_and_is_stable(url in any_url()) {
        let canonical = canonical_resource(&url);
        prop_assert!(!canonical.contains('#'), "{canonical}");
        // Canonical twice is canonical once.
        let again = canonical_resource(&Url::parse(&canonical).expect("canonical URLs parse"));
        prop_assert_eq!(&again, &canonical);
        // Scheme and host are lower case.
        prop_assert!(canonical.starts_with(&origin(&url)), "{canonical} vs {}", origin(&url));
        // A server at its origin has no trailing slash; a path keeps its own.
        if url.path() == "/" && url.query().is_none() {
            prop_assert!(!canonical.ends_with('/'), "{canonical}");
        } else {
            prop_assert!(canonical.contains(url.path()), "{canonical}");
        }
        // The canonical form names the same resource as the URL without its fragment.
        let mut plain = url.clone();
        plain.set_fragment(None);
        prop_assert_ne!(compare_resource(plain.as_str(), &canonical), ResourceMatch::Mismatch);
    }

    #[test]
    fn protected_resource_metadata_urls_insert_the_path_then_fall_back_to_the_root(url in any_url()) {
        let urls = protected_resource_metadata_urls(&url);
        let root = format!("{}/.well-known/oauth-protected-resource", origin(&url));
        prop_assert_eq!(urls.last(), Some(&root));
        let path = url.path().trim_end_matches('/');
        if path.is_empty() {
            prop_assert_eq!(urls.len(), 1);
        } else {
            prop_assert_eq!(urls.len(), 2);
            prop_assert_eq!(&urls[0], &format!("{root}{path}"));
        }
        for built in &urls {
            let parsed = Url::parse(built).expect("well-known URLs parse");
            // Never the query or fragment of the pasted URL, never a doubled slash.
            prop_assert!(parsed.query().is_none() && parsed.fragment().is_none(), "{built}");
            prop_assert!(!parsed.path().contains("//"), "{built}");
            prop_assert_eq!(origin(&parsed), origin(&url));
        }
    }

    #[test]
    fn auth_server_metadata_urls_follow_rfc8414_and_oidc(url in any_url()) {
        let mut issuer = url.clone();
        issuer.set_query(None);
        issuer.set_fragment(None);
        let locations = auth_server_metadata_locations(issuer.as_str());
        let urls = auth_server_metadata_urls(issuer.as_str());
        prop_assert_eq!(urls.len(), locations.len());
        let path = issuer.path().trim_end_matches('/');
        let o = origin(&issuer);
        let names: Vec<&str> = locations.iter().map(|(_, name)| *name).collect();
        if path.is_empty() {
            prop_assert_eq!(names, ["oauth", "openid"]);
            prop_assert_eq!(&urls[0], &format!("{o}/.well-known/oauth-authorization-server"));
            prop_assert_eq!(&urls[1], &format!("{o}/.well-known/openid-configuration"));
        } else {
            prop_assert_eq!(names, ["oauth-inserted", "openid-inserted", "openid-appended"]);
            prop_assert_eq!(&urls[0], &format!("{o}/.well-known/oauth-authorization-server{path}"));
            prop_assert_eq!(&urls[1], &format!("{o}/.well-known/openid-configuration{path}"));
            prop_assert_eq!(&urls[2], &format!("{o}{path}/.well-known/openid-configuration"));
        }
        for built in &urls {
            prop_assert!(Url::parse(built).is_ok(), "{built}");
        }
    }

    #[test]
    fn an_issuer_that_is_not_a_url_gives_no_locations(text in "[^:]{0,40}") {
        prop_assert!(auth_server_metadata_urls(&text).is_empty());
    }

    #[test]
    fn compare_resource_never_panics_and_is_reflexive(a in ".{0,60}", b in ".{0,60}") {
        let _ = compare_resource(&a, &b);
        prop_assert_eq!(compare_resource(&a, &a), ResourceMatch::Identical);
    }
}

#[test]
fn a_trailing_slash_at_the_origin_is_equivalent_not_identical() {
    assert_eq!(
        compare_resource("https://mcp.example.com", "https://mcp.example.com/"),
        ResourceMatch::Equivalent
    );
    assert_eq!(
        compare_resource(
            "https://mcp.example.com/mcp",
            "https://mcp.example.com/mcp/"
        ),
        ResourceMatch::Mismatch
    );
}

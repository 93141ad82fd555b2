//! How a profile writes what it sends where real clients differ in the writing: the
//! `resource` value and the authorization request's URL. Each variant is one real client's
//! way, named in `clients.rs` with the code it comes from.

/// How a client adds its parameters to an authorization endpoint URL that already has a query
/// (RFC 6749 §3.1: the query MUST be retained).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthorizationQuery {
    /// Appended to the endpoint's own query with `&`.
    Appended,
    /// `{endpoint}?{parameters}`: a second `?` when the endpoint has a query, which runs the
    /// endpoint's last parameter and the client's first together.
    QuestionMark,
}

/// How a client writes the `resource` parameter it takes from protected-resource metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceWritten {
    /// Byte for byte as the metadata names it.
    AsNamed,
    /// As a WHATWG URL serializes it (`new URL(resource).href`): a bare origin gains a `/`.
    UrlSerialized,
    /// As named, except that a pathless URL loses its trailing `/` (`http://host/` is sent as
    /// `http://host`).
    PathlessSlashStripped,
}

impl ResourceWritten {
    /// The `resource` value sent for `named`.
    pub fn apply(self, named: &str) -> String {
        match (self, url::Url::parse(named)) {
            (ResourceWritten::UrlSerialized, Ok(parsed)) => parsed.to_string(),
            (ResourceWritten::PathlessSlashStripped, Ok(parsed))
                if parsed.path() == "/" && parsed.query().is_none() =>
            {
                named.strip_suffix('/').unwrap_or(named).to_owned()
            }
            _ => named.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ResourceWritten;

    #[test]
    fn each_way_of_writing_a_resource_changes_only_what_its_client_changes() {
        let bare = "http://127.0.0.1:9000";
        let slash = "http://127.0.0.1:9000/";
        let path = "http://127.0.0.1:9000/mcp/";
        assert_eq!(ResourceWritten::AsNamed.apply(bare), bare);
        assert_eq!(ResourceWritten::UrlSerialized.apply(bare), slash);
        assert_eq!(ResourceWritten::UrlSerialized.apply(path), path);
        assert_eq!(ResourceWritten::PathlessSlashStripped.apply(slash), bare);
        assert_eq!(ResourceWritten::PathlessSlashStripped.apply(bare), bare);
        assert_eq!(ResourceWritten::PathlessSlashStripped.apply(path), path);
        assert_eq!(
            ResourceWritten::UrlSerialized.apply("not a url"),
            "not a url"
        );
    }
}

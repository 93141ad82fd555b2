//! The faults, one per name: each is one thing a conformant client does that this client
//! leaves out or does wrong, and nothing else.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The control: no fault at all.
    None,
    /// A control as well: conformant, but idles between its two calls until its access token
    /// has expired, and refreshes before presenting it again.
    IdlesPastExpiry,
    NoPkce,
    PlainPkce,
    WrongVerifier,
    ChangedRedirectUri,
    UnsafeRedirectUri,
    NoResource,
    IgnoresChallengeScope,
    WrongAuthMethod,
    OtherScheme,
    TokenInQuery,
    DcrNoRedirectUris,
    DcrNoGrantTypes,
    DcrNoApplicationType,
    DcrNoAuthMethod,
    RefreshLoop,
    ReauthorizationLoop,
    IgnoresWrongIss,
    /// `ignores-wrong-iss`, with every token request sent as `text/plain`: the judge must see
    /// a token request whatever its `Content-Type`.
    TextPlainIgnoresWrongIss,
    IgnoresState,
    IgnoresMetadataMismatch,
    ExpiredToken,
    KeepsOldRegistration,
    /// Its first refresh is sent twice at once with the same refresh token, as two requests
    /// waiting on one expired token would without single flight.
    RacingRefresh,
    /// Adds its authorization parameters after a `?` of its own, whatever query the
    /// authorization endpoint already has (`{endpoint}?{params}`).
    SecondQuestionMark,
    /// Sends the metadata's `resource` as a parsed URL serializes it, so a bare origin gains a
    /// `/` (`new URL(resource).href`), instead of byte for byte.
    ResourceSlashAdded,
    /// Reads the challenge's parameters by matching `name="`, so whitespace around `=`
    /// (which RFC 9110 §11.2 allows) hides them.
    ChallengePattern,
    NeverExits,
}

/// Every fault by its command-line name, in the order of the usage line.
pub const NAMES: &[(&str, Fault)] = &[
    ("no-pkce", Fault::NoPkce),
    ("plain-pkce", Fault::PlainPkce),
    ("wrong-verifier", Fault::WrongVerifier),
    ("changed-redirect-uri", Fault::ChangedRedirectUri),
    ("unsafe-redirect-uri", Fault::UnsafeRedirectUri),
    ("no-resource", Fault::NoResource),
    ("ignores-challenge-scope", Fault::IgnoresChallengeScope),
    ("wrong-auth-method", Fault::WrongAuthMethod),
    ("other-scheme", Fault::OtherScheme),
    ("token-in-query", Fault::TokenInQuery),
    ("dcr-no-redirect-uris", Fault::DcrNoRedirectUris),
    ("dcr-no-grant-types", Fault::DcrNoGrantTypes),
    ("dcr-no-application-type", Fault::DcrNoApplicationType),
    ("dcr-no-auth-method", Fault::DcrNoAuthMethod),
    ("refresh-loop", Fault::RefreshLoop),
    ("reauthorization-loop", Fault::ReauthorizationLoop),
    ("ignores-wrong-iss", Fault::IgnoresWrongIss),
    (
        "text-plain-ignores-wrong-iss",
        Fault::TextPlainIgnoresWrongIss,
    ),
    ("ignores-state", Fault::IgnoresState),
    ("ignores-metadata-mismatch", Fault::IgnoresMetadataMismatch),
    ("expired-token", Fault::ExpiredToken),
    ("keeps-old-registration", Fault::KeepsOldRegistration),
    ("racing-refresh", Fault::RacingRefresh),
    ("second-question-mark", Fault::SecondQuestionMark),
    ("resource-slash-added", Fault::ResourceSlashAdded),
    ("challenge-pattern", Fault::ChallengePattern),
    ("never-exits", Fault::NeverExits),
    ("idles-past-expiry", Fault::IdlesPastExpiry),
    ("conformant", Fault::None),
];

impl Fault {
    pub fn named(name: &str) -> Option<Self> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    /// Whether the client redeems a code whatever the callback's `iss`.
    pub fn ignores_iss(self) -> bool {
        matches!(
            self,
            Fault::IgnoresWrongIss | Fault::TextPlainIgnoresWrongIss
        )
    }

    /// Whether the client waits out its access token's lifetime between its two calls.
    pub fn idles(self) -> bool {
        matches!(self, Fault::IdlesPastExpiry | Fault::ExpiredToken)
    }
}

/// `bad-client FAULT|... MCP_URL`, every name listed.
pub fn usage() -> String {
    let names: Vec<&str> = NAMES.iter().map(|(name, _)| *name).collect();
    format!("usage: bad-client {} MCP_URL", names.join("|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_found_and_names_are_unique() {
        for (name, fault) in NAMES {
            assert_eq!(Fault::named(name), Some(*fault), "{name}");
            assert_eq!(NAMES.iter().filter(|(n, _)| n == name).count(), 1);
            assert_eq!(NAMES.iter().filter(|(_, f)| f == fault).count(), 1);
        }
        assert_eq!(Fault::named("no-such-fault"), None);
    }
}

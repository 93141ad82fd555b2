//! Profiles: how the client behaves and how much each failed check matters. A profile is data
//! the engine consults, never a branch on its name.

use std::time::Duration;

use mcp_oauth_reports::Status;

use crate::checks::CheckDef;

mod clients;
mod overrides;
mod reading;
mod written;

pub use overrides::COMMON_OVERRIDES;
use overrides::{
    AUDIENCE_INFO, DCR_BEFORE_2026, PIPELINES_OVERRIDES, SPEC_BEFORE_2026_OVERRIDES, SPEC_OVERRIDES,
};

pub use reading::{ChallengeReading, Repeated};
pub use written::{AuthorizationQuery, ResourceWritten};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssPolicy {
    /// Compare `iss` when present; its absence is fine.
    CheckWhenPresent,
    /// RFC 9207 as the 2026-07-28 revision tables it: required when the server advertises
    /// `authorization_response_iss_parameter_supported`, compared whenever present.
    RequireWhenAdvertised,
}

/// The scope a client asks for when a 403 `insufficient_scope` challenge sends it back to the
/// authorization server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepUpScope {
    /// The challenge's `scope`, as the 2025-11-25 scope-challenge handling describes.
    Challenged,
    /// The union of the scope requested before and the challenged one (SEP-2350, 2026-07-28),
    /// so that stepping up for one operation does not lose the scopes of the others.
    UnionWithPrevious,
}

/// How a client compares the `issuer` of authorization-server metadata with the issuer it
/// fetched the metadata for (RFC 8414 §3.3 asks for identical strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuerComparison {
    Identical,
    /// An expected issuer ending in `/` also accepts the same string without it.
    ExpectedSlashOptional,
    /// A trailing `/` on either side is ignored.
    SlashOptional,
    /// Issuers that are bare origins may differ by a trailing `/`.
    OriginSlashOptional,
}

/// How a client compares the `resource` of protected-resource metadata with the MCP server's
/// URL (RFC 9728 §3.3 asks for identical identifiers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceComparison {
    Identical,
    /// The announced resource may be any same-origin path prefix of the URL (`/` for `/mcp`),
    /// compared with a `/` appended to both paths and never longer than the URL's path.
    SameOriginPrefix,
    /// The announced resource may be the same origin with a parent path, trailing slashes
    /// ignored (`/mcp/` for `/mcp` too).
    SameOriginParent,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: &'static str,
    pub summary: &'static str,
    /// The real client this profile behaves like (`package@version`), for the profiles that
    /// emulate one; `None` for the platform and the spec revisions.
    pub emulates: Option<&'static str>,
    /// Send the RFC 8707 `resource` parameter on authorization, token and refresh requests.
    pub send_resource: bool,
    /// Send `resource` only when protected-resource metadata named one (clients that form it
    /// from the metadata alone); the spec revisions send the MCP server's canonical URL anyway.
    pub resource_needs_metadata: bool,
    /// How the `resource` value is written.
    pub resource_written: ResourceWritten,
    /// How the authorization request's parameters join an endpoint URL that has a query.
    pub authorization_query: AuthorizationQuery,
    /// How the challenge of a 401 is read.
    pub challenge_reading: ChallengeReading,
    /// When the metadata the challenge's `resource_metadata` names cannot be had, go on to the
    /// well-known locations (path-inserted, then the root) as if there had been no pointer.
    pub well_known_after_challenge: bool,
    /// Refresh before a call when the access token expires within this window.
    pub refresh_window: Duration,
    /// How long the client keeps a pending authorization (state, verifier) while the person
    /// is on the consent screen.
    pub pending_authorization_lifetime: Duration,
    pub iss: IssPolicy,
    pub issuer_match: IssuerComparison,
    pub resource_match: ResourceComparison,
    /// Without `code_challenge_methods_supported` in the metadata, send an S256 challenge
    /// anyway (a list present without S256 is still refused).
    pub s256_assumed_when_unlisted: bool,
    /// When neither resource nor authorization-server metadata exists, use the 2025-03-26
    /// default endpoints /authorize, /token and /register at the MCP server's origin.
    pub default_endpoints_fallback: bool,
    /// Also look for OpenID Connect Discovery metadata (`/.well-known/openid-configuration`),
    /// as the 2025-11-25 revision requires; before it, clients read RFC 8414 metadata only.
    pub openid_discovery: bool,
    /// Identify with a Client ID metadata document URL (when the client has one) at servers
    /// advertising `client_id_metadata_document_supported`, before trying registration.
    pub client_id_metadata_document: bool,
    /// Send `application_type` in dynamic registration (SEP-837): `native` for loopback
    /// redirect URIs, `web` otherwise.
    pub send_application_type: bool,
    /// Ask for `offline_access` (and so a refresh token) when the authorization server lists
    /// it in `scopes_supported`, and only then (SEP-2207).
    pub request_offline_access: bool,
    pub step_up_scope: StepUpScope,
    /// Answer a 403 `insufficient_scope` by authorizing again for more scope at all.
    pub steps_up: bool,
    /// Ask for the scope a 401 challenge names before the metadata's `scopes_supported`, as
    /// the 2025-11-25 scope selection strategy says.
    pub scope_from_challenge: bool,
    /// With no scope from the challenge or the resource metadata, ask for the authorization
    /// server's `scopes_supported` (an extra no revision asks for).
    pub scope_from_authorization_server: bool,
    /// How often one MCP request may send the client back to the authorization server after a
    /// 401 to the token it holds before it gives up. The first authorization does not count.
    pub max_reauthorizations: u8,
    /// How often one MCP request may step its scope up (a 403 `insufficient_scope` sends it
    /// back to authorize for more) before it gives up. A budget of its own: mcp-remote steps
    /// up once per request but never authorizes a second time after a refused token.
    pub max_step_ups: u8,
    /// Send `Accept: application/json` on token requests (servers such as GitHub answer
    /// form-encoded otherwise).
    pub token_accept_json: bool,
    /// Send `client_id` in the body of a token request that authenticates with HTTP Basic
    /// from the start (RFC 6749 §2.3.1 forbids more than one method; some servers refuse it).
    pub client_id_with_basic: bool,
    /// Answer a 401 to a held token by refreshing it first, and retry once with the new one
    /// (what the SDKs do); without it, a 401 sends the client straight back to authorization.
    pub refresh_on_401: bool,
    /// After such a refresh is refused, the diagnoses (by code) on which the client authorizes
    /// again; on any other refusal it stops with the refusal.
    pub reauthorizes_after_refresh: &'static [&'static str],
    /// When a refresh is refused because the authorization server no longer knows the client
    /// it registered dynamically, register again once and ask for a fresh consent (in the
    /// client's own loop, `connect-on-demand`); otherwise report it for the person to
    /// reconnect.
    pub renew_forgotten_client: bool,
    /// When the client proves possession of a key with DPoP (RFC 9449, the MCP DPoP
    /// extension, SEP-1932).
    pub dpop: DpopUse,
    /// Checks whose failure this profile reports with another status than FAILURE, with the
    /// reason the report gives. They win over [`COMMON_OVERRIDES`], which every profile has.
    pub severity_overrides: &'static [SeverityOverride],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeverityOverride {
    pub check: &'static CheckDef,
    pub status: Status,
    pub why: &'static str,
}

impl Profile {
    /// Whether a client of this profile goes on past the failure of `check`: the engine's
    /// tolerances (a quirk worked around, a comparison not made) are the checks a profile
    /// reports below FAILURE, and a profile that reports one as FAILURE stops there, as the
    /// client it describes does.
    pub fn tolerates(&self, check: &CheckDef) -> bool {
        self.failure_status(check) != Status::Failure
    }

    /// The status a failed check gets under this profile.
    pub fn failure_status(&self, check: &CheckDef) -> Status {
        self.override_for(check)
            .map_or(Status::Failure, |o| o.status)
    }

    pub fn override_for(&self, check: &CheckDef) -> Option<&SeverityOverride> {
        self.severity_overrides
            .iter()
            .chain(COMMON_OVERRIDES)
            .find(|o| o.check.id == check.id)
    }
}

pub const PIPELINES: Profile = Profile {
    name: "pipelines",
    summary: "The Pipelines platform as documented: no resource parameter, reactive refresh, 10-minute consent window",
    emulates: None,
    send_resource: false,
    resource_needs_metadata: false,
    resource_written: ResourceWritten::AsNamed,
    authorization_query: AuthorizationQuery::Appended,
    challenge_reading: ChallengeReading::Rfc9110,
    well_known_after_challenge: true,
    refresh_window: Duration::from_secs(300),
    pending_authorization_lifetime: Duration::from_secs(600),
    iss: IssPolicy::CheckWhenPresent,
    issuer_match: IssuerComparison::Identical,
    resource_match: ResourceComparison::Identical,
    s256_assumed_when_unlisted: false,
    // The platform's discovery needs one of the two metadata documents ("popup errors
    // immediately" otherwise), registers by DCR or takes a pasted Client ID, and turns a refused
    // token into an auth error for the person to reconnect rather than re-authorizing itself.
    default_endpoints_fallback: false,
    // The platform follows the MCP authorization spec, whose current revision reads both
    // (and the identity providers its gallery lists, such as Entra and Cognito, publish
    // OpenID Connect Discovery metadata).
    openid_discovery: true,
    client_id_metadata_document: false,
    send_application_type: false,
    request_offline_access: false,
    step_up_scope: StepUpScope::Challenged,
    steps_up: true,
    scope_from_challenge: true,
    scope_from_authorization_server: false,
    max_reauthorizations: 0,
    max_step_ups: 0,
    token_accept_json: true,
    client_id_with_basic: false,
    refresh_on_401: false,
    reauthorizes_after_refresh: &[],
    // "re-running the OAuth flow reconnects": the person reconnects, which registers anew.
    renew_forgotten_client: false,
    dpop: DpopUse::Never,
    severity_overrides: PIPELINES_OVERRIDES,
};

pub const MCP_2025_06_18: Profile = Profile {
    name: "mcp-2025-06-18",
    summary: "MCP authorization, revision 2025-06-18: RFC 9728 discovery, RFC 8707 resource indicators",
    emulates: None,
    send_resource: true,
    resource_needs_metadata: false,
    resource_written: ResourceWritten::AsNamed,
    authorization_query: AuthorizationQuery::Appended,
    challenge_reading: ChallengeReading::Rfc9110,
    well_known_after_challenge: true,
    refresh_window: Duration::from_secs(300),
    pending_authorization_lifetime: Duration::from_secs(600),
    iss: IssPolicy::CheckWhenPresent,
    issuer_match: IssuerComparison::Identical,
    resource_match: ResourceComparison::Identical,
    s256_assumed_when_unlisted: false,
    default_endpoints_fallback: true,
    // The revision builds on RFC 8414 alone; OpenID Connect Discovery came with 2025-11-25.
    openid_discovery: false,
    // Client ID metadata documents arrived with the 2025-11-25 revision.
    client_id_metadata_document: false,
    send_application_type: false,
    request_offline_access: false,
    step_up_scope: StepUpScope::Challenged,
    steps_up: true,
    scope_from_challenge: true,
    scope_from_authorization_server: false,
    max_reauthorizations: 2,
    max_step_ups: 2,
    token_accept_json: true,
    client_id_with_basic: false,
    refresh_on_401: false,
    reauthorizes_after_refresh: &[],
    renew_forgotten_client: true,
    dpop: DpopUse::Never,
    severity_overrides: SPEC_BEFORE_2026_OVERRIDES,
};

pub const MCP_2025_11_25: Profile = Profile {
    name: "mcp-2025-11-25",
    summary: "MCP authorization, revision 2025-11-25: client ID metadata documents, scope step-up",
    openid_discovery: true,
    client_id_metadata_document: true,
    ..MCP_2025_06_18
};

pub const MCP_2026_07_28: Profile = Profile {
    name: "mcp-2026-07-28",
    summary: "MCP authorization, revision 2026-07-28: RFC 9207 iss required when advertised",
    iss: IssPolicy::RequireWhenAdvertised,
    send_application_type: true,
    request_offline_access: true,
    step_up_scope: StepUpScope::UnionWithPrevious,
    // DPoP is an extension (SEP-1932), not part of the revision: the revision's client sends
    // Bearer tokens; `mcp-2026-07-28+dpop` is the same client with the extension.
    dpop: DpopUse::Never,
    severity_overrides: SPEC_OVERRIDES,
    ..MCP_2025_11_25
};

/// The 2026-07-28 client with the MCP DPoP extension (SEP-1932, RFC 9449): proofs on token
/// and MCP requests and DPoP-bound tokens, at authorization servers that advertise ES256.
pub const MCP_2026_07_28_DPOP: Profile = Profile {
    name: "mcp-2026-07-28+dpop",
    summary: "MCP authorization, revision 2026-07-28, with the DPoP extension: DPoP-bound tokens where ES256 is advertised",
    dpop: DpopUse::WhenAdvertised,
    ..MCP_2026_07_28
};

/// The platform and the spec revisions, each exactly as documented: what `all` means.
pub const ALL: &[&Profile] = &[
    &PIPELINES,
    &MCP_2025_06_18,
    &MCP_2025_11_25,
    &MCP_2026_07_28,
];

/// Profiles that add an extension to a revision; used only when named.
pub const EXTENSIONS: &[&Profile] = &[&MCP_2026_07_28_DPOP];

/// Profiles that behave like widely used real clients at a pinned version (`clients`), each
/// proven against its real client by interop/real-clients/run.sh.
pub const CLIENTS: &[&Profile] = clients::ALL;
pub use clients::{INSPECTOR_2_12, TS_SDK_2_4};

/// The newest spec revision, the default for `connect`.
pub const NEWEST_SPEC: &Profile = &MCP_2026_07_28;

pub fn by_name(name: &str) -> Option<&'static Profile> {
    ALL.iter()
        .chain(EXTENSIONS)
        .chain(CLIENTS)
        .copied()
        .find(|p| p.name == name)
}

/// Every profile's name: the platform and revisions, the extensions, the real clients.
pub fn names() -> Vec<&'static str> {
    ALL.iter()
        .chain(EXTENSIONS)
        .chain(CLIENTS)
        .map(|p| p.name)
        .collect()
}

/// When a client uses DPoP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DpopUse {
    /// Never: tokens are requested and presented as Bearer tokens.
    Never,
    /// When the authorization server advertises ES256 in `dpop_signing_alg_values_supported`.
    WhenAdvertised,
    /// On every flow, whatever the metadata says (`connect --dpop`).
    Always,
}

impl DpopUse {
    pub fn as_str(self) -> &'static str {
        match self {
            DpopUse::Never => "never",
            DpopUse::WhenAdvertised => "when-advertised",
            DpopUse::Always => "always",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [DpopUse::Never, DpopUse::WhenAdvertised, DpopUse::Always]
            .into_iter()
            .find(|u| u.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks;

    #[test]
    fn pkce_advertisement_is_a_warning_for_pipelines_and_a_failure_for_every_spec_revision() {
        assert_eq!(
            PIPELINES.failure_status(&checks::PKCE_S256_ADVERTISED),
            Status::Warning
        );
        for spec in [&MCP_2025_06_18, &MCP_2025_11_25, &MCP_2026_07_28] {
            assert_eq!(
                spec.failure_status(&checks::PKCE_S256_ADVERTISED),
                Status::Failure,
                "{}",
                spec.name
            );
        }
        assert_eq!(by_name("mcp-2026-07-28"), Some(&MCP_2026_07_28));
        assert_eq!(by_name("nope"), None);
    }

    #[test]
    fn every_profile_carries_the_common_overrides() {
        for profile in ALL {
            for common in COMMON_OVERRIDES {
                assert_eq!(
                    profile.override_for(common.check),
                    Some(common),
                    "{} lacks the override of {}",
                    profile.name,
                    common.check.id
                );
            }
        }
        assert_eq!(
            PIPELINES.failure_status(&checks::AUDIENCE_OPTIONAL),
            Status::Failure
        );
        assert_eq!(
            MCP_2025_06_18.failure_status(&checks::AUDIENCE_OPTIONAL),
            Status::Info
        );
    }
}

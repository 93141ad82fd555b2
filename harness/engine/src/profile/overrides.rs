//! Severity overrides: the checks a profile reports with another status than FAILURE, and
//! why. The ones every profile shares, and the spec revisions' and the platform's own; the
//! real-client profiles' are in `clients.rs`, beside the behaviour they come from.

use mcp_oauth_reports::Status;

use super::SeverityOverride;
use crate::checks;

/// Overrides every profile shares: problems worth reporting that do not stop a client.
pub const COMMON_OVERRIDES: &[SeverityOverride] = &[
    SeverityOverride {
        check: &checks::TOKEN_BASIC_CLIENT_ID,
        status: Status::Warning,
        why: "the client sends client_id in the body too, once the header alone was refused",
    },
    SeverityOverride {
        check: &checks::DCR_REGISTRATION_KEPT,
        status: Status::Warning,
        why: "the client registers again, once, and authorizes again",
    },
    SeverityOverride {
        check: &checks::UNKNOWN_CLIENT_ERROR,
        status: Status::Warning,
        why: "this client recognizes the other answers too as an unknown client",
    },
    SeverityOverride {
        check: &checks::WELL_KNOWN_NO_HTML,
        status: Status::Warning,
        why: "the client tries the next location, as the spec's list of candidates allows",
    },
    SeverityOverride {
        check: &checks::WELL_KNOWN_404_BODY,
        status: Status::Warning,
        why: "the client reads only the status; a popular client crashed on such a body",
    },
    SeverityOverride {
        check: &checks::CHALLENGE_NO_ERROR_WITHOUT_TOKEN,
        status: Status::Warning,
        why: "RFC 6750 says SHOULD NOT; the client still starts OAuth on the 401",
    },
    SeverityOverride {
        check: &checks::CORS_EXPOSES_WWW_AUTHENTICATE,
        status: Status::Warning,
        why: "only browser-based clients are affected",
    },
    SeverityOverride {
        check: &checks::CORS_TOKEN_PREFLIGHT,
        status: Status::Warning,
        why: "only browser-based clients are affected",
    },
    SeverityOverride {
        check: &checks::TOKEN_NO_STORE,
        status: Status::Warning,
        why: "a cacheable token response is a risk, but clients still connect",
    },
    SeverityOverride {
        check: &checks::REFRESH_TOKEN_ISSUED,
        status: Status::Warning,
        why: "without a refresh token the connection works until the access token expires",
    },
    SeverityOverride {
        check: &checks::DCR_AVAILABLE,
        status: Status::Info,
        why: "without registration a Client ID can still be brought",
    },
    SeverityOverride {
        check: &checks::WWW_AUTHENTICATE_RESOURCE_METADATA,
        status: Status::Warning,
        why: "clients fall back to the well-known locations",
    },
    SeverityOverride {
        check: &checks::WWW_AUTHENTICATE_WELL_FORMED,
        status: Status::Warning,
        why: "the clients that read such a challenge connect; the others fall back to the well-known locations or stop",
    },
    SeverityOverride {
        check: &checks::INVALID_TOKEN_ERROR_CODE,
        status: Status::Warning,
        why: "RFC 6750 says SHOULD; clients still see the 401",
    },
    SeverityOverride {
        check: &checks::PRM_SCOPES_SUPPORTED,
        status: Status::Warning,
        why: "clients can still connect, requesting no scope or the challenge's",
    },
    SeverityOverride {
        check: &checks::AS_GRANT_TYPES,
        status: Status::Warning,
        why: "clients try the grants anyway",
    },
    SeverityOverride {
        check: &checks::AS_TOKEN_AUTH_METHODS,
        status: Status::Warning,
        why: "registration may still hand out a client secret",
    },
    SeverityOverride {
        check: &checks::AS_ISS_PARAMETER_ADVERTISED,
        status: Status::Info,
        why: "RFC 9207 is recommended, not required",
    },
    SeverityOverride {
        check: &checks::CIMD_SUPPORTED,
        status: Status::Info,
        why: "client ID metadata documents are one of several ways to get a Client ID",
    },
    SeverityOverride {
        check: &checks::TOKEN_UNSUPPORTED_GRANT,
        status: Status::Warning,
        why: "a wrong error code for a grant no client uses does not stop a connection",
    },
    SeverityOverride {
        check: &checks::REFRESH_TOKEN_ROTATION,
        status: Status::Warning,
        why: "the connection works; replayed refresh tokens go undetected",
    },
    SeverityOverride {
        check: &checks::REFRESH_TOKEN_REUSE_REFUSED,
        status: Status::Warning,
        why: "the connection works; replayed refresh tokens go undetected",
    },
    SeverityOverride {
        check: &checks::CLIENT_DCR_AUTH_METHOD,
        status: Status::Warning,
        why: "RFC 7591 then means client_secret_basic, but servers that register public clients anyway still work",
    },
    SeverityOverride {
        check: &checks::TOKEN_LIFETIME_PLAUSIBLE,
        status: Status::Warning,
        why: "the token is used as one without a known expiry, and refreshed when the server refuses it",
    },
    SeverityOverride {
        check: &checks::TOKEN_RESPONSE_JSON,
        status: Status::Warning,
        why: "this client reads a form-encoded token response too",
    },
    SeverityOverride {
        check: &checks::TOKEN_ERROR_STATUS,
        status: Status::Warning,
        why: "this client reads the error from the body whatever the status",
    },
    SeverityOverride {
        check: &checks::TOKEN_TYPE_CANONICAL,
        status: Status::Warning,
        why: "token_type is case-insensitive and this client always sends `Bearer`",
    },
    SeverityOverride {
        check: &checks::TOKEN_EXPIRES_IN_NUMBER,
        status: Status::Warning,
        why: "this client reads a string of digits as seconds",
    },
    SeverityOverride {
        check: &checks::TOKEN_EXPIRY_KNOWN,
        status: Status::Warning,
        why: "the connection works, refreshing before every call",
    },
    SeverityOverride {
        check: &checks::DCR_RESPONSE_FIELDS,
        status: Status::Warning,
        why: "this client keeps the metadata it asked for",
    },
    SeverityOverride {
        check: &checks::DCR_SECRET_EXPIRY,
        status: Status::Warning,
        why: "this client treats the secret as one that does not expire",
    },
    SeverityOverride {
        check: &checks::BEARER_SCHEME_CASE_INSENSITIVE,
        status: Status::Warning,
        why: "clients that send `Bearer` connect; only those sending lower case are refused",
    },
];

/// Spec clients send RFC 8707 `resource`, so a server that requires an audience suits them.
pub(super) const AUDIENCE_INFO: SeverityOverride = SeverityOverride {
    check: &checks::AUDIENCE_OPTIONAL,
    status: Status::Info,
    why: "clients of this revision send RFC 8707 resource",
};

/// The overrides of the spec revisions. None softens `pkce-s256-advertised`: every revision
/// requires PKCE, and a spec client refuses a server whose metadata does not advertise S256.
pub(super) const SPEC_OVERRIDES: &[SeverityOverride] = &[AUDIENCE_INFO];

/// What a client judged under a revision before 2026-07-28 need not send at registration.
pub(super) const DCR_BEFORE_2026: [SeverityOverride; 2] = [
    SeverityOverride {
        check: &checks::CLIENT_DCR_GRANT_TYPES,
        status: Status::Info,
        why: "refresh_token in grant_types is required from the 2026-07-28 revision on",
    },
    SeverityOverride {
        check: &checks::CLIENT_DCR_APPLICATION_TYPE,
        status: Status::Info,
        why: "application_type is required from the 2026-07-28 revision on",
    },
];

pub(super) const SPEC_BEFORE_2026_OVERRIDES: &[SeverityOverride] =
    &[AUDIENCE_INFO, DCR_BEFORE_2026[0], DCR_BEFORE_2026[1]];

pub(super) const PIPELINES_OVERRIDES: &[SeverityOverride] = &[
    // Pipelines does not refuse: it always sends an S256 challenge, so a server that requires
    // S256 without advertising it still works; the report warns so the metadata gets fixed.
    SeverityOverride {
        check: &checks::PKCE_S256_ADVERTISED,
        status: Status::Warning,
        why: "Pipelines always sends an S256 challenge and connects when the server accepts it, advertised or not",
    },
    SeverityOverride {
        check: &checks::CLIENT_RESOURCE_INDICATOR,
        status: Status::Info,
        why: "Pipelines documents that it sends no resource or audience parameter",
    },
    SeverityOverride {
        check: &checks::SIBLING_AUDIENCE_REFUSED,
        status: Status::Info,
        why: "Pipelines sends no RFC 8707 resource, so it relies on no audience binding",
    },
    DCR_BEFORE_2026[0],
    DCR_BEFORE_2026[1],
];

//! Diagnoses: the single most useful explanation of a failed run, with a stable code and the fix
//! in the words of the product's debugging checklist.

pub use mcp_oauth_reports::{ConfirmedBy, Diagnosis, Party};

macro_rules! codes {
    ($($name:ident = $code:literal;)*) => {
        $(pub const $name: &str = $code;)*
        /// Every diagnosis code, for documentation and validation of scenario files.
        pub const ALL_CODES: &[&str] = &[$($code),*];
    };
}

codes! {
    DISCOVERY_FAILED = "discovery-failed";
    RESOURCE_MISMATCH = "resource-mismatch";
    ISSUER_MISMATCH = "issuer-mismatch";
    METADATA_INVALID = "metadata-invalid";
    PKCE_NOT_ADVERTISED = "pkce-not-advertised";
    CLIENT_ID_MISSING = "client-id-missing";
    CREDENTIALS_FOREIGN_ISSUER = "credentials-foreign-issuer";
    CLIENT_METADATA_DOCUMENT_REFUSED = "client-metadata-document-refused";
    DCR_REJECTED = "dcr-rejected";
    REDIRECT_URI_MISMATCH = "redirect-uri-mismatch";
    AUTHORIZATION_ERROR_PAGE = "authorization-error-page";
    CONSENT_NOT_COMPLETED = "consent-not-completed";
    STATE_EXPIRED = "state-expired";
    STATE_MISMATCH = "state-mismatch";
    CONSENT_DENIED = "consent-denied";
    AUDIENCE_REQUIRED = "audience-required";
    AUTHORIZATION_ERROR = "authorization-error";
    ISS_MISMATCH = "iss-mismatch";
    CODE_EXPIRED = "code-expired";
    CODE_REJECTED = "code-rejected";
    TOKEN_EXCHANGE_FAILED = "token-exchange-failed";
    REFRESH_REVOKED = "refresh-revoked";
    TRANSIENT_REFRESH_FAILURE = "transient-refresh-failure";
    TOKEN_EXPIRED = "token-expired";
    TOKEN_REJECTED = "token-rejected";
    MCP_ERROR = "mcp-error";
    NOT_CONNECTED = "not-connected";
    TOKEN_STORE_TAMPERED = "token-store-tampered";
    NETWORK_ERROR = "network-error";
    AUTH_CHALLENGE_MISSING = "auth-challenge-missing";
    UNAUTHENTICATED_ACCESS = "unauthenticated-access";
    INVALID_TOKEN_ACCEPTED = "invalid-token-accepted";
    PRM_MISSING = "prm-missing";
    OPEN_REDIRECT = "open-redirect";
    FRAGMENT_REDIRECT_ACCEPTED = "fragment-redirect-accepted";
    TOKEN_ERROR_NONCONFORMANT = "token-error-nonconformant";
    REVOCATION_INEFFECTIVE = "revocation-ineffective";
    INSUFFICIENT_SCOPE = "insufficient-scope";
    AUTHORIZATION_LOOP = "authorization-loop";
    CLIENT_NONCONFORMANT = "client-nonconformant";
    TOKEN_ENDPOINT_MISCONFIGURED = "token-endpoint-misconfigured";
    CLIENT_REGISTRATION_GONE = "client-registration-gone";
    REFRESH_REFUSED = "refresh-refused";
    CALLBACK_PARAMETERS_REPEATED = "callback-parameters-repeated";
    RESOURCE_REJECTED = "resource-rejected";
    MCP_ENDPOINT_REDIRECTED = "mcp-endpoint-redirected";
    FRESH_TOKEN_REFUSED = "fresh-token-refused";
    REFRESH_INVALID_REQUEST = "refresh-invalid-request";
    REFRESH_GRANT_BROKEN = "refresh-grant-broken";
    REFRESH_SERVER_ERROR = "refresh-server-error";
    OPAQUE_TOKEN_REFUSED = "opaque-token-refused";
    CLIENT_UNKNOWN = "client-unknown";
    GALLERY_DRIFT = "gallery-drift";
    CLIENT_CREDENTIALS_REFUSED = "client-credentials-refused";
    JWT_BEARER_REFUSED = "jwt-bearer-refused";
    TOKEN_EXCHANGE_REFUSED = "token-exchange-refused";
    DPOP_REQUIRED = "dpop-required";
    DPOP_NONCE_UNSATISFIED = "dpop-nonce-unsatisfied";
    DPOP_PROOF_REFUSED = "dpop-proof-refused";
    DPOP_SCHEME_REFUSED = "dpop-scheme-refused";
}

/// A diagnosis with the party its code names ([`party_of`]).
pub fn new(code: &'static str, message: impl Into<String>, remedy: impl Into<String>) -> Diagnosis {
    Diagnosis {
        code: code.to_owned(),
        message: message.into(),
        remedy: remedy.into(),
        party: party_of(code),
        confirmed_by: None,
        candidates: Vec::new(),
    }
}

/// Who must change for the problem a code names to go away, when the evidence says no more.
/// Where the evidence does (an authorization server refusing `resource` outright rather than
/// a deployment that requires an audience), the code that names it says so, or the diagnosis
/// is given its party where it is made.
pub fn party_of(code: &str) -> Party {
    match code {
        DISCOVERY_FAILED
        | RESOURCE_MISMATCH
        | AUTH_CHALLENGE_MISSING
        | UNAUTHENTICATED_ACCESS
        | INVALID_TOKEN_ACCEPTED
        | PRM_MISSING
        | MCP_ERROR
        | MCP_ENDPOINT_REDIRECTED
        | DPOP_REQUIRED
        | DPOP_NONCE_UNSATISFIED
        | DPOP_PROOF_REFUSED
        | DPOP_SCHEME_REFUSED
        // Its metadata sends clients to an authorization server the credentials are not for.
        | CREDENTIALS_FOREIGN_ISSUER => Party::McpServer,
        // Either half can make the fix: the authorization server's audiences and scopes, or
        // what the MCP server accepts.
        AUDIENCE_REQUIRED | TOKEN_REJECTED | OPAQUE_TOKEN_REFUSED | FRESH_TOKEN_REFUSED
        | INSUFFICIENT_SCOPE | AUTHORIZATION_LOOP | TOKEN_EXPIRED => Party::Deployment,
        // The person idled past the client's own window, refused consent, or the client's
        // configuration (a pasted Client ID, a gallery entry, its token store) is what differs.
        STATE_EXPIRED
        | CONSENT_DENIED
        | CONSENT_NOT_COMPLETED
        | NOT_CONNECTED
        | TOKEN_STORE_TAMPERED
        // The document is the client's: its publisher makes it fetchable and small enough.
        | CLIENT_METADATA_DOCUMENT_REFUSED
        | CLIENT_NONCONFORMANT
        | GALLERY_DRIFT => Party::Client,
        NETWORK_ERROR => Party::Network,
        _ => Party::AuthorizationServer,
    }
}

/// The same diagnosis, naming another party (the evidence singled it out where it was made).
pub fn with_party(mut diagnosis: Diagnosis, party: Party) -> Diagnosis {
    diagnosis.party = party;
    diagnosis
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_names_a_party_under_test() {
        // `harness` is never a code's default: only a place with evidence that the tool
        // caused a failure may name it.
        for code in ALL_CODES {
            assert_ne!(party_of(code), Party::Harness, "{code}");
        }
        assert_eq!(party_of(DPOP_SCHEME_REFUSED), Party::McpServer);
        assert_eq!(party_of(AUDIENCE_REQUIRED), Party::Deployment);
        assert_eq!(party_of(RESOURCE_REJECTED), Party::AuthorizationServer);
    }
}

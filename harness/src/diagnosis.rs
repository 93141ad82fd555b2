//! Diagnoses: the single most useful explanation of a failed run, with a stable code and the fix
//! in the words of the product's debugging checklist.

pub use mcp_oauth_reports::Diagnosis;

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
    DCR_REJECTED = "dcr-rejected";
    REDIRECT_URI_MISMATCH = "redirect-uri-mismatch";
    AUTHORIZATION_ERROR_PAGE = "authorization-error-page";
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
    OPAQUE_TOKEN_REFUSED = "opaque-token-refused";
    CLIENT_UNKNOWN = "client-unknown";
    GALLERY_DRIFT = "gallery-drift";
    CLIENT_CREDENTIALS_REFUSED = "client-credentials-refused";
    JWT_BEARER_REFUSED = "jwt-bearer-refused";
    TOKEN_EXCHANGE_REFUSED = "token-exchange-refused";
    DPOP_REQUIRED = "dpop-required";
    DPOP_NONCE_UNSATISFIED = "dpop-nonce-unsatisfied";
    DPOP_PROOF_REFUSED = "dpop-proof-refused";
}

pub fn new(code: &'static str, message: impl Into<String>, remedy: impl Into<String>) -> Diagnosis {
    Diagnosis {
        code: code.to_owned(),
        message: message.into(),
        remedy: remedy.into(),
    }
}

//! The checks of how the authorization server treats the client's identity at the token
//! endpoint: Basic credentials read as RFC 6749 §2.3.1 says, registrations kept, and an unknown
//! client named as one. Recorded only when a quirk was met, so conformant servers never show
//! them.

use super::CheckDef;
use crate::spec;

checks! {
    CLIENT_AUTH;
    TOKEN_BASIC_CLIENT_ID {
        id: "token-basic-client-id", step: "token",
        name: "Basic credentials identify the client",
        description: "The token endpoint reads the client_id from the HTTP Basic Authorization header, without a client_id in the body.",
        spec: [RFC6749_2_3, RFC6749_5_2],
        remedy: "Read client_id from the HTTP Basic Authorization header (RFC 6749 §2.3.1) when a client authenticates with client_secret_basic, which the metadata advertises: clients that send their credentials in the header alone are refused (fastmcp#4600).",
    }
    DCR_REGISTRATION_KEPT {
        id: "dcr-registration-kept", step: "registration",
        name: "Registered clients are remembered",
        description: "The authorization server still knows a client it registered dynamically when that client authorizes and redeems its code.",
        spec: [RFC7591_3, RFC6749_5_2],
        remedy: "Keep dynamically registered clients across restarts (store them persistently): a forgotten Client ID breaks every client that stored it until it registers again (supabase/mcp#355).",
    }
    UNKNOWN_CLIENT_ERROR {
        id: "unknown-client-error", step: "token",
        name: "An unknown client is answered invalid_client",
        description: "The token endpoint answers a client_id it does not know with 401 invalid_client, as RFC 6749 §5.2 says.",
        spec: [RFC6749_5_2],
        remedy: "Answer an unknown client_id with 401 invalid_client: clients pick their recovery from that code, and the MCP TypeScript SDK registers again only on invalid_client (better-auth#11035); 422 {\"message\"} or invalid_grant leaves them stuck (supabase/mcp#355).",
    }
}

//! The checks of the grants without a person: client credentials, the JWT bearer grant, and
//! the ID-JAG token exchange of enterprise-managed authorization (step `token`).

use super::CheckDef;
use crate::spec;

checks! {
    GRANTS;
    TOKEN_CLIENT_CREDENTIALS {
        id: "token-client-credentials", step: "token",
        name: "Client credentials exchanged for a token",
        description: "The token endpoint answers the client_credentials grant, authenticated with the client's secret or a signed client assertion, with 200 and a Bearer access token.",
        spec: [RFC6749_4_4, RFC7523_2_2],
        remedy: "Accept the client_credentials grant from the registered client, authenticated as registered (client_secret_basic, or a private_key_jwt assertion whose iss and sub are the Client ID and whose aud is the issuer).",
    }
    TOKEN_JWT_BEARER {
        id: "token-jwt-bearer", step: "token",
        name: "Assertion exchanged for a token",
        description: "The token endpoint answers the RFC 7523 JWT bearer grant with the client's assertion with 200 and a Bearer access token.",
        spec: [RFC7523_2_1],
        remedy: "Accept the urn:ietf:params:oauth:grant-type:jwt-bearer grant with an assertion from a trusted issuer, addressed to this authorization server and not expired.",
    }
    ID_JAG_TOKEN_EXCHANGE {
        id: "id-jag-token-exchange", step: "token",
        name: "ID token exchanged for an ID-JAG",
        description: "The identity provider answers the RFC 8693 token exchange of the person's ID token for an ID-JAG addressed to the authorization server and resource with 200 and the ID-JAG.",
        spec: [RFC8693_2],
        remedy: "Allow the client the token exchange of an ID token (subject_token_type id_token) for requested_token_type id-jag, for the MCP server's authorization server (audience) and resource.",
    }
}

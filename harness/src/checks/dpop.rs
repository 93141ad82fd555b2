//! The checks of DPoP (RFC 9449): whether the client proves possession of its key, what the
//! authorization server binds, the nonces the servers demand, and whether the MCP server
//! holds a bound token to its proof. Recorded only where DPoP is in play, so Bearer-only
//! servers never show them.

use super::CheckDef;
use crate::spec;

checks! {
    DPOP;
    DPOP_IN_USE {
        id: "dpop-in-use", step: "token",
        name: "DPoP proofs are sent",
        description: "The client signs a DPoP proof (ES256, RFC 9449 §4) for each token request and MCP request, because the authorization server advertises DPoP or the client was told to.",
        spec: [RFC9449_5, RFC9449_5_1],
        remedy: "Advertise the DPoP algorithms the authorization server accepts in dpop_signing_alg_values_supported (RFC 9449 §5.1), ES256 among them.",
    }
    DPOP_TOKEN_BOUND {
        id: "dpop-token-bound", step: "token",
        name: "A DPoP token request gets a DPoP-bound token",
        description: "The token endpoint answers a request with a valid DPoP proof with token_type DPoP (RFC 9449 §5).",
        spec: [RFC9449_5],
        remedy: "Bind tokens requested with a DPoP proof to its key (cnf.jkt) and answer token_type DPoP; a Bearer answer leaves the token usable by whoever copies it.",
    }
    DPOP_NONCE {
        id: "dpop-nonce", step: "token",
        name: "A demanded DPoP nonce is supplied",
        description: "When a server answers use_dpop_nonce with a DPoP-Nonce header, the client sends the request again, once, with that nonce in its proof (RFC 9449 §8, §9), and the server accepts it.",
        spec: [RFC9449_8, RFC9449_9],
        remedy: "Accept a proof that carries the nonce the server has just issued in DPoP-Nonce; a server that demands a new nonce on every attempt can never be satisfied.",
    }
    DPOP_ADVERTISED {
        id: "dpop-advertised", step: "discovery",
        name: "DPoP is advertised",
        description: "The authorization-server metadata lists dpop_signing_alg_values_supported, with ES256 (RFC 9449 §5.1).",
        spec: [RFC9449_5_1],
        remedy: "List the algorithms the token endpoint accepts for DPoP proofs in dpop_signing_alg_values_supported, or leave the field out if it does not bind tokens.",
    }
}

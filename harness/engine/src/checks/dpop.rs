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

checks! {
    DPOP_RESOURCE_SERVER;
    DPOP_BOUND_TOKEN_AS_BEARER_REFUSED {
        id: "dpop-bound-token-as-bearer-refused", step: "resource-server",
        name: "A DPoP-bound token presented as Bearer is refused",
        description: "The real DPoP-bound access token under the Bearer scheme, without a proof, is answered 401.",
        spec: [RFC9449_7_1, RFC9449_4_3],
        remedy: "Refuse a token whose cnf.jkt binds it to a key unless it comes with the DPoP scheme and a proof of that key: a bound token accepted as a Bearer token is as good to whoever copies it as an unbound one.",
    }
    DPOP_PROOF_REQUIRED {
        id: "dpop-proof-required", step: "resource-server",
        name: "A DPoP token without a proof is refused",
        description: "The real DPoP-bound access token under the DPoP scheme, with no DPoP header, is answered 401.",
        spec: [RFC9449_7_1, RFC9449_4_3],
        remedy: "Require a DPoP proof with every request presenting a DPoP-bound token, and check that it is signed by the key the token's cnf.jkt names (RFC 9449 §4.3, §7.1).",
    }
    DPOP_REPLAYED_PROOF_REFUSED {
        id: "dpop-replayed-proof-refused", step: "resource-server",
        name: "A replayed DPoP proof is refused",
        description: "A proof that was accepted once is refused the second time it is sent (its jti is not new).",
        spec: [RFC9449_4_3],
        remedy: "Keep the jti of each accepted proof for as long as its iat is within the accepted window, and refuse a proof whose jti was seen (RFC 9449 §11.1): a captured proof is otherwise good for replays.",
    }
    DPOP_WRONG_HTU_REFUSED {
        id: "dpop-wrong-htu-refused", step: "resource-server",
        name: "A DPoP proof for another URL is refused",
        description: "A proof whose htu names another URL than the one requested is answered 401.",
        spec: [RFC9449_4_3],
        remedy: "Compare the proof's htu with the request's URL without query and fragment (RFC 9449 §4.3): a proof made for one endpoint must not be usable at another.",
    }
}

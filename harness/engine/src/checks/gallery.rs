//! The provider gallery's checks: what a gallery entry pins, and whether the entry still
//! matches what live discovery finds (`check --gallery`). Drift is reported with step
//! `gallery`; each remedy names the entry's field to change.

use super::CheckDef;
use crate::spec;

checks! {
    GALLERY;
    GALLERY_ENDPOINTS_PINNED {
        id: "gallery-endpoints-pinned", step: "discovery",
        name: "Gallery entry's pinned endpoints used",
        description: "The endpoints the gallery entry pins were used (discovery skipped when the authorization and token endpoints are both pinned).",
        spec: [PIPELINES, RFC8414_2],
        remedy: "Nothing to fix: pinned endpoints are the gallery's promise. `check --gallery` compares them with live discovery.",
    }
    GALLERY_ENDPOINTS_CURRENT {
        id: "gallery-endpoints-current", step: "gallery",
        name: "Pinned endpoints match the metadata",
        description: "Every endpoint the gallery entry pins equals the one the authorization-server metadata announces.",
        spec: [RFC8414_2, PIPELINES],
        remedy: "Update the entry's pinned endpoint field (issuer, authorization-endpoint, token-endpoint, registration-endpoint or revocation-endpoint) named in the details to the value the metadata announces, or remove it to use discovery.",
    }
    GALLERY_REGISTRATION_CURRENT {
        id: "gallery-registration-current", step: "gallery",
        name: "Entry's flow matches dynamic registration",
        description: "The entry's `flow` agrees with whether the authorization server offers dynamic client registration (`flow: dcr` needs a registration_endpoint; an entry with a Client ID is told when registration has appeared).",
        spec: [RFC7591_3, RFC8414_2, PIPELINES],
        remedy: "Change the entry's `flow`: the server no longer offers dynamic registration, so set `flow: client-id` and give `client-id` (and `client-secret-env`) from an app registered in the provider's console; or, where registration has appeared, `flow: dcr` can drop the brought Client ID.",
    }
    GALLERY_SCOPE_CURRENT {
        id: "gallery-scope-current", step: "gallery",
        name: "Entry's scope is still offered",
        description: "Every scope of the entry's `scope` is listed in the server's scopes_supported (protected-resource or authorization-server metadata), when those lists exist.",
        spec: [RFC9728_3, RFC8414_2],
        remedy: "Change the entry's `scope` to scopes the server lists in scopes_supported: a renamed scope makes the authorization request fail with invalid_scope.",
    }
    GALLERY_ISSUER_CURRENT {
        id: "gallery-issuer-current", step: "gallery",
        name: "Entry's issuer is still the server's",
        description: "The issuer the entry pins is the authorization server the protected-resource metadata names, and the issuer of its metadata.",
        spec: [RFC8414_3_3, RFC9728_3],
        remedy: "Change the entry's `issuer` to the authorization server the protected-resource metadata names now, and check its pinned endpoints against that server's metadata.",
    }
    GALLERY_RESOURCE_CURRENT {
        id: "gallery-resource-current", step: "gallery",
        name: "Entry's URL is the server's resource",
        description: "The protected-resource metadata's `resource` names the entry's `url` (RFC 9728 §3.3 comparison).",
        spec: [RFC9728_3_3],
        remedy: "Change the entry's `url` to the `resource` the protected-resource metadata announces: clients bind tokens to it (RFC 8707), and a mismatch is refused by spec clients.",
    }
}

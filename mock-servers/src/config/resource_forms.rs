//! The forms the mock resource server's knobs take: where its metadata lives, how it writes
//! `resource` and `authorization_servers`, how it challenges and compares what it is sent.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrmLocation {
    /// `/.well-known/oauth-protected-resource/<path>` (RFC 9728 §3.1).
    PathInserted,
    /// `/.well-known/oauth-protected-resource` at the origin only.
    Root,
    /// Only at `custom-metadata-path`, so that only a client following the challenge's
    /// `resource_metadata` finds it.
    Custom,
    /// Nowhere.
    None,
}

/// The audience an MCP server that checks `aud` expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AudienceForm {
    /// Its own URL, the RFC 8707 `resource` clients send.
    Resource,
    /// Only its origin, without the path.
    Origin,
}

/// How the resource server reads the scheme of an `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BearerScheme {
    /// `Bearer`, `bearer`, `BEARER`: auth schemes are case-insensitive (RFC 9110 §11.1).
    AnyCase,
    /// Only `Bearer`; `bearer <token>` is answered like a request without a token.
    Exact,
}

/// The `scope` of a 403 `insufficient_scope` challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum InsufficientScopeChallenge {
    /// The whole `required-scope`.
    Required,
    /// Only the first scope of `required-scope` the token lacks, as a server that hands out
    /// per-operation scopes one at a time does: every step-up is answered with the next one.
    FirstMissing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceForm {
    Exact,
    /// The endpoint URL with a `/` appended.
    TrailingSlash,
    /// The same path on another host.
    OtherHost,
    /// The origin alone, without the endpoint's path (what metadata at the origin's
    /// well-known location may stand for, RFC 9728 §3.3).
    Origin,
    /// The origin with a `/`, whatever the endpoint's path (python-sdk#1264).
    OriginSlash,
}

/// The `authorization_servers` entry of the protected-resource metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthorizationServerForm {
    /// The issuer identifier, exactly.
    Exact,
    /// The issuer identifier with a `/` appended, which its metadata's `issuer` lacks.
    TrailingSlash,
}

/// The `WWW-Authenticate` of a 401 to a request without a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChallengeForm {
    /// `Bearer` with `resource_metadata` (as `resource-metadata-in-challenge` says) and
    /// `challenge-scope`.
    Standard,
    /// `Bearer realm="OAuth", error="invalid_token"`: no `resource_metadata`, no scope, and an
    /// error for a token that was never sent.
    RealmInvalidToken,
    /// `resource_metadata` twice in one challenge, which RFC 9110 §11.2 forbids: first the
    /// origin's root well-known URL, then the metadata's own location, as a provider's
    /// challenge with a second `resource_metadata` appended by the server (sentry-mcp#939).
    DuplicateParameters,
    /// Whitespace around every `=` (`resource_metadata = "…"`): valid (RFC 9110 §11.2 allows
    /// BWS there), but missed by clients that match `resource_metadata="` (qwen-code#5343).
    SpacedEquals,
    /// Single-quoted values (`resource_metadata='…'`): not a quoted-string, and a `'…'` URL is
    /// not a token either (RFC 9110 §5.6.2, §5.6.4), so the header does not parse.
    SingleQuoted,
    /// Two challenges in one header, `DPoP algs="ES256"` first (without `resource_metadata`),
    /// then the `Bearer` one with it (RFC 9110 §11.6.1 allows a list of challenges).
    DpopThenBearer,
}

/// How a GET of a path nothing serves is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnknownPathAnswer {
    /// 404 with an empty body.
    #[serde(rename = "empty-404")]
    Empty404,
    /// 404 with `Content-Type: text/plain` and the body `Not Found`.
    #[serde(rename = "text-404")]
    Text404,
    /// 200 with `Content-Type: text/html` and a web app's page (an SPA catch-all route).
    #[serde(rename = "html-200")]
    Html200,
}

/// What a server behind a TLS-terminating proxy writes about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsProxy {
    /// `http://`: it builds its URLs from the plain-HTTP request the proxy forwards and does
    /// not honour `X-Forwarded-Proto` (mesh-mcp#20, vercel/mcp-handler#110).
    ForwardedProtoIgnored,
    /// `https://`: it honours the proxy's `X-Forwarded-Proto: https`, as it must.
    ForwardedProtoHonoured,
}

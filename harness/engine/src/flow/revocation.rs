//! RFC 7009 token revocation, and the proof that it took: the revoked refresh token must be
//! refused afterwards with 400 invalid_grant.

use oauth2::RefreshToken;
use serde_json::json;

use super::FlowContext;
use super::discovery::DiscoveredServer;
use super::registration::RegisteredClient;
use super::token_request;
use crate::checks;

/// How a revocation went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revocation {
    /// No revocation_endpoint is advertised: nothing was asked.
    NotAdvertised,
    /// Revoked, and the token is refused afterwards.
    Effective,
    /// The endpoint refused the revocation, or the token still worked afterwards.
    Ineffective,
    /// Revoked, but the later refresh was answered with something other than invalid_grant.
    RefusedWrongly,
    /// The revocation endpoint refused the request or gave no answer (`revocation-accepted`
    /// says how); nothing is known of the token.
    Refused,
}

/// Revokes `refresh_token` at the advertised endpoint, then tries to refresh with it.
/// Records `revocation-accepted` and `revoked-refresh-token-refused`.
pub async fn revoke_refresh_token(
    ctx: &mut FlowContext,
    server: &DiscoveredServer,
    client: &RegisteredClient,
    refresh_token: &RefreshToken,
) -> Revocation {
    let Some(endpoint) = server.metadata.revocation_endpoint.clone() else {
        ctx.recorder.skip(
            &checks::REVOCATION_ACCEPTED,
            "the metadata advertises no revocation_endpoint",
        );
        ctx.recorder.skip(
            &checks::REVOKED_REFRESH_REFUSED,
            "the metadata advertises no revocation_endpoint",
        );
        return Revocation::NotAdvertised;
    };
    let params = vec![
        ("token".to_owned(), refresh_token.secret().clone()),
        ("token_type_hint".to_owned(), "refresh_token".to_owned()),
    ];
    match token_request::post(ctx, "revocation", &endpoint, client, params).await {
        Ok(response) if response.status.as_u16() == 200 => ctx.recorder.pass(
            &checks::REVOCATION_ACCEPTED,
            json!({ "revocationEndpoint": endpoint, "status": 200 }),
        ),
        Ok(response) => {
            let answer = token_request::ErrorAnswer::read(&response);
            ctx.recorder.fail(
                &checks::REVOCATION_ACCEPTED,
                json!({ "revocationEndpoint": endpoint, "expected": 200, "actualStatus": answer.status, "error": answer.error }),
                format!("the revocation answered {}", answer.summary()),
            );
            ctx.recorder.skip(
                &checks::REVOKED_REFRESH_REFUSED,
                "the revocation was not accepted",
            );
            return Revocation::Refused;
        }
        Err(e) => {
            ctx.recorder.fail(
                &checks::REVOCATION_ACCEPTED,
                json!({ "revocationEndpoint": endpoint, "error": e.to_string() }),
                format!("the revocation request failed: {e}"),
            );
            ctx.recorder.skip(
                &checks::REVOKED_REFRESH_REFUSED,
                "the revocation request failed",
            );
            return Revocation::Refused;
        }
    }

    let mut params = vec![
        ("grant_type".to_owned(), "refresh_token".to_owned()),
        ("refresh_token".to_owned(), refresh_token.secret().clone()),
    ];
    if super::sends_resource(ctx.profile, server) {
        params.push(("resource".to_owned(), server.resource.clone()));
    }
    let response =
        match token_request::post(ctx, "revocation", &server.endpoints.token, client, params).await
        {
            Ok(response) => response,
            Err(e) => {
                ctx.recorder.fail(
                    &checks::REVOKED_REFRESH_REFUSED,
                    json!({ "error": e.to_string() }),
                    format!("the refresh after revocation failed: {e}"),
                );
                return Revocation::RefusedWrongly;
            }
        };
    match token_request::read_tokens(ctx, &response) {
        Ok(_) => {
            ctx.recorder.fail(
                &checks::REVOKED_REFRESH_REFUSED,
                json!({ "expected": "400 invalid_grant", "actualStatus": 200 }),
                "the refresh token still works after the server accepted its revocation",
            );
            Revocation::Ineffective
        }
        Err(answer) if answer.is(400, "invalid_grant") => {
            ctx.recorder.pass(
                &checks::REVOKED_REFRESH_REFUSED,
                json!({ "status": 400, "error": "invalid_grant" }),
            );
            Revocation::Effective
        }
        Err(answer) => {
            ctx.recorder.fail(
                &checks::REVOKED_REFRESH_REFUSED,
                json!({ "expected": "400 invalid_grant", "actualStatus": answer.status, "error": answer.error, "errorDescription": answer.description }),
                format!(
                    "the revoked refresh token was answered {}, not 400 invalid_grant: a client cannot tell it was revoked",
                    answer.summary()
                ),
            );
            Revocation::RefusedWrongly
        }
    }
}

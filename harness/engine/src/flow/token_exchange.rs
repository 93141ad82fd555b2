//! Enterprise-managed authorization (the MCP extension, SEP-990): the person's identity
//! provider exchanges their ID token for an ID-JAG (identity assertion authorization grant)
//! with an RFC 8693 token exchange, addressed to the MCP server's authorization server and
//! resource; the ID-JAG is then the assertion of the RFC 7523 JWT bearer grant there.

use oauth2::ClientSecret;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use super::FlowContext;
use super::discovery::DiscoveredServer;
use crate::checks;
use crate::diagnosis::{self, Diagnosis};
use crate::http::Body;

pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const ID_JAG: &str = "urn:ietf:params:oauth:token-type:id-jag";
pub const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";

/// What the enterprise's identity provider gave the client: where to exchange, the person's ID
/// token and the client's Client ID there.
#[derive(Debug, Clone)]
pub struct IdentityAssertion {
    pub token_endpoint: String,
    pub id_token: ClientSecret,
    pub client_id: String,
}

/// The ID-JAG for `server`, from the identity provider's token endpoint.
pub async fn id_jag(
    ctx: &mut FlowContext,
    identity: &IdentityAssertion,
    server: &DiscoveredServer,
) -> Result<ClientSecret, Diagnosis> {
    ctx.http.redactor().register(identity.id_token.secret());
    let params = vec![
        ("grant_type".to_owned(), TOKEN_EXCHANGE.to_owned()),
        ("requested_token_type".to_owned(), ID_JAG.to_owned()),
        ("audience".to_owned(), server.issuer.clone()),
        ("resource".to_owned(), server.resource.clone()),
        (
            "subject_token".to_owned(),
            identity.id_token.secret().clone(),
        ),
        ("subject_token_type".to_owned(), ID_TOKEN.to_owned()),
        ("client_id".to_owned(), identity.client_id.clone()),
    ];
    let mut headers = HeaderMap::new();
    headers.insert("accept", HeaderValue::from_static("application/json"));
    let mut details = json!({ "tokenEndpoint": identity.token_endpoint, "audience": server.issuer, "resource": server.resource });
    let refused = |ctx: &mut FlowContext, details: Value, why: String| {
        ctx.recorder.fail(
            &checks::ID_JAG_TOKEN_EXCHANGE,
            details,
            format!("the identity provider's token exchange failed: {why}"),
        );
        diagnosis::new(
            diagnosis::TOKEN_EXCHANGE_REFUSED,
            format!("The identity provider did not exchange the ID token for an ID-JAG: {why}."),
            "Check that the identity provider allows this client the token exchange for this authorization server and resource, and that the ID token is current.",
        )
    };
    let response = match ctx
        .http
        .send(
            "token",
            Method::POST,
            &identity.token_endpoint,
            &headers,
            Body::Form(params),
        )
        .await
    {
        Ok(response) => response,
        Err(e) => return Err(refused(ctx, details, format!("the request failed: {e}"))),
    };
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    details["actualStatus"] = json!(response.status.as_u16());
    let token = body["access_token"].as_str().filter(|t| !t.is_empty());
    match (response.status.is_success(), token) {
        (true, Some(token)) => {
            ctx.http.redactor().register(token);
            details["issuedTokenType"] = body["issued_token_type"].clone();
            ctx.recorder.pass(&checks::ID_JAG_TOKEN_EXCHANGE, details);
            Ok(ClientSecret::new(token.to_owned()))
        }
        (true, None) => Err(refused(
            ctx,
            details,
            "the answer has no access_token (the ID-JAG)".to_owned(),
        )),
        (false, _) => {
            let error = body["error"]
                .as_str()
                .unwrap_or("(no error code)")
                .to_owned();
            let description = body["error_description"].as_str().unwrap_or("").to_owned();
            details["error"] = json!(error);
            details["errorDescription"] = json!(description);
            let status = response.status.as_u16();
            Err(refused(
                ctx,
                details,
                format!("{status} {error}: {description}"),
            ))
        }
    }
}

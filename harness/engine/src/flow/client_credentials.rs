//! Grants without a person: RFC 6749 §4.4 client credentials (authenticated with
//! `client_secret_basic` or an RFC 7523 `private_key_jwt` assertion) and the RFC 7523 §2.1 JWT
//! bearer grant with a workload token (workload identity federation). Each replaces the
//! authorization and code exchange of the interactive flow; discovery stays the same.

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::json;

use super::client_assertion;
use super::discovery::DiscoveredServer;
use super::probe::Probe;
use super::registration::{AuthMethod, RegisteredClient};
use super::token::TokenSet;
use super::token_request::{self, ErrorAnswer};
use super::{ClientOptions, Connection, FlowContext, StepResult, resource_parameter};
use crate::checks::{self, CheckDef};
use crate::diagnosis::{self, Diagnosis};
use crate::http::Body;

pub const CLIENT_CREDENTIALS: &str = "client_credentials";
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How the client obtains its tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    /// The authorization code with PKCE, through a person's consent.
    AuthorizationCode,
    /// RFC 6749 §4.4: the client's own credentials (a secret or a signing key).
    ClientCredentials,
    /// RFC 7523 §2.1: an assertion the client was given (a workload identity token).
    JwtBearer,
}

impl Grant {
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::AuthorizationCode => "authorization_code",
            Grant::ClientCredentials => CLIENT_CREDENTIALS,
            Grant::JwtBearer => JWT_BEARER,
        }
    }
}

/// The grant this flow uses with `server`. A chosen grant is used as chosen; without a
/// choice, a client that holds an assertion uses the JWT bearer grant where the authorization
/// server lists it, and a client that holds a secret or key uses client credentials where the
/// server lists that grant and not the authorization code. Otherwise, the authorization code.
pub fn chosen(options: &ClientOptions, server: &DiscoveredServer) -> Grant {
    if let Some(grant) = options.grant {
        return grant;
    }
    let Some(listed) = &server.metadata.grant_types_supported else {
        return Grant::AuthorizationCode;
    };
    let lists = |grant: &str| listed.iter().any(|g| g == grant);
    let asserts = options.assertion.is_some() || options.identity_assertion.is_some();
    if asserts && lists(JWT_BEARER) {
        return Grant::JwtBearer;
    }
    let has_credential = options.client_secret.is_some() || options.signing_key.is_some();
    if has_credential && lists(CLIENT_CREDENTIALS) && !lists("authorization_code") {
        return Grant::ClientCredentials;
    }
    Grant::AuthorizationCode
}

/// Tokens by `grant` (client credentials or JWT bearer), with the Client ID the options bring.
pub async fn obtain(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    server: DiscoveredServer,
    probe: &Probe,
    grant: Grant,
) -> StepResult<Connection> {
    let check = match grant {
        Grant::JwtBearer => &checks::TOKEN_JWT_BEARER,
        _ => &checks::TOKEN_CLIENT_CREDENTIALS,
    };
    let Some(client_id) = options.client_id.clone() else {
        ctx.recorder.fail(
            check,
            json!({ "grant": grant.as_str(), "clientId": null }),
            "a grant without a person needs a Client ID registered in advance, and none was given",
        );
        return Err(diagnosis::new(
            diagnosis::CLIENT_ID_MISSING,
            format!(
                "The {} grant needs a Client ID registered at the authorization server in advance, and none was given.",
                grant.as_str()
            ),
            "Give the Client ID (--client-id, or client_id in MCP_CONFORMANCE_CONTEXT) that the provider registered for this client.",
        ));
    };
    let mut params = vec![("grant_type".to_owned(), grant.as_str().to_owned())];
    let mut headers = HeaderMap::new();
    headers.insert("accept", HeaderValue::from_static("application/json"));
    let mut details = json!({ "grant": grant.as_str(), "clientId": client_id });
    let client = match grant {
        Grant::JwtBearer => {
            let exchanged = match (&options.assertion, &options.identity_assertion) {
                (None, Some(identity)) => {
                    Some(super::token_exchange::id_jag(ctx, identity, &server).await?)
                }
                _ => None,
            };
            let Some(assertion) = exchanged.as_ref().or(options.assertion.as_ref()) else {
                return Err(missing_credential(ctx, check, grant, "an assertion"));
            };
            details["assertionSource"] = json!(if exchanged.is_some() {
                "id-jag"
            } else {
                "given"
            });
            ctx.http.redactor().register(assertion.secret());
            params.push(("assertion".to_owned(), assertion.secret().clone()));
            authenticate_with_secret(options, &client_id, &mut headers, &mut params)
        }
        _ => match (&options.signing_key, &options.client_secret) {
            (Some(key), _) => {
                let aud = server.issuer.clone();
                let assertion =
                    client_assertion::sign(key, &client_id, &aud, ctx.clock.now()).map_err(
                        |problem| {
                            ctx.recorder.fail(
                                check,
                                json!({ "grant": grant.as_str(), "clientAuthentication": "private_key_jwt", "problem": problem }),
                                format!("the client assertion could not be signed: {problem}"),
                            );
                            diagnosis::new(
                                diagnosis::CLIENT_CREDENTIALS_REFUSED,
                                format!("The client assertion could not be signed: {problem}."),
                                "Give a PKCS#8 PEM private key of the algorithm named (ES256, RS256 with 2048 to 8192 bits, or EdDSA).",
                            )
                        },
                    )?;
                ctx.http.redactor().register(&assertion);
                details["signingAlg"] = json!(key.algorithm_name());
                details["assertionAud"] = json!(aud);
                params.push(("client_id".to_owned(), client_id.clone()));
                params.push((
                    "client_assertion_type".to_owned(),
                    ASSERTION_TYPE.to_owned(),
                ));
                params.push(("client_assertion".to_owned(), assertion));
                RegisteredClient {
                    client_id: client_id.clone(),
                    client_secret: None,
                    auth_method: AuthMethod::None,
                    source: "brought",
                    management: None,
                }
            }
            (None, Some(_)) => {
                authenticate_with_secret(options, &client_id, &mut headers, &mut params)
            }
            (None, None) => {
                return Err(missing_credential(
                    ctx,
                    check,
                    grant,
                    "a client secret or a signing key",
                ));
            }
        },
    };
    details["clientAuthentication"] = json!(match (&options.signing_key, grant) {
        (Some(_), Grant::ClientCredentials) => "private_key_jwt",
        _ => client.auth_method.as_str(),
    });
    let scope = super::scope::choose_scope(options, probe, &server);
    if let Some(scope) = &scope {
        params.push(("scope".to_owned(), scope.clone()));
    }
    if let Some((name, resource)) = resource_parameter(ctx, "token", &server) {
        params.push((name.to_owned(), resource));
    }
    let response = ctx
        .http
        .send(
            "token",
            Method::POST,
            &server.endpoints.token,
            &headers,
            Body::Form(params),
        )
        .await
        .map_err(|e| {
            diagnosis::new(
                diagnosis::TOKEN_EXCHANGE_FAILED,
                format!("The token endpoint could not be reached: {e}"),
                "Check that the token_endpoint in the metadata is reachable.",
            )
        })?;
    match token_request::read_tokens(ctx, &response) {
        Ok(tokens) => {
            details["scope"] = json!(tokens.scope);
            ctx.recorder.pass(check, details);
            Ok(connection(server, client, tokens, scope))
        }
        Err(answer) => Err(refused(ctx, check, grant, details, &answer)),
    }
}

/// Before a call: a token from a grant without a person that expires within the profile's
/// refresh window, and came without a refresh token, is replaced by running the grant again
/// (RFC 6749 §4.4.3: client credentials answers carry no refresh token).
pub async fn renew_if_due(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    connection: &mut Connection,
) -> StepResult<()> {
    let grant = chosen(options, &connection.server);
    let Some(expires_at) = connection.tokens.expires_at else {
        return Ok(());
    };
    let remaining = expires_at
        .duration_since(ctx.clock.now())
        .unwrap_or_default();
    if grant == Grant::AuthorizationCode
        || connection.tokens.refresh_token.is_some()
        || remaining > ctx.profile.refresh_window
    {
        return Ok(());
    }
    let mut options = options.clone();
    options.scope = options.scope.or(connection.requested_scope.clone());
    *connection = obtain(
        ctx,
        &options,
        connection.server.clone(),
        &Probe::default(),
        grant,
    )
    .await?;
    Ok(())
}

/// Client authentication with the brought secret as the server's metadata asks (Basic by
/// default), or the Client ID alone for a public client.
fn authenticate_with_secret(
    options: &ClientOptions,
    client_id: &str,
    headers: &mut HeaderMap,
    params: &mut Vec<(String, String)>,
) -> RegisteredClient {
    let client = RegisteredClient {
        client_id: client_id.to_owned(),
        client_secret: options.client_secret.clone(),
        auth_method: if options.client_secret.is_some() {
            AuthMethod::ClientSecretBasic
        } else {
            AuthMethod::None
        },
        source: "brought",
        management: None,
    };
    token_request::authenticate(&client, headers, params);
    client
}

fn connection(
    server: DiscoveredServer,
    client: RegisteredClient,
    tokens: TokenSet,
    requested_scope: Option<String>,
) -> Connection {
    Connection {
        server,
        client,
        tokens,
        requested_scope,
        refresh_server_errors: 0,
    }
}

fn missing_credential(
    ctx: &mut FlowContext,
    check: &'static CheckDef,
    grant: Grant,
    what: &str,
) -> Diagnosis {
    ctx.recorder.fail(
        check,
        json!({ "grant": grant.as_str(), "credential": null }),
        format!(
            "the {} grant needs {what}, and none was given",
            grant.as_str()
        ),
    );
    diagnosis::new(
        diagnosis::CLIENT_ID_MISSING,
        format!(
            "The {} grant needs {what}, and none was given.",
            grant.as_str()
        ),
        "Give the client's credential (MCP_CONFORMANCE_CONTEXT, or the connect options).",
    )
}

/// A refused grant: the error answered is the diagnosis, never retried with another grant.
fn refused(
    ctx: &mut FlowContext,
    check: &'static CheckDef,
    grant: Grant,
    mut details: serde_json::Value,
    answer: &ErrorAnswer,
) -> Diagnosis {
    details["expected"] = json!(200);
    details["actualStatus"] = json!(answer.status);
    details["error"] = json!(answer.error);
    details["errorDescription"] = json!(answer.description);
    let summary = answer.summary();
    ctx.recorder.fail(
        check,
        details,
        format!("the {} grant was refused: {summary}", grant.as_str()),
    );
    let (code, remedy) = match (grant, answer.error.as_deref()) {
        (Grant::JwtBearer, _) => (
            diagnosis::JWT_BEARER_REFUSED,
            "Check the assertion the client was given: its audience must be this authorization server, it must not have expired, and the server must trust its issuer for this client.",
        ),
        (_, Some("invalid_client")) => (
            diagnosis::CLIENT_CREDENTIALS_REFUSED,
            "Check the client's credentials at the provider: the secret, or the public key registered for its client assertions (iss and sub are the Client ID, aud the issuer).",
        ),
        _ => (
            diagnosis::CLIENT_CREDENTIALS_REFUSED,
            "Check that the provider allows this client the client_credentials grant and the scope it asked for.",
        ),
    };
    diagnosis::new(
        code,
        format!(
            "The token endpoint refused the {} grant ({summary}).",
            grant.as_str()
        ),
        remedy,
    )
}

#[cfg(test)]
mod tests {
    use oauth2::ClientSecret;

    use super::*;
    use crate::flow::testing;

    fn listing(grants: &[&str]) -> DiscoveredServer {
        let mut server = testing::server(None);
        server.metadata.grant_types_supported =
            Some(grants.iter().map(|g| (*g).to_owned()).collect());
        server
    }

    #[test]
    fn the_grant_follows_the_credentials_held_and_the_grants_listed() {
        let mut options = ClientOptions::new(testing::MCP_URL);
        let machine_only = listing(&[CLIENT_CREDENTIALS]);
        let both = listing(&["authorization_code", CLIENT_CREDENTIALS]);
        // Nothing held: the authorization code, whatever is listed.
        assert_eq!(chosen(&options, &machine_only), Grant::AuthorizationCode);
        options.client_secret = Some(ClientSecret::new("machine-secret".into()));
        assert_eq!(chosen(&options, &machine_only), Grant::ClientCredentials);
        // A secret is also what a confidential interactive client holds.
        assert_eq!(chosen(&options, &both), Grant::AuthorizationCode);
        assert_eq!(
            chosen(&options, &testing::server(None)),
            Grant::AuthorizationCode
        );
        options.assertion = Some(ClientSecret::new("header.claims.signature".into()));
        assert_eq!(chosen(&options, &listing(&[JWT_BEARER])), Grant::JwtBearer);
        // A chosen grant wins over the metadata.
        options.grant = Some(Grant::ClientCredentials);
        assert_eq!(
            chosen(&options, &listing(&[JWT_BEARER])),
            Grant::ClientCredentials
        );
    }
}

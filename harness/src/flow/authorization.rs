//! Step 4: the authorization request (PKCE S256, state, optional resource), the consent step
//! played by the user agent, and the validation of the callback.

use std::collections::HashMap;
use std::time::SystemTime;

use oauth2::{AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier};
use serde_json::json;
use url::Url;

use super::discovery::DiscoveredServer;
use super::probe::Probe;
use super::registration::RegisteredClient;
use super::{ClientOptions, FlowContext, Pauses, StepResult};
use crate::checks;
use crate::diagnosis;
use crate::profile::IssPolicy;
use crate::user_agent::{ConsentOutcome, UserAgent};

/// A code ready to be exchanged, with the verifier that proves it is ours.
#[derive(Debug)]
pub struct AuthorizationGrant {
    pub code: AuthorizationCode,
    pub verifier: PkceCodeVerifier,
    pub received_at: SystemTime,
}

/// Scope selection as the MCP spec orders it: the challenge's `scope`, else the metadata's
/// `scopes_supported`, else none; an explicit choice by the user wins.
pub fn choose_scope(
    options: &ClientOptions,
    probe: &Probe,
    server: &DiscoveredServer,
) -> Option<String> {
    if let Some(scope) = &options.scope {
        return Some(scope.clone());
    }
    if let Some(scope) = probe.scope() {
        return Some(scope.to_owned());
    }
    (!server.scopes_supported.is_empty()).then(|| server.scopes_supported.join(" "))
}

pub async fn authorize(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    server: &DiscoveredServer,
    client: &RegisteredClient,
    probe: &Probe,
    agent: &UserAgent,
    pauses: &Pauses,
) -> StepResult<AuthorizationGrant> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = CsrfToken::new_random();
    ctx.http.redactor().register(verifier.secret());
    ctx.http.redactor().register(state.secret());

    let mut url = Url::parse(&server.endpoints.authorization).map_err(|e| {
        diagnosis::new(
            diagnosis::METADATA_INVALID,
            format!(
                "The authorization_endpoint {} is not a URL: {e}",
                server.endpoints.authorization
            ),
            "Publish an absolute https authorization_endpoint in the metadata.",
        )
    })?;
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &client.client_id)
            .append_pair("redirect_uri", &options.redirect_uri)
            .append_pair("code_challenge", challenge.as_str())
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", state.secret());
        if let Some(scope) = choose_scope(options, probe, server) {
            query.append_pair("scope", &scope);
        }
        if ctx.profile.send_resource {
            query.append_pair("resource", &server.resource);
        }
    }

    let started = ctx.clock.now();
    pauses.pass(pauses.at_consent);
    let outcome = agent
        .authorize(&ctx.http, url.as_str(), &options.redirect_uri)
        .await
        .map_err(|e| {
            diagnosis::new(
                diagnosis::AUTHORIZATION_ERROR_PAGE,
                format!("The authorization endpoint could not be loaded: {e}"),
                "Check that the authorization_endpoint in the metadata is reachable.",
            )
        })?;
    let callback = match outcome {
        ConsentOutcome::Callback(callback) => {
            ctx.recorder.pass(
                &checks::AUTHORIZATION_REDIRECT,
                json!({ "redirectUri": options.redirect_uri }),
            );
            callback
        }
        ConsentOutcome::RedirectElsewhere { location } => {
            return Err(refused_redirect(
                ctx,
                options,
                client,
                &format!("a redirect to {location}"),
                "",
            ));
        }
        ConsentOutcome::Page { status, body } => {
            return Err(refused_redirect(
                ctx,
                options,
                client,
                &format!("a {status} page"),
                &body,
            ));
        }
    };

    let elapsed = ctx.clock.now().duration_since(started).unwrap_or_default();
    let lifetime = ctx.profile.pending_authorization_lifetime;
    if elapsed > lifetime {
        ctx.recorder.fail(
            &checks::PENDING_AUTHORIZATION_FRESH,
            json!({ "lifetimeSeconds": lifetime.as_secs(), "elapsedSeconds": elapsed.as_secs() }),
            format!(
                "the callback came {} s after the flow started; pending authorizations live {} s",
                elapsed.as_secs(),
                lifetime.as_secs()
            ),
        );
        return Err(diagnosis::new(
            diagnosis::STATE_EXPIRED,
            format!(
                "The consent popup was left idle for {} s; the authorization state expired after {} s and the callback was refused.",
                elapsed.as_secs(),
                lifetime.as_secs()
            ),
            "Connect again and complete the consent screen promptly.",
        ));
    }
    ctx.recorder.pass(
        &checks::PENDING_AUTHORIZATION_FRESH,
        json!({ "lifetimeSeconds": lifetime.as_secs(), "elapsedSeconds": elapsed.as_secs() }),
    );

    let params = callback_params(&callback);
    let returned_state = params.get("state").map(String::as_str);
    if returned_state != Some(state.secret().as_str()) {
        ctx.recorder.fail(
            &checks::STATE_MATCHES,
            json!({ "expected": "the state the client sent", "actual": if returned_state.is_some() { "a different value" } else { "no state" } }),
            "the callback's state does not match the request",
        );
        return Err(diagnosis::new(
            diagnosis::STATE_MISMATCH,
            "The callback's state parameter does not match the one the client sent; it was refused as a possible CSRF.",
            "The authorization server must return `state` unchanged on the redirect.",
        ));
    }
    ctx.recorder
        .pass(&checks::STATE_MATCHES, json!({ "stateReturned": true }));

    check_iss(ctx, server, params.get("iss").map(String::as_str))?;

    if let Some(error) = params.get("error") {
        let description = params.get("error_description").cloned().unwrap_or_default();
        ctx.recorder.fail(
            &checks::AUTHORIZATION_GRANTED,
            json!({ "error": error, "errorDescription": description }),
            format!("the authorization server answered {error}: {description}"),
        );
        return Err(authorization_error(ctx, error, &description));
    }
    let Some(code) = params.get("code") else {
        ctx.recorder.fail(
            &checks::AUTHORIZATION_GRANTED,
            json!({ "expected": "code", "actual": null }),
            "the callback has neither code nor error",
        );
        return Err(diagnosis::new(
            diagnosis::AUTHORIZATION_ERROR,
            "The callback carried neither an authorization code nor an error.",
            "The authorization server must redirect with `code` (or `error`) per RFC 6749 §4.1.2.",
        ));
    };
    ctx.http.redactor().register(code);
    ctx.recorder.pass(
        &checks::AUTHORIZATION_GRANTED,
        json!({ "code": "received" }),
    );
    Ok(AuthorizationGrant {
        code: AuthorizationCode::new(code.clone()),
        verifier,
        received_at: ctx.clock.now(),
    })
}

fn callback_params(callback: &str) -> HashMap<String, String> {
    let query = callback.split_once('?').map(|(_, q)| q).unwrap_or("");
    let query = query.split('#').next().unwrap_or("");
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// The server showed something instead of redirecting to the callback.
fn refused_redirect(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    client: &RegisteredClient,
    what: &str,
    page: &str,
) -> diagnosis::Diagnosis {
    let lower = page.to_ascii_lowercase();
    let mentions_redirect = lower.contains("redirect_uri") || lower.contains("redirect uri");
    ctx.recorder.fail(
        &checks::AUTHORIZATION_REDIRECT,
        json!({ "expected": format!("a redirect to {}", options.redirect_uri), "actual": what }),
        format!(
            "the authorization endpoint answered with {what} instead of redirecting to the callback"
        ),
    );
    if mentions_redirect || client.source == "brought" {
        diagnosis::new(
            diagnosis::REDIRECT_URI_MISMATCH,
            format!(
                "redirect_uri mismatch: the authorization server refused to redirect to {} for client {}.",
                options.redirect_uri, client.client_id
            ),
            format!(
                "Add {} exactly (scheme, host, port, path, no trailing slash) to the OAuth app's allowed redirect URIs in the provider's console, then connect again.",
                options.redirect_uri
            ),
        )
    } else {
        diagnosis::new(
            diagnosis::AUTHORIZATION_ERROR_PAGE,
            format!("The authorization endpoint answered with {what} instead of redirecting back."),
            "Open the authorization URL in a browser to read the provider's error; check the client registration and the requested scopes.",
        )
    }
}

fn authorization_error(ctx: &FlowContext, error: &str, description: &str) -> diagnosis::Diagnosis {
    match error {
        "access_denied" => diagnosis::new(
            diagnosis::CONSENT_DENIED,
            format!(
                "Consent was denied at the authorization server (access_denied: {description})."
            ),
            "Connect again and approve the consent screen; if the provider denies on its own, check the account's permissions and the app's allowed users.",
        ),
        "invalid_target" => diagnosis::new(
            diagnosis::AUDIENCE_REQUIRED,
            format!(
                "The authorization server requires an audience / resource parameter (invalid_target: {description}), and the {} profile {}.",
                ctx.profile.name,
                if ctx.profile.send_resource {
                    "sent one it did not accept"
                } else {
                    "does not send one"
                }
            ),
            if ctx.profile.send_resource {
                "Make the authorization server accept the MCP server's canonical URL as `resource` (RFC 8707).".to_owned()
            } else {
                "Servers that strictly require an audience cannot be connected by Pipelines: ask the provider to make the audience optional (defaulting to the MCP server), or use a client that sends RFC 8707 `resource` (a spec profile such as mcp-2025-11-25).".to_owned()
            },
        ),
        _ => diagnosis::new(
            diagnosis::AUTHORIZATION_ERROR,
            format!("The authorization server refused the request: {error}: {description}"),
            "Read the error above; check the app's configuration at the provider (client, scopes, redirect URIs).",
        ),
    }
}

/// RFC 9207: `iss` identifies the server that answered, compared without normalization.
fn check_iss(
    ctx: &mut FlowContext,
    server: &DiscoveredServer,
    iss: Option<&str>,
) -> StepResult<()> {
    let advertised = server
        .metadata
        .authorization_response_iss_parameter_supported
        == Some(true);
    match iss {
        Some(iss) if iss == server.issuer => {
            ctx.recorder.pass(
                &checks::ISS_PARAMETER,
                json!({ "expected": server.issuer, "actual": iss }),
            );
            Ok(())
        }
        Some(iss) => {
            ctx.recorder.fail(
                &checks::ISS_PARAMETER,
                json!({ "expected": server.issuer, "actual": iss }),
                format!(
                    "the callback's iss {iss:?} is not the issuer {:?}",
                    server.issuer
                ),
            );
            Err(diagnosis::new(
                diagnosis::ISS_MISMATCH,
                format!(
                    "The authorization response came with iss={iss}, not the expected issuer {}; it was refused as a possible mix-up attack (RFC 9207).",
                    server.issuer
                ),
                "The authorization server must send its exact issuer identifier as `iss`.",
            ))
        }
        None if advertised && ctx.profile.iss == IssPolicy::RequireWhenAdvertised => {
            ctx.recorder.fail(
                &checks::ISS_PARAMETER,
                json!({ "expected": server.issuer, "actual": null, "advertised": true }),
                "the server advertises authorization_response_iss_parameter_supported but sent no iss",
            );
            Err(diagnosis::new(
                diagnosis::ISS_MISMATCH,
                "The authorization server advertises the RFC 9207 iss parameter but the response lacked it.",
                "Send `iss` on every authorization response, or stop advertising authorization_response_iss_parameter_supported.",
            ))
        }
        None => {
            ctx.recorder.info(
                &checks::ISS_PARAMETER,
                json!({ "advertised": advertised }),
                "no iss parameter on the callback",
            );
            Ok(())
        }
    }
}

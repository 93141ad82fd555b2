//! Step 4: the authorization request (PKCE S256, state, optional resource), the consent step
//! played by the user agent, and the validation of the callback.

use std::time::SystemTime;

use mcp_oauth_reports::Status;
use oauth2::{AuthorizationCode, CsrfToken, PkceCodeChallenge, PkceCodeVerifier};
use serde_json::json;
use url::Url;

use super::callback;
use super::consent_page::{self, Shown};
use super::discovery::DiscoveredServer;
use super::probe::Probe;
use super::registration::RegisteredClient;
use super::scope::requested_scope;
use super::{ClientOptions, FlowContext, Pauses, StepResult, resource_parameter};
use crate::checks;
use crate::diagnosis;
use crate::profile::{AuthorizationQuery, IssPolicy};
use crate::user_agent::{ConsentOutcome, UserAgent};

/// A code ready to be exchanged, with the verifier that proves it is ours.
#[derive(Debug)]
pub struct AuthorizationGrant {
    pub code: AuthorizationCode,
    pub verifier: PkceCodeVerifier,
    pub received_at: SystemTime,
    /// The scope the authorization request asked for, the base of a later step-up.
    pub scope: Option<String>,
}

/// An authorization request ready to be visited, with the secrets its answer is checked and
/// redeemed with.
pub struct AuthorizationRequest {
    pub url: Url,
    pub(crate) verifier: PkceCodeVerifier,
    pub(crate) state: CsrfToken,
}

/// The authorization request (RFC 6749 §4.1.1, PKCE S256 per RFC 7636, a fresh `state`): the
/// one place it is built, for the client flow and for `check`'s probes. The verifier and state
/// are registered with the redactor before the URL exists.
pub fn authorization_request(
    ctx: &FlowContext,
    mut endpoint: Url,
    client_id: &str,
    redirect_uri: &str,
    scope: Option<&str>,
    resource: Option<(&str, &str)>,
) -> AuthorizationRequest {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = CsrfToken::new_random();
    ctx.http.redactor().register(verifier.secret());
    ctx.http.redactor().register(state.secret());
    // A profile that writes `{endpoint}?{parameters}` builds its parameters alone, then
    // joins them to the endpoint's own query after a second `?`.
    let own_query = match ctx.profile.authorization_query {
        AuthorizationQuery::QuestionMark => endpoint.query().map(str::to_owned),
        AuthorizationQuery::Appended => None,
    };
    if own_query.is_some() {
        endpoint.set_query(None);
    }
    {
        let mut query = endpoint.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("code_challenge", challenge.as_str())
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", state.secret());
        if let Some(scope) = scope {
            query.append_pair("scope", scope);
        }
        if let Some((name, value)) = resource {
            query.append_pair(name, value);
        }
    }
    if let Some(own) = own_query {
        let parameters = endpoint.query().unwrap_or_default().to_owned();
        endpoint.set_query(None);
        if let Ok(joined) = Url::parse(&format!("{endpoint}?{own}?{parameters}")) {
            endpoint = joined;
        }
    }
    AuthorizationRequest {
        url: endpoint,
        verifier,
        state,
    }
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
    let scope = requested_scope(ctx, options, probe, server);
    let resource = resource_parameter(ctx, "authorization", server);
    let endpoint = Url::parse(&server.endpoints.authorization).map_err(|e| {
        diagnosis::new(
            diagnosis::METADATA_INVALID,
            format!(
                "The authorization_endpoint {} is not a URL: {e}",
                server.endpoints.authorization
            ),
            "Publish an absolute https authorization_endpoint in the metadata.",
        )
    })?;
    // RFC 6749 §3.1: a query the endpoint already has is kept, the request's parameters are
    // appended to it with `&` (what `authorization_request` does); the report says so.
    let endpoint_query = endpoint.query().map(str::to_owned);
    let AuthorizationRequest {
        mut url,
        verifier,
        state,
    } = authorization_request(
        ctx,
        endpoint,
        &client.client_id,
        &options.redirect_uri,
        scope.as_deref(),
        resource
            .as_ref()
            .map(|(name, value)| (*name, value.as_str())),
    );

    if let Some(audience) = &options.audience {
        url.query_pairs_mut().append_pair("audience", audience);
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
            let mut details = json!({ "redirectUri": options.redirect_uri });
            if let Some(query) = &endpoint_query {
                let written = match ctx.profile.authorization_query {
                    AuthorizationQuery::Appended => "endpointQueryKept",
                    AuthorizationQuery::QuestionMark => "endpointQueryBeforeSecondQuestionMark",
                };
                details[written] = json!(query);
            }
            if let Some(audience) = &options.audience {
                details["audience"] = json!(audience);
            }
            ctx.recorder.pass(&checks::AUTHORIZATION_REDIRECT, details);
            callback
        }
        ConsentOutcome::RedirectElsewhere { location } => {
            let shown = Shown::Redirect {
                location: &location,
            };
            return Err(refused_redirect(ctx, options, client, shown));
        }
        ConsentOutcome::Page { status, body } => {
            let shown = Shown::Page {
                status,
                body: &body,
            };
            let refused = refused_redirect(ctx, options, client, shown);
            return Err(match &endpoint_query {
                Some(query)
                    if ctx.profile.authorization_query == AuthorizationQuery::QuestionMark =>
                {
                    second_question_mark(refused, query, ctx.profile)
                }
                _ => refused,
            });
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

    callback::check_unique(ctx, &callback)?;
    let params = callback::params(&callback);
    let returned_state = params.get("state").map(String::as_str);
    let state_differs = returned_state != Some(state.secret().as_str());
    if state_differs {
        let status = ctx.recorder.fail(
            &checks::STATE_MATCHES,
            json!({ "expected": "the state the client sent", "actual": if returned_state.is_some() { "a different value" } else { "no state" } }),
            "the callback's state does not match the request",
        );
        // A profile of a client that never compares `state` goes on to redeem the code, as
        // that client does.
        if status == Status::Failure {
            return Err(diagnosis::new(
                diagnosis::STATE_MISMATCH,
                "The callback's state parameter does not match the one the client sent; it was refused as a possible CSRF.",
                "The authorization server must return `state` unchanged on the redirect.",
            ));
        }
    } else {
        ctx.recorder
            .pass(&checks::STATE_MATCHES, json!({ "stateReturned": true }));
    }

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
        scope,
    })
}

/// The server showed something instead of redirecting to the callback: the failed
/// `authorization-redirect` check, with the fix of what the answer shows. The check's own
/// remedy (the callback URL missing from the app's allowed list) is right for one cause only;
/// a failed check that named it for a document the server could not fetch would send the
/// reader to the wrong console.
fn refused_redirect(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    client: &RegisteredClient,
    shown: Shown<'_>,
) -> diagnosis::Diagnosis {
    let what = match shown {
        Shown::Page { status, .. } => format!("a {status} page"),
        Shown::Redirect { location } => format!("a redirect to {location}"),
    };
    let diagnosis = why_not_redirected(ctx, options, client, shown);
    ctx.recorder.fail_with_remedy(
        &checks::AUTHORIZATION_REDIRECT,
        json!({ "expected": format!("a redirect to {}", options.redirect_uri), "actual": what }),
        format!(
            "the authorization endpoint answered with {what} instead of redirecting to the callback"
        ),
        Some(diagnosis.remedy.clone()),
    );
    diagnosis
}

/// Why the answer was not the redirect. Each diagnosis rests on what the answer shows
/// (`consent_page`): a refused redirect URI only when the server says so, never because a
/// sign-in page carries `redirect_uri` along or the Client ID was brought.
fn why_not_redirected(
    ctx: &FlowContext,
    options: &ClientOptions,
    client: &RegisteredClient,
    shown: Shown<'_>,
) -> diagnosis::Diagnosis {
    if consent_page::refuses_redirect_uri(shown, &options.redirect_uri) {
        return diagnosis::new(
            diagnosis::REDIRECT_URI_MISMATCH,
            format!(
                "redirect_uri mismatch: the authorization server refused to redirect to {} for client {}.",
                options.redirect_uri, client.client_id
            ),
            format!(
                "Add {} exactly (scheme, host, port, path, no trailing slash) to the OAuth app's allowed redirect URIs in the provider's console, then connect again.{}",
                options.redirect_uri,
                crate::user_agent::loopback_uri::other_form_advice(&options.redirect_uri)
            ),
        );
    }
    let (status, body) = match shown {
        Shown::Page { status, body } => (Some(status), body),
        Shown::Redirect { .. } => (None, ""),
    };
    if let Some(unknown) = super::unknown_client::at_authorization(ctx.profile, client, body) {
        return unknown;
    }
    let titled = consent_page::title(body)
        .map(|title| format!(" titled \"{title}\""))
        .unwrap_or_default();
    if let Some(status) = status.filter(|s| *s >= 400)
        && client.source == "client-id-metadata-document"
    {
        return document_refused(ctx, client, status, &titled, body);
    }
    if let Some(status) = status.filter(|s| *s >= 400) {
        return diagnosis::new(
            diagnosis::AUTHORIZATION_ERROR_PAGE,
            format!(
                "The authorization endpoint answered with a {status} page{titled} instead of redirecting back."
            ),
            "Open the authorization URL in a browser to read the provider's error; check the client registration and the requested scopes.",
        );
    }
    let shown_as = match shown {
        Shown::Page { status, .. } => format!("a {status} page{titled}"),
        Shown::Redirect { location } => format!("a redirect to {}", without_query(location)),
    };
    diagnosis::new(
        diagnosis::CONSENT_NOT_COMPLETED,
        format!(
            "The consent was not completed: the authorization endpoint answered with {shown_as} (a sign-in or consent screen, most likely) instead of redirecting to the callback, and no error said why."
        ),
        "Complete the consent as a person would: run the check with the system browser (the default) or --authorize-with CMD, which signs in and approves; --headless suits only servers that approve without a person.",
    )
}

/// An error page to a client whose Client ID is its metadata document's URL: the
/// authorization server fetches the document when the request arrives, so a document it cannot
/// fetch or use (gone after a domain move, too large for its limit, too slow) fails here. The
/// page's own words are quoted: they say which.
fn document_refused(
    ctx: &FlowContext,
    client: &RegisteredClient,
    status: u16,
    titled: &str,
    body: &str,
) -> diagnosis::Diagnosis {
    // The title is quoted already, and pages repeat it as their heading.
    let mut said = consent_page::text(body);
    if let Some(title) = consent_page::title(body) {
        said = said
            .replace(&title, " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
    }
    let quoted = if said.is_empty() {
        String::new()
    } else {
        format!(": \"{said}\"")
    };
    let mut remedy = format!(
        "Serve the client ID metadata document at {} (200, JSON, its client_id that same URL, small and quick: some authorization servers accept a few KiB at most, and stop waiting after a few seconds), reachable from the authorization server.",
        client.client_id
    );
    if ctx.profile.client_id_metadata_document {
        remedy.push_str(" Or connect without the document: by dynamic registration where the server offers it, or with a pasted Client ID.");
    }
    diagnosis::new(
        diagnosis::CLIENT_METADATA_DOCUMENT_REFUSED,
        format!(
            "The authorization server answered with a {status} page{titled} instead of redirecting back: it could not use the client ID metadata document at {}{quoted}.",
            client.client_id
        ),
        remedy,
    )
}

/// A redirect's target without its query and fragment, which can carry the request's state.
fn without_query(location: &str) -> String {
    match Url::parse(location) {
        Ok(mut url) => {
            url.set_query(None);
            url.set_fragment(None);
            url.to_string()
        }
        Err(_) => location
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned(),
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
            // RFC 8707 §2: without a resource the audience is required; with one, it was refused.
            if ctx.profile.send_resource {
                diagnosis::RESOURCE_REJECTED
            } else {
                diagnosis::AUDIENCE_REQUIRED
            },
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
                json!({ "expected": server.issuer, "actual": iss, "advertised": advertised }),
            );
            Ok(())
        }
        Some(iss) => {
            ctx.recorder.fail(
                &checks::ISS_PARAMETER,
                json!({ "expected": server.issuer, "actual": iss, "advertised": advertised }),
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

/// A page instead of a callback after this profile wrote `{endpoint}?{parameters}` to an
/// endpoint with a query of its own: the client it emulates broke the request (RFC 6749 §3.1:
/// the endpoint's query MUST be retained), which the engine knows because it wrote the URL.
fn second_question_mark(
    refused: diagnosis::Diagnosis,
    query: &str,
    profile: &crate::profile::Profile,
) -> diagnosis::Diagnosis {
    let client = profile.emulates.unwrap_or(profile.name);
    let mut blamed = diagnosis::with_party(refused, diagnosis::Party::Client);
    blamed.message = format!(
        "{} The authorization endpoint already has a query ({query}), and {client} adds its parameters after a second '?', so the server cannot read them (RFC 6749 §3.1: the endpoint's query MUST be retained).",
        blamed.message
    );
    blamed.remedy = format!(
        "The client ({client}) must append its parameters to the endpoint's query with '&'. Meanwhile the server could advertise an authorization_endpoint without a query. {}",
        blamed.remedy
    );
    blamed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::testing;
    use crate::profile::MCP_2026_07_28;

    #[test]
    fn iss_is_compared_as_a_string_without_normalization() {
        let server = testing::server(None);
        let mut flow = testing::flow(&MCP_2026_07_28);
        assert!(check_iss(flow.context(), &server, Some("https://auth.example.com")).is_ok());
        for variant in [
            "https://auth.example.com/",
            "HTTPS://auth.example.com",
            "https://AUTH.example.com",
            "https://auth.example.com:443",
        ] {
            let refused = check_iss(flow.context(), &server, Some(variant));
            assert_eq!(
                refused.unwrap_err().code,
                diagnosis::ISS_MISMATCH,
                "{variant}"
            );
        }
    }
}

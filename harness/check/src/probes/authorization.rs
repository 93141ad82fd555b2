//! The authorization endpoint: open redirects and whether an audience is required.

use serde_json::json;
use url::Url;

use super::{Findings, UNREGISTERED_REDIRECT_URI, query_params};
use crate::verdict::Effect;
use mcp_oauth_engine::checks::{self};
use mcp_oauth_engine::diagnosis;
use mcp_oauth_engine::flow::FlowContext;
use mcp_oauth_engine::flow::authorization::authorization_request;
use mcp_oauth_engine::flow::registration::RegisteredClient;

/// The parameters of the authorization requests the probes send.
pub(super) struct AuthorizationProbe<'a> {
    pub(super) endpoint: &'a str,
    pub(super) client: &'a RegisteredClient,
    pub(super) redirect_uri: &'a str,
    pub(super) scope: Option<&'a str>,
    pub(super) resource: &'a str,
}

impl AuthorizationProbe<'_> {
    /// A complete request (PKCE S256, fresh state) to `redirect_uri`, with or without
    /// `resource`.
    fn url(&self, ctx: &FlowContext, redirect_uri: &str, with_resource: bool) -> Option<String> {
        let endpoint = Url::parse(self.endpoint).ok()?;
        let request = authorization_request(
            ctx,
            endpoint,
            &self.client.client_id,
            redirect_uri,
            self.scope,
            with_resource.then_some(("resource", self.resource)),
        );
        Some(request.url.to_string())
    }
}

/// Step 5a: an unregistered redirect_uri must never be redirected to.
pub(super) async fn open_redirect(
    ctx: &mut FlowContext,
    probe: &AuthorizationProbe<'_>,
    findings: &mut Findings,
) {
    let check = &checks::AUTHORIZATION_REJECTS_UNREGISTERED_REDIRECT;
    let Some(url) = probe.url(ctx, UNREGISTERED_REDIRECT_URI, true) else {
        ctx.recorder
            .skip(check, "the authorization_endpoint is not a URL");
        return;
    };
    let response = match ctx.http.get("authorization", &url).await {
        Ok(response) => response,
        Err(e) => {
            ctx.recorder.fail(
                check,
                json!({ "error": e.to_string() }),
                format!("the authorization endpoint could not be loaded: {e}"),
            );
            return;
        }
    };
    let status = response.status.as_u16();
    let location = response.header("location").map(str::to_owned);
    if let Some(location) = &location
        && response.status.is_redirection()
        && location.starts_with(UNREGISTERED_REDIRECT_URI)
    {
        let params = query_params(location);
        if let Some(code) = params.iter().find(|(n, _)| n == "code") {
            ctx.http.redactor().register(&code.1);
        }
        ctx.recorder.fail(
            check,
            json!({ "redirectUri": UNREGISTERED_REDIRECT_URI, "status": status, "location": location, "carriesCode": params.iter().any(|(n, _)| n == "code") }),
            format!(
                "the authorization endpoint redirected to {UNREGISTERED_REDIRECT_URI}, a redirect URI the client never registered"
            ),
        );
        findings.problem(
            check,
            diagnosis::OPEN_REDIRECT,
            format!(
                "The authorization endpoint redirects to redirect URIs the client never registered ({UNREGISTERED_REDIRECT_URI}): an open redirector that can hand authorization codes to any site."
            ),
            check.remedy,
            Effect::Caveat,
        );
        return;
    }
    // Only a refusal answers the question; a sign-in page (or a redirect to one) shows the
    // server has not looked at redirect_uri yet, which may come after sign-in.
    if response.status.is_client_error() {
        ctx.recorder.pass(
            check,
            json!({ "redirectUri": UNREGISTERED_REDIRECT_URI, "status": status, "outcome": "refused" }),
        );
        return;
    }
    let shown = if response.status.is_redirection() {
        "redirected elsewhere (a sign-in page, say)"
    } else {
        "answered with a page (a sign-in page, say)"
    };
    ctx.recorder.info(
        check,
        json!({ "redirectUri": UNREGISTERED_REDIRECT_URI, "status": status, "outcome": shown }),
        format!(
            "inconclusive: the authorization endpoint {shown} instead of refusing the unregistered redirect_uri; a server that checks it only after sign-in is not caught by this probe"
        ),
    );
}

/// Step 5b: an authorization request without `resource`, as Pipelines sends it.
pub(super) async fn audience(
    ctx: &mut FlowContext,
    probe: &AuthorizationProbe<'_>,
    findings: &mut Findings,
) {
    let check = &checks::AUDIENCE_OPTIONAL;
    let Some(answer) = authorization_answer(ctx, probe, false).await else {
        return;
    };
    match answer {
        AuthorizationAnswer::Code => {
            ctx.recorder.pass(
                check,
                json!({ "resourceSent": false, "outcome": "redirected with a code" }),
            );
        }
        AuthorizationAnswer::Error { error, description }
            if requires_audience(&error, &description) =>
        {
            let with_resource = authorization_answer(ctx, probe, true).await;
            let accepted = matches!(
                with_resource,
                Some(AuthorizationAnswer::Code | AuthorizationAnswer::NoRedirect { .. })
            );
            ctx.recorder.fail(
                check,
                json!({ "resourceSent": false, "error": error, "errorDescription": description, "withResource": if accepted { "accepted" } else { "refused too" } }),
                format!("without resource or audience the authorization endpoint answered {error}: {description}"),
            );
            if accepted {
                findings.problem(
                    check,
                    diagnosis::AUDIENCE_REQUIRED,
                    format!(
                        "The authorization server requires an audience / resource parameter ({error}: {description}); clients that send no RFC 8707 resource, such as Pipelines, cannot connect."
                    ),
                    "Make the audience optional, defaulting to the MCP server; a client that sends RFC 8707 `resource` (a spec profile) connects meanwhile.",
                    Effect::BlocksWithoutResource,
                );
            } else {
                findings.problem(
                    check,
                    diagnosis::AUDIENCE_REQUIRED,
                    format!(
                        "The authorization server requires an audience it does not accept as the MCP server's URL ({error}: {description})."
                    ),
                    format!(
                        "Accept the MCP server's canonical URL {} as RFC 8707 `resource`, and make the audience optional.",
                        probe.resource
                    ),
                    Effect::Blocks,
                );
            }
        }
        AuthorizationAnswer::Error { error, description } => {
            ctx.recorder.info(
                check,
                json!({ "resourceSent": false, "error": error, "errorDescription": description }),
                format!("inconclusive: the authorization endpoint answered {error}: {description}"),
            );
        }
        AuthorizationAnswer::NoRedirect { status } => {
            ctx.recorder.info(
                check,
                json!({ "resourceSent": false, "status": status }),
                "inconclusive without consent: the authorization endpoint shows a page (sign-in or consent); the consent step tells",
            );
        }
    }
}

pub(super) enum AuthorizationAnswer {
    Code,
    Error {
        error: String,
        description: String,
    },
    /// A page, or a redirect elsewhere than the callback (a sign-in page).
    NoRedirect {
        status: u16,
    },
}

pub(super) async fn authorization_answer(
    ctx: &mut FlowContext,
    probe: &AuthorizationProbe<'_>,
    with_resource: bool,
) -> Option<AuthorizationAnswer> {
    let Some(url) = probe.url(ctx, probe.redirect_uri, with_resource) else {
        ctx.recorder.skip(
            &checks::AUDIENCE_OPTIONAL,
            "the authorization_endpoint is not a URL",
        );
        return None;
    };
    let response = match ctx.http.get("authorization", &url).await {
        Ok(response) => response,
        Err(e) => {
            ctx.recorder.info(
                &checks::AUDIENCE_OPTIONAL,
                json!({ "error": e.to_string() }),
                format!("the authorization endpoint could not be loaded: {e}"),
            );
            return None;
        }
    };
    let status = response.status.as_u16();
    let location = response.header("location").filter(|l| {
        response.status.is_redirection()
            && mcp_oauth_engine::user_agent::is_callback(l, probe.redirect_uri)
    });
    let Some(location) = location else {
        return Some(AuthorizationAnswer::NoRedirect { status });
    };
    let params = query_params(location);
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    if let Some(code) = get("code") {
        ctx.http.redactor().register(&code);
        return Some(AuthorizationAnswer::Code);
    }
    Some(AuthorizationAnswer::Error {
        error: get("error").unwrap_or_else(|| "(no error code)".to_owned()),
        description: get("error_description").unwrap_or_default(),
    })
}

pub(super) fn requires_audience(error: &str, description: &str) -> bool {
    let description = description.to_ascii_lowercase();
    error == "invalid_target"
        || (error == "invalid_request"
            && (description.contains("audience") || description.contains("resource")))
}

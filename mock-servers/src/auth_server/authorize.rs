//! The authorization endpoint (RFC 6749 §4.1.1, OAuth 2.1 with PKCE). Consent is headless: the
//! configured [`Consent`] answers for the person.

use std::collections::HashMap;

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use url::Url;

use super::error::ErrorPage;
use super::store::{CodeGrant, random_token};
use super::{AuthServer, ClientLookup, pending};
use crate::config::{CallbackState, Consent, IssParameter, UnknownClientAnswer};
use crate::request_log::RequestLog;

pub async fn authorize(
    State(server): State<AuthServer>,
    Extension(log): Extension<RequestLog>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = match single_valued(query.as_deref().unwrap_or("")) {
        Ok(params) => params,
        Err(message) => {
            return ErrorPage {
                title: "Invalid authorization request",
                message,
            }
            .into_response();
        }
    };
    let get = |name: &str| params.get(name).map(String::as_str);
    if let Some(problem) = endpoint_query_problem(&server, &params) {
        return page("Invalid authorization request", &problem);
    }

    // Until client and redirect URI are known good, errors are shown, never redirected (§4.1.2.1).
    let Some(client_id) = get("client_id") else {
        return page("Invalid authorization request", "client_id is missing.");
    };
    let client = match server.find_client(&log, client_id).await {
        Ok(client) => client,
        Err(ClientLookup::Unknown)
            if server.config().unknown_client_answer
                == UnknownClientAnswer::UnrecognizedClientId422 =>
        {
            let body = serde_json::json!({ "message": "Unrecognized client_id" });
            return (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response();
        }
        Err(ClientLookup::Unknown) => {
            return page(
                "Unknown client",
                &format!(
                    "client_id {client_id:?} is not registered with this authorization server."
                ),
            );
        }
        Err(ClientLookup::Document(error)) => {
            return page("Invalid client metadata document", &error.to_string());
        }
    };
    let Some(redirect_uri) = get("redirect_uri") else {
        return page("Invalid authorization request", "redirect_uri is missing.");
    };
    let allowed_host = server.config().loopback_redirect_host;
    if !allowed_host.accepts(redirect_uri) {
        return page(
            "redirect_uri mismatch",
            &format!(
                "The redirect_uri {redirect_uri:?} is not allowed: loopback redirect URIs must use {}.",
                allowed_host.as_str()
            ),
        );
    }
    if !client.redirect_uris.iter().any(|r| r == redirect_uri) && !server.config().open_redirect {
        return page(
            "redirect_uri mismatch",
            &format!(
                "The redirect_uri {redirect_uri:?} is not registered for client {client_id:?}. Registered: {:?}. Add the exact URL to the app's allowed redirect URIs.",
                client.redirect_uris
            ),
        );
    }
    let Ok(redirect) = Url::parse(redirect_uri) else {
        return page(
            "Invalid authorization request",
            "redirect_uri is not a URL.",
        );
    };

    let reply = Reply {
        server: &server,
        redirect,
        state: get("state"),
    };
    if get("response_type") != Some("code") {
        return reply.error(
            "unsupported_response_type",
            "response_type must be \"code\"",
        );
    }
    if get("code_challenge").is_none() {
        return reply.error(
            "invalid_request",
            "PKCE is required: code_challenge is missing",
        );
    }
    if get("code_challenge_method") != Some("S256") {
        return reply.error("invalid_request", "PKCE code_challenge_method must be S256");
    }
    let resource = get("resource");
    if let Some(resource) = resource
        && Url::parse(resource).map_or(true, |u| u.fragment().is_some())
    {
        return reply.error(
            "invalid_target",
            "resource must be an absolute URI without a fragment (RFC 8707 §2)",
        );
    }
    if server.config().require_audience && resource.is_none() && get("audience").is_none() {
        return reply.error(
            "invalid_target",
            "this authorization server requires the resource (or audience) parameter naming the API the token is for",
        );
    }
    if let Some(unknown) = unsupported_scope(&server, get("scope")) {
        return reply.error(
            "invalid_scope",
            &format!("scope {unknown:?} is not supported by this authorization server"),
        );
    }
    if server.consent_page_shown() {
        let id = random_token("consent_");
        server.pending_consents().insert(id.clone(), params.clone());
        return consent_page(&server, &id, client_id, get("scope"));
    }
    if server.config().consent == Consent::Deny {
        return reply.error("access_denied", "the user denied the request");
    }
    grant_code(&server, &params, reply)
}

/// The person approved: issue a code for the request and redirect back with it.
fn grant_code(server: &AuthServer, params: &HashMap<String, String>, reply: Reply<'_>) -> Response {
    let get = |name: &str| params.get(name).map(String::as_str);
    let code = random_token("ac_");
    server.store().codes.insert(
        code.clone(),
        CodeGrant {
            client_id: get("client_id").unwrap_or_default().to_owned(),
            redirect_uri: get("redirect_uri").unwrap_or_default().to_owned(),
            code_challenge: get("code_challenge").unwrap_or_default().to_owned(),
            scope: granted_scope(server, get("scope")),
            resource: if server.config().opaque_token_without_audience {
                get("audience")
            } else {
                get("resource").or(get("audience"))
            }
            .map(str::to_owned),
            issued_at: server.now(),
            redeemed: false,
            family: None,
        },
    );
    server.forget_after_authorization();
    reply.redirect(&[("code", &code)])
}

/// The approve/deny page of `--consent page`: a real form a person (or a browser-driving
/// client) submits to the decision endpoint.
fn consent_page(server: &AuthServer, id: &str, client_id: &str, scope: Option<&str>) -> Response {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Authorize</title></head><body>\
<h1>Authorize {client}</h1><p>Requested scope: {scope}</p>\
<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"request\" value=\"{id}\">\
<button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button> \
<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form></body></html>",
        client = escape(client_id),
        scope = escape(scope.unwrap_or("(none)")),
        action = escape(&server.consent_decision_path()),
        id = escape(id),
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// The consent page's form: approve or deny the pending request it names.
pub async fn decide(State(server): State<AuthServer>, body: bytes::Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body)
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    let pending = form
        .get("request")
        .and_then(|id| server.pending_consents().take(id));
    let Some(params) = pending else {
        return page(
            "Unknown consent request",
            &format!(
                "This consent request is unknown, was already answered, or waited while more than {} others arrived and was dropped. Start the authorization again.",
                pending::PendingConsents::LIMIT
            ),
        );
    };
    let Some(redirect) = params.get("redirect_uri").and_then(|r| Url::parse(r).ok()) else {
        return page(
            "Invalid authorization request",
            "redirect_uri is not a URL.",
        );
    };
    let reply = Reply {
        server: &server,
        redirect,
        state: params.get("state").map(String::as_str),
    };
    if form.get("decision").map(String::as_str) == Some("approve") {
        grant_code(&server, &params, reply)
    } else {
        reply.error("access_denied", "the user denied the request")
    }
}

/// With `strict-scopes`, the first requested scope that is not in `scopes-supported`.
fn unsupported_scope<'a>(server: &AuthServer, scope: Option<&'a str>) -> Option<&'a str> {
    let config = server.config();
    if !config.strict_scopes {
        return None;
    }
    scope?.split(' ').filter(|s| !s.is_empty()).find(|s| {
        !config
            .scopes_supported
            .iter()
            .any(|supported| supported == s)
    })
}

/// The requested scope less the scopes this server withholds (`withhold-scopes`), or `None`
/// when nothing is left.
fn granted_scope(server: &AuthServer, requested: Option<&str>) -> Option<String> {
    let withheld = &server.config().withhold_scopes;
    let granted: Vec<&str> = requested?
        .split(' ')
        .filter(|s| !s.is_empty() && !withheld.iter().any(|w| w == s))
        .collect();
    (!granted.is_empty()).then(|| granted.join(" "))
}

fn page(title: &'static str, message: &str) -> Response {
    ErrorPage {
        title,
        message: message.to_owned(),
    }
    .into_response()
}

/// RFC 6749 §3.1: parameters must not be included more than once; and the query must be
/// well-formed (valid percent escapes, UTF-8), or no parameter of it can be trusted.
fn single_valued(query: &str) -> Result<HashMap<String, String>, String> {
    crate::form::parse_unique(query.as_bytes()).map_err(|e| e.to_string())
}

/// A redirect back to the client, with state and (as configured) RFC 9207 `iss`.
struct Reply<'a> {
    server: &'a AuthServer,
    redirect: Url,
    state: Option<&'a str>,
}

impl Reply<'_> {
    fn error(self, error: &str, description: &str) -> Response {
        self.redirect(&[("error", error), ("error_description", description)])
    }

    fn redirect(mut self, params: &[(&str, &str)]) -> Response {
        {
            let mut query = self.redirect.query_pairs_mut();
            for (name, value) in params {
                query.append_pair(name, value);
            }
            if let Some(state) = self.state {
                match self.server.config().callback_state {
                    CallbackState::Echo => query.append_pair("state", state),
                    CallbackState::Wrong => query.append_pair("state", &random_token("forged_")),
                };
            }
            match self.server.config().iss_parameter {
                IssParameter::Correct => {
                    let issuer = super::metadata::advertised_issuer(self.server)
                        .unwrap_or_else(|| self.server.issuer());
                    query.append_pair("iss", &issuer);
                }
                IssParameter::Wrong => {
                    query.append_pair("iss", "https://attacker.example");
                }
                IssParameter::TrailingSlash => {
                    query.append_pair("iss", &format!("{}/", self.server.issuer()));
                }
                IssParameter::Omit => {}
            }
        }
        let mut response = StatusCode::FOUND.into_response();
        if let Ok(location) = HeaderValue::from_str(self.redirect.as_str()) {
            response.headers_mut().insert(header::LOCATION, location);
        }
        response
    }
}

/// What is wrong with a request to an endpoint advertised with a query: each of its pairs must
/// arrive as sent (RFC 6749 §3.1), not dropped nor run together with the client's parameters
/// after a second `?`.
fn endpoint_query_problem(
    server: &AuthServer,
    params: &std::collections::HashMap<String, String>,
) -> Option<String> {
    let query = server.config().authorization_endpoint_query.as_deref()?;
    let second_question_mark = params.values().any(|v| v.contains('?'));
    url::form_urlencoded::parse(query.as_bytes()).find_map(|(name, value)| {
        match params.get(name.as_ref()) {
            Some(sent) if *sent == value => None,
            _ if second_question_mark => Some(format!(
                "{name}={value} is not a parameter of this request: the client added its own parameters after a second '?'. The authorization endpoint already has a query; append parameters to it with '&' (RFC 6749 §3.1)."
            )),
            _ => Some(format!(
                "the authorization endpoint's own query parameter {name}={value} is missing: a query in the endpoint URL MUST be retained when parameters are added (RFC 6749 §3.1)."
            )),
        }
    })
}

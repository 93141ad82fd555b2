//! Step 3: a Client ID, brought by the user or registered dynamically (RFC 7591).

use oauth2::ClientSecret;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use url::Url;

use super::discovery::DiscoveredServer;
use super::{ClientOptions, FlowContext, RegistrationFlow, StepResult};
use crate::checks;
use crate::diagnosis;
use crate::http::{Body, is_loopback};

/// How the client authenticates at the token endpoint (RFC 6749 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
        }
    }
}

#[derive(Debug, Clone)]
pub struct RegisteredClient {
    pub client_id: String,
    pub client_secret: Option<ClientSecret>,
    pub auth_method: AuthMethod,
    /// How the Client ID was obtained: `brought` or `dynamic-registration`.
    pub source: &'static str,
    /// Where and with what the registration can be deleted (RFC 7592), when the registration
    /// response said.
    pub management: Option<ClientManagement>,
}

/// RFC 7592 §3: the client configuration endpoint and the bearer token that manages it.
#[derive(Debug, Clone)]
pub struct ClientManagement {
    pub registration_client_uri: String,
    /// Redacts in `Debug`, like the other secrets.
    pub registration_access_token: ClientSecret,
}

/// A client registered dynamically through one flow's context, kept so that the check can
/// delete it afterwards (or say why it could not).
#[derive(Debug, Clone)]
pub struct Registration {
    pub client: RegisteredClient,
    /// The registration endpoint it was registered at.
    pub endpoint: String,
    pub redirect_uri: String,
    /// Who registered it, for the report's `leftBehind`: `probes` or a profile's name.
    pub registered_by: &'static str,
    /// Offered to the flow's next registration at the same endpoint for the same redirect
    /// URI, so that one profile flow registers once.
    pub reusable: bool,
}

pub async fn obtain_client(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    server: &DiscoveredServer,
) -> StepResult<RegisteredClient> {
    let registration_endpoint = server.metadata.registration_endpoint.clone();
    match &registration_endpoint {
        Some(url) => ctx.recorder.pass(
            &checks::DCR_AVAILABLE,
            json!({ "registrationEndpoint": url }),
        ),
        None => {
            ctx.recorder.fail(
                &checks::DCR_AVAILABLE,
                json!({ "registrationEndpoint": null }),
                "the authorization server offers no dynamic client registration: a Client ID must be brought",
            );
        }
    }

    // Brought credentials belong to the issuer they were bound to, else to the one a gallery
    // entry pins.
    if let Some(bound) = options
        .credentials_issuer
        .as_ref()
        .or(options.pinned.issuer.as_ref())
        && options.client_id.is_some()
        && *bound != server.issuer
    {
        return withhold_credentials(ctx, options, server, bound).await;
    }
    if let Some(client_id) = &options.client_id {
        let auth_method = choose_auth_method(options.client_secret.is_some(), server);
        ctx.recorder.pass(
            &checks::CLIENT_ID,
            json!({ "source": "brought", "clientId": client_id, "tokenEndpointAuthMethod": auth_method.as_str() }),
        );
        return Ok(RegisteredClient {
            client_id: client_id.clone(),
            client_secret: options.client_secret.clone(),
            auth_method,
            source: "brought",
            management: None,
        });
    }

    if options.registration_flow != Some(RegistrationFlow::Dcr)
        && let Some(client) = client_id_metadata_document(ctx, options, server)
    {
        return Ok(client);
    }

    let Some(registration_endpoint) = registration_endpoint else {
        ctx.recorder.fail(
            &checks::CLIENT_ID,
            json!({ "registrationEndpoint": null, "clientId": null }),
            "no automatic registration and no Client ID was supplied",
        );
        return Err(client_id_missing(ctx, options, server));
    };
    if let Some(client) = reuse(ctx, &registration_endpoint, &options.redirect_uri) {
        return Ok(client);
    }
    register(ctx, options, &registration_endpoint).await
}

/// The registration this flow's context already made for the same endpoint and callback and
/// offered for reuse (the check's probes register the client its consent step then uses), at
/// most once.
fn reuse(ctx: &mut FlowContext, endpoint: &str, redirect_uri: &str) -> Option<RegisteredClient> {
    let offered = ctx
        .registrations
        .iter_mut()
        .find(|r| r.reusable && r.endpoint == endpoint && r.redirect_uri == redirect_uri)?;
    offered.reusable = false;
    let client = offered.client.clone();
    ctx.recorder.pass(
        &checks::CLIENT_ID,
        json!({ "source": "dynamic-registration", "clientId": client.client_id, "reused": true }),
    );
    Some(client)
}

/// Offers the registration of `client_id` to this context's next flow registration.
pub fn offer_for_reuse(ctx: &mut FlowContext, client_id: &str) {
    if let Some(registration) = ctx
        .registrations
        .iter_mut()
        .find(|r| r.client.client_id == client_id)
    {
        registration.reusable = true;
    }
}

/// The client a successful registration response describes: its secret and management token
/// (registered with the redactor before anything can record them), its token-endpoint
/// authentication method, and where RFC 7592 lets it be deleted.
pub fn read_registered_client(
    ctx: &mut FlowContext,
    client_id: &str,
    body: &Value,
) -> RegisteredClient {
    let secret = body.get("client_secret").and_then(Value::as_str).map(|s| {
        ctx.http.redactor().register(s);
        ClientSecret::new(s.to_owned())
    });
    let auth_method = match body
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
    {
        Some("client_secret_basic") if secret.is_some() => AuthMethod::ClientSecretBasic,
        Some("client_secret_post") if secret.is_some() => AuthMethod::ClientSecretPost,
        _ if secret.is_some() => AuthMethod::ClientSecretBasic,
        _ => AuthMethod::None,
    };
    let management = match (
        body.get("registration_client_uri").and_then(Value::as_str),
        body.get("registration_access_token")
            .and_then(Value::as_str),
    ) {
        (Some(uri), Some(token)) => {
            ctx.http.redactor().register(token);
            Some(ClientManagement {
                registration_client_uri: uri.to_owned(),
                registration_access_token: ClientSecret::new(token.to_owned()),
            })
        }
        _ => None,
    };
    RegisteredClient {
        client_id: client_id.to_owned(),
        client_secret: secret,
        auth_method,
        source: "dynamic-registration",
        management,
    }
}

/// Keeps a registration made through this context, for reuse and deletion.
pub fn remember(
    ctx: &mut FlowContext,
    client: &RegisteredClient,
    endpoint: &str,
    redirect_uri: &str,
    registered_by: &'static str,
) {
    ctx.registrations.push(Registration {
        client: client.clone(),
        endpoint: endpoint.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        registered_by,
        reusable: false,
    });
}

/// No way to a Client ID is left. Where the authorization server accepts Client ID metadata
/// documents and the profile knows them, publishing one is the other way out.
fn client_id_missing(
    ctx: &FlowContext,
    options: &ClientOptions,
    server: &DiscoveredServer,
) -> diagnosis::Diagnosis {
    let mut remedy = format!(
        "Register an OAuth app in the provider's developer console with {} as an allowed redirect URI, then paste its Client ID (and secret, if it has one) into the connection settings.",
        options.redirect_uri
    );
    if server.metadata.client_id_metadata_document_supported == Some(true)
        && ctx.profile.client_id_metadata_document
    {
        remedy.push_str(" Or publish a Client ID metadata document at an https URL and give the client that URL: this authorization server accepts them.");
    }
    if options.registration_flow == Some(RegistrationFlow::Dcr) {
        remedy.push_str(" The gallery entry says `flow: dcr`: change it to `flow: client-id` and give that Client ID as its `client-id`.");
    }
    diagnosis::new(
        diagnosis::CLIENT_ID_MISSING,
        "Client ID missing: this server does not offer automatic client registration, and no Client ID was supplied.",
        remedy,
    )
}

/// The client for a re-authorization. A Client ID belongs to the authorization server that
/// issued it: the same server gets the same client again, a new one (the resource's
/// `authorization_servers` changed) gets a new registration, never the old credentials.
pub async fn client_for_reauthorization(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    server: &DiscoveredServer,
    previous_issuer: &str,
    previous: &RegisteredClient,
) -> StepResult<RegisteredClient> {
    let registered_for = ctx
        .registrations
        .iter()
        .find(|r| r.client.client_id == previous.client_id)
        .map(|r| r.redirect_uri.clone());
    if previous_issuer == server.issuer
        && let Some(registered) = registered_for
        && registered != options.redirect_uri
    {
        // The callback moved since the registration: its Client ID is not registered for the
        // redirect URI the client now has.
        ctx.recorder.pass(
            &checks::REGISTRATION_REDIRECT_URI_CURRENT,
            json!({ "clientId": previous.client_id, "registeredRedirectUri": registered, "redirectUri": options.redirect_uri, "registersAgain": true }),
        );
        return Box::pin(obtain_client(ctx, options, server)).await;
    }
    if previous_issuer == server.issuer {
        ctx.recorder.pass(
            &checks::CLIENT_BOUND_TO_ISSUER,
            json!({ "issuer": server.issuer, "clientId": previous.client_id, "reused": true }),
        );
        return Ok(previous.clone());
    }
    ctx.recorder.pass(
        &checks::CLIENT_BOUND_TO_ISSUER,
        json!({ "previousIssuer": previous_issuer, "issuer": server.issuer, "reused": false }),
    );
    if previous.source == "brought" && options.credentials_issuer.is_none() {
        // Brought credentials belong to the server they were first used at.
        let mut bound = options.clone();
        bound.credentials_issuer = Some(previous_issuer.to_owned());
        return Box::pin(obtain_client(ctx, &bound, server)).await;
    }
    obtain_client(ctx, options, server).await
}

/// Brought credentials and an authorization server they are not for: they are not sent. The
/// client gets its Client ID the other ways (a metadata document, registration), or stops.
async fn withhold_credentials(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    server: &DiscoveredServer,
    bound: &str,
) -> StepResult<RegisteredClient> {
    ctx.recorder.pass(
        &checks::CLIENT_BOUND_TO_ISSUER,
        json!({ "broughtFor": bound, "issuer": server.issuer, "broughtCredentialsSent": false }),
    );
    let mut without = options.clone();
    without.client_id = None;
    without.client_secret = None;
    without.credentials_issuer = None;
    let has_other_way = server.metadata.registration_endpoint.is_some()
        || (server.metadata.client_id_metadata_document_supported == Some(true)
            && ctx.profile.client_id_metadata_document
            && options.client_metadata_url.is_some());
    if has_other_way {
        return Box::pin(obtain_client(ctx, &without, server)).await;
    }
    Err(diagnosis::new(
        diagnosis::CREDENTIALS_FOREIGN_ISSUER,
        format!(
            "The Client ID and secret you gave belong to {bound}, but the MCP server's metadata now names {} as its authorization server; they were not sent there, and it offers no registration.",
            server.issuer
        ),
        format!(
            "If {} is this MCP server's own authorization server, register an app there and give its Client ID; if it is not, the MCP server is sending clients to a foreign authorization server: its operator must correct `authorization_servers` in its protected-resource metadata.",
            server.issuer
        ),
    ))
}

/// A Client ID metadata document: the client's Client ID is the https URL where its metadata
/// is published, so nothing has to be registered. Used when the authorization server says it
/// fetches such documents, the profile knows them, and the client has a document to point to.
fn client_id_metadata_document(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    server: &DiscoveredServer,
) -> Option<RegisteredClient> {
    let supported = server.metadata.client_id_metadata_document_supported == Some(true);
    // A gallery entry that prescribes the document knows the server takes it.
    let prescribed = options.registration_flow == Some(RegistrationFlow::ClientMetadataUrl);
    if !prescribed && (!supported || !ctx.profile.client_id_metadata_document) {
        return None;
    }
    let Some(url) = &options.client_metadata_url else {
        ctx.recorder.info(
            &checks::CLIENT_ID_METADATA_DOCUMENT,
            json!({ "clientIdMetadataDocumentSupported": true, "clientMetadataUrl": null }),
            "the authorization server accepts Client ID metadata documents, but the client has no document URL to use as its Client ID",
        );
        return None;
    };
    if let Err(problem) = check_document_url(url) {
        ctx.recorder.info(
            &checks::CLIENT_ID_METADATA_DOCUMENT,
            json!({ "clientMetadataUrl": url, "problem": problem }),
            format!("the client's metadata document URL cannot be a Client ID ({problem})"),
        );
        return None;
    }
    let mut details = json!({ "clientId": url });
    if prescribed {
        details["prescribedByGallery"] = json!(true);
        details["advertised"] = json!(supported);
    }
    ctx.recorder
        .pass(&checks::CLIENT_ID_METADATA_DOCUMENT, details);
    ctx.recorder.pass(
        &checks::CLIENT_ID,
        json!({ "source": "client-id-metadata-document", "clientId": url }),
    );
    Some(RegisteredClient {
        client_id: url.clone(),
        client_secret: None,
        auth_method: AuthMethod::None,
        source: "client-id-metadata-document",
        management: None,
    })
}

/// The Client ID metadata document draft requires an https URL with a path component. Plain
/// http is accepted on a loopback host only, as the one HTTP path allows it there: nothing sits
/// between an authorization server and a document on its own machine, and local test setups
/// (the scenario runner among them) have no certificates.
fn check_document_url(url: &str) -> Result<(), &'static str> {
    let parsed = Url::parse(url).map_err(|_| "not an absolute URL")?;
    let loopback_http = parsed.scheme() == "http" && is_loopback(&parsed);
    if parsed.scheme() != "https" && !loopback_http {
        return Err("not an https URL");
    }
    if parsed.path().trim_start_matches('/').is_empty() {
        return Err("the URL has no path");
    }
    if parsed.fragment().is_some() {
        return Err("the URL has a fragment");
    }
    Ok(())
}

/// SEP-837: `native` for clients that receive the code on a loopback redirect (installed
/// applications), `web` for clients behind an https redirect URI.
pub fn application_type(redirect_uri: &str) -> &'static str {
    match Url::parse(redirect_uri) {
        Ok(url) if url.scheme() == "http" && is_loopback(&url) => "native",
        Ok(url) if url.scheme() == "https" => "web",
        _ => "native",
    }
}

/// A brought confidential client uses the method the server advertises, preferring Basic
/// (RFC 6749 §2.3.1); RFC 8414 makes client_secret_basic the default when nothing is listed.
fn choose_auth_method(has_secret: bool, server: &DiscoveredServer) -> AuthMethod {
    if !has_secret {
        return AuthMethod::None;
    }
    let advertised = server
        .metadata
        .token_endpoint_auth_methods_supported
        .clone()
        .unwrap_or_else(|| vec!["client_secret_basic".to_owned()]);
    if advertised.iter().any(|m| m == "client_secret_basic") {
        AuthMethod::ClientSecretBasic
    } else if advertised.iter().any(|m| m == "client_secret_post") {
        AuthMethod::ClientSecretPost
    } else {
        AuthMethod::ClientSecretBasic
    }
}

/// RFC 7591 registration of the flow's callback: the request every profile flow sends.
pub async fn register(
    ctx: &mut FlowContext,
    options: &ClientOptions,
    endpoint: &str,
) -> StepResult<RegisteredClient> {
    let mut request = json!({
        "client_name": options.client_name,
        "redirect_uris": [options.redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    });
    let application_type = ctx
        .profile
        .send_application_type
        .then(|| application_type(&options.redirect_uri));
    if let Some(application_type) = application_type {
        request["application_type"] = json!(application_type);
    }
    let response = ctx
        .http
        .send(
            "registration",
            Method::POST,
            endpoint,
            &HeaderMap::new(),
            Body::Json(request),
        )
        .await
        .map_err(|e| {
            ctx.recorder.fail(
                &checks::DCR_REGISTRATION,
                json!({ "error": e.to_string() }),
                format!("the registration request failed: {e}"),
            );
            diagnosis::new(
                diagnosis::DCR_REJECTED,
                format!("Dynamic client registration could not be reached: {e}"),
                "Check that the registration_endpoint in the metadata is reachable.",
            )
        })?;
    let status = response.status.as_u16();
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    let client_id = body.get("client_id").and_then(Value::as_str);
    match (status, client_id) {
        (200 | 201, Some(client_id)) => {
            let client = read_registered_client(ctx, client_id, &body);
            let refused = super::registration_quirks::observe(ctx, &body);
            if !refused.is_empty() {
                return Err(diagnosis::new(
                    diagnosis::DCR_REJECTED,
                    format!(
                        "The registration response gives {} as null or empty, and the {} client refuses a registration response that does not match RFC 7591's types.",
                        refused.join(", "),
                        ctx.profile.name
                    ),
                    "The authorization server must leave out the fields it has no value for, or give them as RFC 7591 §3.2.1 types them (arrays of strings, a named token_endpoint_auth_method).",
                ));
            }
            let registered_by = ctx.profile.name;
            remember(ctx, &client, endpoint, &options.redirect_uri, registered_by);
            let auth_method = client.auth_method;
            let mut details = json!({ "status": status, "clientId": client_id, "tokenEndpointAuthMethod": auth_method.as_str() });
            if let Some(application_type) = application_type {
                details["applicationType"] = json!(application_type);
            }
            if status == 201 {
                ctx.recorder
                    .pass(&checks::DCR_REGISTRATION, details.clone());
            } else {
                ctx.recorder.fail(
                    &checks::DCR_REGISTRATION,
                    json!({ "expected": 201, "actual": status }),
                    "registration answered 200; RFC 7591 §3.2.1 says 201 Created",
                );
            }
            ctx.recorder.pass(
                &checks::CLIENT_ID,
                json!({ "source": "dynamic-registration", "clientId": client_id }),
            );
            Ok(client)
        }
        _ => {
            let error = body
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("(no error code)");
            let description = body
                .get("error_description")
                .and_then(Value::as_str)
                .unwrap_or(if response.body.is_empty() {
                    "(empty body)"
                } else {
                    "(no description)"
                });
            ctx.recorder.fail(
                &checks::DCR_REGISTRATION,
                json!({ "expected": "201 with client_id", "actualStatus": status, "error": error, "errorDescription": description }),
                format!("registration answered {status}: {error}: {description}"),
            );
            Err(diagnosis::new(
                diagnosis::DCR_REJECTED,
                format!(
                    "Automatic client registration was refused ({status} {error}): {description}"
                ),
                format!(
                    "The authorization server must accept registrations with redirect URI {} and token_endpoint_auth_method none; otherwise register an OAuth app by hand and paste its Client ID.{}",
                    options.redirect_uri,
                    super::registration_quirks::refusal_advice(
                        status,
                        error,
                        description,
                        &options.redirect_uri
                    )
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::testing;
    use crate::profile::{MCP_2025_06_18, MCP_2026_07_28};

    #[test]
    fn application_type_follows_the_redirect_uri() {
        assert_eq!(
            application_type("http://127.0.0.1:33418/callback"),
            "native"
        );
        assert_eq!(application_type("http://localhost/cb"), "native");
        assert_eq!(application_type("https://app.example.com/callback"), "web");
    }

    #[test]
    fn a_client_id_metadata_document_url_is_https_with_a_path() {
        assert!(check_document_url("https://client.example.com/metadata.json").is_ok());
        assert!(check_document_url("https://client.example.com/").is_err());
        assert!(check_document_url("http://client.example.com/metadata.json").is_err());
        assert!(check_document_url("http://127.0.0.1:8080/metadata.json").is_ok());
        assert!(check_document_url("http://localhost/metadata.json").is_ok());
        assert!(check_document_url("http://10.0.0.1/metadata.json").is_err());
        assert!(check_document_url("https://client.example.com/m.json#x").is_err());
        assert!(check_document_url("metadata.json").is_err());
    }

    #[test]
    fn the_document_url_is_the_client_id_where_the_server_and_the_profile_know_it() {
        let mut server = testing::server(None);
        server.metadata.client_id_metadata_document_supported = Some(true);
        let mut options = ClientOptions::new(testing::MCP_URL);
        options.client_metadata_url = Some("https://client.example.com/metadata.json".to_owned());

        let mut flow = testing::flow(&MCP_2026_07_28);
        let client = client_id_metadata_document(flow.context(), &options, &server).unwrap();
        assert_eq!(client.client_id, "https://client.example.com/metadata.json");
        assert_eq!(client.auth_method, AuthMethod::None);
        assert_eq!(client.source, "client-id-metadata-document");

        let mut flow = testing::flow(&MCP_2025_06_18);
        assert!(client_id_metadata_document(flow.context(), &options, &server).is_none());

        server.metadata.client_id_metadata_document_supported = None;
        let mut flow = testing::flow(&MCP_2026_07_28);
        assert!(client_id_metadata_document(flow.context(), &options, &server).is_none());
    }
}

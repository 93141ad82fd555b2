//! A small hand-written OAuth 2.1 client for MCP: discovery, registration, authorization with
//! a headless consent, code exchange and refresh. Each step asks the `Faults` whether to leave
//! out or change what a conformant client sends; with no faults it is a conformant client.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

use crate::Faults;

/// The loopback callback the catalog's pre-registered clients allow; nothing listens on it.
pub const REDIRECT_URI: &str = "http://127.0.0.1:33418/callback";
/// Where the `changed-redirect-uri` client says it was redirected in its token request.
pub const CHANGED_REDIRECT_URI: &str = "http://127.0.0.1:33418/other-callback";

pub struct Server {
    pub resource: String,
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub registration_endpoint: Option<String>,
    pub iss_supported: bool,
    pub scope: Option<String>,
}

pub struct Client {
    pub id: String,
    pub secret: Option<String>,
}

pub struct Tokens {
    pub access: String,
    pub refresh: Option<String>,
}

pub type Result<T> = std::result::Result<T, String>;

async fn get_json(http: &reqwest::Client, url: &str) -> Result<Option<Value>> {
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    if !response.status().is_success() {
        return Ok(None);
    }
    response
        .json()
        .await
        .map(Some)
        .map_err(|e| format!("GET {url}: not JSON: {e}"))
}

fn text(value: &Value, field: &str) -> Option<String> {
    value.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// `resource_metadata="..."` from a Bearer challenge.
fn resource_metadata(challenge: &str) -> Option<String> {
    let start = challenge.find("resource_metadata=\"")? + "resource_metadata=\"".len();
    let rest = &challenge[start..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// `scope="..."` from a Bearer challenge.
fn challenge_scope(challenge: &str) -> Option<String> {
    let start = challenge.find("scope=\"")? + "scope=\"".len();
    let rest = &challenge[start..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// RFC 8414 §3.1: the well-known segment goes between the origin and the issuer's path.
fn inserted(base: &Url, well_known: &str) -> String {
    let origin = base.origin().ascii_serialization();
    let path = base.path().trim_end_matches('/');
    format!("{origin}/.well-known/{well_known}{path}")
}

pub async fn discover(http: &reqwest::Client, mcp_url: &str, challenge: &str) -> Result<Server> {
    let mcp = Url::parse(mcp_url).map_err(|e| format!("bad MCP URL: {e}"))?;
    let mut prm_urls: Vec<String> = resource_metadata(challenge).into_iter().collect();
    prm_urls.push(inserted(&mcp, "oauth-protected-resource"));
    let mut prm = None;
    for url in prm_urls {
        if let Some(found) = get_json(http, &url).await? {
            prm = Some(found);
            break;
        }
    }
    let prm = prm.ok_or("no protected-resource metadata")?;
    let resource = text(&prm, "resource").unwrap_or_else(|| mcp_url.to_owned());
    let issuer = prm
        .get("authorization_servers")
        .and_then(|v| v.get(0))
        .and_then(Value::as_str)
        .ok_or("the metadata names no authorization server")?
        .to_owned();
    let issuer_url = Url::parse(&issuer).map_err(|e| format!("bad issuer: {e}"))?;
    let mut metadata = None;
    for well_known in ["oauth-authorization-server", "openid-configuration"] {
        if let Some(found) = get_json(http, &inserted(&issuer_url, well_known)).await? {
            metadata = Some(found);
            break;
        }
    }
    let metadata = metadata.ok_or("no authorization server metadata")?;
    let scopes = prm
        .get("scopes_supported")
        .and_then(Value::as_array)
        .map(|s| {
            s.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|s| !s.is_empty());
    Ok(Server {
        resource,
        issuer: text(&metadata, "issuer").unwrap_or(issuer),
        authorization_endpoint: text(&metadata, "authorization_endpoint")
            .ok_or("the metadata has no authorization_endpoint")?,
        token_endpoint: text(&metadata, "token_endpoint")
            .ok_or("the metadata has no token_endpoint")?,
        registration_endpoint: text(&metadata, "registration_endpoint"),
        iss_supported: metadata
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        scope: challenge_scope(challenge).or(scopes),
    })
}

pub async fn register(
    http: &reqwest::Client,
    server: &Server,
    context: (Option<String>, Option<String>),
) -> Result<Client> {
    if let (Some(id), secret) = context {
        return Ok(Client { id, secret });
    }
    let endpoint = server
        .registration_endpoint
        .as_deref()
        .ok_or("no Client ID given and no registration endpoint")?;
    let response = http
        .post(endpoint)
        .json(&json!({
            "client_name": "bad-client",
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
            "application_type": "native",
        }))
        .send()
        .await
        .map_err(|e| format!("registration: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("registration refused: {}", response.status()));
    }
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("registration: not JSON: {e}"))?;
    Ok(Client {
        id: text(&body, "client_id").ok_or("registration returned no client_id")?,
        secret: text(&body, "client_secret"),
    })
}

fn random_text() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The code and PKCE verifier of an approved authorization.
pub struct Grant {
    pub code: String,
    pub verifier: String,
}

pub async fn authorize(
    http: &reqwest::Client,
    server: &Server,
    client: &Client,
    faults: &Faults,
) -> Result<Grant> {
    let verifier = random_text();
    let state = random_text();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let mut url = Url::parse(&server.authorization_endpoint)
        .map_err(|e| format!("bad authorization endpoint: {e}"))?;
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &client.id)
            .append_pair("redirect_uri", REDIRECT_URI)
            .append_pair("state", &state);
        if !faults.no_pkce {
            query
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
        }
        if !faults.no_resource {
            query.append_pair("resource", &server.resource);
        }
        if let Some(scope) = &server.scope {
            query.append_pair("scope", scope);
        }
    }
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| format!("authorization: {e}"))?;
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            format!(
                "authorization answered {} without a redirect",
                response.status()
            )
        })?;
    let callback = Url::parse(location).map_err(|e| format!("bad redirect: {e}"))?;
    let param = |name: &str| {
        callback
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if let Some(error) = param("error") {
        return Err(format!("authorization refused: {error}"));
    }
    if param("state").as_deref() != Some(state.as_str()) && !faults.ignore_state {
        return Err("the callback's state is not the one sent".to_owned());
    }
    let iss = param("iss");
    let iss_ok = match &iss {
        Some(iss) => *iss == server.issuer,
        None => !server.iss_supported,
    };
    if !iss_ok && !faults.ignore_iss {
        return Err("the callback's iss is not the authorization server's issuer".to_owned());
    }
    Ok(Grant {
        code: param("code").ok_or("the callback has no code")?,
        verifier,
    })
}

async fn token_request(
    http: &reqwest::Client,
    server: &Server,
    client: &Client,
    mut form: Vec<(&'static str, String)>,
) -> Result<std::result::Result<Tokens, String>> {
    let mut request = http.post(&server.token_endpoint);
    match &client.secret {
        Some(secret) => request = request.basic_auth(&client.id, Some(secret)),
        None => form.push(("client_id", client.id.clone())),
    }
    let response = request
        .form(&form)
        .send()
        .await
        .map_err(|e| format!("token endpoint: {e}"))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let error = text(&body, "error").unwrap_or_else(|| status.to_string());
        return Ok(Err(error));
    }
    Ok(Ok(Tokens {
        access: text(&body, "access_token").ok_or("the token response has no access_token")?,
        refresh: text(&body, "refresh_token"),
    }))
}

pub async fn redeem(
    http: &reqwest::Client,
    server: &Server,
    client: &Client,
    grant: Grant,
    faults: &Faults,
) -> Result<Tokens> {
    let redirect_uri = if faults.changed_redirect_uri {
        CHANGED_REDIRECT_URI
    } else {
        REDIRECT_URI
    };
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", grant.code),
        ("redirect_uri", redirect_uri.to_owned()),
    ];
    if !faults.no_pkce {
        form.push(("code_verifier", grant.verifier));
    }
    if !faults.no_resource {
        form.push(("resource", server.resource.clone()));
    }
    token_request(http, server, client, form)
        .await?
        .map_err(|error| format!("the code exchange was refused: {error}"))
}

/// One refresh; `Ok(Err(error))` is the authorization server's refusal.
pub async fn refresh(
    http: &reqwest::Client,
    server: &Server,
    client: &Client,
    refresh_token: &str,
    faults: &Faults,
) -> Result<std::result::Result<Tokens, String>> {
    let mut form = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("refresh_token", refresh_token.to_owned()),
    ];
    if !faults.no_resource {
        form.push(("resource", server.resource.clone()));
    }
    token_request(http, server, client, form).await
}

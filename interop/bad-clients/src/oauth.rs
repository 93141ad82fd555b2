//! A small hand-written OAuth 2.1 client for MCP: discovery, registration, authorization with
//! a headless consent, code exchange and refresh. Each step asks the [`Fault`] whether to leave
//! out or change what a conformant client sends; with no fault it is a conformant client.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;

use crate::fault::Fault;

/// The loopback callback the catalog's pre-registered clients allow; nothing listens on it.
pub const REDIRECT_URI: &str = "http://127.0.0.1:33418/callback";
/// Where the `changed-redirect-uri` client says it was redirected in its token request.
pub const CHANGED_REDIRECT_URI: &str = "http://127.0.0.1:33418/other-callback";
/// The `unsafe-redirect-uri` client's callback: plain http on a host that is not this machine,
/// where anyone on the path can read the code. Registered and used consistently.
pub const UNSAFE_REDIRECT_URI: &str = "http://bad-client.example/callback";

/// The redirect URI the client registers and authorizes with.
fn redirect_uri(fault: Fault) -> &'static str {
    if fault == Fault::UnsafeRedirectUri {
        UNSAFE_REDIRECT_URI
    } else {
        REDIRECT_URI
    }
}

pub struct Server {
    pub resource: String,
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub registration_endpoint: Option<String>,
    pub iss_supported: bool,
    /// The scope of the 401 challenge.
    pub challenge_scope: Option<String>,
    /// The protected-resource metadata's `scopes_supported`, space-separated.
    pub metadata_scopes: Option<String>,
}

impl Server {
    /// The scope to ask for: the challenge's, else the metadata's, else none.
    fn scope(&self, fault: Fault) -> Option<&str> {
        if fault == Fault::IgnoresChallengeScope {
            return self.metadata_scopes.as_deref();
        }
        self.challenge_scope
            .as_deref()
            .or(self.metadata_scopes.as_deref())
    }
}

/// How the client authenticates at the token endpoint (RFC 7591 `token_endpoint_auth_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
}

pub struct Client {
    pub id: String,
    pub secret: Option<String>,
    pub auth_method: AuthMethod,
}

/// An access token is refreshed before a call when it expires within this margin.
const REFRESH_MARGIN: Duration = Duration::from_secs(5);

pub struct Tokens {
    pub access: String,
    pub refresh: Option<String>,
    /// When the access token expires, by this client's clock (`expires_in`), when it said.
    pub expires_at: Option<Instant>,
}

impl Tokens {
    /// Whether the access token has expired or is about to.
    pub fn expiring(&self) -> bool {
        self.expires_at
            .is_some_and(|at| Instant::now() + REFRESH_MARGIN >= at)
    }
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

/// A parameter of the challenge: `name="value"` or `name=token`, with whitespace allowed
/// around `=` (RFC 9110 §11.2), the first occurrence winning. The `challenge-pattern` fault
/// matches `name="` only, as a regular expression over the header would.
fn challenge_param(challenge: &str, name: &str, fault: Fault) -> Option<String> {
    if fault == Fault::ChallengePattern {
        let start = challenge.find(&format!("{name}=\""))? + name.len() + 2;
        let rest = &challenge[start..];
        return Some(rest[..rest.find('"')?].to_owned());
    }
    let mut from = 0;
    while let Some(found) = challenge[from..].find(name) {
        let at = from + found;
        from = at + name.len();
        let boundary = challenge[..at]
            .chars()
            .next_back()
            .is_none_or(|c| c == ' ' || c == ',' || c == '\t');
        let rest = challenge[from..].trim_start_matches([' ', '\t']);
        let Some(value) = rest.strip_prefix('=').filter(|_| boundary) else {
            continue;
        };
        let value = value.trim_start_matches([' ', '\t']);
        return match value.strip_prefix('"') {
            Some(quoted) => Some(quoted[..quoted.find('"')?].to_owned()),
            None => Some(value.split([',', ' ']).next()?.to_owned()),
        };
    }
    None
}

/// RFC 8414 §3.1: the well-known segment goes between the origin and the issuer's path.
fn inserted(base: &Url, well_known: &str) -> String {
    let origin = base.origin().ascii_serialization();
    let path = base.path().trim_end_matches('/');
    format!("{origin}/.well-known/{well_known}{path}")
}

/// Discovery from the MCP URL and its 401 challenge (empty to read the metadata at its
/// well-known place only). A conformant client stops when the metadata's resource is not the
/// MCP URL, or the authorization server's issuer is not the one the resource named.
pub async fn discover(
    http: &reqwest::Client,
    mcp_url: &str,
    challenge: &str,
    fault: Fault,
) -> Result<Server> {
    let mcp = Url::parse(mcp_url).map_err(|e| format!("bad MCP URL: {e}"))?;
    let mut prm_urls: Vec<String> = challenge_param(challenge, "resource_metadata", fault)
        .into_iter()
        .collect();
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
    let announced_issuer = text(&metadata, "issuer");
    if fault != Fault::IgnoresMetadataMismatch {
        if resource != mcp_url {
            return Err(format!(
                "the protected-resource metadata is for {resource:?}, not {mcp_url:?}"
            ));
        }
        if announced_issuer.as_deref() != Some(issuer.as_str()) {
            return Err(format!(
                "the authorization server's metadata names the issuer {announced_issuer:?}, not {issuer:?}"
            ));
        }
    }
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
    let resource = match Url::parse(&resource) {
        Ok(parsed) if fault == Fault::ResourceSlashAdded => parsed.to_string(),
        _ => resource,
    };
    Ok(Server {
        resource,
        issuer: announced_issuer.unwrap_or(issuer),
        authorization_endpoint: text(&metadata, "authorization_endpoint")
            .ok_or("the metadata has no authorization_endpoint")?,
        token_endpoint: text(&metadata, "token_endpoint")
            .ok_or("the metadata has no token_endpoint")?,
        registration_endpoint: text(&metadata, "registration_endpoint"),
        iss_supported: metadata
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        challenge_scope: challenge_param(challenge, "scope", fault),
        metadata_scopes: scopes,
    })
}

pub async fn register(
    http: &reqwest::Client,
    server: &Server,
    context: (Option<String>, Option<String>),
    fault: Fault,
) -> Result<Client> {
    if let (Some(id), secret) = context {
        let auth_method = if secret.is_some() {
            AuthMethod::ClientSecretBasic
        } else {
            AuthMethod::None
        };
        return Ok(Client {
            id,
            secret,
            auth_method,
        });
    }
    let endpoint = server
        .registration_endpoint
        .as_deref()
        .ok_or("no Client ID given and no registration endpoint")?;
    let response = http
        .post(endpoint)
        .json(&registration_request(fault))
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
    let secret = text(&body, "client_secret");
    // RFC 7591 §2: an omitted method is client_secret_basic, which needs a secret.
    let auth_method = match text(&body, "token_endpoint_auth_method").as_deref() {
        Some("client_secret_post") => AuthMethod::ClientSecretPost,
        Some("client_secret_basic") => AuthMethod::ClientSecretBasic,
        Some("none") => AuthMethod::None,
        _ if secret.is_some() => AuthMethod::ClientSecretBasic,
        _ => AuthMethod::None,
    };
    Ok(Client {
        id: text(&body, "client_id").ok_or("registration returned no client_id")?,
        secret,
        auth_method,
    })
}

/// The RFC 7591 registration request of a public native client, less what a `dcr-*` fault
/// leaves out.
fn registration_request(fault: Fault) -> Value {
    let mut request = json!({
        "client_name": "bad-client",
        "redirect_uris": [redirect_uri(fault)],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "application_type": "native",
    });
    let left_out = match fault {
        Fault::DcrNoRedirectUris => "redirect_uris",
        Fault::DcrNoGrantTypes => "grant_types",
        Fault::DcrNoApplicationType => "application_type",
        Fault::DcrNoAuthMethod => "token_endpoint_auth_method",
        _ => return request,
    };
    if let Some(fields) = request.as_object_mut() {
        fields.remove(left_out);
    }
    request
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
    fault: Fault,
) -> Result<Grant> {
    let verifier = random_text();
    let state = random_text();
    let (challenge, method) = if fault == Fault::PlainPkce {
        (verifier.clone(), "plain")
    } else {
        (
            URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
            "S256",
        )
    };
    let mut url = Url::parse(&server.authorization_endpoint)
        .map_err(|e| format!("bad authorization endpoint: {e}"))?;
    if fault == Fault::SecondQuestionMark {
        url.set_query(None);
    }
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &client.id)
            .append_pair("redirect_uri", redirect_uri(fault))
            .append_pair("state", &state);
        if fault != Fault::NoPkce {
            query
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", method);
        }
        if fault != Fault::NoResource {
            query.append_pair("resource", &server.resource);
        }
        if let Some(scope) = server.scope(fault) {
            query.append_pair("scope", scope);
        }
    }
    if fault == Fault::SecondQuestionMark {
        let own = url.query().unwrap_or_default().to_owned();
        url = Url::parse(&format!("{}?{own}", server.authorization_endpoint))
            .map_err(|e| format!("bad authorization URL: {e}"))?;
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
    if param("state").as_deref() != Some(state.as_str()) && fault != Fault::IgnoresState {
        return Err("the callback's state is not the one sent".to_owned());
    }
    let iss = param("iss");
    let iss_ok = match &iss {
        Some(iss) => *iss == server.issuer,
        None => !server.iss_supported,
    };
    if !iss_ok && !fault.ignores_iss() {
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
    fault: Fault,
) -> Result<std::result::Result<Tokens, String>> {
    let mut request = http.post(&server.token_endpoint);
    let method = match (fault, client.auth_method) {
        // The fault: the secret goes in the body although the registration says Basic.
        (Fault::WrongAuthMethod, AuthMethod::ClientSecretBasic) => AuthMethod::ClientSecretPost,
        (_, method) => method,
    };
    match (method, &client.secret) {
        (AuthMethod::ClientSecretBasic, Some(secret)) => {
            request = request.basic_auth(&client.id, Some(secret));
        }
        (AuthMethod::ClientSecretPost, Some(secret)) => {
            form.push(("client_id", client.id.clone()));
            form.push(("client_secret", secret.clone()));
        }
        _ => form.push(("client_id", client.id.clone())),
    }
    let request = if fault == Fault::TextPlainIgnoresWrongIss {
        // The fault: the same urlencoded fields, labelled as plain text.
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form.iter().map(|(n, v)| (*n, v.as_str())))
            .finish();
        request.header("content-type", "text/plain").body(body)
    } else {
        request.form(&form)
    };
    let response = request
        .send()
        .await
        .map_err(|e| format!("token endpoint: {e}"))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let error = text(&body, "error").unwrap_or_else(|| status.to_string());
        return Ok(Err(error));
    }
    let lifetime = body.get("expires_in").and_then(Value::as_u64);
    Ok(Ok(Tokens {
        access: text(&body, "access_token").ok_or("the token response has no access_token")?,
        refresh: text(&body, "refresh_token"),
        expires_at: lifetime.map(|secs| Instant::now() + Duration::from_secs(secs)),
    }))
}

pub async fn redeem(
    http: &reqwest::Client,
    server: &Server,
    client: &Client,
    grant: Grant,
    fault: Fault,
) -> Result<Tokens> {
    let redirect_uri = if fault == Fault::ChangedRedirectUri {
        CHANGED_REDIRECT_URI
    } else {
        redirect_uri(fault)
    };
    let mut form = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("code", grant.code),
        ("redirect_uri", redirect_uri.to_owned()),
    ];
    match fault {
        Fault::NoPkce => {}
        // The fault: a verifier, but not the one whose hash went out with the authorization.
        Fault::WrongVerifier => form.push(("code_verifier", random_text())),
        _ => form.push(("code_verifier", grant.verifier)),
    }
    if fault != Fault::NoResource {
        form.push(("resource", server.resource.clone()));
    }
    token_request(http, server, client, form, fault)
        .await?
        .map_err(|error| format!("the code exchange was refused: {error}"))
}

/// One refresh; `Ok(Err(error))` is the authorization server's refusal.
pub async fn refresh(
    http: &reqwest::Client,
    server: &Server,
    client: &Client,
    refresh_token: &str,
    fault: Fault,
) -> Result<std::result::Result<Tokens, String>> {
    let mut form = vec![
        ("grant_type", "refresh_token".to_owned()),
        ("refresh_token", refresh_token.to_owned()),
    ];
    if fault != Fault::NoResource {
        form.push(("resource", server.resource.clone()));
    }
    token_request(http, server, client, form, fault).await
}

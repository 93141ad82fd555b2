//! What the judge knows besides the log: the mocks' shape (issuers, paths, the resource they
//! announce, the scopes they suggest), and a view of the log sorted by role.

use mcp_oauth_mocks::config::{AsMetadataLocation, AuthorizationServerForm, IssuerForm};
use mcp_oauth_mocks::request_log::Server;
use mcp_oauth_mocks::{MockServers, RecordedRequest};

use super::JudgeInput;
use mcp_oauth_catalog::scenario::Scenario;

#[derive(Debug, Clone)]
pub struct AuthServerFacts {
    pub role: Server,
    pub issuer: String,
    pub authorization_path: String,
    pub token_path: String,
    pub registration_path: String,
    /// Whether it advertises `authorization_response_iss_parameter_supported`.
    pub iss_advertised: bool,
    pub scopes_supported: Vec<String>,
}

/// A metadata document the judge can find in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataDocument {
    /// RFC 9728 protected-resource metadata (`/.well-known/oauth-protected-resource...`).
    ProtectedResource,
    /// RFC 8414 or OpenID Connect discovery metadata of an authorization server.
    AuthorizationServer,
}

impl MetadataDocument {
    pub fn name(self) -> &'static str {
        match self {
            MetadataDocument::ProtectedResource => "the protected-resource metadata",
            MetadataDocument::AuthorizationServer => "the authorization-server metadata",
        }
    }

    /// Whether `request` fetched this document (whatever the answer).
    pub fn fetched_by(self, request: &RecordedRequest) -> bool {
        if request.method != "GET" {
            return false;
        }
        let path = request.path.as_str();
        match self {
            MetadataDocument::ProtectedResource => {
                path.contains("/.well-known/oauth-protected-resource")
            }
            MetadataDocument::AuthorizationServer => {
                path.contains("/.well-known/oauth-authorization-server")
                    || path.contains("/.well-known/openid-configuration")
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct MockFacts {
    pub mcp_url: String,
    /// The MCP endpoint's path (empty for a server at its origin).
    pub mcp_path: String,
    /// The resource a client must send: the metadata's, or the canonical MCP URL without one.
    pub resource: String,
    /// The metadata document whose contents a conformant client refuses before authorization
    /// (a resource that is not the MCP URL, an issuer that is not the authorization server's),
    /// or `None` when both match.
    pub metadata_mismatch: Option<MetadataDocument>,
    /// Whether the 401's `resource_metadata` names plain http for an MCP URL given as https
    /// (a TLS-terminating proxy's lost scheme): the challenge itself is then an answer a
    /// client may refuse, before fetching anything over plain http.
    pub pointer_downgraded: bool,
    /// Whether the authorization server's metadata is where a conformant client looks for it.
    /// When not, the client's misses are 404s the mocks do not log, and the last step it is
    /// seen to take is the protected-resource metadata.
    pub as_metadata_findable: bool,
    pub protected_resource_metadata: bool,
    pub challenge_scope: Option<String>,
    pub auth_servers: Vec<AuthServerFacts>,
}

impl MockFacts {
    /// The facts of running mocks, whose MCP URL the client was given as `given_url`.
    pub fn of(mocks: &MockServers, given_url: &str) -> Self {
        let rs = mocks.resource_server();
        let rs_config = rs.config();
        let mcp_url = given_url.to_owned();
        let mcp_path = rs_config.path.trim_end_matches('/').to_owned();
        let protected_resource_metadata = rs.metadata_path().is_some();
        let resource = if protected_resource_metadata {
            rs.announced_resource()
        } else {
            mocks.mcp_url()
        };
        let servers = std::iter::once(mocks.auth_server()).chain(mocks.alternate_auth_server());
        let auth_servers: Vec<AuthServerFacts> = servers
            .map(|server| {
                let config = server.config();
                let path = &config.issuer_path;
                AuthServerFacts {
                    role: server.role(),
                    issuer: server.issuer(),
                    authorization_path: server.authorization_endpoint_path(),
                    token_path: format!("{path}/token"),
                    registration_path: format!("{path}/register"),
                    iss_advertised: config.advertise_iss_parameter,
                    scopes_supported: config.scopes_supported.clone(),
                }
            })
            .collect();
        let as_config = mocks.auth_server().config();
        // Where the mismatch is: the issuer in the authorization server's own metadata, else
        // what the protected-resource metadata says (its resource, the server it names, or a
        // document served for every path).
        let metadata_mismatch = if as_config.issuer_in_metadata != IssuerForm::Exact {
            Some(MetadataDocument::AuthorizationServer)
        } else if protected_resource_metadata
            // Behind the redirect to the trailing slash the resource is that URL: consistent.
            && ((resource != mcp_url && !rs_config.redirect_to_trailing_slash)
                || rs_config.authorization_server_in_metadata != AuthorizationServerForm::Exact
                || rs_config.metadata_for_every_path)
        {
            Some(MetadataDocument::ProtectedResource)
        } else {
            None
        };
        let pointer_downgraded = mcp_url.starts_with("https://")
            && rs_config.www_authenticate
            && rs_config.resource_metadata_in_challenge
            && rs
                .metadata_url()
                .is_some_and(|url| url.starts_with("http://"));
        Self {
            mcp_url,
            mcp_path,
            resource,
            metadata_mismatch,
            pointer_downgraded,
            as_metadata_findable: as_config.metadata
                && (as_config.metadata_location != AsMetadataLocation::Root
                    || as_config.issuer_path.is_empty()),
            protected_resource_metadata,
            challenge_scope: rs_config
                .www_authenticate
                .then(|| rs_config.challenge_scope.clone())
                .flatten(),
            auth_servers,
        }
    }
}

impl JudgeInput {
    pub fn from_served(
        scenario: &Scenario,
        profile: &'static mcp_oauth_engine::profile::Profile,
        mocks: &MockServers,
        given_url: &str,
        fired: Vec<super::FiredTrigger>,
    ) -> Self {
        let mut secrets = mocks.issued_secrets();
        secrets.extend(scenario.client.client_secret.clone());
        Self {
            scenario: scenario.name.clone(),
            written_for: scenario.profiles.clone(),
            conformant: scenario.conformant_client.clone(),
            profile,
            log: mocks.log().snapshot(),
            facts: MockFacts::of(mocks, given_url),
            fired,
            clock: std::sync::Arc::new(mcp_oauth_mocks::clock::SystemClock),
            secrets,
        }
    }
}

/// The log, seen by what each request was.
#[derive(Debug)]
pub struct View<'a> {
    pub input: &'a JudgeInput,
    pub facts: &'a MockFacts,
}

impl<'a> View<'a> {
    pub fn new(input: &'a JudgeInput) -> Self {
        Self {
            input,
            facts: &input.facts,
        }
    }

    pub fn log(&self) -> impl Iterator<Item = (usize, &'a RecordedRequest)> {
        self.input.log.iter().enumerate()
    }

    fn auth_server(&self, role: Server) -> Option<&'a AuthServerFacts> {
        self.facts.auth_servers.iter().find(|s| s.role == role)
    }

    /// Requests to an authorization endpoint, with the server they went to.
    pub fn authorization_requests(
        &self,
    ) -> impl Iterator<Item = (usize, &'a RecordedRequest, &'a AuthServerFacts)> {
        self.log().filter_map(move |(i, r)| {
            let server = self.auth_server(r.server)?;
            (r.method == "GET" && r.path == server.authorization_path).then_some((i, r, server))
        })
    }

    /// Token requests (any grant), with the server they went to.
    pub fn token_requests(
        &self,
    ) -> impl Iterator<Item = (usize, &'a RecordedRequest, &'a AuthServerFacts)> {
        self.log().filter_map(move |(i, r)| {
            let server = self.auth_server(r.server)?;
            (r.method == "POST" && r.path == server.token_path).then_some((i, r, server))
        })
    }

    pub fn code_exchanges(
        &self,
    ) -> impl Iterator<Item = (usize, &'a RecordedRequest, &'a AuthServerFacts)> {
        self.token_requests()
            .filter(|(_, r, _)| r.form_field("grant_type") == Some("authorization_code"))
    }

    pub fn refreshes(
        &self,
    ) -> impl Iterator<Item = (usize, &'a RecordedRequest, &'a AuthServerFacts)> {
        self.token_requests()
            .filter(|(_, r, _)| r.form_field("grant_type") == Some("refresh_token"))
    }

    pub fn registrations(
        &self,
    ) -> impl Iterator<Item = (usize, &'a RecordedRequest, &'a AuthServerFacts)> {
        self.log().filter_map(move |(i, r)| {
            let server = self.auth_server(r.server)?;
            (r.method == "POST" && r.path == server.registration_path).then_some((i, r, server))
        })
    }

    /// Requests to the MCP endpoint (not its metadata).
    pub fn mcp_requests(&self) -> impl Iterator<Item = (usize, &'a RecordedRequest)> {
        let path = self.facts.mcp_path.clone();
        self.log().filter(move |(_, r)| {
            r.server == Server::ResourceServer
                && !r.path.starts_with("/.well-known/")
                && (path.is_empty() || r.path == path || r.path.starts_with(&format!("{path}/")))
        })
    }

    /// The authorization request whose redirect carried `code`.
    pub fn authorization_that_issued(
        &self,
        code: &str,
    ) -> Option<(usize, &'a RecordedRequest, &'a AuthServerFacts)> {
        self.authorization_requests()
            .find(|(_, r, _)| r.location_param("code").as_deref() == Some(code))
    }

    /// Whether a trigger fired, and after which request.
    pub fn fired(&self, action: &str) -> Option<usize> {
        self.input
            .fired
            .iter()
            .find(|f| f.actions.contains(&action))
            .map(|f| f.request_index)
    }
}

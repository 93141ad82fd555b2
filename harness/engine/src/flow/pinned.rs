//! A provider-gallery entry's promises about its server: endpoints pinned for providers whose
//! discovery is broken or absent (as a platform's pre-configured tile knows them), and the way
//! the client is to be registered.
//!
//! With the authorization and token endpoints both pinned, discovery is skipped and the pinned
//! values are the server; otherwise discovery runs and each pinned endpoint overrides what it
//! found. Either way a `gallery-endpoints-pinned` check records what was used, so a report
//! never passes a pinned value off as discovered.

use serde_json::{Value, json};
use url::Url;

use super::FlowContext;
use super::discovery::{AuthServerMetadata, DiscoveredServer, Endpoints, canonical_resource};
use super::probe::Probe;
use crate::checks;
use crate::diagnosis::{self, Diagnosis};

/// The endpoints a gallery entry pins; every one optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PinnedEndpoints {
    pub issuer: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub registration_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
}

/// How the entry says the client gets its Client ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationFlow {
    /// RFC 7591 dynamic client registration.
    Dcr,
    /// A Client ID (and secret) brought by the user.
    ClientId,
    /// A Client ID metadata document at the entry's `client-metadata-url`.
    ClientMetadataUrl,
}

impl RegistrationFlow {
    pub const NAMES: [&'static str; 3] = ["dcr", "client-id", "client-metadata-url"];

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "dcr" => Some(Self::Dcr),
            "client-id" => Some(Self::ClientId),
            "client-metadata-url" => Some(Self::ClientMetadataUrl),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dcr => "dcr",
            Self::ClientId => "client-id",
            Self::ClientMetadataUrl => "client-metadata-url",
        }
    }
}

impl PinnedEndpoints {
    pub fn is_empty(&self) -> bool {
        self.fields().iter().all(|(_, value)| value.is_none())
    }

    /// Discovery is skipped when the two endpoints every flow needs are pinned, and the
    /// registration endpoint too when the client is to be registered dynamically.
    pub fn skips_discovery(&self, registers: bool) -> bool {
        self.authorization_endpoint.is_some()
            && self.token_endpoint.is_some()
            && (!registers || self.registration_endpoint.is_some())
    }

    /// Each pinned value under the entry's field name.
    pub fn fields(&self) -> [(&'static str, Option<&str>); 5] {
        [
            ("issuer", self.issuer.as_deref()),
            (
                "authorization-endpoint",
                self.authorization_endpoint.as_deref(),
            ),
            ("token-endpoint", self.token_endpoint.as_deref()),
            (
                "registration-endpoint",
                self.registration_endpoint.as_deref(),
            ),
            ("revocation-endpoint", self.revocation_endpoint.as_deref()),
        ]
    }

    fn details(&self) -> Value {
        let mut details = serde_json::Map::new();
        for (field, value) in self.fields() {
            if let Some(value) = value {
                details.insert(field.to_owned(), json!(value));
            }
        }
        Value::Object(details)
    }

    /// The server as the entry pins it, without discovery, when [`Self::skips_discovery`].
    /// The issuer defaults to the authorization endpoint's origin; PKCE S256 is assumed, as
    /// the tile's author promised.
    pub(super) fn server(
        &self,
        ctx: &mut FlowContext,
        mcp_url: &str,
        registers: bool,
    ) -> Option<DiscoveredServer> {
        let (Some(authorization), Some(token)) =
            (&self.authorization_endpoint, &self.token_endpoint)
        else {
            return None;
        };
        if !self.skips_discovery(registers) {
            return None;
        }
        let mcp_url = Url::parse(mcp_url).ok()?;
        let issuer = self.issuer.clone().unwrap_or_else(|| {
            Url::parse(authorization)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_else(|_| authorization.clone())
        });
        let mut details = self.details();
        details["discovery"] = json!("skipped");
        ctx.recorder.info(
            &checks::GALLERY_ENDPOINTS_PINNED,
            details,
            "discovery skipped: the gallery entry pins the authorization and token endpoints; PKCE S256 is assumed, not advertised",
        );
        Some(DiscoveredServer {
            resource: canonical_resource(&mcp_url),
            resource_from_metadata: false,
            scopes_supported: Vec::new(),
            issuer: issuer.clone(),
            metadata: AuthServerMetadata {
                issuer: Some(issuer),
                authorization_endpoint: Some(authorization.clone()),
                token_endpoint: Some(token.clone()),
                registration_endpoint: self.registration_endpoint.clone(),
                revocation_endpoint: self.revocation_endpoint.clone(),
                code_challenge_methods_supported: Some(vec!["S256".to_owned()]),
                ..AuthServerMetadata::default()
            },
            endpoints: Endpoints {
                authorization: authorization.clone(),
                token: token.clone(),
            },
        })
    }

    /// Each pinned endpoint that differs from what `metadata` announces.
    pub fn drift_from(&self, metadata: &AuthServerMetadata) -> Vec<Drifted> {
        let announced = [
            metadata.issuer.as_deref(),
            metadata.authorization_endpoint.as_deref(),
            metadata.token_endpoint.as_deref(),
            metadata.registration_endpoint.as_deref(),
            metadata.revocation_endpoint.as_deref(),
        ];
        self.fields()
            .into_iter()
            .zip(announced)
            .filter_map(|((field, pinned), announced)| {
                let pinned = pinned?;
                (announced != Some(pinned)).then(|| Drifted {
                    field,
                    pinned: pinned.to_owned(),
                    announced: announced.map(str::to_owned),
                })
            })
            .collect()
    }

    /// Whether the endpoints a client's credentials would go to (the token endpoint, and the
    /// authorization endpoint its Client ID goes to) belong to another server than the pinned
    /// issuer: the discovered issuer is not it, and an endpoint the entry does not pin lives
    /// on another origin than it. The MCP server then named another authorization server than
    /// the entry's. False without a pinned issuer.
    pub fn endpoints_elsewhere(
        &self,
        discovered_issuer: &str,
        authorization_endpoint: &str,
        token_endpoint: &str,
    ) -> bool {
        let Some(issuer) = &self.issuer else {
            return false;
        };
        let origin = |url: &str| Url::parse(url).ok().map(|u| u.origin());
        let pinned_origin = origin(issuer);
        let foreign = |pinned: &Option<String>, discovered: &str| {
            pinned.is_none() && origin(discovered) != pinned_origin
        };
        discovered_issuer != issuer
            && (foreign(&self.token_endpoint, token_endpoint)
                || foreign(&self.authorization_endpoint, authorization_endpoint))
    }

    /// What discovery found, with each pinned endpoint in place of the discovered one, and
    /// the pins that differed from it.
    pub(super) fn apply(
        &self,
        ctx: &mut FlowContext,
        mut server: DiscoveredServer,
    ) -> (DiscoveredServer, Vec<Drifted>) {
        if self.is_empty() {
            return (server, Vec::new());
        }
        let drifted = self.drift_from(&server.metadata);
        // The pinned issuer names the server the entry trusts (and the user's credentials are
        // for). Discovered endpoints on another origin than it belong to whichever server the
        // MCP server's metadata named instead: that server keeps its own issuer, so that
        // credentials bound to the pinned one are not sent there.
        let elsewhere = self.endpoints_elsewhere(
            &server.issuer,
            &server.endpoints.authorization,
            &server.endpoints.token,
        );
        let pinned_issuer = self.issuer.as_ref().filter(|_| !elsewhere);
        let metadata = &mut server.metadata;
        for (slot, pinned) in [
            (&mut metadata.issuer, &pinned_issuer.cloned()),
            (
                &mut metadata.authorization_endpoint,
                &self.authorization_endpoint,
            ),
            (&mut metadata.token_endpoint, &self.token_endpoint),
            (
                &mut metadata.registration_endpoint,
                &self.registration_endpoint,
            ),
            (&mut metadata.revocation_endpoint, &self.revocation_endpoint),
        ] {
            if let Some(pinned) = pinned {
                *slot = Some(pinned.clone());
            }
        }
        if let Some(issuer) = pinned_issuer {
            server.issuer = issuer.clone();
        }
        if let Some(authorization) = &self.authorization_endpoint {
            server.endpoints.authorization = authorization.clone();
        }
        if let Some(token) = &self.token_endpoint {
            server.endpoints.token = token.clone();
        }
        let mut details = self.details();
        details["discovery"] = json!("ran");
        if self.issuer.is_some() && pinned_issuer.is_none() {
            details["issuerNotApplied"] = json!(server.issuer);
        }
        details["replaced"] = json!(drifted.iter().map(Drifted::details).collect::<Vec<_>>());
        ctx.recorder.info(
            &checks::GALLERY_ENDPOINTS_PINNED,
            details,
            "the gallery entry's pinned endpoints are used in place of what discovery found",
        );
        (server, drifted)
    }
}

/// A pinned endpoint that the metadata announces otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drifted {
    /// The entry's field.
    pub field: &'static str,
    pub pinned: String,
    pub announced: Option<String>,
}

impl Drifted {
    fn details(&self) -> Value {
        json!({ "field": self.field, "pinned": self.pinned, "discovered": self.announced })
    }
}

/// A connection through pinned endpoints failed: when live discovery shows a pin is stale,
/// that is the diagnosis (the failure quoted), with the field to change. `known` is the drift
/// already seen when discovery ran; without it discovery runs now. Without observed drift
/// the failure stands as it was.
pub(super) async fn explain(
    ctx: &mut FlowContext,
    options: &super::ClientOptions,
    probe: &Probe,
    known: Option<Vec<Drifted>>,
    failure: Diagnosis,
) -> Diagnosis {
    // Credentials withheld from the server the MCP server named instead of the pinned one are
    // a stop of their own: pointing the entry at that server is not the remedy to give when
    // it may be a stranger's.
    if failure.code == diagnosis::CREDENTIALS_FOREIGN_ISSUER {
        return failure;
    }
    let drifted = match known {
        Some(drifted) => drifted,
        None => match super::discovery::discover(ctx, &options.mcp_url, probe).await {
            Ok(server) => options.pinned.drift_from(&server.metadata),
            Err(_) => return failure,
        },
    };
    let Some(first) = drifted.first() else {
        return failure;
    };
    let stale: Vec<String> = drifted
        .iter()
        .map(|d| match &d.announced {
            Some(announced) => format!(
                "`{}` pins {} but the metadata announces {announced}",
                d.field, d.pinned
            ),
            None => format!(
                "`{}` pins {} but the metadata announces none",
                d.field, d.pinned
            ),
        })
        .collect();
    let remedy = match &first.announced {
        Some(announced) => format!(
            "Change `{}` in the gallery entry to {announced}, or remove it to use discovery.",
            first.field
        ),
        None => format!(
            "Remove `{}` from the gallery entry: the server no longer announces one.",
            first.field
        ),
    };
    diagnosis::new(
        diagnosis::GALLERY_DRIFT,
        format!(
            "The gallery entry has drifted from the server: {}. Connecting through it failed: {}",
            stale.join("; "),
            failure.message
        ),
        remedy,
    )
}

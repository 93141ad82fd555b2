//! The `connect-gallery` action: connect through a provider-gallery entry written inline in
//! the scenario file, as a platform's pre-configured tile would. The mocks listen on ports
//! chosen at run time, so the entry's URLs may say `{issuer}` (the authorization server's
//! issuer) and `{mcp-url}` (the MCP endpoint); the runner fills them in.

use serde::Deserialize;

use mcp_oauth_engine::flow::{ClientOptions, PinnedEndpoints, RegistrationFlow};

/// The gallery entry of a `connect-gallery` step (docs/gallery.md, without `name` and `url`:
/// the scenario's MCP server is the entry's).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct InlineEntry {
    pub flow: Option<String>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub issuer: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub registration_endpoint: Option<String>,
    pub revocation_endpoint: Option<String>,
}

impl InlineEntry {
    /// Why the entry cannot be used, naming the field.
    pub fn problem(&self) -> Option<String> {
        if let Some(flow) = &self.flow
            && RegistrationFlow::parse(flow).is_none()
        {
            return Some(format!(
                "entry field `flow`: unknown flow {flow:?}; known: {}",
                RegistrationFlow::NAMES.join(", ")
            ));
        }
        if self.flow.as_deref() == Some("client-id") && self.client_id.is_none() {
            return Some("entry field `client-id`: `flow: client-id` needs it".to_owned());
        }
        self.pinned(&|v| v.to_owned())
            .fields()
            .into_iter()
            .find(|(_, value)| {
                value.is_some_and(|v| !v.starts_with("{issuer}") && !v.starts_with("{mcp-url}"))
            })
            .map(|(field, _)| {
                format!(
                    "entry field `{field}`: write it under {{issuer}} or {{mcp-url}}, the mocks' addresses are chosen at run time"
                )
            })
    }

    /// The entry's pinned endpoints, each passed through `fill`.
    fn pinned(&self, fill: &dyn Fn(&str) -> String) -> PinnedEndpoints {
        let fill = |value: &Option<String>| value.as_deref().map(fill);
        PinnedEndpoints {
            issuer: fill(&self.issuer),
            authorization_endpoint: fill(&self.authorization_endpoint),
            token_endpoint: fill(&self.token_endpoint),
            registration_endpoint: fill(&self.registration_endpoint),
            revocation_endpoint: fill(&self.revocation_endpoint),
        }
    }

    /// Sets the flow's options as the entry says, its URLs filled in.
    pub fn apply_to(&self, options: &mut ClientOptions, issuer: &str, mcp_url: &str) {
        options.pinned =
            self.pinned(&|v| v.replace("{issuer}", issuer).replace("{mcp-url}", mcp_url));
        options.registration_flow = self.flow.as_deref().and_then(RegistrationFlow::parse);
        if self.scope.is_some() {
            options.scope = self.scope.clone();
        }
        if self.client_id.is_some() {
            options.client_id = self.client_id.clone();
        }
    }
}

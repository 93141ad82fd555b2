//! Spec references, as constants so that a typo fails to compile.

use mcp_oauth_reports::SpecReference;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecRef {
    pub id: &'static str,
    pub url: &'static str,
}

impl SpecRef {
    pub fn to_report(self) -> SpecReference {
        SpecReference {
            id: self.id.to_owned(),
            url: self.url.to_owned(),
        }
    }
}

macro_rules! spec_refs {
    ($($name:ident = $id:literal, $url:literal;)*) => {
        $(pub const $name: SpecRef = SpecRef { id: $id, url: $url };)*
        /// Every reference, for documentation and tests.
        pub const ALL: &[SpecRef] = &[$($name),*];
    };
}

spec_refs! {
    RFC6749_3_1_2 = "RFC6749-3.1.2", "https://www.rfc-editor.org/rfc/rfc6749#section-3.1.2";
    RFC6749_3_3 = "RFC6749-3.3", "https://www.rfc-editor.org/rfc/rfc6749#section-3.3";
    RFC6749_4_1_2_1 = "RFC6749-4.1.2.1", "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.2.1";
    RFC6749_5_1 = "RFC6749-5.1", "https://www.rfc-editor.org/rfc/rfc6749#section-5.1";
    RFC6749_5_2 = "RFC6749-5.2", "https://www.rfc-editor.org/rfc/rfc6749#section-5.2";
    RFC6749_6 = "RFC6749-6", "https://www.rfc-editor.org/rfc/rfc6749#section-6";
    RFC6749_10_12 = "RFC6749-10.12", "https://www.rfc-editor.org/rfc/rfc6749#section-10.12";
    RFC6750_3 = "RFC6750-3", "https://www.rfc-editor.org/rfc/rfc6750#section-3";
    RFC7591_3 = "RFC7591-3", "https://www.rfc-editor.org/rfc/rfc7591#section-3";
    RFC7591_3_2_2 = "RFC7591-3.2.2", "https://www.rfc-editor.org/rfc/rfc7591#section-3.2.2";
    RFC7636_4 = "RFC7636-4", "https://www.rfc-editor.org/rfc/rfc7636#section-4";
    RFC8414_3 = "RFC8414-3", "https://www.rfc-editor.org/rfc/rfc8414#section-3";
    RFC8414_3_3 = "RFC8414-3.3", "https://www.rfc-editor.org/rfc/rfc8414#section-3.3";
    RFC8707_2 = "RFC8707-2", "https://www.rfc-editor.org/rfc/rfc8707#section-2";
    RFC9207_2 = "RFC9207-2", "https://www.rfc-editor.org/rfc/rfc9207#section-2";
    RFC9728_3 = "RFC9728-3", "https://www.rfc-editor.org/rfc/rfc9728#section-3";
    RFC9728_3_3 = "RFC9728-3.3", "https://www.rfc-editor.org/rfc/rfc9728#section-3.3";
    RFC9728_5_1 = "RFC9728-5.1", "https://www.rfc-editor.org/rfc/rfc9728#section-5.1";
    OAUTH21_7_5 = "OAuth2.1-7.5", "https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-7.5";
    MCP_AUTHORIZATION = "MCP-2025-11-25-authorization", "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization";
    MCP_LIFECYCLE = "MCP-2025-11-25-lifecycle", "https://modelcontextprotocol.io/specification/2025-11-25/basic/lifecycle";
    MCP_TOOLS = "MCP-2025-11-25-tools", "https://modelcontextprotocol.io/specification/2025-11-25/server/tools";
    PIPELINES = "PIPELINES-oauth", "docs/pipelines-profile.md";
    RFC6749_10_15 = "RFC6749-10.15", "https://www.rfc-editor.org/rfc/rfc6749#section-10.15";
    RFC6750_3_1 = "RFC6750-3.1", "https://www.rfc-editor.org/rfc/rfc6750#section-3.1";
    RFC7009_2 = "RFC7009-2", "https://www.rfc-editor.org/rfc/rfc7009#section-2";
    RFC7591_2 = "RFC7591-2", "https://www.rfc-editor.org/rfc/rfc7591#section-2";
    RFC8414_2 = "RFC8414-2", "https://www.rfc-editor.org/rfc/rfc8414#section-2";
    RFC9700_4_1 = "RFC9700-4.1", "https://www.rfc-editor.org/rfc/rfc9700#section-4.1";
    RFC9700_4_14_2 = "RFC9700-4.14.2", "https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2";
    OAUTH21_4_3_1 = "OAuth2.1-4.3.1", "https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-4.3.1";
    CIMD = "OAuth-CIMD", "https://datatracker.ietf.org/doc/draft-ietf-oauth-client-id-metadata-document/";
    MCP_2025_03_26_AUTHORIZATION = "MCP-2025-03-26-authorization", "https://modelcontextprotocol.io/specification/2025-03-26/basic/authorization";
    MCP_2025_06_18_AUTHORIZATION = "MCP-2025-06-18-authorization", "https://modelcontextprotocol.io/specification/2025-06-18/basic/authorization";
    MCP_2026_07_28_AUTHORIZATION = "MCP-2026-07-28-authorization", "https://modelcontextprotocol.io/specification/2026-07-28/basic/authorization";
    RFC6749_2_3 = "RFC6749-2.3", "https://www.rfc-editor.org/rfc/rfc6749#section-2.3";
    RFC6749_4_4 = "RFC6749-4.4", "https://www.rfc-editor.org/rfc/rfc6749#section-4.4";
    RFC7523_2_1 = "RFC7523-2.1", "https://www.rfc-editor.org/rfc/rfc7523#section-2.1";
    RFC7523_2_2 = "RFC7523-2.2", "https://www.rfc-editor.org/rfc/rfc7523#section-2.2";
    RFC8693_2 = "RFC8693-2", "https://www.rfc-editor.org/rfc/rfc8693#section-2";
    RFC6749_4_1_3 = "RFC6749-4.1.3", "https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3";
    RFC6750_2_1 = "RFC6750-2.1", "https://www.rfc-editor.org/rfc/rfc6750#section-2.1";
    RFC6750_2_3 = "RFC6750-2.3", "https://www.rfc-editor.org/rfc/rfc6750#section-2.3";
    RFC7636_4_3 = "RFC7636-4.3", "https://www.rfc-editor.org/rfc/rfc7636#section-4.3";
    RFC7636_4_6 = "RFC7636-4.6", "https://www.rfc-editor.org/rfc/rfc7636#section-4.6";
    RFC8252_7_3 = "RFC8252-7.3", "https://www.rfc-editor.org/rfc/rfc8252#section-7.3";
    RFC6749_3_1 = "RFC6749-3.1", "https://www.rfc-editor.org/rfc/rfc6749#section-3.1";
    MCP_SECURITY_BEST_PRACTICES = "MCP-2025-11-25-security-best-practices", "https://modelcontextprotocol.io/specification/2025-11-25/basic/security_best_practices";
    RFC7592_2_3 = "RFC7592-2.3", "https://www.rfc-editor.org/rfc/rfc7592#section-2.3";
    FETCH_CORS = "Fetch-CORS", "https://fetch.spec.whatwg.org/#http-cors-protocol";
    RFC9110_15_4_8 = "RFC9110-15.4.8", "https://www.rfc-editor.org/rfc/rfc9110#section-15.4.8";
    RFC9110_11_1 = "RFC9110-11.1", "https://www.rfc-editor.org/rfc/rfc9110#section-11.1";
    RFC9110_11_2 = "RFC9110-11.2", "https://www.rfc-editor.org/rfc/rfc9110#section-11.2";
    RFC9110_11_6_1 = "RFC9110-11.6.1", "https://www.rfc-editor.org/rfc/rfc9110#section-11.6.1";
    RFC7519_7_2 = "RFC7519-7.2", "https://www.rfc-editor.org/rfc/rfc7519#section-7.2";
    RFC8725_3_1 = "RFC8725-3.1", "https://www.rfc-editor.org/rfc/rfc8725#section-3.1";
    RFC9068_4 = "RFC9068-4", "https://www.rfc-editor.org/rfc/rfc9068#section-4";
    RFC8707_2_2 = "RFC8707-2.2", "https://www.rfc-editor.org/rfc/rfc8707#section-2.2";
    OAUTH21_5_2 = "OAuth2.1-5.2", "https://datatracker.ietf.org/doc/html/draft-ietf-oauth-v2-1#section-5.2";
    RFC7009_2_1 = "RFC7009-2.1", "https://www.rfc-editor.org/rfc/rfc7009#section-2.1";
    RFC9449_4_3 = "RFC9449-4.3", "https://www.rfc-editor.org/rfc/rfc9449#section-4.3";
    RFC9449_5 = "RFC9449-5", "https://www.rfc-editor.org/rfc/rfc9449#section-5";
    RFC9449_5_1 = "RFC9449-5.1", "https://www.rfc-editor.org/rfc/rfc9449#section-5.1";
    RFC9449_7_1 = "RFC9449-7.1", "https://www.rfc-editor.org/rfc/rfc9449#section-7.1";
    RFC9449_8 = "RFC9449-8", "https://www.rfc-editor.org/rfc/rfc9449#section-8";
    RFC9449_9 = "RFC9449-9", "https://www.rfc-editor.org/rfc/rfc9449#section-9";
}

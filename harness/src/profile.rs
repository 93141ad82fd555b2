//! Profiles: how the client behaves and how much each failed check matters. A profile is data
//! the engine consults, never a branch on its name.

use std::time::Duration;

use mcp_oauth_reports::Status;

use crate::checks::{self, CheckDef};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssPolicy {
    /// Compare `iss` when present; its absence is fine.
    CheckWhenPresent,
    /// RFC 9207 as the 2026-07-28 revision tables it: required when the server advertises
    /// `authorization_response_iss_parameter_supported`, compared whenever present.
    RequireWhenAdvertised,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: &'static str,
    pub summary: &'static str,
    /// Send the RFC 8707 `resource` parameter on authorization, token and refresh requests.
    pub send_resource: bool,
    /// Refresh before a call when the access token expires within this window.
    pub refresh_window: Duration,
    /// How long the client keeps a pending authorization (state, verifier) while the person
    /// is on the consent screen.
    pub pending_authorization_lifetime: Duration,
    pub iss: IssPolicy,
    /// Checks whose failure is reported with another status than FAILURE, with the reason the
    /// report gives.
    pub severity_overrides: &'static [SeverityOverride],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeverityOverride {
    pub check: &'static CheckDef,
    pub status: Status,
    pub why: &'static str,
}

impl Profile {
    /// The status a failed check gets under this profile.
    pub fn failure_status(&self, check: &CheckDef) -> Status {
        self.override_for(check)
            .map_or(Status::Failure, |o| o.status)
    }

    pub fn override_for(&self, check: &CheckDef) -> Option<&SeverityOverride> {
        self.severity_overrides
            .iter()
            .find(|o| o.check.id == check.id)
    }
}

const COMMON_WARNINGS: &[SeverityOverride] = &[
    SeverityOverride {
        check: &checks::TOKEN_NO_STORE,
        status: Status::Warning,
        why: "a cacheable token response is a risk, but clients still connect",
    },
    SeverityOverride {
        check: &checks::REFRESH_TOKEN_ISSUED,
        status: Status::Warning,
        why: "without a refresh token the connection works until the access token expires",
    },
    SeverityOverride {
        check: &checks::DCR_AVAILABLE,
        status: Status::Info,
        why: "without registration a Client ID can still be brought",
    },
    SeverityOverride {
        check: &checks::WWW_AUTHENTICATE_RESOURCE_METADATA,
        status: Status::Warning,
        why: "clients fall back to the well-known locations",
    },
];

const PIPELINES_OVERRIDES: &[SeverityOverride] = &[
    COMMON_WARNINGS[0],
    COMMON_WARNINGS[1],
    COMMON_WARNINGS[2],
    COMMON_WARNINGS[3],
    SeverityOverride {
        check: &checks::PKCE_S256_ADVERTISED,
        status: Status::Warning,
        why: "Pipelines always sends an S256 challenge and connects when the server accepts it, advertised or not",
    },
];

const SPEC_2025_06_18_OVERRIDES: &[SeverityOverride] = &[
    COMMON_WARNINGS[0],
    COMMON_WARNINGS[1],
    COMMON_WARNINGS[2],
    COMMON_WARNINGS[3],
    SeverityOverride {
        check: &checks::PKCE_S256_ADVERTISED,
        status: Status::Warning,
        why: "the 2025-06-18 revision requires PKCE but does not yet require refusing servers that do not advertise it",
    },
];

pub const PIPELINES: Profile = Profile {
    name: "pipelines",
    summary: "The Pipelines platform as documented: no resource parameter, reactive refresh, 10-minute consent window",
    send_resource: false,
    refresh_window: Duration::from_secs(300),
    pending_authorization_lifetime: Duration::from_secs(600),
    iss: IssPolicy::CheckWhenPresent,
    severity_overrides: PIPELINES_OVERRIDES,
};

pub const MCP_2025_06_18: Profile = Profile {
    name: "mcp-2025-06-18",
    summary: "MCP authorization, revision 2025-06-18: RFC 9728 discovery, RFC 8707 resource indicators",
    send_resource: true,
    refresh_window: Duration::from_secs(300),
    pending_authorization_lifetime: Duration::from_secs(600),
    iss: IssPolicy::CheckWhenPresent,
    severity_overrides: SPEC_2025_06_18_OVERRIDES,
};

pub const MCP_2025_11_25: Profile = Profile {
    name: "mcp-2025-11-25",
    summary: "MCP authorization, revision 2025-11-25: refuses servers that do not advertise PKCE S256",
    send_resource: true,
    refresh_window: Duration::from_secs(300),
    pending_authorization_lifetime: Duration::from_secs(600),
    iss: IssPolicy::CheckWhenPresent,
    severity_overrides: COMMON_WARNINGS,
};

pub const MCP_2026_07_28: Profile = Profile {
    name: "mcp-2026-07-28",
    summary: "MCP authorization, revision 2026-07-28: RFC 9207 iss required when advertised",
    send_resource: true,
    refresh_window: Duration::from_secs(300),
    pending_authorization_lifetime: Duration::from_secs(600),
    iss: IssPolicy::RequireWhenAdvertised,
    severity_overrides: COMMON_WARNINGS,
};

pub const ALL: &[&Profile] = &[
    &PIPELINES,
    &MCP_2025_06_18,
    &MCP_2025_11_25,
    &MCP_2026_07_28,
];

/// The newest spec revision, the default for `connect`.
pub const NEWEST_SPEC: &Profile = &MCP_2026_07_28;

pub fn by_name(name: &str) -> Option<&'static Profile> {
    ALL.iter().copied().find(|p| p.name == name)
}

pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|p| p.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_advertisement_is_a_warning_for_pipelines_and_a_failure_for_2025_11_25() {
        assert_eq!(
            PIPELINES.failure_status(&checks::PKCE_S256_ADVERTISED),
            Status::Warning
        );
        assert_eq!(
            MCP_2025_11_25.failure_status(&checks::PKCE_S256_ADVERTISED),
            Status::Failure
        );
        assert_eq!(by_name("mcp-2026-07-28"), Some(&MCP_2026_07_28));
        assert_eq!(by_name("nope"), None);
    }
}

//! Which profiles `check` observes, each in a flow of its own.
//!
//! With automated consent every chosen profile costs nothing but a few requests, so the default
//! is all of them. With the system browser each flow costs a person a consent, so the default is
//! the `--profile` flow plus one flow for each further group of profiles that would send
//! different requests; the other members of a group take its answer, and say so.

use mcp_oauth_engine::profile::{self, Profile};

/// What `--profiles` asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ProfileSelection {
    /// All with automated consent; with the browser, one per request group.
    #[default]
    Default,
    All,
    List(Vec<&'static Profile>),
}

impl ProfileSelection {
    /// `all`, or a comma-separated list of profile names, where `all` stands for the platform
    /// and the spec revisions and `clients` for every real-client profile.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.trim() == "all" {
            return Ok(Self::All);
        }
        let mut list = Vec::new();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            // `all,mcp-2026-07-28+dpop`: every plain profile and an extension profile.
            let group = match name {
                "all" => Some(profile::ALL),
                "clients" => Some(profile::CLIENTS),
                _ => None,
            };
            if let Some(group) = group {
                for profile in group.iter().copied() {
                    if !list.contains(&profile) {
                        list.push(profile);
                    }
                }
                continue;
            }
            let profile = profile::by_name(name).ok_or_else(|| {
                format!(
                    "unknown profile {name:?}; known: all, clients, {}",
                    profile::names().join(", ")
                )
            })?;
            if !list.contains(&profile) {
                list.push(profile);
            }
        }
        if list.is_empty() {
            return Err("name at least one profile, or all".to_owned());
        }
        Ok(Self::List(list))
    }

    /// The profiles to observe, the consent step's profile first. `browser`: a person consents
    /// to each flow.
    pub fn resolve(&self, primary: &'static Profile, browser: bool) -> Vec<&'static Profile> {
        let chosen: Vec<&'static Profile> = match self {
            Self::All => profile::ALL.to_vec(),
            Self::List(list) => list.clone(),
            Self::Default if !browser => profile::ALL.to_vec(),
            Self::Default => {
                let mut groups: Vec<&'static Profile> = vec![primary];
                for p in profile::ALL.iter().copied() {
                    if !groups.iter().any(|g| same_requests(g, p)) {
                        groups.push(p);
                    }
                }
                groups
            }
        };
        let mut ordered = vec![primary];
        ordered.extend(chosen.into_iter().filter(|p| p.name != primary.name));
        ordered
    }
}

/// Two profiles send the same requests to a server: what they observe there is the same.
/// Only what `check` makes a client send counts: `check` publishes no client ID metadata
/// document, the default-endpoint fallback applies only to servers without any metadata, and
/// how `iss` is judged changes no request. Using DPoP changes every request with a token.
pub fn same_requests(a: &Profile, b: &Profile) -> bool {
    if a.emulates.is_some() || b.emulates.is_some() {
        // A real client's profile departs in what it compares and tolerates as well as in what
        // it sends: only the same behaviour throughout observes the same.
        let behaviour = |p: &Profile| Profile {
            name: "",
            summary: "",
            emulates: None,
            ..p.clone()
        };
        return behaviour(a) == behaviour(b);
    }
    a.send_resource == b.send_resource
        && a.openid_discovery == b.openid_discovery
        && a.send_application_type == b.send_application_type
        && a.request_offline_access == b.request_offline_access
        && a.dpop == b.dpop
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(profiles: &[&Profile]) -> Vec<&'static str> {
        profiles.iter().map(|p| p.name).collect()
    }

    #[test]
    fn automated_consent_observes_every_profile_the_chosen_one_first() {
        let resolved = ProfileSelection::Default.resolve(&profile::MCP_2025_11_25, false);
        assert_eq!(resolved.len(), profile::ALL.len());
        assert_eq!(resolved[0].name, "mcp-2025-11-25");
    }

    #[test]
    fn the_browser_asks_once_per_group_of_profiles_that_send_different_requests() {
        let resolved = ProfileSelection::Default.resolve(&profile::PIPELINES, true);
        // Each sends requests no other does: 2025-06-18 no OpenID Connect Discovery request,
        // 2025-11-25 `resource` without `application_type`, 2026-07-28 both.
        assert_eq!(
            names(&resolved),
            [
                "pipelines",
                "mcp-2025-06-18",
                "mcp-2025-11-25",
                "mcp-2026-07-28"
            ]
        );
        for (i, a) in resolved.iter().enumerate() {
            for b in &resolved[i + 1..] {
                assert!(!same_requests(a, b), "{} and {}", a.name, b.name);
            }
        }
    }

    #[test]
    fn a_list_narrows_the_set_and_unknown_names_are_refused() {
        let list = ProfileSelection::parse("mcp-2025-11-25, pipelines").unwrap();
        let resolved = list.resolve(&profile::PIPELINES, true);
        assert_eq!(names(&resolved), ["pipelines", "mcp-2025-11-25"]);
        assert!(ProfileSelection::parse("nope").is_err());
        // `all` with an extension profile: every plain profile, then the extension.
        let with_dpop = ProfileSelection::parse("all,mcp-2026-07-28+dpop").unwrap();
        assert_eq!(
            names(&with_dpop.resolve(&profile::PIPELINES, false)),
            [
                "pipelines",
                "mcp-2025-06-18",
                "mcp-2025-11-25",
                "mcp-2026-07-28",
                "mcp-2026-07-28+dpop"
            ]
        );
        assert!(ProfileSelection::parse(" , ").is_err());
        assert_eq!(
            ProfileSelection::parse("all").unwrap(),
            ProfileSelection::All
        );
    }

    #[test]
    fn clients_names_every_real_client_profile() {
        let clients = ProfileSelection::parse("clients").unwrap();
        assert_eq!(
            names(&clients.resolve(&profile::PIPELINES, false)),
            [
                "pipelines",
                "mcp-remote-0.15",
                "ts-sdk-2.4",
                "python-sdk-2.3",
                "ai-sdk-mcp-2.0",
                "inspector-2.12"
            ]
        );
    }

    #[test]
    fn a_client_profile_shares_its_requests_only_with_the_same_behaviour() {
        assert!(same_requests(&profile::TS_SDK_2_4, &profile::TS_SDK_2_4));
        assert!(!same_requests(
            &profile::TS_SDK_2_4,
            &profile::INSPECTOR_2_12
        ));
        // A revision's flow says nothing of a client's: no verdict is inferred from it.
        assert!(!same_requests(
            &profile::MCP_2025_11_25,
            &profile::TS_SDK_2_4
        ));
    }
}

//! The `[conformant-client]` section: what a conformant client does against a scenario's
//! mocks (the outcome, and the judge questions the scenario asks), and the server-side steps
//! of its script as triggers on the client's progress. `serve`, `test-client` and
//! `ServedScenario` (the judge crate's `served`) read it; `run` ignores it.

use std::collections::BTreeMap;

use serde::Deserialize;

/// What a conformant client does against this scenario, and what the server does meanwhile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConformantClient {
    /// How far a conformant client gets (judged under the newest MCP revision).
    pub outcome: ClientOutcome,
    /// Profile name → how far a client of that profile gets, where it differs.
    #[serde(default)]
    pub outcome_by_profile: BTreeMap<String, ClientOutcome>,
    /// The ids of the scenario-specific judge checks (`client-...`) this scenario asks; the
    /// general ones (PKCE, state, redirect, resource, bearer, ...) are always asked.
    #[serde(default)]
    pub questions: Vec<String>,
    /// Server-side steps, each done once when the client reaches a point of its progress.
    #[serde(default)]
    pub triggers: Vec<toml::Spanned<Trigger>>,
    /// The access-token lifetime under `serve`, instead of the scenario's, so that expiry
    /// happens while a client runs (time passes as the client sees it).
    pub access_token_lifetime_secs: Option<u64>,
    /// When a served run is complete (`--once`), instead of the first successful tools/call.
    pub end_after: Option<ProgressEvent>,
    /// How strongly the revisions ask for the outcome: a client that misses an outcome the
    /// spec asks for with SHOULD (a step-up) gets a WARNING, not a FAILURE.
    #[serde(default)]
    pub outcome_requirement: Requirement,
}

/// The strength of a requirement, in RFC 2119 terms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    /// MUST: missing it is a FAILURE.
    #[default]
    Must,
    /// SHOULD: missing it is a WARNING.
    Should,
}

/// How far a conformant client gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientOutcome {
    /// It reaches a successful `tools/call`.
    Connects,
    /// It stops before sending anyone to the authorization endpoint (a mismatch in the
    /// metadata it must refuse).
    RefusesBeforeAuthorization,
    /// It gets an authorization response but never redeems the code.
    RefusesBeforeTokenRequest,
    /// It cannot connect (the server refuses it); it must stop rather than loop.
    DoesNotConnect,
}

impl ConformantClient {
    /// The outcome for a client judged under `profile`.
    pub fn outcome_for(&self, profile: &str) -> ClientOutcome {
        self.outcome_by_profile
            .get(profile)
            .copied()
            .unwrap_or(self.outcome)
    }
}

impl ClientOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientOutcome::Connects => "connects",
            ClientOutcome::RefusesBeforeAuthorization => "refuses-before-authorization",
            ClientOutcome::RefusesBeforeTokenRequest => "refuses-before-token-request",
            ClientOutcome::DoesNotConnect => "does-not-connect",
        }
    }
}

/// A point in the client's progress, as the mocks see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProgressEvent {
    /// The first authorization code was exchanged for tokens.
    TokenIssued,
    /// The first `tools/call` the MCP server answered with success.
    FirstSuccessfulToolCall,
    /// The first refresh request (whatever its answer).
    RefreshAttempted,
    /// A successful `tools/call` after every trigger has fired.
    ToolCallAfterTriggers,
    /// The first MCP request the server accepted with an access token that a refresh issued:
    /// the refreshed token is in use, so an expiry now asks for a second refresh (with the
    /// rotated refresh token) rather than refusing the token the refresh just returned.
    RefreshedTokenAccepted,
}

impl ProgressEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            ProgressEvent::TokenIssued => "token-issued",
            ProgressEvent::FirstSuccessfulToolCall => "first-successful-tool-call",
            ProgressEvent::RefreshAttempted => "refresh-attempted",
            ProgressEvent::ToolCallAfterTriggers => "tool-call-after-triggers",
            ProgressEvent::RefreshedTokenAccepted => "refreshed-token-accepted",
        }
    }
}

/// `after` this point, do `then`, once.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Trigger {
    pub after: ProgressEvent,
    pub then: Vec<TriggerAction>,
    /// advance-clock: how far.
    pub seconds: Option<u64>,
    /// fail-next-refreshes: how many.
    pub count: Option<u32>,
}

/// A server-side step of a scenario's script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TriggerAction {
    /// Move the mocks' clock forward by `seconds`.
    AdvanceClock,
    /// Move the mocks' clock past the expiry of every access token issued so far.
    ExpireAccessTokens,
    RevokeRefreshTokens,
    SwitchAuthorizationServer,
    /// Answer the next `count` refreshes with 503.
    FailNextRefreshes,
}

impl TriggerAction {
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerAction::AdvanceClock => "advance-clock",
            TriggerAction::ExpireAccessTokens => "expire-access-tokens",
            TriggerAction::RevokeRefreshTokens => "revoke-refresh-tokens",
            TriggerAction::SwitchAuthorizationServer => "switch-authorization-server",
            TriggerAction::FailNextRefreshes => "fail-next-refreshes",
        }
    }
}

/// Refuses a section that cannot do what it says: unknown questions, triggers without the
/// field their action needs, a switch without an alternate authorization server.
pub(super) fn validate(
    client: &ConformantClient,
    alternate_authorization_server: bool,
    text: &str,
) -> Result<(), String> {
    for id in &client.questions {
        if !mcp_oauth_engine::checks::SCENARIO_QUESTIONS
            .iter()
            .any(|q| q.id == id)
        {
            return Err(format!(
                "[conformant-client] field `questions`: unknown question {id:?}; known: {}",
                mcp_oauth_engine::checks::SCENARIO_QUESTIONS
                    .iter()
                    .map(|q| q.id)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    if let Some(name) = client
        .outcome_by_profile
        .keys()
        .find(|name| mcp_oauth_engine::profile::by_name(name).is_none())
    {
        return Err(format!(
            "[conformant-client] field `outcome-by-profile`: unknown profile {name:?}; known: {}",
            mcp_oauth_engine::profile::names().join(", ")
        ));
    }
    // The judge reads expiry on the mocks' clock, which a trigger's jump moves without the
    // client seeing it: a conformant client would be blamed for a token the jump expired.
    let clock_moves = client.triggers.iter().any(|t| {
        t.get_ref().then.iter().any(|a| {
            matches!(
                a,
                TriggerAction::AdvanceClock | TriggerAction::ExpireAccessTokens
            )
        })
    });
    if clock_moves
        && client
            .questions
            .iter()
            .any(|q| q == "client-refresh-before-expiry")
    {
        return Err(
            "[conformant-client] field `questions`: client-refresh-before-expiry cannot be asked with a trigger that moves the clock (advance-clock, expire-access-tokens): the client cannot see the jump, so a token it expired would be blamed on the client; use access-token-lifetime-secs instead".to_owned(),
        );
    }
    if client.access_token_lifetime_secs == Some(0) {
        return Err(
            "[conformant-client] field `access-token-lifetime-secs`: must be at least 1".to_owned(),
        );
    }
    for (index, trigger) in client.triggers.iter().enumerate() {
        let line = super::position::line_of(text, trigger.span().start);
        let at = |field: &str, message: &str| {
            format!("line {line}: conformant-client.triggers[{index}] field `{field}`: {message}")
        };
        let trigger = trigger.get_ref();
        if trigger.then.is_empty() {
            return Err(at("then", "must name at least one action"));
        }
        for action in &trigger.then {
            match action {
                TriggerAction::AdvanceClock if trigger.seconds.is_none() => {
                    return Err(at("seconds", "required by action \"advance-clock\""));
                }
                TriggerAction::FailNextRefreshes if trigger.count.is_none() => {
                    return Err(at("count", "required by action \"fail-next-refreshes\""));
                }
                TriggerAction::SwitchAuthorizationServer if !alternate_authorization_server => {
                    return Err(at(
                        "then",
                        "switch-authorization-server needs [mocks.resource-server] alternate-authorization-server = true",
                    ));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse;

    const MINIMAL: &str = r#"
name = "x"
description = "d"

[[steps]]
action = "connect"
"#;

    #[test]
    fn a_conformant_client_section_parses_with_its_triggers() {
        let text = format!(
            "{MINIMAL}\n[conformant-client]\noutcome = \"connects\"\noutcome-by-profile = {{ pipelines = \"does-not-connect\" }}\nquestions = [\"client-reauthorization-bounded\"]\n\n[[conformant-client.triggers]]\nafter = \"token-issued\"\nthen = [\"expire-access-tokens\", \"revoke-refresh-tokens\"]\n"
        );
        let scenario = parse(&text).unwrap();
        let client = scenario.conformant_client.unwrap();
        assert_eq!(client.outcome_for("pipelines").as_str(), "does-not-connect");
        assert_eq!(client.outcome_for("mcp-2026-07-28").as_str(), "connects");
        assert_eq!(client.triggers.len(), 1);
    }

    #[test]
    fn bad_sections_name_line_and_field() {
        let section =
            |body: &str| format!("{MINIMAL}\n[conformant-client]\noutcome = \"connects\"\n{body}");
        let err = parse(&section("questions = [\"client-pkce-s256\"]\n")).unwrap_err();
        assert!(err.contains("unknown question"), "{err}");
        let err = parse(&section("outcome-by-profile = { nope = \"connects\" }\n")).unwrap_err();
        assert!(err.contains("unknown profile"), "{err}");
        let err = parse(&section(
            "questions = [\"client-refresh-before-expiry\"]\n\n[[conformant-client.triggers]]\nafter = \"token-issued\"\nthen = [\"expire-access-tokens\"]\n",
        ))
        .unwrap_err();
        assert!(err.contains("moves the clock"), "{err}");
        let err = parse(&section(
            "\n[[conformant-client.triggers]]\nafter = \"token-issued\"\nthen = [\"advance-clock\"]\n",
        ))
        .unwrap_err();
        assert!(
            err.contains("line 11") && err.contains("`seconds`"),
            "{err}"
        );
        let err = parse(&section(
            "\n[[conformant-client.triggers]]\nafter = \"token-issued\"\nthen = [\"switch-authorization-server\"]\n",
        ))
        .unwrap_err();
        assert!(err.contains("alternate-authorization-server"), "{err}");
        let err = parse(&section(
            "\n[[conformant-client.triggers]]\nafter = \"sometime\"\nthen = [\"revoke-refresh-tokens\"]\n",
        ))
        .unwrap_err();
        assert!(err.contains("sometime"), "{err}");
        let err = parse(&format!(
            "{MINIMAL}\n[conformant-client]\noutcome = \"maybe\"\n"
        ))
        .unwrap_err();
        assert!(err.contains("maybe"), "{err}");
    }
}

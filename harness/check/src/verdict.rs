//! The compatibility verdict: from the problems the probes found (and, for one profile, what
//! the consent step showed), whether a client of each profile would connect, and the one fix
//! that matters most.
//!
//! Which profile a problem stops is decided by profile data, never by a profile's name: the
//! severity the profile gives the check that shows it, and whether it sends RFC 8707
//! `resource`.

use mcp_oauth_reports::{
    Connects, Diagnosis, ProfileVerdict, Status, TopFix, Verdict, VerdictIssue,
};

use crate::observe::Observed;
use mcp_oauth_engine::checks::CheckDef;
use mcp_oauth_engine::profile::{self, Profile};

/// Whom a problem stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// No client can connect.
    Blocks,
    /// Stops the profiles under which the check is a FAILURE; the others connect.
    BlocksWhenFailure,
    /// Stops the profiles that send no RFC 8707 `resource` (the server requires an audience).
    BlocksWithoutResource,
    /// Stops the profiles that do not fall back to the 2025-03-26 default endpoints (the
    /// server has no OAuth metadata at all).
    BlocksWithoutFallback,
    /// Stops the profiles that read RFC 8414 metadata only (the authorization server publishes
    /// OpenID Connect Discovery metadata alone).
    BlocksWithoutOpenidDiscovery,
    /// Stops the profiles that would not use DPoP at this server (the MCP server accepts only
    /// DPoP-bound tokens; `advertised`: the authorization server lists ES256).
    BlocksWithoutDpop { advertised: bool },
    /// No automatic registration: a Client ID must be brought.
    NeedsClientId,
    /// Clients connect, but meet the problem (listed where the check is a FAILURE).
    Caveat,
}

/// One problem found, with the check that shows it.
#[derive(Debug, Clone)]
pub struct Problem {
    pub check: &'static CheckDef,
    pub code: &'static str,
    pub message: String,
    pub remedy: String,
    pub effect: Effect,
    /// Who must change: the code's party unless the evidence named another.
    pub party: mcp_oauth_engine::diagnosis::Party,
}

impl Problem {
    pub fn new(
        check: &'static CheckDef,
        code: &'static str,
        message: impl Into<String>,
        remedy: impl Into<String>,
        effect: Effect,
    ) -> Self {
        Self {
            check,
            code,
            message: message.into(),
            remedy: remedy.into(),
            effect,
            party: mcp_oauth_engine::diagnosis::party_of(code),
        }
    }

    fn issue(&self) -> VerdictIssue {
        VerdictIssue {
            code: self.code.to_owned(),
            check: self.check.id.to_owned(),
            message: self.message.clone(),
            remedy: self.remedy.clone(),
            party: self.party,
            confirmed_by: None,
            candidates: Vec::new(),
        }
    }
}

/// Where a verdict issue came from, to rank the top fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blocker,
    ClientId,
    Caveat,
}

/// `observed`: every flow that ran, the consent step's first. `not_observed`: why the other
/// profiles were not (no consent, not selected).
pub fn evaluate(
    problems: &[Problem],
    client_id_given: bool,
    observed: &[Observed],
    not_observed: &str,
    selected: &[&'static Profile],
) -> Verdict {
    // Every issue once, in flow order, with the profiles it concerns and how.
    let mut ranked: Vec<(VerdictIssue, Kind, Vec<String>)> = Vec::new();
    let mut note = |issue: VerdictIssue, kind: Kind, profile: &str| match ranked
        .iter_mut()
        .find(|(i, k, _)| *k == kind && i.code == issue.code && i.check == issue.check)
    {
        Some((_, _, profiles)) => profiles.push(profile.to_owned()),
        None => ranked.push((issue, kind, vec![profile.to_owned()])),
    };

    let mut profiles = Vec::new();
    // The plain profiles always; an extension or real-client profile when it was selected or
    // observed.
    let extensions = profile::EXTENSIONS
        .iter()
        .chain(profile::CLIENTS)
        .copied()
        .filter(|p| {
            selected.iter().any(|s| s.name == p.name)
                || observed.iter().any(|o| o.profile == p.name)
        });
    for profile in profile::ALL.iter().copied().chain(extensions) {
        let mut verdict = judge(profile, problems, client_id_given);
        match observed.iter().find(|o| o.profile == profile.name) {
            Some(run) => {
                let predicted = verdict.blockers.len();
                apply_observation(&mut verdict, run);
                if profile.emulates.is_some() && run.failure.is_none() {
                    mark_client_departures(&mut verdict, predicted, profile);
                }
                let others: Vec<&Observed> = observed
                    .iter()
                    .filter(|o| o.profile != run.profile)
                    .collect();
                verdict.departs_at = run.departs_at(&others).map(str::to_owned);
            }
            None => {
                let twin = observed.iter().find(|o| {
                    profile::by_name(o.profile)
                        .is_some_and(|p| crate::selection::same_requests(p, profile))
                });
                verdict.inferred_because = Some(match twin {
                    Some(twin) => {
                        let mut copy = verdict.clone();
                        apply_observation(&mut copy, twin);
                        verdict.connects = copy.connects;
                        verdict.blockers = copy.blockers;
                        verdict.caveats = copy.caveats;
                        format!(
                            "it sends the same requests as {}, whose flow was observed",
                            twin.profile
                        )
                    }
                    None => not_observed.to_owned(),
                });
            }
        }
        verdict.diagnosis = verdict
            .blockers
            .first()
            .or_else(|| verdict.caveats.first())
            .map(VerdictIssue::diagnosis);
        for blocker in &verdict.blockers {
            let kind = if verdict.connects == Connects::WithClientId {
                Kind::ClientId
            } else if is_client_id_issue(problems, blocker) {
                // A Client ID is needed, but something else stops this profile anyway.
                continue;
            } else {
                Kind::Blocker
            };
            note(blocker.clone(), kind, profile.name);
        }
        for caveat in &verdict.caveats {
            note(caveat.clone(), Kind::Caveat, profile.name);
        }
        profiles.push(verdict);
    }

    let top = [Kind::Blocker, Kind::ClientId, Kind::Caveat]
        .into_iter()
        .find_map(|kind| {
            // The most profiles first; on a tie, the earliest in the flow.
            ranked.iter().filter(|(_, k, _)| *k == kind).fold(
                None::<&(VerdictIssue, Kind, Vec<String>)>,
                |best, item| match best {
                    Some(b) if b.2.len() >= item.2.len() => Some(b),
                    _ => Some(item),
                },
            )
        });
    Verdict {
        profiles,
        top_fix: top.map(|(issue, _, profiles)| TopFix {
            code: issue.code.clone(),
            check: issue.check.clone(),
            message: issue.message.clone(),
            remedy: issue.remedy.clone(),
            party: issue.party,
            profiles: profiles.clone(),
        }),
        left_behind: Vec::new(),
    }
}

/// What the profile's own flow showed overrides what the probes predicted.
fn apply_observation(verdict: &mut ProfileVerdict, observed: &Observed) {
    verdict.verified = true;
    match &observed.failure {
        None => {
            // It connected: whatever was predicted to stop it did not.
            verdict.connects = Connects::Yes;
            let blockers = std::mem::take(&mut verdict.blockers);
            verdict.caveats.splice(0..0, blockers);
        }
        // Without a Client ID, failing for want of one confirms the prediction.
        Some((diagnosis, _))
            if verdict.connects == Connects::WithClientId
                && diagnosis.code == mcp_oauth_engine::diagnosis::CLIENT_ID_MISSING => {}
        Some((diagnosis, check)) => {
            verdict.connects = Connects::No;
            // The observed cause comes first: it is this profile's diagnosis. When the probes
            // predicted it, their wording (which names the URL to paste, say) is kept.
            let issue = match verdict
                .blockers
                .iter()
                .position(|b| b.code == diagnosis.code)
            {
                Some(i) => {
                    // The observation's party and evidence win over the prediction's.
                    let mut issue = verdict.blockers.remove(i);
                    issue.party = diagnosis.party;
                    issue.confirmed_by = diagnosis.confirmed_by;
                    issue.candidates = diagnosis.candidates.clone();
                    issue
                }
                None => VerdictIssue::from_diagnosis(diagnosis, check.clone()),
            };
            verdict.blockers.insert(0, issue);
        }
    }
}

/// A real-client profile that connected where the probes predicted a stop got past what the
/// spec says a client must refuse: its real client is non-conformant there. The first
/// `predicted` caveats are those predictions; each says so, with the spec reference, so a
/// vendor reads it as the client's bug (and the server's fix as still due).
fn mark_client_departures(verdict: &mut ProfileVerdict, predicted: usize, profile: &Profile) {
    let client = profile.emulates.unwrap_or(profile.name);
    for caveat in verdict.caveats.iter_mut().take(predicted) {
        let spec = mcp_oauth_engine::checks::by_id(&caveat.check)
            .and_then(|check| check.spec.first())
            .map(|reference| format!(" ({})", reference.id))
            .unwrap_or_default();
        caveat.message = format!(
            "{} {client} connects anyway: it does not refuse this, as the spec requires of a client{spec}, so connecting here is the client's non-conformance; the server's fix still stands.",
            caveat.message
        );
    }
}

fn is_client_id_issue(problems: &[Problem], issue: &VerdictIssue) -> bool {
    problems.iter().any(|p| {
        p.effect == Effect::NeedsClientId && p.code == issue.code && p.check.id == issue.check
    })
}

/// The verdict for one profile from the probes alone.
fn judge(profile: &Profile, problems: &[Problem], client_id_given: bool) -> ProfileVerdict {
    let mut blockers = Vec::new();
    let mut client_id = Vec::new();
    let mut caveats = Vec::new();
    for problem in problems {
        let failure = profile.failure_status(problem.check) == Status::Failure;
        match problem.effect {
            Effect::Blocks => blockers.push(problem.issue()),
            Effect::BlocksWhenFailure if failure => blockers.push(problem.issue()),
            Effect::BlocksWithoutResource if !profile.send_resource => {
                blockers.push(problem.issue());
            }
            Effect::BlocksWithoutFallback if !profile.default_endpoints_fallback => {
                blockers.push(problem.issue());
            }
            Effect::BlocksWithoutOpenidDiscovery if !profile.openid_discovery => {
                blockers.push(problem.issue());
            }
            Effect::BlocksWithoutDpop { advertised }
                if !profile.dpop.applies_when_advertised(advertised) =>
            {
                blockers.push(problem.issue());
            }
            Effect::NeedsClientId if !client_id_given => client_id.push(problem.issue()),
            Effect::Caveat if failure => caveats.push(problem.issue()),
            _ => {}
        }
    }
    let connects = if !blockers.is_empty() {
        Connects::No
    } else if !client_id.is_empty() {
        Connects::WithClientId
    } else {
        Connects::Yes
    };
    blockers.extend(client_id);
    ProfileVerdict {
        profile: profile.name.to_owned(),
        connects,
        verified: false,
        blockers,
        caveats,
        diagnosis: None,
        inferred_because: None,
        departs_at: None,
    }
}

/// The explanation a report gives for one profile: its first blocker, else its first caveat.
pub fn diagnosis_for(verdict: &Verdict, profile: &str) -> Option<Diagnosis> {
    let p = verdict.profiles.iter().find(|p| p.profile == profile)?;
    p.blockers
        .first()
        .or_else(|| p.caveats.first())
        .map(VerdictIssue::diagnosis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_oauth_engine::checks;
    use mcp_oauth_engine::diagnosis;

    fn problem(check: &'static CheckDef, code: &'static str, effect: Effect) -> Problem {
        Problem::new(check, code, code, format!("fix {code}"), effect)
    }

    fn connects(verdict: &Verdict) -> Vec<(&str, Connects)> {
        verdict
            .profiles
            .iter()
            .map(|p| (p.profile.as_str(), p.connects))
            .collect()
    }

    #[test]
    fn nothing_wrong_means_everyone_connects_and_nothing_to_fix() {
        let verdict = evaluate(&[], false, &[], "no consent", &[]);
        assert!(verdict.profiles.iter().all(|p| p.connects == Connects::Yes));
        assert_eq!(verdict.profiles[0].profile, "pipelines");
        assert_eq!(verdict.top_fix, None);
    }

    #[test]
    fn pkce_stops_only_the_profiles_that_refuse_it_and_audience_only_pipelines() {
        let problems = [
            problem(
                &checks::PKCE_S256_ADVERTISED,
                diagnosis::PKCE_NOT_ADVERTISED,
                Effect::BlocksWhenFailure,
            ),
            problem(
                &checks::AUDIENCE_OPTIONAL,
                diagnosis::AUDIENCE_REQUIRED,
                Effect::BlocksWithoutResource,
            ),
        ];
        let verdict = evaluate(&problems, false, &[], "no consent", &[]);
        assert_eq!(
            connects(&verdict),
            [
                ("pipelines", Connects::No),
                ("mcp-2025-06-18", Connects::No),
                ("mcp-2025-11-25", Connects::No),
                ("mcp-2026-07-28", Connects::No),
            ]
        );
        // PKCE stops every spec profile, the audience only Pipelines: PKCE is the fix that
        // matters most.
        let top = verdict.top_fix.unwrap();
        assert_eq!(top.code, "pkce-not-advertised");
        assert_eq!(
            top.profiles,
            ["mcp-2025-06-18", "mcp-2025-11-25", "mcp-2026-07-28"]
        );
    }

    #[test]
    fn a_missing_registration_needs_a_client_id_unless_one_was_given() {
        let problems = [problem(
            &checks::DCR_AVAILABLE,
            diagnosis::CLIENT_ID_MISSING,
            Effect::NeedsClientId,
        )];
        let verdict = evaluate(&problems, false, &[], "no consent", &[]);
        assert!(
            verdict
                .profiles
                .iter()
                .all(|p| p.connects == Connects::WithClientId)
        );
        assert_eq!(verdict.top_fix.unwrap().code, "client-id-missing");
        let verdict = evaluate(&problems, true, &[], "no consent", &[]);
        assert!(verdict.profiles.iter().all(|p| p.connects == Connects::Yes));
        assert_eq!(verdict.top_fix, None);
    }

    #[test]
    fn what_was_observed_overrides_what_was_derived() {
        let problems = [problem(
            &checks::TOKEN_UNKNOWN_REFRESH_TOKEN,
            diagnosis::TRANSIENT_REFRESH_FAILURE,
            Effect::Caveat,
        )];
        let observed = Observed {
            profile: "pipelines",
            failure: Some((
                diagnosis::new(diagnosis::TOKEN_REJECTED, "refused", "accept it"),
                "mcp-initialize".to_owned(),
            )),
            answers: Vec::new(),
            exchanges: Vec::new(),
            left_behind: Vec::new(),
        };
        let verdict = evaluate(&problems, false, &[observed], "not selected", &[]);
        let pipelines = &verdict.profiles[0];
        assert!(pipelines.verified);
        assert_eq!(pipelines.connects, Connects::No);
        assert_eq!(pipelines.blockers[0].code, "token-rejected");
        assert!(verdict.profiles[1..].iter().all(|p| !p.verified));
        assert_eq!(verdict.top_fix.unwrap().code, "token-rejected");
    }
}

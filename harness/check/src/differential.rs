//! Differential diagnosis: when observed profiles disagree, what the evidence says about why.
//!
//! The profiles' flows differ in what they send, never in how they are judged, so a failure
//! in one flow where another connects lies in what the failing one sent differently. But
//! profiles differ in several things at once (RFC 8707 `resource`, DPoP, `offline_access`,
//! `application_type`, ...), so a departure alone names no cause. This module compares the
//! recorded requests of the two flows up to the step where they depart and lists every
//! difference. It names one cause only when one difference remains, or when a controlled
//! experiment confirms it: with automated consent, the failing profile runs once more with
//! exactly that difference changed, and both answers are quoted (`confirmedBy: experiment`).
//! Otherwise the observed diagnosis stands, with the candidates and what was observed of
//! each. An observed diagnosis is never renamed without new evidence.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use mcp_oauth_reports::{ConfirmedBy, Exchange, Party};
use serde_json::Value;

use crate::observe::{self, Observed, StepAnswer};
use mcp_oauth_engine::diagnosis::{self, Diagnosis};
use mcp_oauth_engine::flow::ClientOptions;
use mcp_oauth_engine::http::HttpClient;
use mcp_oauth_engine::profile::{self, Profile};
use mcp_oauth_engine::user_agent::UserAgent;

/// What an experiment can change in a profile, one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Knob {
    /// RFC 8707 `resource` on authorization, token and refresh requests.
    Resource,
    /// DPoP proofs and the DPoP scheme (RFC 9449).
    Dpop,
    /// `offline_access` in the requested scope.
    OfflineAccess,
    /// `application_type` in the registration request.
    ApplicationType,
}

impl Knob {
    fn describe(self) -> &'static str {
        match self {
            Knob::Resource => "RFC 8707 `resource`",
            Knob::Dpop => "DPoP (RFC 9449)",
            Knob::OfflineAccess => "`offline_access` in the scope",
            Knob::ApplicationType => "`application_type` at registration",
        }
    }

    /// `base` with this one property taken from `like`.
    fn apply(self, base: &Profile, like: &Profile) -> Profile {
        let mut changed = base.clone();
        match self {
            Knob::Resource => changed.send_resource = like.send_resource,
            Knob::Dpop => changed.dpop = like.dpop,
            Knob::OfflineAccess => changed.request_offline_access = like.request_offline_access,
            Knob::ApplicationType => changed.send_application_type = like.send_application_type,
        }
        changed
    }
}

/// One way the failing flow's requests differ from the connecting flow's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// What differs: "parameter `resource`", "the Authorization scheme", ...
    pub what: String,
    /// The steps whose requests show it.
    pub steps: Vec<&'static str>,
    /// Its value in the failing flow (`None`: not sent).
    pub failing: Option<String>,
    /// Its value in the connecting flow.
    pub connecting: Option<String>,
    /// What an experiment can change to test it; `None`: nothing the tool can change alone.
    pub knob: Option<Knob>,
}

impl Difference {
    /// "parameter `resource`: pipelines sends none, mcp-2025-11-25 sends \"https://…/mcp\" (authorization, token)".
    pub fn describe(&self, failing: &str, connecting: &str) -> String {
        let value = |v: &Option<String>| match v {
            Some(v) => format!("sends {v:?}"),
            None => "sends none".to_owned(),
        };
        format!(
            "{}: {failing} {}, {connecting} {} ({} request)",
            self.what,
            value(&self.failing),
            value(&self.connecting),
            self.steps.join(", ")
        )
    }
}

/// Values that differ between any two flows by design (fresh per flow or per registration):
/// never a difference between profiles.
const VOLATILE: &[&str] = &[
    "state",
    "code_challenge",
    "code_verifier",
    "code",
    "client_id",
    "client_secret",
    "client_assertion",
    "refresh_token",
    "nonce",
    "jti",
    "iss",
    "client_name",
];

/// Every difference between the requests of `failing` and `connecting`, up to and including
/// the step where they depart, in flow order.
pub fn differences(failing: &[Exchange], connecting: &[Exchange], until: &str) -> Vec<Difference> {
    let steps = observe::COMPARED_STEPS;
    let last = steps
        .iter()
        .position(|s| *s == until)
        .unwrap_or(steps.len() - 1);
    let mut found: Vec<Difference> = Vec::new();
    for step in &steps[..=last] {
        let (Some(ours), Some(theirs)) = (first_of(failing, step), first_of(connecting, step))
        else {
            continue;
        };
        let ours = fields(ours);
        let theirs = fields(theirs);
        let names: std::collections::BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
        for name in names {
            let (a, b) = (ours.get(name), theirs.get(name));
            if a == b {
                continue;
            }
            let what = label(name);
            let knob = knob_of(name, a, b);
            // `offline_access` shows as a `scope` that differs by that one scope only.
            match found.iter_mut().find(|d| d.what == what) {
                Some(existing) => {
                    if !existing.steps.contains(step) {
                        existing.steps.push(step);
                    }
                }
                None => found.push(Difference {
                    what,
                    steps: vec![step],
                    failing: a.cloned(),
                    connecting: b.cloned(),
                    knob,
                }),
            }
        }
    }
    found
}

fn first_of<'a>(exchanges: &'a [Exchange], step: &str) -> Option<&'a Exchange> {
    exchanges.iter().find(|x| x.step == step)
}

/// The parts of a request that can tell profiles apart: query and form parameters, the
/// top-level fields of a JSON body, the Authorization scheme and whether a DPoP proof rides
/// along. Names are prefixed by where they were found.
fn fields(exchange: &Exchange) -> BTreeMap<String, String> {
    let request = &exchange.request;
    let mut fields = BTreeMap::new();
    if let Ok(url) = url::Url::parse(&request.url) {
        for (name, value) in url.query_pairs() {
            if !VOLATILE.contains(&name.as_ref()) {
                fields.insert(format!("param:{name}"), value.into_owned());
            }
        }
    }
    let content_type = header(exchange, "content-type").unwrap_or_default();
    if let Some(body) = &request.body {
        if content_type.starts_with("application/x-www-form-urlencoded") {
            for (name, value) in url::form_urlencoded::parse(body.as_bytes()) {
                if !VOLATILE.contains(&name.as_ref()) {
                    fields.insert(format!("param:{name}"), value.into_owned());
                }
            }
        } else if exchange.step == "registration"
            && let Ok(Value::Object(object)) = serde_json::from_str::<Value>(body)
        {
            for (name, value) in object {
                if !VOLATILE.contains(&name.as_str()) {
                    fields.insert(format!("registration:{name}"), value.to_string());
                }
            }
        }
    }
    if let Some(authorization) = header(exchange, "authorization") {
        let scheme = authorization.split(' ').next().unwrap_or("").to_owned();
        fields.insert("scheme".to_owned(), scheme);
    }
    if header(exchange, "dpop").is_some() {
        fields.insert("dpop".to_owned(), "a proof".to_owned());
    }
    fields
}

fn header(exchange: &Exchange, name: &str) -> Option<String> {
    exchange
        .request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

fn label(field: &str) -> String {
    match field.split_once(':') {
        Some(("param", name)) => format!("parameter `{name}`"),
        Some(("registration", name)) => format!("registration field `{name}`"),
        _ if field == "scheme" => "the Authorization scheme".to_owned(),
        _ if field == "dpop" => "the DPoP header".to_owned(),
        _ => field.to_owned(),
    }
}

fn knob_of(field: &str, a: Option<&String>, b: Option<&String>) -> Option<Knob> {
    match field {
        "param:resource" => Some(Knob::Resource),
        "scheme" | "dpop" => Some(Knob::Dpop),
        "registration:application_type" => Some(Knob::ApplicationType),
        "param:scope" => {
            let without = |s: Option<&String>| {
                s.map(|s| {
                    s.split(' ')
                        .filter(|x| *x != "offline_access" && !x.is_empty())
                        .collect::<Vec<_>>()
                        .join(" ")
                })
            };
            (without(a) == without(b)).then_some(Knob::OfflineAccess)
        }
        _ => None,
    }
}

/// Runs the failing profile again with one property changed; only with automated consent
/// (each run is a consent of its own).
pub struct Experiments<'a> {
    pub client_options: &'a ClientOptions,
    /// What each experiment's client is set up as (a fresh record each).
    pub http: &'a HttpClient,
    pub agent: &'a UserAgent,
}

impl Experiments<'_> {
    async fn run(&self, profile: &'static Profile) -> Option<Observed> {
        let flow = observe::new_flow(self.client_options, profile, self.http);
        // A consent through the loopback callback takes its turn, as every other flow's does.
        let _turn = crate::interactive_turn(self.agent).await;
        Some(observe::observe(flow, self.agent).await)
    }
}

/// The profile `base` with `knob` taken from `like`, made once per combination: profiles are
/// `'static` data, and a check runs at most a handful of experiments.
fn variant(base: &'static Profile, knob: Knob, like: &'static Profile) -> &'static Profile {
    static MADE: Mutex<Vec<(&'static str, Knob, &'static str, &'static Profile)>> =
        Mutex::new(Vec::new());
    let mut made = MADE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((.., p)) = made
        .iter()
        .find(|(b, k, l, _)| *b == base.name && *k == knob && *l == like.name)
    {
        return p;
    }
    let mut changed = knob.apply(base, like);
    let name = format!(
        "{} (experiment: {} as {})",
        base.name,
        knob.describe(),
        like.name
    );
    changed.name = Box::leak(name.into_boxed_str());
    let changed: &'static Profile = Box::leak(Box::new(changed));
    made.push((base.name, knob, like.name, changed));
    changed
}

/// What the differential found for one failing flow.
#[derive(Debug)]
struct Finding {
    diagnosis: Diagnosis,
    /// The experiments' flows, whose exchanges belong in the report.
    experiments: Vec<Observed>,
}

/// Explains each failing flow by the evidence, running experiments when given. Returns the
/// experiments' flows, for the report's evidence.
pub async fn explain(
    runs: &mut [Observed],
    experiments: Option<&Experiments<'_>>,
) -> Vec<Observed> {
    let snapshot: Vec<Observed> = runs.to_vec();
    let mut ran = Vec::new();
    for run in runs.iter_mut() {
        let Some((observed, _)) = &run.failure else {
            continue;
        };
        let found = match counterpart(run, &snapshot) {
            Some(other) => with_counterpart(run, other, observed, experiments).await,
            None => alone(run, observed).map(|diagnosis| Finding {
                diagnosis,
                experiments: Vec::new(),
            }),
        };
        if let (Some(found), Some((d, _))) = (found, run.failure.as_mut()) {
            *d = found.diagnosis;
            ran.extend(found.experiments);
        }
    }
    ran
}

/// The connecting flow to compare with: the one that departs latest (the most answers in
/// common), the first listed on a tie.
fn counterpart<'a>(run: &Observed, runs: &'a [Observed]) -> Option<&'a Observed> {
    let shared = |o: &Observed| {
        run.answers
            .iter()
            .zip(&o.answers)
            .take_while(|(a, b)| a.step == b.step && a.succeeded() == b.succeeded())
            .count()
    };
    runs.iter()
        .filter(|o| o.failure.is_none() && o.profile != run.profile)
        .fold(None::<&Observed>, |best, o| match best {
            Some(b) if shared(b) >= shared(o) => Some(b),
            _ => Some(o),
        })
}

/// The step a failure shows in, as the exchanges name it.
fn failed_step(run: &Observed) -> Option<&StepAnswer> {
    run.answers.iter().find(|a| !a.succeeded())
}

fn place(step: &str) -> &'static str {
    match step {
        "registration" => "the registration endpoint",
        "authorization" => "the authorization endpoint",
        "token" | "refresh" => "the token endpoint",
        _ => "the MCP server",
    }
}

fn answer_at(run: &Observed, step: &str) -> String {
    run.answers
        .iter()
        .find(|a| a.step == step)
        .map_or_else(|| "no answer".to_owned(), StepAnswer::quote)
}

async fn with_counterpart(
    run: &Observed,
    other: &Observed,
    observed: &Diagnosis,
    experiments: Option<&Experiments<'_>>,
) -> Option<Finding> {
    let failed = failed_step(run)?;
    let step = failed.step;
    let found = differences(&run.exchanges, &other.exchanges, step);
    let ours = failed.quote();
    let theirs = answer_at(other, step);
    let observed_at = format!(
        "{} answers {} to {} and {} to {}",
        place(step),
        ours,
        run.profile,
        theirs,
        other.profile
    );
    if found.is_empty() {
        // The same requests, answered differently: the server changed its mind between the
        // flows, or answers at random. Nothing to attribute to a profile.
        return None;
    }
    // With automated consent, each difference an experiment can change is tried alone: the
    // first whose change connects the failing profile is the cause.
    let mut ran = Vec::new();
    if let (Some(experiments), Some(base), Some(like)) = (
        experiments,
        profile::by_name(run.profile),
        profile::by_name(other.profile),
    ) {
        let mut tried = Vec::new();
        for difference in &found {
            let Some(knob) = difference.knob else {
                continue;
            };
            if tried.contains(&knob) || knob.apply(base, like) == *base {
                continue;
            }
            tried.push(knob);
            let Some(result) = experiments.run(variant(base, knob, like)).await else {
                continue;
            };
            let connects = result.failure.is_none();
            let quoted = answer_at(&result, step);
            ran.push(result);
            if connects {
                let evidence = format!(
                    "{observed_at}; with {} alone changed ({}), {} answers {quoted} and the flow connects",
                    difference.what,
                    difference.describe(run.profile, other.profile),
                    place(step)
                );
                return Some(Finding {
                    diagnosis: named(
                        run,
                        other,
                        difference,
                        observed,
                        &evidence,
                        step,
                        Some(ConfirmedBy::Experiment),
                    ),
                    experiments: ran,
                });
            }
        }
    }
    // A lone difference singles the cause out, unless an experiment changed it and the flow
    // still failed.
    if let ([only], true) = (found.as_slice(), ran.is_empty()) {
        return Some(Finding {
            diagnosis: named(run, other, only, observed, &observed_at, step, None),
            experiments: Vec::new(),
        });
    }
    // Several candidates, none confirmed: the observed diagnosis stands, with them.
    let mut diagnosis = observed.clone();
    diagnosis.message = format!(
        "{} The flows of {} and {} depart here: {observed_at}. Their requests differ in {} ways, and {}; each candidate is listed with what was observed.",
        observed.message,
        run.profile,
        other.profile,
        found.len(),
        if ran.is_empty() {
            "no experiment could change one alone (it needs automated consent)".to_owned()
        } else {
            format!(
                "changing each alone ({} experiment(s)) did not connect",
                ran.len()
            )
        }
    );
    diagnosis.candidates = found
        .iter()
        .map(|d| d.describe(run.profile, other.profile))
        .collect();
    Some(Finding {
        diagnosis,
        experiments: ran,
    })
}

/// The diagnosis once `difference` is singled out (the only one, or confirmed).
fn named(
    run: &Observed,
    other: &Observed,
    difference: &Difference,
    observed: &Diagnosis,
    evidence: &str,
    step: &str,
    confirmed_by: Option<ConfirmedBy>,
) -> Diagnosis {
    let how = match confirmed_by {
        Some(ConfirmedBy::Experiment) => {
            "confirmed by running the failing flow again with it alone changed"
        }
        None => "the only difference between the two flows' requests",
    };
    let at_authorization_server = matches!(step, "authorization" | "token" | "refresh");
    let mut diagnosis = match difference.knob {
        Some(Knob::Resource) if difference.failing.is_none() => {
            let mut d = audience_required(
                format!(
                    "This server requires an audience: {evidence}. The cause is {} ({how}).",
                    difference.what
                ),
                other.profile,
            );
            // Refused by the authorization server itself, or by the MCP server for a token
            // without the audience: either half can make the audience optional.
            if at_authorization_server {
                d.party = Party::AuthorizationServer;
            }
            d
        }
        Some(Knob::Resource) if at_authorization_server => resource_rejected(
            format!(
                "This authorization server refuses RFC 8707 resource indicators: {evidence}. The cause is {} ({how}).",
                difference.what
            ),
            other.profile,
        ),
        _ => {
            let mut d = observed.clone();
            d.message = format!(
                "{} The cause is {}: {} ({how}); {evidence}.",
                observed.message,
                difference.what,
                difference.describe(run.profile, other.profile)
            );
            d
        }
    };
    diagnosis.confirmed_by = confirmed_by;
    diagnosis
}

/// Without a flow to compare with, only an explicit `invalid_target` names the cause.
fn alone(run: &Observed, observed: &Diagnosis) -> Option<Diagnosis> {
    let failed = failed_step(run)?;
    let invalid_target = failed.error.as_deref() == Some("invalid_target")
        || (observed.code == diagnosis::AUDIENCE_REQUIRED && failed.step == "authorization");
    if !invalid_target || !matches!(failed.step, "authorization" | "token") {
        return None;
    }
    let sends = profile::by_name(run.profile).is_some_and(|p| p.send_resource);
    Some(if sends {
        resource_rejected(
            format!(
                "The authorization server refused the RFC 8707 `resource` {} sent ({}).",
                run.profile,
                failed.quote()
            ),
            "clients that send none",
        )
    } else {
        diagnosis::with_party(
            audience_required(
                format!(
                    "The authorization server requires an audience ({}), and {} sends no RFC 8707 `resource`.",
                    failed.quote(),
                    run.profile
                ),
                "a spec profile",
            ),
            Party::AuthorizationServer,
        )
    })
}

fn audience_required(message: String, connects: &str) -> Diagnosis {
    diagnosis::new(
        diagnosis::AUDIENCE_REQUIRED,
        message,
        format!(
            "Servers that strictly require an audience cannot be connected by a client that sends none: make the audience optional, defaulting to the MCP server; a client that sends RFC 8707 `resource` ({connects}) connects meanwhile."
        ),
    )
}

fn resource_rejected(message: String, connects: &str) -> Diagnosis {
    diagnosis::new(
        diagnosis::RESOURCE_REJECTED,
        format!("{message} Clients that send no `resource`, such as {connects}, connect."),
        "Accept the RFC 8707 `resource` parameter (the MCP server's canonical URL) on authorization, token and refresh requests, and issue tokens for that audience.",
    )
}

#[cfg(test)]
mod tests;

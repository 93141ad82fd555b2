//! The report data model. Field names are a contract: the JSON form is camelCase and each check
//! carries the fields of the MCP conformance suite's `checks.json`, plus our own.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Version of the report JSON layout. Bumped on any incompatible change.
pub const REPORT_SCHEMA_VERSION: u32 = 1;

/// One run of the client flow against one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub schema_version: u32,
    pub tool: ToolInfo,
    /// The catalog scenario this report is for; absent for live checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario: Option<String>,
    pub target: Target,
    /// The client profile the flow followed (`pipelines`, `mcp-2025-11-25`, ...).
    pub profile: String,
    pub outcome: Outcome,
    /// What the scenario expected and whether it happened; empty for live checks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expectations: Vec<ExpectationResult>,
    pub checks: Vec<Check>,
    /// The HTTP exchanges the client made, in order, with secrets redacted.
    #[serde(default)]
    pub exchanges: Vec<Exchange>,
    pub summary: Summary,
    /// Which client profiles would connect to the target, and the fix that matters most;
    /// written by live checks (`check URL`), absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// The scenario's script, action by action, with how many of the checks and exchanges
    /// (in order) each recorded; written by `run`, absent otherwise (and in older reports).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub script: Vec<ScriptStep>,
    /// Which of the clients a `serve` run told apart this report judges; written by `serve`
    /// and `test-client`, absent otherwise (and in older reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientFlow>,
}

/// One client's flow of a served run: `serve` splits the mocks' request log by client (a
/// Client ID, the tokens issued to it, the connections it came on) and judges each alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientFlow {
    /// 1 for the first client to reach the mocks, 2 for the next, ... (dropped flows counted).
    pub flow: usize,
    /// How many flows the run judged, this one included (dropped flows not).
    pub flows: usize,
    /// The Client IDs this client used (several when it registered again); empty for a client
    /// that never named one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub client_ids: Vec<String>,
    /// How many of the log's requests are this client's.
    pub requests: usize,
    /// Whether the client reached the scenario's end point (the point `--once` waits for).
    pub complete: bool,
    /// How many older flows were dropped, with their requests, to keep the run's memory
    /// bounded; they are in no report.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dropped_flows: usize,
    /// Server-side steps another client's progress fired that act on every client (a clock
    /// jump, a moved authorization server, failing refreshes), as `action (flow N)`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shared_actions: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One action of a scenario's script and what it recorded: the next `checks` checks and the
/// next `exchanges` exchanges of the report, after those of the actions before it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScriptStep {
    /// The action (`connect`, `call-tool`, `advance-clock`, `revoke-refresh-tokens`, ...).
    pub action: String,
    pub checks: usize,
    pub exchanges: usize,
}

impl Report {
    /// True when a scenario's expectations all held (always true when there are none).
    pub fn met_expectations(&self) -> bool {
        self.expectations.iter().all(|e| e.met)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// The MCP server URL the client was given.
    pub url: String,
    pub kind: TargetKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    /// The embedded mock servers, configured by a scenario.
    Mock,
    /// A live server reached over the network.
    Live,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::Mock => "mock",
            TargetKind::Live => "live",
        }
    }
}

/// Connection health as the Pipelines platform shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Health {
    Healthy,
    Unhealthy,
    Unknown,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
            Health::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub health: Health,
    /// The single most useful explanation of a failed run; null when nothing failed.
    pub diagnosis: Option<Diagnosis>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    /// Stable kebab-case code such as `redirect-uri-mismatch`.
    pub code: String,
    pub message: String,
    pub remedy: String,
    /// Who must change for the problem to go away.
    pub party: Party,
    /// How the cause was singled out when a comparison alone could not: `experiment` when the
    /// failing flow ran again with exactly the suspected difference changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<ConfirmedBy>,
    /// When the evidence does not single out one cause: each candidate, with what was observed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<String>,
}

/// Who must change for a problem to go away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Party {
    /// The MCP server (the protected resource).
    McpServer,
    /// The authorization server.
    AuthorizationServer,
    /// The MCP server and its authorization server together: how they are set up with each
    /// other (audiences, scopes, token formats), where either side can make the fix.
    Deployment,
    /// The MCP client (or its configuration: a Client ID, a gallery entry).
    Client,
    /// The network between them.
    Network,
    /// The tool itself: something it did (a probe's side effect, a callback port it could not
    /// open) and no party under test.
    Harness,
}

impl Party {
    /// Who, in words: "the authorization server".
    pub fn who(self) -> &'static str {
        match self {
            Party::McpServer => "the MCP server",
            Party::AuthorizationServer => "the authorization server",
            Party::Deployment => {
                "the deployment (the MCP server and its authorization server together)"
            }
            Party::Client => "the client",
            Party::Network => "the network",
            Party::Harness => "nobody under test: the harness caused it",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Party::McpServer => "mcp-server",
            Party::AuthorizationServer => "authorization-server",
            Party::Deployment => "deployment",
            Party::Client => "client",
            Party::Network => "network",
            Party::Harness => "harness",
        }
    }
}

/// How a cause was confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfirmedBy {
    /// The failing flow ran once more with exactly the suspected difference changed, and the
    /// answer changed with it.
    Experiment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Success,
    Failure,
    Warning,
    Skipped,
    Info,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "SUCCESS",
            Status::Failure => "FAILURE",
            Status::Warning => "WARNING",
            Status::Skipped => "SKIPPED",
            Status::Info => "INFO",
        }
    }
}

/// One judgement: one question about the target, answered with evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// Stable kebab-case id.
    pub id: String,
    pub name: String,
    pub description: String,
    pub status: Status,
    /// RFC 3339 time from the run's clock (simulated for mock runs).
    pub timestamp: String,
    #[serde(default)]
    pub spec_references: Vec<SpecReference>,
    /// Expected versus actual, and whatever else backs the verdict: a JSON object, as in
    /// `checks.json` (the published schema requires one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// What the person who owns the failing side should do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
    /// The flow step that asked the question (`probe`, `discovery`, `token`, ...).
    pub step: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpecReference {
    pub id: String,
    pub url: String,
}

/// A scenario expectation and whether the run met it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpectationResult {
    pub description: String,
    pub expected: String,
    pub actual: String,
    pub met: bool,
}

/// One HTTP request and its response, secrets already redacted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exchange {
    pub step: String,
    pub request: HttpRequestRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<HttpResponseRecord>,
    /// Set when no response arrived (timeout, refused connection, oversize body, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The profile whose flow sent it, when the report holds several flows (a live check's
    /// further profiles and experiments); absent for the report's own flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpRequestRecord {
    pub method: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpResponseRecord {
    pub status: u16,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub total: usize,
    pub success: usize,
    pub failure: usize,
    pub warning: usize,
    pub skipped: usize,
    pub info: usize,
}

impl Summary {
    pub fn of(checks: &[Check]) -> Self {
        let mut summary = Summary {
            total: checks.len(),
            ..Summary::default()
        };
        for check in checks {
            match check.status {
                Status::Success => summary.success += 1,
                Status::Failure => summary.failure += 1,
                Status::Warning => summary.warning += 1,
                Status::Skipped => summary.skipped += 1,
                Status::Info => summary.info += 1,
            }
        }
        summary
    }
}

/// The compatibility verdict of a live check: for each client profile, whether a client that
/// follows it would connect, and what stops it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// One entry per profile, the Pipelines profile first, then the MCP revisions oldest first.
    pub profiles: Vec<ProfileVerdict>,
    /// The one fix that matters most; absent when nothing needs fixing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_fix: Option<TopFix>,
    /// What the check registered on the server and could not delete afterwards.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_behind: Vec<LeftBehind>,
}

/// A client registration the check made and left on the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeftBehind {
    pub client_id: String,
    /// Who registered it: `probes`, or the profile whose flow did.
    pub registered_by: String,
    /// Why it was not deleted.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileVerdict {
    /// The profile name, such as `pipelines` or `mcp-2025-11-25`.
    pub profile: String,
    pub connects: Connects,
    /// True when this run went through consent with this profile, so the answer was observed
    /// rather than derived from the server's metadata and probes.
    pub verified: bool,
    /// Why a client of this profile cannot connect (or needs a Client ID), first cause first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blockers: Vec<VerdictIssue>,
    /// Problems that do not stop a connection but that a client of this profile will meet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caveats: Vec<VerdictIssue>,
    /// This profile's own explanation: what stopped it, else its first caveat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<Diagnosis>,
    /// Why the verdict was inferred rather than observed (set when `verified` is false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inferred_because: Option<String>,
    /// The first step (as exchanges name them) where this profile's flow got another answer
    /// than another observed profile's flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departs_at: Option<String>,
}

/// Whether a client of one profile connects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Connects {
    /// It connects on its own (automatic registration, or the Client ID it was given).
    Yes,
    /// It connects once the user brings a Client ID: the server offers no registration.
    WithClientId,
    /// It cannot connect.
    No,
}

impl Connects {
    pub fn as_str(self) -> &'static str {
        match self {
            Connects::Yes => "yes",
            Connects::WithClientId => "with-client-id",
            Connects::No => "no",
        }
    }
}

/// One reason in a verdict: the check that shows it and the fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerdictIssue {
    /// A diagnosis code, such as `resource-mismatch` or `audience-required`.
    pub code: String,
    /// The id of the check that shows the problem.
    pub check: String,
    pub message: String,
    pub remedy: String,
    /// Who must change.
    pub party: Party,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_by: Option<ConfirmedBy>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<String>,
}

impl VerdictIssue {
    /// The issue as a diagnosis: the same code, words and party.
    pub fn diagnosis(&self) -> Diagnosis {
        Diagnosis {
            code: self.code.clone(),
            message: self.message.clone(),
            remedy: self.remedy.clone(),
            party: self.party,
            confirmed_by: self.confirmed_by,
            candidates: self.candidates.clone(),
        }
    }

    /// A diagnosis as the issue that the check `check` shows.
    pub fn from_diagnosis(diagnosis: &Diagnosis, check: impl Into<String>) -> Self {
        Self {
            code: diagnosis.code.clone(),
            check: check.into(),
            message: diagnosis.message.clone(),
            remedy: diagnosis.remedy.clone(),
            party: diagnosis.party,
            confirmed_by: diagnosis.confirmed_by,
            candidates: diagnosis.candidates.clone(),
        }
    }
}

/// The fix that unblocks the most profiles (or, when none is blocked, the worst caveat).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopFix {
    pub code: String,
    pub check: String,
    pub message: String,
    pub remedy: String,
    /// Who must change.
    pub party: Party,
    /// The profiles the fix concerns.
    pub profiles: Vec<String>,
}

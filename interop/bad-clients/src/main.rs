//! Deliberately non-conformant MCP OAuth clients, one per fault, for proving that the client
//! judge catches each: `bad-client FAULT MCP_URL`.
//!
//! | fault | what the client does wrong |
//! |---|---|
//! | `no-pkce` | sends no code_challenge and no code_verifier |
//! | `changed-redirect-uri` | redeems the code with another redirect_uri than it authorized with |
//! | `no-resource` | sends no RFC 8707 `resource` anywhere |
//! | `refresh-loop` | keeps refreshing after the refresh token was refused (bounded: 20 times) |
//! | `ignores-wrong-iss` | redeems the code although the callback's `iss` is wrong or missing |
//! | `ignores-state` | redeems the code although the callback's `state` is not the one it sent |
//!
//! Everything else it does as a conformant client would (it reads MCP_CONFORMANCE_CONTEXT,
//! registers, authorizes headlessly, calls `echo` twice, refreshes once when refused and
//! authorizes again once when the refresh is refused), so a
//! judge that flags more than the fault has found a judge bug. Exit: 0 all calls succeeded,
//! 1 the flow failed, 2 bad usage.

mod mcp;
mod oauth;

use std::process::ExitCode;

use serde_json::Value;

/// Attempts a refresh loop makes after the first refusal; bounded so a test never hangs.
const LOOP_REFRESHES: usize = 20;

#[derive(Debug, Default, Clone, Copy)]
pub struct Faults {
    pub no_pkce: bool,
    pub changed_redirect_uri: bool,
    pub no_resource: bool,
    pub refresh_loop: bool,
    pub ignore_iss: bool,
    pub ignore_state: bool,
}

impl Faults {
    fn named(name: &str) -> Option<Self> {
        let none = Self::default();
        Some(match name {
            "no-pkce" => Self {
                no_pkce: true,
                ..none
            },
            "changed-redirect-uri" => Self {
                changed_redirect_uri: true,
                ..none
            },
            "no-resource" => Self {
                no_resource: true,
                ..none
            },
            "refresh-loop" => Self {
                refresh_loop: true,
                ..none
            },
            "ignores-wrong-iss" => Self {
                ignore_iss: true,
                ..none
            },
            "ignores-state" => Self {
                ignore_state: true,
                ..none
            },
            // The control: proves the double itself is conformant apart from its fault.
            "conformant" => none,
            _ => return None,
        })
    }
}

const USAGE: &str = "usage: bad-client no-pkce|changed-redirect-uri|no-resource|refresh-loop|ignores-wrong-iss|ignores-state|conformant MCP_URL";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(fault), Some(url)) = (args.first(), args.last()) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let Some(faults) = Faults::named(fault) else {
        eprintln!("unknown fault {fault:?}\n{USAGE}");
        return ExitCode::from(2);
    };
    match run(url, &faults).await {
        Ok(()) => {
            eprintln!("bad-client {fault}: connected and called echo twice");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bad-client {fault}: {e}");
            ExitCode::from(1)
        }
    }
}

fn conformance_context() -> (Option<String>, Option<String>) {
    let value: Value = std::env::var("MCP_CONFORMANCE_CONTEXT")
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    let field = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
    (field("client_id"), field("client_secret"))
}

async fn run(url: &str, faults: &Faults) -> oauth::Result<()> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let challenge = mcp::challenge(&http, url).await?;
    let server = oauth::discover(&http, url, &challenge).await?;
    let client = oauth::register(&http, &server, conformance_context()).await?;
    let grant = oauth::authorize(&http, &server, &client, faults).await?;
    let mut tokens = oauth::redeem(&http, &server, &client, grant, faults).await?;
    for call in 1..=2 {
        if mcp::call_echo(url, &tokens.access, call).await.is_ok() {
            continue;
        }
        // Refused: refresh once and retry, as a conformant client does.
        let refresh_token = tokens
            .refresh
            .clone()
            .ok_or("tools/call was refused and there is no refresh token")?;
        tokens = match oauth::refresh(&http, &server, &client, &refresh_token, faults).await? {
            Ok(fresh) => fresh,
            Err(error) if faults.refresh_loop => {
                refresh_loop(&http, &server, &client, &refresh_token, faults).await?;
                return Err(format!("the refresh token was refused: {error}"));
            }
            // Refused for good: authorize again, once, as a conformant client does.
            Err(_) => {
                let grant = oauth::authorize(&http, &server, &client, faults).await?;
                oauth::redeem(&http, &server, &client, grant, faults).await?
            }
        };
        mcp::call_echo(url, &tokens.access, call).await?;
    }
    Ok(())
}

/// The fault: the refusal is final, but this client asks again and again.
async fn refresh_loop(
    http: &reqwest::Client,
    server: &oauth::Server,
    client: &oauth::Client,
    refresh_token: &str,
    faults: &Faults,
) -> oauth::Result<()> {
    for _ in 0..LOOP_REFRESHES {
        if oauth::refresh(http, server, client, refresh_token, faults)
            .await?
            .is_ok()
        {
            return Ok(());
        }
    }
    Ok(())
}

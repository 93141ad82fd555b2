//! Deliberately non-conformant MCP OAuth clients, one per fault, for proving that the client
//! judge catches each: `bad-client FAULT MCP_URL`.
//!
//! | fault | what the client does wrong |
//! |---|---|
//! | `no-pkce` | sends no code_challenge and no code_verifier |
//! | `plain-pkce` | sends code_challenge_method=plain, the verifier itself as the challenge |
//! | `wrong-verifier` | redeems the code with another code_verifier than the one it sent the challenge of |
//! | `changed-redirect-uri` | redeems the code with another redirect_uri than it authorized with |
//! | `unsafe-redirect-uri` | registers and uses an http redirect URI on a host that is not loopback |
//! | `no-resource` | sends no RFC 8707 `resource` anywhere |
//! | `ignores-challenge-scope` | asks for the metadata's scopes_supported although the 401 challenge names a scope |
//! | `wrong-auth-method` | sends its client secret in the body although registered for client_secret_basic |
//! | `other-scheme` | sends its access token as `Authorization: Token …` instead of `Bearer …` |
//! | `token-in-query` | sends its access token in the MCP URL's query string as well as in the header |
//! | `dcr-no-redirect-uris` | registers without redirect_uris |
//! | `dcr-no-grant-types` | registers without grant_types |
//! | `dcr-no-application-type` | registers without application_type |
//! | `dcr-no-auth-method` | registers without token_endpoint_auth_method |
//! | `refresh-loop` | keeps refreshing after the refresh token was refused (bounded: 20 times) |
//! | `reauthorization-loop` | authorizes again after every refused token (bounded: 20 times) |
//! | `ignores-wrong-iss` | redeems the code although the callback's `iss` is wrong or missing |
//! | `text-plain-ignores-wrong-iss` | the same, with every token request sent as `text/plain` |
//! | `ignores-state` | redeems the code although the callback's `state` is not the one it sent |
//! | `ignores-metadata-mismatch` | goes on to authorization although the metadata's resource or issuer does not match |
//! | `expired-token` | idles until its access token expired, then presents it instead of refreshing first |
//! | `keeps-old-registration` | sends the Client ID of the old authorization server to the new one |
//! | `never-exits` | does everything right, then never exits |
//!
//! Two names are controls with no fault: `conformant`, and `idles-past-expiry` (idles as
//! `expired-token` does, and refreshes before its next call).
//!
//! Everything else it does as a conformant client would (it reads MCP_CONFORMANCE_CONTEXT,
//! checks the metadata's resource and issuer, registers, authorizes headlessly, calls `echo`
//! twice; when a token is refused it discovers again and registers at a new authorization
//! server, else refreshes once, and authorizes again once when the refresh is refused), so a
//! judge that flags more than the fault has found a judge bug. Exit: 0 all calls succeeded,
//! 1 the flow failed, 2 bad usage.

mod fault;
mod flow;
mod mcp;
mod oauth;

use std::process::ExitCode;

use fault::Fault;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(name), Some(url)) = (args.first(), args.last()) else {
        eprintln!("{}", fault::usage());
        return ExitCode::from(2);
    };
    let Some(fault) = Fault::named(name) else {
        eprintln!("unknown fault {name:?}\n{}", fault::usage());
        return ExitCode::from(2);
    };
    match flow::run(url, fault).await {
        Ok(()) => {
            eprintln!("bad-client {name}: connected and called echo twice");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bad-client {name}: {e}");
            ExitCode::from(1)
        }
    }
}

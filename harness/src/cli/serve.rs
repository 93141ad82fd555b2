//! `serve SCENARIO`: the mocks of one scenario, on fixed or free ports, for someone else's client.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use mcp_oauth_mocks::MockServers;
use mcp_oauth_mocks::clock::SystemClock;

use super::{scenarios_dir, usage_error};
use crate::scenario;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The scenario whose mock configuration to serve.
    pub scenario: String,
    /// Port for the MCP resource server (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub mcp_port: u16,
    /// Port for the authorization server (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub auth_port: u16,
    #[arg(long, value_name = "DIR")]
    pub scenarios_dir: Option<PathBuf>,
}

pub async fn serve(args: ServeArgs) -> ExitCode {
    let dir = scenarios_dir(args.scenarios_dir.as_deref());
    let path = dir.join(format!("{}.toml", args.scenario));
    let scenario = match scenario::load_file(&path) {
        Ok(scenario) => scenario,
        Err(e) => {
            return usage_error(format!(
                "{e}\n(`mcp-oauth-harness scenarios` lists the scenario names)"
            ));
        }
    };
    let mocks = match MockServers::start_on(
        scenario.mocks.clone(),
        Arc::new(SystemClock),
        &format!("127.0.0.1:{}", args.auth_port),
        &format!("127.0.0.1:{}", args.mcp_port),
    )
    .await
    {
        Ok(mocks) => mocks,
        Err(e) => return usage_error(e),
    };
    println!(
        "scenario:             {} ({})",
        scenario.name, scenario.description
    );
    println!("MCP server URL:       {}", mocks.mcp_url());
    println!("authorization server: {}", mocks.issuer());
    for client in &scenario.mocks.authorization_server.clients {
        println!(
            "pre-registered client: {} (redirect URIs: {})",
            client.client_id,
            client.redirect_uris.join(", ")
        );
    }
    println!("serving until Ctrl-C");
    if let Err(e) = tokio::signal::ctrl_c().await {
        return usage_error(format!("cannot wait for Ctrl-C: {e}"));
    }
    mocks.stop();
    println!("\nrequests received:");
    for request in mocks.log().snapshot() {
        println!(
            "  {:?} {} {} -> {}{}",
            request.server,
            request.method,
            request.path,
            request.status,
            request
                .grant_type
                .map(|g| format!(" (grant_type={g})"))
                .unwrap_or_default()
        );
    }
    ExitCode::SUCCESS
}

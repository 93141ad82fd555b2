use std::process::ExitCode;

use mcp_oauth_harness::cli;

/// A scenario run allocates on every request at both ends; mimalloc's thread-local heaps cost
/// less per allocation than the system allocator (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MCP_OAUTH_HARNESS_LOG").unwrap_or_else(
                |_| // rmcp logs transport failures the flow already reports as checks.
                tracing_subscriber::EnvFilter::new("warn,rmcp=off"),
            ),
        )
        .with_writer(std::io::stderr)
        .init();
    // Parsed before any runtime exists: `--help` and `--version` start none.
    let cli = cli::parse();
    let mut builder = if cli.wants_one_thread() {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    match builder.enable_all().build() {
        Ok(runtime) => runtime.block_on(cli::main(cli)),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::from(2)
        }
    }
}

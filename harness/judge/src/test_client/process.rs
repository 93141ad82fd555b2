//! The client under test as a child process: started in its own process group with the MCP URL
//! as its last argument and the conformance runner's environment, its output captured up to a
//! bound, and the whole group killed when it overruns its time or leaves children behind.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::Command;

/// How much of each of stdout and stderr is kept; the rest is read and dropped, so that a
/// chatty client neither blocks on a full pipe nor fills memory.
pub const OUTPUT_LIMIT: usize = 16 * 1024;
/// How long the output readers may take after the client is gone (a grandchild that escaped
/// the process group can hold a pipe open).
const DRAIN_LIMIT: Duration = Duration::from_secs(1);

/// A command line, split as a POSIX shell would, to which the MCP URL is appended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCommand {
    pub program: String,
    pub args: Vec<String>,
}

impl ClientCommand {
    pub fn parse(command: &str) -> Result<Self, String> {
        let words = shlex::split(command)
            .ok_or_else(|| format!("cannot split --command {command:?}: unbalanced quotes"))?;
        let mut words = words.into_iter();
        let program = words
            .next()
            .filter(|p| !p.is_empty())
            .ok_or("--command is empty")?;
        Ok(Self {
            program,
            args: words.collect(),
        })
    }
}

/// How the client process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessOutcome {
    /// The exit code; `None` when a signal ended it (our kill on timeout included).
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub elapsed: Duration,
    pub stdout: Captured,
    pub stderr: Captured,
}

/// The first `OUTPUT_LIMIT` bytes of a stream, and how many more there were.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    pub text: String,
    pub dropped_bytes: u64,
}

/// Runs `command URL` with `env` added to the environment, for at most `timeout`.
pub async fn run(
    command: &ClientCommand,
    url: &str,
    env: &[(&str, String)],
    timeout: Duration,
) -> Result<ProcessOutcome, String> {
    let started = Instant::now();
    let mut child = Command::new(&command.program)
        .args(&command.args)
        .arg(url)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own group, so that a timeout ends the client's children too.
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", command.program))?;
    let group = child.id();
    let stdout = child.stdout.take().map(|s| tokio::spawn(capture(s)));
    let stderr = child.stderr.take().map(|s| tokio::spawn(capture(s)));

    let (exit_code, timed_out) = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => (status.code(), false),
        Ok(Err(e)) => return Err(format!("cannot wait for {:?}: {e}", command.program)),
        Err(_) => (None, true),
    };
    // Whether it finished or not, nothing of the client may outlive its scenario.
    if let Some(group) = group {
        kill_group(group);
    }
    if timed_out {
        let _ = child.wait().await;
    }
    let elapsed = started.elapsed();
    Ok(ProcessOutcome {
        exit_code,
        timed_out,
        elapsed,
        stdout: collect(stdout).await,
        stderr: collect(stderr).await,
    })
}

fn kill_group(group: u32) {
    let Ok(group) = i32::try_from(group) else {
        return;
    };
    // SAFETY: kill(2) takes plain integers and touches no memory of ours; a negative pid
    // names the process group the child leads (created by `process_group(0)` above).
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}

async fn capture(mut stream: impl AsyncRead + Unpin) -> Captured {
    let mut kept = Vec::new();
    let mut dropped = 0u64;
    let mut buffer = [0u8; 4096];
    loop {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = OUTPUT_LIMIT.saturating_sub(kept.len()).min(n);
                kept.extend_from_slice(&buffer[..room]);
                dropped += (n - room) as u64;
            }
        }
    }
    Captured {
        text: String::from_utf8_lossy(&kept).into_owned(),
        dropped_bytes: dropped,
    }
}

async fn collect(reader: Option<tokio::task::JoinHandle<Captured>>) -> Captured {
    let Some(mut reader) = reader else {
        return Captured::default();
    };
    match tokio::time::timeout(DRAIN_LIMIT, &mut reader).await {
        Ok(Ok(captured)) => captured,
        _ => {
            reader.abort();
            Captured::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> ClientCommand {
        ClientCommand {
            program: "sh".into(),
            args: vec!["-c".into(), script.into(), "client".into()],
        }
    }

    #[test]
    fn commands_split_like_a_shell() {
        let command = ClientCommand::parse("node 'my client.js' --flag=\"a b\"").unwrap();
        assert_eq!(command.program, "node");
        assert_eq!(command.args, ["my client.js", "--flag=a b"]);
        assert!(ClientCommand::parse("").is_err());
        assert!(ClientCommand::parse("node 'unbalanced").is_err());
    }

    #[tokio::test]
    async fn the_url_comes_last_and_the_environment_is_passed() {
        let outcome = run(
            &sh(r#"echo "$MCP_CONFORMANCE_SCENARIO $1"; exit 3"#),
            "http://127.0.0.1:1/mcp",
            &[("MCP_CONFORMANCE_SCENARIO", "dcr-happy-path".into())],
            Duration::from_secs(20),
        )
        .await
        .unwrap();
        assert_eq!(outcome.exit_code, Some(3));
        assert!(!outcome.timed_out);
        assert_eq!(
            outcome.stdout.text,
            "dcr-happy-path http://127.0.0.1:1/mcp\n"
        );
    }

    #[tokio::test]
    async fn a_client_that_overruns_is_killed_with_its_children() {
        // The child starts a grandchild that would keep the pipe open for a minute.
        let outcome = run(
            &sh("sleep 60 & sleep 60"),
            "http://127.0.0.1:1/mcp",
            &[],
            Duration::from_millis(200),
        )
        .await
        .unwrap();
        assert!(outcome.timed_out);
        assert_eq!(outcome.exit_code, None);
        assert!(
            outcome.elapsed < Duration::from_secs(10),
            "{:?}",
            outcome.elapsed
        );
    }

    #[tokio::test]
    async fn output_is_kept_up_to_the_limit() {
        let outcome = run(
            &sh("head -c 100000 /dev/zero | tr '\\0' x"),
            "u",
            &[],
            Duration::from_secs(20),
        )
        .await
        .unwrap();
        assert_eq!(outcome.stdout.text.len(), OUTPUT_LIMIT);
        assert_eq!(
            outcome.stdout.dropped_bytes,
            (100_000 - OUTPUT_LIMIT) as u64
        );
    }

    #[tokio::test]
    async fn a_missing_program_is_an_error_not_a_panic() {
        let command = ClientCommand::parse("/nonexistent/client").unwrap();
        let err = run(&command, "u", &[], Duration::from_secs(1))
            .await
            .unwrap_err();
        assert!(err.contains("cannot start"), "{err}");
    }
}

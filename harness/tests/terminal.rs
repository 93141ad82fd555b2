//! The binary on a real terminal: a pseudo-terminal (openpty) stands in for the user's, so
//! what is drawn only for a terminal (the progress bar on stderr, colour on stdout) is seen
//! as a person would see it, and shown to be absent where it must be.

use std::fs::File;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::sync::Arc;

use mcp_oauth_mocks::clock::SystemClock;
use mcp_oauth_mocks::{MockConfig, MockServers};

const BIN: &str = env!("CARGO_BIN_EXE_mcp-oauth-harness");

/// A pseudo-terminal: the side the program writes to, and a reader of what it wrote.
struct Pty {
    terminal: OwnedFd,
    screen: File,
}

fn pty() -> Pty {
    let (mut controller, mut terminal) = (-1, -1);
    // A window as a person's terminal has one (a pseudo-terminal's default is 0 by 0).
    let window = libc::winsize {
        ws_row: 40,
        ws_col: 120,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two new descriptors into the two integers and reads the window
    // size; the null arguments ask for no name and default terminal settings.
    let rc = unsafe {
        libc::openpty(
            &mut controller,
            &mut terminal,
            std::ptr::null_mut(),
            std::ptr::null(),
            &window,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened by openpty and are owned by nobody else.
    unsafe {
        Pty {
            terminal: OwnedFd::from_raw_fd(terminal),
            screen: File::from_raw_fd(controller),
        }
    }
}

/// Reads everything written to the terminal once every writer has closed it (Linux then
/// answers EIO, which ends the read).
fn drain(mut screen: File) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut chunk = [0u8; 4096];
        while let Ok(n) = screen.read(&mut chunk) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8_lossy(&seen).into_owned()
    })
}

struct Seen {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary with stderr on a terminal, and stdout on a terminal too when
/// `stdout_terminal` (otherwise a pipe); `env` is added to a plain environment.
fn on_terminal(args: &[&str], stdout_terminal: bool, env: &[(&str, &str)]) -> Seen {
    let err = pty();
    let mut command = Command::new(BIN);
    command
        .args(args)
        .stdin(Stdio::null())
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .envs(env.iter().copied())
        .stderr(Stdio::from(err.terminal));
    let out = stdout_terminal.then(pty);
    let out_reader = match out {
        Some(out) => {
            command.stdout(Stdio::from(out.terminal));
            Some(drain(out.screen))
        }
        None => {
            command.stdout(Stdio::piped());
            None
        }
    };
    let err_reader = drain(err.screen);
    let mut child = command.spawn().expect("the binary starts");
    // The command (and with it this process's copies of the terminal sides) is dropped here,
    // so the readers end when the child does.
    drop(command);
    let mut stdout = String::new();
    if let Some(mut pipe) = child.stdout.take() {
        pipe.read_to_string(&mut stdout).expect("stdout reads");
    }
    let status = child.wait().expect("the binary ends");
    if let Some(reader) = out_reader {
        stdout = reader.join().expect("stdout reader");
    }
    Seen {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr: err_reader.join().expect("stderr reader"),
    }
}

async fn vendor() -> MockServers {
    MockServers::start(MockConfig::default(), Arc::new(SystemClock))
        .await
        .expect("mock servers start")
}

/// The frames of a bar: each redraw returns to the line's start and erases it.
fn frames(stderr: &str) -> Vec<&str> {
    stderr
        .split('\r')
        .map(|frame| frame.trim_start_matches("\x1b[2K").trim())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_draws_a_bar_that_advances_per_profile_and_clears_itself() {
    let mocks = vendor().await;
    let url = mocks.mcp_url();
    let seen = tokio::task::spawn_blocking(move || {
        on_terminal(
            &["check", &url, "--headless", "--redirect-port", "0"],
            false,
            &[],
        )
    })
    .await
    .unwrap();
    assert_eq!(seen.code, 0, "{}", seen.stderr);
    let frames = frames(&seen.stderr);
    for (position, label) in [
        ("0/5", "probing"),
        ("1/5", "probes done"),
        ("2/5", "profile 1/4 done (pipelines)"),
        ("3/5", "profile 2/4 done (mcp-2025-06-18)"),
        ("4/5", "profile 3/4 done (mcp-2025-11-25)"),
        ("5/5", "profile 4/4 done (mcp-2026-07-28)"),
    ] {
        assert!(
            frames
                .iter()
                .any(|f| f.starts_with("check [") && f.contains(position) && f.contains(label)),
            "no frame at {position} saying {label:?}: {frames:#?}"
        );
    }
    // The bar erases its line when done, and the report itself goes to stdout only.
    assert!(seen.stderr.ends_with("\x1b[2K"), "{:?}", seen.stderr);
    assert!(!seen.stdout.contains("check ["), "{}", seen.stdout);
    assert!(seen.stdout.contains("pipelines"), "{}", seen.stdout);
    // stdout is a pipe here: no colour in it.
    assert!(!seen.stdout.contains('\x1b'), "{:?}", seen.stdout);
}

#[test]
fn the_catalog_draws_a_bar_unless_quiet() {
    let seen = on_terminal(&["run", "dcr-happy-path", "revoked-refresh"], false, &[]);
    assert_eq!(seen.code, 0, "{}", seen.stderr);
    assert!(
        frames(&seen.stderr)
            .iter()
            .any(|f| f.starts_with("scenarios [") && f.contains("/")),
        "{:?}",
        seen.stderr
    );

    let quiet = on_terminal(&["run", "dcr-happy-path", "-q"], false, &[]);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert!(!quiet.stderr.contains("scenarios ["), "{:?}", quiet.stderr);
}

#[test]
fn colour_on_a_terminal_and_never_with_no_color() {
    let coloured = on_terminal(&["run", "dcr-happy-path"], true, &[]);
    assert_eq!(coloured.code, 0, "{}", coloured.stdout);
    assert!(coloured.stdout.contains("\x1b["), "{:?}", coloured.stdout);
    assert!(
        coloured.stdout.contains("dcr-happy-path"),
        "{:?}",
        coloured.stdout
    );

    let plain = on_terminal(&["run", "dcr-happy-path"], true, &[("NO_COLOR", "1")]);
    assert_eq!(plain.code, 0, "{}", plain.stdout);
    assert!(
        plain.stdout.contains("dcr-happy-path"),
        "{:?}",
        plain.stdout
    );
    assert!(!plain.stdout.contains("\x1b["), "{:?}", plain.stdout);
}

#[test]
fn test_client_draws_a_bar_over_its_scenarios() {
    let command = format!("{BIN} connect");
    let seen = on_terminal(
        &[
            "test-client",
            "--command",
            &command,
            "dcr-happy-path",
            "byo-client",
        ],
        false,
        &[],
    );
    assert_eq!(seen.code, 0, "{}\n{}", seen.stdout, seen.stderr);
    let frames = frames(&seen.stderr);
    assert!(
        frames
            .iter()
            .any(|f| f.starts_with("test-client [") && f.contains("2/2")),
        "{frames:#?}"
    );
    assert!(
        seen.stdout.contains("scenarios: 2 passed, 0 failed"),
        "{}",
        seen.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_targets_share_one_bar_whose_labels_name_the_target() {
    let (first, second) = (vendor().await, vendor().await);
    let targets =
        std::env::temp_dir().join(format!("terminal-targets-{}.yaml", std::process::id()));
    std::fs::write(
        &targets,
        format!(
            "targets:\n  - name: first\n    url: {}\n  - name: second\n    url: {}\n",
            first.mcp_url(),
            second.mcp_url()
        ),
    )
    .unwrap();
    let file = targets.to_str().unwrap().to_owned();
    let seen = tokio::task::spawn_blocking(move || {
        on_terminal(
            &[
                "check",
                "--targets",
                &file,
                "--headless",
                "--redirect-port",
                "0",
            ],
            false,
            &[],
        )
    })
    .await
    .unwrap();
    std::fs::remove_file(&targets).ok();
    assert_eq!(seen.code, 0, "{}\n{}", seen.stdout, seen.stderr);
    // One bar for both targets, over the probes and four profile flows of each; its labels
    // say which target each step belongs to.
    let frames = frames(&seen.stderr);
    for target in ["first", "second"] {
        assert!(
            frames.iter().any(|f| f.starts_with("targets [")
                && f.contains("/10")
                && f.contains(&format!("{target}: profile 1/4 done (pipelines)"))),
            "{frames:#?}"
        );
    }
    assert!(seen.stderr.ends_with("\x1b[2K"), "{:?}", seen.stderr);
}

//! `check URL --headless` against a local mock vendor (`serve token-requires-resource`): the
//! person-less probes plus one consent flow per observed profile (all four).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::process::{self, Measured};
use crate::{Target, binary, figure};

const SCENARIO: &str = "token-requires-resource";
const ROUNDS: usize = 5;

pub fn run() {
    println!("check: against `serve {SCENARIO}`, four observed profiles, median of {ROUNDS}");
    let mut serve = Command::new(binary())
        .args(["serve", SCENARIO, "-q"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let stdout = serve.stdout.take().expect("serve's stdout");
    let url = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix("MCP server URL:")
                .map(|url| url.trim().to_owned())
        });
    let Some(url) = url else {
        let _ = serve.kill();
        let _ = serve.wait();
        println!("  serve printed no MCP server URL; skipped");
        return;
    };
    let args = ["check", &url, "--headless", "--profiles", "all", "-q"];
    let measured: Vec<Measured> = (0..ROUNDS)
        .map(|_| process::measure(binary(), &args).expect("check starts"))
        .collect();
    let _ = serve.kill();
    let _ = serve.wait();
    let codes: Vec<i32> = measured.iter().map(|m| m.exit_code).collect();
    let median = process::median(measured);
    println!("  exit codes {codes:?} (1: the vendor has failed checks, as this scenario's does)");
    figure(
        "wall, process start included",
        median.wall.as_secs_f64(),
        "s",
        Target::Max(1.0),
        &format!(
            "{bin} serve {SCENARIO} & time {bin} check URL --headless --profiles all",
            bin = binary()
        ),
    );
    figure("CPU", median.cpu.as_secs_f64(), "s", Target::None, "");
    figure("peak RSS", median.max_rss_mib, "MiB", Target::None, "");
}

//! `test-client` over the whole catalog with the harness's own `connect` as the client under
//! test: one served scenario and one client process per scenario that judges a client.

use crate::process;
use crate::{Target, binary, figure};

pub fn run() {
    let client = format!("{} connect", binary());
    let args = ["test-client", "--command", &client, "-q"];
    println!("test-client: the catalog with `connect` as the client, default -j");
    let measured = process::measure(binary(), &args).expect("test-client starts");
    println!(
        "  exit code {} (0: every scenario judged as its expectations say)",
        measured.exit_code
    );
    figure(
        "wall, process start included",
        measured.wall.as_secs_f64(),
        "s",
        Target::Max(10.0),
        &format!("time {} test-client --command '{client}'", binary()),
    );
    figure(
        "CPU, client processes included",
        measured.cpu.as_secs_f64(),
        "s",
        Target::None,
        "",
    );
}

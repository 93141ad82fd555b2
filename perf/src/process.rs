//! One child process timed from spawn to exit, with its own resource usage (wait4(2)).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a finished child cost.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    pub wall: Duration,
    /// User plus system CPU time of the child.
    pub cpu: Duration,
    /// Peak resident set size, in MiB.
    pub max_rss_mib: f64,
    pub exit_code: i32,
}

/// Runs `program args` with stdout and stderr discarded and measures it.
pub fn measure(program: &str, args: &[&str]) -> Result<Measured, String> {
    measure_with(Command::new(program).args(args))
}

pub fn measure_with(command: &mut Command) -> Result<Measured, String> {
    let start = Instant::now();
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {command:?}: {e}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of the plain C struct wait4 fills in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own unwaited child; status and usage are valid for writes.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = start.elapsed();
    if waited != pid {
        return Err(format!(
            "wait4 on {command:?} failed: {}",
            std::io::Error::last_os_error()
        ));
    }
    let exit_code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let cpu = timeval(usage.ru_utime) + timeval(usage.ru_stime);
    Ok(Measured {
        wall,
        cpu,
        max_rss_mib: usage.ru_maxrss as f64 / 1024.0,
        exit_code,
    })
}

fn timeval(t: libc::timeval) -> Duration {
    Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
}

/// The median of the measurements by wall time.
pub fn median(mut runs: Vec<Measured>) -> Measured {
    runs.sort_by_key(|m| m.wall);
    runs[runs.len() / 2]
}

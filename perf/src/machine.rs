//! How busy the machine was with other work while a figure was measured: the CPU time every
//! process used (from /proc/stat), less what the measured processes used themselves, and the
//! time the hypervisor gave this machine's CPUs to another (steal). On a shared 2-core VM a
//! wall-time figure moves by a fifth with its neighbours; this says when that happened.

use std::time::Duration;

/// The machine's CPU counters at one moment, in clock ticks, summed over every CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTimes {
    /// Ticks spent running anything (user, nice, system, irq, softirq).
    busy: u64,
    /// Ticks the hypervisor ran another guest on this machine's CPUs.
    steal: u64,
}

impl CpuTimes {
    /// The counters now; `None` where /proc/stat cannot be read (not Linux).
    pub fn now() -> Option<Self> {
        parse(&std::fs::read_to_string("/proc/stat").ok()?)
    }
}

/// What else ran between two readings, as shares of the machine's whole capacity over `wall`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OtherWork {
    /// CPU used by every other process (and the kernel's own threads), 0..=1.
    pub others: f64,
    /// CPU the hypervisor took for other guests, 0..=1.
    pub stolen: f64,
}

/// The other work between `before` and `after`, given the CPU time the measured processes used
/// (`own`), the wall time between the readings and the number of CPUs.
pub fn other_work(
    before: CpuTimes,
    after: CpuTimes,
    own: Duration,
    wall: Duration,
    cpus: usize,
) -> OtherWork {
    let capacity = wall.as_secs_f64() * cpus as f64;
    if capacity <= 0.0 {
        return OtherWork {
            others: 0.0,
            stolen: 0.0,
        };
    }
    let seconds = |ticks: u64| ticks as f64 / ticks_per_second();
    let busy = seconds(after.busy.saturating_sub(before.busy));
    let stolen = seconds(after.steal.saturating_sub(before.steal));
    OtherWork {
        others: ((busy - own.as_secs_f64()) / capacity).clamp(0.0, 1.0),
        stolen: (stolen / capacity).clamp(0.0, 1.0),
    }
}

/// The kernel's USER_HZ: /proc/stat counts in these.
fn ticks_per_second() -> f64 {
    // SAFETY: sysconf reads a configuration value and has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { hz as f64 } else { 100.0 }
}

/// The aggregate `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal ...
fn parse(stat: &str) -> Option<CpuTimes> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let field = |i: usize| fields.get(i).copied().unwrap_or(0);
    let [user, nice, system, irq, softirq, steal] = [0, 1, 2, 5, 6, 7].map(field);
    Some(CpuTimes {
        busy: user + nice + system + irq + softirq,
        steal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_aggregate_line_is_read_and_idle_time_is_not_busy() {
        let stat = "cpu  100 5 50 9000 7 3 2 40 0 0\ncpu0 50 2 25 4500 3 1 1 20 0 0\nintr 1 2\n";
        assert_eq!(
            parse(stat),
            Some(CpuTimes {
                busy: 100 + 5 + 50 + 3 + 2,
                steal: 40
            })
        );
        assert_eq!(parse("intr 1 2\n"), None);
        assert_eq!(parse("cpu  1 x 3\n"), None);
    }

    #[test]
    fn the_measured_processes_own_time_is_not_counted_as_other_work() {
        let hz = ticks_per_second() as u64;
        let before = CpuTimes { busy: 0, steal: 0 };
        // Over 1 s on 2 CPUs: 1.5 s busy, of which 1 s was ours; 0.2 s stolen.
        let after = CpuTimes {
            busy: hz * 3 / 2,
            steal: hz / 5,
        };
        let work = other_work(
            before,
            after,
            Duration::from_secs(1),
            Duration::from_secs(1),
            2,
        );
        assert!((work.others - 0.25).abs() < 1e-9, "{work:?}");
        assert!((work.stolen - 0.10).abs() < 1e-9, "{work:?}");
        // Ours alone: nothing else ran.
        let quiet = other_work(
            before,
            CpuTimes { busy: hz, steal: 0 },
            Duration::from_secs(1),
            Duration::from_secs(1),
            2,
        );
        assert_eq!(quiet.others, 0.0);
    }
}

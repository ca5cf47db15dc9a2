//! Where the machine's CPU time went during a load run: the server, the private
//! PostgreSQL (its postmaster and backends), and everything else (oha, and any other
//! work on the machine, which is what makes a p99 noisy). Read from `/proc`.

use std::fs;

/// CPU time so far, in clock ticks.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    total: u64,
    busy: u64,
    server: u64,
    postgres: u64,
}

/// Shares of the machine's whole CPU capacity (all cores = 1.0) between two samples.
#[derive(Debug, Clone, Copy, Default)]
pub struct Shares {
    pub busy: f64,
    pub server: f64,
    pub postgres: f64,
}

impl Shares {
    /// oha and whatever else ran on the machine.
    pub fn other(&self) -> f64 {
        (self.busy - self.server - self.postgres).max(0.0)
    }
}

/// The processes to tell apart.
pub struct Watched {
    pub server: u32,
    pub postmaster: Option<u32>,
}

impl Watched {
    /// The server's process and the PostgreSQL cluster listening on `port`.
    pub fn new(server: u32, postgres_port: Option<u16>) -> Self {
        Watched {
            server,
            postmaster: postgres_port.and_then(postmaster),
        }
    }

    pub fn sample(&self) -> Sample {
        let (busy, total) = machine().unwrap_or_default();
        let postgres = self.postmaster.map_or(0, |pm| {
            ticks(pm) + children(pm).into_iter().map(ticks).sum::<u64>()
        });
        Sample {
            total,
            busy,
            server: ticks(self.server),
            postgres,
        }
    }
}

pub fn shares(before: Sample, after: Sample) -> Shares {
    let total = after.total.saturating_sub(before.total).max(1) as f64;
    let share = |a: u64, b: u64| a.saturating_sub(b) as f64 / total;
    // process times are per process, the machine's total is summed over every core
    Shares {
        busy: share(after.busy, before.busy),
        server: share(after.server, before.server),
        postgres: share(after.postgres, before.postgres),
    }
}

/// (busy, total) ticks of all cores, from the first line of `/proc/stat`.
fn machine() -> Option<(u64, u64)> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = fields.iter().sum();
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

/// The fields of `/proc/PID/stat` after the command name (which may hold spaces).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

/// User and system ticks of one process (0 once it is gone).
fn ticks(pid: u32) -> u64 {
    stat_fields(pid).map_or(0, |f| {
        // after the name: state, ppid, … utime is field 14 of the whole line, stime 15
        let get = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        get(11) + get(12)
    })
}

fn children(parent: u32) -> Vec<u32> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&pid| {
            stat_fields(pid).and_then(|f| f.get(1).and_then(|v| v.parse::<u32>().ok()))
                == Some(parent)
        })
        .collect()
}

/// The postmaster started with `-p PORT`.
fn postmaster(port: u16) -> Option<u32> {
    let port = port.to_string();
    fs::read_dir("/proc")
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|&pid| {
            let Ok(cmd) = fs::read(format!("/proc/{pid}/cmdline")) else {
                return false;
            };
            let args: Vec<&[u8]> = cmd.split(|b| *b == 0).collect();
            args.first().is_some_and(|a| a.ends_with(b"postgres"))
                && args
                    .windows(2)
                    .any(|w| w[0] == b"-p" && w[1] == port.as_bytes())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_uses_cpu_and_the_machine_is_counted() {
        let me = Watched::new(std::process::id(), None);
        let before = me.sample();
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_millis(200) {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        std::hint::black_box(x);
        let s = shares(before, me.sample());
        assert!(s.server > 0.0, "{s:?}");
        assert!(s.busy >= s.server * 0.5, "{s:?}");
        assert_eq!(s.postgres, 0.0);
    }
}

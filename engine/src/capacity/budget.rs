//! The capacity formula: how many runs may execute, how many may wait for admission, and how
//! many sandbox instances the pool holds, from a memory budget and the measured cost of one
//! waiting run. docs/engine.md ("Capacity") states the same formula for operators.

use std::path::PathBuf;

const MIB: u64 = 1 << 20;
const KIB: u64 = 1 << 10;

/// The budget when neither `--memory-budget` nor a cgroup limit sets one: 512 MiB.
pub const DEFAULT_BUDGET: u64 = 512 * MIB;

/// What the engine holds before it serves anything: the runtime, the sandbox's compiled code
/// and the workflow snapshot's image (measured 20–25 MiB idle for word-counter and the
/// io-burst workflow), with room for a hot reload compiling the next version beside it.
pub const BASELINE: u64 = 48 * MIB;

/// Memory of one run while its node waits on I/O, as the cgroup counts it (proportional set
/// size: an image page that many instances only read counts once): the pages of linear
/// memory the invocation dirtied (~284 KiB) and its share of those it read, its fiber stack
/// (~26 KiB), the store, instance and host state and both connections (~110 KiB of heap).
/// Measured with `bench/io-burst.sh`: peak PSS above idle / runs in flight, 1,000 waiting
/// runs, 440 KiB.
pub const PER_RUN: u64 = 448 * KIB;

/// Memory of one request waiting for admission (its connection, buffers and parsed request;
/// no sandbox instance yet). Measured with `bench/io-burst.sh` at 5,000 clients: 33 KiB.
pub const PER_QUEUED: u64 = 32 * KIB;

/// Requests that may wait for admission per run that may execute.
pub const QUEUE_PER_RUN: u64 = 4;

/// Fewest runs in flight whatever the budget, so that a tiny budget still serves.
pub const MIN_IN_FLIGHT: u64 = 4;

/// Most runs in flight whatever the budget (each instance reserves address space in the pool).
pub const MAX_IN_FLIGHT: u64 = 10_000;

/// File descriptors kept for everything but connections (files, the epoll instance, logs).
const FD_RESERVE: u64 = 64;

/// Where the budget came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BudgetSource {
    /// `--memory-budget`.
    Flag,
    /// The cgroup's memory limit, read from this file.
    Cgroup(PathBuf),
    /// [`DEFAULT_BUDGET`]: no flag, no cgroup limit.
    Default,
}

impl std::fmt::Display for BudgetSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BudgetSource::Flag => f.write_str("--memory-budget"),
            BudgetSource::Cgroup(p) => write!(f, "cgroup {}", p.display()),
            BudgetSource::Default => f.write_str("default (no cgroup memory limit)"),
        }
    }
}

/// A memory budget and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// Bytes the engine may use.
    pub bytes: u64,
    /// Where the figure came from.
    pub source: BudgetSource,
}

impl Budget {
    /// `--memory-budget` when given, else this process's cgroup memory limit, else
    /// [`DEFAULT_BUDGET`].
    pub fn resolve(flag: Option<u64>) -> Budget {
        if let Some(bytes) = flag {
            return Budget {
                bytes,
                source: BudgetSource::Flag,
            };
        }
        match super::cgroup::memory_limit() {
            Some(limit) => Budget {
                bytes: limit.bytes,
                source: BudgetSource::Cgroup(limit.file),
            },
            None => Budget {
                bytes: DEFAULT_BUDGET,
                source: BudgetSource::Default,
            },
        }
    }
}

/// What the engine holds at once, derived by [`Capacity::from_budget`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// Runs executing at once (admission's limit).
    pub max_in_flight: usize,
    /// Requests that may wait for admission beyond those; more get 429 at once.
    pub max_queued: usize,
    /// Sandbox instances alive at once: one per run in flight plus one for a hot reload's
    /// snapshot build. A node that finds none free waits within its run's deadline.
    pub instances: u32,
    /// True when the budget was too small for [`MIN_IN_FLIGHT`] runs, which are kept anyway.
    pub below_minimum: bool,
}

impl Capacity {
    /// The capacity a budget of `budget` bytes affords, with at most `fd_limit` open files
    /// (a run in flight holds an inbound and an outbound connection and a spare, a queued
    /// request its inbound connection):
    ///
    /// ```text
    /// headroom   = max(budget / 8, 8 MiB)
    /// available  = budget − BASELINE − headroom
    /// in_flight  = available / (PER_RUN + QUEUE_PER_RUN × PER_QUEUED)
    ///              at most (fd_limit − 64) / (3 + QUEUE_PER_RUN), within [MIN_IN_FLIGHT, MAX_IN_FLIGHT]
    /// queued     = QUEUE_PER_RUN × in_flight
    /// instances  = in_flight + 1
    /// ```
    pub fn from_budget(budget: u64, fd_limit: Option<u64>) -> Capacity {
        let headroom = (budget / 8).max(8 * MIB);
        let available = budget.saturating_sub(BASELINE + headroom);
        let by_memory = available / (PER_RUN + QUEUE_PER_RUN * PER_QUEUED);
        let by_files = fd_limit.map_or(u64::MAX, |n| {
            n.saturating_sub(FD_RESERVE) / (3 + QUEUE_PER_RUN)
        });
        let wanted = by_memory.min(by_files);
        let in_flight = wanted.clamp(MIN_IN_FLIGHT, MAX_IN_FLIGHT);
        Capacity {
            max_in_flight: in_flight as usize,
            max_queued: (in_flight * QUEUE_PER_RUN) as usize,
            instances: (in_flight + 1) as u32,
            below_minimum: wanted < MIN_IN_FLIGHT,
        }
    }

    /// A fixed capacity (`--max-in-flight N` given explicitly): the pool and the queue follow
    /// the run limit.
    pub fn fixed(max_in_flight: usize) -> Capacity {
        let n = (max_in_flight as u64).clamp(1, MAX_IN_FLIGHT);
        Capacity {
            max_in_flight: n as usize,
            max_queued: (n * QUEUE_PER_RUN) as usize,
            instances: (n + 1) as u32,
            below_minimum: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_from_budgets() {
        let per = PER_RUN + QUEUE_PER_RUN * PER_QUEUED;
        // (budget, fd limit, runs in flight)
        let cases: &[(u64, Option<u64>, u64)] = &[
            // The default budget: 512 − 48 − 64 MiB available.
            (512 * MIB, None, (400 * MIB) / per),
            (1 << 30, None, (1024 - 48 - 128) * MIB / per),
            (256 * MIB, None, (256 - 48 - 32) * MIB / per),
            // Small budgets: the 8 MiB headroom floor.
            (64 * MIB, None, (64 - 48 - 8) * MIB / per),
            // Below what the engine needs: the minimum, flagged.
            (32 * MIB, None, MIN_IN_FLIGHT),
            (0, None, MIN_IN_FLIGHT),
            // Huge budgets: capped.
            (1 << 50, None, MAX_IN_FLIGHT),
            // File descriptors bind before memory.
            (512 * MIB, Some(1024), (1024 - 64) / (3 + QUEUE_PER_RUN)),
            (512 * MIB, Some(1 << 20), (400 * MIB) / per),
            (512 * MIB, Some(10), MIN_IN_FLIGHT),
        ];
        for &(budget, fds, want) in cases {
            let c = Capacity::from_budget(budget, fds);
            assert_eq!(c.max_in_flight as u64, want, "budget {budget}, fds {fds:?}");
            assert_eq!(c.max_queued as u64, want * QUEUE_PER_RUN);
            assert_eq!(c.instances as u64, want + 1);
        }
    }

    #[test]
    fn the_minimum_is_flagged() {
        assert!(Capacity::from_budget(32 * MIB, None).below_minimum);
        assert!(!Capacity::from_budget(512 * MIB, None).below_minimum);
    }

    #[test]
    fn a_pod_of_512_mib_holds_seven_hundred_waiting_runs_and_queues_the_rest_of_a_thousand() {
        let c = Capacity::from_budget(512 * MIB, None);
        assert_eq!(c.max_in_flight, 711);
        assert!(c.max_in_flight + c.max_queued >= 1000);
    }

    #[test]
    fn the_budget_fits_what_it_admits() {
        for budget in [64 * MIB, 128 * MIB, 512 * MIB, 4 << 30] {
            let c = Capacity::from_budget(budget, None);
            let used =
                BASELINE + c.max_in_flight as u64 * PER_RUN + c.max_queued as u64 * PER_QUEUED;
            assert!(used <= budget, "{budget}: {used}");
        }
    }

    #[test]
    fn fixed_capacity_follows_the_run_limit() {
        let c = Capacity::fixed(64);
        assert_eq!((c.max_in_flight, c.max_queued, c.instances), (64, 256, 65));
        assert_eq!(Capacity::fixed(0).max_in_flight, 1);
    }

    #[test]
    fn sources_read_well() {
        assert_eq!(BudgetSource::Flag.to_string(), "--memory-budget");
        assert_eq!(
            BudgetSource::Cgroup("/sys/fs/cgroup/memory.max".into()).to_string(),
            "cgroup /sys/fs/cgroup/memory.max"
        );
        assert!(Budget::resolve(Some(1 << 30)).bytes == 1 << 30);
    }
}

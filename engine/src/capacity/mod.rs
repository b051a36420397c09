//! How much the engine holds at once: a memory budget (the cgroup's limit, `--memory-budget`,
//! or a default) turned into the run admission limit, the admission queue and the sandbox's
//! instance pool ([`Capacity::from_budget`]), and the open-file limit raised so that
//! connections are not what runs out first.
//!
//! ```
//! use tentacular_engine::capacity::{Budget, Capacity};
//!
//! let budget = Budget::resolve(Some(512 << 20)); // as `--memory-budget 512MiB`
//! let capacity = Capacity::from_budget(budget.bytes, None);
//! assert_eq!(capacity.max_in_flight, 711);
//! ```

mod budget;
pub mod cgroup;

pub use budget::{
    BASELINE, Budget, BudgetSource, Capacity, DEFAULT_BUDGET, MAX_IN_FLIGHT, MIN_IN_FLIGHT,
    PER_QUEUED, PER_RUN, QUEUE_PER_RUN,
};

/// Raises this process's soft limit of open files to its hard limit (a server holding
/// thousands of connections needs more than the usual soft 1,024) and returns the limit now
/// in force, or `None` where it cannot be read.
pub fn raise_open_files_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes one `rlimit` through a pointer to a live local.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
            return None;
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            // SAFETY: setrlimit reads one `rlimit` through a pointer to a live local.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                lim = raised;
            }
        }
        Some(lim.rlim_cur)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_open_files_limit_is_known_after_raising_it() {
        let n = super::raise_open_files_limit().expect("getrlimit works here");
        assert!(n >= 256, "{n}");
    }
}

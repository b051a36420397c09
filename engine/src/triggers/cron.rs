//! Cron triggers run inside the engine, as `tntc dev` needs them. (In a cluster a CronJob per
//! trigger POSTs to `/run` instead, with `tentacular-engine trigger`.)
//!
//! Each `type: cron` trigger fires at its schedule's times, in **UTC** (as a CronJob without
//! `timeZone` does on a cluster whose controller manager runs in UTC), and starts a run with
//! the input `{"trigger": "<name>"}` — or `{}` for an unnamed trigger — so that root nodes can
//! branch on `input.trigger`. A firing that finds `max_in_flight` runs executing is skipped
//! with a warning (like a CronJob with `concurrencyPolicy: Forbid`), not queued.
//!
//! The schedule follows hot reloads: after each reload the triggers are read again.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;

use crate::server::{App, Refused, RunSource};
use tentacular_spec::CronTrigger;

/// Where the scheduler reads the time. By default, the system clock ([`Utc::now`]).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The earliest firing strictly after `after`, and every trigger due then.
pub fn next_firing(
    triggers: &[CronTrigger],
    after: &DateTime<Utc>,
) -> Option<(DateTime<Utc>, Vec<usize>)> {
    let mut best: Option<(DateTime<Utc>, Vec<usize>)> = None;
    for (i, t) in triggers.iter().enumerate() {
        let Some(at) = t.next_after(after) else {
            continue;
        };
        match &mut best {
            Some((when, due)) if at == *when => due.push(i),
            Some((when, _)) if at > *when => {}
            _ => best = Some((at, vec![i])),
        }
    }
    best
}

/// Starts the scheduler for `app`'s workflow on the system clock. It stops when the app
/// begins shutting down; runs it started are finished by [`App::drain`].
pub fn spawn(app: App) -> JoinHandle<()> {
    spawn_with_clock(app, Arc::new(Utc::now))
}

/// Like [`spawn`], reading the time from `clock` (tests shift it to reach a firing quickly).
pub fn spawn_with_clock(app: App, clock: Clock) -> JoinHandle<()> {
    tokio::spawn(schedule(app, clock))
}

async fn schedule(app: App, clock: Clock) {
    let mut generations = app.watch_generation();
    let mut stopping = app.stopping();
    let mut last_fired: Option<DateTime<Utc>> = None;
    let mut announced = 0;
    loop {
        if *stopping.borrow_and_update() {
            return;
        }
        generations.borrow_and_update();
        let served = app.served();
        let list = served.workload.workflow().cron_triggers();
        let now = clock();
        let from = match last_fired {
            Some(l) if l > now => l,
            _ => now,
        };
        let next = next_firing(&list, &from);
        if announced != served.generation {
            announced = served.generation;
            for t in &list {
                tracing::info!(
                    trigger = t.name.as_deref().unwrap_or(""),
                    schedule = t.schedule.as_str(),
                    next = t
                        .next_after(&from)
                        .map(|d| d.to_rfc3339())
                        .unwrap_or_default(),
                    "cron trigger scheduled (UTC)"
                );
            }
        }
        let Some((when, due)) = next else {
            // No cron triggers (or none that fires again): wait for a reload or shutdown.
            tokio::select! {
                r = generations.changed() => if r.is_err() { return },
                _ = stopping.changed() => return,
            }
            continue;
        };
        let wait = (when - now).to_std().unwrap_or_default();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {
                last_fired = Some(when);
                for i in due {
                    fire(&app, &list[i]);
                }
            }
            r = generations.changed() => if r.is_err() { return },
            _ = stopping.changed() => return,
        }
    }
}

fn fire(app: &App, t: &CronTrigger) {
    let source = RunSource::Cron {
        trigger: t.name.clone(),
        schedule: t.schedule.as_str().to_string(),
    };
    match app.try_start(source, t.input()) {
        Ok(_) => tracing::info!(
            trigger = t.name.as_deref().unwrap_or(""),
            schedule = t.schedule.as_str(),
            "cron trigger fired"
        ),
        Err(e @ Refused::Busy { .. }) => tracing::warn!(
            trigger = t.name.as_deref().unwrap_or(""),
            schedule = t.schedule.as_str(),
            "cron trigger skipped: {e}"
        ),
        Err(Refused::ShuttingDown) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(name: Option<&str>, s: &str) -> CronTrigger {
        CronTrigger::parse(name, s).unwrap()
    }

    #[test]
    fn next_firing_picks_the_earliest_and_groups_ties() {
        let list = [
            t(Some("hourly"), "0 * * * *"),
            t(Some("nine"), "0 9 * * *"),
            t(None, "*/30 * * * *"),
        ];
        let at = |h, m, s| Utc.with_ymd_and_hms(2026, 3, 2, h, m, s).unwrap();
        let (when, due) = next_firing(&list, &at(8, 40, 0)).unwrap();
        assert_eq!(when, at(9, 0, 0));
        assert_eq!(due, vec![0, 1, 2]);
        let (when, due) = next_firing(&list, &at(9, 0, 0)).unwrap();
        assert_eq!(when, at(9, 30, 0), "strictly after");
        assert_eq!(due, vec![2]);
        assert!(next_firing(&[], &at(9, 0, 0)).is_none());
    }
}

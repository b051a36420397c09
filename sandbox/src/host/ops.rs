//! The asynchronous operations of one invocation: requests and timers, started by the guest
//! (`start`), completed by the host, and handed back when the guest has nothing else to do
//! (`wait`).
//!
//! Requests run as tokio tasks, so a node's concurrent `fetch` calls overlap; at most
//! [`Ops::new`]'s `max_in_flight` do I/O at once and the rest wait for a slot (they never
//! fail for it). Timers wait on the host clock — or, under a [`Clock::Virtual`] (tests), fire
//! in deadline order as soon as nothing else is in flight. Everything an invocation started
//! is aborted when its store is dropped, and `wait` never waits past the invocation's
//! deadline.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tentacular_abi::{Completion, OpStatus};

use crate::outbound::{Answer, HeldBytes, SecurityEvent};
use tokio::sync::Semaphore;
use tokio::task::{AbortHandle, Id, JoinSet};

/// How timers measure time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    /// Timers wait on the host clock. By default.
    #[default]
    Real,
    /// Timers fire in deadline order, without waiting, whenever no request is in flight
    /// (`tntc test`, so that retry and backoff code runs fast and deterministically).
    Virtual,
}

/// What one operation produced: the [`Completion`] fields and the bytes behind them.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub status: OpStatus,
    pub meta: Vec<u8>,
    pub body: Vec<u8>,
    /// What the host refused or changed along the way.
    pub events: Vec<SecurityEvent>,
}

impl Outcome {
    /// A completed operation with a result.
    pub fn ok(meta: Vec<u8>, body: Vec<u8>) -> Self {
        Outcome {
            status: OpStatus::Ok,
            meta,
            body,
            events: Vec::new(),
        }
    }

    /// A failed operation: a guest-visible `{name, message}`.
    pub fn error(name: &str, message: &str) -> Self {
        Outcome {
            status: OpStatus::Error,
            meta: serde_json::json!({ "name": name, "message": message })
                .to_string()
                .into_bytes(),
            body: Vec::new(),
            events: Vec::new(),
        }
    }
}

impl From<Answer> for Outcome {
    fn from(a: Answer) -> Self {
        let mut outcome = match a.result {
            Ok((meta, body)) => Outcome::ok(meta, body),
            Err((name, message)) => Outcome::error(name, &message),
        };
        outcome.events = a.events;
        outcome
    }
}

/// Why `wait` could not deliver a completion.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum WaitError {
    /// The invocation's deadline passed while the guest waited.
    Deadline,
}

/// The operations of one invocation.
pub(crate) struct Ops {
    next: u32,
    tasks: JoinSet<(u32, Outcome)>,
    /// Handle of each running task, and each task's abort handle by operation handle.
    task_handles: HashMap<Id, u32>,
    aborts: HashMap<u32, AbortHandle>,
    /// Virtual timers by (due time in µs, start order).
    virtual_timers: BTreeMap<(u64, u32), u32>,
    virtual_now_us: u64,
    clock: Clock,
    /// Completions reported by `wait`, until the guest copies them out.
    done: HashMap<u32, Outcome>,
    slots: Arc<Semaphore>,
    deadline: Option<Instant>,
    /// Response bytes held for the guest, bounded by its memory limit.
    held: HeldBytes,
    /// Security events of the operations completed so far.
    events: Vec<SecurityEvent>,
}

impl Ops {
    /// Operations bounded by `max_in_flight` concurrent requests, `deadline`, and
    /// `memory_limit` bytes of results held for the guest.
    pub fn new(
        max_in_flight: usize,
        clock: Clock,
        deadline: Option<Instant>,
        memory_limit: usize,
    ) -> Self {
        Ops {
            next: 1,
            tasks: JoinSet::new(),
            task_handles: HashMap::new(),
            aborts: HashMap::new(),
            virtual_timers: BTreeMap::new(),
            virtual_now_us: 0,
            clock,
            done: HashMap::new(),
            slots: Arc::new(Semaphore::new(max_in_flight.max(1))),
            deadline,
            held: HeldBytes::new(memory_limit),
            events: Vec::new(),
        }
    }

    fn handle(&mut self) -> u32 {
        let h = self.next;
        self.next = self.next.wrapping_add(1).max(1);
        h
    }

    /// Starts a request: `work` runs once a slot is free. Returns its handle.
    pub fn start_request<F>(&mut self, work: F) -> u32
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let handle = self.handle();
        let slots = self.slots.clone();
        self.spawn(handle, async move {
            // The semaphore is never closed, so acquiring only waits.
            let _slot = slots.acquire_owned().await;
            work.await
        });
        handle
    }

    /// Starts a timer of `ms` milliseconds. Returns its handle.
    pub fn start_timer(&mut self, ms: f64) -> u32 {
        let handle = self.handle();
        let ms = if ms.is_finite() {
            ms.clamp(0.0, 2f64.powi(31))
        } else {
            0.0
        };
        match self.clock {
            Clock::Real => {
                let delay = Duration::from_micros((ms * 1000.0) as u64);
                self.spawn(handle, async move {
                    tokio::time::sleep(delay).await;
                    Outcome::ok(Vec::new(), Vec::new())
                });
            }
            Clock::Virtual => {
                let due = self.virtual_now_us + (ms * 1000.0) as u64;
                self.virtual_timers.insert((due, handle), handle);
            }
        }
        handle
    }

    fn spawn<F>(&mut self, handle: u32, work: F)
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        let abort = self.tasks.spawn(async move { (handle, work.await) });
        self.task_handles.insert(abort.id(), handle);
        self.aborts.insert(handle, abort);
    }

    /// Abandons an operation; it will never complete.
    pub fn cancel(&mut self, handle: u32) {
        if let Some(abort) = self.aborts.remove(&handle) {
            abort.abort();
        }
        self.virtual_timers.retain(|_, h| *h != handle);
        self.done.remove(&handle);
    }

    /// Waits for the next completion. `Ok(None)`: nothing is in flight.
    pub async fn wait(&mut self) -> Result<Option<Completion>, WaitError> {
        loop {
            if self.tasks.is_empty() {
                return Ok(self.fire_virtual_timer());
            }
            let next = match self.deadline {
                Some(d) => tokio::time::timeout_at(d.into(), self.tasks.join_next_with_id())
                    .await
                    .map_err(|_| WaitError::Deadline)?,
                None => self.tasks.join_next_with_id().await,
            };
            let (handle, outcome) = match next {
                Some(Ok((_, (handle, outcome)))) => (handle, outcome),
                Some(Err(e)) => {
                    let Some(handle) = self.task_handles.remove(&e.id()) else {
                        continue;
                    };
                    if e.is_cancelled() || !self.aborts.contains_key(&handle) {
                        continue;
                    }
                    tracing::error!(error = %e, "a host operation panicked");
                    (
                        handle,
                        Outcome::error("InternalError", "the host operation failed"),
                    )
                }
                None => continue,
            };
            if self.aborts.remove(&handle).is_none() {
                continue; // cancelled after it finished
            }
            self.task_handles.retain(|_, h| *h != handle);
            return Ok(Some(self.complete(handle, outcome)));
        }
    }

    fn fire_virtual_timer(&mut self) -> Option<Completion> {
        let ((due, _), handle) = self.virtual_timers.pop_first()?;
        self.virtual_now_us = self.virtual_now_us.max(due);
        Some(self.complete(handle, Outcome::ok(Vec::new(), Vec::new())))
    }

    /// What results of this invocation hold against the node's memory limit.
    pub fn held(&self) -> &HeldBytes {
        &self.held
    }

    /// The security events so far, taken out.
    pub fn take_events(&mut self) -> Vec<SecurityEvent> {
        std::mem::take(&mut self.events)
    }

    fn complete(&mut self, handle: u32, mut outcome: Outcome) -> Completion {
        self.events.append(&mut outcome.events);
        let completion = Completion {
            handle,
            status: outcome.status as u32,
            meta_len: outcome.meta.len() as u32,
            body_len: outcome.body.len() as u32,
        };
        self.done.insert(handle, outcome);
        completion
    }

    /// The result `wait` reported for `handle`, taken out.
    pub fn take(&mut self, handle: u32) -> Option<Outcome> {
        let outcome = self.done.remove(&handle)?;
        self.held.release(outcome.meta.len() + outcome.body.len());
        Some(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn requests_over_the_cap_wait_for_a_slot_and_all_complete() {
        let mut ops = Ops::new(3, Clock::Real, None, 1 << 20);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        for _ in 0..20 {
            let (running, peak) = (running.clone(), peak.clone());
            ops.start_request(async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                Outcome::ok(b"{}".to_vec(), Vec::new())
            });
        }
        let mut completed = 0;
        while let Some(c) = ops.wait().await.unwrap() {
            assert_eq!(c.status, OpStatus::Ok as u32);
            assert!(ops.take(c.handle).is_some());
            completed += 1;
        }
        assert_eq!(completed, 20);
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn virtual_timers_fire_in_deadline_order_without_waiting() {
        let mut ops = Ops::new(4, Clock::Virtual, None, 1 << 20);
        let late = ops.start_timer(5000.0);
        let early = ops.start_timer(10.0);
        let cancelled = ops.start_timer(1.0);
        ops.cancel(cancelled);
        let started = Instant::now();
        assert_eq!(ops.wait().await.unwrap().unwrap().handle, early);
        assert_eq!(ops.wait().await.unwrap().unwrap().handle, late);
        assert_eq!(ops.wait().await.unwrap(), None);
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn a_cancelled_request_never_completes() {
        let mut ops = Ops::new(4, Clock::Real, None, 1 << 20);
        let h = ops.start_request(async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Outcome::ok(Vec::new(), Vec::new())
        });
        let kept = ops.start_timer(40.0);
        ops.cancel(h);
        assert_eq!(ops.wait().await.unwrap().unwrap().handle, kept);
        assert_eq!(ops.wait().await.unwrap(), None);
    }

    #[tokio::test]
    async fn waiting_stops_at_the_deadline() {
        let mut ops = Ops::new(
            4,
            Clock::Real,
            Some(Instant::now() + Duration::from_millis(30)),
            1 << 20,
        );
        ops.start_timer(10_000.0);
        assert_eq!(ops.wait().await, Err(WaitError::Deadline));
    }
}

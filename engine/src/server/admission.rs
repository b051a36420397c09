//! Run admission: at most `max_in_flight` runs execute at once; up to `max_queued` more
//! requests wait (at most `queue_wait`) for one of them to finish, in arrival order; beyond
//! that, or when the wait is over, the answer is 429 with `Retry-After`. This is the only
//! place where the engine refuses work for lack of capacity: an admitted run's nodes wait for
//! sandbox instances instead of failing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

/// Why admission said no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Denied {
    /// Every slot is taken (and the queue is full, or the wait ran out).
    Busy,
    /// The gate is closed: the engine is shutting down.
    Closed,
}

/// The gate in front of every run.
#[derive(Debug)]
pub(crate) struct Admission {
    permits: Arc<Semaphore>,
    max_in_flight: usize,
    max_queued: usize,
    queue_wait: Duration,
    queued: AtomicUsize,
}

/// Takes its request out of the queue count however the wait ends.
struct InQueue<'a>(&'a AtomicUsize);

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Admission {
    /// A gate of `max_in_flight` slots (at least 1) with a queue of `max_queued` requests
    /// waiting at most `queue_wait` each.
    pub(crate) fn new(max_in_flight: usize, max_queued: usize, queue_wait: Duration) -> Self {
        let max_in_flight = max_in_flight.clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
        Admission {
            permits: Arc::new(Semaphore::new(max_in_flight)),
            max_in_flight,
            max_queued,
            queue_wait,
            queued: AtomicUsize::new(0),
        }
    }

    /// The run limit in force.
    pub(crate) fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// The queue's length limit.
    pub(crate) fn max_queued(&self) -> usize {
        self.max_queued
    }

    /// Requests waiting for a slot now.
    pub(crate) fn queued(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }

    /// A slot if one is free now; never waits (cron firings).
    pub(crate) fn try_admit(&self) -> Result<OwnedSemaphorePermit, Denied> {
        match self.permits.clone().try_acquire_owned() {
            Ok(p) => Ok(p),
            Err(TryAcquireError::NoPermits) => Err(Denied::Busy),
            Err(TryAcquireError::Closed) => Err(Denied::Closed),
        }
    }

    /// A slot now, or after waiting in the queue (first come, first served) for at most the
    /// queue wait; `Busy` when the queue is full or the wait runs out.
    pub(crate) async fn admit(&self) -> Result<OwnedSemaphorePermit, Denied> {
        match self.try_admit() {
            Err(Denied::Busy) => {}
            other => return other,
        }
        if self.queue_wait.is_zero()
            || self.queued.fetch_add(1, Ordering::SeqCst) >= self.max_queued
        {
            if !self.queue_wait.is_zero() {
                self.queued.fetch_sub(1, Ordering::SeqCst);
            }
            return Err(Denied::Busy);
        }
        let _in_queue = InQueue(&self.queued);
        match tokio::time::timeout(self.queue_wait, self.permits.clone().acquire_owned()).await {
            Ok(Ok(p)) => Ok(p),
            Ok(Err(_)) => Err(Denied::Closed),
            Err(_) => Err(Denied::Busy),
        }
    }

    /// Waits until every admitted run has given its slot back.
    pub(crate) async fn drain(&self) {
        // Every run holds one permit: owning all of them means none is running. (Released
        // again at once: new runs are refused by then anyway, and a second drain returns.)
        let _all = self.permits.acquire_many(self.max_in_flight as u32).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_gate_queues_then_refuses() {
        let gate = Arc::new(Admission::new(1, 1, Duration::from_secs(5)));
        let first = gate.admit().await.expect("a free slot");
        // The second waits in the queue...
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.admit().await.map(drop) }
        });
        while gate.queued() == 0 {
            tokio::task::yield_now().await;
        }
        // ...the third finds the queue full.
        assert_eq!(gate.admit().await.map(drop), Err(Denied::Busy));
        assert_eq!(gate.try_admit().map(drop), Err(Denied::Busy));
        drop(first);
        assert_eq!(waiting.await.unwrap(), Ok(()));
        assert_eq!(gate.queued(), 0);
    }

    #[tokio::test]
    async fn the_wait_is_bounded() {
        let gate = Admission::new(1, 10, Duration::from_millis(20));
        let _first = gate.admit().await.expect("a free slot");
        assert_eq!(gate.admit().await.map(drop), Err(Denied::Busy));
        assert_eq!(gate.queued(), 0, "the timed-out request left the queue");
    }

    #[tokio::test]
    async fn no_queue_wait_means_no_queue() {
        let gate = Admission::new(1, 10, Duration::ZERO);
        let _first = gate.admit().await.expect("a free slot");
        assert_eq!(gate.admit().await.map(drop), Err(Denied::Busy));
        assert_eq!(gate.queued(), 0);
    }
}

//! The gate in front of the instance pool: one permit per instance the pool can hold, so an
//! invocation that finds the pool full waits (and is counted as waiting) instead of failing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

/// The sandbox's instance permits, and the count of invocations waiting for one.
#[derive(Clone)]
pub(crate) struct PoolGate {
    pub(crate) slots: Arc<Semaphore>,
    pub(crate) waiting: Arc<AtomicUsize>,
}

impl PoolGate {
    /// A permit: at once when one is free, else after waiting (counted) at most `timeout`.
    pub(crate) async fn acquire(
        &self,
        timeout: Duration,
    ) -> Option<tokio::sync::OwnedSemaphorePermit> {
        if let Ok(p) = self.slots.clone().try_acquire_owned() {
            return Some(p);
        }
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let _waiting = Waiting(&self.waiting);
        tokio::time::timeout(timeout, self.slots.clone().acquire_owned())
            .await
            .ok()?
            .ok()
    }
}

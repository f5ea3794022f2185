//! A bound on how many of one kind of expensive answer a node builds at once.
//!
//! Reports read a whole year of the ledger and stream for as long as the client takes to
//! download them; eight at once once took a gigabyte. A request waits a little for a slot,
//! then gets 503 with `Retry-After`; the slot is held until its answer has been sent.

use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::ApiError;

#[derive(Clone)]
pub struct Slots {
    slots: Arc<Semaphore>,
    wait: Duration,
}

impl Slots {
    /// `n` slots; a request waits at most `wait` for one.
    pub fn new(n: usize, wait: Duration) -> Self {
        Self { slots: Arc::new(Semaphore::new(n.max(1))), wait }
    }

    /// A slot, or 503 `reports_busy` after the wait.
    pub async fn take(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ApiError {
                retry_after: Some(self.wait),
                ..ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "reports_busy",
                    "laporan lain sedang disusun; silakan coba lagi sebentar lagi",
                )
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_more_than_n_at_once_and_the_rest_are_told_to_come_back() {
        let slots = Slots::new(2, Duration::from_millis(50));
        let a = slots.take().await.unwrap();
        let _b = slots.take().await.unwrap();
        let refused = slots.take().await.unwrap_err();
        assert_eq!((refused.status, refused.code), (StatusCode::SERVICE_UNAVAILABLE, "reports_busy"));
        assert!(refused.retry_after.is_some());
        drop(a);
        assert!(slots.take().await.is_ok(), "a slot given back is taken again");
        // A waiting request gets the slot as soon as it is given back.
        let slots = Slots::new(1, Duration::from_secs(5));
        let held = slots.take().await.unwrap();
        let waiter = tokio::spawn({
            let slots = slots.clone();
            async move { slots.take().await.is_ok() }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        assert!(waiter.await.unwrap());
    }
}

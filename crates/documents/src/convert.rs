//! Running conversions of untrusted files (imports and exports) where they cannot hurt
//! the server: each on a thread of its own with a large stack, at most
//! `documents.conversion_concurrency` at once, and answered within
//! `documents.conversion_timeout_secs`.
//!
//! A conversion is CPU work on input an attacker chooses. On the async workers it would
//! stall every request; on tokio's blocking pool it would share a 2 MiB stack and an
//! unbounded queue. Here a conversion that is still running when its time is up gets an
//! answer for its client at once, and keeps its slot until it really ends, so runaway
//! work can never pile up beyond the concurrency limit.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// The stack of a conversion thread. Converters that recurse do so at most once per level
/// of [`crate::nesting`]'s limits; this leaves them an order of magnitude of headroom.
/// Only the pages a conversion touches are ever committed.
pub const STACK_BYTES: usize = 64 * 1024 * 1024;

/// How long a conversion waits for a free slot before the request is refused as busy.
const QUEUE_WAIT: Duration = Duration::from_secs(5);

/// Why a conversion produced no result.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// Every slot stayed taken for [`QUEUE_WAIT`].
    #[error("every conversion slot is busy")]
    Busy,
    /// The conversion ran past its time limit (it goes on, in its slot, until it ends).
    #[error("the conversion took longer than {0:?}")]
    TimedOut(Duration),
    /// The conversion panicked, or its thread could not be started.
    #[error("the conversion failed: {0}")]
    Failed(String),
}

/// Runs conversions within the limits above. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Converter {
    slots: Arc<Semaphore>,
    timeout: Duration,
}

impl Converter {
    /// At most `concurrency` conversions at once (at least one), each answered within
    /// `timeout`.
    pub fn new(concurrency: usize, timeout: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
            timeout,
        }
    }

    /// Runs `job` on a conversion thread and waits for its result.
    pub async fn run<T, F>(&self, job: F) -> Result<T, ConvertError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let slot = tokio::time::timeout(QUEUE_WAIT, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| ConvertError::Busy)?
            .map_err(|_| ConvertError::Busy)?;
        let (done, result) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("tandem-convert".into())
            .stack_size(STACK_BYTES)
            .spawn(move || {
                let outcome = std::panic::catch_unwind(AssertUnwindSafe(job));
                // The slot is given back only now, when the work has really stopped.
                drop(slot);
                let _ = done.send(outcome);
            })
            .map_err(|e| ConvertError::Failed(format!("starting a thread: {e}")))?;
        match tokio::time::timeout(self.timeout, result).await {
            Err(_) => Err(ConvertError::TimedOut(self.timeout)),
            Ok(Err(_)) => Err(ConvertError::Failed(
                "the thread ended without a result".into(),
            )),
            Ok(Ok(Err(panic))) => Err(ConvertError::Failed(panic_message(panic.as_ref()))),
            Ok(Ok(Ok(value))) => Ok(value),
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_conversion_returns_its_result() {
        let converter = Converter::new(1, Duration::from_secs(5));
        assert_eq!(converter.run(|| 6 * 7).await.unwrap(), 42);
    }

    #[tokio::test]
    async fn a_panicking_conversion_is_an_error_not_a_crash() {
        let converter = Converter::new(1, Duration::from_secs(5));
        let err = converter
            .run(|| -> u8 { panic!("bad input") })
            .await
            .unwrap_err();
        assert!(matches!(err, ConvertError::Failed(m) if m == "bad input"));
        assert_eq!(converter.run(|| 1).await.unwrap(), 1, "the slot came back");
    }

    #[tokio::test]
    async fn a_slow_conversion_times_out_and_keeps_its_slot_until_it_ends() {
        let converter = Converter::new(1, Duration::from_millis(50));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let err = converter
            .run(move || wait.recv_timeout(Duration::from_secs(30)).is_ok())
            .await
            .unwrap_err();
        assert!(matches!(err, ConvertError::TimedOut(_)));
        // The slot is still taken, so a second conversion waits for it...
        assert_eq!(converter.slots.available_permits(), 0);
        release.send(()).unwrap();
        // ...and runs once the first one has really finished.
        assert_eq!(converter.run(|| 2).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn deep_recursion_fits_in_a_conversion_thread() {
        fn down(n: usize) -> usize {
            let pad = std::hint::black_box([0u8; 512]);
            if n == 0 {
                0
            } else {
                down(n - 1) + usize::from(pad[n % 512] == 1)
            }
        }
        let converter = Converter::new(1, Duration::from_secs(5));
        // Well over 10 MiB of stack frames: far beyond a default 2 MiB thread.
        assert_eq!(converter.run(|| down(20_000)).await.unwrap(), 0);
    }
}

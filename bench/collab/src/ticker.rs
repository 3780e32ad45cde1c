//! Keystroke schedules, kept by one thread with `std::thread::sleep` precision (tens of
//! microseconds) rather than tokio's millisecond timer wheel: a client's lag against its
//! schedule must measure the generator keeping up, not the timer's granularity.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// One client's due keystrokes.
#[derive(Debug, Default)]
pub struct Ticks {
    due: AtomicU64,
    notify: Notify,
}

impl Ticks {
    /// Waits until at least one keystroke is due; returns how many are.
    pub async fn wait(&self) -> u64 {
        loop {
            let due = self.due.swap(0, Ordering::AcqRel);
            if due > 0 {
                return due;
            }
            self.notify.notified().await;
        }
    }
}

/// A client's schedule: its first keystroke, the interval, and when typing stops.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub first: Instant,
    pub interval: Duration,
    pub stop: Instant,
}

/// Starts the thread firing every schedule.
pub fn spawn(schedules: Vec<(Schedule, Arc<Ticks>)>) {
    std::thread::spawn(move || {
        let mut heap: BinaryHeap<Reverse<(Instant, usize)>> = schedules
            .iter()
            .enumerate()
            .filter(|(_, (s, _))| s.first < s.stop)
            .map(|(i, (s, _))| Reverse((s.first, i)))
            .collect();
        while let Some(Reverse((at, i))) = heap.peek().copied() {
            let now = Instant::now();
            if at > now {
                std::thread::sleep(at - now);
                continue;
            }
            heap.pop();
            let (schedule, ticks) = &schedules[i];
            ticks.due.fetch_add(1, Ordering::AcqRel);
            ticks.notify.notify_one();
            let next = at + schedule.interval;
            if next < schedule.stop {
                heap.push(Reverse((next, i)));
            }
        }
    });
}

//! A connection's outgoing queue: the frames its document's actor (and the connection
//! itself) want sent, bounded, plus the order to close.
//!
//! Why not a tokio `mpsc` channel and a `watch`: those allocate their first block of
//! slots up front, about 2 KiB per connection, and ten thousand idle connections are
//! mostly idle queues. This one is a `VecDeque` that allocates only while frames wait.

use crate::protocol::Close;
use axum::extract::ws::Utf8Bytes;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::Notify;

#[derive(Debug, Default)]
struct State {
    frames: VecDeque<Utf8Bytes>,
    close: Option<Close>,
    /// The actor dropped its end (it stopped): the connection must end too.
    actor_gone: bool,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    ready: Notify,
    capacity: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `frame`; false if the queue is full or the connection is closing.
    fn push(&self, frame: Utf8Bytes) -> bool {
        let mut state = self.lock();
        if state.close.is_some() || state.frames.len() >= self.capacity {
            return false;
        }
        state.frames.push_back(frame);
        drop(state);
        self.ready.notify_one();
        true
    }
}

/// The actor's end, kept in its `Conn`. Dropping it ends the connection (1012).
#[derive(Debug)]
pub struct Outbox(Arc<Shared>);

/// The connection task's end.
#[derive(Debug)]
pub struct Reader(Arc<Shared>);

/// A queue of at most `capacity` frames.
pub fn outbox(capacity: usize) -> (Outbox, Reader) {
    let shared = Arc::new(Shared {
        state: Mutex::default(),
        ready: Notify::new(),
        capacity: capacity.max(1),
    });
    (Outbox(shared.clone()), Reader(shared))
}

impl Outbox {
    /// Queues `frame`; false if the queue is full (the caller closes the connection).
    pub fn push(&self, frame: Utf8Bytes) -> bool {
        self.0.push(frame)
    }

    /// Closes the socket with `reason` once what is queued has gone out. The first
    /// reason given wins.
    pub fn close(&self, reason: Close) {
        self.0.lock().close.get_or_insert(reason);
        self.0.ready.notify_one();
    }
}

impl Drop for Outbox {
    fn drop(&mut self) {
        self.0.lock().actor_gone = true;
        self.0.ready.notify_one();
    }
}

/// What the connection task is to do next.
#[derive(Debug)]
pub enum Next {
    /// Send these, in order.
    Send(VecDeque<Utf8Bytes>),
    /// Close the socket.
    Close(Close),
}

impl Reader {
    /// Queues a frame of the connection's own (a pong, an error).
    pub fn push(&self, frame: Utf8Bytes) -> bool {
        self.0.push(frame)
    }

    /// Waits for frames to send (all of those queued, so that they share one flush) or for
    /// the order to close, which comes after every frame queued before it. Cancel-safe:
    /// nothing is taken from the queue unless it is returned.
    pub async fn next(&self) -> Next {
        loop {
            {
                let mut state = self.0.lock();
                if !state.frames.is_empty() {
                    return Next::Send(std::mem::take(&mut state.frames));
                }
                if let Some(reason) = state.close {
                    return Next::Close(reason);
                }
                if state.actor_gone {
                    return Next::Close(Close::ServerRestart);
                }
            }
            // One waiter, and `notify_one` keeps a permit when no one waits: a push
            // between the check above and this wait is not missed.
            self.0.ready.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &'static str) -> Utf8Bytes {
        Utf8Bytes::from_static(text)
    }

    async fn sent(reader: &Reader) -> Vec<String> {
        match reader.next().await {
            Next::Send(frames) => frames.iter().map(|f| f.as_str().to_owned()).collect(),
            Next::Close(reason) => panic!("expected frames, got a close: {reason:?}"),
        }
    }

    #[tokio::test]
    async fn queued_frames_come_out_together_and_in_order() {
        let (outbox, reader) = outbox(8);
        assert!(outbox.push(frame("a")));
        assert!(reader.push(frame("b")));
        assert_eq!(sent(&reader).await, ["a", "b"]);
    }

    #[tokio::test]
    async fn a_full_queue_refuses_the_next_frame() {
        let (outbox, reader) = outbox(2);
        assert!(outbox.push(frame("a")));
        assert!(outbox.push(frame("b")));
        assert!(!outbox.push(frame("c")));
        assert_eq!(sent(&reader).await, ["a", "b"]);
        assert!(outbox.push(frame("c")));
    }

    #[tokio::test]
    async fn a_close_comes_after_what_was_queued_before_it() {
        let (outbox, reader) = outbox(8);
        outbox.push(frame("a"));
        outbox.close(Close::AccessRevoked);
        outbox.close(Close::SlowConsumer);
        assert!(!outbox.push(frame("late")));
        assert_eq!(sent(&reader).await, ["a"]);
        assert!(matches!(
            reader.next().await,
            Next::Close(Close::AccessRevoked)
        ));
    }

    #[tokio::test]
    async fn the_actor_going_away_ends_the_connection() {
        let (outbox, reader) = outbox(8);
        let waiting = tokio::spawn(async move { reader.next().await });
        tokio::task::yield_now().await;
        drop(outbox);
        assert!(matches!(
            waiting.await.unwrap(),
            Next::Close(Close::ServerRestart)
        ));
    }
}

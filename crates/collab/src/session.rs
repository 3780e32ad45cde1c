//! One WebSocket connection: the `auth` handshake, then one task that reads the client's
//! messages (rate-limited, cursors coalesced) and writes what its document's actor queues
//! for it (batched into one flush), pings, and closes with the protocol's codes.

use crate::document::actor::{Command, Conn, Handle};
use crate::hub::Hub;
use crate::protocol::{AuthMsg, ClientMsg, Close, ErrorCode, Selection, ServerMsg};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch};
use tracing::Instrument;
use uuid::Uuid;

type Sink = SplitSink<WebSocket, Message>;

/// A client that takes no data for this long while the server writes is a slow consumer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
type Stream = SplitStream<WebSocket>;

/// A token bucket: `rate` per second, up to `burst` at once.
struct Bucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    at: Instant,
}

impl Bucket {
    fn new(rate: u32, burst: u32) -> Self {
        Self {
            tokens: f64::from(burst.max(1)),
            rate: f64::from(rate.max(1)),
            burst: f64::from(burst.max(1)),
            at: Instant::now(),
        }
    }

    /// Takes a token, or says how many milliseconds until one is there.
    fn take(&mut self) -> Result<(), u64> {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - self.tokens) / self.rate * 1000.0).ceil() as u64)
        }
    }
}

/// Sends the close frame, then reads (and ignores) what the client still sends until it
/// answers the close, for up to a second: dropping a socket with unread input makes TCP
/// reset it, and the client would lose the close frame and its code.
async fn close(sink: &mut Sink, stream: &mut Stream, hub: &Hub, reason: Close) {
    hub.metrics.closed(reason);
    let frame = CloseFrame {
        code: reason.code(),
        reason: Utf8Bytes::from_static(reason.reason()),
    };
    let _ = tokio::time::timeout(WRITE_TIMEOUT, sink.send(Message::Close(Some(frame)))).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while let Some(Ok(message)) = stream.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
}

fn too_large(error: axum::Error) -> bool {
    error
        .into_inner()
        .downcast::<tungstenite::Error>()
        .is_ok_and(|e| matches!(*e, tungstenite::Error::Capacity(_)))
}

/// Serves one socket on `doc` until it closes. `bearer` is a token sent on the upgrade.
pub async fn serve(hub: Arc<Hub>, doc: Uuid, socket: WebSocket, bearer: Option<String>) {
    let (mut sink, mut stream) = socket.split();
    let timeout = Duration::from_secs(hub.config.auth_timeout_secs);
    let auth = match tokio::time::timeout(timeout, stream.next()).await {
        Err(_) => return close(&mut sink, &mut stream, &hub, Close::AuthTimeout).await,
        Ok(None) | Ok(Some(Ok(Message::Close(_)))) => return,
        Ok(Some(Err(error))) => {
            if too_large(error) {
                close(&mut sink, &mut stream, &hub, Close::MessageTooLarge).await;
            }
            return;
        }
        Ok(Some(Ok(Message::Text(text)))) => match ClientMsg::parse(&text) {
            Ok(ClientMsg::Auth(auth)) => auth,
            Ok(_) => return close(&mut sink, &mut stream, &hub, Close::Unauthorized).await,
            Err(_) => return close(&mut sink, &mut stream, &hub, Close::BadRequest).await,
        },
        Ok(Some(Ok(_))) => return close(&mut sink, &mut stream, &hub, Close::BadRequest).await,
    };
    let Some(token) = auth.token.clone().or(bearer) else {
        return close(&mut sink, &mut stream, &hub, Close::Unauthorized).await;
    };
    let caller = match hub.verifier.verify(&token).await {
        Ok(caller) => caller,
        Err(tandem_platform::auth::AuthError::Unavailable(_)) => {
            return close(&mut sink, &mut stream, &hub, Close::TryAgainLater).await;
        }
        Err(_) => return close(&mut sink, &mut stream, &hub, Close::Unauthorized).await,
    };
    let role = match hub.documents.access(doc, caller.user_id).await {
        Ok(Some(access)) => access.role,
        Ok(None) => return close(&mut sink, &mut stream, &hub, Close::NotFound).await,
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "cannot check a document role");
            return close(&mut sink, &mut stream, &hub, Close::TryAgainLater).await;
        }
    };
    let display_name = hub
        .users
        .display_name(caller.user_id, &token)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| "Someone".to_owned());
    let conn_id = Uuid::now_v7();
    let span = tracing::info_span!(
        "collab_connection",
        document_id = %doc,
        user_id = %caller.user_id,
        session_id = %conn_id,
    );
    async move {
        if let Err(reason) = hub.register(caller.user_id, caller.session_id, doc, conn_id) {
            return close(&mut sink, &mut stream, &hub, reason).await;
        }
        let (out, out_rx) = mpsc::channel(hub.config.outgoing_queue.max(16));
        let (close_tx, close_rx) = watch::channel(None);
        let conn = Conn {
            id: conn_id,
            user_id: caller.user_id,
            login_session: caller.session_id,
            client_id: auth.client_id,
            role,
            display_name,
            color: crate::presence::color(caller.user_id),
            out: out.clone(),
            close: close_tx,
        };
        match hub.join(doc, conn, revision_of(&auth)).await {
            Ok(handle) => {
                tracing::info!("joined");
                let reason = Connection {
                    hub: &hub,
                    handle: &handle,
                    id: conn_id,
                    out,
                }
                .run(&mut sink, &mut stream, out_rx, close_rx)
                .await;
                let _ = handle.tx.send(Command::Leave(conn_id)).await;
                if let Some(reason) = reason {
                    close(&mut sink, &mut stream, &hub, reason).await;
                }
                tracing::info!(reason = reason.map(Close::reason), "left");
            }
            Err(reason) => close(&mut sink, &mut stream, &hub, reason).await,
        }
        hub.unregister(caller.user_id, caller.session_id, doc, conn_id);
    }
    .instrument(span)
    .await;
}

fn revision_of(auth: &AuthMsg) -> Option<u64> {
    auth.revision
}

struct Connection<'a> {
    hub: &'a Hub,
    handle: &'a Handle,
    id: Uuid,
    out: mpsc::Sender<Utf8Bytes>,
}

impl Connection<'_> {
    /// Runs until the socket ends; returns the close to send, if the server closes it.
    async fn run(
        &self,
        sink: &mut Sink,
        stream: &mut Stream,
        mut out_rx: mpsc::Receiver<Utf8Bytes>,
        mut close_rx: watch::Receiver<Option<Close>>,
    ) -> Option<Close> {
        let config = &self.hub.config;
        let mut changes = Bucket::new(config.changes_per_second, config.changes_burst);
        let mut messages = Bucket::new(config.changes_per_second * 4, config.changes_burst * 4);
        let mut refused_in_row = 0u32;
        let cursor_every = Duration::from_millis(config.cursor_interval_ms);
        let mut cursor: Option<(u64, Option<Selection>)> = None;
        let mut cursor_sent = Instant::now() - cursor_every;
        let mut ping = tokio::time::interval(Duration::from_secs(config.ping_interval_secs.max(1)));
        ping.tick().await;
        let mut unanswered_pings = 0u32;
        loop {
            let cursor_due = cursor.is_some().then(|| cursor_sent + cursor_every);
            tokio::select! {
                frame = stream.next() => {
                    let message = match frame {
                        None | Some(Ok(Message::Close(_))) => return None,
                        Some(Err(error)) => {
                            return too_large(error).then_some(Close::MessageTooLarge);
                        }
                        Some(Ok(message)) => message,
                    };
                    match message {
                        Message::Text(text) => {
                            if let Err(retry) = messages.take() {
                                refused_in_row += 1;
                                if refused_in_row > 200 {
                                    return Some(Close::RateLimited);
                                }
                                self.error(ErrorCode::RateLimited, "too many messages per second".into(), None, Some(retry));
                                continue;
                            }
                            match ClientMsg::parse(&text) {
                                Ok(ClientMsg::DocumentChange(change)) => {
                                    if let Err(retry) = changes.take() {
                                        refused_in_row += 1;
                                        if refused_in_row > 200 {
                                            return Some(Close::RateLimited);
                                        }
                                        self.error(
                                            ErrorCode::RateLimited,
                                            format!("more than {} changes per second; re-send this one later", config.changes_per_second),
                                            Some(change.seq),
                                            Some(retry),
                                        );
                                        continue;
                                    }
                                    refused_in_row = 0;
                                    self.tell(Command::Change(self.id, change, Instant::now())).await;
                                }
                                Ok(ClientMsg::CursorPosition(c)) => {
                                    cursor = Some((c.revision, c.selection));
                                    if Instant::now() >= cursor_sent + cursor_every {
                                        cursor_sent = Instant::now();
                                        if let Some((revision, selection)) = cursor.take() {
                                            self.tell(Command::Cursor(self.id, revision, selection)).await;
                                        }
                                    }
                                }
                                Ok(ClientMsg::Save) => self.tell(Command::Save(self.id)).await,
                                Ok(ClientMsg::Ping(id)) => self.queue(&ServerMsg::Pong { id }),
                                Ok(ClientMsg::Auth(_)) => self.error(
                                    ErrorCode::InvalidMessage,
                                    "`auth`: this connection is authenticated already".into(),
                                    None,
                                    None,
                                ),
                                Err(error) => self.error(error.code, error.message, None, None),
                            }
                        }
                        Message::Binary(_) => self.error(
                            ErrorCode::BinaryNotSupported,
                            "messages are JSON text frames".into(),
                            None,
                            None,
                        ),
                        Message::Pong(_) => unanswered_pings = 0,
                        Message::Ping(_) | Message::Close(_) => {}
                    }
                }
                frame = out_rx.recv() => {
                    let frame = frame?;
                    let written = tokio::time::timeout(WRITE_TIMEOUT, async {
                        sink.feed(Message::Text(frame)).await?;
                        // Everything else already queued goes out with the same flush.
                        while let Ok(more) = out_rx.try_recv() {
                            sink.feed(Message::Text(more)).await?;
                        }
                        sink.flush().await
                    })
                    .await;
                    match written {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => return None,
                        // The client stopped reading: its socket buffers are full.
                        Err(_) => return Some(Close::SlowConsumer),
                    }
                }
                changed = close_rx.changed() => {
                    if changed.is_err() {
                        return Some(Close::ServerRestart);
                    }
                    let reason = *close_rx.borrow();
                    if let Some(reason) = reason {
                        // Messages queued before the close still go out first.
                        while let Ok(frame) = out_rx.try_recv() {
                            let _ = sink.feed(Message::Text(frame)).await;
                        }
                        return Some(reason);
                    }
                }
                _ = ping.tick() => {
                    if unanswered_pings >= 2 {
                        return Some(Close::Unresponsive);
                    }
                    unanswered_pings += 1;
                    match tokio::time::timeout(WRITE_TIMEOUT, sink.send(Message::Ping(bytes::Bytes::new()))).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => return None,
                        Err(_) => return Some(Close::SlowConsumer),
                    }
                }
                _ = async {
                    match cursor_due {
                        Some(at) => tokio::time::sleep_until(at.into()).await,
                        None => std::future::pending().await,
                    }
                } => {
                    cursor_sent = Instant::now();
                    if let Some((revision, selection)) = cursor.take() {
                        self.tell(Command::Cursor(self.id, revision, selection)).await;
                    }
                }
            }
        }
    }

    async fn tell(&self, command: Command) {
        let _ = self.handle.tx.send(command).await;
    }

    fn queue(&self, message: &ServerMsg) {
        let _ = self.out.try_send(Utf8Bytes::from(message.to_json()));
    }

    fn error(
        &self,
        code: ErrorCode,
        message: String,
        seq: Option<u64>,
        retry_after_ms: Option<u64>,
    ) {
        self.hub.metrics.error(code);
        self.queue(&ServerMsg::Error {
            code,
            message,
            seq,
            retry_after_ms,
        });
    }
}

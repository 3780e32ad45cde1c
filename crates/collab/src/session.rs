//! One WebSocket connection: the `auth` handshake, then one task that reads the client's
//! messages (rate-limited, cursors coalesced) and writes what its document's actor queues
//! for it (batched into one flush), pings, and closes with the protocol's codes.

use crate::document::actor::{Command, Conn, Handle};
use crate::hub::Hub;
use crate::outbox::Next;
use crate::protocol::{AuthMsg, ClientMsg, Close, ErrorCode, Selection, ServerMsg};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;
use uuid::Uuid;

type Sink = SplitSink<WebSocket, Message>;

/// A client that takes no data for this long while the server writes is a slow consumer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
type Stream = SplitStream<WebSocket>;

/// Refusals in a row (rate-limited messages with nothing let through between them); past
/// `MAX`, the connection is closed with `rate_limited`.
#[derive(Default)]
struct Refusals(u32);

impl Refusals {
    const MAX: u32 = 200;

    /// Counts one; true when that is one too many.
    fn one_more(&mut self) -> bool {
        self.0 += 1;
        self.0 > Self::MAX
    }

    fn reset(&mut self) {
        self.0 = 0;
    }
}

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

/// Who a socket belongs to, once its `auth` has been checked.
struct Admitted {
    user_id: Uuid,
    login_session: Uuid,
    client_id: Uuid,
    revision: Option<u64>,
    role: crate::clients::Role,
    display_name: String,
}

/// Reads and checks `auth` (token, role, display name). `Err(None)`: the client went
/// away; `Err(Some(reason))`: close with `reason`.
async fn admit(
    hub: &Hub,
    doc: Uuid,
    stream: &mut Stream,
    bearer: Option<String>,
) -> Result<Admitted, Option<Close>> {
    let timeout = Duration::from_secs(hub.config.auth_timeout_secs);
    // Pings and pongs before `auth` are transport (tungstenite answers pings itself), not
    // the client's first message: skip them, within the same deadline.
    let first = async {
        loop {
            match stream.next().await {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => return other,
            }
        }
    };
    let auth: AuthMsg = match tokio::time::timeout(timeout, first).await {
        Err(_) => return Err(Some(Close::AuthTimeout)),
        Ok(None) | Ok(Some(Ok(Message::Close(_)))) => return Err(None),
        Ok(Some(Err(error))) => return Err(too_large(error).then_some(Close::MessageTooLarge)),
        Ok(Some(Ok(Message::Text(text)))) => match ClientMsg::parse(&text) {
            Ok(ClientMsg::Auth(auth)) => auth,
            Ok(_) => return Err(Some(Close::Unauthorized)),
            Err(_) => return Err(Some(Close::BadRequest)),
        },
        Ok(Some(Ok(_))) => return Err(Some(Close::BadRequest)),
    };
    let token = auth.token.or(bearer).ok_or(Some(Close::Unauthorized))?;
    let caller = match hub.verifier.verify(&token).await {
        Ok(caller) => caller,
        Err(tandem_platform::auth::AuthError::Unavailable(_)) => {
            return Err(Some(Close::TryAgainLater));
        }
        Err(_) => return Err(Some(Close::Unauthorized)),
    };
    let role = match hub.documents.access(doc, caller.user_id).await {
        Ok(Some(access)) => access.role,
        Ok(None) => return Err(Some(Close::NotFound)),
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "cannot check a document role");
            return Err(Some(Close::TryAgainLater));
        }
    };
    let display_name = hub
        .users
        .display_name(caller.user_id, &token)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| "Someone".to_owned());
    Ok(Admitted {
        user_id: caller.user_id,
        login_session: caller.session_id,
        client_id: auth.client_id,
        revision: auth.revision,
        role,
        display_name,
    })
}

/// Serves one socket on `doc` until it closes. `bearer` is a token sent on the upgrade.
///
/// Every stage but the message loop is boxed: an async function's state is as large as
/// its largest stage, and the handshake's (HTTP calls to other services) would otherwise
/// stay in every idle connection's task for its whole life.
pub async fn serve(hub: Arc<Hub>, doc: Uuid, socket: WebSocket, bearer: Option<String>) {
    let (mut sink, mut stream) = socket.split();
    let admitted = match Box::pin(admit(&hub, doc, &mut stream, bearer)).await {
        Ok(admitted) => admitted,
        Err(None) => return,
        Err(Some(reason)) => return Box::pin(close(&mut sink, &mut stream, &hub, reason)).await,
    };
    let conn_id = Uuid::now_v7();
    let span = tracing::info_span!(
        "collab_connection",
        document_id = %doc,
        user_id = %admitted.user_id,
        session_id = %conn_id,
    );
    let (user_id, login_session) = (admitted.user_id, admitted.login_session);
    async move {
        if let Err(reason) = hub.register(user_id, login_session, doc, conn_id) {
            return Box::pin(close(&mut sink, &mut stream, &hub, reason)).await;
        }
        let (out, reader) = crate::outbox::outbox(hub.config.outgoing_queue.max(16));
        let conn = Conn {
            id: conn_id,
            user_id,
            login_session,
            client_id: admitted.client_id,
            role: admitted.role,
            display_name: admitted.display_name,
            color: crate::presence::color(user_id),
            out,
        };
        match Box::pin(hub.join(doc, conn, admitted.revision)).await {
            Ok(handle) => {
                tracing::info!("joined");
                let reason = Connection {
                    hub: &hub,
                    handle: &handle,
                    id: conn_id,
                    out: reader,
                }
                .run(&mut sink, &mut stream)
                .await;
                let _ = handle.tx.send(Command::Leave(conn_id)).await;
                if let Some(reason) = reason {
                    Box::pin(close(&mut sink, &mut stream, &hub, reason)).await;
                }
                tracing::info!(reason = reason.map(Close::reason), "left");
            }
            Err(reason) => Box::pin(close(&mut sink, &mut stream, &hub, reason)).await,
        }
        hub.unregister(user_id, login_session, doc, conn_id);
    }
    .instrument(span)
    .await;
}

struct Connection<'a> {
    hub: &'a Hub,
    handle: &'a Handle,
    id: Uuid,
    out: crate::outbox::Reader,
}

impl Connection<'_> {
    /// Runs until the socket ends; returns the close to send, if the server closes it.
    async fn run(&self, sink: &mut Sink, stream: &mut Stream) -> Option<Close> {
        let config = &self.hub.config;
        let mut changes = Bucket::new(config.changes_per_second, config.changes_burst);
        let mut messages = Bucket::new(config.changes_per_second * 4, config.changes_burst * 4);
        let mut refused = Refusals::default();
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
                                if refused.one_more() {
                                    return Some(Close::RateLimited);
                                }
                                self.error(ErrorCode::RateLimited, "too many messages per second".into(), None, Some(retry));
                                continue;
                            }
                            let parsed = ClientMsg::parse(&text);
                            // "In a row": any message let through ends a run of refusals.
                            if !matches!(parsed, Ok(ClientMsg::DocumentChange(_))) {
                                refused.reset();
                            }
                            match parsed {
                                Ok(ClientMsg::DocumentChange(change)) => {
                                    if let Err(retry) = changes.take() {
                                        if refused.one_more() {
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
                                    refused.reset();
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
                                Ok(ClientMsg::Undo(action, msg)) => {
                                    // An undo commits an op: it counts against the change rate.
                                    if changes.take().is_err() {
                                        if refused.one_more() {
                                            return Some(Close::RateLimited);
                                        }
                                        self.error(
                                            ErrorCode::RateLimited,
                                            format!("more than {} changes per second; undo again later", config.changes_per_second),
                                            None,
                                            None,
                                        );
                                    } else {
                                        self.tell(Command::Undo(self.id, action, msg.id)).await;
                                    }
                                }
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
                        Message::Binary(_) => {
                            // Counted like any message: each refusal costs a reply.
                            if messages.take().is_err() {
                                if refused.one_more() {
                                    return Some(Close::RateLimited);
                                }
                                continue;
                            }
                            self.error(
                                ErrorCode::BinaryNotSupported,
                                "messages are JSON text frames".into(),
                                None,
                                None,
                            );
                        }
                        Message::Pong(_) => unanswered_pings = 0,
                        Message::Ping(_) | Message::Close(_) => {}
                    }
                }
                next = self.out.next() => {
                    let frames = match next {
                        Next::Send(frames) => frames,
                        Next::Close(reason) => return Some(reason),
                    };
                    let written = tokio::time::timeout(WRITE_TIMEOUT, async {
                        // Everything queued goes out with one flush.
                        for frame in frames {
                            sink.feed(Message::Text(frame)).await?;
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
        self.out.push(Utf8Bytes::from(message.to_json()));
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

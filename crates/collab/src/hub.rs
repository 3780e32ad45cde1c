//! The instance: its open documents (one actor each), its connections, and the background
//! tasks that connect it to the others (inbox, document events, session checks, op log
//! retention).

use crate::clients::{Documents, Role, Users};
use crate::commit::Committer;
use crate::config::CollabConfig;
use crate::document::actor::{Actor, Command, Conn, Handle, RestEdit};
use crate::fanout::{self, EditAnswer, Message, Publisher, UndoAnswer, UndoRequest};
use crate::metrics::Metrics;
use crate::protocol::{Close, ErrorCode, ParticipantInfo};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tandem_platform::Platform;
use tandem_platform::auth::Verifier;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// How long a drain waits for the documents to save and close.
const DRAIN_WAIT: Duration = Duration::from_secs(10);

/// Commands an actor queues before its sender waits.
const ACTOR_QUEUE: usize = 8192;

/// One instance of the Collaboration Service.
#[derive(Debug)]
pub struct Hub {
    /// Connections, Redis, metrics registry.
    pub platform: Platform,
    /// `[collab]`.
    pub config: CollabConfig,
    /// This process's id among the instances (new at every start).
    pub instance: String,
    /// The Document Service.
    pub documents: Documents,
    /// The User Service.
    pub users: Users,
    /// Access tokens.
    pub verifier: Verifier,
    /// The group committer.
    pub committer: Committer,
    /// Messages to other instances.
    pub publisher: Publisher,
    /// The service's metrics.
    pub metrics: Metrics,
    /// Operation limits for clients.
    pub op_limits: tandem_ot::Limits,
    actors: Mutex<HashMap<Uuid, Handle>>,
    generation: AtomicU64,
    connections: Mutex<Connections>,
    edits: Mutex<HashMap<Uuid, oneshot::Sender<EditAnswer>>>,
    undos: Mutex<HashMap<Uuid, oneshot::Sender<UndoAnswer>>>,
    draining: AtomicBool,
    /// Actors still running, and a wake-up for when the last one ends.
    running: std::sync::atomic::AtomicUsize,
    all_ended: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct Connections {
    per_user: HashMap<Uuid, usize>,
    /// Login session → the (document, connection) pairs it has open.
    sessions: HashMap<Uuid, HashSet<(Uuid, Uuid)>>,
}

impl Hub {
    /// The instance, with its background tasks started.
    pub fn start(
        platform: Platform,
        config: CollabConfig,
        verifier: Verifier,
        documents: Documents,
    ) -> Arc<Self> {
        let metrics = Metrics::register(&platform.metrics);
        let hub = Arc::new(Self {
            instance: Uuid::new_v4().simple().to_string(),
            users: Users::new(platform.config.services.users_url.clone()),
            committer: Committer::spawn(platform.db.clone(), metrics.clone()),
            publisher: Publisher::spawn(platform.redis.clone()),
            op_limits: config.op_limits(),
            metrics,
            documents,
            verifier,
            config,
            platform,
            actors: Mutex::default(),
            generation: AtomicU64::new(0),
            connections: Mutex::default(),
            edits: Mutex::default(),
            undos: Mutex::default(),
            draining: AtomicBool::new(false),
            running: std::sync::atomic::AtomicUsize::new(0),
            all_ended: tokio::sync::Notify::new(),
        });
        let reader = hub.clone();
        tokio::spawn(fanout::read_inbox(
            hub.platform.config.redis.url.clone(),
            fanout::inbox_key(&hub.platform.redis, &hub.instance),
            move |message| reader.dispatch(message),
        ));
        tokio::spawn(crate::events::run(hub.clone()));
        tokio::spawn(watch_sessions(hub.clone()));
        tokio::spawn(crate::retention::run(hub.clone()));
        hub
    }

    fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        mutex
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether the instance is shutting down (new sockets are refused).
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    /// The actor of `doc`, if it is open here.
    pub fn existing(&self, doc: Uuid) -> Option<Handle> {
        Self::lock(&self.actors).get(&doc).cloned()
    }

    /// The actor of `doc`, opening the document if it is not open here.
    pub fn open(self: &Arc<Self>, doc: Uuid) -> Result<Handle, Close> {
        let mut actors = Self::lock(&self.actors);
        if let Some(handle) = actors.get(&doc) {
            // A stopped actor (it panicked, say) is replaced rather than asked again.
            if !handle.tx.is_closed() {
                return Ok(handle.clone());
            }
            actors.remove(&doc);
        }
        if actors.len() >= self.config.max_open_documents {
            return Err(Close::TryAgainLater);
        }
        let (tx, rx) = mpsc::channel(ACTOR_QUEUE);
        let generation = self.generation.fetch_add(1, Ordering::Relaxed);
        let handle = Handle {
            tx: tx.clone(),
            generation,
        };
        actors.insert(doc, handle.clone());
        let hub = self.clone();
        self.running.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            use futures::FutureExt;
            let run =
                std::panic::AssertUnwindSafe(Actor::run(hub.clone(), doc, tx, rx, generation));
            if run.catch_unwind().await.is_err() {
                // A bug: its sockets see their actor gone and close with 1012; the next
                // join opens the document afresh from PostgreSQL.
                tracing::error!(document_id = %doc, "a document actor panicked");
                hub.forget(doc, generation);
            }
            if hub.running.fetch_sub(1, Ordering::SeqCst) == 1 {
                hub.all_ended.notify_waiters();
            }
        });
        Ok(handle)
    }

    /// Called by an actor that stops: forgets it unless a newer one took its place.
    pub fn forget(&self, doc: Uuid, generation: u64) {
        let mut actors = Self::lock(&self.actors);
        if actors.get(&doc).is_some_and(|h| h.generation == generation) {
            actors.remove(&doc);
        }
    }

    /// Joins `conn` to `doc`; the welcome is queued on the connection when this returns.
    pub async fn join(
        self: &Arc<Self>,
        doc: Uuid,
        conn: Conn,
        revision: Option<u64>,
    ) -> Result<Handle, Close> {
        // Twice: an actor may be stopping just as the join arrives.
        let mut conn = Some(conn);
        for _ in 0..2 {
            let handle = self.open(doc)?;
            let (reply, answer) = oneshot::channel();
            let Some(c) = conn.take() else { break };
            match handle
                .tx
                .send(Command::Join(Box::new(c), revision, reply))
                .await
            {
                Ok(()) => match answer.await {
                    Ok(result) => return result.map(|()| handle),
                    Err(_) => continue,
                },
                Err(mpsc::error::SendError(Command::Join(c, _, _))) => conn = Some(*c),
                Err(_) => break,
            }
        }
        Err(Close::TryAgainLater)
    }

    /// Counts a connection of `user` (refused past the per-user limit).
    pub fn register(
        &self,
        user: Uuid,
        login_session: Uuid,
        doc: Uuid,
        conn: Uuid,
    ) -> Result<(), Close> {
        let mut connections = Self::lock(&self.connections);
        let count = connections.per_user.entry(user).or_default();
        if *count >= self.config.max_connections_per_user {
            return Err(Close::TooManyConnections);
        }
        *count += 1;
        connections
            .sessions
            .entry(login_session)
            .or_default()
            .insert((doc, conn));
        self.metrics.socket(1);
        Ok(())
    }

    /// Forgets a connection counted by [`Hub::register`].
    pub fn unregister(&self, user: Uuid, login_session: Uuid, doc: Uuid, conn: Uuid) {
        let mut connections = Self::lock(&self.connections);
        if let Some(count) = connections.per_user.get_mut(&user) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                connections.per_user.remove(&user);
            }
        }
        if let Some(set) = connections.sessions.get_mut(&login_session) {
            set.remove(&(doc, conn));
            if set.is_empty() {
                connections.sessions.remove(&login_session);
            }
        }
        self.metrics.socket(-1);
    }

    /// Hands a message from the inbox to the document's actor (opening the document when
    /// it is addressed to its writer).
    fn dispatch(self: &Arc<Self>, message: Message) {
        if let Message::EditReply { request_id, answer } = message {
            if let Some(reply) = Self::lock(&self.edits).remove(&request_id) {
                let _ = reply.send(answer);
            }
            return;
        }
        if let Message::UndoReply { request_id, answer } = message {
            if let Some(reply) = Self::lock(&self.undos).remove(&request_id) {
                let _ = reply.send(answer);
            }
            return;
        }
        let Some(doc) = message.document() else {
            return;
        };
        let for_writer = matches!(
            message,
            Message::Forward { .. } | Message::EditRequest { .. } | Message::UndoRequest { .. }
        );
        let handle = if for_writer {
            self.open(doc).ok()
        } else {
            self.existing(doc)
        };
        if let Some(handle) = handle {
            // Never wait here: the inbox reader serves every document. A full actor drops
            // the message; what matters is recovered (gaps from PostgreSQL, re-forwards).
            let _ = handle.tx.try_send(Command::Remote(message));
        }
    }

    /// Sends `command` to `doc`'s actor if the document is open here.
    pub fn tell(&self, doc: Uuid, command: Command) {
        if let Some(handle) = self.existing(doc)
            && let Err(mpsc::error::TrySendError::Full(command)) = handle.tx.try_send(command)
        {
            // These are revocations, trash, session ends: a busy document must still get
            // them, so wait for room rather than drop them.
            tokio::spawn(async move {
                let _ = handle.tx.send(command).await;
            });
        }
    }

    /// Hands a REST edit to the document's live session, wherever its writer is.
    pub async fn edit(self: &Arc<Self>, doc: Uuid, edit: RestEdit) -> EditAnswer {
        let holder = match crate::presence::holder(&self.platform.redis, doc).await {
            Ok(holder) => holder,
            Err(error) => {
                return EditAnswer::Failed {
                    message: format!("Redis: {error}"),
                };
            }
        };
        match holder {
            None => EditAnswer::NoSession,
            Some(writer) if writer == self.instance => {
                let Some(handle) = self.existing(doc) else {
                    return EditAnswer::NoSession;
                };
                let (reply, answer) = oneshot::channel();
                if handle.tx.send(Command::Edit(edit, reply)).await.is_err() {
                    return EditAnswer::NoSession;
                }
                answer.await.unwrap_or(EditAnswer::NoSession)
            }
            Some(writer) => {
                let request_id = Uuid::new_v4();
                let (reply, answer) = oneshot::channel();
                Self::lock(&self.edits).insert(request_id, reply);
                let message = Message::EditRequest {
                    doc,
                    reply_to: self.instance.clone(),
                    request_id,
                    user_id: edit.user_id,
                    base_version: edit.base_version,
                    content: edit.content,
                };
                self.publisher.send(&[writer], &message);
                let answer = tokio::time::timeout(Duration::from_secs(8), answer).await;
                Self::lock(&self.edits).remove(&request_id);
                match answer {
                    Ok(Ok(answer)) => answer,
                    _ => EditAnswer::Failed {
                        message: "the document's writer did not answer".into(),
                    },
                }
            }
        }
    }

    /// Has the document's writer undo (or redo) `request`'s step, wherever it is; opens
    /// the document here if nobody does.
    pub async fn undo(self: &Arc<Self>, doc: Uuid, request: UndoRequest) -> UndoAnswer {
        let holder = match crate::presence::holder(&self.platform.redis, doc).await {
            Ok(holder) => holder,
            Err(error) => {
                return UndoAnswer::error(ErrorCode::FanoutUnavailable, format!("Redis: {error}"));
            }
        };
        match holder {
            Some(writer) if writer != self.instance => {
                let request_id = Uuid::new_v4();
                let (reply, answer) = oneshot::channel();
                Self::lock(&self.undos).insert(request_id, reply);
                let message = Message::UndoRequest {
                    doc,
                    reply_to: self.instance.clone(),
                    request_id,
                    request,
                };
                self.publisher.send(&[writer], &message);
                let answer = tokio::time::timeout(Duration::from_secs(8), answer).await;
                Self::lock(&self.undos).remove(&request_id);
                answer.ok().and_then(Result::ok).unwrap_or_else(|| {
                    UndoAnswer::error(
                        ErrorCode::UndoFailed,
                        "the document's writer did not answer; try again",
                    )
                })
            }
            _ => {
                let handle = match self.open(doc) {
                    Ok(handle) => handle,
                    Err(close) => {
                        return UndoAnswer::error(
                            ErrorCode::UndoFailed,
                            format!("the document cannot be opened now ({})", close.reason()),
                        );
                    }
                };
                let (reply, answer) = oneshot::channel();
                if handle
                    .tx
                    .send(Command::UndoFor(request, reply))
                    .await
                    .is_err()
                {
                    return UndoAnswer::error(
                        ErrorCode::UndoFailed,
                        "the document closed; try again",
                    );
                }
                answer.await.unwrap_or_else(|_| {
                    UndoAnswer::error(ErrorCode::UndoFailed, "the document closed; try again")
                })
            }
        }
    }

    /// Everyone present on `doc`, on any instance.
    pub async fn participants(&self, doc: Uuid) -> Result<Vec<ParticipantInfo>, redis::RedisError> {
        let present = crate::presence::read(&self.platform.redis, doc).await?;
        Ok(present.into_iter().map(|p| p.participant).collect())
    }

    /// Closes every socket with 1012 so clients reconnect elsewhere at once, and waits (up to
    /// `DRAIN_WAIT`) for every document to save and let go of its lease.
    pub async fn drain(&self) {
        self.draining.store(true, Ordering::Relaxed);
        let handles: Vec<Handle> = Self::lock(&self.actors).values().cloned().collect();
        for handle in handles {
            let _ = handle.tx.send(Command::Drain).await;
        }
        // Each actor closes its sockets, then saves, snapshots and releases its lease: wait
        // for that (within reason), or the process could end with a save unrecorded and the
        // lease held until it expires.
        let ended = async {
            loop {
                let notified = self.all_ended.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if self.running.load(Ordering::SeqCst) == 0 {
                    return;
                }
                notified.await;
            }
        };
        if tokio::time::timeout(DRAIN_WAIT, ended).await.is_err() {
            tracing::warn!(
                still_running = self.running.load(Ordering::SeqCst),
                "documents did not all close in time"
            );
        }
    }

    /// Closes the connections of ended login sessions.
    fn sessions_ended(&self, ended: &[Uuid]) {
        let mut by_doc: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        {
            let connections = Self::lock(&self.connections);
            for session in ended {
                for (doc, _) in connections.sessions.get(session).into_iter().flatten() {
                    by_doc.entry(*doc).or_default().push(*session);
                }
            }
        }
        for (doc, sessions) in by_doc {
            self.tell(doc, Command::SessionsEnded(sessions));
        }
    }

    /// Applies a role change to the open document.
    pub fn access_changed(&self, doc: Uuid, user: Uuid, role: Option<Role>) {
        self.tell(doc, Command::Access(user, role));
    }
}

/// Checks every few seconds, in one Redis round trip, that the login sessions of open
/// sockets are live: logout, a password change or a revoked session closes them.
async fn watch_sessions(hub: Arc<Hub>) {
    let mut every =
        tokio::time::interval(Duration::from_secs(hub.config.session_check_secs.max(1)));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let sessions: Vec<Uuid> = Hub::lock(&hub.connections)
            .sessions
            .keys()
            .copied()
            .collect();
        if sessions.is_empty() {
            continue;
        }
        match tandem_platform::auth::live_sessions(&hub.platform.redis, &sessions).await {
            Ok(live) => {
                let ended: Vec<Uuid> = sessions
                    .iter()
                    .zip(live)
                    .filter(|(_, live)| !live)
                    .map(|(s, _)| *s)
                    .collect();
                if !ended.is_empty() {
                    hub.sessions_ended(&ended);
                }
            }
            // Without Redis nothing can be checked; sockets stay until it returns.
            Err(error) => tracing::debug!(%error, "cannot check sessions"),
        }
    }
}

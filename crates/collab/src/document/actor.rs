//! The task that owns one open document on this instance: every change, cursor, join and
//! leave of the document's clients here goes through it, in order.
//!
//! It is the document's *writer* (it holds the lease and the epoch, and commits) or a
//! *follower* (it keeps a replica from the writer's committed ops and forwards its
//! clients' changes); `writer.rs` and `follower.rs` hold what differs.

use super::core::{Core, Entry};
use super::follower::Follower;
use super::undo::Action;
use super::writer::Writer;
use crate::clients::Role;
use crate::fanout::{EditAnswer, Message, UndoAnswer, UndoRequest};
use crate::hub::Hub;
use crate::presence::{self, Present};
use crate::protocol::{
    ChangeMsg, Close, ErrorCode, ParticipantInfo, Selection, ServerMsg, Welcome,
};
use axum::extract::ws::Utf8Bytes;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// A connection as its document's actor holds it.
#[derive(Debug)]
pub struct Conn {
    /// The connection's id (`session_id` in the protocol).
    pub id: Uuid,
    /// The user.
    pub user_id: Uuid,
    /// The user's login session (checked for logout).
    pub login_session: Uuid,
    /// The editor's stable id.
    pub client_id: Uuid,
    /// The user's role.
    pub role: Role,
    /// Display name.
    pub display_name: String,
    /// Colour.
    pub color: &'static str,
    /// Frames to send, bounded: a full queue is a slow consumer. Also how the
    /// connection's task is told to close the socket.
    pub out: crate::outbox::Outbox,
}

impl Conn {
    /// Queues `frame`; false if the queue is full (the caller closes the connection).
    pub fn send(&self, frame: &Utf8Bytes) -> bool {
        self.out.push(frame.clone())
    }

    /// Closes the socket with `reason`.
    pub fn close(&self, reason: Close) {
        self.out.close(reason);
    }

    pub(super) fn info(&self, selection: Option<Selection>) -> ParticipantInfo {
        ParticipantInfo {
            session_id: self.id,
            user_id: self.user_id,
            display_name: self.display_name.clone(),
            color: self.color.to_owned(),
            selection,
        }
    }
}

/// A REST edit handed to the live session.
#[derive(Debug)]
pub struct RestEdit {
    /// The editor.
    pub user_id: Uuid,
    /// The version they edited.
    pub base_version: i64,
    /// The new content.
    pub content: String,
}

/// What an actor is told.
#[derive(Debug)]
pub enum Command {
    /// A connection joins (answered once its welcome is queued).
    Join(Box<Conn>, Option<u64>, oneshot::Sender<Result<(), Close>>),
    /// A connection closed.
    Leave(Uuid),
    /// A change from a connection.
    Change(Uuid, ChangeMsg, Instant),
    /// A cursor from a connection.
    Cursor(Uuid, u64, Option<Selection>),
    /// A connection asks for a save.
    Save(Uuid),
    /// A message from another instance.
    Remote(Message),
    /// A user's role changed (`None`: revoked).
    Access(Uuid, Option<Role>),
    /// The document was renamed.
    Title(String),
    /// The content changed outside the session, now at this version.
    ContentChanged(i64),
    /// The document was trashed or deleted.
    Gone,
    /// These login sessions ended.
    SessionsEnded(Vec<Uuid>),
    /// A REST edit.
    Edit(RestEdit, oneshot::Sender<EditAnswer>),
    /// The participants, for REST.
    Participants(oneshot::Sender<Vec<ParticipantInfo>>),
    /// The instance is shutting down.
    Drain,
    /// A group commit returned (writer).
    Committed(crate::commit::Outcome),
    /// A save returned (writer).
    Saved(Box<super::writer::SaveResult>),
    /// The instances with clients on the document, read in the background.
    Peers(Vec<String>),
    /// A lease renewal for this writer epoch found the lease taken (writer).
    LeaseLost(i64),
    /// A connection asks to undo or redo (with the id to echo).
    Undo(Uuid, Action, Option<serde_json::Value>),
    /// An undo over REST or from another instance, for the writer.
    UndoFor(UndoRequest, oneshot::Sender<UndoAnswer>),
    /// The answer to a connection's undo.
    UndoAnswered(Uuid, Action, Option<serde_json::Value>, UndoAnswer),
}

/// A handle to a document's actor.
#[derive(Debug, Clone)]
pub struct Handle {
    /// Commands to it.
    pub tx: mpsc::Sender<Command>,
    /// Tells this actor apart from an earlier one of the same document.
    pub generation: u64,
}

/// A participant on another instance.
#[derive(Debug, Clone)]
pub(super) struct RemoteParticipant {
    pub info: ParticipantInfo,
}

pub(super) enum Mode {
    Writer(Box<Writer>),
    Follower(Box<Follower>),
}

/// One open document.
pub struct Actor {
    pub(super) hub: Arc<Hub>,
    pub(super) doc: Uuid,
    pub(super) core: Core,
    pub(super) mode: Mode,
    pub(super) conns: HashMap<Uuid, Conn>,
    pub(super) remote: HashMap<Uuid, RemoteParticipant>,
    /// Other instances with clients on the document (fan-out targets).
    pub(super) peers: Vec<String>,
    pub(super) title: String,
    /// The Document Service version last saved, and the revision it holds.
    pub(super) version: i64,
    pub(super) saved_revision: u64,
    pub(super) own: mpsc::Sender<Command>,
    pub(super) stopping: bool,
    idle_since: Option<Instant>,
    peers_refreshed: Instant,
    presence_refreshed: Instant,
    access_checked: Instant,
}

impl std::fmt::Debug for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Actor")
            .field("doc", &self.doc)
            .field("revision", &self.core.revision())
            .field("conns", &self.conns.len())
            .finish_non_exhaustive()
    }
}

impl Actor {
    /// Opens `doc` and runs its actor until it is idle, drained, or loses the document.
    pub async fn run(
        hub: Arc<Hub>,
        doc: Uuid,
        own: mpsc::Sender<Command>,
        mut commands: mpsc::Receiver<Command>,
        generation: u64,
    ) {
        let opened = match super::load::open(&hub, doc).await {
            Ok(opened) => opened,
            Err(close) => {
                hub.forget(doc, generation);
                commands.close();
                while let Ok(command) = commands.try_recv() {
                    refuse(command, close);
                }
                return;
            }
        };
        hub.metrics.document(1);
        let now = Instant::now();
        let long_ago = now.checked_sub(Duration::from_secs(3600)).unwrap_or(now);
        let mode = match opened.writer {
            Some(epoch) => Mode::Writer(Box::new(Writer::new(epoch, opened.version))),
            None => Mode::Follower(Box::new(Follower::new(opened.writer_instance))),
        };
        let mut actor = Actor {
            hub: hub.clone(),
            doc,
            core: opened.core,
            mode,
            conns: HashMap::new(),
            remote: HashMap::new(),
            peers: Vec::new(),
            title: opened.title,
            version: opened.version,
            saved_revision: opened.saved_revision,
            own,
            stopping: false,
            idle_since: Some(now),
            peers_refreshed: long_ago,
            presence_refreshed: long_ago,
            access_checked: now,
        };
        // Who is already here on other instances, for the first welcome.
        actor.sync_remote_presence().await;
        if let Some((version, content, author)) = opened.merge {
            actor.merge_outside_change(version, &content, author).await;
        }
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !actor.stopping {
            tokio::select! {
                command = commands.recv() => match command {
                    Some(command) => actor.handle(command).await,
                    None => break,
                },
                _ = tick.tick() => actor.on_tick().await,
            }
        }
        // From here no new command is taken: answer what is queued, then leave.
        hub.forget(doc, generation);
        commands.close();
        while let Ok(command) = commands.try_recv() {
            match command {
                Command::Committed(outcome) => actor.on_committed(outcome).await,
                other => refuse(other, Close::ServerRestart),
            }
        }
        actor.shut_down().await;
        hub.metrics.document(-1);
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Join(conn, revision, reply) => {
                let result = self.join(*conn, revision).await;
                let _ = reply.send(result);
            }
            Command::Leave(id) => self.leave(id).await,
            Command::Change(id, msg, at) => self.change_from(id, msg, at).await,
            Command::Cursor(id, revision, selection) => self.cursor_from(id, revision, selection),
            Command::Save(id) => self.save_requested(id).await,
            Command::Remote(message) => self.remote(message).await,
            Command::Access(user, role) => self.access_changed(user, role),
            Command::Title(title) => {
                self.title = title.clone();
                self.broadcast(&ServerMsg::TitleChanged { title }, None);
            }
            Command::ContentChanged(version) => self.content_changed(version).await,
            Command::Gone => self.gone().await,
            Command::SessionsEnded(sessions) => {
                let ended: Vec<Uuid> = self
                    .conns
                    .values()
                    .filter(|c| sessions.contains(&c.login_session))
                    .map(|c| c.id)
                    .collect();
                for id in ended {
                    self.close_conn(id, Close::SessionEnded).await;
                }
            }
            Command::Edit(edit, reply) => self.rest_edit(edit, reply).await,
            Command::Participants(reply) => {
                let _ = reply.send(self.participants(None));
            }
            Command::Drain => {
                let ids: Vec<Uuid> = self.conns.keys().copied().collect();
                for id in ids {
                    self.close_conn(id, Close::ServerRestart).await;
                }
                self.stopping = true;
            }
            Command::Committed(outcome) => self.on_committed(outcome).await,
            Command::Saved(result) => self.on_saved(*result).await,
            Command::Peers(peers) => self.peers = peers,
            Command::LeaseLost(epoch) => self.lease_lost(epoch).await,
            Command::Undo(id, action, request_id) => self.undo_from(id, action, request_id).await,
            Command::UndoFor(request, reply) => self.undo(request, reply).await,
            Command::UndoAnswered(id, action, request_id, answer) => {
                self.send_to(id, &undo_result(action, request_id, answer));
            }
        }
    }

    async fn join(&mut self, conn: Conn, revision: Option<u64>) -> Result<(), Close> {
        let config = &self.hub.config;
        if self.conns.len() + self.remote.len() >= config.max_participants {
            return Err(Close::DocumentFull);
        }
        if conn.role.can_write() {
            let writers = self.conns.values().filter(|c| c.role.can_write()).count();
            if writers >= config.max_writers {
                return Err(Close::DocumentFull);
            }
        }
        // At most one live socket per client id: the newer replaces the older.
        let older: Vec<Uuid> = self
            .conns
            .values()
            .filter(|c| c.client_id == conn.client_id)
            .map(|c| c.id)
            .collect();
        for id in older {
            self.close_conn(id, Close::Replaced).await;
        }
        self.load_client(conn.client_id).await?;
        let welcome = self.welcome(&conn, revision).await;
        if !conn.send(&frame(&ServerMsg::Welcome(Box::new(welcome)))) {
            return Err(Close::SlowConsumer);
        }
        let joined = ServerMsg::UserJoined {
            user_id: conn.user_id,
            session_id: conn.id,
            display_name: conn.display_name.clone(),
            color: conn.color.to_owned(),
        };
        self.broadcast(&joined, None);
        let message = Message::Joined {
            doc: self.doc,
            from: self.hub.instance.clone(),
            participant: conn.info(None),
            client_id: conn.client_id,
        };
        self.idle_since = None;
        self.conns.insert(conn.id, conn);
        // Be a fan-out target at once, and tell the others who joined.
        self.refresh_peers().await;
        self.hub.publisher.send(&self.peers, &message);
        self.publish_presence().await;
        Ok(())
    }

    /// Makes sure the core knows `client_id`'s last committed seq (from the log's table).
    pub(super) async fn load_client(&mut self, client_id: Uuid) -> Result<(), Close> {
        if self.core.client(client_id).is_some() {
            return Ok(());
        }
        let known = crate::store::meta::client_seq(&self.hub.platform.db, self.doc, client_id)
            .await
            .map_err(|error| {
                tracing::warn!(%error, "cannot read client seqs");
                Close::TryAgainLater
            })?;
        self.core.load_client(client_id, known.unwrap_or_default());
        Ok(())
    }

    async fn welcome(&self, conn: &Conn, revision: Option<u64>) -> Welcome {
        let head = self.core.revision();
        let mut content = None;
        let mut changes = None;
        let mut resync = false;
        match revision {
            None => content = Some(self.core.text().to_string()),
            Some(r) => {
                let missed = match self.core.since(r) {
                    Some(entries) => Some(entries),
                    None if r < head => self.missed_from_log(r, head).await,
                    None => None,
                };
                match missed {
                    Some(entries) => {
                        changes = Some(
                            entries
                                .iter()
                                .map(|e| catch_up_message(e, conn.client_id))
                                .collect(),
                        );
                    }
                    None => {
                        resync = true;
                        content = Some(self.core.text().to_string());
                    }
                }
                self.hub.metrics.resumed(resync);
            }
        }
        Welcome {
            protocol: crate::protocol::PROTOCOL_VERSION,
            session_id: conn.id,
            revision: head,
            content,
            changes,
            resync,
            last_seq: self.core.client(conn.client_id).unwrap_or_default().seq,
            document: crate::protocol::DocumentInfo {
                id: self.doc,
                title: self.title.clone(),
                version: self.version,
            },
            role: conn.role.as_str(),
            user: crate::protocol::UserInfo {
                id: conn.user_id,
                display_name: conn.display_name.clone(),
                color: conn.color.to_owned(),
            },
            participants: self.participants(Some(conn.id)),
            limits: self.hub.config.limits_info(),
        }
    }

    /// The committed entries after `from` from PostgreSQL, when the memory window no longer
    /// has them but the log does.
    async fn missed_from_log(&self, from: u64, head: u64) -> Option<Vec<Entry>> {
        let entries = crate::store::log::ops(&self.hub.platform.db, self.doc, from + 1, head)
            .await
            .ok()?;
        (entries.len() as u64 == head - from).then_some(entries)
    }

    /// Everyone present, local and remote, except `except`, with their cursors at the head.
    pub(super) fn participants(&self, except: Option<Uuid>) -> Vec<ParticipantInfo> {
        let local = self
            .conns
            .values()
            .filter(|c| Some(c.id) != except)
            .map(|c| c.info(self.core.cursor(c.id).map(Selection::from)));
        let remote = self.remote.values().map(|r| {
            let mut info = r.info.clone();
            info.selection = self.core.cursor(r.info.session_id).map(Selection::from);
            info
        });
        local.chain(remote).collect()
    }

    async fn leave(&mut self, id: Uuid) {
        let Some(conn) = self.conns.remove(&id) else {
            return;
        };
        self.core.forget_cursor(id);
        if !self.conns.values().any(|c| c.client_id == conn.client_id) {
            // Rebuilt from the log if the editor comes back and undoes.
            self.core.forget_stacks(conn.client_id);
        }
        let left = ServerMsg::UserLeft {
            user_id: conn.user_id,
            session_id: id,
        };
        self.broadcast(&left, None);
        let message = Message::Left {
            doc: self.doc,
            from: self.hub.instance.clone(),
            user_id: conn.user_id,
            session_id: id,
        };
        self.hub.publisher.send(&self.peers, &message);
        let _ = presence::remove(&self.hub.platform.redis, self.doc, &[id]).await;
        if self.conns.is_empty() {
            self.idle_since = Some(Instant::now());
            // The last participant here left: save now rather than after the debounce.
            if let Mode::Writer(writer) = &mut self.mode {
                writer.save.force = true;
            }
        }
    }

    /// Closes a connection's socket and removes it as if it had left.
    pub(super) async fn close_conn(&mut self, id: Uuid, reason: Close) {
        if let Some(conn) = self.conns.get(&id) {
            conn.close(reason);
        }
        self.leave(id).await;
    }

    /// Sends `message` to every local connection but `except`; closes slow consumers.
    pub(super) fn broadcast(&mut self, message: &ServerMsg, except: Option<Uuid>) {
        let frame = frame(message);
        self.broadcast_frame(&frame, except);
    }

    pub(super) fn broadcast_frame(&mut self, frame: &Utf8Bytes, except: Option<Uuid>) {
        let mut slow = Vec::new();
        for conn in self.conns.values() {
            if Some(conn.id) != except && !conn.send(frame) {
                slow.push(conn.id);
            }
        }
        for id in slow {
            self.slow_consumer(id);
        }
    }

    /// Sends `message` to one connection.
    pub(super) fn send_to(&mut self, id: Uuid, message: &ServerMsg) {
        let sent = self.conns.get(&id).is_none_or(|c| c.send(&frame(message)));
        if !sent {
            self.slow_consumer(id);
        }
    }

    /// Sends an `error` to one connection.
    pub(super) fn error_to(
        &mut self,
        id: Uuid,
        code: ErrorCode,
        message: String,
        seq: Option<u64>,
        retry_after_ms: Option<u64>,
    ) {
        self.hub.metrics.error(code);
        self.send_to(
            id,
            &ServerMsg::Error {
                code,
                message,
                seq,
                retry_after_ms,
            },
        );
    }

    fn slow_consumer(&mut self, id: Uuid) {
        if let Some(conn) = self.conns.get(&id) {
            // The socket task notices and closes; `Leave` then removes it.
            conn.close(Close::SlowConsumer);
        }
    }

    /// Delivers committed entries to this instance's connections: an `ack` to the author's
    /// client (wherever its change came from), `document_change` to everyone else.
    pub(super) fn deliver(&mut self, entries: &[Entry]) {
        for entry in entries {
            let change = frame(&ServerMsg::DocumentChange {
                revision: entry.revision,
                operation: entry.op.clone(),
                user_id: entry.author.user_id,
                session_id: entry.author.session_id,
                selection: entry.selection.map(Selection::from),
                kind: entry.kind,
            });
            let author = (entry.author.seq > 0)
                .then(|| {
                    self.conns
                        .values()
                        .find(|c| c.client_id == entry.author.client_id)
                        .map(|c| c.id)
                })
                .flatten();
            if let Some(author) = author {
                self.send_to(
                    author,
                    &ServerMsg::Ack {
                        seq: entry.author.seq,
                        revision: entry.revision,
                    },
                );
            }
            self.broadcast_frame(&change, author);
        }
    }

    async fn change_from(&mut self, id: Uuid, msg: ChangeMsg, at: Instant) {
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        if !conn.role.can_write() {
            let seq = msg.seq;
            self.error_to(
                id,
                ErrorCode::ReadOnly,
                format!(
                    "your role is {}: readers cannot change the document",
                    conn.role.as_str()
                ),
                Some(seq),
                None,
            );
            return;
        }
        let author = super::core::Author {
            user_id: conn.user_id,
            session_id: conn.id,
            client_id: conn.client_id,
            seq: msg.seq,
        };
        match &mut self.mode {
            Mode::Writer(_) => {
                let origin = super::writer::Origin::Local(id);
                let change = super::writer::Submission {
                    base: msg.revision,
                    op: msg.operation.get().to_owned(),
                    selection: msg.selection,
                    kind: msg.kind,
                };
                self.submit_change(origin, author, change, at).await;
            }
            Mode::Follower(_) => self.forward(author, msg).await,
        }
    }

    /// A connection's `undo` or `redo`: carried out here if this is the writer, else by
    /// the writer; the answer comes back as a command.
    async fn undo_from(&mut self, id: Uuid, action: Action, request_id: Option<serde_json::Value>) {
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        if !conn.role.can_write() {
            let message = format!("your role is {}: readers cannot undo", conn.role.as_str());
            let answer = UndoAnswer::error(ErrorCode::ReadOnly, message);
            self.send_to(id, &undo_result(action, request_id, answer));
            return;
        }
        let request = UndoRequest {
            user_id: conn.user_id,
            session_id: id,
            client_id: conn.client_id,
            action,
        };
        let (reply, answer) = oneshot::channel();
        match &self.mode {
            Mode::Writer(_) => self.undo(request, reply).await,
            Mode::Follower(_) => {
                let (hub, doc) = (self.hub.clone(), self.doc);
                tokio::spawn(async move {
                    let _ = reply.send(hub.undo(doc, request).await);
                });
            }
        }
        let own = self.own.clone();
        tokio::spawn(async move {
            let answer = answer.await.unwrap_or_else(|_| {
                UndoAnswer::error(ErrorCode::UndoFailed, "the writer stopped; try again")
            });
            let _ = own
                .send(Command::UndoAnswered(id, action, request_id, answer))
                .await;
        });
    }

    fn cursor_from(&mut self, id: Uuid, revision: u64, selection: Option<Selection>) {
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        let user_id = conn.user_id;
        match self.core.set_cursor(id, revision, selection) {
            Ok(moved) => {
                let head = self.core.revision();
                let selection = moved.map(Selection::from);
                let message = ServerMsg::CursorPosition {
                    user_id,
                    session_id: id,
                    revision: head,
                    selection,
                };
                self.broadcast(&message, Some(id));
                let remote = Message::Cursor {
                    doc: self.doc,
                    from: self.hub.instance.clone(),
                    user_id,
                    session_id: id,
                    revision: head,
                    selection,
                };
                self.hub.publisher.send(&self.peers, &remote);
            }
            Err(refusal) => {
                self.error_to(
                    id,
                    ErrorCode::InvalidRevision,
                    refusal.to_string(),
                    None,
                    None,
                );
            }
        }
    }

    async fn remote(&mut self, message: Message) {
        match message {
            Message::Committed { from, entries, .. } => {
                self.note_peer(&from);
                self.remote_committed(from, entries).await;
            }
            Message::Forward {
                from,
                user_id,
                session_id,
                client_id,
                seq,
                base,
                op,
                selection,
                kind,
                ..
            } => {
                self.note_peer(&from);
                let author = super::core::Author {
                    user_id,
                    session_id,
                    client_id,
                    seq,
                };
                let change = super::writer::Submission {
                    base,
                    op,
                    selection,
                    kind,
                };
                self.forwarded_change(from, author, change).await;
            }
            Message::ForwardResult {
                client_id, answer, ..
            } => self.forward_answered(client_id, answer),
            Message::Joined {
                from,
                participant,
                client_id,
                ..
            } => {
                self.note_peer(&from);
                let replaced: Vec<Uuid> = self
                    .conns
                    .values()
                    .filter(|c| c.client_id == client_id)
                    .map(|c| c.id)
                    .collect();
                for id in replaced {
                    self.close_conn(id, Close::Replaced).await;
                }
                self.note_peer(&from);
                self.remote_joined(participant);
            }
            Message::Left {
                session_id,
                user_id,
                ..
            } => self.remote_left(session_id, user_id),
            Message::Cursor {
                from,
                user_id,
                session_id,
                revision,
                selection,
                ..
            } => {
                self.note_peer(&from);
                // Moved to our head when we have its revision; passed on as it is when the
                // sender is ahead of us (clients transform it once they catch up).
                let head = self.core.revision();
                let (revision, selection) = if revision <= head {
                    let moved = self
                        .core
                        .set_cursor(session_id, revision, selection)
                        .ok()
                        .flatten();
                    (head, moved.map(Selection::from))
                } else {
                    (revision, selection)
                };
                let message = ServerMsg::CursorPosition {
                    user_id,
                    session_id,
                    revision,
                    selection,
                };
                self.broadcast(&message, None);
            }
            Message::Saved {
                revision,
                version,
                saved_at,
                ..
            } => {
                if version > self.version {
                    self.version = version;
                    self.saved_revision = revision;
                }
                let message = ServerMsg::DocumentSaved {
                    revision,
                    version,
                    saved_at,
                };
                self.broadcast(&message, None);
            }
            Message::EditRequest {
                reply_to,
                request_id,
                user_id,
                base_version,
                content,
                ..
            } => {
                let (reply, answer) = oneshot::channel();
                let edit = RestEdit {
                    user_id,
                    base_version,
                    content,
                };
                self.rest_edit(edit, reply).await;
                let publisher = self.hub.publisher.clone();
                tokio::spawn(async move {
                    let answer = answer.await.unwrap_or(EditAnswer::Failed {
                        message: "the writer stopped".into(),
                    });
                    publisher.send(&[reply_to], &Message::EditReply { request_id, answer });
                });
            }
            Message::UndoRequest {
                reply_to,
                request_id,
                request,
                ..
            } => {
                let (reply, answer) = oneshot::channel();
                self.undo(request, reply).await;
                let publisher = self.hub.publisher.clone();
                tokio::spawn(async move {
                    let answer = answer.await.unwrap_or_else(|_| {
                        UndoAnswer::error(ErrorCode::UndoFailed, "the writer stopped; try again")
                    });
                    publisher.send(&[reply_to], &Message::UndoReply { request_id, answer });
                });
            }
            Message::EditReply { .. } | Message::UndoReply { .. } => {}
        }
    }

    fn note_peer(&mut self, instance: &str) {
        if instance != self.hub.instance && !self.peers.iter().any(|p| p == instance) {
            self.peers.push(instance.to_owned());
        }
    }

    fn remote_joined(&mut self, info: ParticipantInfo) {
        let session = info.session_id;
        if self.remote.contains_key(&session) {
            return;
        }
        let joined = ServerMsg::UserJoined {
            user_id: info.user_id,
            session_id: session,
            display_name: info.display_name.clone(),
            color: info.color.clone(),
        };
        self.broadcast(&joined, None);
        self.remote.insert(session, RemoteParticipant { info });
    }

    fn remote_left(&mut self, session: Uuid, user_id: Uuid) {
        if self.remote.remove(&session).is_some() {
            self.core.forget_cursor(session);
            self.broadcast(
                &ServerMsg::UserLeft {
                    user_id,
                    session_id: session,
                },
                None,
            );
        }
    }

    fn access_changed(&mut self, user: Uuid, role: Option<Role>) {
        let ids: Vec<Uuid> = self
            .conns
            .values()
            .filter(|c| c.user_id == user)
            .map(|c| c.id)
            .collect();
        for id in ids {
            match role {
                None => {
                    if let Some(conn) = self.conns.get(&id) {
                        conn.close(Close::AccessRevoked);
                    }
                }
                Some(role) => {
                    let changed = self.conns.get_mut(&id).is_some_and(|conn| {
                        let changed = conn.role != role;
                        conn.role = role;
                        changed
                    });
                    if changed {
                        self.send_to(
                            id,
                            &ServerMsg::RoleChanged {
                                role: role.as_str(),
                            },
                        );
                    }
                }
            }
        }
    }

    pub(super) async fn gone(&mut self) {
        let ids: Vec<Uuid> = self.conns.keys().copied().collect();
        for id in ids {
            self.close_conn(id, Close::DocumentDeleted).await;
        }
        if let Mode::Writer(writer) = &mut self.mode {
            writer.gone = true;
        }
        self.stopping = true;
    }

    async fn on_tick(&mut self) {
        let now = Instant::now();
        // The periodic Redis round trips run beside the actor, not in it: changes must not
        // wait behind them (with a thousand open documents they are thousands a second).
        if now.duration_since(self.peers_refreshed) >= Duration::from_secs(1) {
            self.refresh_peers_in_background();
        }
        let presence_every = Duration::from_secs(self.hub.config.presence_ttl_secs.max(3) / 3);
        if now.duration_since(self.presence_refreshed) >= presence_every {
            self.publish_presence().await;
            self.sync_remote_presence().await;
        }
        if now.duration_since(self.access_checked) >= Duration::from_secs(60) {
            self.access_checked = now;
            self.recheck_access();
        }
        match &self.mode {
            Mode::Writer(_) => self.writer_tick(now).await,
            Mode::Follower(_) => self.follower_tick(now).await,
        }
        let idle_for = Duration::from_secs(self.hub.config.idle_secs);
        if self.conns.is_empty()
            && self.peers.is_empty()
            && self
                .idle_since
                .is_some_and(|since| now.duration_since(since) >= idle_for)
            && self.is_quiet()
        {
            self.stopping = true;
        }
    }

    async fn refresh_peers(&mut self) {
        self.peers_refreshed = Instant::now();
        let ttl = self.hub.config.lease_ms.max(3000);
        match presence::subscribe(
            &self.hub.platform.redis,
            self.doc,
            &self.hub.instance,
            ttl,
            !self.conns.is_empty(),
        )
        .await
        {
            Ok(peers) => self.peers = peers,
            Err(error) => tracing::debug!(%error, "cannot refresh fan-out targets"),
        }
    }

    /// `refresh_peers`, its answer delivered as a command.
    fn refresh_peers_in_background(&mut self) {
        self.peers_refreshed = Instant::now();
        let redis = self.hub.platform.redis.clone();
        let instance = self.hub.instance.clone();
        let ttl = self.hub.config.lease_ms.max(3000);
        let has_clients = !self.conns.is_empty();
        let doc = self.doc;
        let own = self.own.clone();
        tokio::spawn(async move {
            match presence::subscribe(&redis, doc, &instance, ttl, has_clients).await {
                Ok(peers) => {
                    let _ = own.send(Command::Peers(peers)).await;
                }
                Err(error) => tracing::debug!(%error, "cannot refresh fan-out targets"),
            }
        });
    }

    async fn publish_presence(&mut self) {
        self.presence_refreshed = Instant::now();
        let revision = self.core.revision();
        let mut present: Vec<Present> = self
            .conns
            .values()
            .map(|c| Present {
                participant: c.info(self.core.cursor(c.id).map(Selection::from)),
                instance: self.hub.instance.clone(),
                revision,
                expires_ms: 0,
            })
            .collect();
        let ttl = self.hub.config.presence_ttl_secs.max(3) * 1000;
        if let Err(error) =
            presence::publish(&self.hub.platform.redis, self.doc, &mut present, ttl).await
        {
            tracing::debug!(%error, "cannot publish presence");
        }
    }

    /// Reconciles remote participants with the presence hash: those whose instance stopped
    /// refreshing them leave; ones whose `Joined` was lost appear.
    async fn sync_remote_presence(&mut self) {
        let Ok(present) = presence::read(&self.hub.platform.redis, self.doc).await else {
            return;
        };
        let live: HashMap<Uuid, Present> = present
            .into_iter()
            .filter(|p| p.instance != self.hub.instance)
            .map(|p| (p.participant.session_id, p))
            .collect();
        let gone: Vec<(Uuid, Uuid)> = self
            .remote
            .values()
            .filter(|r| !live.contains_key(&r.info.session_id))
            .map(|r| (r.info.session_id, r.info.user_id))
            .collect();
        for (session, user) in gone {
            self.remote_left(session, user);
        }
        for (_, present) in live {
            if !self.remote.contains_key(&present.participant.session_id) {
                let session = present.participant.session_id;
                let selection = present.participant.selection;
                self.remote_joined(present.participant);
                if present.revision <= self.core.revision() {
                    let _ = self.core.set_cursor(session, present.revision, selection);
                }
            }
        }
    }

    /// Asks the Document Service again for each connected user's role: a safety net under
    /// the event channel (a lost event delays a revocation by at most a minute).
    fn recheck_access(&self) {
        let mut users: Vec<Uuid> = self.conns.values().map(|c| c.user_id).collect();
        users.sort_unstable();
        users.dedup();
        for user in users {
            let documents = self.hub.documents.clone();
            let own = self.own.clone();
            let doc = self.doc;
            tokio::spawn(async move {
                if let Ok(access) = documents.access(doc, user).await {
                    let _ = own
                        .send(Command::Access(user, access.map(|a| a.role)))
                        .await;
                }
            });
        }
    }

    async fn shut_down(&mut self) {
        let ids: Vec<Uuid> = self.conns.keys().copied().collect();
        for id in ids {
            self.close_conn(id, Close::ServerRestart).await;
        }
        let _ = presence::subscribe(
            &self.hub.platform.redis,
            self.doc,
            &self.hub.instance,
            1000,
            false,
        )
        .await;
        if let Mode::Writer(_) = &self.mode {
            self.writer_shut_down().await;
        }
    }
}

/// A message as one text frame.
pub(super) fn frame(message: &ServerMsg) -> Utf8Bytes {
    Utf8Bytes::from(message.to_json())
}

/// A missed entry as the resuming client must see it: its own ops only as acks.
fn catch_up_message(entry: &Entry, client_id: Uuid) -> ServerMsg {
    if entry.author.seq > 0 && entry.author.client_id == client_id {
        ServerMsg::Ack {
            seq: entry.author.seq,
            revision: entry.revision,
        }
    } else {
        ServerMsg::DocumentChange {
            revision: entry.revision,
            operation: entry.op.clone(),
            user_id: entry.author.user_id,
            session_id: entry.author.session_id,
            selection: entry.selection.map(Selection::from),
            kind: entry.kind,
        }
    }
}

/// The `undo_result` for `answer`.
fn undo_result(action: Action, id: Option<serde_json::Value>, answer: UndoAnswer) -> ServerMsg {
    use crate::protocol::UndoOutcome;
    let (result, revision, code, message) = match answer {
        UndoAnswer::Applied { revision } => (UndoOutcome::Applied, Some(revision), None, None),
        UndoAnswer::NothingToUndo => (UndoOutcome::NothingToUndo, None, None, None),
        UndoAnswer::Error { code, message } => {
            (UndoOutcome::Failed, None, Some(code), Some(message))
        }
    };
    ServerMsg::UndoResult {
        action,
        result,
        revision,
        id,
        code,
        message,
    }
}

/// Answers a command the actor will not carry out.
fn refuse(command: Command, close: Close) {
    match command {
        Command::Join(conn, _, reply) => {
            let _ = reply.send(Err(close));
            drop(conn);
        }
        Command::Edit(_, reply) => {
            let _ = reply.send(EditAnswer::Failed {
                message: "the document is closing; try again".into(),
            });
        }
        Command::Participants(reply) => {
            let _ = reply.send(Vec::new());
        }
        Command::UndoFor(_, reply) => {
            let _ = reply.send(UndoAnswer::error(
                ErrorCode::UndoFailed,
                "the document is closing; nothing was undone; try again",
            ));
        }
        _ => {}
    }
}

//! A client of docs/collab-protocol.md for tests: the Synchronized / AwaitingConfirm /
//! AwaitingWithBuffer state machine over a real WebSocket, with reconnect, catch-up and
//! resync, so tests read like `alice.types(0, "Hi")`, `bob.sees("Hi")`.

// Not every test uses every method.
#![allow(dead_code)]

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tandem_ot::{Operation, transform};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use uuid::Uuid;

type Sink = futures::stream::SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, Message>;

/// How long `sees` and friends wait before failing the test.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// What the reading task hands over.
#[derive(Debug)]
pub enum Incoming {
    /// A text frame, parsed.
    Message(Value),
    /// The server closed the socket with this code and reason.
    Closed(u16, String),
    /// The connection ended without a close frame.
    Ended,
}

/// One editor of one document.
pub struct Editor {
    pub name: String,
    url: String,
    token: String,
    pub client_id: Uuid,
    sink: Option<Sink>,
    incoming: mpsc::UnboundedReceiver<Incoming>,
    /// What the user sees.
    pub text: String,
    /// The server's text at `revision`.
    pub server_text: String,
    pub revision: u64,
    inflight: Option<(u64, Operation)>,
    buffer: Option<Operation>,
    next_seq: u64,
    /// Everything else the server sent, in order (joins, cursors, saves, errors…).
    pub events: Vec<Value>,
    pub welcome: Value,
    pub closed: Option<(u16, String)>,
}

fn op(value: &Value) -> Operation {
    Operation::from_json(&value.to_string(), &tandem_ot::Limits::UNLIMITED).expect("a valid op")
}

async fn open(url: &str) -> (Sink, mpsc::UnboundedReceiver<Incoming>) {
    open_with(url, None).await
}

async fn open_with(url: &str, bearer: Option<&str>) -> (Sink, mpsc::UnboundedReceiver<Incoming>) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = url.into_client_request().unwrap();
    if let Some(token) = bearer {
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the upgrade succeeds");
    let (sink, mut stream) = socket.split();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(frame) = stream.next().await {
            match frame {
                Ok(Message::Text(text)) => {
                    let value: Value = serde_json::from_str(&text).expect("the server sends JSON");
                    if tx.send(Incoming::Message(value)).is_err() {
                        return;
                    }
                }
                Ok(Message::Close(frame)) => {
                    let (code, reason) = frame
                        .map(|f: CloseFrame| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    let _ = tx.send(Incoming::Closed(code, reason));
                    return;
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        let _ = tx.send(Incoming::Ended);
    });
    (sink, rx)
}

impl Editor {
    /// Opens a socket to `doc` and sends `auth`, without waiting for the answer.
    pub async fn connect_raw(base: &str, doc: &str, token: &str, name: &str) -> Self {
        let url = format!("{}/collab/{doc}", base.replacen("http", "ws", 1));
        let (sink, incoming) = open(&url).await;
        let mut editor = Self {
            name: name.to_owned(),
            url,
            token: token.to_owned(),
            client_id: Uuid::new_v4(),
            sink: Some(sink),
            incoming,
            text: String::new(),
            server_text: String::new(),
            revision: 0,
            inflight: None,
            buffer: None,
            next_seq: 1,
            events: Vec::new(),
            welcome: Value::Null,
            closed: None,
        };
        let auth = json!({"type": "auth", "token": token, "client_id": editor.client_id});
        editor.send(&auth).await;
        editor
    }

    /// Opens a socket without sending anything.
    pub async fn connect_silent(base: &str, doc: &str, bearer: Option<&str>, name: &str) -> Self {
        let url = format!("{}/collab/{doc}", base.replacen("http", "ws", 1));
        let (sink, incoming) = open_with(&url, bearer).await;
        Self {
            name: name.to_owned(),
            url,
            token: bearer.unwrap_or_default().to_owned(),
            client_id: Uuid::new_v4(),
            sink: Some(sink),
            incoming,
            text: String::new(),
            server_text: String::new(),
            revision: 0,
            inflight: None,
            buffer: None,
            next_seq: 1,
            events: Vec::new(),
            welcome: Value::Null,
            closed: None,
        }
    }

    /// Sends `auth` with this editor's client id (and `token`, if given) and waits for the
    /// welcome.
    pub async fn authenticates(&mut self, token: Option<&str>) {
        let mut auth = json!({"type": "auth", "client_id": self.client_id});
        if let Some(token) = token {
            auth["token"] = json!(token);
        }
        self.send(&auth).await;
        self.await_welcome(None).await;
    }

    /// Connects with a given client id (a second tab that copied the first's id).
    pub async fn connect_as(
        base: &str,
        doc: &str,
        token: &str,
        name: &str,
        client_id: Uuid,
    ) -> Self {
        let mut editor = Self::connect_silent(base, doc, None, name).await;
        editor.client_id = client_id;
        editor.token = token.to_owned();
        editor.authenticates(Some(token)).await;
        editor
    }

    /// Connects, authenticates and waits for the welcome.
    pub async fn connect(base: &str, doc: &str, token: &str, name: &str) -> Self {
        let mut editor = Self::connect_raw(base, doc, token, name).await;
        editor.await_welcome(None).await;
        editor
    }

    /// Sends one JSON message.
    pub async fn send(&mut self, message: &Value) {
        self.send_text(message.to_string()).await;
    }

    /// Sends one text frame as it is.
    pub async fn send_text(&mut self, text: String) {
        if let Some(sink) = self.sink.as_mut() {
            let _ = sink.send(Message::Text(text.into())).await;
        }
    }

    /// Sends one raw frame (binary, oversized…).
    pub async fn send_frame(&mut self, frame: Message) {
        if let Some(sink) = self.sink.as_mut() {
            let _ = sink.send(frame).await;
        }
    }

    async fn next(&mut self, within: Duration) -> Option<Incoming> {
        tokio::time::timeout(within, self.incoming.recv())
            .await
            .ok()
            .flatten()
    }

    async fn await_welcome(&mut self, resumed_from: Option<(String, Vec<(u64, Operation)>)>) {
        loop {
            match self.next(PATIENCE).await {
                Some(Incoming::Message(m)) if m["type"] == "welcome" => {
                    self.apply_welcome(m, resumed_from).await;
                    return;
                }
                Some(Incoming::Message(m)) => self.events.push(m),
                Some(Incoming::Closed(code, reason)) => {
                    panic!(
                        "{}: closed with {code} {reason} before the welcome",
                        self.name
                    )
                }
                Some(Incoming::Ended) | None => panic!("{}: no welcome", self.name),
            }
        }
    }

    async fn apply_welcome(
        &mut self,
        welcome: Value,
        resumed_from: Option<(String, Vec<(u64, Operation)>)>,
    ) {
        let revision = welcome["revision"].as_u64().unwrap();
        let last_seq = welcome["last_seq"].as_u64().unwrap();
        self.welcome = welcome.clone();
        if welcome["resync"] == true {
            // §4.4: drop the covered pending changes (applying them to the old server text),
            // diff against the content, transform the rest through that diff.
            let (old_server, pending) = resumed_from.expect("a resync follows a resume");
            let content = welcome["content"].as_str().unwrap().to_owned();
            let mut s = old_server;
            let mut remaining: Option<(u64, Operation)> = None;
            for (seq, change) in pending {
                if seq <= last_seq {
                    s = change.apply(&s).unwrap();
                } else {
                    remaining = Some(match remaining {
                        None => (seq, change),
                        Some((first, composed)) => {
                            (first, tandem_ot::compose(&composed, &change).unwrap())
                        }
                    });
                }
            }
            let d = tandem_ot::diff(&s, &content);
            self.server_text = content.clone();
            self.revision = revision;
            self.buffer = None;
            self.inflight = None;
            self.text = content;
            if let Some((seq, p)) = remaining {
                let seq = if seq == u64::MAX {
                    self.next_seq += 1;
                    self.next_seq - 1
                } else {
                    seq
                };
                let (_, p2) = transform(&d, &p).unwrap();
                self.text = p2.apply(&self.text).unwrap();
                self.inflight = Some((seq, p2));
                self.resend_inflight().await;
            }
            return;
        }
        if let Some(content) = welcome["content"].as_str() {
            self.text = content.to_owned();
            self.server_text = content.to_owned();
            self.revision = revision;
            self.inflight = None;
            self.buffer = None;
            return;
        }
        for change in welcome["changes"].as_array().cloned().unwrap_or_default() {
            self.handle(change).await;
        }
        assert_eq!(
            self.revision, revision,
            "{}: the catch-up reaches the welcome's revision",
            self.name
        );
        if let Some((seq, _)) = &self.inflight {
            if *seq <= last_seq {
                panic!(
                    "{}: seq {seq} is committed but its ack was not in the catch-up",
                    self.name
                );
            }
            self.resend_inflight().await;
        }
    }

    /// Re-sends the change in flight with its original seq, based on the current revision.
    pub async fn resend_inflight(&mut self) {
        if let Some((seq, change)) = self.inflight.clone() {
            let message = json!({"type": "document_change", "revision": self.revision, "operation": change, "seq": seq});
            self.send(&message).await;
        }
    }

    /// Applies one server message (§4.1).
    pub async fn handle(&mut self, message: Value) {
        match message["type"].as_str() {
            Some("ack") => {
                let seq = message["seq"].as_u64().unwrap();
                let revision = message["revision"].as_u64().unwrap();
                let Some((inflight_seq, change)) = self.inflight.clone().filter(|(s, _)| *s == seq)
                else {
                    // Not for the change in flight (a test's re-send): keep it to look at.
                    self.events.push(message);
                    return;
                };
                let _ = inflight_seq;
                self.server_text = change.apply(&self.server_text).unwrap();
                self.revision = revision;
                self.inflight = None;
                if let Some(buffer) = self.buffer.take() {
                    self.send_new(buffer).await;
                }
            }
            Some("document_change") => {
                let revision = message["revision"].as_u64().unwrap();
                assert_eq!(
                    revision,
                    self.revision + 1,
                    "{}: revisions arrive in order",
                    self.name
                );
                let server = op(&message["operation"]);
                self.server_text = server.apply(&self.server_text).unwrap();
                // The server's op wins ties: it goes first in every transform.
                let mut s = server;
                if let Some((seq, inflight)) = self.inflight.take() {
                    let (s2, i2) = transform(&s, &inflight).unwrap();
                    self.inflight = Some((seq, i2));
                    s = s2;
                }
                if let Some(buffer) = self.buffer.take() {
                    let (s2, b2) = transform(&s, &buffer).unwrap();
                    self.buffer = Some(b2);
                    s = s2;
                }
                self.text = s.apply(&self.text).unwrap();
                self.revision = revision;
                self.events.push(message);
            }
            Some("error") => {
                // A refused change that cannot be re-sent: undo it locally, as an editor would.
                let fatal = [
                    "read_only",
                    "invalid_operation",
                    "operation_too_large",
                    "document_too_large",
                    "stale_seq",
                    "invalid_revision",
                ];
                let refused = message["seq"].as_u64();
                if fatal.contains(&message["code"].as_str().unwrap_or_default())
                    && refused.is_some()
                    && self.inflight.as_ref().map(|(seq, _)| *seq) == refused
                {
                    self.inflight = None;
                    self.buffer = None;
                    self.text = self.server_text.clone();
                }
                self.events.push(message);
            }
            _ => self.events.push(message),
        }
    }

    async fn send_new(&mut self, change: Operation) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.inflight = Some((seq, change.clone()));
        let message = json!({"type": "document_change", "revision": self.revision, "operation": change, "seq": seq});
        self.send(&message).await;
    }

    /// A local edit, as the user makes it.
    pub async fn edit(&mut self, change: Operation) {
        self.text = change.apply(&self.text).unwrap();
        match (&self.inflight, self.buffer.take()) {
            (None, _) => self.send_new(change).await,
            (Some(_), None) => self.buffer = Some(change),
            (Some(_), Some(buffer)) => {
                self.buffer = Some(tandem_ot::compose(&buffer, &change).unwrap())
            }
        }
    }

    /// Types `text` at code point `at`.
    pub async fn types(&mut self, at: usize, text: &str) {
        let len = self.text.chars().count();
        self.edit(Operation::splice(len, at, 0, text).unwrap())
            .await;
    }

    /// Deletes `n` code points at `at`.
    pub async fn deletes(&mut self, at: usize, n: usize) {
        let len = self.text.chars().count();
        self.edit(Operation::splice(len, at, n, "").unwrap()).await;
    }

    /// Asks the service to undo this editor's last step; returns the `undo_result`.
    pub async fn undoes(&mut self) -> Value {
        self.asks("undo").await
    }

    /// Asks the service to redo; returns the `undo_result`.
    pub async fn redoes(&mut self) -> Value {
        self.asks("redo").await
    }

    async fn asks(&mut self, action: &str) -> Value {
        let id = Uuid::new_v4().to_string();
        self.send(&json!({"type": action, "id": id})).await;
        let result = self
            .receives("undo_result", |m| m["id"] == id.as_str())
            .await;
        assert_eq!(result["action"], action);
        result
    }

    /// Sends `change` (from the synchronized state) as an undo the client made in its own
    /// history, as the browser editor does.
    pub async fn undoes_locally(&mut self, change: Operation) {
        assert!(
            self.synchronized(),
            "a local undo is sent when synchronized"
        );
        self.text = change.apply(&self.text).unwrap();
        let seq = self.next_seq;
        self.next_seq += 1;
        self.inflight = Some((seq, change.clone()));
        let message = json!({"type": "document_change", "revision": self.revision, "operation": change, "seq": seq, "kind": "undo"});
        self.send(&message).await;
    }

    /// Processes what has arrived, for up to `within`.
    pub async fn pump(&mut self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while let Ok(Some(incoming)) = tokio::time::timeout_at(deadline, self.incoming.recv()).await
        {
            self.take(incoming).await;
        }
    }

    async fn take(&mut self, incoming: Incoming) {
        match incoming {
            Incoming::Message(m) => self.handle(m).await,
            Incoming::Closed(code, reason) => {
                self.closed = Some((code, reason));
                self.sink = None;
            }
            Incoming::Ended => {
                self.closed.get_or_insert((1006, String::new()));
                self.sink = None;
            }
        }
    }

    /// Waits until `done` holds, processing messages.
    pub async fn until(&mut self, what: &str, mut done: impl FnMut(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !done(self) {
            match tokio::time::timeout_at(deadline, self.incoming.recv()).await {
                Ok(Some(incoming)) => self.take(incoming).await,
                Ok(None) => panic!(
                    "{}: the connection ended while waiting for {what}",
                    self.name
                ),
                Err(_) => {
                    let short = |t: &str| t.chars().take(200).collect::<String>();
                    let events: Vec<String> = self
                        .events
                        .iter()
                        .rev()
                        .take(5)
                        .map(|e| short(&e.to_string()))
                        .collect();
                    panic!(
                        "{}: timed out waiting for {what}; text {:?}, revision {}, pending {}, closed {:?}, last events {events:?}",
                        self.name,
                        short(&self.text),
                        self.revision,
                        self.inflight.is_some(),
                        self.closed,
                    )
                }
            }
        }
    }

    /// Whether nothing is pending.
    pub fn synchronized(&self) -> bool {
        self.inflight.is_none() && self.buffer.is_none()
    }

    /// Waits until every change is acknowledged.
    pub async fn settles(&mut self) {
        self.until("its changes to be acknowledged", Self::synchronized)
            .await;
    }

    /// Waits until the text is `expected` with nothing pending.
    pub async fn sees(&mut self, expected: &str) {
        self.until(&format!("the text {expected:?}"), |e| {
            e.synchronized() && e.text == expected
        })
        .await;
    }

    /// Waits until the server revision is at least `revision`, with nothing pending.
    pub async fn reaches(&mut self, revision: u64) {
        self.until(&format!("revision {revision}"), |e| {
            e.synchronized() && e.revision >= revision
        })
        .await;
    }

    /// Waits for an event of `kind` matching `check`, and returns it (removing it).
    pub async fn receives(&mut self, kind: &str, check: impl Fn(&Value) -> bool) -> Value {
        let found = |e: &Self| e.events.iter().position(|m| m["type"] == kind && check(m));
        self.until(&format!("a {kind}"), |e| found(e).is_some())
            .await;
        let at = found(self).unwrap();
        self.events.remove(at)
    }

    /// Waits for an `error` with `code`.
    pub async fn gets_error(&mut self, code: &str) -> Value {
        self.receives("error", |m| m["code"] == code).await
    }

    /// Waits for the server to close the socket; returns the code and reason.
    pub async fn closed_with(&mut self) -> (u16, String) {
        self.until("the socket to close", |e| e.closed.is_some())
            .await;
        self.closed.clone().unwrap()
    }

    /// Sends a cursor (only in the Synchronized state, per §4.3).
    pub async fn selects(&mut self, anchor: u64, head: u64) {
        assert!(
            self.synchronized(),
            "cursors are sent only when synchronized"
        );
        let message = json!({"type": "cursor_position", "revision": self.revision, "selection": {"anchor": anchor, "head": head}});
        self.send(&message).await;
    }

    /// Drops the socket without a close frame (a lost connection).
    pub fn drops(&mut self) {
        self.sink = None;
        let (_, rx) = mpsc::unbounded_channel();
        self.incoming = rx;
    }

    /// Closes the socket politely.
    pub async fn leaves(&mut self) {
        if let Some(mut sink) = self.sink.take() {
            let _ = sink.close().await;
        }
    }

    /// Reconnects (to `base`, which may be another instance) with the same client id and
    /// the last known revision, and resumes per §4.4.
    pub async fn reconnects_to(&mut self, base: &str) {
        let path = self.url.split("/collab/").nth(1).unwrap().to_owned();
        self.url = format!("{}/collab/{path}", base.replacen("http", "ws", 1));
        let (sink, incoming) = open(&self.url).await;
        self.sink = Some(sink);
        self.incoming = incoming;
        self.closed = None;
        let auth = json!({"type": "auth", "token": self.token, "client_id": self.client_id, "revision": self.revision});
        self.send(&auth).await;
        let mut pending = Vec::new();
        if let Some(inflight) = self.inflight.clone() {
            pending.push(inflight);
        }
        if let Some(buffer) = self.buffer.clone() {
            pending.push((u64::MAX, buffer));
        }
        self.await_welcome(Some((self.server_text.clone(), pending)))
            .await;
    }

    /// Reconnects to the same instance.
    pub async fn reconnects(&mut self) {
        let base = self
            .url
            .split("/collab/")
            .next()
            .unwrap()
            .replacen("ws", "http", 1);
        self.reconnects_to(&base).await;
    }

    /// Uses a new token for the next reconnect.
    pub fn use_token(&mut self, token: &str) {
        self.token = token.to_owned();
    }
}

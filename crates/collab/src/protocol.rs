//! The wire: client and server messages, error codes and close codes of
//! docs/collab-protocol.md, and nothing else.

pub use crate::document::undo::{Action, Kind};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use uuid::Uuid;

/// The protocol version `welcome` names.
pub const PROTOCOL_VERSION: u32 = 1;

/// A selection in code points: `anchor` where it started, `head` where the caret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// The fixed end.
    pub anchor: u64,
    /// The caret.
    pub head: u64,
}

impl Selection {
    /// As `tandem-ot`'s selection, clamped to a document of `len` code points.
    pub fn clamped(self, len: usize) -> tandem_ot::Selection {
        let clamp = |p: u64| usize::try_from(p).unwrap_or(usize::MAX).min(len);
        tandem_ot::Selection {
            anchor: clamp(self.anchor),
            head: clamp(self.head),
        }
    }
}

impl From<tandem_ot::Selection> for Selection {
    fn from(s: tandem_ot::Selection) -> Self {
        Self {
            anchor: s.anchor as u64,
            head: s.head as u64,
        }
    }
}

/// A message from a client. The operation stays raw JSON here: it is parsed under the
/// server's limits by whoever applies it.
#[derive(Debug)]
pub enum ClientMsg {
    /// The first message: who is connecting.
    Auth(AuthMsg),
    /// A change based on server revision `revision`.
    DocumentChange(ChangeMsg),
    /// The client's selection at server revision `revision`, or none.
    CursorPosition(CursorMsg),
    /// Save a version now.
    Save,
    /// Undo (or redo) the caller's own most recent step, in the service.
    Undo(Action, UndoMsg),
    /// Application-level ping, with an id echoed in the `pong`.
    Ping(Option<serde_json::Value>),
}

/// `auth`.
#[derive(Debug, Deserialize)]
pub struct AuthMsg {
    /// The access token (absent when sent as `Authorization` on the upgrade).
    #[serde(default)]
    pub token: Option<String>,
    /// The editor's stable id.
    pub client_id: Uuid,
    /// The last server revision the client knows.
    #[serde(default)]
    pub revision: Option<u64>,
}

/// `document_change`.
#[derive(Debug, Deserialize)]
pub struct ChangeMsg {
    /// The base revision.
    pub revision: u64,
    /// The operation, ot.js wire format, unparsed.
    pub operation: Box<RawValue>,
    /// 1, 2, 3… per client id.
    pub seq: u64,
    /// The author's selection after the change.
    #[serde(default)]
    pub selection: Option<Selection>,
    /// `"undo"` or `"redo"` when the client made the change by undoing (or redoing) in its
    /// own history; absent for ordinary edits.
    #[serde(default)]
    pub kind: Kind,
}

/// `undo` and `redo`.
#[derive(Debug, Deserialize)]
pub struct UndoMsg {
    /// Any JSON value, echoed in the `undo_result`.
    #[serde(default)]
    pub id: Option<serde_json::Value>,
}

/// What an `undo` or `redo` did, in `undo_result`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UndoOutcome {
    /// Committed as the op of `revision`.
    Applied,
    /// Nothing left to undo (or redo): the stack is empty, the steps are older than the
    /// op window or the age limit, or others' edits removed everything they touched.
    NothingToUndo,
    /// Refused or not possible now; `code` and `message` say why. Nothing changed.
    Failed,
}

/// `cursor_position`.
#[derive(Debug, Deserialize)]
pub struct CursorMsg {
    /// The revision the selection is expressed in.
    pub revision: u64,
    /// The selection, or `null` to hide it.
    pub selection: Option<Selection>,
}

#[derive(Deserialize)]
struct Type<'a> {
    #[serde(rename = "type", borrow)]
    kind: std::borrow::Cow<'a, str>,
}

#[derive(Deserialize)]
struct PingMsg {
    #[serde(default)]
    id: Option<serde_json::Value>,
}

/// Why a text frame is not a message this server takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// `malformed_json`, `unknown_type` or `invalid_message`.
    pub code: ErrorCode,
    /// What is wrong.
    pub message: String,
}

const TYPES: [&str; 7] = [
    "auth",
    "document_change",
    "cursor_position",
    "save",
    "ping",
    "undo",
    "redo",
];

impl ClientMsg {
    /// Parses one text frame: first its `type`, then the fields of that type. (Two passes,
    /// because serde's tagged enums buffer their content, which a raw operation cannot be.)
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let kind = serde_json::from_str::<Type<'_>>(text)
            .map_err(|error| Self::classify(text, &error))?
            .kind;
        let fields = |error: serde_json::Error| Self::classify(text, &error);
        Ok(match kind.as_ref() {
            "auth" => ClientMsg::Auth(serde_json::from_str(text).map_err(fields)?),
            "document_change" => {
                ClientMsg::DocumentChange(serde_json::from_str(text).map_err(fields)?)
            }
            "cursor_position" => {
                ClientMsg::CursorPosition(serde_json::from_str(text).map_err(fields)?)
            }
            "save" => ClientMsg::Save,
            "undo" => ClientMsg::Undo(Action::Undo, serde_json::from_str(text).map_err(fields)?),
            "redo" => ClientMsg::Undo(Action::Redo, serde_json::from_str(text).map_err(fields)?),
            "ping" => ClientMsg::Ping(serde_json::from_str::<PingMsg>(text).map_err(fields)?.id),
            other => {
                return Err(ParseError {
                    code: ErrorCode::UnknownType,
                    message: format!("unknown message type `{other}`"),
                });
            }
        })
    }

    /// Tells a broken frame from an unknown type from a bad field (the error path only
    /// parses twice).
    fn classify(text: &str, error: &serde_json::Error) -> ParseError {
        let fail = |code, message: String| ParseError { code, message };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
            return fail(ErrorCode::MalformedJson, format!("not JSON: {error}"));
        };
        let Some(kind) = value.get("type").and_then(|t| t.as_str()) else {
            return fail(
                ErrorCode::MalformedJson,
                "a message must be a JSON object with a string `type`".into(),
            );
        };
        if !TYPES.contains(&kind) {
            return fail(
                ErrorCode::UnknownType,
                format!("unknown message type `{kind}`"),
            );
        }
        let detail = error.to_string();
        let detail = detail
            .rsplit_once(" at line ")
            .map_or(detail.as_str(), |(head, _)| head);
        fail(ErrorCode::InvalidMessage, format!("`{kind}`: {detail}"))
    }
}

/// A participant as `welcome` and `user_joined` describe them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantInfo {
    /// The connection.
    pub session_id: Uuid,
    /// The user.
    pub user_id: Uuid,
    /// Their display name.
    pub display_name: String,
    /// Their colour, `#rrggbb`.
    pub color: String,
    /// Their selection at the message's revision, if any.
    pub selection: Option<Selection>,
}

/// The caller, in `welcome`.
#[derive(Debug, Clone, Serialize)]
pub struct UserInfo {
    /// User id.
    pub id: Uuid,
    /// Display name.
    pub display_name: String,
    /// Assigned colour.
    pub color: String,
}

/// The document, in `welcome`.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentInfo {
    /// Document id.
    pub id: Uuid,
    /// Title.
    pub title: String,
    /// The Document Service version last saved.
    pub version: i64,
}

/// The limits a client must stay within, in `welcome`.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LimitsInfo {
    /// Largest message.
    pub max_message_bytes: usize,
    /// Most components per operation.
    pub max_operation_components: usize,
    /// Most code points inserted per operation.
    pub max_inserted_chars: usize,
    /// Largest document, in bytes of UTF-8.
    pub max_document_bytes: usize,
    /// Sustained changes per second per connection.
    pub changes_per_second: u32,
}

/// The answer to `auth`.
#[derive(Debug, Clone, Serialize)]
pub struct Welcome {
    /// Protocol version.
    pub protocol: u32,
    /// This connection's id.
    pub session_id: Uuid,
    /// The revision this welcome describes.
    pub revision: u64,
    /// The text at `revision`, unless `changes` is sent.
    pub content: Option<String>,
    /// What the client missed, in order, when it resumed inside the window.
    pub changes: Option<Vec<ServerMsg>>,
    /// The client's revision could not be replayed.
    pub resync: bool,
    /// The highest committed `seq` of this client id.
    pub last_seq: u64,
    /// The document.
    pub document: DocumentInfo,
    /// The caller's role.
    pub role: &'static str,
    /// The caller.
    pub user: UserInfo,
    /// Everyone else present.
    pub participants: Vec<ParticipantInfo>,
    /// Limits.
    pub limits: LimitsInfo,
}

/// A message to a client.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// The answer to `auth`.
    Welcome(Box<Welcome>),
    /// The client's change `seq` is committed as `revision`.
    Ack {
        /// The change.
        seq: u64,
        /// The revision it produced.
        revision: u64,
    },
    /// Someone else's committed change.
    DocumentChange {
        /// The revision it produced.
        revision: u64,
        /// The operation, transformed to apply to `revision - 1`.
        operation: tandem_ot::Operation,
        /// Its author.
        user_id: Uuid,
        /// Its author's connection.
        session_id: Uuid,
        /// The author's selection at `revision`.
        #[serde(skip_serializing_if = "Option::is_none")]
        selection: Option<Selection>,
        /// `"undo"` or `"redo"` when the change undid (or redid) its author's step;
        /// absent for ordinary edits.
        #[serde(skip_serializing_if = "Kind::is_edit")]
        kind: Kind,
    },
    /// The answer to `undo` or `redo`, once its op is committed (or at once if there was
    /// nothing to undo).
    UndoResult {
        /// `"undo"` or `"redo"`.
        action: Action,
        /// What happened.
        result: UndoOutcome,
        /// The revision the undo committed as (`applied` only).
        #[serde(skip_serializing_if = "Option::is_none")]
        revision: Option<u64>,
        /// The request's `id`, if it had one.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<serde_json::Value>,
        /// Why it failed (`failed` only).
        #[serde(skip_serializing_if = "Option::is_none")]
        code: Option<ErrorCode>,
        /// What went wrong (`failed` only).
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// Someone's selection.
    CursorPosition {
        /// Whose.
        user_id: Uuid,
        /// Which connection.
        session_id: Uuid,
        /// The revision it is expressed in.
        revision: u64,
        /// The selection, or none.
        selection: Option<Selection>,
    },
    /// Someone opened the document.
    UserJoined {
        /// Who.
        user_id: Uuid,
        /// Their connection.
        session_id: Uuid,
        /// Display name.
        display_name: String,
        /// Colour.
        color: String,
    },
    /// Someone's connection closed.
    UserLeft {
        /// Who.
        user_id: Uuid,
        /// Their connection.
        session_id: Uuid,
    },
    /// The text at `revision` was saved as `version`.
    DocumentSaved {
        /// The revision saved.
        revision: u64,
        /// The Document Service version.
        version: i64,
        /// When.
        saved_at: chrono::DateTime<chrono::Utc>,
    },
    /// The document was renamed.
    TitleChanged {
        /// The new title.
        title: String,
    },
    /// The caller's role changed.
    RoleChanged {
        /// The new role.
        role: &'static str,
    },
    /// Something was refused, or the server cannot do its part now.
    Error {
        /// Stable code.
        code: ErrorCode,
        /// Readable explanation.
        message: String,
        /// The change it is about.
        #[serde(skip_serializing_if = "Option::is_none")]
        seq: Option<u64>,
        /// When to try again.
        #[serde(skip_serializing_if = "Option::is_none")]
        retry_after_ms: Option<u64>,
    },
    /// The answer to `ping`.
    Pong {
        /// The ping's id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<serde_json::Value>,
    },
}

impl ServerMsg {
    /// An `error` about `seq`, if any.
    pub fn error(code: ErrorCode, message: impl Into<String>, seq: Option<u64>) -> Self {
        ServerMsg::Error {
            code,
            message: message.into(),
            seq,
            retry_after_ms: None,
        }
    }

    /// The message as one text frame.
    pub fn to_json(&self) -> String {
        // Serializing these types cannot fail: no maps with non-string keys, no I/O.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The `code` of an `error` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not JSON, or not an object with a string `type`.
    MalformedJson,
    /// A `type` this server does not know.
    UnknownType,
    /// A field is missing or wrong.
    InvalidMessage,
    /// A binary frame.
    BinaryNotSupported,
    /// A malformed op, or one that does not fit the text.
    InvalidOperation,
    /// A revision newer than the server's.
    InvalidRevision,
    /// A change based on a revision the server can no longer transform from.
    RevisionTooOld,
    /// A `seq` lower than one already committed.
    StaleSeq,
    /// A change or save from a reader.
    ReadOnly,
    /// Too many components or characters in one op.
    OperationTooLarge,
    /// The change would make the document too large.
    DocumentTooLarge,
    /// Too many messages per second.
    RateLimited,
    /// PostgreSQL cannot commit now.
    StorageUnavailable,
    /// Redis is down and the writer cannot be reached.
    FanoutUnavailable,
    /// An explicit save failed.
    SaveFailed,
    /// An undo could not be carried out now (nothing changed); try again.
    UndoFailed,
}

impl ErrorCode {
    /// The code as sent (for metrics labels).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::InvalidMessage => "invalid_message",
            ErrorCode::BinaryNotSupported => "binary_not_supported",
            ErrorCode::InvalidOperation => "invalid_operation",
            ErrorCode::InvalidRevision => "invalid_revision",
            ErrorCode::RevisionTooOld => "revision_too_old",
            ErrorCode::StaleSeq => "stale_seq",
            ErrorCode::ReadOnly => "read_only",
            ErrorCode::OperationTooLarge => "operation_too_large",
            ErrorCode::DocumentTooLarge => "document_too_large",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::StorageUnavailable => "storage_unavailable",
            ErrorCode::FanoutUnavailable => "fanout_unavailable",
            ErrorCode::SaveFailed => "save_failed",
            ErrorCode::UndoFailed => "undo_failed",
        }
    }
}

/// Why the server closes a socket: a close code and its short reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Close {
    /// 1011.
    InternalError,
    /// 1012: shutting down, or no longer the document's writer.
    ServerRestart,
    /// 1013: the document cannot be loaded now, or the server is full.
    TryAgainLater,
    /// 4400: the first message is not a valid `auth`.
    BadRequest,
    /// 4401: no valid auth.
    Unauthorized,
    /// 4401: the session ended while connected.
    SessionEnded,
    /// 4403: access revoked.
    AccessRevoked,
    /// 4404: no such document, or no access.
    NotFound,
    /// 4404: trashed or deleted while connected.
    DocumentDeleted,
    /// 4408: no `auth` in time.
    AuthTimeout,
    /// 4408: no pong to two pings.
    Unresponsive,
    /// 4409: a newer connection with the same client id.
    Replaced,
    /// 4413: a message over the size limit.
    MessageTooLarge,
    /// 4429: flooding far over the rate limit.
    RateLimited,
    /// 4429: too many connections for this user.
    TooManyConnections,
    /// 4429: the document is full.
    DocumentFull,
    /// 4503: the client did not read fast enough.
    SlowConsumer,
}

impl Close {
    /// The close code.
    pub fn code(self) -> u16 {
        match self {
            Close::InternalError => 1011,
            Close::ServerRestart => 1012,
            Close::TryAgainLater => 1013,
            Close::BadRequest => 4400,
            Close::Unauthorized | Close::SessionEnded => 4401,
            Close::AccessRevoked => 4403,
            Close::NotFound | Close::DocumentDeleted => 4404,
            Close::AuthTimeout | Close::Unresponsive => 4408,
            Close::Replaced => 4409,
            Close::MessageTooLarge => 4413,
            Close::RateLimited | Close::TooManyConnections | Close::DocumentFull => 4429,
            Close::SlowConsumer => 4503,
        }
    }

    /// The close frame's reason.
    pub fn reason(self) -> &'static str {
        match self {
            Close::InternalError => "internal_error",
            Close::ServerRestart => "server_restart",
            Close::TryAgainLater => "try_again_later",
            Close::BadRequest => "bad_request",
            Close::Unauthorized => "unauthorized",
            Close::SessionEnded => "session_ended",
            Close::AccessRevoked => "access_revoked",
            Close::NotFound => "not_found",
            Close::DocumentDeleted => "document_deleted",
            Close::AuthTimeout => "auth_timeout",
            Close::Unresponsive => "unresponsive",
            Close::Replaced => "replaced",
            Close::MessageTooLarge => "message_too_large",
            Close::RateLimited => "rate_limited",
            Close::TooManyConnections => "too_many_connections",
            Close::DocumentFull => "document_full",
            Close::SlowConsumer => "slow_consumer",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_parse_and_broken_ones_are_classified() {
        let change = ClientMsg::parse(
            r#"{"type":"document_change","revision":3,"operation":[1,"a"],"seq":1,"extra":true}"#,
        )
        .unwrap();
        assert!(
            matches!(change, ClientMsg::DocumentChange(ChangeMsg { revision: 3, seq: 1, ref operation, .. }) if operation.get() == r#"[1,"a"]"#)
        );
        let code = |text: &str| ClientMsg::parse(text).unwrap_err().code;
        assert_eq!(code("{not json"), ErrorCode::MalformedJson);
        assert_eq!(code("[1,2]"), ErrorCode::MalformedJson);
        assert_eq!(code(r#"{"type":5}"#), ErrorCode::MalformedJson);
        assert_eq!(code(r#"{"type":"shout"}"#), ErrorCode::UnknownType);
        assert_eq!(
            code(r#"{"type":"document_change","revision":-1,"operation":[],"seq":1}"#),
            ErrorCode::InvalidMessage
        );
        let missing =
            ClientMsg::parse(r#"{"type":"cursor_position","selection":null}"#).unwrap_err();
        assert!(missing.message.contains("revision"), "{}", missing.message);
    }

    #[test]
    fn server_messages_serialize_as_the_protocol_says() {
        let mut op = tandem_ot::Operation::new();
        op.retain(2).insert("!");
        let change = ServerMsg::DocumentChange {
            revision: 1,
            operation: op,
            user_id: Uuid::nil(),
            session_id: Uuid::nil(),
            selection: None,
            kind: Kind::Edit,
        };
        assert_eq!(
            change.to_json(),
            r#"{"type":"document_change","revision":1,"operation":[2,"!"],"user_id":"00000000-0000-0000-0000-000000000000","session_id":"00000000-0000-0000-0000-000000000000"}"#
        );
        let error = ServerMsg::error(ErrorCode::ReadOnly, "readers cannot edit", Some(4));
        assert_eq!(
            error.to_json(),
            r#"{"type":"error","code":"read_only","message":"readers cannot edit","seq":4}"#
        );
    }

    #[test]
    fn selections_clamp_to_the_document() {
        let s = Selection {
            anchor: u64::MAX,
            head: 3,
        };
        assert_eq!(s.clamped(5), tandem_ot::Selection { anchor: 5, head: 3 });
    }
}

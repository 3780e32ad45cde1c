//! The Document Service's event channel (`documents:events`, see its `events` module),
//! read by every instance: access changes close or restrict sockets, trash and deletion
//! end them (and drop the op log), renames and outside content changes reach the session.

use crate::clients::Role;
use crate::document::actor::Command;
use crate::hub::Hub;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// The stream key, without the deployment prefix (the Document Service's, documented).
const STREAM: &str = "documents:events";

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    AccessChanged {
        document_id: Uuid,
        user_id: Uuid,
        role: Option<Role>,
    },
    Trashed {
        document_id: Uuid,
    },
    Restored {
        #[allow(dead_code)]
        document_id: Uuid,
    },
    Deleted {
        document_id: Uuid,
    },
    TitleChanged {
        document_id: Uuid,
        title: String,
    },
    ContentChanged {
        document_id: Uuid,
        version: i64,
    },
}

/// Reads the channel for ever, from the moment the instance starts.
pub async fn run(hub: Arc<Hub>) {
    use secrecy::ExposeSecret;
    let key = hub.platform.redis.key(STREAM);
    let mut last_id = "$".to_owned();
    loop {
        let connection = async {
            redis::Client::open(hub.platform.config.redis.url.expose_secret())?
                .get_multiplexed_async_connection()
                .await
        }
        .await;
        let Ok(mut conn) = connection else {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        loop {
            let reply: redis::RedisResult<redis::streams::StreamReadReply> = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(500)
                .arg("BLOCK")
                .arg(5000)
                .arg("STREAMS")
                .arg(&key)
                .arg(&last_id)
                .query_async(&mut conn)
                .await;
            match reply {
                Ok(reply) => {
                    for stream in reply.keys {
                        for entry in stream.ids {
                            last_id = entry.id.clone();
                            let event = entry
                                .get::<String>("event")
                                .and_then(|json| serde_json::from_str::<Event>(&json).ok());
                            if let Some(event) = event {
                                apply(&hub, event).await;
                            }
                        }
                    }
                }
                Err(error) => {
                    tracing::debug!(%error, "document events read failed; reconnecting");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    break;
                }
            }
        }
    }
}

async fn apply(hub: &Hub, event: Event) {
    let db = &hub.platform.db;
    match event {
        Event::AccessChanged {
            document_id,
            user_id,
            role,
        } => hub.access_changed(document_id, user_id, role),
        Event::Trashed { document_id } => {
            hub.tell(document_id, Command::Gone);
            if let Err(error) = crate::store::log::forget(db, document_id).await {
                tracing::warn!(%error, "dropping the op log of a trashed document failed");
            }
        }
        Event::Deleted { document_id } => {
            hub.tell(document_id, Command::Gone);
            if let Err(error) = crate::store::log::purge(db, document_id).await {
                tracing::warn!(%error, "dropping the collab data of a deleted document failed");
            }
        }
        Event::Restored { .. } => {}
        Event::TitleChanged { document_id, title } => hub.tell(document_id, Command::Title(title)),
        Event::ContentChanged {
            document_id,
            version,
        } => hub.tell(document_id, Command::ContentChanged(version)),
    }
}

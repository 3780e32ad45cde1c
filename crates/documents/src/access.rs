//! Authorization: the caller's role on a document, from the cache or PostgreSQL.

use crate::cache::Lookup;
use crate::domain::Role;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::documents::{self, Document};
use tandem_platform::Problem;
use uuid::Uuid;

fn require(role: Option<Role>, min: Role) -> Result<Role> {
    match role {
        // No access at all: the document's existence is not revealed.
        None => Err(Error::NotFound),
        Some(role) if role >= min => Ok(role),
        Some(role) => Err(Problem::forbidden(format!(
            "This needs {} access; you have {}.",
            min.as_str(),
            role.as_str()
        ))
        .with("your_role", role.as_str())
        .into()),
    }
}

/// The caller's role: from the cache when it has it, else from PostgreSQL (filling the
/// cache unless a write intervened). `lookup` is `None` when Redis could not be asked.
async fn role(
    state: &AppState,
    id: Uuid,
    user: Uuid,
    lookup: Option<Lookup<Option<Role>>>,
) -> Result<Option<Role>> {
    Ok(match lookup {
        Some(Lookup {
            hit: Some(role), ..
        }) => role,
        Some(Lookup { generation, .. }) => {
            let role = documents::role_of(&state.platform.db, id, user).await?;
            state.cache.fill_role(id, user, &generation, role).await;
            role
        }
        None => documents::role_of(&state.platform.db, id, user).await?,
    })
}

/// The caller's role on a live document, requiring at least `min`.
pub(crate) async fn authorize(state: &AppState, id: Uuid, user: Uuid, min: Role) -> Result<Role> {
    let lookup = match state.cache.get(id, user, false).await {
        Ok((role, _)) => Some(role),
        Err(error) => {
            tracing::warn!(%error, "permission cache unavailable; asking PostgreSQL");
            None
        }
    };
    require(role(state, id, user, lookup).await?, min)
}

/// The document with the caller's role, requiring at least `min`, served from the cache
/// when possible (one Redis round trip for both).
pub(crate) async fn load(
    state: &AppState,
    id: Uuid,
    user: Uuid,
    min: Role,
) -> Result<(Role, Document)> {
    let (role_lookup, doc_lookup) = match state.cache.get(id, user, true).await {
        Ok(lookups) => (Some(lookups.0), Some(lookups.1)),
        Err(error) => {
            tracing::warn!(%error, "document cache unavailable; asking PostgreSQL");
            (None, None)
        }
    };
    let role = require(role(state, id, user, role_lookup).await?, min)?;
    let cached = doc_lookup
        .as_ref()
        .and_then(|l| l.hit.as_deref())
        .and_then(|json| serde_json::from_str::<Document>(json).ok());
    if let Some(document) = cached {
        return Ok((role, document));
    }
    let document = documents::get(&state.platform.db, id)
        .await?
        .filter(|d| d.deleted_at.is_none())
        .ok_or(Error::NotFound)?;
    if let (Some(lookup), Ok(json)) = (doc_lookup, serde_json::to_string(&document)) {
        state
            .cache
            .fill_document(id, &lookup.generation, &json)
            .await;
    }
    Ok((role, document))
}

/// Forgets cached state of `id` after a committed write. A failure is an error: serving a
/// revoked permission from the cache would be worse than failing the request.
pub(crate) async fn invalidate(state: &AppState, id: Uuid) -> Result<()> {
    state.cache.invalidate(id).await?;
    Ok(())
}

use super::Auth;
use super::dto::{Collaborator, CollaboratorList};
use crate::access;
use crate::domain::Role;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::{documents, permissions, versions};
use axum::extract::State;
use std::collections::HashMap;
use tandem_platform::extract::{Json, Path};
use uuid::Uuid;

/// Everyone with access: role, name, their latest edit, their number of edits, and
/// whether they are editing right now.
#[utoipa::path(
    get, path = "/documents/{id}/collaborators", tag = "documents",
    security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Document id")),
    responses(
        (status = 200, description = "The collaborators, owner first", body = CollaboratorList),
        (status = 404, description = "No such document, or no access to it", body = tandem_platform::Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(document_id = %id))]
pub(crate) async fn list(
    State(state): State<AppState>,
    auth: Auth,
    Path(id): Path<Uuid>,
) -> Result<Json<CollaboratorList>> {
    access::authorize(&state, id, auth.user(), Role::Read).await?;
    let db = &state.platform.db;
    let document = documents::get(db, id).await?.ok_or(Error::NotFound)?;
    let mut people: Vec<(Uuid, String)> =
        vec![(document.owner_id, Role::Owner.as_str().to_owned())];
    people.extend(
        permissions::list(db, id)
            .await?
            .into_iter()
            .map(|g| (g.user_id, g.role)),
    );

    let ids: Vec<Uuid> = people.iter().map(|(id, _)| *id).collect();
    let (users, stats, present) = tokio::join!(
        state.users.many(&ids, &auth.token),
        versions::stats(db, id),
        state.collab.editing_now(id),
    );
    let users: HashMap<Uuid, _> = users
        .map_err(Error::Users)?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let stats: HashMap<Uuid, _> = stats?.into_iter().map(|s| (s.author_id, s)).collect();
    // Presence is the Collaboration Service's to know; without it, nobody is shown editing.
    let present = present.unwrap_or_else(|error| {
        tracing::warn!(error = %format!("{error:#}"), "could not ask collab who is editing");
        Vec::new()
    });

    let items = people
        .into_iter()
        .map(|(user_id, role)| {
            let user = users.get(&user_id);
            let stat = stats.get(&user_id);
            Collaborator {
                user_id,
                role,
                username: user.map(|u| u.username.clone()),
                display_name: user.map(|u| u.display_name.clone()),
                avatar_url: user.and_then(|u| u.avatar_url.clone()),
                last_edit_at: stat.map(|s| s.last_edit_at),
                edits: stat.map_or(0, |s| s.edits),
                editing_now: present.contains(&user_id),
            }
        })
        .collect();
    Ok(Json(CollaboratorList { items }))
}

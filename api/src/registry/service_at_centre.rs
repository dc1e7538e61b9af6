//! A service delivered at a centre (HSDS `service_at_location`): the link
//! that capacities count places for. A centre's managers add and remove the
//! services offered there; removing archives the link (its capacity and
//! history stay for the audit trail), and adding it again revives it.

use entity::{
    enums::{AuditAction, ChangeAction},
    service_at_centre,
    values::LocalizedText,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, prelude::Uuid,
};
use serde_json::{Value, json};

use super::{
    access::{Action, Caller, Viewer},
    events::Events,
    record, validate,
};
use crate::error::AppError;

fn snapshot(m: &service_at_centre::Model) -> Value {
    json!({
        "serviceId": m.service_id,
        "centreId": m.centre_id,
        "notes": m.notes,
        "archived": m.archived_at.is_some(),
    })
}

record::versioned!(service_at_centre::Model, "service_at_centre", snapshot snapshot, load load_for_edit, row Self);

/// The live link with this id, for an edit.
async fn load_for_edit(db: &impl ConnectionTrait, id: Uuid) -> Result<service_at_centre::Model, AppError> {
    service_at_centre::Entity::find_by_id(id)
        .filter(super::lifecycle::placement_live())
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no service at a centre with id {id}")))
}

/// The statements of [`by_ids`], built once.
static BY_ID: std::sync::LazyLock<super::LookupStatements> = super::by_id_statements!(service_at_centre);

/// Links by id, archived or not.
pub async fn by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, service_at_centre::Model>, AppError> {
    super::find_by_ids::<service_at_centre::Entity>(db, &BY_ID, ids, |l| l.id).await
}

/// The link between a service and a centre, archived or not.
async fn find(
    db: &impl ConnectionTrait,
    centre_id: Uuid,
    service_id: Uuid,
) -> Result<Option<service_at_centre::Model>, AppError> {
    Ok(service_at_centre::Entity::find()
        .filter(service_at_centre::Column::CentreId.eq(centre_id))
        .filter(service_at_centre::Column::ServiceId.eq(service_id))
        .one(db)
        .await?)
}

/// Offers a service at a centre: the centre's managers and admins.
pub async fn add(
    db: &DatabaseConnection,
    viewer: &Viewer,
    centre_id: Uuid,
    service_id: Uuid,
    notes: Option<LocalizedText>,
) -> Result<service_at_centre::Model, AppError> {
    let actor = viewer.authorize(Action::EditPlacesAt(centre_id))?;
    let mut problems = validate::Problems::default();
    if let Some(notes) = &notes {
        problems.localized("notes", notes, false, validate::MAX_TEXT_CHARS);
    }
    problems.finish()?;
    let txn = super::begin_write(db).await?;
    let live_centre = super::centre::by_ids(&txn, &[centre_id]).await?.remove(&centre_id);
    let live_service = super::service::by_ids(&txn, &[service_id]).await?.remove(&service_id);
    if live_centre.is_none_or(|c| c.is_archived()) {
        return Err(AppError::not_found(format!("no centre with id {centre_id}")));
    }
    if live_service.is_none_or(|s| s.archived_at.is_some()) {
        return Err(AppError::not_found(format!("no service with id {service_id}")));
    }
    let now = super::now();
    let link = match find(&txn, centre_id, service_id).await? {
        Some(existing) if existing.archived_at.is_none() => {
            return Err(AppError::conflict(
                "the service is already offered at this centre",
                Some(crate::error::CurrentState {
                    version: existing.version,
                    values: snapshot(&existing),
                }),
            ));
        }
        // Offered again: the archived link lives again, audited as created
        // from what it was.
        Some(archived) => {
            let mut revived = archived.clone();
            revived.archived_at = None;
            revived.notes = notes;
            record::save(&txn, actor, (&archived, &mut revived), AuditAction::Create, now).await?;
            revived
        }
        None => {
            let link = new_link(Uuid::new_v4(), (service_id, centre_id), notes, now);
            record::insert(&txn, actor, &link).await?;
            link
        }
    };
    // A revived link brings its capacity back into view.
    let parent = super::change_feed::Parent::Link(link.id);
    super::change_feed::record_dependents(&txn, parent, ChangeAction::Updated).await?;
    txn.commit().await?;
    Ok(link)
}

/// Writes the service at a centre `id` (offering `service_id` at
/// `centre_id`) inside an import's transaction: created, its notes
/// changed (audited), or found unchanged. CONFLICT when Kamkor offers
/// the service there under another id, when `id` links another pair, or
/// when it is archived; NOT_FOUND when the centre or the service is not
/// live.
pub async fn put(
    txn: &DatabaseTransaction,
    actor: &Caller,
    id: Uuid,
    (centre_id, service_id): (Uuid, Uuid),
    notes: Option<LocalizedText>,
) -> Result<record::Put, AppError> {
    let mut problems = validate::Problems::default();
    if let Some(notes) = &notes {
        problems.localized("notes", notes, false, validate::MAX_TEXT_CHARS);
    }
    problems.finish()?;
    let live_centre = super::centre::by_ids(txn, &[centre_id]).await?.remove(&centre_id);
    if live_centre.is_none_or(|c| c.is_archived()) {
        return Err(AppError::not_found(format!("no centre with id {centre_id}")));
    }
    if super::service::by_ids(txn, &[service_id])
        .await?
        .remove(&service_id)
        .is_none_or(|s| s.archived_at.is_some())
    {
        return Err(AppError::not_found(format!("no service with id {service_id}")));
    }
    let current = service_at_centre::Entity::find_by_id(id).one(txn).await?;
    match &current {
        Some(found) if found.archived_at.is_some() => return Err(record::archived("service at a centre", id)),
        Some(found) if (found.centre_id, found.service_id) != (centre_id, service_id) => {
            return Err(AppError::conflict(
                format!("the service at a centre {id} offers another service or centre in Kamkor"),
                None,
            ));
        }
        Some(_) => {}
        None => {
            if let Some(other) = find(txn, centre_id, service_id).await? {
                return Err(AppError::conflict(
                    format!("Kamkor already offers this service at this centre, as {}", other.id),
                    None,
                ));
            }
        }
    }
    let now = super::now();
    let mut next = match &current {
        Some(current) => service_at_centre::Model {
            notes,
            ..current.clone()
        },
        None => new_link(id, (service_id, centre_id), notes, now),
    };
    record::put(txn, actor, current.as_ref(), &mut next, now).await
}

/// A new link offering `service_id` at `centre_id`.
fn new_link(
    id: Uuid,
    (service_id, centre_id): (Uuid, Uuid),
    notes: Option<LocalizedText>,
    now: chrono::DateTime<chrono::Utc>,
) -> service_at_centre::Model {
    service_at_centre::Model {
        id,
        service_id,
        centre_id,
        notes,
        archived_at: None,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

/// Stops offering a service at a centre: the centre's managers and admins.
/// The holds on its places end with it (see [`super::hold::cancel_under`]).
pub async fn remove(
    db: &DatabaseConnection,
    viewer: &Viewer,
    events: &Events,
    (centre_id, service_id): (Uuid, Uuid),
) -> Result<service_at_centre::Model, AppError> {
    let actor = viewer.authorize(Action::EditPlacesAt(centre_id))?;
    let mut outbox = events.outbox();
    let txn = super::begin_write(db).await?;
    let current = super::lifecycle::live_placement(&txn, centre_id, service_id).await?;
    let mut next = current.clone();
    record::save(&txn, actor, (&current, &mut next), AuditAction::Archive, super::now()).await?;
    super::hold::end_dependents(&txn, &mut outbox, super::change_feed::Parent::Link(next.id), actor).await?;
    txn.commit().await?;
    outbox.committed();
    Ok(next)
}

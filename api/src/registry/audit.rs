//! The audit trail: every change by anyone, written in the same
//! transaction as the change itself (so a failed write leaves neither), with
//! the actor and the fields changed from what to what.

use chrono::{DateTime, Utc};
use entity::{
    audit_entry,
    enums::{AuditAction, ChangeAction, RecordType},
    values::{FieldChange, FieldChanges},
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, prelude::Uuid,
};
use serde_json::Value;

use super::{
    Listing,
    access::{Action, Caller, Viewer},
    now,
};
use crate::error::AppError;

/// What a change did, to which record.
pub struct Entry<'a> {
    /// The table of the record, e.g. `centre`.
    pub entity: &'static str,
    pub entity_id: Uuid,
    pub action: AuditAction,
    /// The record before (`Value::Null` for a creation) and after, as
    /// snapshots of their fields.
    pub before: &'a Value,
    pub after: &'a Value,
    /// The record's version after the change.
    pub version: i32,
}

/// The fields that differ between two snapshots, with their old and new
/// values (a field missing from one side is null there).
pub fn diff(before: &Value, after: &Value) -> FieldChanges {
    let empty = serde_json::Map::new();
    let (old, new) = (
        before.as_object().unwrap_or(&empty),
        after.as_object().unwrap_or(&empty),
    );
    let mut fields: Vec<&String> = old.keys().chain(new.keys()).collect();
    fields.sort();
    fields.dedup();
    FieldChanges(
        fields
            .into_iter()
            .filter_map(|field| {
                let (o, n) = (
                    old.get(field).unwrap_or(&Value::Null),
                    new.get(field).unwrap_or(&Value::Null),
                );
                (o != n).then(|| FieldChange {
                    field: field.clone(),
                    old: o.clone(),
                    new: n.clone(),
                })
            })
            .collect(),
    )
}

/// The kind of record the change feed lists for an audited table, if any.
fn fed(entity: &str) -> Option<RecordType> {
    Some(match entity {
        "organization" => RecordType::Organization,
        "centre" => RecordType::Centre,
        "service" => RecordType::Service,
        "service_at_centre" => RecordType::ServiceAtCentre,
        "capacity" => RecordType::Capacity,
        _ => return None,
    })
}

/// Writes one entry, inside the caller's write transaction, and moves the
/// record to the end of the change feed: every audited change to a
/// registry record reaches the mirrors.
pub async fn record(db: &impl ConnectionTrait, actor: &Caller, entry: Entry<'_>) -> Result<(), AppError> {
    record_as(db, Actor::of(actor), entry).await
}

/// Who made a change, as the audit trail names them.
#[derive(Clone, Copy, Debug)]
pub struct Actor<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
    pub role: &'a str,
}

impl<'a> Actor<'a> {
    /// The registry itself: holds expiring, data loaded.
    pub const SYSTEM: Actor<'static> = Actor {
        issuer: "system",
        subject: "system",
        role: "system",
    };

    pub fn of(caller: &'a Caller) -> Self {
        Self {
            issuer: &caller.issuer,
            subject: &caller.subject,
            role: caller.role.as_str(),
        }
    }
}

/// As [`record`], for any actor (the registry itself included).
pub async fn record_as(db: &impl ConnectionTrait, actor: Actor<'_>, entry: Entry<'_>) -> Result<(), AppError> {
    if let Some(record_type) = fed(entry.entity) {
        let action = match entry.action {
            AuditAction::Create => ChangeAction::Created,
            AuditAction::Archive => ChangeAction::Archived,
            _ => ChangeAction::Updated,
        };
        super::change_feed::record(db, record_type, entry.entity_id, entry.version, action).await?;
    }
    audit_entry::Entity::insert(audit_entry::ActiveModel {
        id: Set(Uuid::new_v4()),
        entity: Set(entry.entity.to_owned()),
        entity_id: Set(entry.entity_id),
        action: Set(entry.action),
        actor_sub: Set(actor.subject.to_owned()),
        actor_issuer: Set(actor.issuer.to_owned()),
        actor_role: Set(actor.role.to_owned()),
        at: Set(now()),
        changes: Set(diff(entry.before, entry.after)),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Which entries to list.
#[derive(Clone, Debug, Default, Hash)]
pub struct AuditFilter {
    pub entity_id: Option<Uuid>,
    /// The actor's subject.
    pub actor: Option<String>,
    pub since: Option<DateTime<Utc>>,
}

/// Entries matching `filter`, newest first (registry admins).
pub fn list(viewer: &Viewer, filter: &AuditFilter) -> Result<Listing<audit_entry::Entity>, AppError> {
    viewer.authorize(Action::ReadAudit)?;
    let mut cond = Condition::all();
    if let Some(id) = filter.entity_id {
        cond = cond.add(audit_entry::Column::EntityId.eq(id));
    }
    if let Some(actor) = &filter.actor {
        cond = cond.add(audit_entry::Column::ActorSub.eq(actor.as_str()));
    }
    if let Some(since) = filter.since {
        cond = cond.add(audit_entry::Column::At.gte(since));
    }
    Ok(Listing::new(
        audit_entry::Entity::find()
            .filter(cond)
            .order_by_desc(audit_entry::Column::At)
            .order_by_desc(audit_entry::Column::Id),
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_diff_lists_exactly_the_changed_fields() {
        let before = json!({ "name": { "ky": "A" }, "ageMin": 3, "email": null });
        let after = json!({ "name": { "ky": "B" }, "ageMin": 3, "email": "x@y.kg" });
        let changes = diff(&before, &after).0;
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, ["email", "name"]);
        assert_eq!(changes[1].old, json!({ "ky": "A" }));
        assert_eq!(diff(&Value::Null, &json!({ "a": 1 })).0[0].old, Value::Null);
    }
}

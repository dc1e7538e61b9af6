use async_graphql::{ID, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{audit_entry, capacity_event};

use super::enums::AuditAction;
use crate::graphql::{
    connection::connection_type,
    ids::{self, NodeKind},
};

/// One change by anyone to any record.
#[derive(Clone, Debug)]
pub struct AuditEntry(pub audit_entry::Model);

/// One field a change touched.
#[derive(SimpleObject, Clone, Debug)]
pub struct FieldChange {
    /// The field, as the API names it (e.g. `name`, `available`).
    pub field: String,
    /// Its value before (null when the record was created).
    pub old: Json<serde_json::Value>,
    /// Its value after.
    pub new: Json<serde_json::Value>,
}

/// One change by anyone to any record: who, when, what.
#[Object]
impl AuditEntry {
    /// The entry's own id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The kind of record changed: `organization`, `centre`, `service`,
    /// `service_at_centre` or `capacity`.
    async fn entity(&self) -> &str {
        &self.0.entity
    }

    /// The global id of the record changed.
    async fn entity_id(&self) -> ID {
        match NodeKind::of_table(&self.0.entity) {
            Some(kind) => ids::encode(kind, self.0.entity_id),
            None => ID(self.0.entity_id.to_string()),
        }
    }

    /// What the change did.
    async fn action(&self) -> AuditAction {
        self.0.action.into()
    }

    /// Who made it: the subject of their token (`system` for the
    /// registry's own changes, such as holds expiring).
    async fn actor(&self) -> &str {
        &self.0.actor_sub
    }

    /// Who vouched for the actor: `kamkor` for the registry's own tokens,
    /// an identity provider's issuer (`iss`), or `system`. The actor is the
    /// issuer and the subject together.
    async fn actor_issuer(&self) -> &str {
        &self.0.actor_issuer
    }

    /// Their role when they made it.
    async fn actor_role(&self) -> &str {
        &self.0.actor_role
    }

    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }

    /// The fields changed, with their old and new values.
    async fn changes(&self) -> Vec<FieldChange> {
        self.0
            .changes
            .0
            .iter()
            .map(|c| FieldChange {
                field: c.field.clone(),
                old: Json(c.old.clone()),
                new: Json(c.new.clone()),
            })
            .collect()
    }
}

connection_type!(
    AuditEntryConnection,
    AuditEntryEdge,
    AuditEntry,
    "A page of the audit trail, newest first, as a Relay connection.",
    "An audit entry in a page, with its cursor."
);

/// One count of a capacity, as kept in its history.
#[derive(SimpleObject, Clone, Debug)]
pub struct CapacityEvent {
    /// Free places counted.
    pub available: i32,
    /// All places.
    pub maximum: i32,
    /// Children waiting.
    pub waitlist: i32,
    /// Who counted (token subject).
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<capacity_event::Model> for CapacityEvent {
    fn from(m: capacity_event::Model) -> Self {
        Self {
            available: m.available,
            maximum: m.maximum,
            waitlist: m.waitlist,
            actor: m.actor,
            at: m.at,
        }
    }
}

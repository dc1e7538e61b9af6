//! Organizations: the providers of help (state and municipal bodies, NGOs,
//! international partners, private providers).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{
    centre,
    enums::OrganizationKind,
    organization,
    values::{LocalizedText, Phone, Phones},
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    prelude::Uuid,
    sea_query::{Query, SelectStatement},
};
use serde_json::{Value, json};

use super::{
    Listing, NamedOrder,
    access::{Action, Caller, Viewer},
    admin_area::AreaScope,
    events::Events,
    lifecycle,
    record::{self, StampedRow},
    reference::ReferenceCache,
    search,
    text::Lang,
    validate::{MAX_NAME_CHARS, MAX_TEXT_CHARS, Problems},
};
use crate::error::AppError;

/// Conditions on organizations, combined with AND. Empty lists mean "any".
#[derive(Clone, Debug, Default)]
pub struct OrganizationFilter {
    pub text: Option<String>,
    pub kinds: Vec<OrganizationKind>,
    /// Organizations with a centre inside this area (a region includes its districts).
    pub area_code: Option<String>,
    pub updated_since: Option<DateTime<Utc>>,
}

/// Fills the columns derived from the record's own fields (search text,
/// name sort keys); every write path calls it.
pub fn fill_derived(m: &mut organization::Model) {
    m.search_text = search::search_text([Some(&m.name), m.description.as_ref()]);
    m.name_sort_ky = search::sort_key(&m.name, Lang::Ky);
    m.name_sort_ru = search::sort_key(&m.name, Lang::Ru);
}

/// The live organizations matching `filter`, in `order`.
pub async fn list(
    db: &impl ConnectionTrait,
    reference: &ReferenceCache,
    filter: &OrganizationFilter,
    order: NamedOrder,
) -> Result<Listing<organization::Entity>, AppError> {
    let mut cond = Condition::all().add(lifecycle::organization_live());
    if let Some(pattern) = search::pattern("text", filter.text.as_deref())? {
        cond = cond.add(organization::Column::SearchText.like(pattern));
    }
    if !filter.kinds.is_empty() {
        cond = cond.add(organization::Column::Kind.is_in(filter.kinds.iter().copied()));
    }
    if let Some(area) = super::admin_area::optional_scope(reference, db, filter.area_code.as_deref()).await? {
        cond = cond.add(organization::Column::Id.in_subquery(with_centre_in(&area)));
    }
    if let Some(since) = filter.updated_since {
        cond = cond.add(organization::Column::UpdatedAt.gte(since));
    }
    use organization::Column as C;
    let select = organization::Entity::find().filter(cond);
    Ok(Listing::new(order.apply(
        select,
        (C::NameSortKy, C::NameSortRu, C::UpdatedAt),
        C::Id,
    )))
}

/// Ids of the organizations with a live centre inside `area`.
fn with_centre_in(area: &AreaScope) -> SelectStatement {
    Query::select()
        .column(centre::Column::OrganizationId)
        .from(centre::Entity)
        .and_where(lifecycle::centre_live())
        .and_where(centre::Column::AdminAreaId.in_subquery(area.subtree_ids()))
        .to_owned()
}

/// Organizations by id, from this replica's reference cache where it has
/// them.
pub async fn cached_by_ids(
    reference: &ReferenceCache,
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, std::sync::Arc<organization::Model>>, AppError> {
    reference
        .organizations(ids, async |missing| by_ids(db, missing).await)
        .await
}

/// The statements of [`by_ids`], built once.
static BY_ID: std::sync::LazyLock<super::LookupStatements> = super::by_id_statements!(organization);

/// Organizations by id.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, organization::Model>, AppError> {
    super::find_by_ids::<organization::Entity>(db, &BY_ID, ids, |o| o.id).await
}

/// The editable fields of an organization.
#[derive(Clone, Debug)]
pub struct OrganizationFields {
    pub kind: OrganizationKind,
    pub name: LocalizedText,
    pub description: Option<LocalizedText>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub phones: Vec<Phone>,
}

/// A change to some of an organization's fields; `None` leaves a field as
/// it is, `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct OrganizationPatch {
    pub kind: Option<OrganizationKind>,
    pub name: Option<LocalizedText>,
    pub description: Option<Option<LocalizedText>>,
    pub email: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub phones: Option<Vec<Phone>>,
}

impl OrganizationPatch {
    fn apply(self, m: &mut organization::Model) {
        if let Some(v) = self.kind {
            m.kind = v;
        }
        if let Some(v) = self.name {
            m.name = v;
        }
        if let Some(v) = self.description {
            m.description = v;
        }
        if let Some(v) = self.email {
            m.email = v;
        }
        if let Some(v) = self.website {
            m.website = v;
        }
        if let Some(v) = self.phones {
            m.phones = Phones(v);
        }
    }
}

/// Checks an organization as it would be stored.
pub fn validate(m: &organization::Model) -> Result<(), AppError> {
    let mut problems = Problems::default();
    problems.localized("name", &m.name, true, MAX_NAME_CHARS);
    if let Some(description) = &m.description {
        problems.localized("description", description, false, MAX_TEXT_CHARS);
    }
    problems.email("email", m.email.as_deref());
    problems.website("website", m.website.as_deref());
    problems.phones("phones", &m.phones.0);
    problems.finish()
}

/// The editable fields, as the API names them: what the audit trail
/// compares and a conflict reports.
pub fn snapshot(m: &organization::Model) -> Value {
    json!({
        "kind": m.kind,
        "name": m.name,
        "description": m.description,
        "email": m.email,
        "website": m.website,
        "phones": m.phones.0,
        "archived": m.archived_at.is_some(),
    })
}

/// Creates an organization (registry admins).
pub async fn create(
    db: &DatabaseConnection,
    viewer: &Viewer,
    fields: OrganizationFields,
) -> Result<organization::Model, AppError> {
    let actor = viewer.authorize(Action::EditRegistry)?;
    let mut m = new_row(Uuid::new_v4(), fields, super::now());
    validate(&m)?;
    fill_derived(&mut m);
    let txn = super::begin_write(db).await?;
    record::insert(&txn, actor, &m).await?;
    txn.commit().await?;
    Ok(m)
}

/// Writes the organization `id` as `fields` say, inside an import's
/// transaction: created, changed at its stored version (audited), or
/// found unchanged. An archived one stays archived (CONFLICT).
pub async fn put(
    txn: &DatabaseTransaction,
    actor: &Caller,
    id: Uuid,
    fields: OrganizationFields,
) -> Result<record::Put, AppError> {
    let now = super::now();
    let current = match organization::Entity::find_by_id(id).one(txn).await? {
        Some(found) if found.archived_at.is_some() => return Err(record::archived("organization", id)),
        found => found,
    };
    let mut next = new_row(id, fields, now);
    if let Some(current) = &current {
        next.take_stamp(current.stamp());
    }
    validate(&next)?;
    fill_derived(&mut next);
    record::put(txn, actor, current.as_ref(), &mut next, now).await
}

/// A new organization row with `fields` (its derived columns still empty).
fn new_row(id: Uuid, fields: OrganizationFields, now: DateTime<Utc>) -> organization::Model {
    crate::new_record!(
        organization::Model {
            id,
            kind: fields.kind,
            name: fields.name,
            description: fields.description,
            email: fields.email,
            website: fields.website,
            phones: Phones(fields.phones),
        },
        now,
        demo = false
    )
}

/// Checks that a record refers to a live organization (`organizationId`).
pub async fn require_live(db: &impl ConnectionTrait, id: Uuid) -> Result<(), AppError> {
    match by_ids(db, &[id]).await?.get(&id) {
        Some(o) if o.archived_at.is_none() => Ok(()),
        _ => Err(AppError::invalid_fields(vec![crate::error::FieldProblem {
            field: "organizationId".into(),
            message: "no such organization".into(),
        }])),
    }
}

record::versioned!(organization::Model, "organization", snapshot snapshot, load load_for_edit, row Self);

/// The live organization with this id, for an edit.
async fn load_for_edit(db: &impl ConnectionTrait, id: Uuid) -> Result<organization::Model, AppError> {
    organization::Entity::find_by_id(id)
        .filter(lifecycle::organization_live())
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found(format!("no organization with id {id}")))
}

/// Changes an organization at `expected_version` (registry admins);
/// archiving is a change too.
pub async fn update(
    db: &DatabaseConnection,
    viewer: &Viewer,
    id: Uuid,
    expected_version: i32,
    patch: OrganizationPatch,
    archive: bool,
    events: &Events,
) -> Result<organization::Model, AppError> {
    let actor = viewer.authorize(Action::EditRegistry)?;
    let mut outbox = events.outbox();
    let txn = super::begin_write(db).await?;
    let current = load_for_edit(&txn, id).await?;
    record::expect_version(&current, expected_version)?;
    let mut next = current.clone();
    patch.apply(&mut next);
    validate(&next)?;
    fill_derived(&mut next);
    record::save(
        &txn,
        actor,
        (&current, &mut next),
        record::edit_action(archive),
        super::now(),
    )
    .await?;
    // Replicas keep organizations (see `reference`): each must forget this one.
    outbox.reference_changed(&txn).await?;
    txn.commit().await?;
    outbox.committed();
    Ok(next)
}

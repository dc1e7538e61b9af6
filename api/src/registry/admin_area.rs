//! Administrative areas and "this area and everything inside it".

use std::{collections::HashMap, sync::Arc};

use entity::admin_area;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    prelude::Uuid,
    sea_query::{ExprTrait, Query, SelectStatement},
};

use super::reference::ReferenceCache;
use crate::error::AppError;

/// An area named by a caller, resolved to its materialised path (by
/// [`scope`]).
#[derive(Clone, Debug)]
pub struct AreaScope {
    pub area: Arc<admin_area::Model>,
}

impl AreaScope {
    /// Ids of the area and of every area inside it.
    pub fn subtree_ids(&self) -> SelectStatement {
        Query::select()
            .column(admin_area::Column::Id)
            .from(admin_area::Entity)
            .and_where(admin_area::Column::Path.starts_with(&self.area.path))
            .to_owned()
    }

    /// Ids of the area, of its ancestors and of every area inside it: the
    /// areas whose service coverage overlaps this one.
    pub fn overlapping_ids(&self) -> SelectStatement {
        let ancestors: Vec<&str> = self.area.path.split('/').filter(|c| !c.is_empty()).collect();
        Query::select()
            .column(admin_area::Column::Id)
            .from(admin_area::Entity)
            .cond_where(
                admin_area::Column::Path
                    .starts_with(&self.area.path)
                    .or(admin_area::Column::Code.is_in(ancestors)),
            )
            .to_owned()
    }
}

/// The areas directly inside `parent_code`, or the top-level areas.
pub async fn children(
    db: &impl ConnectionTrait,
    parent_code: Option<&str>,
) -> Result<Vec<admin_area::Model>, AppError> {
    let parent_id = match parent_code {
        Some(code) => {
            super::validate::area_code("parentCode", code)?;
            let parent = admin_area::Entity::find()
                .filter(admin_area::Column::Code.eq(code))
                .one(db)
                .await?
                .ok_or_else(|| AppError::not_found(format!("no admin area with code {code:?}")))?;
            Some(parent.id)
        }
        None => None,
    };
    let query = admin_area::Entity::find().order_by_asc(admin_area::Column::Code);
    let query = match parent_id {
        Some(id) => query.filter(admin_area::Column::ParentId.eq(id)),
        None => query.filter(admin_area::Column::ParentId.is_null()),
    };
    Ok(query.all(db).await?)
}

/// The statements of [`by_ids`], built once.
static BY_ID: std::sync::LazyLock<super::LookupStatements> = super::by_id_statements!(admin_area);

/// Areas by id.
pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<HashMap<Uuid, admin_area::Model>, AppError> {
    super::find_by_ids::<admin_area::Entity>(db, &BY_ID, ids, |a| a.id).await
}

/// The areas with these codes.
pub async fn by_codes(db: &impl ConnectionTrait, codes: &[&str]) -> Result<Vec<admin_area::Model>, AppError> {
    Ok(admin_area::Entity::find()
        .filter(admin_area::Column::Code.is_in(codes.iter().copied()))
        .all(db)
        .await?)
}

/// All areas, for aggregations that roll districts up into their region.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<admin_area::Model>, AppError> {
    Ok(admin_area::Entity::find().limit(10_000).all(db).await?)
}

/// Areas by id, from this replica's reference cache where it has them.
pub async fn cached_by_ids(
    reference: &ReferenceCache,
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Arc<admin_area::Model>>, AppError> {
    reference.areas(ids, async |missing| by_ids(db, missing).await).await
}

/// The area a caller's filter names by `code`, with everything inside it;
/// an unknown or malformed code is bad input.
pub async fn scope(reference: &ReferenceCache, db: &impl ConnectionTrait, code: &str) -> Result<AreaScope, AppError> {
    super::validate::area_code("areaCode", code)?;
    let key = [code.to_owned()];
    let found = reference
        .areas_by_code(&key, async |missing| {
            let codes: Vec<&str> = missing.iter().map(String::as_str).collect();
            let areas = by_codes(db, &codes).await?;
            Ok(areas.into_iter().map(|area| (area.code.clone(), area)).collect())
        })
        .await?;
    let area = found
        .get(code)
        .ok_or_else(|| AppError::bad_input(format!("unknown admin area code {code:?}")))?;
    Ok(AreaScope { area: area.clone() })
}

/// [`scope`] of an optional code.
pub async fn optional_scope(
    reference: &ReferenceCache,
    db: &impl ConnectionTrait,
    code: Option<&str>,
) -> Result<Option<AreaScope>, AppError> {
    match code {
        Some(code) => scope(reference, db, code).await.map(Some),
        None => Ok(None),
    }
}

/// Adds those of `areas` (parents first) whose code the registry does not
/// know yet; the number added. A child's parent is looked up by code, so
/// that areas already stored keep their ids.
pub async fn add_missing(db: &impl ConnectionTrait, areas: Vec<admin_area::Model>) -> Result<usize, AppError> {
    use sea_orm::IntoActiveModel;
    let stored = all(db).await?;
    let mut by_code: HashMap<String, admin_area::Model> = stored.into_iter().map(|a| (a.code.clone(), a)).collect();
    let given: HashMap<Uuid, String> = areas.iter().map(|a| (a.id, a.code.clone())).collect();
    let mut added = 0;
    for mut area in areas {
        if by_code.contains_key(&area.code) {
            continue;
        }
        let parent = area
            .parent_id
            .and_then(|p| given.get(&p))
            .and_then(|code| by_code.get(code));
        area.parent_id = parent.map(|p| p.id);
        area.path = format!("{}{}/", parent.map_or("/", |p| p.path.as_str()), area.code);
        admin_area::Entity::insert(area.clone().into_active_model())
            .exec_without_returning(db)
            .await?;
        by_code.insert(area.code.clone(), area);
        added += 1;
    }
    Ok(added)
}

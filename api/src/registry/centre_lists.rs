//! The services and capacities of a page of centres as lists show them
//! without their details (`Detail::Brief`), read with the page itself:
//! the database assembles each centre's two lists as JSON text, in two
//! more columns of the page's own statement.
//!
//! Why: a page of 20 centres carries about a hundred services and forty
//! capacities. Read as rows, each of their six hundred values is copied
//! and allocated on its own by the database driver, and each list is one
//! more statement, one more round trip to the connection's thread on
//! SQLite; as JSON a centre brings two text values, parsed here in one
//! pass each. The lists are exactly those of `service::offered_at` and
//! `capacity::of_centres` (`tests/api/centre_lists.rs` compares them).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use entity::{
    enums::{CapacityUnit, ServiceCategory, Stored},
    service, service_at_centre,
};
use sea_orm::{
    DbBackend, DbErr,
    prelude::Uuid,
    sea_query::{Expr, ExprTrait, Query, SimpleExpr},
};

use super::{
    capacity::{self, CapacityView},
    lifecycle,
    service::ServiceSummary,
    text::{Lang, localized_sql},
};
use crate::database::row::Row;

/// Which of a centre's brief lists to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Wanted {
    pub services: bool,
    pub capacities: bool,
}

/// A centre's brief lists; a list not [`Wanted`] is `None`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CentreLists {
    pub services: Option<Vec<Arc<ServiceSummary>>>,
    pub capacities: Option<Vec<Arc<CapacityView>>>,
}

/// SQL: the wanted brief lists of the centre of the enclosing query, as
/// columns to follow its own (see `Listing::window_with`); [`read`] reads
/// them back.
pub fn columns(backend: DbBackend, lang: Lang, wanted: Wanted) -> Vec<SimpleExpr> {
    let mut columns = Vec::with_capacity(2);
    if wanted.services {
        columns.push(services_json(backend, lang));
    }
    if wanted.capacities {
        columns.push(capacities_json(backend));
    }
    columns
}

/// The wanted brief lists of the centre `centre_id`, from the row's next
/// columns (those of [`columns`]); names in `lang`.
pub fn read(row: &Row<'_>, centre_id: Uuid, lang: Lang, wanted: Wanted) -> Result<CentreLists, DbErr> {
    let services = wanted
        .services
        .then(|| parse_services(next_json(row)?, lang))
        .transpose()?;
    let capacities = wanted
        .capacities
        .then(|| parse_capacities(next_json(row)?, centre_id))
        .transpose()?;
    Ok(CentreLists { services, capacities })
}

/// The next column, a JSON array as text; `[]` for NULL (PostgreSQL's
/// `json_agg` of no rows).
fn next_json<'r>(row: &Row<'r>) -> Result<&'r str, DbErr> {
    Ok(row.next::<Option<&str>>()?.unwrap_or("[]"))
}

/// SQL: the live services offered at the centre of the enclosing query, as
/// a JSON array of `[id, category, name]`, by Kyrgyz name as
/// `service::offered_at` orders them.
fn services_json(backend: DbBackend, lang: Lang) -> SimpleExpr {
    let col = |c: service::Column| -> SimpleExpr { Expr::col((service::Entity, c)) };
    let list = json_list(
        backend,
        vec![
            id_text(backend, col(service::Column::Id)),
            col(service::Column::Category),
            localized_sql(col(service::Column::Name), lang),
        ],
        vec![col(service::Column::NameSortKy), col(service::Column::Id)],
    );
    let subquery = Query::select()
        .expr(list)
        .from(service_at_centre::Entity)
        .inner_join(
            service::Entity,
            Expr::col((service::Entity, service::Column::Id))
                .equals((service_at_centre::Entity, service_at_centre::Column::ServiceId)),
        )
        .and_where(lifecycle::placement_of_enclosing_centre())
        .and_where(lifecycle::placement_live())
        .and_where(lifecycle::service_live())
        .to_owned();
    subquery.into()
}

/// SQL: the capacities of the centre's live services (of the enclosing
/// query), as a JSON array of `[id, unit, maximum, available, updated]`,
/// in no order: [`parse_capacities`] sorts them as the loader does.
fn capacities_json(backend: DbBackend) -> SimpleExpr {
    let col = |c: entity::capacity::Column| -> SimpleExpr { Expr::col((entity::capacity::Entity, c)) };
    let list = json_list(
        backend,
        vec![
            id_text(backend, col(entity::capacity::Column::Id)),
            col(entity::capacity::Column::Unit),
            col(entity::capacity::Column::Maximum),
            col(entity::capacity::Column::Available),
            col(entity::capacity::Column::Updated),
        ],
        vec![],
    );
    capacity::capacities_of_enclosing_centre().expr(list).to_owned().into()
}

/// SQL: a JSON array, as text, of one array of `items` per row, in
/// `order` (none when empty).
fn json_list(backend: DbBackend, items: Vec<SimpleExpr>, order: Vec<SimpleExpr>) -> SimpleExpr {
    let item = placeholders(backend, 1, items.len());
    let by = match order.len() {
        0 => String::new(),
        n => format!(" ORDER BY {}", placeholders(backend, items.len() + 1, n)),
    };
    let template = match backend {
        DbBackend::Postgres => format!("(json_agg(json_build_array({item}){by}))::text"),
        _ => format!("json_group_array(json_array({item}){by})"),
    };
    Expr::cust_with_exprs(template, items.into_iter().chain(order))
}

/// `count` placeholders of a custom expression's operands from the
/// `from`-th: sea-query numbers them (`$1`) for PostgreSQL and takes them
/// in turn (`?`) for SQLite.
fn placeholders(backend: DbBackend, from: usize, count: usize) -> String {
    let one = |n: usize| match backend {
        DbBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    (from..from + count).map(one).collect::<Vec<_>>().join(", ")
}

/// SQL: a UUID column as JSON can hold it (SQLite keeps UUIDs as blobs).
fn id_text(backend: DbBackend, id: SimpleExpr) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => id,
        _ => Expr::cust_with_exprs("hex(?)", [id]),
    }
}

fn parse_services(json: &str, lang: Lang) -> Result<Vec<Arc<ServiceSummary>>, DbErr> {
    // Ids and enum values never hold escapes, so they are borrowed; a
    // name may, so it is owned.
    let items: Vec<(&str, &str, Option<String>)> = serde_json::from_str(json).map_err(bad_json)?;
    items
        .into_iter()
        .map(|(id, category, name)| {
            Ok(Arc::new(ServiceSummary {
                id: uuid(id)?,
                category: stored::<ServiceCategory>(category)?,
                name: name.unwrap_or_default(),
                lang,
                details: None,
            }))
        })
        .collect()
}

fn parse_capacities(json: &str, centre_id: Uuid) -> Result<Vec<Arc<CapacityView>>, DbErr> {
    let items: Vec<(&str, &str, i32, i32, &str)> = serde_json::from_str(json).map_err(bad_json)?;
    let mut views = items
        .into_iter()
        .map(|(id, unit, maximum, available, updated)| {
            Ok(CapacityView {
                id: uuid(id)?,
                centre_id,
                unit: stored::<CapacityUnit>(unit)?,
                maximum,
                available,
                updated: timestamp(updated)?,
                details: None,
            })
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    capacity::sort_as_listed(&mut views);
    Ok(views.into_iter().map(Arc::new).collect())
}

fn uuid(text: &str) -> Result<Uuid, DbErr> {
    Uuid::parse_str(text).map_err(|err| DbErr::Type(format!("{text:?} is not a UUID: {err}")))
}

fn stored<E: Stored>(value: &str) -> Result<E, DbErr> {
    E::from_stored(value).ok_or_else(|| DbErr::Type(format!("{value:?} is not a stored value of its enum")))
}

/// A stored time: RFC 3339 on SQLite, PostgreSQL's JSON spelling of a
/// `timestamptz` (also RFC 3339, in the session's time zone).
fn timestamp(text: &str) -> Result<DateTime<Utc>, DbErr> {
    // The strict RFC 3339 parser: a quarter of the instructions of chrono's
    // `FromStr`, which accepts looser spellings through its general parser.
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|err| DbErr::Type(format!("{text:?} is not a time: {err}")))
}

fn bad_json(err: serde_json::Error) -> DbErr {
    DbErr::Type(format!(
        "a list assembled by the database is not the JSON expected: {err}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_in_both_engines_spellings() {
        let sqlite = timestamp("2026-12-02T10:36:43.464143+00:00").expect("sqlite");
        let postgres = timestamp("2026-12-02T16:36:43.464143+06:00").expect("postgres");
        assert_eq!(sqlite, postgres);
    }

    #[test]
    fn names_with_escapes_and_missing_names_parse() {
        let json = r#"[["77AA3B7ADC234E17B794FF5A9A27111E","shelter","\"Үмүт\" борбору"],["77aa3b7a-dc23-4e17-b794-ff5a9a27111f","shelter",null]]"#;
        let services = parse_services(json, Lang::Ky).expect("parses");
        assert_eq!(services[0].name, "\"Үмүт\" борбору");
        assert_eq!(services[1].name, "");
        assert_eq!(services[0].id.as_u128() + 1, services[1].id.as_u128());
    }

    #[test]
    fn unknown_enum_values_are_errors() {
        let json = r#"[["77AA3B7ADC234E17B794FF5A9A27111E","bunk",1,1,"2026-12-02T10:36:43+00:00"]]"#;
        assert!(parse_capacities(json, Uuid::nil()).is_err());
    }
}

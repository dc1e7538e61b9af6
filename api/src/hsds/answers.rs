//! The answers of the HSDS API (`/hsds`), as its OpenAPI description gives
//! them: pages of services, organizations, services at locations,
//! taxonomies and terms, and each by id. The HTTP side (parameters, errors,
//! limits) is `http::hsds`.

use std::sync::Arc;

use sea_orm::{DatabaseConnection, prelude::Uuid};
use serde_json::{Value, json};

use super::{
    document::Publisher,
    vocabulary::{Taxonomy, Term, Vocabulary},
};
use crate::{
    error::AppError,
    registry::{
        NamedOrder, Window,
        access::LocationAccess,
        directory,
        organization::{self, OrganizationFilter},
        reference::ReferenceCache,
        search,
        service::{self, ServiceFilter},
        text::Lang,
    },
};

/// Most records on one page (as for GraphQL connections).
pub const MAX_PER_PAGE: u64 = 100;
pub const DEFAULT_PER_PAGE: u64 = 20;

/// Which page: its number (from 1) and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub number: u64,
    pub size: u64,
}

impl Page {
    fn window(self) -> Window {
        Window {
            offset: (self.number - 1).saturating_mul(self.size),
            limit: self.size,
        }
    }

    /// The HSDS page object around `contents`, one of `total` records.
    pub fn object(self, total: u64, contents: Vec<Value>) -> Value {
        let total_pages = total.div_ceil(self.size).max(1);
        json!({
            "total_items": total,
            "total_pages": total_pages,
            "page_number": self.number,
            "size": contents.len(),
            "first_page": self.number == 1,
            "last_page": self.number >= total_pages,
            "empty": contents.is_empty(),
            "contents": contents,
        })
    }
}

/// How much of each service an answer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Its id and when it last changed (`minimal`).
    Minimal,
    /// Its own fields and attributes.
    Own,
    /// With everything nested (`full`, and a service by id).
    Full,
}

/// What the API reads with, and for whom.
pub struct Reading {
    pub db: DatabaseConnection,
    pub reference: Arc<ReferenceCache>,
    pub access: LocationAccess,
}

impl Reading {
    /// The vocabulary of this registry (its areas are data).
    pub async fn vocabulary(&self) -> Result<(Vocabulary, Vec<entity::admin_area::Model>), AppError> {
        let areas = directory::areas(&self.db).await?;
        Ok((Vocabulary::new(&areas), areas))
    }

    /// The services matching `filter`: one window, and how many match.
    pub async fn services(&self, filter: &ServiceFilter, page: Page, shape: Shape) -> Result<Value, AppError> {
        let listing = service::list(&self.db, &self.reference, filter, NamedOrder::by_name(Lang::Ru)).await?;
        let total = listing.count(&self.db).await?;
        let contents = self.services_in(&listing, page.window(), shape).await?;
        Ok(page.object(total, contents))
    }

    /// One window of a list of services, shaped.
    pub async fn services_in(
        &self,
        listing: &crate::registry::Listing<entity::service::Entity>,
        window: Window,
        shape: Shape,
    ) -> Result<Vec<Value>, AppError> {
        let services = listing.window(&self.db, window).await?;
        self.shaped(services, shape).await
    }

    async fn shaped(&self, services: Vec<entity::service::Model>, shape: Shape) -> Result<Vec<Value>, AppError> {
        if shape == Shape::Minimal {
            return Ok(services
                .iter()
                .map(|s| json!({ "id": s.id, "last_modified": s.updated_at }))
                .collect());
        }
        let (vocabulary, areas) = self.vocabulary().await?;
        let publisher = Publisher::new(&vocabulary, &areas);
        let page = directory::around(&self.db, &self.access, services).await?;
        Ok(page
            .services
            .iter()
            .map(|s| match shape {
                Shape::Full => publisher.service_full(&page, s),
                _ => publisher.service(&page, s),
            })
            .collect())
    }

    /// The live service with this id, with everything nested.
    pub async fn service(&self, id: Uuid) -> Result<Value, AppError> {
        let services = directory::live_services(&self.db, &[id]).await?;
        self.shaped(services, Shape::Full)
            .await?
            .pop()
            .ok_or_else(|| AppError::not_found(format!("no service with id {id}")))
    }

    /// A page of the live organizations whose texts hold `search`.
    pub async fn organizations(&self, search: Option<String>, page: Page) -> Result<Value, AppError> {
        let filter = OrganizationFilter {
            text: search,
            ..Default::default()
        };
        let listing = organization::list(&self.db, &self.reference, &filter, NamedOrder::by_name(Lang::Ru)).await?;
        let total = listing.count(&self.db).await?;
        let organizations = listing.window(&self.db, page.window()).await?;
        let (vocabulary, areas) = self.vocabulary().await?;
        let publisher = Publisher::new(&vocabulary, &areas);
        let contents = organizations.iter().map(|o| publisher.organization(o)).collect();
        Ok(page.object(total, contents))
    }

    /// The live organization with this id, with its centres as locations.
    pub async fn organization(&self, id: Uuid) -> Result<Value, AppError> {
        let found = organization::by_ids(&self.db, &[id])
            .await?
            .remove(&id)
            .filter(|o| o.archived_at.is_none());
        let organization = found.ok_or_else(|| AppError::not_found(format!("no organization with id {id}")))?;
        let centre_ids = crate::registry::centre::ids_by_organization(&self.db, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        let (centres, languages) = directory::centres(&self.db, &self.access, &centre_ids).await?;
        let (vocabulary, areas) = self.vocabulary().await?;
        let publisher = Publisher::new(&vocabulary, &areas);
        let mut object = publisher.organization(&organization);
        let locations: Vec<Value> = centre_ids
            .iter()
            .filter_map(|c| centres.get(c))
            .map(|c| publisher.location(c, languages.get(&c.id).map(Vec::as_slice).unwrap_or_default()))
            .collect();
        if !locations.is_empty() {
            object["locations"] = Value::Array(locations);
        }
        Ok(object)
    }

    /// A page of the live services at live centres, with their locations
    /// when `full`.
    pub async fn service_at_locations(
        &self,
        organization_id: Option<Uuid>,
        page: Page,
        full: bool,
    ) -> Result<Value, AppError> {
        let (links, total) = directory::placements(&self.db, organization_id, page.window()).await?;
        let contents = self.links(links, full).await?;
        Ok(page.object(total, contents))
    }

    /// The live service at a location with this id, with its location.
    pub async fn service_at_location(&self, id: Uuid) -> Result<Value, AppError> {
        let link = directory::placement(&self.db, id).await?;
        self.links(link.into_iter().collect(), true)
            .await?
            .pop()
            .ok_or_else(|| AppError::not_found(format!("no service_at_location with id {id}")))
    }

    async fn links(&self, links: Vec<entity::service_at_centre::Model>, full: bool) -> Result<Vec<Value>, AppError> {
        let ids: Vec<Uuid> = links.iter().map(|l| l.centre_id).collect();
        let (centres, languages) = directory::centres(&self.db, &self.access, &ids).await?;
        let (vocabulary, areas) = self.vocabulary().await?;
        let publisher = Publisher::new(&vocabulary, &areas);
        Ok(links
            .iter()
            .map(|link| {
                let location = full
                    .then(|| centres.get(&link.centre_id))
                    .flatten()
                    .map(|c| publisher.location(c, languages.get(&c.id).map(Vec::as_slice).unwrap_or_default()));
                publisher.service_at_location(link, location)
            })
            .collect())
    }
}

/// Whether `needle` (folded) is in any of `texts`.
fn matches(needle: Option<&str>, texts: &[&str]) -> bool {
    needle.is_none_or(|n| texts.iter().any(|t| search::fold(t).contains(n)))
}

fn folded(needle: Option<&str>) -> Option<String> {
    needle.map(|n| search::fold(n.trim())).filter(|n| !n.is_empty())
}

/// A page of the Kamkor taxonomies.
pub fn taxonomies(search: Option<&str>, page: Page) -> Value {
    let needle = folded(search);
    let all: Vec<Value> = Taxonomy::ALL
        .into_iter()
        .filter(|t| matches(needle.as_deref(), &[t.name(), t.description()]))
        .map(Taxonomy::object)
        .collect();
    paged(all, page)
}

/// A page of the terms, of one taxonomy when `taxonomy_id` names it.
pub fn taxonomy_terms(vocabulary: &Vocabulary, search: Option<&str>, taxonomy: Option<Taxonomy>, page: Page) -> Value {
    let needle = folded(search);
    let all: Vec<Value> = vocabulary
        .all()
        .into_iter()
        .filter(|t| taxonomy.is_none_or(|x| t.taxonomy == x))
        .filter(|t| matches(needle.as_deref(), &[&t.code, &t.name, &t.description]))
        .map(Term::object)
        .collect();
    paged(all, page)
}

fn paged(all: Vec<Value>, page: Page) -> Value {
    let total = all.len() as u64;
    let window = page.window();
    let contents = all
        .into_iter()
        .skip(usize::try_from(window.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(window.limit).unwrap_or(usize::MAX))
        .collect();
    page.object(total, contents)
}

/// Narrows `filter` to the services a Kamkor term or taxonomy classifies.
/// Only the terms that sort services do: categories, target groups, areas.
pub fn classify(
    vocabulary: &Vocabulary,
    (term_id, taxonomy_id): (Option<Uuid>, Option<Uuid>),
    filter: &mut ServiceFilter,
) -> Result<(), AppError> {
    use super::vocabulary::variant;
    const SORTING: &str = "kamkor-service-category, kamkor-target-group or kamkor-area";
    if let Some(id) = term_id {
        let term = vocabulary
            .term(id)
            .ok_or_else(|| AppError::bad_input(format!("taxonomy_term_id {id} is no term of this registry")))?;
        match term.taxonomy {
            Taxonomy::ServiceCategory => filter.categories = variant(&term.code).into_iter().collect(),
            Taxonomy::TargetGroup => filter.target_groups = variant(&term.code).into_iter().collect(),
            Taxonomy::Area => filter.area_code = Some(term.code.clone()),
            other => {
                return Err(AppError::bad_input(format!(
                    "taxonomy_term_id: terms of {} do not sort services; use a term of {SORTING}",
                    other.name()
                )));
            }
        }
    }
    if let Some(id) = taxonomy_id {
        let taxonomy = Taxonomy::by_id(id)
            .ok_or_else(|| AppError::bad_input(format!("taxonomy_id {id} is no taxonomy of this registry")))?;
        match taxonomy {
            // Every service has a category: no narrowing.
            Taxonomy::ServiceCategory => {}
            Taxonomy::TargetGroup if filter.target_groups.is_empty() => {
                use sea_orm::Iterable;
                filter.target_groups = entity::enums::TargetGroup::iter().collect();
            }
            Taxonomy::TargetGroup => {}
            other => {
                return Err(AppError::bad_input(format!(
                    "taxonomy_id: {} does not sort services; use kamkor-service-category or kamkor-target-group",
                    other.name()
                )));
            }
        }
    }
    Ok(())
}

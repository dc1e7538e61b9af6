use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::centre;
use sea_orm::prelude::Uuid;

use super::{
    Phone,
    admin_area::AdminArea,
    capacity::Capacity,
    enums::{CentreKind, CentreStatus, GendersServed},
    organization::Organization,
    service::Service,
    text::{Lang, Translation, in_lang, translations},
};
use crate::{
    error::AppError,
    graphql::{connection::connection_type, context::ContextExt, ids},
    registry::access::Viewer,
};

#[derive(Clone, Debug)]
pub struct Centre {
    model: centre::Model,
}

impl Centre {
    /// The centre as `viewer` may see it (see `registry::access`).
    pub fn new(model: centre::Model, viewer: &Viewer) -> Self {
        Self {
            model: viewer.location_access().redact(model),
        }
    }

    /// The centre with this id, as the caller may see it; `None` when there
    /// is none.
    pub async fn find(ctx: &Context<'_>, id: Uuid) -> Result<Option<Self>, AppError> {
        let model = ctx.loaders()?.centre.load_one(id).await?;
        let viewer = ctx.viewer()?;
        Ok(model
            .filter(|m| m.archived_at.is_none() || viewer.sees_archived())
            .map(|m| Self::new(m, viewer)))
    }

    /// The centre another record refers to, which must exist (archived or
    /// not).
    pub async fn load(ctx: &Context<'_>, id: Uuid) -> Result<Self, AppError> {
        let model = ctx.loaders()?.centre.load_one(id).await?;
        let viewer = ctx.viewer()?;
        model
            .map(|m| Self::new(m, viewer))
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("centre {id} is referred to but missing")))
    }
}

/// A physical place where help is given: a crisis or rehabilitation centre, a
/// day-care centre, a family-support or social-services office.
#[Object]
impl Centre {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ids::encode(ids::NodeKind::Centre, self.model.id)
    }

    /// The name, in `lang` or the request's language.
    async fn name(&self, ctx: &Context<'_>, lang: Option<Lang>) -> String {
        in_lang(&self.model.name, ctx.lang(lang)).unwrap_or_default()
    }

    /// What kind of place this is.
    async fn kind(&self) -> CentreKind {
        self.model.kind.into()
    }

    /// What the centre does and for whom.
    async fn description(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Option<String> {
        self.model.description.as_ref().and_then(|t| in_lang(t, ctx.lang(lang)))
    }

    /// The organization running the centre.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization, AppError> {
        Organization::load(ctx, self.model.organization_id).await
    }

    /// The administrative area the centre lies in (always public).
    async fn area(&self, ctx: &Context<'_>) -> Result<AdminArea, AppError> {
        ctx.loaders()?
            .admin_area
            .load_one(self.model.admin_area_id)
            .await?
            .map(AdminArea)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("centre {} has no area", self.model.id)))
    }

    /// Street address. Null for confidential shelters unless the caller is a
    /// partner, one of the centre's managers or an admin.
    async fn address(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Option<String> {
        self.model.address.as_ref().and_then(|t| in_lang(t, ctx.lang(lang)))
    }

    /// Latitude (WGS 84). Null for confidential shelters for anonymous callers.
    async fn latitude(&self) -> Option<f64> {
        self.model.latitude
    }

    /// Longitude (WGS 84). Null for confidential shelters for anonymous callers.
    async fn longitude(&self) -> Option<f64> {
        self.model.longitude
    }

    /// True for shelters whose location is kept secret.
    async fn address_confidential(&self) -> bool {
        self.model.address_confidential
    }

    /// The centre's own phone numbers (empty for confidential shelters for
    /// anonymous callers: call the organization's intake line instead).
    async fn phones(&self) -> Vec<Phone> {
        self.model.phones.0.iter().map(Phone::from).collect()
    }

    /// Contact e-mail (hidden like the phones).
    async fn email(&self) -> Option<&str> {
        self.model.email.as_deref()
    }

    /// Opening hours as text.
    async fn opening_hours(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Option<String> {
        self.model
            .opening_hours
            .as_ref()
            .and_then(|t| in_lang(t, ctx.lang(lang)))
    }

    /// Physical accessibility (ramps, lifts, adapted rooms).
    async fn accessibility(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Option<String> {
        self.model
            .accessibility
            .as_ref()
            .and_then(|t| in_lang(t, ctx.lang(lang)))
    }

    /// Languages spoken with children and families (ISO 639-1 codes: ky, ru, uz, en).
    async fn languages(&self, ctx: &Context<'_>) -> Result<Vec<String>, AppError> {
        Ok(ctx
            .loaders()?
            .centre_languages
            .load_one(self.model.id)
            .await?
            .unwrap_or_default())
    }

    /// Youngest age received, in years.
    async fn age_min(&self) -> Option<i32> {
        self.model.age_min
    }

    /// Oldest age received, in years.
    async fn age_max(&self) -> Option<i32> {
        self.model.age_max
    }

    /// Whether girls, boys or both are received.
    async fn genders(&self) -> GendersServed {
        self.model.genders.into()
    }

    /// Whether the centre currently receives children.
    async fn status(&self) -> CentreStatus {
        self.model.status.into()
    }

    /// The services offered here, by Kyrgyz name.
    async fn services(&self, ctx: &Context<'_>) -> Result<Vec<Service>, AppError> {
        let services = ctx
            .loaders()?
            .centre_services
            .load_one(self.model.id)
            .await?
            .unwrap_or_default();
        Ok(services.into_iter().map(Service).collect())
    }

    /// Places counted here, one per service that has places.
    async fn capacities(&self, ctx: &Context<'_>) -> Result<Vec<Capacity>, AppError> {
        let records = ctx
            .loaders()?
            .centre_capacities
            .load_one(self.model.id)
            .await?
            .unwrap_or_default();
        Ok(records.into_iter().map(Capacity).collect())
    }

    /// Free places summed over all of the centre's capacities.
    async fn available_places(&self, ctx: &Context<'_>) -> Result<i32, AppError> {
        let records = ctx
            .loaders()?
            .centre_capacities
            .load_one(self.model.id)
            .await?
            .unwrap_or_default();
        Ok(records.iter().map(|r| r.capacity.available).sum())
    }

    /// True for demo records, which are not official figures.
    async fn is_demo(&self) -> bool {
        self.model.is_demo
    }

    /// When the record was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }

    /// When the record last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }

    /// Optimistic-concurrency version, incremented by every change.
    async fn version(&self) -> i32 {
        self.model.version
    }

    /// When the centre was archived; null while it is live (only admins
    /// see archived records).
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.model.archived_at
    }

    /// Every language of every text field, for editors (the address only
    /// where the caller may see it).
    async fn translations(&self) -> Vec<Translation> {
        let m = &self.model;
        translations(&[
            ("name", Some(&m.name)),
            ("description", m.description.as_ref()),
            ("address", m.address.as_ref()),
            ("openingHours", m.opening_hours.as_ref()),
            ("accessibility", m.accessibility.as_ref()),
        ])
    }
}

connection_type!(
    CentreConnection,
    CentreEdge,
    Centre,
    "A page of centres, as a Relay connection.",
    "A centre in a page, with its cursor."
);

use std::sync::Arc;

use async_graphql::{Context, ID, Lookahead, Object};
use entity::{centre, values::LocalizedText};
use sea_orm::prelude::Uuid;

use super::{
    Phone,
    admin_area::AdminArea,
    capacity::Capacity,
    enums::{CentreKind, CentreStatus, GendersServed},
    organization::Organization,
    service::Service,
    stamp::CentreStamp,
    text::{Lang, Translation, in_lang, translations},
};
use crate::{
    error::AppError,
    graphql::{
        connection::connection_type,
        context::ContextExt,
        ids,
        plain::{Plain, PlainList, plain_fields},
    },
    registry::{
        self, Detail,
        access::{Viewer, Visible},
        capacity::CapacityView,
        centre::{CentreDetails, CentreSummary, StoredCentre},
        centre_lists::{CentreLists, Wanted},
        record::Stamp,
        service::ServiceSummary,
    },
};

/// A centre as the caller may see it (see `registry::access::Visible`):
/// its summary (read with the list it came in) and, once a field needs it,
/// its whole record.
#[derive(Clone, Debug)]
pub struct Centre {
    summary: Arc<Visible<CentreSummary>>,
    record: Option<Visible<Arc<centre::Model>>>,
    /// The brief lists read with the page the centre came in, if it read
    /// any (see `registry::centre_lists`).
    brief: Option<Arc<CentreLists>>,
}

impl Centre {
    /// The record's stamp, from the summary when its list read the
    /// details, else from the whole record.
    pub async fn stamp(&self, ctx: &Context<'_>) -> Result<Stamp, AppError> {
        Ok(self.details(ctx).await?.stamp)
    }

    /// The centre of a summary a list read for the caller.
    pub fn new(summary: Visible<CentreSummary>) -> Self {
        Self {
            summary: Arc::new(summary),
            record: None,
            brief: None,
        }
    }

    /// The centre with the brief lists its page read with it.
    pub fn with_lists(self, lists: CentreLists) -> Self {
        let read = lists.services.is_some() || lists.capacities.is_some();
        Self {
            brief: read.then(|| Arc::new(lists)),
            ..self
        }
    }

    fn brief_services(&self) -> Option<&[Arc<ServiceSummary>]> {
        self.brief.as_ref()?.services.as_deref()
    }

    fn brief_capacities(&self) -> Option<&[Arc<CapacityView>]> {
        self.brief.as_ref()?.capacities.as_deref()
    }

    /// The centre of a whole record the caller may see.
    pub fn of_record(record: Visible<Arc<centre::Model>>, lang: Lang) -> Self {
        Self {
            summary: Arc::new(registry::centre::summary_of(&record, lang.into())),
            record: Some(record),
            brief: None,
        }
    }

    /// The centre of a stored record, as `viewer` may see it.
    pub fn of_stored(stored: &StoredCentre, viewer: &Viewer, lang: Lang) -> Self {
        Self::of_record(stored.seen_by(&viewer.location_access()), lang)
    }

    /// The centre with this id, as the caller may see it; `None` when there
    /// is none.
    pub async fn find(ctx: &Context<'_>, id: Uuid) -> Result<Option<Self>, AppError> {
        let stored = ctx.loaders()?.centre.load_one(id).await?;
        let viewer = ctx.viewer()?;
        Ok(stored
            .filter(|m| !m.is_archived() || viewer.sees_archived())
            .map(|m| Self::of_stored(&m, viewer, ctx.lang(None))))
    }

    /// The centre another record refers to, which must exist (archived or
    /// not).
    pub async fn load(ctx: &Context<'_>, id: Uuid) -> Result<Self, AppError> {
        let stored = ctx.loaders()?.centre.load_one(id).await?;
        let viewer = ctx.viewer()?;
        stored
            .map(|m| Self::of_stored(&m, viewer, ctx.lang(None)))
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("centre {id} is referred to but missing")))
    }

    /// The fields of a [`CentreDetails`], from the summary when its list
    /// read them, else from the whole record.
    async fn details(&self, ctx: &Context<'_>) -> Result<CentreDetails, AppError> {
        match self.summary.details {
            Some(details) => Ok(details),
            None => Ok(CentreDetails::of(&*self.record(ctx).await?)),
        }
    }

    /// Whether a list of centres, whose selections are `centres`, reads
    /// their [`CentreDetails`] (see `types::detail_selected`).
    pub fn detail_selected(centres: &[Lookahead<'_>]) -> Detail {
        super::detail_selected(centres, DETAIL_FIELDS)
    }

    fn global_id(&self) -> ID {
        ids::encode(ids::NodeKind::Centre, self.summary.id)
    }

    /// Whether the centre was read with its details.
    fn has_details(&self) -> bool {
        self.summary.details.is_some()
    }

    /// The summary's name, when it is in `lang`.
    fn summary_name(&self, lang: Lang) -> Option<&str> {
        (registry::text::Lang::from(lang) == self.summary.lang).then_some(self.summary.name.as_str())
    }

    /// Which brief lists a page of centres, whose selections are `centres`,
    /// reads with the page itself (see `registry::centre_lists`): its
    /// services and capacities when they are selected without details. A
    /// list read with its details goes through its own loader, as do a
    /// single centre's lists.
    pub fn lists_wanted(centres: &[Lookahead<'_>]) -> Wanted {
        let brief = |field: &str, detail: fn(&[Lookahead<'_>]) -> Detail| {
            let lists: Vec<Lookahead<'_>> = centres.iter().map(|c| c.field(field)).collect();
            lists.iter().any(Lookahead::exists) && detail(&lists) == Detail::Brief
        };
        Wanted {
            services: brief("services", Service::detail_selected),
            // The sum of free places reads the brief capacities too.
            capacities: brief("capacities", Capacity::detail_selected)
                || centres.iter().any(|c| c.field("availablePlaces").exists()),
        }
    }

    /// The whole record, as the caller may see it.
    async fn record(&self, ctx: &Context<'_>) -> Result<Arc<centre::Model>, AppError> {
        if let Some(record) = &self.record {
            return Ok(Arc::clone(record));
        }
        let id = self.summary.id;
        let stored = ctx
            .loaders()?
            .centre
            .load_one(id)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("centre {id} vanished within a request")))?;
        Ok(Arc::clone(&stored.seen_by(&ctx.viewer()?.location_access())))
    }

    /// A text field in the language asked for: the summary's name when it
    /// is in that language, else from the whole record.
    async fn text(
        &self,
        ctx: &Context<'_>,
        lang: Option<Lang>,
        field: fn(&centre::Model) -> Option<&LocalizedText>,
    ) -> Result<Option<String>, AppError> {
        let record = self.record(ctx).await?;
        Ok(field(&record).and_then(|t| in_lang(t, ctx.lang(lang))))
    }
}

/// Free places summed over a centre's capacities.
fn free_places(capacities: &[Arc<CapacityView>]) -> i32 {
    capacities.iter().map(|c| c.available).sum()
}

plain_fields!(Centre, |centre, ctx, nested| {
    "id" => centre.id(ctx),
    "name" if centre.summary_name(ctx.lang(None)).is_some() => centre.name(ctx, None),
    "kind" => centre.kind(ctx),
    "latitude" => centre.latitude(ctx),
    "longitude" => centre.longitude(ctx),
    "addressConfidential" => centre.address_confidential(ctx),
    "ageMin" details => centre.age_min(ctx),
    "ageMax" details => centre.age_max(ctx),
    "genders" details => centre.genders(ctx),
    "status" details => centre.status(ctx),
    "isDemo" details => CentreStamp(centre).is_demo(ctx),
    "archivedAt" details => CentreStamp(centre).archived_at(ctx),
    "version" details => CentreStamp(centre).version(ctx),
    "createdAt" details => CentreStamp(centre).created_at(ctx),
    "updatedAt" details => CentreStamp(centre).updated_at(ctx),
    "availablePlaces" if centre.brief_capacities().is_some() => centre.available_places(ctx),
    "services" list => centre.brief_services().and_then(|brief| {
        let services: Vec<Service> = brief.iter().cloned().map(Service::new).collect();
        nested.list(&services, ctx)
    }),
    "capacities" list => centre.brief_capacities().and_then(|brief| {
        let capacities: Vec<Capacity> = brief.iter().cloned().map(Capacity).collect();
        nested.list(&capacities, ctx)
    }),
});

/// A physical place where help is given: a crisis or rehabilitation centre, a
/// day-care centre, a family-support or social-services office.
#[Object]
impl Centre {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The name, in `lang` or the request's language.
    async fn name(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Result<String, AppError> {
        let lang = ctx.lang(lang);
        if let Some(name) = self.summary_name(lang) {
            return Ok(name.to_owned());
        }
        Ok(self.text(ctx, Some(lang), |m| Some(&m.name)).await?.unwrap_or_default())
    }

    /// What kind of place this is.
    async fn kind(&self) -> CentreKind {
        self.summary.kind.into()
    }

    /// What the centre does and for whom.
    async fn description(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Result<Option<String>, AppError> {
        self.text(ctx, lang, |m| m.description.as_ref()).await
    }

    /// The organization running the centre.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Plain<Organization>, AppError> {
        Organization::load(ctx, self.summary.organization_id).await.map(Plain)
    }

    /// The administrative area the centre lies in (always public).
    async fn area(&self, ctx: &Context<'_>) -> Result<Plain<AdminArea>, AppError> {
        AdminArea::load(ctx, self.summary.admin_area_id).await.map(Plain)
    }

    /// Street address. Null for confidential shelters unless the caller is a
    /// partner, one of the centre's managers or an admin.
    async fn address(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Result<Option<String>, AppError> {
        self.text(ctx, lang, |m| m.address.as_ref()).await
    }

    /// Latitude (WGS 84). Null for confidential shelters for anonymous callers.
    async fn latitude(&self) -> Option<f64> {
        self.summary.latitude
    }

    /// Longitude (WGS 84). Null for confidential shelters for anonymous callers.
    async fn longitude(&self) -> Option<f64> {
        self.summary.longitude
    }

    /// True for shelters whose location is kept secret.
    async fn address_confidential(&self) -> bool {
        self.summary.address_confidential
    }

    /// The centre's own phone numbers (empty for confidential shelters for
    /// anonymous callers: call the organization's intake line instead).
    async fn phones(&self, ctx: &Context<'_>) -> Result<Vec<Phone>, AppError> {
        Ok(self.record(ctx).await?.phones.0.iter().map(Phone::from).collect())
    }

    /// Contact e-mail (hidden like the phones).
    async fn email(&self, ctx: &Context<'_>) -> Result<Option<String>, AppError> {
        Ok(self.record(ctx).await?.email.clone())
    }

    /// Opening hours as text.
    async fn opening_hours(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Result<Option<String>, AppError> {
        self.text(ctx, lang, |m| m.opening_hours.as_ref()).await
    }

    /// Physical accessibility (ramps, lifts, adapted rooms).
    async fn accessibility(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Result<Option<String>, AppError> {
        self.text(ctx, lang, |m| m.accessibility.as_ref()).await
    }

    /// Languages spoken with children and families (ISO 639-1 codes: ky, ru, uz, en).
    async fn languages(&self, ctx: &Context<'_>) -> Result<Vec<String>, AppError> {
        let languages = ctx.loaders()?.centre_languages.load_one(self.summary.id).await?;
        Ok(languages.map(|l| l.to_vec()).unwrap_or_default())
    }

    /// Youngest age received, in years.
    async fn age_min(&self, ctx: &Context<'_>) -> Result<Option<i32>, AppError> {
        Ok(self.details(ctx).await?.age_min)
    }

    /// Oldest age received, in years.
    async fn age_max(&self, ctx: &Context<'_>) -> Result<Option<i32>, AppError> {
        Ok(self.details(ctx).await?.age_max)
    }

    /// Whether girls, boys or both are received.
    async fn genders(&self, ctx: &Context<'_>) -> Result<GendersServed, AppError> {
        Ok(self.details(ctx).await?.genders.into())
    }

    /// Whether the centre currently receives children.
    async fn status(&self, ctx: &Context<'_>) -> Result<CentreStatus, AppError> {
        Ok(self.details(ctx).await?.status.into())
    }

    /// The services offered here, by Kyrgyz name.
    async fn services(&self, ctx: &Context<'_>) -> Result<PlainList<Service>, AppError> {
        let detail = Service::detail_selected(&[ctx.look_ahead()]);
        if let (Detail::Brief, Some(list)) = (detail, self.brief_services()) {
            return Ok(list.iter().cloned().map(Service::new).collect());
        }
        let loaders = ctx.loaders()?;
        let loader = match detail {
            Detail::Full => &loaders.centre_services,
            Detail::Brief => &loaders.centre_services_brief,
        };
        let services = loader.load_one(self.summary.id).await?;
        Ok(services
            .map(|list| list.iter().cloned().map(Service::new).collect())
            .unwrap_or_default())
    }

    /// Places counted here, one per service that has places.
    async fn capacities(&self, ctx: &Context<'_>) -> Result<PlainList<Capacity>, AppError> {
        let detail = Capacity::detail_selected(&[ctx.look_ahead()]);
        if let (Detail::Brief, Some(list)) = (detail, self.brief_capacities()) {
            return Ok(list.iter().cloned().map(Capacity).collect());
        }
        let loaders = ctx.loaders()?;
        let loader = match detail {
            Detail::Full => &loaders.centre_capacities,
            Detail::Brief => &loaders.centre_capacities_brief,
        };
        let records = loader.load_one(self.summary.id).await?;
        Ok(records
            .map(|list| list.iter().cloned().map(Capacity).collect())
            .unwrap_or_default())
    }

    /// Free places summed over all of the centre's capacities.
    async fn available_places(&self, ctx: &Context<'_>) -> Result<i32, AppError> {
        // From the same list as `capacities` when that one reads no
        // details, as partner apps' pages do: one statement, one snapshot.
        if let Some(list) = self.brief_capacities() {
            return Ok(free_places(list));
        }
        let records = ctx.loaders()?.centre_capacities_brief.load_one(self.summary.id).await?;
        Ok(records.map_or(0, |list| free_places(&list)))
    }

    /// The record's stamp: `isDemo`, `createdAt`, `updatedAt`, `version`,
    /// `archivedAt` (see `stamp`).
    #[graphql(flatten)]
    async fn stamp_fields(&self, _ctx: &Context<'_>) -> CentreStamp<'_> {
        CentreStamp(self)
    }

    /// Every language of every text field, for editors (the address only
    /// where the caller may see it).
    async fn translations(&self, ctx: &Context<'_>) -> Result<Vec<Translation>, AppError> {
        let m = self.record(ctx).await?;
        Ok(translations(&[
            ("name", Some(&m.name)),
            ("description", m.description.as_ref()),
            ("address", m.address.as_ref()),
            ("openingHours", m.opening_hours.as_ref()),
            ("accessibility", m.accessibility.as_ref()),
        ]))
    }
}

connection_type!(
    plain CentreConnection,
    CentreEdge,
    Centre,
    "A page of centres, as a Relay connection.",
    "A centre in a page, with its cursor."
);

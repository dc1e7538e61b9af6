use std::sync::Arc;

use async_graphql::{Context, ID, Lookahead, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{service, values::LocalizedText};
use sea_orm::prelude::Uuid;

use super::{
    admin_area::AdminArea,
    centre::{Centre, CentreConnection},
    enums::{BenefitBasis, BenefitPeriod, ServiceCategory, ServiceKind, ServiceStatus, TargetGroup},
    organization::Organization,
    stamp::ServiceStamp,
    text::{Lang, Translation, in_lang, translations},
};
use crate::{
    error::AppError,
    graphql::{
        connection::{PageArgs, connection_complexity, connection_type, fingerprint, related_page},
        context::ContextExt,
        ids,
        plain::{Plain, plain_fields},
    },
    registry::{
        self, Detail,
        record::Stamp,
        service::{ServiceDetails, ServiceSummary, kind_of},
    },
};

/// A service: its summary (read with the list it came in) and, once a
/// field needs it, its whole record.
#[derive(Clone, Debug)]
pub struct Service {
    summary: Arc<ServiceSummary>,
    record: Option<Arc<service::Model>>,
}

impl Service {
    /// The record's stamp, from the summary when its list read the
    /// details, else from the whole record.
    pub async fn stamp(&self, ctx: &Context<'_>) -> Result<Stamp, AppError> {
        Ok(self.details(ctx).await?.stamp)
    }

    /// The service of a summary.
    pub fn new(summary: Arc<ServiceSummary>) -> Self {
        Self { summary, record: None }
    }

    /// The service of a whole record.
    pub fn of_record(record: Arc<service::Model>, lang: Lang) -> Self {
        Self {
            summary: Arc::new(ServiceSummary::of(&record, lang.into())),
            record: Some(record),
        }
    }

    /// The service with this id; `None` when there is none.
    pub async fn find(ctx: &Context<'_>, id: Uuid) -> Result<Option<Self>, AppError> {
        let record = ctx.loaders()?.service.load_one(id).await?;
        let viewer = ctx.viewer()?;
        Ok(record
            .filter(|m| m.archived_at.is_none() || viewer.sees_archived())
            .map(|m| Self::of_record(m, ctx.lang(None))))
    }

    /// The service another record refers to, which must exist.
    pub async fn load(ctx: &Context<'_>, id: Uuid) -> Result<Self, AppError> {
        ctx.loaders()?
            .service
            .load_one(id)
            .await?
            .map(|m| Self::of_record(m, ctx.lang(None)))
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("service {id} is referred to but missing")))
    }

    fn global_id(&self) -> ID {
        ids::encode(ids::NodeKind::Service, self.summary.id)
    }

    /// Whether the service was read with its details.
    fn has_details(&self) -> bool {
        self.summary.details.is_some()
    }

    /// The summary's name, when it is in `lang`.
    fn summary_name(&self, lang: Lang) -> Option<&str> {
        (registry::text::Lang::from(lang) == self.summary.lang).then_some(self.summary.name.as_str())
    }

    /// The whole record.
    async fn record(&self, ctx: &Context<'_>) -> Result<Arc<service::Model>, AppError> {
        if let Some(record) = &self.record {
            return Ok(record.clone());
        }
        let id = self.summary.id;
        ctx.loaders()?
            .service
            .load_one(id)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("service {id} vanished within a request")))
    }

    /// The fields of a [`ServiceDetails`], from the summary when its list read
    /// them, else from the whole record.
    async fn details(&self, ctx: &Context<'_>) -> Result<ServiceDetails, AppError> {
        match self.summary.details {
            Some(details) => Ok(details),
            None => Ok(ServiceDetails::of(&*self.record(ctx).await?)),
        }
    }

    /// Whether a list of services, whose selections are `services`, reads
    /// their [`ServiceDetails`] (see `types::detail_selected`).
    pub fn detail_selected(services: &[Lookahead<'_>]) -> Detail {
        super::detail_selected(services, DETAIL_FIELDS)
    }

    /// A text field of the whole record in the language asked for.
    async fn text(
        &self,
        ctx: &Context<'_>,
        lang: Option<Lang>,
        field: fn(&service::Model) -> Option<&LocalizedText>,
    ) -> Result<Option<String>, AppError> {
        let record = self.record(ctx).await?;
        Ok(field(&record).and_then(|t| in_lang(t, ctx.lang(lang))))
    }
}

plain_fields!(Service, |service, ctx, nested| {
    "id" => service.id(ctx),
    "name" if service.summary_name(ctx.lang(None)).is_some() => service.name(ctx, None),
    "kind" => service.kind(ctx),
    "category" => service.category(ctx),
    "ageMin" details => service.age_min(ctx),
    "ageMax" details => service.age_max(ctx),
    "status" details => service.status(ctx),
    "isFree" details => service.is_free(ctx),
    "isDemo" details => ServiceStamp(service).is_demo(ctx),
    "archivedAt" details => ServiceStamp(service).archived_at(ctx),
    "version" details => ServiceStamp(service).version(ctx),
    "createdAt" details => ServiceStamp(service).created_at(ctx),
    "updatedAt" details => ServiceStamp(service).updated_at(ctx),
} also_details ["organization"]);

/// The terms of a state cash benefit.
#[derive(SimpleObject, Clone, Debug)]
pub struct Benefit {
    /// The amount paid, in whole units of `currency`.
    pub amount: i64,
    /// ISO 4217 currency code (KGS, Kyrgyz som).
    pub currency: String,
    /// Monthly or one-off.
    pub period: Option<BenefitPeriod>,
    /// Per child or per family.
    pub basis: Option<BenefitBasis>,
    /// First day the terms apply.
    pub valid_from: Option<NaiveDate>,
    /// Last day the terms apply, if known.
    pub valid_to: Option<NaiveDate>,
    /// The law or decree the benefit rests on, in the requested language.
    pub legal_basis: Option<String>,
}

/// What is offered (HSDS `service`): a social service or a state cash benefit.
#[Object]
impl Service {
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

    /// SERVICE, or BENEFIT for state cash benefits.
    async fn kind(&self) -> ServiceKind {
        kind_of(self.summary.category).into()
    }

    /// The kind of help given.
    async fn category(&self) -> ServiceCategory {
        self.summary.category.into()
    }

    /// What the service is.
    async fn description(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Result<String, AppError> {
        Ok(self
            .text(ctx, lang, |m| Some(&m.description))
            .await?
            .unwrap_or_default())
    }

    /// Who may receive it.
    async fn eligibility(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Result<Option<String>, AppError> {
        self.text(ctx, lang, |m| m.eligibility.as_ref()).await
    }

    /// How to apply or be referred.
    async fn application_process(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Result<Option<String>, AppError> {
        self.text(ctx, lang, |m| m.application_process.as_ref()).await
    }

    /// Documents to bring.
    async fn required_documents(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Result<Option<String>, AppError> {
        self.text(ctx, lang, |m| m.required_documents.as_ref()).await
    }

    /// True when the service costs the family nothing.
    async fn is_free(&self, ctx: &Context<'_>) -> Result<bool, AppError> {
        Ok(self.details(ctx).await?.free)
    }

    /// The fees, when not free.
    async fn fees(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Result<Option<String>, AppError> {
        self.text(ctx, lang, |m| m.fees.as_ref()).await
    }

    /// The groups of children the service is meant for.
    async fn target_groups(&self, ctx: &Context<'_>) -> Result<Vec<TargetGroup>, AppError> {
        let groups = ctx.loaders()?.service_target_groups.load_one(self.summary.id).await?;
        Ok(groups
            .map(|g| g.iter().copied().map(TargetGroup::from).collect())
            .unwrap_or_default())
    }

    /// Youngest eligible age, in years.
    async fn age_min(&self, ctx: &Context<'_>) -> Result<Option<i32>, AppError> {
        Ok(self.details(ctx).await?.age_min)
    }

    /// Oldest eligible age, in years.
    async fn age_max(&self, ctx: &Context<'_>) -> Result<Option<i32>, AppError> {
        Ok(self.details(ctx).await?.age_max)
    }

    /// The organization providing the service.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Plain<Organization>, AppError> {
        let id = self.details(ctx).await?.organization_id;
        Organization::load(ctx, id).await.map(Plain)
    }

    /// The areas where the service is available (HSDS `service_area`).
    async fn areas(&self, ctx: &Context<'_>) -> Result<Vec<AdminArea>, AppError> {
        let areas = ctx.loaders()?.service_areas.load_one(self.summary.id).await?;
        Ok(areas
            .map(|list| list.iter().cloned().map(AdminArea).collect())
            .unwrap_or_default())
    }

    /// The centres where the service is delivered, by Kyrgyz name.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn centres(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only centres changed at or after this time (for mirrors).")] updated_since: Option<
            DateTime<Utc>,
        >,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<CentreConnection, AppError> {
        let loaders = ctx.loaders()?;
        let ids = loaders
            .service_centres
            .load_one(self.summary.id)
            .await?
            .unwrap_or_default();
        let viewer = ctx.viewer()?;
        let lang = ctx.lang(None);
        let query = fingerprint(&("Service.centres", self.summary.id, updated_since));
        let args = PageArgs::new(first, after, last, before);
        let related = (ids.as_slice(), updated_since);
        related_page(ctx, args, query, related, &loaders.centre, |m| {
            Centre::of_stored(&m, viewer, lang)
        })
        .await
        .map(CentreConnection)
    }

    /// The terms of a cash benefit; null for other services.
    async fn benefit(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Result<Option<Benefit>, AppError> {
        if self.summary.category != entity::enums::ServiceCategory::CashBenefit {
            return Ok(None);
        }
        let m = self.record(ctx).await?;
        let Some(amount) = m.benefit_amount else {
            return Ok(None);
        };
        Ok(Some(Benefit {
            amount,
            currency: m.benefit_currency.clone().unwrap_or_else(|| "KGS".to_owned()),
            period: m.benefit_period.map(Into::into),
            basis: m.benefit_basis.map(Into::into),
            valid_from: m.benefit_valid_from,
            valid_to: m.benefit_valid_to,
            legal_basis: m.benefit_legal_basis.as_ref().and_then(|t| in_lang(t, ctx.lang(lang))),
        }))
    }

    /// Whether the service is currently offered.
    async fn status(&self, ctx: &Context<'_>) -> Result<ServiceStatus, AppError> {
        Ok(self.details(ctx).await?.status.into())
    }

    /// The record's stamp: `isDemo`, `createdAt`, `updatedAt`, `version`,
    /// `archivedAt` (see `stamp`).
    #[graphql(flatten)]
    async fn stamp_fields(&self, _ctx: &Context<'_>) -> ServiceStamp<'_> {
        ServiceStamp(self)
    }

    /// Every language of every text field, for editors.
    async fn translations(&self, ctx: &Context<'_>) -> Result<Vec<Translation>, AppError> {
        let m = self.record(ctx).await?;
        Ok(translations(&[
            ("name", Some(&m.name)),
            ("description", Some(&m.description)),
            ("eligibility", m.eligibility.as_ref()),
            ("applicationProcess", m.application_process.as_ref()),
            ("requiredDocuments", m.required_documents.as_ref()),
            ("fees", m.fees.as_ref()),
            ("benefitLegalBasis", m.benefit_legal_basis.as_ref()),
        ]))
    }
}

connection_type!(
    ServiceConnection,
    ServiceEdge,
    Service,
    "A page of services and benefits, as a Relay connection.",
    "A service in a page, with its cursor."
);

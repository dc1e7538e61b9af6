use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::service;
use sea_orm::prelude::Uuid;

use super::{
    admin_area::AdminArea,
    centre::{Centre, CentreConnection},
    enums::{BenefitBasis, BenefitPeriod, ServiceCategory, ServiceKind, ServiceStatus, TargetGroup},
    organization::Organization,
    text::{Lang, Translation, in_lang, translations},
};
use crate::{
    error::AppError,
    graphql::{
        connection::{PageArgs, connection_complexity, connection_type, fingerprint, related_page},
        context::ContextExt,
        ids,
    },
    registry::service::kind_of,
};

#[derive(Clone, Debug)]
pub struct Service(pub service::Model);

impl Service {
    /// The service with this id; `None` when there is none.
    pub async fn find(ctx: &Context<'_>, id: Uuid) -> Result<Option<Self>, AppError> {
        let model = ctx.loaders()?.service.load_one(id).await?;
        let viewer = ctx.viewer()?;
        Ok(model
            .filter(|m| m.archived_at.is_none() || viewer.sees_archived())
            .map(Self))
    }

    /// The service another record refers to, which must exist.
    pub async fn load(ctx: &Context<'_>, id: Uuid) -> Result<Self, AppError> {
        ctx.loaders()?
            .service
            .load_one(id)
            .await?
            .map(Self)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("service {id} is referred to but missing")))
    }
}

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
        ids::encode(ids::NodeKind::Service, self.0.id)
    }

    /// The name, in `lang` or the request's language.
    async fn name(&self, ctx: &Context<'_>, lang: Option<Lang>) -> String {
        in_lang(&self.0.name, ctx.lang(lang)).unwrap_or_default()
    }

    /// SERVICE, or BENEFIT for state cash benefits.
    async fn kind(&self) -> ServiceKind {
        kind_of(self.0.category).into()
    }

    /// The kind of help given.
    async fn category(&self) -> ServiceCategory {
        self.0.category.into()
    }

    /// What the service is.
    async fn description(&self, ctx: &Context<'_>, lang: Option<Lang>) -> String {
        in_lang(&self.0.description, ctx.lang(lang)).unwrap_or_default()
    }

    /// Who may receive it.
    async fn eligibility(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Option<String> {
        self.0.eligibility.as_ref().and_then(|t| in_lang(t, ctx.lang(lang)))
    }

    /// How to apply or be referred.
    async fn application_process(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Option<String> {
        self.0
            .application_process
            .as_ref()
            .and_then(|t| in_lang(t, ctx.lang(lang)))
    }

    /// Documents to bring.
    async fn required_documents(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Option<String> {
        self.0
            .required_documents
            .as_ref()
            .and_then(|t| in_lang(t, ctx.lang(lang)))
    }

    /// True when the service costs the family nothing.
    async fn is_free(&self) -> bool {
        self.0.fees.is_none()
    }

    /// The fees, when not free.
    async fn fees(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Option<String> {
        self.0.fees.as_ref().and_then(|t| in_lang(t, ctx.lang(lang)))
    }

    /// The groups of children the service is meant for.
    async fn target_groups(&self, ctx: &Context<'_>) -> Result<Vec<TargetGroup>, AppError> {
        let groups = ctx
            .loaders()?
            .service_target_groups
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(groups.into_iter().map(TargetGroup::from).collect())
    }

    /// Youngest eligible age, in years.
    async fn age_min(&self) -> Option<i32> {
        self.0.age_min
    }

    /// Oldest eligible age, in years.
    async fn age_max(&self) -> Option<i32> {
        self.0.age_max
    }

    /// The organization providing the service.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization, AppError> {
        Organization::load(ctx, self.0.organization_id).await
    }

    /// The areas where the service is available (HSDS `service_area`).
    async fn areas(&self, ctx: &Context<'_>) -> Result<Vec<AdminArea>, AppError> {
        let areas = ctx
            .loaders()?
            .service_areas
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(areas.into_iter().map(AdminArea).collect())
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
        let ids = loaders.service_centres.load_one(self.0.id).await?.unwrap_or_default();
        let viewer = ctx.viewer()?;
        let query = fingerprint(&("Service.centres", self.0.id, updated_since));
        let args = PageArgs::new(first, after, last, before);
        let related = (ids.as_slice(), updated_since);
        related_page(ctx, args, query, related, &loaders.centre, |m| Centre::new(m, viewer))
            .await
            .map(CentreConnection)
    }

    /// The terms of a cash benefit; null for other services.
    async fn benefit(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Option<Benefit> {
        let m = &self.0;
        let amount = m.benefit_amount?;
        Some(Benefit {
            amount,
            currency: m.benefit_currency.clone().unwrap_or_else(|| "KGS".to_owned()),
            period: m.benefit_period.map(Into::into),
            basis: m.benefit_basis.map(Into::into),
            valid_from: m.benefit_valid_from,
            valid_to: m.benefit_valid_to,
            legal_basis: m.benefit_legal_basis.as_ref().and_then(|t| in_lang(t, ctx.lang(lang))),
        })
    }

    /// Whether the service is currently offered.
    async fn status(&self) -> ServiceStatus {
        self.0.status.into()
    }

    /// True for demo records, which are not official figures.
    async fn is_demo(&self) -> bool {
        self.0.is_demo
    }

    /// When the record was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When the record last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// Optimistic-concurrency version, incremented by every change.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When the service was archived; null while it is live (only admins
    /// see archived records).
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.0.archived_at
    }

    /// Every language of every text field, for editors.
    async fn translations(&self) -> Vec<Translation> {
        let m = &self.0;
        translations(&[
            ("name", Some(&m.name)),
            ("description", Some(&m.description)),
            ("eligibility", m.eligibility.as_ref()),
            ("applicationProcess", m.application_process.as_ref()),
            ("requiredDocuments", m.required_documents.as_ref()),
            ("fees", m.fees.as_ref()),
            ("benefitLegalBasis", m.benefit_legal_basis.as_ref()),
        ])
    }
}

connection_type!(
    ServiceConnection,
    ServiceEdge,
    Service,
    "A page of services and benefits, as a Relay connection.",
    "A service in a page, with its cursor."
);

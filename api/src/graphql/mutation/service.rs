use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::NaiveDate;
use sea_orm::prelude::Uuid;

use super::{ArchiveInput, LocalizedTextInput, patch};
use crate::{
    error::AppError,
    graphql::{
        context::ContextExt,
        ids::{self, NodeKind},
        types::{
            enums::{BenefitBasis, BenefitPeriod, ServiceCategory, ServiceStatus, TargetGroup, to_db},
            service::Service,
        },
    },
    registry::service::{self as domain, BenefitTerms, ServiceFields, ServicePatch},
};

/// The terms of a state cash benefit (for CASH_BENEFIT, and only for it).
#[derive(InputObject)]
pub struct BenefitInput {
    /// The amount paid, in whole som (KGS).
    pub amount: i64,
    /// Monthly or one-off.
    pub period: BenefitPeriod,
    /// Per child or per family.
    pub basis: BenefitBasis,
    /// First day the terms apply.
    pub valid_from: Option<NaiveDate>,
    /// Last day the terms apply.
    pub valid_to: Option<NaiveDate>,
    /// The law or decree the benefit rests on.
    pub legal_basis: Option<LocalizedTextInput>,
}

impl From<BenefitInput> for BenefitTerms {
    fn from(input: BenefitInput) -> Self {
        Self {
            amount: input.amount,
            period: input.period.into(),
            basis: input.basis.into(),
            valid_from: input.valid_from,
            valid_to: input.valid_to,
            legal_basis: input.legal_basis.map(Into::into),
        }
    }
}

/// A new service or benefit.
#[derive(InputObject)]
pub struct CreateServiceInput {
    /// The organization providing it.
    pub organization_id: ID,
    /// The kind of help given.
    pub category: ServiceCategory,
    /// The name, in Kyrgyz and Russian at least.
    pub name: LocalizedTextInput,
    /// What the service is, in Kyrgyz and Russian at least.
    pub description: LocalizedTextInput,
    /// Who may receive it.
    pub eligibility: Option<LocalizedTextInput>,
    /// How to apply or be referred.
    pub application_process: Option<LocalizedTextInput>,
    /// Documents to bring.
    pub required_documents: Option<LocalizedTextInput>,
    /// The fees; none means free.
    pub fees: Option<LocalizedTextInput>,
    /// Youngest eligible age (0..18).
    pub age_min: Option<i32>,
    /// Oldest eligible age (0..18).
    pub age_max: Option<i32>,
    /// The terms, for a CASH_BENEFIT.
    pub benefit: Option<BenefitInput>,
    /// The groups of children it is meant for.
    #[graphql(default)]
    pub target_groups: Vec<TargetGroup>,
    /// The areas where it is available (e.g. `KG-GB`).
    #[graphql(default)]
    pub area_codes: Vec<String>,
    /// Whether it is offered now.
    #[graphql(default_with = "ServiceStatus::Active")]
    pub status: ServiceStatus,
}

/// Changes to a service; absent fields stay as they are, null clears a
/// nullable one.
#[derive(InputObject)]
pub struct UpdateServiceInput {
    /// The service.
    pub id: ID,
    /// The version the change was made from; a stale one gets CONFLICT.
    pub expected_version: i32,
    /// The organization providing it.
    pub organization_id: Option<ID>,
    /// The kind of help given.
    pub category: Option<ServiceCategory>,
    /// The name.
    pub name: Option<LocalizedTextInput>,
    /// What the service is.
    pub description: Option<LocalizedTextInput>,
    /// Who may receive it.
    pub eligibility: MaybeUndefined<LocalizedTextInput>,
    /// How to apply or be referred.
    pub application_process: MaybeUndefined<LocalizedTextInput>,
    /// Documents to bring.
    pub required_documents: MaybeUndefined<LocalizedTextInput>,
    /// The fees; null makes it free.
    pub fees: MaybeUndefined<LocalizedTextInput>,
    /// Youngest eligible age.
    pub age_min: MaybeUndefined<i32>,
    /// Oldest eligible age.
    pub age_max: MaybeUndefined<i32>,
    /// The terms of a CASH_BENEFIT.
    pub benefit: MaybeUndefined<BenefitInput>,
    /// The groups of children it is meant for (the whole list).
    pub target_groups: Option<Vec<TargetGroup>>,
    /// The areas where it is available (the whole list).
    pub area_codes: Option<Vec<String>>,
    /// Whether it is offered now.
    pub status: Option<ServiceStatus>,
}

/// The service as created.
#[derive(SimpleObject)]
pub struct CreateServicePayload {
    /// The new service.
    pub service: Service,
}

/// The service as changed.
#[derive(SimpleObject)]
pub struct UpdateServicePayload {
    /// The service at its new version.
    pub service: Service,
}

/// The service as archived.
#[derive(SimpleObject)]
pub struct ArchiveServicePayload {
    /// The archived service.
    pub service: Service,
}

#[derive(Default)]
pub struct ServiceMutation;

#[Object]
impl ServiceMutation {
    /// Adds a service or benefit to the registry (registry admins).
    async fn create_service(
        &self,
        ctx: &Context<'_>,
        input: CreateServiceInput,
    ) -> Result<CreateServicePayload, AppError> {
        let fields = ServiceFields {
            organization_id: ids::decode_as(NodeKind::Organization, &input.organization_id)?,
            category: input.category.into(),
            name: input.name.into(),
            description: input.description.into(),
            eligibility: input.eligibility.map(Into::into),
            application_process: input.application_process.map(Into::into),
            required_documents: input.required_documents.map(Into::into),
            fees: input.fees.map(Into::into),
            age_min: input.age_min,
            age_max: input.age_max,
            benefit: input.benefit.map(Into::into),
            target_groups: to_db(Some(input.target_groups)),
            area_codes: input.area_codes,
            status: input.status.into(),
        };
        let model = domain::create(ctx.db()?, ctx.viewer()?, fields).await?;
        Ok(CreateServicePayload {
            service: Service::of_record(Arc::new(model), ctx.lang(None)),
        })
    }

    /// Changes a service or benefit (registry admins).
    async fn update_service(
        &self,
        ctx: &Context<'_>,
        input: UpdateServiceInput,
    ) -> Result<UpdateServicePayload, AppError> {
        let id = ids::decode_as(NodeKind::Service, &input.id)?;
        let changes = ServicePatch {
            organization_id: input
                .organization_id
                .map(|o| ids::decode_as(NodeKind::Organization, &o))
                .transpose()?,
            category: input.category.map(Into::into),
            name: input.name.map(Into::into),
            description: input.description.map(Into::into),
            eligibility: patch(input.eligibility, Into::into),
            application_process: patch(input.application_process, Into::into),
            required_documents: patch(input.required_documents, Into::into),
            fees: patch(input.fees, Into::into),
            age_min: patch(input.age_min, |a| a),
            age_max: patch(input.age_max, |a| a),
            benefit: patch(input.benefit, Into::into),
            target_groups: input.target_groups.map(|g| to_db(Some(g))),
            area_codes: input.area_codes,
            status: input.status.map(Into::into),
        };
        let service = save(ctx, (id, input.expected_version), changes, false).await?;
        Ok(UpdateServicePayload { service })
    }

    /// Archives a service or benefit (registry admins).
    async fn archive_service(&self, ctx: &Context<'_>, input: ArchiveInput) -> Result<ArchiveServicePayload, AppError> {
        let id = ids::decode_as(NodeKind::Service, &input.id)?;
        let service = save(ctx, (id, input.expected_version), Default::default(), true).await?;
        Ok(ArchiveServicePayload { service })
    }
}

/// Changes (or archives) the service `id` at `expected_version`, as the
/// caller of the request.
async fn save(
    ctx: &Context<'_>,
    (id, expected_version): (Uuid, i32),
    changes: ServicePatch,
    archive: bool,
) -> Result<Service, AppError> {
    let model = domain::update(
        ctx.db()?,
        ctx.viewer()?,
        ctx.events()?,
        id,
        expected_version,
        changes,
        archive,
    )
    .await?;
    Ok(Service::of_record(Arc::new(model), ctx.lang(None)))
}

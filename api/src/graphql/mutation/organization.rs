use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};

use super::{ArchiveInput, LocalizedTextInput, PhoneInput, patch, phones};
use crate::{
    error::AppError,
    graphql::{
        context::ContextExt,
        ids::{self, NodeKind},
        types::{enums::OrganizationKind, organization::Organization},
    },
    registry::organization::{self as domain, OrganizationFields, OrganizationPatch},
};

/// A new organization.
#[derive(InputObject)]
pub struct CreateOrganizationInput {
    /// Legal kind.
    pub kind: OrganizationKind,
    /// The name, in Kyrgyz and Russian at least.
    pub name: LocalizedTextInput,
    /// What the organization does.
    pub description: Option<LocalizedTextInput>,
    /// Contact e-mail.
    pub email: Option<String>,
    /// Web site (http or https).
    pub website: Option<String>,
    /// Phone numbers, the intake line first.
    #[graphql(default)]
    pub phones: Vec<PhoneInput>,
}

/// Changes to an organization; absent fields stay as they are, null clears
/// a nullable one.
#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    /// The organization.
    pub id: ID,
    /// The version the change was made from; a stale one gets CONFLICT.
    pub expected_version: i32,
    /// Legal kind.
    pub kind: Option<OrganizationKind>,
    /// The name.
    pub name: Option<LocalizedTextInput>,
    /// What the organization does.
    pub description: MaybeUndefined<LocalizedTextInput>,
    /// Contact e-mail.
    pub email: MaybeUndefined<String>,
    /// Web site.
    pub website: MaybeUndefined<String>,
    /// Phone numbers (the whole list).
    pub phones: Option<Vec<PhoneInput>>,
}

/// The organization as created.
#[derive(SimpleObject)]
pub struct CreateOrganizationPayload {
    /// The new organization.
    pub organization: Organization,
}

/// The organization as changed.
#[derive(SimpleObject)]
pub struct UpdateOrganizationPayload {
    /// The organization at its new version.
    pub organization: Organization,
}

/// The organization as archived.
#[derive(SimpleObject)]
pub struct ArchiveOrganizationPayload {
    /// The archived organization.
    pub organization: Organization,
}

#[derive(Default)]
pub struct OrganizationMutation;

#[Object]
impl OrganizationMutation {
    /// Adds a provider to the registry (registry admins).
    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        input: CreateOrganizationInput,
    ) -> Result<CreateOrganizationPayload, AppError> {
        let fields = OrganizationFields {
            kind: input.kind.into(),
            name: input.name.into(),
            description: input.description.map(Into::into),
            email: input.email,
            website: input.website,
            phones: phones(input.phones),
        };
        let model = domain::create(ctx.db()?, ctx.viewer()?, fields).await?;
        Ok(CreateOrganizationPayload {
            organization: Organization(Arc::new(model)),
        })
    }

    /// Changes a provider (registry admins).
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        input: UpdateOrganizationInput,
    ) -> Result<UpdateOrganizationPayload, AppError> {
        let id = ids::decode_as(NodeKind::Organization, &input.id)?;
        let changes = OrganizationPatch {
            kind: input.kind.map(Into::into),
            name: input.name.map(Into::into),
            description: patch(input.description, Into::into),
            email: patch(input.email, |e| e),
            website: patch(input.website, |w| w),
            phones: input.phones.map(phones),
        };
        let model = domain::update(
            ctx.db()?,
            ctx.viewer()?,
            id,
            input.expected_version,
            changes,
            false,
            ctx.events()?,
        )
        .await?;
        Ok(UpdateOrganizationPayload {
            organization: Organization(Arc::new(model)),
        })
    }

    /// Archives a provider (registry admins).
    async fn archive_organization(
        &self,
        ctx: &Context<'_>,
        input: ArchiveInput,
    ) -> Result<ArchiveOrganizationPayload, AppError> {
        let id = ids::decode_as(NodeKind::Organization, &input.id)?;
        let model = domain::update(
            ctx.db()?,
            ctx.viewer()?,
            id,
            input.expected_version,
            Default::default(),
            true,
            ctx.events()?,
        )
        .await?;
        Ok(ArchiveOrganizationPayload {
            organization: Organization(Arc::new(model)),
        })
    }
}

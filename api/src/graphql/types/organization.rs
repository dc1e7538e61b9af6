use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::organization;
use sea_orm::prelude::Uuid;

use super::{
    Phone,
    centre::{Centre, CentreConnection},
    enums::OrganizationKind,
    service::{Service, ServiceConnection},
    stamp::OrganizationStamp,
    text::{Lang, Translation, in_lang, translations},
};
use crate::{
    error::AppError,
    graphql::{
        connection::{PageArgs, connection_complexity, connection_type, fingerprint, related_page},
        context::ContextExt,
        ids,
        plain::plain_fields,
    },
    registry::record::{Stamp, StampedRow},
};

#[derive(Clone, Debug)]
pub struct Organization(pub Arc<organization::Model>);

impl Organization {
    /// The record's stamp.
    pub async fn stamp(&self, _ctx: &Context<'_>) -> Result<Stamp, AppError> {
        Ok(self.0.stamp())
    }

    /// The organization with this id; `None` when there is none.
    pub async fn find(ctx: &Context<'_>, id: Uuid) -> Result<Option<Self>, AppError> {
        let model = ctx.loaders()?.organization.load_one(id).await?;
        let viewer = ctx.viewer()?;
        Ok(model
            .filter(|m| m.archived_at.is_none() || viewer.sees_archived())
            .map(Self))
    }

    /// The organization another record refers to, which must exist.
    pub async fn load(ctx: &Context<'_>, id: Uuid) -> Result<Self, AppError> {
        ctx.loaders()?
            .organization
            .load_one(id)
            .await?
            .map(Self)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("organization {id} is referred to but missing")))
    }
}

impl Organization {
    fn global_id(&self) -> ID {
        ids::encode(ids::NodeKind::Organization, self.0.id)
    }

    fn name_in(&self, lang: Lang) -> String {
        in_lang(&self.0.name, lang).unwrap_or_default()
    }
}

plain_fields!(Organization, |organization, ctx, nested| {
    "id" => organization.id(ctx),
    "name" => organization.name(ctx, None),
    "kind" => organization.kind(ctx),
    "email" => organization.email(ctx),
    "website" => organization.website(ctx),
    "isDemo" => OrganizationStamp(organization).is_demo(ctx),
    "createdAt" => OrganizationStamp(organization).created_at(ctx),
    "updatedAt" => OrganizationStamp(organization).updated_at(ctx),
    "version" => OrganizationStamp(organization).version(ctx),
    "archivedAt" => OrganizationStamp(organization).archived_at(ctx),
});

/// A provider of help: a state or municipal body, an NGO, an international
/// partner or a private provider.
#[Object]
impl Organization {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The name, in `lang` or the request's language.
    async fn name(&self, ctx: &Context<'_>, lang: Option<Lang>) -> String {
        self.name_in(ctx.lang(lang))
    }

    /// What kind of provider this is.
    async fn kind(&self) -> OrganizationKind {
        self.0.kind.into()
    }

    /// What the organization does.
    async fn description(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Option<String> {
        self.0.description.as_ref().and_then(|t| in_lang(t, ctx.lang(lang)))
    }

    /// Contact e-mail.
    async fn email(&self) -> Option<&str> {
        self.0.email.as_deref()
    }

    /// Web site.
    async fn website(&self) -> Option<&str> {
        self.0.website.as_deref()
    }

    /// Phone numbers, among them the intake line that stays public even for
    /// confidential shelters.
    async fn phones(&self) -> Vec<Phone> {
        self.0.phones.0.iter().map(Phone::from).collect()
    }

    /// The organization's centres, by Kyrgyz name.
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
            .organization_centres
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let viewer = ctx.viewer()?;
        let query = fingerprint(&("Organization.centres", self.0.id, updated_since));
        let args = PageArgs::new(first, after, last, before);
        let related = (ids.as_slice(), updated_since);
        let lang = ctx.lang(None);
        related_page(ctx, args, query, related, &loaders.centre, |m| {
            Centre::of_stored(&m, viewer, lang)
        })
        .await
        .map(CentreConnection)
    }

    /// The organization's services and benefits, by Kyrgyz name.
    #[graphql(complexity = "connection_complexity(first, last, child_complexity)")]
    async fn services(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only services changed at or after this time (for mirrors).")] updated_since: Option<
            DateTime<Utc>,
        >,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<ServiceConnection, AppError> {
        let loaders = ctx.loaders()?;
        let ids = loaders
            .organization_services
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let query = fingerprint(&("Organization.services", self.0.id, updated_since));
        let args = PageArgs::new(first, after, last, before);
        let related = (ids.as_slice(), updated_since);
        let lang = ctx.lang(None);
        related_page(ctx, args, query, related, &loaders.service, |m| {
            Service::of_record(m, lang)
        })
        .await
        .map(ServiceConnection)
    }

    /// The record's stamp: `isDemo`, `createdAt`, `updatedAt`, `version`,
    /// `archivedAt` (see `stamp`).
    #[graphql(flatten)]
    async fn stamp_fields(&self, _ctx: &Context<'_>) -> OrganizationStamp<'_> {
        OrganizationStamp(self)
    }

    /// Every language of every text field, for editors.
    async fn translations(&self) -> Vec<Translation> {
        translations(&[
            ("name", Some(&self.0.name)),
            ("description", self.0.description.as_ref()),
        ])
    }
}

connection_type!(
    OrganizationConnection,
    OrganizationEdge,
    Organization,
    "A page of organizations, as a Relay connection.",
    "An organization in a page, with its cursor."
);

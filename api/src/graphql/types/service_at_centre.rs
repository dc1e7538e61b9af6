use async_graphql::{Context, ID, Object};
use chrono::{DateTime, Utc};
use entity::service_at_centre;
use sea_orm::prelude::Uuid;

use super::{
    centre::Centre,
    service::Service,
    text::{Lang, in_lang},
};
use crate::{
    error::AppError,
    graphql::{
        context::ContextExt,
        ids::{self, NodeKind},
    },
};

#[derive(Clone, Debug)]
pub struct ServiceAtCentre(pub std::sync::Arc<service_at_centre::Model>);

impl ServiceAtCentre {
    /// The link with this id, if the caller may see it: archived links,
    /// and those of archived centres or services, are for admins.
    pub async fn find(ctx: &Context<'_>, id: Uuid) -> Result<Option<Self>, AppError> {
        let model = ctx.loaders()?.service_at_centre.load_one(id).await?;
        match model {
            Some(m) if visible(ctx, &m).await? => Ok(Some(Self(m))),
            _ => Ok(None),
        }
    }
}

/// Whether the caller sees a link and what hangs on it (its capacity): all
/// of it is live, or the caller sees archived records.
pub async fn visible(ctx: &Context<'_>, link: &service_at_centre::Model) -> Result<bool, AppError> {
    if ctx.viewer()?.sees_archived() {
        return Ok(true);
    }
    if link.archived_at.is_some() {
        return Ok(false);
    }
    let (centre, service) = futures::try_join!(Centre::find(ctx, link.centre_id), Service::find(ctx, link.service_id))?;
    Ok(centre.is_some() && service.is_some())
}

/// A service offered at a centre (HSDS `service_at_location`): what places
/// are counted for.
#[Object]
impl ServiceAtCentre {
    /// Opaque global id.
    pub async fn id(&self) -> ID {
        ids::encode(NodeKind::ServiceAtCentre, self.0.id)
    }

    /// Where the service is offered.
    async fn centre(&self, ctx: &Context<'_>) -> Result<Centre, AppError> {
        Centre::load(ctx, self.0.centre_id).await
    }

    /// The service offered.
    async fn service(&self, ctx: &Context<'_>) -> Result<Service, AppError> {
        Service::load(ctx, self.0.service_id).await
    }

    /// What is particular about the service at this centre.
    async fn notes(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Option<String> {
        self.0.notes.as_ref().and_then(|t| in_lang(t, ctx.lang(lang)))
    }

    /// Incremented by every change.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// When the centre stopped offering the service (admins see these).
    async fn archived_at(&self) -> Option<DateTime<Utc>> {
        self.0.archived_at
    }
}

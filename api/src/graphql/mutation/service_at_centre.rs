use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use super::LocalizedTextInput;
use crate::{
    error::AppError,
    graphql::{
        context::ContextExt,
        ids::{self, NodeKind},
        types::{centre::Centre, service::Service},
    },
    registry::service_at_centre as domain,
};

/// A service offered at a centre.
#[derive(InputObject)]
pub struct AddServiceAtCentreInput {
    /// The centre.
    pub centre_id: ID,
    /// The service.
    pub service_id: ID,
    /// Notes on how the service is given there.
    pub notes: Option<LocalizedTextInput>,
}

/// A service no longer offered at a centre.
#[derive(InputObject)]
pub struct RemoveServiceAtCentreInput {
    /// The centre.
    pub centre_id: ID,
    /// The service.
    pub service_id: ID,
}

/// The service and the centre it is now offered at.
#[derive(SimpleObject)]
pub struct AddServiceAtCentrePayload {
    /// The centre.
    pub centre: Centre,
    /// The service.
    pub service: Service,
}

/// The service and the centre it is no longer offered at.
#[derive(SimpleObject)]
pub struct RemoveServiceAtCentrePayload {
    /// The centre.
    pub centre: Centre,
    /// The service.
    pub service: Service,
}

#[derive(Default)]
pub struct ServiceAtCentreMutation;

impl ServiceAtCentreMutation {
    fn ids(centre: &ID, service: &ID) -> Result<(sea_orm::prelude::Uuid, sea_orm::prelude::Uuid), AppError> {
        Ok((
            ids::decode_as(NodeKind::Centre, centre)?,
            ids::decode_as(NodeKind::Service, service)?,
        ))
    }
}

#[Object]
impl ServiceAtCentreMutation {
    /// Offers a service at a centre (the centre's managers and registry admins).
    async fn add_service_at_centre(
        &self,
        ctx: &Context<'_>,
        input: AddServiceAtCentreInput,
    ) -> Result<AddServiceAtCentrePayload, AppError> {
        let (centre, service) = Self::ids(&input.centre_id, &input.service_id)?;
        domain::add(ctx.db()?, ctx.viewer()?, centre, service, input.notes.map(Into::into)).await?;
        Ok(AddServiceAtCentrePayload {
            centre: Centre::load(ctx, centre).await?,
            service: Service::load(ctx, service).await?,
        })
    }

    /// Stops offering a service at a centre (the centre's managers and registry admins).
    async fn remove_service_at_centre(
        &self,
        ctx: &Context<'_>,
        input: RemoveServiceAtCentreInput,
    ) -> Result<RemoveServiceAtCentrePayload, AppError> {
        let (centre, service) = Self::ids(&input.centre_id, &input.service_id)?;
        domain::remove(ctx.db()?, ctx.viewer()?, ctx.events()?, (centre, service)).await?;
        Ok(RemoveServiceAtCentrePayload {
            centre: Centre::load(ctx, centre).await?,
            service: Service::load(ctx, service).await?,
        })
    }
}

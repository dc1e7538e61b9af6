use async_graphql::{Context, ID, InputObject, Object, SimpleObject};

use crate::{
    error::AppError,
    graphql::{
        context::ContextExt,
        ids::{self, NodeKind},
        types::{capacity::Capacity, enums::CapacityUnit},
    },
    registry::capacity::{self as domain, CapacityPatch, Count},
};

/// Places to count for a service at a centre.
#[derive(InputObject)]
pub struct CreateCapacityInput {
    /// The centre.
    pub centre_id: ID,
    /// The service (offered at the centre).
    pub service_id: ID,
    /// What one place is.
    pub unit: CapacityUnit,
    /// All places.
    pub maximum: i32,
    /// Free places now.
    pub available: i32,
    /// Children waiting for a place.
    #[graphql(default)]
    pub waitlist: i32,
}

/// Changes to a capacity; absent fields stay as they are.
#[derive(InputObject)]
pub struct UpdateCapacityInput {
    /// The capacity.
    pub capacity_id: ID,
    /// The version the change was made from; a stale one gets CONFLICT.
    pub expected_version: i32,
    /// What one place is.
    pub unit: Option<CapacityUnit>,
    /// All places.
    pub maximum: Option<i32>,
    /// Free places now.
    pub available: Option<i32>,
    /// Children waiting for a place.
    pub waitlist: Option<i32>,
}

/// A count of places, as a centre takes it.
#[derive(InputObject)]
pub struct SetCapacityInput {
    /// The capacity counted.
    pub capacity_id: ID,
    /// Free places now (0..maximum).
    pub available: i32,
    /// All places, when they changed.
    pub maximum: Option<i32>,
    /// Children waiting, when it changed.
    pub waitlist: Option<i32>,
    /// The version the count was taken from; a stale one gets CONFLICT with
    /// the current version and counts.
    pub expected_version: i32,
}

impl TryFrom<SetCapacityInput> for Count {
    type Error = AppError;

    fn try_from(input: SetCapacityInput) -> Result<Self, AppError> {
        Ok(Self {
            capacity_id: ids::decode_as(NodeKind::Capacity, &input.capacity_id)?,
            available: input.available,
            maximum: input.maximum,
            waitlist: input.waitlist,
            expected_version: input.expected_version,
        })
    }
}

/// Several counts, recorded all or none.
#[derive(InputObject)]
pub struct SetCapacitiesInput {
    /// The counts (at most 100).
    pub counts: Vec<SetCapacityInput>,
}

/// The capacity as created.
#[derive(SimpleObject)]
pub struct CreateCapacityPayload {
    /// The new capacity.
    pub capacity: Capacity,
}

/// The capacity as changed.
#[derive(SimpleObject)]
pub struct UpdateCapacityPayload {
    /// The capacity at its new version.
    pub capacity: Capacity,
}

/// The capacity as counted.
#[derive(SimpleObject)]
pub struct SetCapacityPayload {
    /// The capacity at its new version.
    pub capacity: Capacity,
}

/// The capacities as counted.
#[derive(SimpleObject)]
pub struct SetCapacitiesPayload {
    /// The capacities at their new versions, in the order counted.
    pub capacities: Vec<Capacity>,
}

#[derive(Default)]
pub struct CapacityMutation;

#[Object]
impl CapacityMutation {
    /// Starts counting places for a service at a centre (the centre's
    /// managers and registry admins).
    async fn create_capacity(
        &self,
        ctx: &Context<'_>,
        input: CreateCapacityInput,
    ) -> Result<CreateCapacityPayload, AppError> {
        let centre = ids::decode_as(NodeKind::Centre, &input.centre_id)?;
        let service = ids::decode_as(NodeKind::Service, &input.service_id)?;
        let counts = (input.maximum, input.available, input.waitlist);
        let record = domain::create(
            ctx.db()?,
            ctx.viewer()?,
            ctx.events()?,
            centre,
            service,
            input.unit.into(),
            counts,
        )
        .await?;
        Ok(CreateCapacityPayload {
            capacity: Capacity::of(&record),
        })
    }

    /// Changes a capacity's unit or counts (the centre's managers and
    /// registry admins).
    async fn update_capacity(
        &self,
        ctx: &Context<'_>,
        input: UpdateCapacityInput,
    ) -> Result<UpdateCapacityPayload, AppError> {
        let id = ids::decode_as(NodeKind::Capacity, &input.capacity_id)?;
        let changes = CapacityPatch {
            unit: input.unit.map(Into::into),
            maximum: input.maximum,
            available: input.available,
            waitlist: input.waitlist,
        };
        let record = domain::update(
            ctx.db()?,
            ctx.viewer()?,
            ctx.events()?,
            id,
            input.expected_version,
            changes,
        )
        .await?;
        Ok(UpdateCapacityPayload {
            capacity: Capacity::of(&record),
        })
    }

    /// Records a count of free places (the centre's managers and registry
    /// admins). Exactly one of two counts taken from the same version wins.
    async fn set_capacity(&self, ctx: &Context<'_>, input: SetCapacityInput) -> Result<SetCapacityPayload, AppError> {
        let count = Count::try_from(input)?;
        let mut saved = domain::set(ctx.db()?, ctx.viewer()?, ctx.events()?, vec![count]).await?;
        let record = saved
            .pop()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a count recorded nothing")))?;
        Ok(SetCapacityPayload {
            capacity: Capacity::of(&record),
        })
    }

    /// Records a centre's daily count in one call, all or nothing: one stale
    /// or invalid count leaves every capacity as it was.
    async fn set_capacities(
        &self,
        ctx: &Context<'_>,
        input: SetCapacitiesInput,
    ) -> Result<SetCapacitiesPayload, AppError> {
        if input.counts.is_empty() || input.counts.len() > 100 {
            return Err(AppError::bad_input("counts must hold between 1 and 100 counts"));
        }
        let counts = input
            .counts
            .into_iter()
            .map(Count::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        let saved = domain::set(ctx.db()?, ctx.viewer()?, ctx.events()?, counts).await?;
        Ok(SetCapacitiesPayload {
            capacities: saved.iter().map(Capacity::of).collect(),
        })
    }
}

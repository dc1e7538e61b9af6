use async_graphql::{Context, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use sea_orm::prelude::Uuid;

use super::{ArchiveInput, LocalizedTextInput, PhoneInput, patch, phones};
use crate::{
    error::AppError,
    graphql::{
        context::ContextExt,
        ids::{self, NodeKind},
        types::{
            centre::Centre,
            enums::{CentreKind, CentreStatus, GendersServed},
        },
    },
    registry::centre::{self as domain, CentreFields, CentrePatch},
};

/// A new centre.
#[derive(InputObject)]
pub struct CreateCentreInput {
    /// The organization running it.
    pub organization_id: ID,
    /// What kind of place it is.
    pub kind: CentreKind,
    /// The name, in Kyrgyz and Russian at least.
    pub name: LocalizedTextInput,
    /// What the centre does and for whom.
    pub description: Option<LocalizedTextInput>,
    /// The administrative area it lies in, e.g. `KG-GB-LEN`.
    pub area_code: String,
    /// Street address.
    pub address: Option<LocalizedTextInput>,
    /// Latitude (WGS 84), inside Kyrgyzstan; with `longitude`.
    pub latitude: Option<f64>,
    /// Longitude (WGS 84), inside Kyrgyzstan; with `latitude`.
    pub longitude: Option<f64>,
    /// True for shelters whose location is kept secret.
    #[graphql(default)]
    pub address_confidential: bool,
    /// The centre's own phone numbers.
    #[graphql(default)]
    pub phones: Vec<PhoneInput>,
    /// Contact e-mail.
    pub email: Option<String>,
    /// Opening hours as text.
    pub opening_hours: Option<LocalizedTextInput>,
    /// Physical accessibility.
    pub accessibility: Option<LocalizedTextInput>,
    /// Languages spoken (ISO 639-1: ky, ru, uz, en).
    #[graphql(default)]
    pub languages: Vec<String>,
    /// Youngest age received (0..18).
    pub age_min: Option<i32>,
    /// Oldest age received (0..18).
    pub age_max: Option<i32>,
    /// Which children are received.
    #[graphql(default_with = "GendersServed::Any")]
    pub genders: GendersServed,
    /// Whether it receives children now.
    #[graphql(default_with = "CentreStatus::Active")]
    pub status: CentreStatus,
}

/// Changes to a centre; absent fields stay as they are, null clears a
/// nullable one. Its managers may change everything but the organization.
#[derive(InputObject)]
pub struct UpdateCentreInput {
    /// The centre.
    pub id: ID,
    /// The version the change was made from; a stale one gets CONFLICT.
    pub expected_version: i32,
    /// Moves the centre to another organization (registry admins).
    pub organization_id: Option<ID>,
    /// What kind of place it is.
    pub kind: Option<CentreKind>,
    /// The name.
    pub name: Option<LocalizedTextInput>,
    /// What the centre does and for whom.
    pub description: MaybeUndefined<LocalizedTextInput>,
    /// The administrative area it lies in.
    pub area_code: Option<String>,
    /// Street address.
    pub address: MaybeUndefined<LocalizedTextInput>,
    /// Latitude; give `longitude` too (null for both clears the location).
    pub latitude: MaybeUndefined<f64>,
    /// Longitude; give `latitude` too.
    pub longitude: MaybeUndefined<f64>,
    /// True for shelters whose location is kept secret. Changing it is the
    /// registry admins' call (FORBIDDEN for managers); a manager's new
    /// address of a confidential centre stays confidential.
    pub address_confidential: Option<bool>,
    /// The centre's own phone numbers (the whole list).
    pub phones: Option<Vec<PhoneInput>>,
    /// Contact e-mail.
    pub email: MaybeUndefined<String>,
    /// Opening hours as text.
    pub opening_hours: MaybeUndefined<LocalizedTextInput>,
    /// Physical accessibility.
    pub accessibility: MaybeUndefined<LocalizedTextInput>,
    /// Languages spoken (the whole list).
    pub languages: Option<Vec<String>>,
    /// Youngest age received.
    pub age_min: MaybeUndefined<i32>,
    /// Oldest age received.
    pub age_max: MaybeUndefined<i32>,
    /// Which children are received.
    pub genders: Option<GendersServed>,
    /// Whether it receives children now.
    pub status: Option<CentreStatus>,
}

/// The centre as created.
#[derive(SimpleObject)]
pub struct CreateCentrePayload {
    /// The new centre.
    pub centre: Centre,
}

/// The centre as changed.
#[derive(SimpleObject)]
pub struct UpdateCentrePayload {
    /// The centre at its new version.
    pub centre: Centre,
}

/// The centre as archived.
#[derive(SimpleObject)]
pub struct ArchiveCentrePayload {
    /// The archived centre.
    pub centre: Centre,
}

/// The location an update asks for, when it names one: both coordinates,
/// or null for both; one alone is bad input.
fn location(
    latitude: MaybeUndefined<f64>,
    longitude: MaybeUndefined<f64>,
) -> Result<Option<Option<(f64, f64)>>, AppError> {
    use MaybeUndefined::{Null, Undefined, Value};
    match (latitude, longitude) {
        (Undefined, Undefined) => Ok(None),
        (Null, Null) => Ok(Some(None)),
        (Value(lat), Value(lon)) => Ok(Some(Some((lat, lon)))),
        _ => Err(AppError::invalid_fields(vec![crate::error::FieldProblem {
            field: "latitude".into(),
            message: "give latitude and longitude together".into(),
        }])),
    }
}

#[derive(Default)]
pub struct CentreMutation;

#[Object]
impl CentreMutation {
    /// Adds a centre to the registry (registry admins).
    async fn create_centre(
        &self,
        ctx: &Context<'_>,
        input: CreateCentreInput,
    ) -> Result<CreateCentrePayload, AppError> {
        let fields = CentreFields {
            organization_id: ids::decode_as(NodeKind::Organization, &input.organization_id)?,
            kind: input.kind.into(),
            name: input.name.into(),
            description: input.description.map(Into::into),
            area_code: input.area_code,
            address: input.address.map(Into::into),
            latitude: input.latitude,
            longitude: input.longitude,
            address_confidential: input.address_confidential,
            phones: phones(input.phones),
            email: input.email,
            opening_hours: input.opening_hours.map(Into::into),
            accessibility: input.accessibility.map(Into::into),
            languages: input.languages,
            age_min: input.age_min,
            age_max: input.age_max,
            genders: input.genders.into(),
            status: input.status.into(),
        };
        let request = ctx.request()?;
        let model = domain::create(ctx.db()?, &request.viewer, request.public_grid, fields).await?;
        Ok(CreateCentrePayload {
            centre: Centre::of_record(model, ctx.lang(None)),
        })
    }

    /// Changes a centre (its managers and registry admins).
    async fn update_centre(
        &self,
        ctx: &Context<'_>,
        input: UpdateCentreInput,
    ) -> Result<UpdateCentrePayload, AppError> {
        let id = ids::decode_as(NodeKind::Centre, &input.id)?;
        let changes = CentrePatch {
            organization_id: input
                .organization_id
                .map(|o| ids::decode_as(NodeKind::Organization, &o))
                .transpose()?,
            kind: input.kind.map(Into::into),
            name: input.name.map(Into::into),
            description: patch(input.description, Into::into),
            area_code: input.area_code,
            address: patch(input.address, Into::into),
            location: location(input.latitude, input.longitude)?,
            address_confidential: input.address_confidential,
            phones: input.phones.map(phones),
            email: patch(input.email, |e| e),
            opening_hours: patch(input.opening_hours, Into::into),
            accessibility: patch(input.accessibility, Into::into),
            languages: input.languages,
            age_min: patch(input.age_min, |a| a),
            age_max: patch(input.age_max, |a| a),
            genders: input.genders.map(Into::into),
            status: input.status.map(Into::into),
        };
        let centre = save(ctx, (id, input.expected_version), changes, false).await?;
        Ok(UpdateCentrePayload { centre })
    }

    /// Archives a centre (registry admins).
    async fn archive_centre(&self, ctx: &Context<'_>, input: ArchiveInput) -> Result<ArchiveCentrePayload, AppError> {
        let id = ids::decode_as(NodeKind::Centre, &input.id)?;
        let centre = save(ctx, (id, input.expected_version), Default::default(), true).await?;
        Ok(ArchiveCentrePayload { centre })
    }
}

/// Changes (or archives) the centre `id` at `expected_version`, as the
/// caller of the request.
async fn save(
    ctx: &Context<'_>,
    (id, expected_version): (Uuid, i32),
    changes: CentrePatch,
    archive: bool,
) -> Result<Centre, AppError> {
    let request = ctx.request()?;
    let model = domain::update(
        ctx.db()?,
        &request.viewer,
        ctx.events()?,
        request.public_grid,
        id,
        expected_version,
        changes,
        archive,
    )
    .await?;
    Ok(Centre::of_record(model, ctx.lang(None)))
}

//! GraphQL enums, mirrored from the storage enums in `entity` (the
//! `remote` attribute generates the conversions both ways).

use async_graphql::Enum;
use entity::enums as db;

use crate::graphql::plain::plain_enums;

/// Level of a Kyrgyz administrative unit.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::AreaLevel")]
pub enum AreaLevel {
    /// Oblast (облус / область).
    Region,
    /// City of republican significance: Bishkek, Osh.
    City,
    /// District (район) or town inside a region or city.
    District,
}

/// Legal kind of a provider.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::OrganizationKind")]
pub enum OrganizationKind {
    /// A ministry, agency or its district department.
    StateBody,
    /// A mayor's office or local self-government body.
    MunicipalBody,
    /// A non-governmental organisation.
    Ngo,
    /// An international organisation or donor programme.
    InternationalPartner,
    /// A private provider.
    Private,
}

/// What kind of place a centre is.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::CentreKind")]
pub enum CentreKind {
    /// Rehabilitation centre (medical, psychological, social).
    Rehabilitation,
    /// Crisis centre or shelter.
    Crisis,
    /// Reintegration centre, e.g. for minors in conflict with the law.
    Reintegration,
    /// Residential care institution.
    ResidentialCare,
    /// Day-care centre.
    DayCare,
    /// Child-and-family support department or office.
    FamilySupport,
    /// Social protection office where benefits are applied for.
    SocialServicesOffice,
}

/// Whether a centre currently receives children.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::CentreStatus")]
pub enum CentreStatus {
    /// Open and receiving children.
    Active,
    /// Closed for a while (repairs, quarantine); expected to reopen.
    TemporarilyClosed,
    /// Closed for good; kept for history.
    Closed,
}

/// Which children a centre receives.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::GendersServed")]
pub enum GendersServed {
    /// Girls and boys.
    Any,
    /// Girls only.
    Female,
    /// Boys only.
    Male,
}

/// The kind of help a service gives.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::ServiceCategory")]
pub enum ServiceCategory {
    /// A safe place to stay.
    Shelter,
    /// Counselling and psychological support.
    PsychologicalSupport,
    /// Medical rehabilitation, therapy.
    MedicalRehabilitation,
    /// Legal advice and representation.
    LegalAid,
    /// Schooling, inclusive and catch-up education.
    Education,
    /// Support to families: case management, parenting, social work.
    FamilySupport,
    /// Reintegration into family and community.
    Reintegration,
    /// Day care.
    DayCare,
    /// A telephone helpline.
    Hotline,
    /// A state cash benefit.
    CashBenefit,
}

/// Whether a service is currently offered.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::ServiceStatus")]
pub enum ServiceStatus {
    /// Offered now.
    Active,
    /// Paused for a while.
    Suspended,
    /// No longer offered; kept for history.
    Discontinued,
}

/// A group of children a service is meant for.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::TargetGroup")]
pub enum TargetGroup {
    /// Children of low-income families.
    LowIncomeFamily,
    /// Children with disabilities.
    ChildWithDisability,
    /// Orphans.
    Orphan,
    /// Children left without parental care.
    ChildWithoutParentalCare,
    /// Children in a difficult life situation.
    ChildInDifficultSituation,
    /// Children who suffered violence.
    ViolenceSurvivor,
    /// Children in conflict with the law.
    ChildInConflictWithLaw,
}

/// How often a cash benefit is paid.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::BenefitPeriod")]
pub enum BenefitPeriod {
    /// Every month.
    Monthly,
    /// Once.
    OneOff,
}

/// Whether a benefit amount is paid per child or per family.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::BenefitBasis")]
pub enum BenefitBasis {
    /// The amount is paid for each eligible child.
    PerChild,
    /// The amount is paid once per family.
    PerFamily,
}

/// What one unit of capacity is.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::CapacityUnit")]
pub enum CapacityUnit {
    /// A place in a group or programme.
    Place,
    /// A bed.
    Bed,
    /// A room (for a parent with children).
    Room,
    /// An appointment or session slot.
    Session,
}

/// The purpose of a phone number.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "entity::values::PhoneKind")]
pub enum PhoneKind {
    /// Where families and social workers call to ask for help or a place.
    Intake,
    /// Office line.
    Office,
    /// Helpline.
    Hotline,
    /// Mobile phone.
    Mobile,
}

/// Whether a service is a social service or a cash benefit.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::registry::service::ServiceKind")]
pub enum ServiceKind {
    /// A social service delivered by people (shelter, therapy, advice...).
    Service,
    /// A state cash benefit.
    Benefit,
}

/// Sort direction.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::registry::Direction")]
pub enum OrderDirection {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// A child's gender, to match centres that receive only girls or only boys.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::registry::find_help::Gender")]
pub enum Gender {
    /// A girl.
    Female,
    /// A boy.
    Male,
}

/// How `capacityOverview` groups its totals.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::registry::overview::GroupBy")]
pub enum CapacityGroupBy {
    /// Per area one level below the chosen area (or per region and city).
    Area,
    /// Per service category.
    Category,
    /// Per target group (a capacity counts once for each of its groups).
    TargetGroup,
}

/// What a change did to a record.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::AuditAction")]
pub enum AuditAction {
    /// Created it (or offered a service at a centre again).
    Create,
    /// Changed some of its fields.
    Update,
    /// Archived it (or stopped offering a service at a centre).
    Archive,
    /// Recorded a count of its places.
    SetCapacity,
    /// Held places of a capacity.
    Hold,
    /// Released a hold: its places are free again.
    Release,
    /// Confirmed a hold: the child arrived and the places stay taken.
    Confirm,
    /// A hold expired unconfirmed and gave its places back.
    Expire,
    /// A hold ended because its service at the centre, its centre or its
    /// service was archived: its places went back to the capacity.
    Cancel,
}

/// Where a place hold stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::HoldStatus")]
pub enum HoldStatus {
    /// The places are reserved until the hold expires.
    Held,
    /// The holder gave the places back.
    Released,
    /// The child arrived: the places stay taken.
    Confirmed,
    /// Nobody confirmed it in time: the places were given back.
    Expired,
    /// Its service at the centre, its centre or its service was archived:
    /// the places went back to the capacity, which left public view.
    Cancelled,
}

/// The kinds of record the change feed lists.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::RecordType")]
pub enum RecordType {
    /// An `Organization`.
    Organization,
    /// A `Centre`.
    Centre,
    /// A `Service`.
    Service,
    /// A service offered at a centre (`ServiceAtCentre`).
    ServiceAtCentre,
    /// A `Capacity`.
    Capacity,
}

/// What the latest change to a record did.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "db::ChangeAction")]
pub enum ChangeAction {
    /// It was created, and has not changed since.
    Created,
    /// It changed (read it again by its id).
    Updated,
    /// It was archived: it left public queries.
    Archived,
    /// It no longer exists (a service no longer offered at a centre).
    Removed,
}

/// Converts a list of GraphQL enums into storage enums.
pub fn to_db<A: Copy, B: From<A>>(values: Option<Vec<A>>) -> Vec<B> {
    values.unwrap_or_default().into_iter().map(B::from).collect()
}

plain_enums!(
    AreaLevel,
    OrganizationKind,
    CentreKind,
    CentreStatus,
    GendersServed,
    ServiceCategory,
    ServiceStatus,
    ServiceKind,
    CapacityUnit
);

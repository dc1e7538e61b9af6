//! Enumerations stored as short lowercase strings, identical on SQLite and
//! PostgreSQL (no native PostgreSQL enum types: adding a variant must not need
//! an `ALTER TYPE`).

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// An enum stored as one of a fixed set of strings.
pub trait Stored: Sized {
    /// The variant stored as `value`, read without allocating.
    fn from_stored(value: &str) -> Option<Self>;
}

/// Declares a string-backed enum with its database values.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $(#[sea_orm(string_value = $value)] $variant,)+
        }

        impl Stored for $name {
            fn from_stored(value: &str) -> Option<Self> {
                match value {
                    $($value => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }
    };
}

string_enum!(
    /// Level of a Kyrgyz administrative unit.
    AreaLevel { Region = "region", City = "city", District = "district" }
);

string_enum!(
    /// Legal kind of a provider.
    OrganizationKind {
        StateBody = "state_body",
        MunicipalBody = "municipal_body",
        Ngo = "ngo",
        InternationalPartner = "international_partner",
        Private = "private",
    }
);

string_enum!(
    /// What a centre is.
    CentreKind {
        Rehabilitation = "rehabilitation",
        Crisis = "crisis",
        Reintegration = "reintegration",
        ResidentialCare = "residential_care",
        DayCare = "day_care",
        FamilySupport = "family_support",
        SocialServicesOffice = "social_services_office",
    }
);

string_enum!(
    /// Whether a centre currently receives children.
    CentreStatus { Active = "active", TemporarilyClosed = "temporarily_closed", Closed = "closed" }
);

string_enum!(
    /// Which children a centre receives.
    GendersServed { Any = "any", Female = "female", Male = "male" }
);

string_enum!(
    /// The kind of help a service gives.
    ServiceCategory {
        Shelter = "shelter",
        PsychologicalSupport = "psychological_support",
        MedicalRehabilitation = "medical_rehabilitation",
        LegalAid = "legal_aid",
        Education = "education",
        FamilySupport = "family_support",
        Reintegration = "reintegration",
        DayCare = "day_care",
        Hotline = "hotline",
        CashBenefit = "cash_benefit",
    }
);

string_enum!(
    /// Whether a service is currently offered.
    ServiceStatus { Active = "active", Suspended = "suspended", Discontinued = "discontinued" }
);

string_enum!(
    /// Groups of children a service is meant for.
    TargetGroup {
        LowIncomeFamily = "low_income_family",
        ChildWithDisability = "child_with_disability",
        Orphan = "orphan",
        ChildWithoutParentalCare = "child_without_parental_care",
        ChildInDifficultSituation = "child_in_difficult_situation",
        ViolenceSurvivor = "violence_survivor",
        ChildInConflictWithLaw = "child_in_conflict_with_law",
    }
);

string_enum!(
    /// How often a cash benefit is paid.
    BenefitPeriod { Monthly = "monthly", OneOff = "one_off" }
);

string_enum!(
    /// Whether a benefit amount is paid per child or per family.
    BenefitBasis { PerChild = "per_child", PerFamily = "per_family" }
);

string_enum!(
    /// What one unit of capacity is.
    CapacityUnit { Place = "place", Bed = "bed", Room = "room", Session = "session" }
);

string_enum!(
    /// What a change did to a record.
    AuditAction {
        Create = "create",
        Update = "update",
        Archive = "archive",
        SetCapacity = "set_capacity",
        Hold = "hold",
        Release = "release",
        Confirm = "confirm",
        Expire = "expire",
        Cancel = "cancel",
    }
);

string_enum!(
    /// Where a place hold stands.
    HoldStatus {
        Held = "held",
        Released = "released",
        Confirmed = "confirmed",
        Expired = "expired",
        Cancelled = "cancelled",
    }
);

string_enum!(
    /// The kinds of record the change feed lists.
    RecordType {
        Organization = "organization",
        Centre = "centre",
        Service = "service",
        ServiceAtCentre = "service_at_centre",
        Capacity = "capacity",
    }
);

string_enum!(
    /// What the latest change to a record did.
    ChangeAction { Created = "created", Updated = "updated", Archived = "archived", Removed = "removed" }
);

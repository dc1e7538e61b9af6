//! The Kamkor taxonomy: what HSDS has no field for, published as
//! taxonomies and terms, so that Kamkor's own concepts (target groups,
//! centre kinds, service categories, benefit terms, eligibility) travel as
//! HSDS `attribute`s any HSDS tool can read.
//!
//! Every id here is derived (UUID v5 under [`NAMESPACE`]) from what it
//! names: the same term, unit or derived object has the same id in every
//! export of every Kamkor, so that a re-import matches instead of
//! duplicating, and a partner may hard-code a term's id.

use std::collections::HashMap;

use entity::{
    admin_area,
    enums::{
        BenefitBasis, BenefitPeriod, CapacityUnit, CentreKind, CentreStatus, GendersServed, OrganizationKind,
        ServiceCategory, Stored, TargetGroup,
    },
    values::PhoneKind,
};
use sea_orm::{ActiveEnum, Iterable, prelude::Uuid};
use serde_json::{Value, json};

/// The namespace of every id Kamkor derives for HSDS (a fixed random UUID).
pub const NAMESPACE: Uuid = Uuid::from_u128(0x6b61_6d6b_6f72_4a8e_9c1d_48d5_0f3a_2e17);

/// The HSDS version Kamkor speaks.
pub const HSDS_VERSION: &str = "3.1";

/// The id derived from a path of names, e.g. `["term", "kamkor-target-group", "orphan"]`.
pub fn derived_id(parts: &[&str]) -> Uuid {
    Uuid::new_v5(&NAMESPACE, parts.join("/").as_bytes())
}

/// One of the Kamkor taxonomies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Taxonomy {
    ServiceCategory,
    TargetGroup,
    OrganizationKind,
    CentreKind,
    CentreStatus,
    /// A centre's ages and genders (a service's ages are HSDS fields).
    Eligibility,
    /// The terms of a state cash benefit.
    Benefit,
    PhoneKind,
    /// What a count of places says beyond HSDS's `service_capacity`.
    Capacity,
    /// Whether a location is withheld from the public.
    Confidentiality,
    /// Kyrgyz and English texts beside the Russian one (see `docs/hsds.md`).
    Translation,
    /// Kyrgyzstan's administrative areas (ISO 3166-2:KG and Kamkor's district codes).
    Area,
}

impl Taxonomy {
    pub const ALL: [Taxonomy; 12] = [
        Self::ServiceCategory,
        Self::TargetGroup,
        Self::OrganizationKind,
        Self::CentreKind,
        Self::CentreStatus,
        Self::Eligibility,
        Self::Benefit,
        Self::PhoneKind,
        Self::Capacity,
        Self::Confidentiality,
        Self::Translation,
        Self::Area,
    ];

    /// The taxonomy's name in HSDS (`taxonomy.name`).
    pub fn name(self) -> &'static str {
        match self {
            Self::ServiceCategory => "kamkor-service-category",
            Self::TargetGroup => "kamkor-target-group",
            Self::OrganizationKind => "kamkor-organization-kind",
            Self::CentreKind => "kamkor-centre-kind",
            Self::CentreStatus => "kamkor-centre-status",
            Self::Eligibility => "kamkor-eligibility",
            Self::Benefit => "kamkor-benefit",
            Self::PhoneKind => "kamkor-phone-kind",
            Self::Capacity => "kamkor-capacity",
            Self::Confidentiality => "kamkor-confidentiality",
            Self::Translation => "kamkor-translation",
            Self::Area => "kamkor-area",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::ServiceCategory => "The kind of help a service gives. Every Kamkor service has exactly one.",
            Self::TargetGroup => "The groups of children a service is meant for.",
            Self::OrganizationKind => "The legal kind of a provider.",
            Self::CentreKind => "What a centre (HSDS location) is.",
            Self::CentreStatus => "Whether a centre currently receives children.",
            Self::Eligibility => {
                "Who a centre receives: ages in whole years and genders; the attribute's value holds it."
            }
            Self::Benefit => "The terms of a state cash benefit; the attribute's value holds each term.",
            Self::PhoneKind => "What a phone number is for.",
            Self::Capacity => {
                "What a count of places says beyond HSDS service_capacity; the attribute's value holds it."
            }
            Self::Confidentiality => {
                "A location whose address, coordinates and phones are withheld from the public: a shelter for children who suffered violence."
            }
            Self::Translation => {
                "A text in another language than the Russian of the HSDS field: the attribute's label names the field, its value holds the text."
            }
            Self::Area => {
                "Kyrgyzstan's regions, cities and districts: ISO 3166-2:KG codes and Kamkor's own district codes."
            }
        }
    }

    pub fn id(self) -> Uuid {
        derived_id(&["taxonomy", self.name()])
    }

    /// The taxonomy with this id.
    pub fn by_id(id: Uuid) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.id() == id)
    }

    /// The HSDS `taxonomy` object.
    pub fn object(self) -> Value {
        json!({
            "id": self.id(),
            "name": self.name(),
            "description": self.description(),
            "version": "1",
        })
    }
}

/// The value-carrying terms of [`Taxonomy::Eligibility`], [`Taxonomy::Benefit`]
/// and [`Taxonomy::Capacity`], and the single terms of the others that are
/// not enumerations.
pub mod code {
    pub const MINIMUM_AGE: &str = "minimum_age";
    pub const MAXIMUM_AGE: &str = "maximum_age";
    pub const GENDERS: &str = "genders";
    pub const AMOUNT: &str = "amount";
    pub const CURRENCY: &str = "currency";
    pub const PERIOD: &str = "period";
    pub const BASIS: &str = "basis";
    pub const VALID_FROM: &str = "valid_from";
    pub const VALID_TO: &str = "valid_to";
    pub const LEGAL_BASIS: &str = "legal_basis";
    pub const WAITLIST: &str = "waitlist";
    /// The service at a location whose places a `service_capacity` counts
    /// (HSDS ties a capacity to a service only).
    pub const SERVICE_AT_LOCATION: &str = "service_at_location";
    pub const CONFIDENTIAL_ADDRESS: &str = "confidential_address";
    pub const KYRGYZ: &str = "ky";
    pub const ENGLISH: &str = "en";
}

/// A term of a Kamkor taxonomy.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pub taxonomy: Taxonomy,
    pub code: String,
    pub name: String,
    pub description: String,
    pub parent: Option<Uuid>,
}

/// The id of the term `code` of `taxonomy`.
pub fn term_id(taxonomy: Taxonomy, code: &str) -> Uuid {
    derived_id(&["term", taxonomy.name(), code])
}

impl Term {
    pub fn id(&self) -> Uuid {
        term_id(self.taxonomy, &self.code)
    }

    /// The HSDS `taxonomy_term` object, with its taxonomy.
    pub fn object(&self) -> Value {
        let mut term = self.brief();
        term["taxonomy_detail"] = self.taxonomy.object();
        term
    }

    /// The HSDS `taxonomy_term` object without its taxonomy's (what an
    /// attribute nests: the taxonomy's name is in `taxonomy`, the taxonomy
    /// whole in the export's taxonomies).
    pub fn brief(&self) -> Value {
        let mut term = json!({
            "id": self.id(),
            "code": self.code,
            "name": self.name,
            "description": self.description,
            "taxonomy": self.taxonomy.name(),
            "taxonomy_id": self.taxonomy.id(),
            "language": "en",
        });
        if let Some(parent) = self.parent {
            term["parent_id"] = json!(parent);
        }
        term
    }
}

/// The stored value of an enumeration, as its term's code.
pub fn code_of<E: ActiveEnum<Value = String>>(value: E) -> String {
    value.to_value()
}

/// The variant whose term's code is `code`.
pub fn variant<E: Stored>(code: &str) -> Option<E> {
    E::from_stored(code)
}

fn words(code: &str) -> String {
    let spaced = code.replace('_', " ");
    let mut chars = spaced.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn enum_terms<E>(taxonomy: Taxonomy) -> impl Iterator<Item = Term>
where
    E: ActiveEnum<Value = String> + Iterable,
{
    E::iter().map(move |v| {
        let code = v.to_value();
        Term {
            taxonomy,
            name: words(&code),
            description: format!("{}: {}.", taxonomy.name(), words(&code).to_lowercase()),
            code,
            parent: None,
        }
    })
}

fn value_term(taxonomy: Taxonomy, code: &str, description: &str) -> Term {
    Term {
        taxonomy,
        code: code.to_owned(),
        name: words(code),
        description: description.to_owned(),
        parent: None,
    }
}

/// The phone kinds' codes.
pub fn phone_kind_code(kind: PhoneKind) -> &'static str {
    match kind {
        PhoneKind::Intake => "intake",
        PhoneKind::Office => "office",
        PhoneKind::Hotline => "hotline",
        PhoneKind::Mobile => "mobile",
    }
}

pub const PHONE_KINDS: [PhoneKind; 4] = [
    PhoneKind::Intake,
    PhoneKind::Office,
    PhoneKind::Hotline,
    PhoneKind::Mobile,
];

/// Every term of the Kamkor taxonomies but the areas (which are data).
pub fn fixed_terms() -> Vec<Term> {
    use code::*;
    let mut terms: Vec<Term> = Vec::new();
    terms.extend(enum_terms::<ServiceCategory>(Taxonomy::ServiceCategory));
    terms.extend(enum_terms::<TargetGroup>(Taxonomy::TargetGroup));
    terms.extend(enum_terms::<OrganizationKind>(Taxonomy::OrganizationKind));
    terms.extend(enum_terms::<CentreKind>(Taxonomy::CentreKind));
    terms.extend(enum_terms::<CentreStatus>(Taxonomy::CentreStatus));
    let e = Taxonomy::Eligibility;
    let genders: Vec<String> = GendersServed::iter().map(code_of).collect();
    terms.push(value_term(
        e,
        MINIMUM_AGE,
        "The youngest child a centre receives, in whole years.",
    ));
    terms.push(value_term(
        e,
        MAXIMUM_AGE,
        "The oldest child a centre receives, in whole years.",
    ));
    terms.push(value_term(
        e,
        GENDERS,
        &format!("Which children a centre receives: {}.", genders.join(", ")),
    ));
    let b = Taxonomy::Benefit;
    let periods: Vec<String> = BenefitPeriod::iter().map(code_of).collect();
    let bases: Vec<String> = BenefitBasis::iter().map(code_of).collect();
    terms.push(value_term(
        b,
        AMOUNT,
        "The amount paid, in whole units of the currency.",
    ));
    terms.push(value_term(
        b,
        CURRENCY,
        "The ISO 4217 currency of the amount (KGS, the som).",
    ));
    terms.push(value_term(
        b,
        PERIOD,
        &format!("How often it is paid: {}.", periods.join(", ")),
    ));
    terms.push(value_term(b, BASIS, &format!("Paid {}.", bases.join(" or "))));
    terms.push(value_term(b, VALID_FROM, "The first day the terms apply (YYYY-MM-DD)."));
    terms.push(value_term(b, VALID_TO, "The last day the terms apply (YYYY-MM-DD)."));
    terms.push(value_term(
        b,
        LEGAL_BASIS,
        "The law or decree the benefit is paid under (Russian).",
    ));
    terms.extend(PHONE_KINDS.into_iter().map(|kind| {
        let code = phone_kind_code(kind);
        value_term(
            Taxonomy::PhoneKind,
            code,
            &format!("A phone number for {}.", words(code).to_lowercase()),
        )
    }));
    let c = Taxonomy::Capacity;
    terms.push(value_term(c, WAITLIST, "Children waiting for a place."));
    terms.push(value_term(
        c,
        SERVICE_AT_LOCATION,
        "The id of the service_at_location whose places are counted.",
    ));
    terms.push(value_term(
        Taxonomy::Confidentiality,
        CONFIDENTIAL_ADDRESS,
        "The address, coordinates and phones of this location are withheld from the public.",
    ));
    terms.push(value_term(
        Taxonomy::Translation,
        KYRGYZ,
        "The Kyrgyz text of the field named by the label.",
    ));
    terms.push(value_term(
        Taxonomy::Translation,
        ENGLISH,
        "The English text of the field named by the label.",
    ));
    terms
}

/// The term of an administrative area.
pub fn area_term(area: &admin_area::Model, by_id: &HashMap<Uuid, &admin_area::Model>) -> Term {
    Term {
        taxonomy: Taxonomy::Area,
        code: area.code.clone(),
        name: area
            .name
            .ru
            .clone()
            .or_else(|| area.name.ky.clone())
            .unwrap_or_else(|| area.code.clone()),
        description: format!("{} ({})", code_of(area.level), area.code),
        parent: area
            .parent_id
            .and_then(|p| by_id.get(&p))
            .map(|p| term_id(Taxonomy::Area, &p.code)),
    }
}

/// A unit of capacity as an HSDS `unit`.
pub fn unit_object(unit: CapacityUnit) -> Value {
    let code = code_of(unit);
    json!({
        "id": derived_id(&["unit", &code]),
        "name": code,
        "scheme": "kamkor",
        "identifier": code,
    })
}

/// The unit whose HSDS object names `identifier` or `name`.
pub fn unit_named(name: &str) -> Option<CapacityUnit> {
    CapacityUnit::from_stored(name.trim().to_lowercase().as_str())
}

/// Every term, by id: the fixed ones and the areas'.
pub struct Vocabulary {
    terms: HashMap<Uuid, Term>,
}

impl Vocabulary {
    pub fn new(areas: &[admin_area::Model]) -> Self {
        let by_id: HashMap<Uuid, &admin_area::Model> = areas.iter().map(|a| (a.id, a)).collect();
        let terms = fixed_terms()
            .into_iter()
            .chain(areas.iter().map(|a| area_term(a, &by_id)))
            .map(|t| (t.id(), t))
            .collect();
        Self { terms }
    }

    pub fn term(&self, id: Uuid) -> Option<&Term> {
        self.terms.get(&id)
    }

    /// Every term, by taxonomy and code.
    pub fn all(&self) -> Vec<&Term> {
        let mut terms: Vec<&Term> = self.terms.values().collect();
        terms.sort_by(|a, b| (a.taxonomy.name(), &a.code).cmp(&(b.taxonomy.name(), &b.code)));
        terms
    }
}

//! HSDS objects read as Kamkor records (the reverse of `document`; the
//! mapping is in `docs/hsds.md`): what a service, its organization, its
//! locations and its counts of places become, what has no home in Kamkor
//! (noted, never silently dropped), and what is invalid (with where it is).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    admin_area,
    enums::{CapacityUnit, CentreKind, CentreStatus, GendersServed, OrganizationKind, ServiceCategory, ServiceStatus},
    values::{LocalizedText, Phone, PhoneKind},
};
use sea_orm::prelude::Uuid;
use serde_json::Value;

use super::vocabulary::{PHONE_KINDS, Taxonomy, Vocabulary, code, phone_kind_code, unit_named, variant};
use crate::registry::{
    centre::CentreFields,
    organization::OrganizationFields,
    service::{BenefitTerms, ServiceFields},
};

/// Why a record was not imported, and where it is in the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// `services.csv line 7`, `input.json #3 service_at_locations[0]`.
    pub at: String,
    pub message: String,
}

/// What the reading noticed without refusing a record.
#[derive(Debug, Default)]
pub struct Notes {
    /// HSDS fields with no home in Kamkor (`service.url`), with how often.
    pub ignored_fields: BTreeMap<String, u64>,
    /// Taxonomy terms Kamkor does not know (`taxonomy / term`), with how often.
    pub unknown_terms: BTreeMap<String, u64>,
    /// Areas Kamkor does not know, with how often.
    pub unknown_areas: BTreeMap<String, u64>,
    /// A text stood in for a missing one (`service.name: no Kyrgyz text, the Russian stands in`).
    pub stand_ins: BTreeMap<String, u64>,
}

impl Notes {
    fn count(map: &mut BTreeMap<String, u64>, key: String) {
        *map.entry(key).or_default() += 1;
    }
}

pub struct OrganizationIn {
    pub id: Uuid,
    pub at: String,
    pub fields: OrganizationFields,
}

pub struct LocationIn {
    pub id: Uuid,
    pub at: String,
    pub fields: CentreFields,
    /// A confidential location whose address, coordinates and phones the
    /// source withheld (see `centre::put`).
    pub withheld: bool,
}

pub struct PlacementIn {
    pub id: Uuid,
    pub at: String,
    pub location_id: Uuid,
    /// The location as the source nests it, if it does.
    pub location: Option<Result<LocationIn, Invalid>>,
    pub notes: Option<LocalizedText>,
}

pub struct CapacityIn {
    pub id: Uuid,
    pub at: String,
    /// The service at a location it counts places of.
    pub placement_id: Uuid,
    pub unit: CapacityUnit,
    pub counts: (i32, i32, i32),
    pub counted: DateTime<Utc>,
}

pub struct ServiceIn {
    pub id: Uuid,
    pub at: String,
    pub fields: ServiceFields,
    pub organization: Option<Result<OrganizationIn, Invalid>>,
    pub placements: Vec<Result<PlacementIn, Invalid>>,
    pub capacities: Vec<Result<CapacityIn, Invalid>>,
}

/// One attribute, resolved to a Kamkor term.
struct Attribute {
    taxonomy: Taxonomy,
    code: String,
    value: Option<String>,
    label: Option<String>,
}

/// The attributes of one object.
struct Attributes(Vec<Attribute>);

impl Attributes {
    fn codes(&self, taxonomy: Taxonomy) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |a| a.taxonomy == taxonomy)
            .map(|a| a.code.as_str())
    }

    fn value(&self, taxonomy: Taxonomy, code: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|a| a.taxonomy == taxonomy && a.code == code)
            .and_then(|a| a.value.as_deref())
    }

    fn has(&self, taxonomy: Taxonomy, code: &str) -> bool {
        self.0.iter().any(|a| a.taxonomy == taxonomy && a.code == code)
    }

    /// The translation into `language` of the field `field`.
    fn translation(&self, field: &str, language: &str) -> Option<String> {
        self.0
            .iter()
            .find(|a| a.taxonomy == Taxonomy::Translation && a.code == language && a.label.as_deref() == Some(field))
            .and_then(|a| a.value.clone())
            .filter(|v| !v.trim().is_empty())
    }
}

/// Reads HSDS objects into Kamkor records.
pub struct Reader<'v> {
    vocabulary: &'v Vocabulary,
    areas_by_code: HashMap<String, &'v admin_area::Model>,
    /// Areas by their lower-cased names in every language.
    areas_by_name: HashMap<String, &'v admin_area::Model>,
    pub notes: Notes,
}

type Read<T> = Result<T, Invalid>;

fn string(object: &Value, field: &str) -> Option<String> {
    object
        .get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The place of a nested object, for reports.
fn nested_at(at: &str, path: &str) -> String {
    format!("{at} {path}")
}

fn source_of(object: &Value, at: &str) -> String {
    string(object, "_source").unwrap_or_else(|| at.to_owned())
}

fn invalid(at: &str, message: impl Into<String>) -> Invalid {
    Invalid {
        at: at.to_owned(),
        message: message.into(),
    }
}

fn uuid_of(object: &Value, field: &str, at: &str) -> Read<Uuid> {
    match object.get(field) {
        Some(Value::String(s)) => {
            Uuid::parse_str(s.trim()).map_err(|_| invalid(at, format!("{field} {s:?} is not a UUID")))
        }
        Some(other) => Err(invalid(at, format!("{field} {other} is not a UUID"))),
        None => Err(invalid(at, format!("{field} is missing"))),
    }
}

fn optional_uuid(object: &Value, field: &str, at: &str) -> Read<Option<Uuid>> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(_) => uuid_of(object, field, at).map(Some),
    }
}

/// A whole number of `field`, if given.
fn whole(object: &Value, field: &str, at: &str) -> Read<Option<i32>> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() <= f64::from(i32::MAX))
            .map(|f| Some(f as i32))
            .ok_or_else(|| invalid(at, format!("{field} {n} is not a whole number"))),
        Some(other) => Err(invalid(at, format!("{field} {other} is not a number"))),
    }
}

fn list<'a>(object: &'a Value, field: &str) -> &'a [Value] {
    object
        .get(field)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// Members of HSDS objects that Kamkor reads; other members (with a value)
/// are noted as having no home.
const READ: [(&str, &[&str]); 7] = [
    (
        "service",
        &[
            "id",
            "organization_id",
            "name",
            "description",
            "status",
            "eligibility_description",
            "application_process",
            "fees_description",
            "minimum_age",
            "maximum_age",
            "last_modified",
            "required_documents",
            "attributes",
            "service_at_locations",
            "capacities",
            "service_areas",
            "organization",
        ],
    ),
    (
        "organization",
        &["id", "name", "description", "email", "website", "phones", "attributes"],
    ),
    (
        "location",
        &[
            "id",
            "location_type",
            "organization_id",
            "name",
            "description",
            "latitude",
            "longitude",
            "addresses",
            "phones",
            "schedules",
            "accessibility",
            "contacts",
            "languages",
            "attributes",
        ],
    ),
    (
        "service_at_location",
        &[
            "id",
            "service_id",
            "location_id",
            "description",
            "location",
            "attributes",
        ],
    ),
    (
        "service_capacity",
        &[
            "id",
            "service_id",
            "unit",
            "unit_id",
            "available",
            "maximum",
            "updated",
            "attributes",
        ],
    ),
    (
        "address",
        &[
            "id",
            "location_id",
            "address_1",
            "address_2",
            "city",
            "region",
            "state_province",
            "country",
            "address_type",
            "attributes",
        ],
    ),
    (
        "phone",
        &[
            "id",
            "number",
            "type",
            "location_id",
            "organization_id",
            "service_id",
            "attributes",
        ],
    ),
];

fn has_value(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

impl<'v> Reader<'v> {
    pub fn new(vocabulary: &'v Vocabulary, areas: &'v [admin_area::Model]) -> Self {
        let mut areas_by_name = HashMap::new();
        for area in areas {
            for name in area.name.values() {
                areas_by_name.insert(name.trim().to_lowercase(), area);
            }
        }
        Self {
            vocabulary,
            areas_by_code: areas.iter().map(|a| (a.code.to_uppercase(), a)).collect(),
            areas_by_name,
            notes: Notes::default(),
        }
    }

    /// Notes the members of `object` (an HSDS `kind`) Kamkor has no home for.
    fn note_unread(&mut self, kind: &str, object: &Value) {
        let Some(read) = READ.iter().find(|(k, _)| *k == kind).map(|(_, read)| *read) else {
            return;
        };
        let Some(members) = object.as_object() else { return };
        for (name, value) in members {
            if !name.starts_with('_') && !read.contains(&name.as_str()) && has_value(value) {
                Notes::count(&mut self.notes.ignored_fields, format!("{kind}.{name}"));
            }
        }
    }

    /// The attributes of `object` that name a Kamkor term; the others are noted.
    fn attributes(&mut self, object: &Value) -> Attributes {
        let mut known = Vec::new();
        for attribute in list(object, "attributes") {
            let by_id = attribute
                .get("taxonomy_term_id")
                .and_then(Value::as_str)
                .and_then(|id| Uuid::parse_str(id.trim()).ok())
                .and_then(|id| self.vocabulary.term(id));
            let nested = attribute.get("taxonomy_term");
            let taxonomy_name = nested.and_then(|t| {
                string(t, "taxonomy").or_else(|| t.get("taxonomy_detail").and_then(|d| string(d, "name")))
            });
            let by_code = || {
                let taxonomy = Taxonomy::ALL
                    .into_iter()
                    .find(|t| Some(t.name()) == taxonomy_name.as_deref())?;
                let code = nested.and_then(|t| string(t, "code"))?;
                Some((taxonomy, code))
            };
            let resolved = by_id.map(|t| (t.taxonomy, t.code.clone())).or_else(by_code);
            match resolved {
                Some((taxonomy, code)) => known.push(Attribute {
                    taxonomy,
                    code,
                    value: string(attribute, "value"),
                    label: string(attribute, "label"),
                }),
                None => {
                    let term = nested
                        .and_then(|t| string(t, "code").or_else(|| string(t, "name")))
                        .or_else(|| string(attribute, "taxonomy_term_id"))
                        .unwrap_or_else(|| "?".into());
                    let taxonomy = taxonomy_name.unwrap_or_else(|| "unknown taxonomy".into());
                    Notes::count(&mut self.notes.unknown_terms, format!("{taxonomy} / {term}"));
                }
            }
        }
        Attributes(known)
    }

    /// The text of `field` with its translations; `None` when none is given.
    fn text(&mut self, object: &Value, field: &str, attributes: &Attributes) -> Option<LocalizedText> {
        let text = LocalizedText {
            ru: string(object, field),
            ky: attributes.translation(field, code::KYRGYZ),
            en: attributes.translation(field, code::ENGLISH),
        };
        (text.ru.is_some() || text.ky.is_some() || text.en.is_some()).then_some(text)
    }

    /// A text Kamkor requires in Kyrgyz and Russian: a missing one is stood
    /// in for by the other (noted).
    fn required_text(
        &mut self,
        (kind, object, field): (&str, &Value, &str),
        attributes: &Attributes,
        at: &str,
    ) -> Read<LocalizedText> {
        let mut text = self
            .text(object, field, attributes)
            .ok_or_else(|| invalid(at, format!("{field} is required")))?;
        if text.ky.is_none() {
            text.ky = text.ru.clone().or_else(|| text.en.clone());
            Notes::count(
                &mut self.notes.stand_ins,
                format!("{kind}.{field}: no Kyrgyz text, another stands in"),
            );
        }
        if text.ru.is_none() {
            text.ru = text.ky.clone();
            Notes::count(
                &mut self.notes.stand_ins,
                format!("{kind}.{field}: no Russian text, the Kyrgyz stands in"),
            );
        }
        Ok(text)
    }

    /// A service with what nests in it; `at` names it in the input.
    pub fn service(&mut self, object: &Value, at: &str) -> Read<ServiceIn> {
        let at = source_of(object, at);
        self.note_unread("service", object);
        let id = uuid_of(object, "id", &at)?;
        let attributes = self.attributes(object);
        let organization_id = match optional_uuid(object, "organization_id", &at)? {
            Some(id) => id,
            None => object
                .get("organization")
                .map(|o| uuid_of(o, "id", &nested_at(&at, "organization")))
                .transpose()?
                .ok_or_else(|| invalid(&at, "organization_id is missing"))?,
        };
        let category = attributes
            .codes(Taxonomy::ServiceCategory)
            .find_map(variant::<ServiceCategory>)
            .ok_or_else(|| {
                invalid(
                    &at,
                    "has no kamkor-service-category attribute (the Kamkor profile requires one; see docs/hsds.md)",
                )
            })?;
        let status = match string(object, "status").as_deref().map(str::to_lowercase).as_deref() {
            None | Some("active") => ServiceStatus::Active,
            Some("temporarily closed") => ServiceStatus::Suspended,
            Some("inactive" | "defunct") => ServiceStatus::Discontinued,
            Some(other) => return Err(invalid(&at, format!("status {other:?} is not an HSDS service status"))),
        };
        let documents: Vec<LocalizedText> = list(object, "required_documents")
            .iter()
            .filter_map(|d| {
                let attributes = self.attributes(d);
                self.text(d, "document", &attributes)
            })
            .collect();
        let area_codes = list(object, "service_areas")
            .iter()
            .filter_map(|a| self.area_of_service_area(a))
            .collect();
        let fields = ServiceFields {
            organization_id,
            category,
            name: self.required_text(("service", object, "name"), &attributes, &at)?,
            description: self.required_text(("service", object, "description"), &attributes, &at)?,
            eligibility: self.text(object, "eligibility_description", &attributes),
            application_process: self.text(object, "application_process", &attributes),
            required_documents: join_texts(documents),
            fees: self.text(object, "fees_description", &attributes),
            age_min: whole(object, "minimum_age", &at)?,
            age_max: whole(object, "maximum_age", &at)?,
            benefit: self.benefit(&attributes, category, &at)?,
            target_groups: attributes.codes(Taxonomy::TargetGroup).filter_map(variant).collect(),
            area_codes,
            status,
        };
        let organization = object
            .get("organization")
            .map(|o| self.organization(o, &nested_at(&at, "organization")));
        let placements: Vec<Read<PlacementIn>> = list(object, "service_at_locations")
            .iter()
            .enumerate()
            .map(|(i, link)| self.placement(link, &nested_at(&at, &format!("service_at_locations[{i}]"))))
            .collect();
        let placement_ids: Vec<Uuid> = placements
            .iter()
            .filter_map(|p| p.as_ref().ok().map(|p| p.id))
            .collect();
        let capacities = list(object, "capacities")
            .iter()
            .enumerate()
            .map(|(i, c)| self.capacity(c, &placement_ids, &nested_at(&at, &format!("capacities[{i}]"))))
            .collect();
        Ok(ServiceIn {
            id,
            at,
            fields,
            organization,
            placements,
            capacities,
        })
    }

    fn benefit(&mut self, attributes: &Attributes, category: ServiceCategory, at: &str) -> Read<Option<BenefitTerms>> {
        if category != ServiceCategory::CashBenefit {
            return Ok(None);
        }
        let b = Taxonomy::Benefit;
        let required = |code: &str| {
            attributes
                .value(b, code)
                .ok_or_else(|| invalid(at, format!("a cash benefit needs a kamkor-benefit {code} attribute")))
        };
        let date = |code: &str| -> Read<Option<NaiveDate>> {
            attributes
                .value(b, code)
                .map(|v| {
                    v.parse()
                        .map_err(|_| invalid(at, format!("kamkor-benefit {code} {v:?} is not a date (YYYY-MM-DD)")))
                })
                .transpose()
        };
        let amount = required(code::AMOUNT)?;
        let legal_basis = attributes.value(b, code::LEGAL_BASIS).map(|ru| LocalizedText {
            ru: Some(ru.to_owned()),
            ky: attributes.translation(code::LEGAL_BASIS, code::KYRGYZ),
            en: attributes.translation(code::LEGAL_BASIS, code::ENGLISH),
        });
        Ok(Some(BenefitTerms {
            amount: amount
                .parse()
                .map_err(|_| invalid(at, format!("kamkor-benefit amount {amount:?} is not a whole number")))?,
            period: variant(required(code::PERIOD)?)
                .ok_or_else(|| invalid(at, "kamkor-benefit period is not monthly or one_off"))?,
            basis: variant(required(code::BASIS)?)
                .ok_or_else(|| invalid(at, "kamkor-benefit basis is not per_child or per_family"))?,
            valid_from: date(code::VALID_FROM)?,
            valid_to: date(code::VALID_TO)?,
            legal_basis,
        }))
    }

    /// The area a service area names (by its kamkor-area term, else by name).
    fn area_of_service_area(&mut self, object: &Value) -> Option<String> {
        let attributes = self.attributes(object);
        let by_term = attributes.codes(Taxonomy::Area).next().map(str::to_owned);
        let name = string(object, "name");
        let found = by_term
            .as_deref()
            .and_then(|code| self.areas_by_code.get(&code.to_uppercase()))
            .or_else(|| name.as_ref().and_then(|n| self.areas_by_name.get(&n.to_lowercase())))
            .map(|a| a.code.clone());
        if found.is_none() {
            let named = by_term.or(name).unwrap_or_else(|| "(unnamed)".into());
            Notes::count(&mut self.notes.unknown_areas, named);
        }
        found
    }

    pub fn organization(&mut self, object: &Value, at: &str) -> Read<OrganizationIn> {
        let at = source_of(object, at);
        self.note_unread("organization", object);
        let id = uuid_of(object, "id", &at)?;
        let attributes = self.attributes(object);
        let kind = attributes
            .codes(Taxonomy::OrganizationKind)
            .find_map(variant::<OrganizationKind>)
            .ok_or_else(|| {
                invalid(
                    &at,
                    "has no kamkor-organization-kind attribute (the Kamkor profile requires one)",
                )
            })?;
        let fields = OrganizationFields {
            kind,
            name: self.required_text(("organization", object, "name"), &attributes, &at)?,
            description: self.text(object, "description", &attributes),
            email: string(object, "email"),
            website: string(object, "website"),
            phones: self.phones(object),
        };
        Ok(OrganizationIn { id, at, fields })
    }

    fn phones(&mut self, object: &Value) -> Vec<Phone> {
        list(object, "phones")
            .iter()
            .filter_map(|phone| {
                let number = string(phone, "number")?;
                self.note_unread("phone", phone);
                let attributes = self.attributes(phone);
                let by_term = PHONE_KINDS
                    .into_iter()
                    .find(|k| attributes.has(Taxonomy::PhoneKind, phone_kind_code(*k)));
                let cell = string(phone, "type").is_some_and(|t| t.eq_ignore_ascii_case("cell"));
                let kind = by_term.unwrap_or(if cell { PhoneKind::Mobile } else { PhoneKind::Office });
                Some(Phone { number, kind })
            })
            .collect()
    }

    fn placement(&mut self, object: &Value, at: &str) -> Read<PlacementIn> {
        let at = source_of(object, at);
        self.note_unread("service_at_location", object);
        let id = uuid_of(object, "id", &at)?;
        let attributes = self.attributes(object);
        let location = object
            .get("location")
            .filter(|l| l.is_object())
            .map(|l| self.location(l, &nested_at(&at, "location")));
        let location_id = match optional_uuid(object, "location_id", &at)? {
            Some(id) => id,
            None => object
                .get("location")
                .map(|l| uuid_of(l, "id", &at))
                .transpose()?
                .ok_or_else(|| invalid(&at, "location_id is missing"))?,
        };
        Ok(PlacementIn {
            id,
            at,
            location_id,
            location,
            notes: self.text(object, "description", &attributes),
        })
    }

    pub fn location(&mut self, object: &Value, at: &str) -> Read<LocationIn> {
        let at = source_of(object, at);
        self.note_unread("location", object);
        let id = uuid_of(object, "id", &at)?;
        let attributes = self.attributes(object);
        let organization_id = uuid_of(object, "organization_id", &at)?;
        let kind = attributes
            .codes(Taxonomy::CentreKind)
            .find_map(variant::<CentreKind>)
            .ok_or_else(|| {
                invalid(
                    &at,
                    "has no kamkor-centre-kind attribute (the Kamkor profile requires one)",
                )
            })?;
        let address = list(object, "addresses").first();
        let area_code = self.area_of_location(&attributes, address).ok_or_else(|| {
            invalid(
                &at,
                "is in no area Kamkor knows (give a kamkor-area attribute, or an address whose city or state_province Kamkor knows)",
            )
        })?;
        let confidential = attributes.has(Taxonomy::Confidentiality, code::CONFIDENTIAL_ADDRESS);
        let e = Taxonomy::Eligibility;
        let age = |code: &str| -> Read<Option<i32>> {
            attributes
                .value(e, code)
                .map(|v| {
                    v.parse()
                        .map_err(|_| invalid(&at, format!("kamkor-eligibility {code} {v:?} is not a whole number")))
                })
                .transpose()
        };
        let schedule = list(object, "schedules").first();
        let fields = CentreFields {
            organization_id,
            kind,
            name: self.required_text(("location", object, "name"), &attributes, &at)?,
            description: self.text(object, "description", &attributes),
            area_code,
            address: address.and_then(|a| self.address_text(a)),
            latitude: object.get("latitude").and_then(Value::as_f64),
            longitude: object.get("longitude").and_then(Value::as_f64),
            address_confidential: confidential,
            phones: self.phones(object),
            email: list(object, "contacts").iter().find_map(|c| string(c, "email")),
            opening_hours: schedule.and_then(|s| self.schedule_text(s)),
            accessibility: list(object, "accessibility").first().and_then(|a| {
                let attributes = self.attributes(a);
                self.text(a, "description", &attributes)
            }),
            languages: list(object, "languages")
                .iter()
                .filter_map(|l| string(l, "code").map(|c| c.to_lowercase()))
                .collect(),
            age_min: age(code::MINIMUM_AGE)?,
            age_max: age(code::MAXIMUM_AGE)?,
            genders: attributes
                .value(e, code::GENDERS)
                .and_then(variant::<GendersServed>)
                .unwrap_or(GendersServed::Any),
            status: attributes
                .codes(Taxonomy::CentreStatus)
                .find_map(variant::<CentreStatus>)
                .unwrap_or(CentreStatus::Active),
        };
        let withheld = confidential && fields.address.is_none() && fields.latitude.is_none();
        Ok(LocationIn {
            id,
            at,
            fields,
            withheld,
        })
    }

    fn area_of_location(&mut self, attributes: &Attributes, address: Option<&Value>) -> Option<String> {
        if let Some(code) = attributes.codes(Taxonomy::Area).next() {
            let found = self.areas_by_code.get(&code.to_uppercase()).map(|a| a.code.clone());
            if found.is_none() {
                Notes::count(&mut self.notes.unknown_areas, code.to_owned());
            }
            return found;
        }
        let address = address?;
        let names = ["city", "region", "state_province"].map(|f| string(address, f));
        let found = names
            .iter()
            .flatten()
            .find_map(|n| self.areas_by_name.get(&n.to_lowercase()))
            .map(|a| a.code.clone());
        if found.is_none() {
            let named = names.into_iter().flatten().collect::<Vec<_>>().join(", ");
            Notes::count(&mut self.notes.unknown_areas, named);
        }
        found
    }

    fn address_text(&mut self, address: &Value) -> Option<LocalizedText> {
        self.note_unread("address", address);
        let attributes = self.attributes(address);
        let mut text = self.text(address, "address_1", &attributes)?;
        if let (Some(ru), Some(second)) = (&mut text.ru, string(address, "address_2")) {
            ru.push_str(", ");
            ru.push_str(&second);
        }
        Some(text)
    }

    /// Opening hours: the schedule's description, else its times in words.
    fn schedule_text(&mut self, schedule: &Value) -> Option<LocalizedText> {
        let attributes = self.attributes(schedule);
        self.text(schedule, "description", &attributes).or_else(|| {
            let days = string(schedule, "byday");
            let hours = string(schedule, "opens_at").zip(string(schedule, "closes_at"));
            let words = match (days, hours) {
                (Some(days), Some((opens, closes))) => format!("{days} {opens}–{closes}"),
                (None, Some((opens, closes))) => format!("{opens}–{closes}"),
                (Some(days), None) => days,
                (None, None) => return None,
            };
            Some(LocalizedText {
                ru: Some(words),
                ..Default::default()
            })
        })
    }

    fn capacity(&mut self, object: &Value, placements: &[Uuid], at: &str) -> Read<CapacityIn> {
        let at = source_of(object, at);
        self.note_unread("service_capacity", object);
        let id = uuid_of(object, "id", &at)?;
        let attributes = self.attributes(object);
        let unit = object
            .get("unit")
            .and_then(|u| string(u, "identifier").or_else(|| string(u, "name")))
            .and_then(|name| unit_named(&name))
            .ok_or_else(|| invalid(&at, "unit is none of Kamkor's units (place, bed, room, session)"))?;
        let placement_id = match attributes.value(Taxonomy::Capacity, code::SERVICE_AT_LOCATION) {
            Some(id) => Uuid::parse_str(id)
                .map_err(|_| invalid(&at, format!("kamkor-capacity service_at_location {id:?} is not a UUID")))?,
            None => match placements {
                [only] => *only,
                _ => {
                    return Err(invalid(
                        &at,
                        format!(
                            "counts places of a service offered at {} locations: say which with a kamkor-capacity service_at_location attribute",
                            placements.len()
                        ),
                    ));
                }
            },
        };
        let waitlist = attributes
            .value(Taxonomy::Capacity, code::WAITLIST)
            .map(|w| {
                w.parse::<i32>()
                    .map_err(|_| invalid(&at, format!("kamkor-capacity waitlist {w:?} is not a whole number")))
            })
            .transpose()?
            .unwrap_or(0);
        let available = whole(object, "available", &at)?.ok_or_else(|| invalid(&at, "available is missing"))?;
        let maximum = whole(object, "maximum", &at)?.ok_or_else(|| invalid(&at, "maximum is missing"))?;
        let counted = string(object, "updated")
            .ok_or_else(|| invalid(&at, "updated is missing"))
            .and_then(|t| {
                DateTime::parse_from_rfc3339(&t)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|_| invalid(&at, format!("updated {t:?} is not a date-time (RFC 3339)")))
            })?;
        Ok(CapacityIn {
            id,
            at,
            placement_id,
            unit,
            counts: (maximum, available, waitlist),
            counted,
        })
    }
}

/// Several texts as one, a line each.
fn join_texts(texts: Vec<LocalizedText>) -> Option<LocalizedText> {
    if texts.len() <= 1 {
        return texts.into_iter().next();
    }
    let join = |pick: fn(&LocalizedText) -> &Option<String>| {
        let parts: Vec<&str> = texts.iter().filter_map(|t| pick(t).as_deref()).collect();
        (!parts.is_empty()).then(|| parts.join("\n"))
    };
    Some(LocalizedText {
        ky: join(|t| &t.ky),
        ru: join(|t| &t.ru),
        en: join(|t| &t.en),
    })
}

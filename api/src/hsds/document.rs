//! Kamkor's records as HSDS 3.1 objects (see `docs/hsds.md` for the
//! mapping): a service with everything nested in it, as the HSDS API's
//! `service_full`, and the organizations, locations and services at
//! locations inside it.
//!
//! Texts: an HSDS field holds the Russian text (Kyrgyz, then English, when
//! a record has no Russian one); the Kyrgyz and English texts ride beside
//! it as `kamkor-translation` attributes whose label names the field.
//! Absent values are left out, never written as `null`: HSDS types its
//! fields as strings and numbers.

use std::{collections::HashMap, sync::Arc};

use entity::{
    admin_area, capacity, centre,
    enums::{ServiceCategory, ServiceStatus},
    organization, service, service_at_centre,
    values::{LocalizedText, Phone, PhoneKind},
};
use sea_orm::prelude::Uuid;
use serde_json::{Map, Value, json};

use super::vocabulary::{Taxonomy, Vocabulary, code, code_of, derived_id, phone_kind_code, term_id, unit_object};
use crate::registry::{access::Visible, directory::Directory};

/// Builds HSDS objects with the terms they refer to.
pub struct Publisher<'a> {
    vocabulary: &'a Vocabulary,
    areas: HashMap<Uuid, &'a admin_area::Model>,
}

/// The text an HSDS field holds (see the module doc).
pub fn main_text(text: &LocalizedText) -> Option<&str> {
    text.ru.as_deref().or(text.ky.as_deref()).or(text.en.as_deref())
}

/// `object` without its `null` members.
fn compact(mut object: Value) -> Value {
    if let Some(map) = object.as_object_mut() {
        map.retain(|_, v| !v.is_null());
    }
    object
}

/// The attributes of one HSDS object.
struct Attributes<'v> {
    vocabulary: &'v Vocabulary,
    link_id: Uuid,
    link_entity: &'static str,
    list: Vec<Value>,
}

impl<'v> Attributes<'v> {
    fn of(vocabulary: &'v Vocabulary, link_entity: &'static str, link_id: Uuid) -> Self {
        Self {
            vocabulary,
            link_id,
            link_entity,
            list: Vec::new(),
        }
    }

    /// The term `code` of `taxonomy`, with a value and a label if given.
    fn add(&mut self, taxonomy: Taxonomy, code: &str, value: Option<String>, label: Option<&str>) {
        let term = term_id(taxonomy, code);
        let id = derived_id(&[
            "attribute",
            &self.link_id.to_string(),
            &term.to_string(),
            label.unwrap_or_default(),
        ]);
        self.list.push(compact(json!({
            "id": id,
            "link_id": self.link_id,
            "link_entity": self.link_entity,
            "taxonomy_term_id": term,
            "value": value,
            "label": label,
            "taxonomy_term": self.vocabulary.term(term).map(|t| t.brief()),
        })));
    }

    fn enumerated<E: sea_orm::ActiveEnum<Value = String>>(&mut self, taxonomy: Taxonomy, value: E) {
        self.add(taxonomy, &code_of(value), None, None);
    }

    fn valued(&mut self, taxonomy: Taxonomy, code: &str, value: Option<impl ToString>) {
        if let Some(value) = value {
            self.add(taxonomy, code, Some(value.to_string()), None);
        }
    }

    /// The Kyrgyz and English texts of `field` beside its Russian one.
    fn translations(&mut self, field: &str, text: Option<&LocalizedText>) {
        let Some(text) = text else { return };
        for (language, value) in [(code::KYRGYZ, &text.ky), (code::ENGLISH, &text.en)] {
            if let Some(value) = value {
                self.add(Taxonomy::Translation, language, Some(value.clone()), Some(field));
            }
        }
    }

    /// The attributes, `None` when there are none.
    fn finish(self) -> Option<Value> {
        (!self.list.is_empty()).then_some(Value::Array(self.list))
    }
}

/// HSDS's status of a service.
pub fn service_status(status: ServiceStatus) -> &'static str {
    match status {
        ServiceStatus::Active => "active",
        ServiceStatus::Suspended => "temporarily closed",
        ServiceStatus::Discontinued => "inactive",
    }
}

/// `None` for an empty list, so that the member is left out.
fn non_empty(list: Vec<Value>) -> Option<Value> {
    (!list.is_empty()).then_some(Value::Array(list))
}

impl<'a> Publisher<'a> {
    pub fn new(vocabulary: &'a Vocabulary, areas: &'a [admin_area::Model]) -> Self {
        Self {
            vocabulary,
            areas: areas.iter().map(|a| (a.id, a)).collect(),
        }
    }

    /// A service with everything nested in it (`service_full`).
    pub fn service_full(&self, d: &Directory, s: &service::Model) -> Value {
        let mut full = self.service(d, s);
        let placements = d.placements.get(&s.id).map(Vec::as_slice).unwrap_or_default();
        let mut at_locations = Vec::new();
        let mut capacities = Vec::new();
        for link in placements {
            let Some(centre) = d.centres.get(&link.centre_id) else {
                continue;
            };
            let languages = d.languages.get(&centre.id).map(Vec::as_slice).unwrap_or_default();
            at_locations.push(self.service_at_location(link, Some(self.location(centre, languages))));
            if let Some(places) = d.capacities.get(&link.id) {
                capacities.push(self.capacity(s.id, link.id, places));
            }
        }
        let organization = d.organizations.get(&s.organization_id).map(|o| self.organization(o));
        let areas = d.areas.get(&s.id).map(Vec::as_slice).unwrap_or_default();
        let fields = full.as_object_mut().expect("a service is an object");
        let nested = [
            ("service_at_locations", non_empty(at_locations)),
            ("capacities", non_empty(capacities)),
            (
                "service_areas",
                non_empty(areas.iter().map(|a| self.service_area(s.id, a)).collect()),
            ),
            ("organization", organization),
        ];
        for (name, value) in nested {
            if let Some(value) = value {
                fields.insert(name.to_owned(), value);
            }
        }
        full
    }

    /// A service's own fields, its required documents and its attributes.
    pub fn service(&self, d: &Directory, s: &service::Model) -> Value {
        let mut attributes = Attributes::of(self.vocabulary, "service", s.id);
        attributes.enumerated(Taxonomy::ServiceCategory, s.category);
        for &group in d.target_groups.get(&s.id).map(Vec::as_slice).unwrap_or_default() {
            attributes.enumerated(Taxonomy::TargetGroup, group);
        }
        if s.category == ServiceCategory::CashBenefit {
            self.benefit(&mut attributes, s);
        }
        attributes.translations("name", Some(&s.name));
        attributes.translations("description", Some(&s.description));
        attributes.translations("eligibility_description", s.eligibility.as_ref());
        attributes.translations("application_process", s.application_process.as_ref());
        attributes.translations("fees_description", s.fees.as_ref());
        let documents = s.required_documents.as_ref().map(|text| {
            let id = derived_id(&["required_document", &s.id.to_string()]);
            let mut translations = Attributes::of(self.vocabulary, "required_document", id);
            translations.translations("document", Some(text));
            json!([compact(json!({
                "id": id,
                "service_id": s.id,
                "document": main_text(text),
                "attributes": translations.finish(),
            }))])
        });
        compact(json!({
            "id": s.id,
            "organization_id": s.organization_id,
            "name": main_text(&s.name),
            "description": main_text(&s.description),
            "status": service_status(s.status),
            "eligibility_description": s.eligibility.as_ref().and_then(main_text),
            "application_process": s.application_process.as_ref().and_then(main_text),
            "fees_description": s.fees.as_ref().and_then(main_text),
            "minimum_age": s.age_min,
            "maximum_age": s.age_max,
            "last_modified": s.updated_at,
            "required_documents": documents,
            "attributes": attributes.finish(),
        }))
    }

    fn benefit(&self, attributes: &mut Attributes<'_>, s: &service::Model) {
        let b = Taxonomy::Benefit;
        attributes.valued(b, code::AMOUNT, s.benefit_amount);
        attributes.valued(b, code::CURRENCY, s.benefit_currency.as_ref());
        attributes.valued(b, code::PERIOD, s.benefit_period.map(code_of));
        attributes.valued(b, code::BASIS, s.benefit_basis.map(code_of));
        attributes.valued(b, code::VALID_FROM, s.benefit_valid_from);
        attributes.valued(b, code::VALID_TO, s.benefit_valid_to);
        if let Some(basis) = &s.benefit_legal_basis {
            attributes.valued(b, code::LEGAL_BASIS, main_text(basis));
            attributes.translations(code::LEGAL_BASIS, Some(basis));
        }
    }

    /// An organization with its phones and attributes.
    pub fn organization(&self, o: &organization::Model) -> Value {
        let mut attributes = Attributes::of(self.vocabulary, "organization", o.id);
        attributes.enumerated(Taxonomy::OrganizationKind, o.kind);
        attributes.translations("name", Some(&o.name));
        attributes.translations("description", o.description.as_ref());
        compact(json!({
            "id": o.id,
            "name": main_text(&o.name),
            // Required by HSDS; Kamkor's is optional.
            "description": o.description.as_ref().and_then(main_text).unwrap_or_default(),
            "email": o.email,
            "website": o.website,
            "phones": self.phones(("organization_id", o.id), &o.phones.0),
            "attributes": attributes.finish(),
        }))
    }

    /// A centre as the caller sees it, as an HSDS location.
    pub fn location(&self, seen: &Visible<Arc<centre::Model>>, languages: &[String]) -> Value {
        let c: &centre::Model = seen;
        let withheld = c.address_confidential && c.address.is_none() && c.latitude.is_none();
        let mut attributes = Attributes::of(self.vocabulary, "location", c.id);
        attributes.enumerated(Taxonomy::CentreKind, c.kind);
        attributes.enumerated(Taxonomy::CentreStatus, c.status);
        if let Some(area) = self.areas.get(&c.admin_area_id) {
            attributes.add(Taxonomy::Area, &area.code, None, None);
        }
        if c.address_confidential {
            attributes.add(Taxonomy::Confidentiality, code::CONFIDENTIAL_ADDRESS, None, None);
        }
        let e = Taxonomy::Eligibility;
        attributes.valued(e, code::MINIMUM_AGE, c.age_min);
        attributes.valued(e, code::MAXIMUM_AGE, c.age_max);
        attributes.valued(e, code::GENDERS, Some(code_of(c.genders)));
        attributes.translations("name", Some(&c.name));
        attributes.translations("description", c.description.as_ref());
        let derived = |what: &str| derived_id(&[what, &c.id.to_string()]);
        let schedule = c.opening_hours.as_ref().map(|hours| {
            let id = derived("schedule");
            let mut translations = Attributes::of(self.vocabulary, "schedule", id);
            translations.translations("description", Some(hours));
            json!([compact(json!({
                "id": id, "location_id": c.id, "description": main_text(hours),
                "attributes": translations.finish(),
            }))])
        });
        let accessibility = c.accessibility.as_ref().map(|text| {
            let id = derived("accessibility");
            let mut translations = Attributes::of(self.vocabulary, "accessibility", id);
            translations.translations("description", Some(text));
            json!([compact(json!({
                "id": id, "location_id": c.id, "description": main_text(text),
                "attributes": translations.finish(),
            }))])
        });
        let contacts = c
            .email
            .as_ref()
            .map(|email| json!([{ "id": derived("contact"), "location_id": c.id, "email": email }]));
        let languages: Vec<Value> = languages
            .iter()
            .map(|code| json!({ "id": derived_id(&["language", &c.id.to_string(), code]), "location_id": c.id, "code": code }))
            .collect();
        compact(json!({
            "id": c.id,
            "location_type": if withheld { "virtual" } else { "physical" },
            "organization_id": c.organization_id,
            "name": main_text(&c.name),
            "description": c.description.as_ref().and_then(main_text),
            "latitude": c.latitude,
            "longitude": c.longitude,
            "addresses": c.address.as_ref().map(|a| json!([self.address(c, a)])),
            "phones": self.phones(("location_id", c.id), &c.phones.0),
            "schedules": schedule,
            "accessibility": accessibility,
            "contacts": contacts,
            "languages": non_empty(languages),
            "attributes": attributes.finish(),
        }))
    }

    /// A centre's address; HSDS requires a city, a state or province and a
    /// postal code, which Kamkor knows as its area (the postal code it
    /// does not keep).
    fn address(&self, c: &centre::Model, text: &LocalizedText) -> Value {
        let id = derived_id(&["address", &c.id.to_string()]);
        let area = self.areas.get(&c.admin_area_id).copied();
        let region = area.map(|a| self.region_of(a));
        let name = |a: Option<&admin_area::Model>| a.and_then(|a| main_text(&a.name)).unwrap_or_default().to_owned();
        let mut translations = Attributes::of(self.vocabulary, "address", id);
        translations.translations("address_1", Some(text));
        compact(json!({
            "id": id,
            "location_id": c.id,
            "address_1": main_text(text),
            "city": name(area),
            "state_province": name(region),
            "postal_code": "",
            "country": "KG",
            "address_type": "physical",
            "attributes": translations.finish(),
        }))
    }

    /// The region (or city of republican significance) an area lies in.
    fn region_of(&self, mut area: &'a admin_area::Model) -> &'a admin_area::Model {
        while let Some(parent) = area.parent_id.and_then(|p| self.areas.get(&p)) {
            area = parent;
        }
        area
    }

    fn phones(&self, (owner_key, owner): (&str, Uuid), phones: &[Phone]) -> Option<Value> {
        let list = phones
            .iter()
            .enumerate()
            .map(|(i, phone)| {
                let id = derived_id(&["phone", &owner.to_string(), &i.to_string()]);
                let mut attributes = Attributes::of(self.vocabulary, "phone", id);
                attributes.add(Taxonomy::PhoneKind, phone_kind_code(phone.kind), None, None);
                let mut object = Map::new();
                object.insert("id".into(), json!(id));
                object.insert(owner_key.into(), json!(owner));
                object.insert("number".into(), json!(phone.number));
                let voice = if phone.kind == PhoneKind::Mobile {
                    "cell"
                } else {
                    "voice"
                };
                object.insert("type".into(), json!(voice));
                if let Some(attributes) = attributes.finish() {
                    object.insert("attributes".into(), attributes);
                }
                Value::Object(object)
            })
            .collect();
        non_empty(list)
    }

    /// A service at a location, with the location if given.
    pub fn service_at_location(&self, link: &service_at_centre::Model, location: Option<Value>) -> Value {
        let mut attributes = Attributes::of(self.vocabulary, "service_at_location", link.id);
        attributes.translations("description", link.notes.as_ref());
        compact(json!({
            "id": link.id,
            "service_id": link.service_id,
            "location_id": link.centre_id,
            "description": link.notes.as_ref().and_then(main_text),
            "location": location,
            "attributes": attributes.finish(),
        }))
    }

    fn service_area(&self, service_id: Uuid, area: &admin_area::Model) -> Value {
        let id = derived_id(&["service_area", &service_id.to_string(), &area.code]);
        let mut attributes = Attributes::of(self.vocabulary, "service_area", id);
        attributes.add(Taxonomy::Area, &area.code, None, None);
        compact(json!({
            "id": id,
            "service_id": service_id,
            "name": main_text(&area.name),
            "extent_type": "kamkor-area",
            "attributes": attributes.finish(),
        }))
    }

    /// The places counted for a service at a centre.
    fn capacity(&self, service_id: Uuid, link_id: Uuid, places: &capacity::Model) -> Value {
        let unit = unit_object(places.unit);
        let mut attributes = Attributes::of(self.vocabulary, "service_capacity", places.id);
        attributes.valued(Taxonomy::Capacity, code::SERVICE_AT_LOCATION, Some(link_id));
        attributes.valued(Taxonomy::Capacity, code::WAITLIST, Some(places.waitlist));
        compact(json!({
            "id": places.id,
            "service_id": service_id,
            "unit_id": unit["id"],
            "unit": unit,
            "available": places.available,
            "maximum": places.maximum,
            "updated": places.updated,
            "attributes": attributes.finish(),
        }))
    }
}

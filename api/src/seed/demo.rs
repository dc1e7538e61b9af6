//! The demo data: a realistic registry of Kyrgyz providers, centres,
//! services and benefits, marked `is_demo` everywhere. The figures are
//! illustrative, not official.

use std::collections::HashMap;

use anyhow::{Context as _, anyhow, bail};
use chrono::{Duration, NaiveDate};
use entity::{
    admin_area, capacity, capacity_event, centre, centre_language,
    enums::{
        AreaLevel, BenefitBasis, BenefitPeriod, CapacityUnit, CentreKind, CentreStatus, GendersServed,
        OrganizationKind, ServiceCategory, ServiceStatus, TargetGroup,
    },
    organization, service, service_area, service_at_centre, service_target_group,
    values::{LocalizedText, Phone, Phones},
};
use sea_orm::{DatabaseConnection, prelude::Uuid};
use serde::Deserialize;

use crate::registry::{
    batch::{Batch, Summary},
    geo::PublicGrid,
};

const DEMO_JSON: &str = include_str!("demo.json");

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DemoData {
    areas: Vec<Area>,
    organizations: Vec<Organization>,
    centres: Vec<Centre>,
    services: Vec<Service>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Area {
    code: String,
    level: AreaLevel,
    parent: Option<String>,
    name: LocalizedText,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Organization {
    key: String,
    kind: OrganizationKind,
    name: LocalizedText,
    description: Option<LocalizedText>,
    email: Option<String>,
    website: Option<String>,
    phones: Vec<Phone>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Centre {
    key: String,
    organization: String,
    kind: CentreKind,
    name: LocalizedText,
    description: Option<LocalizedText>,
    area: String,
    address: Option<LocalizedText>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    address_confidential: bool,
    phones: Vec<Phone>,
    email: Option<String>,
    opening_hours: Option<LocalizedText>,
    accessibility: Option<LocalizedText>,
    languages: Vec<String>,
    age_min: Option<i32>,
    age_max: Option<i32>,
    genders: GendersServed,
    status: CentreStatus,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Service {
    key: String,
    organization: String,
    category: ServiceCategory,
    name: LocalizedText,
    description: LocalizedText,
    eligibility: Option<LocalizedText>,
    application_process: Option<LocalizedText>,
    required_documents: Option<LocalizedText>,
    fees: Option<LocalizedText>,
    target_groups: Vec<TargetGroup>,
    age_min: Option<i32>,
    age_max: Option<i32>,
    benefit: Option<Benefit>,
    areas: Vec<String>,
    status: ServiceStatus,
    centres: Vec<Placement>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Benefit {
    amount: i64,
    period: BenefitPeriod,
    basis: BenefitBasis,
    valid_from: Option<NaiveDate>,
    valid_to: Option<NaiveDate>,
    legal_basis: Option<LocalizedText>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Placement {
    centre: String,
    notes: Option<LocalizedText>,
    capacity: Option<Capacity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Capacity {
    unit: CapacityUnit,
    maximum: i32,
    available: i32,
    waitlist: i32,
    updated_minutes_ago: i64,
}

/// Loads the demo data if the registry is empty; `None` when it already
/// holds data (demo records never mix with real ones).
pub async fn load(db: &DatabaseConnection, grid: PublicGrid) -> anyhow::Result<Option<Summary>> {
    let mut batch = build()?;
    batch.public_grid = grid;
    let summary = batch.insert_if_empty(db).await.context("inserting the demo data")?;
    if let Some(summary) = &summary {
        tracing::info!(
            centres = summary.centres,
            services = summary.services,
            "loaded the demo data (illustrative figures, not official)"
        );
    }
    Ok(summary)
}

/// Kyrgyzstan's administrative areas as the demo data lists them (real
/// codes and names, not illustrative), for a registry that has none yet
/// (an HSDS import into a new registry), parents first.
pub fn areas() -> anyhow::Result<Vec<admin_area::Model>> {
    let data: DemoData = serde_json::from_str(DEMO_JSON).context("demo.json is malformed")?;
    let areas = build_areas(&data, crate::registry::now())?;
    Ok(data.areas.iter().filter_map(|a| areas.get(&a.code).cloned()).collect())
}

/// The areas of the demo JSON by code, with fresh ids.
fn build_areas(
    data: &DemoData,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<HashMap<String, admin_area::Model>> {
    let mut areas: HashMap<String, admin_area::Model> = HashMap::new();
    for area in &data.areas {
        let (parent_id, parent_path) = match &area.parent {
            Some(code) => {
                let parent = areas
                    .get(code)
                    .ok_or_else(|| anyhow!("area {} comes before its parent {code}", area.code))?;
                (Some(parent.id), parent.path.clone())
            }
            None => (None, "/".to_owned()),
        };
        let model = admin_area::Model {
            id: Uuid::new_v4(),
            code: area.code.clone(),
            level: area.level,
            parent_id,
            path: format!("{parent_path}{}/", area.code),
            name: area.name.clone(),
            created_at: now,
            updated_at: now,
        };
        areas.insert(area.code.clone(), model);
    }
    Ok(areas)
}

/// Turns the demo JSON into records with fresh ids and timestamps.
fn build() -> anyhow::Result<Batch> {
    let data: DemoData = serde_json::from_str(DEMO_JSON).context("demo.json is malformed")?;
    let now = crate::registry::now();
    let mut batch = Batch::default();

    let areas = build_areas(&data, now)?;
    batch.areas = data.areas.iter().filter_map(|a| areas.get(&a.code).cloned()).collect();

    let mut organizations: HashMap<&str, Uuid> = HashMap::new();
    for org in &data.organizations {
        let id = Uuid::new_v4();
        organizations.insert(&org.key, id);
        batch.organizations.push(crate::new_record!(
            organization::Model {
                id,
                kind: org.kind,
                name: org.name.clone(),
                description: org.description.clone(),
                email: org.email.clone(),
                website: org.website.clone(),
                phones: Phones(org.phones.clone()),
            },
            now,
            demo = true
        ));
    }
    let org_id = |key: &str| {
        organizations
            .get(key)
            .copied()
            .ok_or_else(|| anyhow!("unknown organization {key}"))
    };
    let area_id = |code: &str| {
        areas
            .get(code)
            .map(|a| a.id)
            .ok_or_else(|| anyhow!("unknown area {code}"))
    };

    let mut centres: HashMap<&str, Uuid> = HashMap::new();
    for c in &data.centres {
        let id = Uuid::new_v4();
        centres.insert(&c.key, id);
        batch.centres.push(crate::new_record!(
            centre::Model {
                id,
                organization_id: org_id(&c.organization)?,
                kind: c.kind,
                name: c.name.clone(),
                description: c.description.clone(),
                admin_area_id: area_id(&c.area)?,
                address: c.address.clone(),
                latitude: c.latitude,
                longitude: c.longitude,
                public_latitude: None,
                public_longitude: None,
                address_confidential: c.address_confidential,
                phones: Phones(c.phones.clone()),
                email: c.email.clone(),
                opening_hours: c.opening_hours.clone(),
                accessibility: c.accessibility.clone(),
                age_min: c.age_min,
                age_max: c.age_max,
                genders: c.genders,
                status: c.status,
            },
            now,
            demo = true
        ));
        batch
            .centre_languages
            .extend(c.languages.iter().map(|language| centre_language::Model {
                centre_id: id,
                language: language.clone(),
            }));
    }

    for s in &data.services {
        let id = Uuid::new_v4();
        if s.benefit.is_some() != (s.category == ServiceCategory::CashBenefit) {
            bail!("service {}: benefit terms go with CASH_BENEFIT and only with it", s.key);
        }
        let benefit = s.benefit.as_ref();
        batch.services.push(crate::new_record!(
            service::Model {
                id,
                organization_id: org_id(&s.organization)?,
                category: s.category,
                name: s.name.clone(),
                description: s.description.clone(),
                eligibility: s.eligibility.clone(),
                application_process: s.application_process.clone(),
                required_documents: s.required_documents.clone(),
                fees: s.fees.clone(),
                age_min: s.age_min,
                age_max: s.age_max,
                benefit_amount: benefit.map(|b| b.amount),
                benefit_currency: benefit.map(|_| "KGS".to_owned()),
                benefit_period: benefit.map(|b| b.period),
                benefit_basis: benefit.map(|b| b.basis),
                benefit_valid_from: benefit.and_then(|b| b.valid_from),
                benefit_valid_to: benefit.and_then(|b| b.valid_to),
                benefit_legal_basis: benefit.and_then(|b| b.legal_basis.clone()),
                status: s.status,
            },
            now,
            demo = true
        ));
        batch
            .target_groups
            .extend(s.target_groups.iter().map(|&target_group| service_target_group::Model {
                service_id: id,
                target_group,
            }));
        for code in &s.areas {
            batch.service_areas.push(service_area::Model {
                service_id: id,
                admin_area_id: area_id(code)?,
            });
        }
        for placement in &s.centres {
            let centre_id = centres
                .get(placement.centre.as_str())
                .copied()
                .ok_or_else(|| anyhow!("service {} names unknown centre {}", s.key, placement.centre))?;
            let placement_id = Uuid::new_v4();
            batch.placements.push(service_at_centre::Model {
                id: placement_id,
                service_id: id,
                centre_id,
                notes: placement.notes.clone(),
                archived_at: None,
                version: 1,
                created_at: now,
                updated_at: now,
            });
            if let Some(cap) = &placement.capacity {
                let counted = now - Duration::minutes(cap.updated_minutes_ago);
                let capacity_id = Uuid::new_v4();
                batch.capacities.push(capacity::Model {
                    id: capacity_id,
                    service_at_centre_id: placement_id,
                    unit: cap.unit,
                    maximum: cap.maximum,
                    available: cap.available,
                    waitlist: cap.waitlist,
                    updated: counted,
                    updated_by: Some("demo".to_owned()),
                    version: 1,
                    created_at: now,
                    updated_at: counted,
                });
                batch.capacity_events.push(capacity_event::Model {
                    id: Uuid::new_v4(),
                    capacity_id,
                    available: cap.available,
                    maximum: cap.maximum,
                    waitlist: cap.waitlist,
                    actor: "demo".to_owned(),
                    at: counted,
                });
            }
        }
    }
    Ok(batch)
}

/// A demo centre, confidential or not, for tests of the rules that apply to it.
#[cfg(test)]
pub fn sample_centre(confidential: bool) -> centre::Model {
    build()
        .ok()
        .and_then(|batch| {
            batch
                .centres
                .into_iter()
                .find(|c| c.address_confidential == confidential && c.latitude.is_some())
        })
        .map(|mut c| {
            crate::registry::centre::fill_derived(&mut c, Default::default());
            c
        })
        .expect("the demo data has both kinds of centre")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_data_is_consistent() {
        let batch = super::build().expect("demo.json builds");
        assert!(batch.centres.len() >= 25, "{} centres", batch.centres.len());
        assert!(batch.services.len() >= 40, "{} services", batch.services.len());
        assert!(batch.areas.iter().any(|a| a.code == "KG-GB-LEN"));
        assert!(batch.centres.iter().any(|c| c.address_confidential));
    }
}

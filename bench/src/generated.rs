//! Generated data for the benchmark: many centres and services spread over
//! the country's towns, on top of the demo data (whose areas it reuses).
//! Deterministic for a given seed, so runs are comparable.

use chrono::Duration;
use entity::{
    capacity, centre, centre_language,
    enums::{
        CapacityUnit, CentreKind, CentreStatus, GendersServed, OrganizationKind, ServiceCategory, ServiceStatus,
        TargetGroup,
    },
    organization, service, service_area, service_at_centre, service_target_group,
    values::{LocalizedText, Phone, PhoneKind, Phones},
};
use sea_orm::{DatabaseConnection, prelude::Uuid};

use api::registry::{
    self,
    batch::{Batch, Summary},
};

/// Towns with their area code, centre point and share of the centres.
const TOWNS: [(&str, f64, f64, u32); 11] = [
    ("KG-GB-LEN", 42.870, 74.560, 10),
    ("KG-GB-OKT", 42.850, 74.640, 10),
    ("KG-GB-PER", 42.880, 74.610, 10),
    ("KG-GB-SVE", 42.890, 74.650, 10),
    ("KG-GO", 40.530, 72.800, 15),
    ("KG-J", 40.933, 73.000, 10),
    ("KG-Y", 42.490, 78.390, 8),
    ("KG-N", 41.430, 75.990, 6),
    ("KG-T", 42.520, 72.240, 6),
    ("KG-B", 40.060, 70.820, 6),
    ("KG-C", 42.840, 75.300, 9),
];

const CENTRE_KINDS: [CentreKind; 7] = [
    CentreKind::Rehabilitation,
    CentreKind::Crisis,
    CentreKind::Reintegration,
    CentreKind::ResidentialCare,
    CentreKind::DayCare,
    CentreKind::FamilySupport,
    CentreKind::SocialServicesOffice,
];

const CATEGORIES: [ServiceCategory; 9] = [
    ServiceCategory::Shelter,
    ServiceCategory::PsychologicalSupport,
    ServiceCategory::MedicalRehabilitation,
    ServiceCategory::LegalAid,
    ServiceCategory::Education,
    ServiceCategory::FamilySupport,
    ServiceCategory::Reintegration,
    ServiceCategory::DayCare,
    ServiceCategory::Hotline,
];

const GROUPS: [TargetGroup; 7] = [
    TargetGroup::LowIncomeFamily,
    TargetGroup::ChildWithDisability,
    TargetGroup::Orphan,
    TargetGroup::ChildWithoutParentalCare,
    TargetGroup::ChildInDifficultSituation,
    TargetGroup::ViolenceSurvivor,
    TargetGroup::ChildInConflictWithLaw,
];

fn text(ky: String, ru: String) -> LocalizedText {
    LocalizedText {
        ky: Some(ky),
        ru: Some(ru),
        en: None,
    }
}

fn pick<T: Copy>(rng: &mut fastrand::Rng, items: &[T]) -> T {
    items[rng.usize(..items.len())]
}

/// Adds `centres` centres and `services` services (each delivered at one or
/// two centres, most with places) to a registry that holds the demo areas.
pub async fn generate(db: &DatabaseConnection, centres: usize, services: usize, seed: u64) -> anyhow::Result<Summary> {
    let codes: Vec<&str> = TOWNS.iter().map(|t| t.0).collect();
    let areas = registry::admin_area::by_codes(db, &codes).await?;
    let area_id = |code: &str| areas.iter().find(|a| a.code == code).map(|a| a.id);
    if TOWNS.iter().any(|t| area_id(t.0).is_none()) {
        anyhow::bail!("the benchmark data needs the demo areas: run `kamkor seed --demo` first");
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    let now = api::registry::now();
    let mut batch = Batch::default();

    let organizations: Vec<Uuid> = (0..(centres / 20).max(1))
        .map(|i| {
            let id = Uuid::new_v4();
            batch.organizations.push(api::new_record!(
                organization::Model {
                    id,
                    kind: pick(
                        &mut rng,
                        &[
                            OrganizationKind::StateBody,
                            OrganizationKind::Ngo,
                            OrganizationKind::MunicipalBody,
                        ],
                    ),
                    name: text(format!("Уюм №{i}"), format!("Организация №{i}")),
                    description: None,
                    email: None,
                    website: None,
                    phones: Phones(vec![Phone {
                        number: format!("+996 312 {:06}", i),
                        kind: PhoneKind::Intake,
                    }]),
                },
                now,
                demo = true
            ));
            id
        })
        .collect();

    let total_weight: u32 = TOWNS.iter().map(|t| t.3).sum();
    let mut centre_ids = Vec::with_capacity(centres);
    for i in 0..centres {
        let mut roll = rng.u32(..total_weight);
        let town = TOWNS
            .iter()
            .find(|t| {
                if roll < t.3 {
                    true
                } else {
                    roll -= t.3;
                    false
                }
            })
            .unwrap_or(&TOWNS[0]);
        let id = Uuid::new_v4();
        centre_ids.push(id);
        let confidential = rng.u8(..100) < 3;
        let age_min = rng.i32(0..8);
        batch.centres.push(api::new_record!(
            centre::Model {
                id,
                organization_id: pick(&mut rng, &organizations),
                kind: pick(&mut rng, &CENTRE_KINDS),
                name: text(format!("Борбор №{i}"), format!("Центр №{i}")),
                description: Some(text(
                    format!("Балдар үчүн борбор №{i}"),
                    format!("Центр для детей №{i}"),
                )),
                admin_area_id: area_id(town.0).unwrap_or_default(),
                address: Some(text(format!("{i}-көчө, {i}"), format!("ул. {i}-я, {i}"))),
                latitude: Some(town.1 + rng.f64() * 0.3 - 0.15),
                longitude: Some(town.2 + rng.f64() * 0.3 - 0.15),
                public_latitude: None,
                public_longitude: None,
                address_confidential: confidential,
                phones: Phones(vec![Phone {
                    number: format!("+996 555 {:06}", i),
                    kind: PhoneKind::Office,
                }]),
                email: None,
                opening_hours: None,
                accessibility: None,
                age_min: Some(age_min),
                age_max: Some(rng.i32(age_min.max(10)..=18)),
                genders: if rng.u8(..10) == 0 {
                    GendersServed::Female
                } else {
                    GendersServed::Any
                },
                status: if rng.u8(..20) == 0 {
                    CentreStatus::TemporarilyClosed
                } else {
                    CentreStatus::Active
                },
            },
            now,
            demo = true
        ));
        batch.centre_languages.push(centre_language::Model {
            centre_id: id,
            language: "ky".into(),
        });
        batch.centre_languages.push(centre_language::Model {
            centre_id: id,
            language: "ru".into(),
        });
    }

    for i in 0..services {
        let id = Uuid::new_v4();
        let category = pick(&mut rng, &CATEGORIES);
        let age_min = rng.i32(0..10);
        batch.services.push(api::new_record!(
            service::Model {
                id,
                organization_id: pick(&mut rng, &organizations),
                category,
                name: text(format!("Кызмат №{i}"), format!("Услуга №{i}")),
                description: text(format!("Балдарга жардам №{i}"), format!("Помощь детям №{i}")),
                eligibility: None,
                application_process: None,
                required_documents: None,
                fees: None,
                age_min: Some(age_min),
                age_max: Some(rng.i32(age_min.max(12)..=18)),
                benefit_amount: None,
                benefit_currency: None,
                benefit_period: None,
                benefit_basis: None,
                benefit_valid_from: None,
                benefit_valid_to: None,
                benefit_legal_basis: None,
                status: ServiceStatus::Active,
            },
            now,
            demo = true
        ));
        let first_group = rng.usize(..GROUPS.len());
        for offset in 0..rng.usize(1..=2) {
            let target_group = GROUPS[(first_group + offset) % GROUPS.len()];
            batch.target_groups.push(service_target_group::Model {
                service_id: id,
                target_group,
            });
        }
        let first_centre = rng.usize(..centre_ids.len().max(1));
        for offset in 0..rng.usize(1..=2) {
            let Some(&centre_id) = centre_ids.get((first_centre + offset) % centre_ids.len().max(1)) else {
                break;
            };
            if offset == 0
                && let Some(area) = batch.centres.get(first_centre % centre_ids.len())
            {
                batch.service_areas.push(service_area::Model {
                    service_id: id,
                    admin_area_id: area.admin_area_id,
                });
            }
            let placement_id = Uuid::new_v4();
            batch.placements.push(service_at_centre::Model {
                id: placement_id,
                service_id: id,
                centre_id,
                notes: None,
                archived_at: None,
                version: 1,
                created_at: now,
                updated_at: now,
            });
            if category != ServiceCategory::Hotline && category != ServiceCategory::LegalAid {
                let maximum = rng.i32(5..60);
                let counted = now - Duration::minutes(rng.i64(1..10_000));
                batch.capacities.push(capacity::Model {
                    id: Uuid::new_v4(),
                    service_at_centre_id: placement_id,
                    unit: CapacityUnit::Place,
                    maximum,
                    available: if rng.u8(..4) == 0 { 0 } else { rng.i32(0..=maximum) },
                    waitlist: 0,
                    updated: counted,
                    updated_by: Some("bench".into()),
                    version: 1,
                    created_at: now,
                    updated_at: counted,
                });
            }
        }
    }
    Ok(batch.insert(db).await?)
}

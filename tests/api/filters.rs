//! Property: any combination of centre filters, on random data, returns
//! exactly the centres that a plain in-memory reading of the same filter
//! selects, on SQLite and PostgreSQL.

use std::collections::{HashMap, HashSet};

use api::{
    graphql::ids::{NodeKind, encode},
    registry::{batch::Batch, now, search},
};
use entity::{
    admin_area, capacity, centre, centre_language,
    enums::{CapacityUnit, CentreKind, CentreStatus, GendersServed, TargetGroup},
    organization, service, service_at_centre, service_target_group,
    values::{LocalizedText, Phones},
};
use proptest::{prelude::*, strategy::ValueTree, test_runner::TestRunner};
use sea_orm::{EntityTrait, prelude::Uuid};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

const KINDS: [CentreKind; 7] = [
    CentreKind::Rehabilitation,
    CentreKind::Crisis,
    CentreKind::Reintegration,
    CentreKind::ResidentialCare,
    CentreKind::DayCare,
    CentreKind::FamilySupport,
    CentreKind::SocialServicesOffice,
];
const STATUSES: [CentreStatus; 3] = [
    CentreStatus::Active,
    CentreStatus::TemporarilyClosed,
    CentreStatus::Closed,
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
const LANGUAGES: [&str; 5] = ["ky", "ru", "uz", "en", "tg"];
/// Words of the random centres' names, also searched for.
const WORDS: [&str; 6] = ["Тилек", "Өмүр", "Ласточка", "Nadezhda", "Бакыт", "Ырыс"];

/// A service at a random centre: (service index, places as (maximum,
/// available), placement archived).
type RandomPlacement = (usize, Option<(i32, i32)>, bool);

/// A random centre, placed against the demo data's areas, organizations and
/// services by index.
#[derive(Clone, Debug)]
struct RandomCentre {
    word: usize,
    kind: usize,
    status: usize,
    ages: (Option<i32>, Option<i32>),
    languages: Vec<usize>,
    area: usize,
    organization: usize,
    services: Vec<RandomPlacement>,
    archived: bool,
}

fn random_centre() -> impl Strategy<Value = RandomCentre> {
    let ages = (prop::option::of(0..=18i32), prop::option::of(0..=18i32)).prop_map(|(a, b)| match (a, b) {
        (Some(a), Some(b)) if a > b => (Some(b), Some(a)),
        other => other,
    });
    let placement = (
        any::<prop::sample::Index>(),
        prop::option::of((0..30i32, 0..30i32)),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(service, places, archived)| {
            let places = places.map(|(max, free)| (max.max(free), free.min(max.max(free))));
            (service.index(1_000), places, archived)
        });
    (
        0..WORDS.len(),
        0..KINDS.len(),
        0..STATUSES.len(),
        ages,
        prop::collection::vec(0..LANGUAGES.len(), 0..3),
        0..1_000usize,
        0..1_000usize,
        prop::collection::vec(placement, 0..4),
        prop::bool::weighted(0.1),
    )
        .prop_map(
            |(word, kind, status, ages, languages, area, organization, services, archived)| RandomCentre {
                word,
                kind,
                status,
                ages,
                languages,
                area,
                organization,
                services,
                archived,
            },
        )
}

/// A filter, as GraphQL takes it and as the in-memory reading applies it.
#[derive(Clone, Debug)]
struct Filter {
    text: Option<String>,
    area: Option<usize>,
    kinds: Vec<usize>,
    statuses: Vec<usize>,
    groups: Vec<usize>,
    child_age: Option<i32>,
    languages: Vec<usize>,
    has_availability: Option<bool>,
}

fn filter() -> impl Strategy<Value = Filter> {
    let some = |n: usize| prop::collection::vec(0..n, 0..3);
    let text = prop::option::weighted(
        0.3,
        prop_oneof![
            (0..WORDS.len()).prop_map(|w| WORDS[w].to_lowercase()),
            Just("центр".to_owned()),
            Just("ЦЕНТР".to_owned()),
            Just("борбор".to_owned()),
        ],
    );
    (
        text,
        prop::option::weighted(0.4, 0..1_000usize),
        some(KINDS.len()),
        some(STATUSES.len()),
        some(GROUPS.len()),
        prop::option::weighted(0.4, 0..=18i32),
        some(LANGUAGES.len()),
        prop::option::of(any::<bool>()),
    )
        .prop_map(
            |(text, area, kinds, statuses, groups, child_age, languages, has_availability)| Filter {
                text,
                area,
                kinds,
                statuses,
                groups,
                child_age,
                languages,
                has_availability,
            },
        )
}

/// The registry as read back from the database, for the in-memory reading.
struct Snapshot {
    areas: Vec<admin_area::Model>,
    centres: Vec<centre::Model>,
    languages: HashMap<Uuid, HashSet<String>>,
    /// Live placements: (centre, service).
    placements: Vec<(Uuid, Uuid, Uuid)>,
    available: HashMap<Uuid, i32>,
    groups: HashMap<Uuid, HashSet<TargetGroup>>,
}

async fn snapshot(db: &sea_orm::DatabaseConnection) -> Snapshot {
    let areas = admin_area::Entity::find().all(db).await.expect("areas");
    let centres = centre::Entity::find().all(db).await.expect("centres");
    let mut languages: HashMap<Uuid, HashSet<String>> = HashMap::new();
    for l in centre_language::Entity::find().all(db).await.expect("languages") {
        languages.entry(l.centre_id).or_default().insert(l.language);
    }
    let placements = service_at_centre::Entity::find()
        .all(db)
        .await
        .expect("placements")
        .into_iter()
        .filter(|p| p.archived_at.is_none())
        .map(|p| (p.id, p.centre_id, p.service_id))
        .collect();
    let available = capacity::Entity::find()
        .all(db)
        .await
        .expect("capacities")
        .into_iter()
        .map(|c| (c.service_at_centre_id, c.available))
        .collect();
    let mut groups: HashMap<Uuid, HashSet<TargetGroup>> = HashMap::new();
    for g in service_target_group::Entity::find().all(db).await.expect("groups") {
        groups.entry(g.service_id).or_default().insert(g.target_group);
    }
    Snapshot {
        areas,
        centres,
        languages,
        placements,
        available,
        groups,
    }
}

impl Snapshot {
    /// The ids of the centres `filter` selects, read in memory.
    fn expected(&self, filter: &Filter) -> HashSet<Uuid> {
        let area_path = filter.area.map(|i| self.areas[i % self.areas.len()].path.clone());
        let path_of: HashMap<Uuid, &str> = self.areas.iter().map(|a| (a.id, a.path.as_str())).collect();
        let placements_of = |id: Uuid| self.placements.iter().filter(move |p| p.1 == id);
        self.centres
            .iter()
            .filter(|c| c.archived_at.is_none())
            .filter(|c| {
                filter
                    .text
                    .as_ref()
                    .is_none_or(|t| c.search_text.contains(&search::fold(t)))
            })
            .filter(|c| {
                area_path
                    .as_ref()
                    .is_none_or(|p| path_of[&c.admin_area_id].starts_with(p.as_str()))
            })
            .filter(|c| filter.kinds.is_empty() || filter.kinds.iter().any(|k| KINDS[*k] == c.kind))
            .filter(|c| filter.statuses.is_empty() || filter.statuses.iter().any(|s| STATUSES[*s] == c.status))
            .filter(|c| {
                filter.groups.is_empty()
                    || placements_of(c.id).any(|p| {
                        self.groups
                            .get(&p.2)
                            .is_some_and(|g| filter.groups.iter().any(|i| g.contains(&GROUPS[*i])))
                    })
            })
            .filter(|c| {
                filter
                    .child_age
                    .is_none_or(|a| c.age_min.is_none_or(|m| m <= a) && c.age_max.is_none_or(|m| m >= a))
            })
            .filter(|c| {
                filter.languages.is_empty()
                    || self
                        .languages
                        .get(&c.id)
                        .is_some_and(|l| filter.languages.iter().any(|i| l.contains(LANGUAGES[*i])))
            })
            .filter(|c| {
                filter.has_availability.is_none_or(|wanted| {
                    let free = placements_of(c.id).any(|p| self.available.get(&p.0).is_some_and(|a| *a > 0));
                    free == wanted
                })
            })
            .map(|c| c.id)
            .collect()
    }

    fn as_graphql(&self, filter: &Filter) -> Value {
        let mut f = json!({});
        if let Some(text) = &filter.text {
            f["text"] = json!(text);
        }
        if let Some(area) = filter.area {
            f["areaCode"] = json!(self.areas[area % self.areas.len()].code);
        }
        let names = |items: Vec<Value>| Value::Array(items);
        if !filter.kinds.is_empty() {
            f["kinds"] = names(filter.kinds.iter().map(|k| json!(KINDS[*k])).collect());
        }
        if !filter.statuses.is_empty() {
            f["statuses"] = names(filter.statuses.iter().map(|s| json!(STATUSES[*s])).collect());
        }
        if !filter.groups.is_empty() {
            f["targetGroups"] = names(filter.groups.iter().map(|g| json!(GROUPS[*g])).collect());
        }
        if let Some(age) = filter.child_age {
            f["childAge"] = json!(age);
        }
        if !filter.languages.is_empty() {
            f["languages"] = names(filter.languages.iter().map(|l| json!(LANGUAGES[*l])).collect());
        }
        if let Some(free) = filter.has_availability {
            f["hasAvailability"] = json!(free);
        }
        f
    }
}

/// Adds the random centres to the demo registry.
async fn add_random_centres(db: &sea_orm::DatabaseConnection, random: &[RandomCentre]) {
    let areas = admin_area::Entity::find().all(db).await.expect("areas");
    let organizations = organization::Entity::find().all(db).await.expect("organizations");
    let services = service::Entity::find().all(db).await.expect("services");
    let now = now();
    let mut batch = Batch::default();
    for r in random {
        let id = Uuid::new_v4();
        let name = format!("{} {}", WORDS[r.word], &id.to_string()[..4]);
        batch.centres.push(centre::Model {
            id,
            organization_id: organizations[r.organization % organizations.len()].id,
            kind: KINDS[r.kind],
            name: LocalizedText {
                ky: Some(format!("{name} борбору")),
                ru: Some(format!("Центр {name}")),
                en: None,
            },
            description: None,
            admin_area_id: areas[r.area % areas.len()].id,
            address: None,
            latitude: None,
            longitude: None,
            public_latitude: None,
            public_longitude: None,
            address_confidential: false,
            phones: Phones::default(),
            email: None,
            opening_hours: None,
            accessibility: None,
            age_min: r.ages.0,
            age_max: r.ages.1,
            genders: GendersServed::Any,
            status: STATUSES[r.status],
            search_text: String::new(),
            name_sort_ky: String::new(),
            name_sort_ru: String::new(),
            is_demo: true,
            archived_at: r.archived.then_some(now),
            version: 1,
            created_at: now,
            updated_at: now,
        });
        let languages: HashSet<usize> = r.languages.iter().copied().collect();
        batch
            .centre_languages
            .extend(languages.into_iter().map(|l| centre_language::Model {
                centre_id: id,
                language: LANGUAGES[l].to_owned(),
            }));
        let mut used = HashSet::new();
        for (service_index, places, archived) in &r.services {
            let service = &services[service_index % services.len()];
            if !used.insert(service.id) {
                continue;
            }
            let placement = Uuid::new_v4();
            batch.placements.push(service_at_centre::Model {
                id: placement,
                service_id: service.id,
                centre_id: id,
                notes: None,
                archived_at: archived.then_some(now),
                version: 1,
                created_at: now,
                updated_at: now,
            });
            if let Some((maximum, available)) = places {
                batch.capacities.push(capacity::Model {
                    id: Uuid::new_v4(),
                    service_at_centre_id: placement,
                    unit: CapacityUnit::Place,
                    maximum: *maximum,
                    available: *available,
                    waitlist: 0,
                    updated: now,
                    updated_by: None,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                });
            }
        }
    }
    batch.insert(db).await.expect("random centres insert");
}

fn filters_match_memory(backend: Backend) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let Some(app) = runtime.block_on(TestApp::spawn(backend)) else {
        return;
    };
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 120,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let random = prop::collection::vec(random_centre(), 30..50)
        .new_tree(&mut runner)
        .expect("random data")
        .current();
    runtime.block_on(add_random_centres(&app.db, &random));
    let registry = runtime.block_on(snapshot(&app.db));
    let result = runner.run(&filter(), |filter| {
        let query = "query($f: CentreFilter) { centres(filter: $f, first: 100) { totalCount nodes { id } } }";
        let data = runtime.block_on(app.data(query, json!({ "f": registry.as_graphql(&filter) })));
        let found: HashSet<String> = data["centres"]["nodes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|n| n["id"].as_str().map(str::to_owned))
            .collect();
        let expected: HashSet<String> = registry
            .expected(&filter)
            .into_iter()
            .map(|id| encode(NodeKind::Centre, id).to_string())
            .collect();
        prop_assert!(expected.len() <= 100, "more than a page");
        prop_assert_eq!(data["centres"]["totalCount"].as_u64(), Some(expected.len() as u64));
        prop_assert_eq!(found, expected);
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

#[test]
fn sqlite_filters_select_what_memory_selects() {
    filters_match_memory(Backend::Sqlite);
}

#[test]
fn postgres_filters_select_what_memory_selects() {
    filters_match_memory(Backend::Postgres);
}

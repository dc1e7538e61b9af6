//! A fresh corner of the registry, made through the API by an admin: an
//! organization, a centre, a service offered there with places counted,
//! and a second service not yet offered there.

use serde_json::{Value, json};

use crate::helpers::TestApp;

pub struct Fixture {
    pub organization: String,
    pub centre: String,
    pub service: String,
    /// A service of the organization not offered at the centre.
    pub other_service: String,
    pub capacity: String,
}

fn id(data: &Value, path: &[&str]) -> String {
    let mut value = data;
    for key in path {
        value = &value[*key];
    }
    value["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id at {path:?} in {data:#}"))
        .to_owned()
}

pub const CREATE_ORGANIZATION: &str = r#"mutation($name: String!) {
  createOrganization(input: { kind: NGO, name: { ky: $name, ru: $name }, phones: [{ number: "+996 312 000 001", kind: INTAKE }] }) {
    organization { id version } } }"#;

pub const CREATE_CENTRE: &str = r#"mutation($org: ID!, $name: String!) {
  createCentre(input: { organizationId: $org, kind: CRISIS, name: { ky: $name, ru: $name }, areaCode: "KG-GB-LEN",
    latitude: 42.85, longitude: 74.58, languages: ["ky", "ru"], ageMin: 6, ageMax: 17 }) {
    centre { id version } } }"#;

pub const CREATE_SERVICE: &str = r#"mutation($org: ID!, $name: String!) {
  createService(input: { organizationId: $org, category: SHELTER, name: { ky: $name, ru: $name },
    description: { ky: "Баш калкалоочу жай", ru: "Убежище" }, targetGroups: [VIOLENCE_SURVIVOR], ageMin: 6, ageMax: 17 }) {
    service { id version } } }"#;

pub const ADD_SERVICE_AT_CENTRE: &str = r#"mutation($centre: ID!, $service: ID!) {
  addServiceAtCentre(input: { centreId: $centre, serviceId: $service }) { centre { id } service { id } } }"#;

pub const CREATE_CAPACITY: &str = r#"mutation($centre: ID!, $service: ID!) {
  createCapacity(input: { centreId: $centre, serviceId: $service, unit: BED, maximum: 10, available: 3 }) {
    capacity { id version available } } }"#;

/// Archives the service `id` at the version it has now.
pub async fn archive_service(app: &TestApp, admin: &str, id: &str) {
    let service = app
        .data_as(
            admin,
            "query($id: ID!) { node(id: $id) { ... on Service { version } } }",
            json!({ "id": id }),
        )
        .await;
    app.data_as(
        admin,
        "mutation($id: ID!, $v: Int!) { archiveService(input: { id: $id, expectedVersion: $v }) { service { id } } }",
        json!({ "id": id, "v": service["node"]["version"] }),
    )
    .await;
}

impl Fixture {
    /// Makes the records, named after `name` (unique per test).
    pub async fn create(app: &TestApp, admin: &str, name: &str) -> Self {
        let org = app
            .data_as(admin, CREATE_ORGANIZATION, json!({ "name": format!("{name} org") }))
            .await;
        let organization = id(&org, &["createOrganization", "organization"]);
        let centre = app
            .data_as(
                admin,
                CREATE_CENTRE,
                json!({ "org": organization, "name": format!("{name} centre") }),
            )
            .await;
        let centre = id(&centre, &["createCentre", "centre"]);
        let mut services = Vec::new();
        for which in ["service", "other service"] {
            let service = app
                .data_as(
                    admin,
                    CREATE_SERVICE,
                    json!({ "org": organization, "name": format!("{name} {which}") }),
                )
                .await;
            services.push(id(&service, &["createService", "service"]));
        }
        app.data_as(
            admin,
            ADD_SERVICE_AT_CENTRE,
            json!({ "centre": centre, "service": services[0] }),
        )
        .await;
        let capacity = app
            .data_as(
                admin,
                CREATE_CAPACITY,
                json!({ "centre": centre, "service": services[0] }),
            )
            .await;
        let capacity = id(&capacity, &["createCapacity", "capacity"]);
        Self {
            organization,
            centre,
            service: services[0].clone(),
            other_service: services[1].clone(),
            capacity,
        }
    }
}

//! `kamkor import hsds`: round trips, re-imports, data Kamkor did not
//! write, and input that must not half-import.

use serde_json::{Value, json};

use super::{Scratch, export_json, kamkor, kamkor_ok};
use crate::{both, both_pair};

/// A service as two exports of the same data must agree on it: less when
/// Kamkor last changed it (an import is a change).
fn comparable(mut services: Vec<Value>) -> Vec<Value> {
    for service in &mut services {
        if let Some(fields) = service.as_object_mut() {
            fields.remove("last_modified");
        }
    }
    services
}

/// Every CSV file of a folder, with the `last_modified` column emptied.
fn comparable_tables(folder: &std::path::Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(folder)
        .expect("folder")
        .map(|e| {
            let path = e.expect("entry").path();
            let name = path.file_name().expect("name").to_string_lossy().into_owned();
            let mut text = std::fs::read_to_string(&path).expect("text");
            if name == "services.csv" {
                text = blank_column(&text, "last_modified");
            }
            (name, text)
        })
        .collect();
    files.sort();
    files
}

fn blank_column(text: &str, column: &str) -> String {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("header").clone();
    let at = header.iter().position(|h| h == column).expect("column");
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).expect("write");
    for record in reader.records() {
        let record = record.expect("row");
        let cells: Vec<&str> = record
            .iter()
            .enumerate()
            .map(|(i, c)| if i == at { "" } else { c })
            .collect();
        writer.write_record(cells).expect("write");
    }
    String::from_utf8(writer.into_inner().expect("flush")).expect("utf-8")
}

both_pair!(
    a_json_export_imports_into_an_empty_registry_losslessly,
    |full, empty| async move {
        let scratch = Scratch::new();
        let first = export_json(&full.database_url, &scratch, "first.json");
        let report = kamkor_ok(&["import", "hsds", &scratch.str("first.json")], &empty.database_url);
        assert!(
            report.contains(
                "created: 41 location, 14 organization, 50 service, 117 service_at_location, 50 service_capacity"
            ),
            "{report}"
        );
        assert!(report.contains("skipped: 0"), "{report}");
        let second = export_json(&empty.database_url, &scratch, "second.json");
        assert_eq!(comparable(second), comparable(first));
    }
);

both_pair!(
    a_csv_export_imports_into_an_empty_registry_losslessly,
    |full, empty| async move {
        let scratch = Scratch::new();
        kamkor_ok(
            &["export", "hsds", "--format", "csv", "--out", &scratch.str("first")],
            &full.database_url,
        );
        let report = kamkor_ok(&["import", "hsds", &scratch.str("first")], &empty.database_url);
        assert!(report.contains("skipped: 0"), "{report}");
        kamkor_ok(
            &["export", "hsds", "--format", "csv", "--out", &scratch.str("second")],
            &empty.database_url,
        );
        let (first, second) = (
            comparable_tables(&scratch.path("first")),
            comparable_tables(&scratch.path("second")),
        );
        for ((name, a), (_, b)) in first.iter().zip(&second) {
            assert_eq!(a, b, "{name} differs after the round trip");
        }
        assert_eq!(first.len(), second.len());
    }
);

both!(a_reimport_updates_in_place_and_is_audited, |app| async move {
    let scratch = Scratch::new();
    let mut services = export_json(&app.database_url, &scratch, "all.json");
    let again = kamkor_ok(&["import", "hsds", &scratch.str("all.json")], &app.database_url);
    assert!(again.contains("created: none"), "{again}");
    assert!(again.contains("updated: none"), "{again}");
    assert!(
        again.contains(
            "unchanged: 41 location, 14 organization, 50 service, 117 service_at_location, 50 service_capacity"
        ),
        "{again}"
    );

    // One service renamed, one count newer than Kamkor's.
    let renamed = services[0]["id"].as_str().expect("id").to_owned();
    services[0]["name"] = json!("Новое название услуги");
    let counted = services
        .iter_mut()
        .find(|s| s["capacities"].is_array())
        .expect("a service with places");
    let capacity = &mut counted["capacities"][0];
    let capacity_id = capacity["id"].as_str().expect("id").to_owned();
    let maximum = capacity["maximum"].as_i64().expect("maximum");
    capacity["available"] = json!(maximum);
    capacity["updated"] = json!("2099-01-01T00:00:00Z");
    std::fs::write(
        scratch.path("changed.json"),
        serde_json::to_vec(&services).expect("json"),
    )
    .expect("write");

    let dry = kamkor_ok(
        &["import", "hsds", "--dry-run", &scratch.str("changed.json")],
        &app.database_url,
    );
    assert!(dry.contains("dry run"), "{dry}");
    assert!(dry.contains("updated: 1 service, 1 service_capacity"), "{dry}");
    let report = kamkor_ok(&["import", "hsds", &scratch.str("changed.json")], &app.database_url);
    assert!(report.contains("updated: 1 service, 1 service_capacity"), "{report}");
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let id = uuid::Uuid::parse_str(&renamed).expect("uuid");
    let stored = entity::service::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("read")
        .expect("service");
    assert_eq!(stored.name.ru.as_deref(), Some("Новое название услуги"));
    assert!(stored.name.ky.is_some(), "the Kyrgyz name stays");
    assert_eq!(stored.version, 2, "one edit, at the next version");
    let audit = entity::audit_entry::Entity::find()
        .filter(entity::audit_entry::Column::EntityId.eq(id))
        .all(&app.db)
        .await
        .expect("audit");
    let edit = audit
        .iter()
        .find(|e| e.action == entity::enums::AuditAction::Update)
        .expect("the import's edit is audited");
    assert_eq!(edit.actor_sub, "hsds-import:changed.json");
    assert_eq!(edit.actor_role, "admin");
    assert!(edit.changes.0.iter().any(|c| c.field == "name"), "{:?}", edit.changes);
    let capacity = entity::capacity::Entity::find_by_id(uuid::Uuid::parse_str(&capacity_id).expect("uuid"))
        .one(&app.db)
        .await
        .expect("read")
        .expect("capacity");
    assert_eq!(i64::from(capacity.available), maximum);
    assert_eq!(
        capacity.updated.to_rfc3339(),
        "2099-01-01T00:00:00+00:00",
        "counted when the source says"
    );

    // An older count than Kamkor's is refused, not written over it.
    capacity_in(&mut services, &capacity_id)["updated"] = json!("2001-01-01T00:00:00Z");
    capacity_in(&mut services, &capacity_id)["available"] = json!(0);
    std::fs::write(scratch.path("old.json"), serde_json::to_vec(&services).expect("json")).expect("write");
    let report = kamkor_ok(&["import", "hsds", &scratch.str("old.json")], &app.database_url);
    assert!(report.contains("is newer than the import's"), "{report}");

    // A file that says nothing of a shelter's confidentiality (or says it
    // is public) does not make it public, nor erase where it is.
    let mut shelter = None;
    for service in &mut services {
        for link in service["service_at_locations"].as_array_mut().into_iter().flatten() {
            let location = &mut link["location"];
            let attributes = location["attributes"].as_array_mut().expect("attributes");
            let before = attributes.len();
            attributes.retain(|a| a["taxonomy_term"]["code"] != "confidential_address");
            if attributes.len() < before {
                location["location_type"] = json!("physical");
                shelter = location["id"].as_str().map(str::to_owned);
            }
        }
    }
    let shelter = uuid::Uuid::parse_str(&shelter.expect("the demo data has shelters")).expect("uuid");
    std::fs::write(
        scratch.path("public.json"),
        serde_json::to_vec(&services).expect("json"),
    )
    .expect("write");
    kamkor_ok(&["import", "hsds", &scratch.str("public.json")], &app.database_url);
    let stored = entity::centre::Entity::find_by_id(shelter)
        .one(&app.db)
        .await
        .expect("read")
        .expect("centre");
    assert!(stored.address_confidential, "an import made a shelter's address public");
    assert!(
        stored.address.is_some() && stored.latitude.is_some(),
        "an import erased where a shelter is"
    );
});

fn capacity_in<'a>(services: &'a mut [Value], id: &str) -> &'a mut Value {
    services
        .iter_mut()
        .flat_map(|s| s["capacities"].as_array_mut().into_iter().flatten())
        .find(|c| c["id"] == id)
        .expect("the capacity")
}

/// Ids of the Kamkor taxonomy, as a partner looks them up.
fn term(taxonomy: &str, code: &str) -> String {
    let namespace = uuid::Uuid::from_u128(0x6b61_6d6b_6f72_4a8e_9c1d_48d5_0f3a_2e17);
    uuid::Uuid::new_v5(&namespace, format!("term/{taxonomy}/{code}").as_bytes()).to_string()
}

/// A directory another system wrote: its own UUIDs, fields Kamkor has no
/// home for, a taxonomy Kamkor does not know, a Kyrgyz-less text, a
/// category given by code rather than by id, and broken records.
fn foreign_directory() -> Value {
    let organization = json!({
        "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e01",
        "name": "Общественное объединение «Надежда»",
        "description": "НКО, помогающее семьям",
        "website": "https://nadezhda.example.kg",
        "year_incorporated": 2004,
        "attributes": [
            { "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e02", "taxonomy_term_id": term("kamkor-organization-kind", "ngo"),
              "link_id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e01", "link_entity": "organization" }
        ]
    });
    let location = json!({
        "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e10",
        "location_type": "physical",
        "organization_id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e01",
        "name": "Дневной центр «Надежда»",
        "latitude": 42.87, "longitude": 74.6,
        "transportation": "Маршрутка 110",
        "addresses": [{ "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e11", "address_1": "ул. Токтогула, 1", "city": "Бишкек",
                        "state_province": "Бишкек", "postal_code": "720000", "country": "KG", "address_type": "physical" }],
        "phones": [{ "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e12", "number": "+996 312 000 222", "type": "voice" }],
        "schedules": [{ "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e13", "byday": "MO,TU,WE,TH,FR", "opens_at": "09:00", "closes_at": "18:00" }],
        "languages": [{ "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e14", "code": "ru", "name": "Russian" }],
        "attributes": [
            { "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e15", "taxonomy_term_id": term("kamkor-centre-kind", "day_care"),
              "link_id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e10", "link_entity": "location" }
        ]
    });
    let good = json!({
        "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e20",
        "organization_id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e01",
        "name": "Дневной уход за детьми с инвалидностью",
        "description": "Занятия и уход в течение дня",
        "status": "active",
        "url": "https://nadezhda.example.kg/day",
        "wait_time": "2 недели",
        "minimum_age": 3, "maximum_age": 14,
        "organization": organization,
        "attributes": [
            { "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e21", "link_id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e20", "link_entity": "service",
              "taxonomy_term_id": "0b7d0a9e-1111-4c4c-9d9d-000000000001",
              "taxonomy_term": { "id": "0b7d0a9e-1111-4c4c-9d9d-000000000001", "code": "day_care", "name": "Day care",
                                 "description": "Day care", "taxonomy": "kamkor-service-category" } },
            { "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e22", "link_id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e20", "link_entity": "service",
              "taxonomy_term_id": "0b7d0a9e-2222-4c4c-9d9d-000000000002",
              "taxonomy_term": { "id": "0b7d0a9e-2222-4c4c-9d9d-000000000002", "code": "BD-1800", "name": "Day Care",
                                 "description": "211 LA taxonomy", "taxonomy": "AIRS" } },
            { "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e23", "link_id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e20", "link_entity": "service",
              "taxonomy_term_id": term("kamkor-target-group", "child_with_disability") }
        ],
        "service_areas": [{ "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e24", "name": "Бишкек" },
                          { "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e25", "name": "Атлантида" }],
        "service_at_locations": [{ "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e26", "service_id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e20",
                                   "location_id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e10", "location": location }],
        "capacities": [
            { "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e27", "service_id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e20",
              "unit": { "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e28", "name": "place" },
              "available": 4, "maximum": 12, "updated": "2026-12-01T08:00:00Z" },
            { "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e29", "service_id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e20",
              "unit": { "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e30", "name": "chairs" },
              "available": 1, "maximum": 2, "updated": "2026-12-01T08:00:00Z" }
        ]
    });
    let broken_id = json!({ "id": "svc-42", "name": "Без идентификатора", "status": "active" });
    let no_category = json!({
        "id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e40",
        "organization_id": "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4e01",
        "name": "Консультации", "description": "Без категории Kamkor", "status": "active"
    });
    // A page of the HSDS API, as another directory serves it.
    json!({ "total_items": 3, "total_pages": 1, "page_number": 1, "size": 3, "first_page": true, "last_page": true,
            "empty": false, "contents": [good, broken_id, no_category] })
}

both!(
    a_directory_kamkor_did_not_write_imports_with_a_true_report,
    |app| async move {
        let scratch = Scratch::new();
        std::fs::write(
            scratch.path("page.json"),
            serde_json::to_vec(&foreign_directory()).expect("json"),
        )
        .expect("write");
        let report = kamkor_ok(&["import", "hsds", &scratch.str("page.json")], &app.database_url);
        for expected in [
            "3 services read",
            "created: 1 location, 1 organization, 1 service, 1 service_at_location, 1 service_capacity",
            "skipped: 3",
            "service at page.json #1 contents[1]: id \"svc-42\" is not a UUID",
            "service at page.json #1 contents[2]: has no kamkor-service-category attribute",
            "service_capacity at page.json #1 contents[0] capacities[1]: unit is none of Kamkor's units",
            "service.url: 1",
            "service.wait_time: 1",
            "location.transportation: 1",
            "organization.year_incorporated: 1",
            "AIRS / BD-1800: 1",
            "Атлантида: 1",
            "service.name: no Kyrgyz text, another stands in: 1",
        ] {
            assert!(report.contains(expected), "the report lacks {expected:?}:\n{report}");
        }
        // What it imported reads back through the API like any record.
        let data = app
        .data(
            r#"{ services(filter: { text: "Дневной уход за детьми" }, first: 20) { nodes { id name(lang: RU) category
                 targetGroups areas { code } centres(first: 5) { nodes { name(lang: RU) phones { number kind } openingHours(lang: RU) area { code } } } } } }"#,
            json!({}),
        )
        .await;
        let service = data["services"]["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .find(|s| s["name"] == "Дневной уход за детьми с инвалидностью")
            .unwrap_or_else(|| panic!("the imported service is listed: {data}"));
        assert_eq!(service["category"], "DAY_CARE");
        assert_eq!(service["targetGroups"], json!(["CHILD_WITH_DISABILITY"]));
        assert_eq!(service["areas"][0]["code"], "KG-GB");
        let centre = &service["centres"]["nodes"][0];
        assert_eq!(centre["phones"][0]["number"], "+996 312 000 222");
        assert_eq!(centre["openingHours"], "MO,TU,WE,TH,FR 09:00–18:00");
        assert_eq!(centre["area"]["code"], "KG-GB");
    }
);

both!(a_tabular_folder_from_a_spreadsheet_imports, |app| async move {
    let scratch = Scratch::new();
    let folder = scratch.path("sheets");
    std::fs::create_dir_all(&folder).expect("folder");
    // Excel's "CSV UTF-8" where the list separator is a semicolon: a
    // byte-order mark, `;` between cells, a decimal comma.
    let write = |name: &str, rows: &[&str]| {
        let mut text = String::from("\u{feff}");
        for row in rows {
            text.push_str(row);
            text.push_str("\r\n");
        }
        std::fs::write(folder.join(name), text).expect("write");
    };
    let org = "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4f01";
    let loc = "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4f10";
    let svc = "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4f20";
    let sal = "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4f26";
    write(
        "organizations.csv",
        &["id;name;description", &format!("{org};Районное управление;")],
    );
    write(
        "locations.csv",
        &[
            "id;location_type;organization_id;name;latitude;longitude",
            &format!("{loc};physical;{org};Отдел поддержки семьи;42,87;74,6"),
            // No service is offered here yet: its organization comes with
            // a service, after it in no particular order.
            &format!("7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4f12;physical;{org};Приёмная отдела;42,88;74,61"),
        ],
    );
    write(
        "addresses.csv",
        &[
            "id;location_id;address_1;city;state_province;postal_code;country;address_type",
            &format!("7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4f11;{loc};ул. Ленина, 5;Бишкек;Бишкек;720000;KG;physical"),
        ],
    );
    write(
        "services.csv",
        &[
            "id;organization_id;name;description;status;minimum_age",
            &format!("{svc};{org};Консультации для семей;Помощь семьям в трудной ситуации;active;0"),
            "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4f21;7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4f01;Сломанная строка;Описание;active;пять",
        ],
    );
    write(
        "service_at_location.csv",
        &["id;service_id;location_id", &format!("{sal};{svc};{loc}")],
    );
    let attribute = |id: &str, link: &str, entity: &str, term: String| format!("{id};{link};{term};{entity}");
    write(
        "attributes.csv",
        &[
            "id;link_id;taxonomy_term_id;link_entity",
            &attribute(
                "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4f30",
                org,
                "organization",
                term("kamkor-organization-kind", "state_body"),
            ),
            &attribute(
                "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4f31",
                loc,
                "location",
                term("kamkor-centre-kind", "family_support"),
            ),
            &attribute(
                "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4f32",
                svc,
                "service",
                term("kamkor-service-category", "family_support"),
            ),
            &attribute(
                "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4f33",
                "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4f12",
                "location",
                term("kamkor-centre-kind", "family_support"),
            ),
            &attribute(
                "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4f34",
                "7f0c1a52-3b0e-4d1b-9a55-0a1c2b3d4f12",
                "location",
                term("kamkor-area", "KG-GB"),
            ),
        ],
    );
    std::fs::write(folder.join("notes.csv"), "whatever\n").expect("write");
    let report = kamkor_ok(&["import", "hsds", &folder.display().to_string()], &app.database_url);
    for expected in [
        "2 services read",
        "created: 2 location, 1 organization, 1 service, 1 service_at_location",
        "cell at services.csv line 3: minimum_age \"пять\" is not a number",
        "files that are no HSDS table (not read): notes.csv",
        "no datapackage.json",
    ] {
        assert!(report.contains(expected), "the report lacks {expected:?}:\n{report}");
    }
    let data = app
        .data(
            r#"{ services(filter: { text: "Консультации для семей" }, first: 5) { nodes { name(lang: RU) centres(first: 5) { nodes { latitude } } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        data["services"]["nodes"][0]["centres"]["nodes"][0]["latitude"], 42.87,
        "{data}"
    );
});

both_pair!(a_large_import_commits_batch_by_batch, |full, empty| async move {
    let scratch = Scratch::new();
    let services = export_json(&full.database_url, &scratch, "all.json");
    let report = kamkor_ok(
        &["import", "hsds", "--batch-size", "20", &scratch.str("all.json")],
        &empty.database_url,
    );
    assert!(
        report.contains("written in 3 transactions, each committed whole"),
        "{report}"
    );
    // Broken after 30 services: the first batch of 20 stays written, and
    // the error says so.
    let mut text = String::from("[");
    for service in services.iter().take(30) {
        text.push_str(&serde_json::to_string(service).expect("json"));
        text.push(',');
    }
    text.push_str("{\"id\": ");
    std::fs::write(scratch.path("broken.json"), text).expect("write");
    let other = crate::helpers::TestApp::spawn_empty(crate::helpers::Backend::Sqlite)
        .await
        .expect("sqlite");
    let output = kamkor(
        &["import", "hsds", "--batch-size", "20", &scratch.str("broken.json")],
        &other.database_url,
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("stopped after 1 committed transactions"), "{stderr}");
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        entity::service::Entity::find().count(&other.db).await.expect("count"),
        20
    );
});

both_pair!(
    a_location_waits_for_an_organization_the_input_brings_later,
    |full, empty| async move {
        let scratch = Scratch::new();
        let mut services = export_json(&full.database_url, &scratch, "all.json");
        // The services of one organization last; a location of another
        // organization's first service handed to it: the location comes
        // before its organization does.
        let owner = services[services.len() - 1]["organization_id"].clone();
        services.sort_by_key(|s| s["organization_id"] == owner);
        let first = services
            .iter()
            .position(|s| s["service_at_locations"].is_array())
            .expect("a service offered somewhere");
        let moved = services[first]["service_at_locations"][0]["location_id"].clone();
        for service in &mut services {
            for link in service["service_at_locations"].as_array_mut().into_iter().flatten() {
                if link["location_id"] == moved {
                    link["location"]["organization_id"] = owner.clone();
                }
            }
        }
        std::fs::write(scratch.path("late.json"), serde_json::to_vec(&services).expect("json")).expect("write");
        let report = kamkor_ok(&["import", "hsds", &scratch.str("late.json")], &empty.database_url);
        assert!(report.contains("skipped: 0"), "{report}");
        use sea_orm::EntityTrait;
        let centre = uuid::Uuid::parse_str(moved.as_str().expect("id")).expect("uuid");
        let stored = entity::centre::Entity::find_by_id(centre)
            .one(&empty.db)
            .await
            .expect("read")
            .expect("centre");
        assert_eq!(stored.organization_id.to_string(), owner.as_str().expect("id"));
        // Again, with the late organization renamed: its record is written
        // although its location met it first in the registry.
        for service in &mut services {
            if service["organization_id"] == owner {
                service["organization"]["name"] = json!("Переименованная организация");
            }
        }
        std::fs::write(
            scratch.path("renamed.json"),
            serde_json::to_vec(&services).expect("json"),
        )
        .expect("write");
        let report = kamkor_ok(&["import", "hsds", &scratch.str("renamed.json")], &empty.database_url);
        assert!(report.contains("updated: 1 organization"), "{report}");
        let id = uuid::Uuid::parse_str(owner.as_str().expect("id")).expect("uuid");
        let renamed = entity::organization::Entity::find_by_id(id)
            .one(&empty.db)
            .await
            .expect("read")
            .expect("organization");
        assert_eq!(renamed.name.ru.as_deref(), Some("Переименованная организация"));
    }
);

both!(broken_json_imports_nothing, |app| async move {
    let scratch = Scratch::new();
    let services = export_json(&app.database_url, &scratch, "all.json");
    let empty = crate::helpers::TestApp::spawn_empty(crate::helpers::Backend::Sqlite)
        .await
        .expect("sqlite");
    // A valid service, then the file breaks off.
    let text = format!("[{},\n{{\"id\": ", serde_json::to_string(&services[0]).expect("json"));
    std::fs::write(scratch.path("broken.json"), text).expect("write");
    let output = kamkor(&["import", "hsds", &scratch.str("broken.json")], &empty.database_url);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("nothing was imported") && stderr.contains("is not valid JSON"),
        "{stderr}"
    );
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        entity::service::Entity::find().count(&empty.db).await.expect("count"),
        0
    );
    assert_eq!(
        entity::organization::Entity::find()
            .count(&empty.db)
            .await
            .expect("count"),
        0
    );
});

//! `kamkor export hsds`: every format validates against HSDS 3.1, and the
//! export is public-grade.

use std::collections::HashMap;

use serde_json::Value;

use super::{Scratch, export_json, first_problem, kamkor_ok, object_validator, schema_folder};
use crate::both;

/// The per-object schemas: name, CSV file, columns with type and format,
/// required columns.
struct Table {
    name: String,
    path: String,
    columns: Vec<(String, String, Option<String>)>,
    required: Vec<String>,
    keys: Vec<String>,
}

fn tables() -> Vec<Table> {
    let mut tables = Vec::new();
    for entry in std::fs::read_dir(schema_folder()).expect("schemas") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") || path.ends_with("openapi.json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let schema: Value = serde_json::from_str(&text).expect("json");
        // In the file's order (a JSON object read here is sorted by key).
        let position = |name: &str| text.find(&format!("\"{name}\": {{")).unwrap_or(usize::MAX);
        let Some(file) = schema.get("path").and_then(Value::as_str) else {
            continue;
        };
        let strings = |key: &str| -> Vec<String> {
            schema[key]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let mut columns: Vec<(String, String, Option<String>)> = schema["properties"]
            .as_object()
            .expect("properties")
            .iter()
            .filter(|(_, p)| p.get("$ref").is_none() && !matches!(p["type"].as_str(), Some("array" | "object")))
            .map(|(name, p)| {
                let kind = p["type"].as_str().unwrap_or("string").to_owned();
                (
                    name.clone(),
                    kind,
                    p.get("format").and_then(Value::as_str).map(str::to_owned),
                )
            })
            .collect();
        columns.sort_by_key(|c| position(&c.0));
        let mut keys = strings("tabular_required");
        keys.push("id".to_owned());
        tables.push(Table {
            name: schema["name"].as_str().expect("name").to_owned(),
            path: file.to_owned(),
            columns,
            required: strings("required"),
            keys,
        });
    }
    tables
}

/// Every file of a tabular export against its object's schema: the file
/// is there, its header is the schema's columns, every row has its id and
/// the links the tabular form requires, and every cell has its column's
/// type and format. Returns the first problem, naming file, line and column.
fn tabular_problem(folder: &std::path::Path) -> Option<String> {
    for table in tables() {
        let path = folder.join(&table.path);
        let Ok(mut reader) = csv::Reader::from_path(&path) else {
            return Some(format!("{} is missing", table.path));
        };
        let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_owned).collect();
        let expected: Vec<String> = table.columns.iter().map(|c| c.0.clone()).collect();
        if header != expected {
            return Some(format!(
                "{}: columns {header:?}, the schema gives {expected:?}",
                table.path
            ));
        }
        for required in &table.required {
            if !header.contains(required) && table.columns.iter().any(|c| &c.0 == required) {
                return Some(format!("{}: required column {required} is missing", table.path));
            }
        }
        for (i, record) in reader.records().enumerate() {
            let record = record.expect("a CSV row");
            let line = i + 2;
            for ((name, kind, format), cell) in table.columns.iter().zip(record.iter()) {
                let at = format!("{} line {line} column {name}", table.path);
                if cell.is_empty() {
                    if table.keys.contains(name) {
                        return Some(format!("{at}: required by the tabular form, but empty"));
                    }
                    continue;
                }
                let typed = match (kind.as_str(), format.as_deref()) {
                    ("number", _) => cell.parse::<f64>().is_ok(),
                    (_, Some("uuid")) => uuid::Uuid::parse_str(cell).is_ok(),
                    (_, Some("date-time")) => chrono::DateTime::parse_from_rfc3339(cell).is_ok(),
                    (_, Some("uri")) => url::Url::parse(cell).is_ok(),
                    (_, Some("email")) => cell.contains('@'),
                    _ => true,
                };
                if !typed {
                    return Some(format!("{at}: {cell:?} is not a {kind} ({format:?})"));
                }
            }
        }
        let _ = table.name;
    }
    None
}

/// Validates each exported service, its nested objects included.
fn json_problem(services: &[Value]) -> Option<String> {
    let validator = object_validator("service");
    services.iter().find_map(|s| first_problem(&validator, "service", s))
}

both!(every_format_of_the_demo_export_is_valid_hsds, |app| async move {
    let scratch = Scratch::new();
    let services = export_json(&app.database_url, &scratch, "all.json");
    assert_eq!(services.len(), 50, "every live demo service");
    assert_eq!(json_problem(&services), None);
    // Every nested kind of object is there to be checked.
    let text = serde_json::to_string(&services).expect("json");
    for nested in [
        "service_at_locations",
        "capacities",
        "service_areas",
        "organization",
        "addresses",
        "phones",
    ] {
        assert!(text.contains(&format!("\"{nested}\"")), "{nested} is exported");
    }

    kamkor_ok(
        &[
            "export",
            "hsds",
            "--format",
            "ndjson",
            "--out",
            &scratch.str("all.ndjson"),
        ],
        &app.database_url,
    );
    let lines: Vec<Value> = std::fs::read_to_string(scratch.path("all.ndjson"))
        .expect("ndjson")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines, services, "ndjson holds the same services, a line each");

    kamkor_ok(
        &["export", "hsds", "--format", "csv", "--out", &scratch.str("csv")],
        &app.database_url,
    );
    assert_eq!(tabular_problem(&scratch.path("csv")), None);
    let datapackage: Value =
        serde_json::from_str(&std::fs::read_to_string(scratch.path("csv/datapackage.json")).expect("datapackage"))
            .expect("json");
    let resources = datapackage["resources"].as_array().expect("resources");
    assert!(resources.iter().any(|r| r["path"] == "service_capacity.csv"));
    assert!(resources.iter().any(|r| r["path"] == "units.csv"));
    for resource in resources {
        let file = resource["path"].as_str().expect("path");
        assert!(
            scratch.path("csv").join(file).is_file(),
            "{file} is described and written"
        );
    }
    let rows = |file: &str| {
        csv::Reader::from_path(scratch.path("csv").join(file))
            .expect(file)
            .records()
            .count()
    };
    assert_eq!(rows("services.csv"), 50);
    assert_eq!(
        rows("organizations.csv"),
        14,
        "every organization, with or without services"
    );
    assert_eq!(rows("locations.csv"), 41, "every centre");
    assert_eq!(rows("service_capacity.csv"), 50);
});

/// The validator finds what is wrong, and says where.
#[test]
fn an_invalid_service_is_named_with_its_field() {
    let validator = object_validator("service");
    let service = serde_json::json!({
        "id": "5b1ff3c8-0d9d-4e5e-9b73-1bd4b8fb0c55",
        "name": "Shelter",
        "status": "open",
    });
    let problem = first_problem(&validator, "service", &service).expect("invalid");
    assert!(problem.contains("/status"), "{problem}");
    let mut nested = serde_json::json!({
        "id": "5b1ff3c8-0d9d-4e5e-9b73-1bd4b8fb0c55",
        "name": "Shelter",
        "status": "active",
        "capacities": [{ "id": "not-a-uuid", "available": 1, "updated": "2026-12-01T00:00:00Z",
                          "unit": { "id": "5b1ff3c8-0d9d-4e5e-9b73-1bd4b8fb0c56", "name": "bed" } }],
    });
    let problem = first_problem(&validator, "service", &nested).expect("invalid");
    assert!(problem.contains("/capacities/0/id"), "{problem}");
    nested["capacities"][0]["id"] = "5b1ff3c8-0d9d-4e5e-9b73-1bd4b8fb0c57".into();
    assert_eq!(first_problem(&validator, "service", &nested), None);
}

both!(an_export_never_locates_a_confidential_centre, |app| async move {
    let scratch = Scratch::new();
    let services = export_json(&app.database_url, &scratch, "all.json");
    let mut seen = HashMap::new();
    for service in &services {
        for link in service["service_at_locations"].as_array().into_iter().flatten() {
            let location = &link["location"];
            seen.insert(location["id"].as_str().expect("id").to_owned(), location.clone());
        }
    }
    let confidential: Vec<&Value> = seen
        .values()
        .filter(|l| {
            l["attributes"]
                .as_array()
                .is_some_and(|a| a.iter().any(|a| a["taxonomy_term"]["code"] == "confidential_address"))
        })
        .collect();
    assert!(!confidential.is_empty(), "the demo data has shelters");
    for location in confidential {
        assert_eq!(location["location_type"], "virtual", "{location}");
        for field in ["addresses", "latitude", "longitude", "phones", "contacts"] {
            assert!(
                location.get(field).is_none(),
                "{field} of a shelter is exported: {location}"
            );
        }
    }
    // The tabular form is the same records.
    kamkor_ok(
        &["export", "hsds", "--format", "csv", "--out", &scratch.str("csv")],
        &app.database_url,
    );
    let stored: Vec<(String, String)> = entity::centre::Entity::find()
        .filter(entity::centre::Column::AddressConfidential.eq(true))
        .all(&app.db)
        .await
        .expect("centres")
        .into_iter()
        .filter_map(|c| c.address.and_then(|a| a.ru).map(|a| (c.id.to_string(), a)))
        .collect();
    assert!(!stored.is_empty());
    let everything: String = std::fs::read_dir(scratch.path("csv"))
        .expect("folder")
        .map(|e| std::fs::read_to_string(e.expect("file").path()).expect("text"))
        .collect();
    for (id, address) in stored {
        assert!(
            !everything.contains(&address),
            "the address of shelter {id} is in the CSV export"
        );
    }
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_registry_exports_the_csv_templates() {
    let empty = crate::helpers::TestApp::spawn_empty(crate::helpers::Backend::Sqlite)
        .await
        .expect("sqlite");
    let scratch = Scratch::new();
    kamkor_ok(
        &["export", "hsds", "--format", "csv", "--out", &scratch.str("templates")],
        &empty.database_url,
    );
    assert_eq!(tabular_problem(&scratch.path("templates")), None);
    for file in [
        "services.csv",
        "organizations.csv",
        "locations.csv",
        "service_at_location.csv",
        "service_capacity.csv",
    ] {
        let mut reader = csv::Reader::from_path(scratch.path("templates").join(file)).expect(file);
        assert!(!reader.headers().expect("header").is_empty(), "{file} has its header");
        assert_eq!(reader.records().count(), 0, "{file} is empty");
    }
    let terms = csv::Reader::from_path(scratch.path("templates/taxonomy_terms.csv"))
        .expect("terms")
        .records()
        .count();
    assert!(
        terms > 40,
        "the Kamkor taxonomy comes with the templates, to fill them in"
    );
    let json = kamkor_ok(&["export", "hsds"], &empty.database_url);
    assert_eq!(json.trim(), "[]");
}

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

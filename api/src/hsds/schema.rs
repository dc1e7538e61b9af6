//! Open Referral's HSDS 3.1 object schemas, as Kamkor reads them: each
//! object's CSV file (`path`), its columns (`properties`, in the schema's
//! order), which are required, and which objects nest in it. The schemas
//! themselves are copied unchanged under `api/hsds-3.1/` (CC BY-SA 4.0).

use std::{collections::HashMap, sync::LazyLock};

use serde::Deserialize;
use serde_json::Value;

/// The schema files, by object name.
const FILES: [(&str, &str); 24] = [
    ("accessibility", include_str!("../../hsds-3.1/accessibility.json")),
    ("address", include_str!("../../hsds-3.1/address.json")),
    ("attribute", include_str!("../../hsds-3.1/attribute.json")),
    ("contact", include_str!("../../hsds-3.1/contact.json")),
    ("cost_option", include_str!("../../hsds-3.1/cost_option.json")),
    ("funding", include_str!("../../hsds-3.1/funding.json")),
    ("language", include_str!("../../hsds-3.1/language.json")),
    ("location", include_str!("../../hsds-3.1/location.json")),
    (
        "meta_table_description",
        include_str!("../../hsds-3.1/meta_table_description.json"),
    ),
    ("metadata", include_str!("../../hsds-3.1/metadata.json")),
    ("organization", include_str!("../../hsds-3.1/organization.json")),
    (
        "organization_identifier",
        include_str!("../../hsds-3.1/organization_identifier.json"),
    ),
    ("phone", include_str!("../../hsds-3.1/phone.json")),
    ("program", include_str!("../../hsds-3.1/program.json")),
    (
        "required_document",
        include_str!("../../hsds-3.1/required_document.json"),
    ),
    ("schedule", include_str!("../../hsds-3.1/schedule.json")),
    ("service", include_str!("../../hsds-3.1/service.json")),
    ("service_area", include_str!("../../hsds-3.1/service_area.json")),
    (
        "service_at_location",
        include_str!("../../hsds-3.1/service_at_location.json"),
    ),
    ("service_capacity", include_str!("../../hsds-3.1/service_capacity.json")),
    ("taxonomy", include_str!("../../hsds-3.1/taxonomy.json")),
    ("taxonomy_term", include_str!("../../hsds-3.1/taxonomy_term.json")),
    ("unit", include_str!("../../hsds-3.1/unit.json")),
    ("url", include_str!("../../hsds-3.1/url.json")),
];

/// The type of a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    String,
    Number,
    Boolean,
}

impl ColumnType {
    /// The type's name in a Frictionless Table Schema (datapackage.json).
    pub fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Number => "number",
            Self::Boolean => "boolean",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub kind: ColumnType,
    /// `uuid`, `uri`, `email`, `date-time`, … when the schema names one.
    pub format: Option<String>,
    pub description: String,
}

/// An object nested in another: a list (`phones`) or one (`organization`).
#[derive(Clone, Debug)]
pub struct Nested {
    pub property: String,
    pub object: String,
    pub many: bool,
}

/// One HSDS object and its table.
#[derive(Clone, Debug)]
pub struct Object {
    pub name: String,
    /// Its CSV file, e.g. `services.csv`.
    pub path: String,
    pub description: String,
    pub columns: Vec<Column>,
    pub nested: Vec<Nested>,
    /// Required in JSON.
    pub required: Vec<String>,
    /// Required in the tabular form besides (the links to the parent row).
    pub tabular_required: Vec<String>,
    /// The order of its resource in datapackage.json.
    pub order: u64,
}

impl Object {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// The properties of a schema, in the order the file gives them.
struct Ordered(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

#[derive(Deserialize)]
struct File {
    name: String,
    path: String,
    #[serde(default)]
    description: String,
    properties: Ordered,
    #[serde(default)]
    required: Vec<String>,
    #[serde(default)]
    tabular_required: Vec<String>,
    #[serde(default)]
    datapackage_metadata: Option<Value>,
}

/// The object a `$ref` such as `"phone.json"` names.
fn referenced(reference: &str) -> String {
    reference.trim_end_matches(".json").to_owned()
}

fn parse(text: &str) -> Object {
    let file: File = serde_json::from_str(text).expect("the HSDS schemas shipped with Kamkor parse");
    let mut columns = Vec::new();
    let mut nested = Vec::new();
    for (name, property) in file.properties.0 {
        let kind = property.get("type").and_then(Value::as_str);
        let reference = property
            .get("$ref")
            .or_else(|| property.pointer("/items/$ref"))
            .and_then(Value::as_str);
        match (kind, reference) {
            (_, Some(reference)) => nested.push(Nested {
                property: name,
                object: referenced(reference),
                many: kind == Some("array"),
            }),
            (Some("array" | "object"), None) => {}
            (kind, None) => columns.push(Column {
                name,
                kind: match kind {
                    Some("number" | "integer") => ColumnType::Number,
                    Some("boolean") => ColumnType::Boolean,
                    _ => ColumnType::String,
                },
                format: property.get("format").and_then(Value::as_str).map(str::to_owned),
                description: property
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            }),
        }
    }
    Object {
        order: file
            .datapackage_metadata
            .as_ref()
            .and_then(|m| m.get("order"))
            .and_then(Value::as_u64)
            .unwrap_or(u64::MAX),
        name: file.name,
        path: file.path,
        description: file.description,
        columns,
        nested,
        required: file.required,
        tabular_required: file.tabular_required,
    }
}

static OBJECTS: LazyLock<HashMap<String, Object>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|(name, text)| ((*name).to_owned(), parse(text)))
        .collect()
});

/// The object called `name` (`service`, `phone`, …).
pub fn object(name: &str) -> Option<&'static Object> {
    OBJECTS.get(name)
}

/// Every object, in datapackage order.
pub fn objects() -> Vec<&'static Object> {
    let mut all: Vec<&Object> = OBJECTS.values().collect();
    all.sort_by(|a, b| (a.order, &a.name).cmp(&(b.order, &b.name)));
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_reads_with_its_file_and_columns() {
        assert_eq!(objects().len(), FILES.len());
        let service = object("service").expect("service");
        assert_eq!(service.path, "services.csv");
        assert_eq!(service.columns[0].name, "id");
        assert_eq!(service.columns[1].name, "organization_id");
        assert!(service.nested.iter().any(|n| n.property == "organization" && !n.many));
        let capacity = object("service_capacity").expect("service_capacity");
        assert_eq!(capacity.path, "service_capacity.csv");
        assert_eq!(
            capacity.column("available").expect("available").kind,
            ColumnType::Number
        );
        assert_eq!(capacity.tabular_required, ["unit_id", "service_id"]);
    }
}

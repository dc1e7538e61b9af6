//! The HSDS tabular form: one CSV file per object (services.csv,
//! locations.csv, …) with the columns its schema gives, and a
//! `datapackage.json` that describes them (a Frictionless Data Package).
//!
//! Writing flattens nested HSDS objects into rows of their own tables;
//! each nested object already names its parent (`service_id`,
//! `location_id`, `link_id`). Reading does the reverse: rows are joined
//! back under their parents, so the import reads one kind of input, nested
//! JSON, whatever the form. Both are driven by the schemas (see `schema`),
//! not by a hand-kept list of columns.

use std::{
    collections::{HashMap, HashSet},
    fs::File,
    io::{BufWriter, Read},
    path::{Path, PathBuf},
};

use anyhow::Context;
use serde_json::{Map, Value, json};

use super::schema::{self, ColumnType, Object};

/// Objects that several others share, written once however often they
/// nest (a location under each of its services).
const SHARED: [&str; 5] = ["organization", "location", "unit", "taxonomy", "taxonomy_term"];

/// Writes HSDS objects as CSV files into a folder.
pub struct TabularWriter {
    folder: PathBuf,
    writers: HashMap<&'static str, csv::Writer<BufWriter<File>>>,
    /// Ids of the shared objects already written.
    written: HashMap<&'static str, HashSet<String>>,
}

impl TabularWriter {
    /// Creates the folder and one CSV file, with its header, per object.
    pub fn create(folder: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(folder).with_context(|| format!("cannot create {}", folder.display()))?;
        let mut writers = HashMap::new();
        for object in schema::objects() {
            let path = folder.join(&object.path);
            let file = File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
            let mut writer = csv::Writer::from_writer(BufWriter::new(file));
            writer.write_record(object.columns.iter().map(|c| c.name.as_str()))?;
            writers.insert(object.name.as_str(), writer);
        }
        Ok(Self {
            folder: folder.to_owned(),
            writers,
            written: HashMap::new(),
        })
    }

    /// Writes `value`, an HSDS `object`, and everything nested in it.
    pub fn write(&mut self, object: &str, value: &Value) -> anyhow::Result<()> {
        let Some(schema) = schema::object(object) else {
            anyhow::bail!("{object} is not an HSDS object")
        };
        let Some(fields) = value.as_object() else { return Ok(()) };
        if let Some(shared) = SHARED.iter().find(|s| **s == object) {
            let id = fields.get("id").map(cell).unwrap_or_default();
            if !self.written.entry(shared).or_default().insert(id) {
                return Ok(());
            }
        }
        let row: Vec<String> = schema
            .columns
            .iter()
            .map(|c| fields.get(&c.name).map(cell).unwrap_or_default())
            .collect();
        self.writers
            .get_mut(schema.name.as_str())
            .expect("every object has a writer")
            .write_record(&row)?;
        for nested in &schema.nested {
            match fields.get(&nested.property) {
                Some(Value::Array(items)) => {
                    for item in items {
                        self.write(&nested.object, item)?;
                    }
                }
                Some(item @ Value::Object(_)) => self.write(&nested.object, item)?,
                _ => {}
            }
        }
        Ok(())
    }

    /// Flushes every file and writes `datapackage.json`.
    pub fn finish(mut self) -> anyhow::Result<()> {
        for writer in self.writers.values_mut() {
            writer.flush()?;
        }
        let path = self.folder.join("datapackage.json");
        std::fs::write(&path, serde_json::to_vec_pretty(&datapackage())?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }
}

/// A value as a CSV cell: strings as they are, numbers in JSON's notation.
fn cell(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The Data Package that describes the CSV files.
pub fn datapackage() -> Value {
    let resources: Vec<Value> = schema::objects()
        .into_iter()
        .map(|object| {
            let fields: Vec<Value> = object
                .columns
                .iter()
                .map(|c| {
                    let mut field = json!({ "name": c.name, "type": c.kind.name(), "description": c.description });
                    if let Some(format) = &c.format {
                        field["format"] = json!(format);
                    }
                    if object.required.contains(&c.name) || object.tabular_required.contains(&c.name) {
                        field["constraints"] = json!({ "required": true });
                    }
                    field
                })
                .collect();
            json!({
                "name": object.name,
                "path": object.path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": object.description,
                "schema": { "fields": fields, "primaryKey": "id" },
            })
        })
        .collect();
    json!({
        "name": "kamkor-hsds",
        "title": "Kamkor: child-protection services in Kyrgyzstan (HSDS 3.1)",
        "profile": "tabular-data-package",
        "resources": resources,
    })
}

/// A row read from a CSV file, typed by its object's schema.
#[derive(Clone, Debug)]
pub struct Row {
    /// `services.csv line 7`.
    pub source: String,
    pub fields: Map<String, Value>,
}

/// A problem with one cell or row.
#[derive(Clone, Debug, PartialEq)]
pub struct CellProblem {
    pub source: String,
    pub message: String,
}

/// Every row of every CSV file of a folder.
pub struct Tables {
    rows: HashMap<String, Vec<Row>>,
    pub problems: Vec<CellProblem>,
    /// Files the folder holds that no HSDS object names.
    pub unknown_files: Vec<String>,
    pub has_datapackage: bool,
}

impl Tables {
    /// Reads the CSV files of `folder`: UTF-8, with or without a
    /// byte-order mark, separated by commas or (as Excel writes them in
    /// much of the world) semicolons.
    pub fn read(folder: &Path) -> anyhow::Result<Self> {
        let mut tables = Self {
            rows: HashMap::new(),
            problems: Vec::new(),
            unknown_files: Vec::new(),
            has_datapackage: folder.join("datapackage.json").is_file(),
        };
        let by_path: HashMap<&str, &Object> = schema::objects().into_iter().map(|o| (o.path.as_str(), o)).collect();
        let mut entries: Vec<_> = std::fs::read_dir(folder)
            .with_context(|| format!("cannot read {}", folder.display()))?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.to_lowercase().ends_with(".csv"))
            .collect();
        entries.sort();
        for name in entries {
            match by_path.get(name.to_lowercase().as_str()) {
                Some(object) => {
                    let rows = tables.read_file(&folder.join(&name), &name, object)?;
                    tables.rows.insert(object.name.clone(), rows);
                }
                None => tables.unknown_files.push(name),
            }
        }
        Ok(tables)
    }

    fn read_file(&mut self, path: &Path, name: &str, object: &Object) -> anyhow::Result<Vec<Row>> {
        let mut bytes = Vec::new();
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .with_context(|| format!("cannot read {}", path.display()))?;
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let header_line = text.split(|b| *b == b'\n').next().unwrap_or_default();
        let count = |sep: u8| header_line.iter().filter(|b| **b == sep).count();
        let delimiter = if count(b';') > count(b',') { b';' } else { b',' };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(text);
        let headers: Vec<String> = reader.headers()?.iter().map(|h| h.trim().to_owned()).collect();
        for header in &headers {
            if object.column(header).is_none() && !header.is_empty() {
                self.problems.push(CellProblem {
                    source: format!("{name} header"),
                    message: format!("column {header:?} is not an HSDS {} field; ignored", object.name),
                });
            }
        }
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let source = format!("{name} line {}", i + 2);
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    self.problems.push(CellProblem {
                        source,
                        message: format!("unreadable row: {e}"),
                    });
                    continue;
                }
            };
            let mut fields = Map::new();
            for (header, raw) in headers.iter().zip(record.iter()) {
                let raw = raw.trim();
                let Some(column) = object.column(header) else { continue };
                if raw.is_empty() {
                    continue;
                }
                match typed(column.kind, raw, delimiter) {
                    Some(value) => {
                        fields.insert(header.clone(), value);
                    }
                    None => self.problems.push(CellProblem {
                        source: source.clone(),
                        message: format!("{header} {raw:?} is not a {}", column.kind.name()),
                    }),
                }
            }
            if !fields.is_empty() {
                rows.push(Row { source, fields });
            }
        }
        Ok(rows)
    }

    /// The rows of one object's table.
    pub fn rows(&self, object: &str) -> &[Row] {
        self.rows.get(object).map(Vec::as_slice).unwrap_or_default()
    }

    /// Joins the rows back into nested objects: every service with what
    /// nests in it, then the organizations and locations no service
    /// refers to. Each object carries where it came from as `_source`.
    pub fn assemble(&self) -> Assembled {
        let index = Index::new(self);
        let services: Vec<Value> = self
            .rows("service")
            .iter()
            .map(|row| index.nest("service", row, 0))
            .collect();
        let used = |key: &str| -> HashSet<String> {
            self.rows(if key == "organization_id" {
                "service"
            } else {
                "service_at_location"
            })
            .iter()
            .filter_map(|r| r.fields.get(key).map(cell))
            .collect()
        };
        let (used_organizations, used_locations) = (used("organization_id"), used("location_id"));
        let unused = |object: &str, used: &HashSet<String>| -> Vec<Value> {
            self.rows(object)
                .iter()
                .filter(|r| !r.fields.get("id").is_some_and(|id| used.contains(&cell(id))))
                .map(|row| index.nest(object, row, 0))
                .collect()
        };
        Assembled {
            organizations: unused("organization", &used_organizations),
            locations: unused("location", &used_locations),
            services,
        }
    }
}

/// The nested objects of a tabular folder.
pub struct Assembled {
    pub services: Vec<Value>,
    /// Organizations no service refers to.
    pub organizations: Vec<Value>,
    /// Locations no service is offered at.
    pub locations: Vec<Value>,
}

/// A cell as its column's type; `None` when it is not one. In a file
/// separated by semicolons (where spreadsheets write a decimal comma) a
/// comma in a number is its decimal mark.
fn typed(kind: ColumnType, raw: &str, delimiter: u8) -> Option<Value> {
    match kind {
        ColumnType::String => Some(Value::String(raw.to_owned())),
        ColumnType::Number => {
            let normal = if delimiter == b';' {
                raw.replace(',', ".")
            } else {
                raw.to_owned()
            };
            if let Ok(n) = normal.parse::<i64>() {
                Some(json!(n))
            } else {
                normal.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| json!(f))
            }
        }
        ColumnType::Boolean => match raw.to_lowercase().as_str() {
            "true" | "yes" | "1" => Some(json!(true)),
            "false" | "no" | "0" => Some(json!(false)),
            _ => None,
        },
    }
}

/// Objects that nest only at the top: a service does not carry its
/// organization's other locations, nor a location its services.
const NOT_NESTED_LISTS: [&str; 4] = ["location", "service", "organization", "service_at_location"];

/// The rows of every table by id and by the parent they name.
struct Index<'t> {
    by_id: HashMap<(&'t str, String), &'t Row>,
    /// (object, parent key column, parent id) to rows.
    children: HashMap<(&'t str, &'static str, String), Vec<&'t Row>>,
}

impl<'t> Index<'t> {
    fn new(tables: &'t Tables) -> Self {
        let mut by_id = HashMap::new();
        let mut children: HashMap<(&str, &'static str, String), Vec<&Row>> = HashMap::new();
        for (object, rows) in &tables.rows {
            let Some(schema) = schema::object(object) else { continue };
            let keys: Vec<&'static str> = schema
                .columns
                .iter()
                .filter(|c| c.name.ends_with("_id") || c.name == "link_id")
                .map(|c| c.name.as_str())
                .collect();
            for row in rows {
                if let Some(id) = row.fields.get("id") {
                    by_id.insert((object.as_str(), cell(id)), row);
                }
                for key in &keys {
                    if let Some(parent) = row.fields.get(*key) {
                        children
                            .entry((object.as_str(), key, cell(parent)))
                            .or_default()
                            .push(row);
                    }
                }
            }
        }
        Self { by_id, children }
    }

    /// `row` of `object` with what nests in it.
    fn nest(&self, object: &str, row: &Row, depth: usize) -> Value {
        let mut fields = row.fields.clone();
        fields.insert("_source".into(), json!(row.source));
        let Some(schema) = schema::object(object) else {
            return Value::Object(fields);
        };
        let id = row.fields.get("id").map(cell).unwrap_or_default();
        if depth > 4 {
            return Value::Object(fields);
        }
        for nested in &schema.nested {
            if nested.many {
                if NOT_NESTED_LISTS.contains(&nested.object.as_str()) && object != "service" {
                    continue;
                }
                let key = if nested.object == "attribute" {
                    "link_id"
                } else {
                    parent_key(object)
                };
                let rows = self
                    .children
                    .get(&(nested.object.as_str(), key, id.clone()))
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                if !rows.is_empty() {
                    let items = rows.iter().map(|r| self.nest(&nested.object, r, depth + 1)).collect();
                    fields.insert(nested.property.clone(), Value::Array(items));
                }
            } else {
                let key = if nested.property == "taxonomy_detail" {
                    "taxonomy_id".to_owned()
                } else {
                    format!("{}_id", nested.property)
                };
                let target = row.fields.get(&key).map(cell);
                if let Some(found) = target.and_then(|t| self.by_id.get(&(nested.object.as_str(), t))) {
                    fields.insert(nested.property.clone(), self.nest(&nested.object, found, depth + 1));
                }
            }
        }
        Value::Object(fields)
    }
}

/// The column by which a child row names a parent of kind `object`.
fn parent_key(object: &str) -> &'static str {
    match object {
        "service" => "service_id",
        "location" => "location_id",
        "organization" => "organization_id",
        "service_at_location" => "service_at_location_id",
        "contact" => "contact_id",
        "phone" => "phone_id",
        _ => "",
    }
}

//! HSDS: the export and import commands and the `/hsds` API, checked
//! against Open Referral's own schemas (copied under `api/hsds-3.1/`).

mod api;
mod export;
mod import;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use serde_json::Value;

/// Where the HSDS schemas are.
fn schema_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("api/hsds-3.1")
}

/// The local file of a schema the schemas or the OpenAPI description name
/// by URL. `openapi.json` names compiled bundles that are derived from the
/// per-object schemas and not copied: the per-object schema of the same
/// object stands in (it validates the same fields, nested or not).
fn local_schema(uri: &str) -> PathBuf {
    let name = uri.rsplit('/').next().unwrap_or_default();
    let file = match name {
        "service_list.json" => "service.json",
        "service_at_location_list.json" => "service_at_location.json",
        "organization_list.json" => "compiled/organization_list.json",
        other => other,
    };
    schema_folder().join(file)
}

struct LocalSchemas;

impl jsonschema::Retrieve for LocalSchemas {
    fn retrieve(&self, uri: &jsonschema::Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let path = local_schema(uri.as_str());
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    }
}

const BASE: &str = "https://hsds.test/schema/";

/// A validator of `schema`, resolving references against the local schemas.
fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .with_base_uri(BASE)
        .with_retriever(LocalSchemas)
        .should_validate_formats(true)
        .build(schema)
        .expect("the schema builds")
}

/// A validator of one HSDS object (`service`, `organization`, …).
pub fn object_validator(object: &str) -> jsonschema::Validator {
    validator(&serde_json::json!({ "$ref": format!("{BASE}{object}.json") }))
}

/// The first problem of `value` as an HSDS `object`: which object, which
/// field, what is wrong.
pub fn first_problem(validator: &jsonschema::Validator, object: &str, value: &Value) -> Option<String> {
    validator.iter_errors(value).next().map(|e| {
        format!(
            "{object} {}: at {} {e} (schema {})",
            value.get("id").and_then(Value::as_str).unwrap_or("?"),
            e.instance_path(),
            e.schema_path()
        )
    })
}

/// Runs `kamkor ARGS` on `database_url`.
pub fn kamkor(args: &[&str], database_url: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kamkor"))
        .args(args)
        .env("KAMKOR_DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("kamkor runs")
}

/// Runs `kamkor ARGS` and returns its standard output; fails the test
/// with standard error when the command fails.
pub fn kamkor_ok(args: &[&str], database_url: &str) -> String {
    let output = kamkor(args, database_url);
    assert!(
        output.status.success(),
        "kamkor {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// A folder of its own for one test, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new() -> Self {
        let path = std::env::temp_dir().join(format!("kamkor-hsds-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).expect("scratch folder");
        Self(path)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn str(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Exports the registry at `database_url` as JSON and parses it.
pub fn export_json(database_url: &str, scratch: &Scratch, name: &str) -> Vec<Value> {
    kamkor_ok(&["export", "hsds", "--out", &scratch.str(name)], database_url);
    let text = std::fs::read_to_string(scratch.path(name)).expect("the export is written");
    serde_json::from_str(&text).expect("the export is a JSON array")
}

/// Runs a test body once per backend with two apps: one with the demo
/// data, one empty.
#[macro_export]
macro_rules! both_pair {
    ($name:ident, |$full:ident, $empty:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let backend = $crate::helpers::Backend::Sqlite;
                let $full = $crate::helpers::TestApp::spawn(backend).await.expect("sqlite");
                let $empty = $crate::helpers::TestApp::spawn_empty(backend)
                    .await
                    .expect("sqlite");
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let backend = $crate::helpers::Backend::Postgres;
                let Some($full) = $crate::helpers::TestApp::spawn(backend).await else {
                    return;
                };
                let $empty = $crate::helpers::TestApp::spawn_empty(backend)
                    .await
                    .expect("postgres");
                $body.await;
            }
        }
    };
}

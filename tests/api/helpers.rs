//! Test harness: starts the real application on port 0 against a fresh
//! database (an SQLite file, or its own PostgreSQL schema when
//! `TEST_DATABASE_URL` is set), loads the demo data, and talks HTTP to it.

use std::{
    io::Write,
    sync::{Arc, Mutex, MutexGuard, Once, PoisonError},
};

use api::{
    config::{DatabaseSettings, Settings},
    database, seed,
    startup::Application,
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a test body once per backend: `both!(name, |app| async move { ... })`,
/// or with changed settings: `both!(name, configure = |s| ..., |app| ...)`.
#[macro_export]
macro_rules! both {
    ($name:ident, configure = $configure:expr, |$app:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = $crate::helpers::TestApp::spawn_with($crate::helpers::Backend::Sqlite, $configure)
                    .await
                    .expect("sqlite");
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) =
                    $crate::helpers::TestApp::spawn_with($crate::helpers::Backend::Postgres, $configure).await
                else {
                    return;
                };
                $body.await;
            }
        }
    };
    ($name:ident, |$app:ident| $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite)
                    .await
                    .expect("sqlite");
                $body.await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($app) = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await else {
                    return;
                };
                $body.await;
            }
        }
    };
}

static SKIP_NOTICE: Once = Once::new();

fn warn_postgres_skipped() {
    SKIP_NOTICE.call_once(|| {
        // Written to the real stderr, past the test harness's capture, so the
        // skip is visible in every run.
        let _ = writeln!(
            std::io::stderr(),
            "\n*** PostgreSQL tests SKIPPED: TEST_DATABASE_URL is not set \
             (e.g. TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test) ***\n"
        );
    });
}

/// What a test database is and how to remove it.
pub enum TestDatabase {
    SqliteFile(std::path::PathBuf),
    PostgresSchema { admin_url: String, schema: String },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self {
            TestDatabase::SqliteFile(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            TestDatabase::PostgresSchema { admin_url, schema } => {
                let (url, schema) = (admin_url.clone(), schema.clone());
                // Drop runs outside any async context: use a runtime of our own.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                        return;
                    };
                    rt.block_on(async {
                        if let Ok(db) = Database::connect(&url).await {
                            let _ = db
                                .execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
                                .await;
                            let _ = db.close().await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// A new, empty database of its own for one test; removed when dropped.
/// `None` when the backend is not available.
pub async fn fresh_database(backend: Backend) -> Option<(DatabaseSettings, TestDatabase)> {
    let (url, database) = match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("kamkor-test-{}.db", uuid::Uuid::new_v4().simple()));
            (
                format!("sqlite://{}?mode=rwc", path.display()),
                TestDatabase::SqliteFile(path),
            )
        }
        Backend::Postgres => {
            let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
                warn_postgres_skipped();
                return None;
            };
            let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&admin_url)
                .await
                .expect("TEST_DATABASE_URL is reachable");
            admin
                .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
                .await
                .expect("create schema");
            admin.close().await.expect("close");
            let separator = if admin_url.contains('?') { '&' } else { '?' };
            let url = format!("{admin_url}{separator}options=-c%20search_path%3D{schema}");
            (url, TestDatabase::PostgresSchema { admin_url, schema })
        }
    };
    let mut settings = DatabaseSettings::new(url).expect("valid url");
    settings.max_connections = Some(5);
    Some((settings, database))
}

pub struct TestApp {
    pub address: String,
    /// The database's URL, for the `kamkor` commands a test runs on it.
    pub database_url: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    /// The SQL of each statement run since the last count.
    statements: Arc<Mutex<Vec<String>>>,
    _database: TestDatabase,
}

impl TestApp {
    /// A server with the demo data; `None` when the backend is not available.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        let app = Self::spawn_empty(backend).await?;
        seed::demo::load(&app.db, Default::default())
            .await
            .expect("demo data loads");
        Some(app)
    }

    /// A server on a migrated, empty database.
    pub async fn spawn_empty(backend: Backend) -> Option<Self> {
        Self::spawn_configured(backend, |_| {}).await
    }

    /// A server with the demo data and settings changed by `configure`.
    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Settings)) -> Option<Self> {
        let app = Self::spawn_configured(backend, configure).await?;
        seed::demo::load(&app.db, Default::default())
            .await
            .expect("demo data loads");
        Some(app)
    }

    /// A server on a migrated, empty database, with settings changed by `configure`.
    async fn spawn_configured(backend: Backend, configure: impl FnOnce(&mut Settings)) -> Option<Self> {
        let (database_settings, database) = fresh_database(backend).await?;
        let database_url = database_settings.url.clone();
        let mut settings = Settings::for_database(database_settings);
        configure(&mut settings);
        let mut db = database::connect(&settings.database).await.expect("connect");
        let statements = Arc::new(Mutex::new(Vec::new()));
        let recorded = statements.clone();
        db.set_metric_callback(move |info| {
            // The hold-expiry sweep reads the holds every second in the
            // background: it is not part of any request.
            if !info.statement.sql.contains(r#"FROM "hold""#)
                && let Ok(mut recorded) = recorded.lock()
            {
                recorded.push(info.statement.sql.clone());
            }
        });
        let app = Application::build_with_db(&settings, db.clone())
            .await
            .expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        app.spawn();
        Some(Self {
            address,
            database_url,
            client: reqwest::Client::new(),
            db,
            statements,
            _database: database,
        })
    }

    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.address)
    }

    /// Runs a GraphQL operation over POST and returns the whole response body.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        self.query_with(query, variables, &[]).await
    }

    /// As [`TestApp::query`], with extra request headers.
    pub async fn query_with(&self, query: &str, variables: Value, headers: &[(&str, &str)]) -> Value {
        let mut request = self
            .client
            .post(self.graphql_url())
            .json(&json!({ "query": query, "variables": variables }));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request is sent");
        response.json().await.expect("JSON response")
    }

    /// POSTs a raw body with the given headers; returns status, headers and body.
    pub async fn post_raw(
        &self,
        body: impl Into<reqwest::Body>,
        headers: &[(&str, &str)],
    ) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Value) {
        let mut request = self.client.post(self.graphql_url()).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request is sent");
        let (status, headers) = (response.status(), response.headers().clone());
        let text = response.text().await.expect("a body");
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Runs an operation that must succeed and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let body = self.query(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }

    /// The `extensions.code` of the first error of an operation that must fail.
    pub async fn error_code(&self, query: &str, variables: Value) -> String {
        let body = self.query(query, variables).await;
        body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error with a code, got {body:#}"))
            .to_owned()
    }

    /// Counts the SQL statements the server runs while `f` runs.
    pub async fn count_statements<F: std::future::Future<Output = Value>>(&self, f: F) -> (usize, Value) {
        let (statements, value) = self.statements_run(f).await;
        (statements.len(), value)
    }

    /// The SQL of each statement the server runs while `f` runs.
    pub async fn statements_run<F: std::future::Future<Output = Value>>(&self, f: F) -> (Vec<String>, Value) {
        self.recorded().clear();
        let value = f.await;
        (std::mem::take(&mut *self.recorded()), value)
    }

    fn recorded(&self) -> MutexGuard<'_, Vec<String>> {
        self.statements.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The text of `/metrics`.
    pub async fn metrics(&self) -> String {
        self.client
            .get(format!("{}/metrics", self.address))
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("text")
    }

    /// The global id of the centre whose Russian name contains `needle`.
    pub async fn centre_id(&self, needle: &str) -> String {
        let data = self
            .data(
                "query($t: String!) { centres(filter: { text: $t }, first: 1) { nodes { id } } }",
                json!({ "t": needle }),
            )
            .await;
        data["centres"]["nodes"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no centre matches {needle}"))
            .to_owned()
    }
}

/// The HS256 secret of the tests that sign tokens.
pub const SECRET: &str = "kamkor-test-secret-of-at-least-32-bytes";

/// Settings that accept tokens signed with [`SECRET`].
pub fn with_tokens(settings: &mut Settings) {
    settings.auth.secret = Some(SECRET.to_owned());
}

/// [`with_tokens`], for tests whose concurrent writers outnumber the test
/// pool's five connections: a writer may wait for a connection as long as a
/// loaded machine running the whole suite needs (the one-second default
/// exists to answer outages at once, which these tests do not exercise).
pub fn with_tokens_for_racers(settings: &mut Settings) {
    with_tokens(settings);
    settings.database.acquire_timeout = std::time::Duration::from_secs(30);
}

/// A token signed with [`SECRET`], valid for an hour.
pub fn token(role: &str, subject: &str, centres: &[&str]) -> String {
    let auth = api::config::AuthSettings {
        secret: Some(SECRET.to_owned()),
        ..Default::default()
    };
    let role = api::registry::access::Role::from_name(role).expect("a role");
    let centres: Vec<String> = centres.iter().map(|c| (*c).to_owned()).collect();
    api::http::auth::mint(&auth, role, subject, &centres, std::time::Duration::from_secs(3600)).expect("a token")
}

impl TestApp {
    /// Runs an operation with a bearer token; returns the whole body.
    pub async fn query_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let bearer = format!("Bearer {token}");
        self.query_with(query, variables, &[("authorization", bearer.as_str())])
            .await
    }

    /// Runs an operation with a bearer token that must succeed; returns `data`.
    pub async fn data_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let body = self.query_as(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
        body["data"].clone()
    }
}

/// The `nodes` of a connection at `path` (e.g. `["centres"]`).
pub fn nodes<'a>(data: &'a Value, field: &str) -> &'a Vec<Value> {
    data[field]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{field} has no nodes: {data:#}"))
}

/// The values of `key` in each node of a connection.
pub fn strings(data: &Value, field: &str, key: &str) -> Vec<String> {
    nodes(data, field)
        .iter()
        .map(|n| n[key].as_str().unwrap_or_default().to_owned())
        .collect()
}

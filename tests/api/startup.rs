//! Start-up: replicas that start together on one empty PostgreSQL database
//! migrate it and load the demo data exactly once; a restart on SQLite
//! finds its data and adds nothing.

use api::{config::Settings, startup::Application};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::helpers::{Backend, fresh_database};

async fn replicas_start_together(backend: Backend) {
    let Some((database, _guard)) = fresh_database(backend).await else {
        return;
    };
    let mut settings = Settings::for_database(database);
    settings.demo = true;
    if backend == Backend::Postgres {
        let (a, b, c) = tokio::join!(
            Application::build(&settings),
            Application::build(&settings),
            Application::build(&settings)
        );
        for app in [a, b, c] {
            app.expect("every replica starts");
        }
    } else {
        // One process per SQLite file: start, stop, start again.
        for _ in 0..2 {
            Application::build(&settings).await.expect("starts");
        }
    }
    let db = api::database::connect(&settings.database).await.expect("connect");
    let areas = entity::admin_area::Entity::find().count(&db).await.expect("count");
    let centres = entity::centre::Entity::find().count(&db).await.expect("count");
    assert!(areas >= 13, "{areas} areas");
    let expected = serde_json::from_str::<serde_json::Value>(include_str!("../../api/src/seed/demo.json"))
        .expect("demo.json")["centres"]
        .as_array()
        .map(Vec::len)
        .unwrap_or_default();
    assert_eq!(centres as usize, expected, "the demo data was loaded exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_restarts_keep_one_copy_of_the_demo_data() {
    replicas_start_together(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_replicas_start_together() {
    replicas_start_together(Backend::Postgres).await;
}

/// The pool holds the configured number of connections, else the engine's default.
async fn pool_size_is_configurable(backend: Backend) {
    let Some((mut database, _guard)) = fresh_database(backend).await else {
        return;
    };
    let max = |db: &sea_orm::DatabaseConnection| match backend {
        Backend::Sqlite => db.get_sqlite_connection_pool().options().get_max_connections(),
        Backend::Postgres => db.get_postgres_connection_pool().options().get_max_connections(),
    };
    database.max_connections = None;
    let db = api::database::connect(&database).await.expect("connect");
    let default = match backend {
        Backend::Sqlite => 8,
        Backend::Postgres => 16,
    };
    assert_eq!(max(&db), default);
    database.max_connections = Some(3);
    let db = api::database::connect(&database).await.expect("connect");
    assert_eq!(max(&db), 3);
}

/// A connection in use is handed out again without a round trip first:
/// only one idle for a while is checked (`database::connect`).
async fn busy_connections_are_not_pinged_on_checkout(backend: Backend) {
    let Some((database, _guard)) = fresh_database(backend).await else {
        return;
    };
    let db = api::database::connect(&database).await.expect("connect");
    let pings_every_checkout = match backend {
        Backend::Sqlite => db.get_sqlite_connection_pool().options().get_test_before_acquire(),
        Backend::Postgres => db.get_postgres_connection_pool().options().get_test_before_acquire(),
    };
    assert!(!pings_every_checkout);
}

#[tokio::test]
async fn sqlite_busy_connections_are_not_pinged_on_checkout() {
    busy_connections_are_not_pinged_on_checkout(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_busy_connections_are_not_pinged_on_checkout() {
    busy_connections_are_not_pinged_on_checkout(Backend::Postgres).await;
}

#[tokio::test]
async fn sqlite_pool_size_is_configurable() {
    pool_size_is_configurable(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_pool_size_is_configurable() {
    pool_size_is_configurable(Backend::Postgres).await;
}

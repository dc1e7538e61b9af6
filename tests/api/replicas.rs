//! Several `kamkor serve` processes on one PostgreSQL database, as in
//! production: a change made through one replica reaches the subscribers of
//! another, also after the listening connection was cut.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::json;

use crate::{
    helpers::{Backend, SECRET, TestDatabase, fresh_database, token},
    ws::WsClient,
};

/// A `kamkor serve` process, killed when dropped.
pub struct Replica {
    child: Child,
    pub port: u16,
}

impl Replica {
    /// Starts a replica on `database_url` (the first one migrates and loads
    /// the demo data) and waits until it is ready.
    pub fn start(database_url: &str, env: &[(&str, &str)]) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("address")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_kamkor"))
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("KAMKOR_DATABASE_URL", database_url)
            .env("KAMKOR_JWT_SECRET", SECRET)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("kamkor starts");
        let mut replica = Self { child, port };
        let ready = (0..300).any(|_| {
            std::thread::sleep(Duration::from_millis(100));
            let exited = replica.child.try_wait().ok().flatten();
            assert!(exited.is_none(), "replica exited: {exited:?}");
            probe::ready(port)
        });
        assert!(ready, "replica on port {port} never became ready");
        replica
    }

    pub fn graphql_url(&self) -> String {
        format!("http://127.0.0.1:{}/graphql", self.port)
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `/readyz` answers 200, checked with a bare HTTP/1.0 request (no runtime
/// needed).
mod probe {
    use std::io::{Read, Write};

    pub fn ready(port: u16) -> bool {
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
            return false;
        };
        if stream.write_all(b"GET /readyz HTTP/1.0\r\n\r\n").is_err() {
            return false;
        }
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200")
    }
}

/// Two replicas on a fresh PostgreSQL schema.
pub struct Cluster {
    pub a: Replica,
    pub b: Replica,
    /// The test's own connection to the schema.
    pub db: DatabaseConnection,
    /// The database URL the replicas use.
    pub url: String,
    _database: TestDatabase,
}

/// Starts a [`Cluster`]; `None` without `TEST_DATABASE_URL`.
pub async fn two_replicas() -> Option<Cluster> {
    let (settings, database) = fresh_database(Backend::Postgres).await?;
    let a = Replica::start(&settings.url, &[]);
    let b = Replica::start(&settings.url, &[]);
    let db = api::database::connect(&settings).await.expect("connect");
    Some(Cluster {
        a,
        b,
        db,
        url: settings.url,
        _database: database,
    })
}

/// Runs an operation as the holder of `token` on the replica at `url`;
/// returns `data`, which must come without errors.
pub async fn data_as(url: &str, token: &str, query: &str, variables: serde_json::Value) -> serde_json::Value {
    let body: serde_json::Value = ::reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert!(body.get("errors").is_none(), "unexpected errors: {body:#}");
    body["data"].clone()
}

/// Counts `available` free places at `capacity` through the replica at `url`.
pub async fn count(url: &str, admin: &str, capacity: &str, available: i32) {
    let node = data_as(
        url,
        admin,
        "query($id: ID!) { node(id: $id) { ... on Capacity { version } } }",
        json!({ "id": capacity }),
    )
    .await;
    data_as(
        url,
        admin,
        "mutation($id: ID!, $a: Int!, $v: Int!) { setCapacity(input: { capacityId: $id, available: $a, expectedVersion: $v }) { capacity { id } } }",
        json!({ "id": capacity, "a": available, "v": node["node"]["version"] }),
    )
    .await;
}

/// A capacity of the demo data with a free place.
pub async fn some_capacity(db: &DatabaseConnection) -> String {
    use sea_orm::EntityTrait;
    use sea_orm::{ColumnTrait, QueryFilter};
    let capacity = entity::capacity::Entity::find()
        .filter(entity::capacity::Column::Available.gte(1))
        .one(db)
        .await
        .expect("query")
        .expect("the demo data has capacities");
    api::graphql::ids::encode(api::graphql::ids::NodeKind::Capacity, capacity.id).to_string()
}

/// The server processes of this schema's registry that are listening for
/// events.
async fn listeners(db: &DatabaseConnection) -> Vec<i32> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN \"kamkor_events_' || current_schema() || '\"%'",
        ))
        .await
        .expect("pg_stat_activity");
    rows.iter().filter_map(|r| r.try_get_by_index(0).ok()).collect()
}

/// A subscriber to every capacity change on the replica at `url`, listening.
async fn listening(url: &str) -> WsClient {
    let mut subscriber = WsClient::connect_as(url, None).await;
    subscriber
        .subscribe("1", "subscription { capacityChanged { id available } }", json!({}))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    subscriber
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_on_one_replica_reaches_subscribers_of_another() {
    // The schema lives as long as `_schema`.
    let Some(Cluster {
        a,
        b,
        db,
        _database: _schema,
        ..
    }) = two_replicas().await
    else {
        return;
    };
    let capacity = some_capacity(&db).await;
    let mut subscriber = listening(&b.graphql_url()).await;
    let admin = token("admin", "registry-admin", &[]);
    let through_a = a.graphql_url();
    let started = Instant::now();
    count(&through_a, &admin, &capacity, 1).await;
    let payload = subscriber.next_payload("1").await;
    eprintln!(
        "replica B heard of the change {:?} after it was sent to A",
        started.elapsed()
    );
    assert_eq!(payload["data"]["capacityChanged"]["id"], capacity.as_str());
    assert_eq!(payload["data"]["capacityChanged"]["available"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_listener_reconnects_and_catches_up() {
    // The schema lives as long as `_schema`.
    let Some(Cluster {
        a,
        b,
        db,
        _database: _schema,
        ..
    }) = two_replicas().await
    else {
        return;
    };
    let capacity = some_capacity(&db).await;
    let mut subscriber = listening(&b.graphql_url()).await;
    let before = listeners(&db).await;
    assert_eq!(before.len(), 2, "one listener per replica: {before:?}");
    for pid in &before {
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_terminate_backend($1)",
            [(*pid).into()],
        ))
        .await
        .expect("terminate");
    }
    // Right away, while the replicas may still be reconnecting: the change
    // reaches the subscriber live or by the catch-up after reconnecting.
    let admin = token("admin", "registry-admin", &[]);
    let through_a = a.graphql_url();
    count(&through_a, &admin, &capacity, 2).await;
    let payload = subscriber.next_payload("1").await;
    assert_eq!(payload["data"]["capacityChanged"]["available"], 2);
    // Both listen again, on new connections.
    let mut after = Vec::new();
    for _ in 0..50 {
        after = listeners(&db).await;
        if after.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(after.len(), 2, "both replicas listen again: {after:?}");
    assert!(after.iter().all(|pid| !before.contains(pid)));
    // And live events flow again.
    count(&through_a, &admin, &capacity, 3).await;
    let mut seen = subscriber.next_payload("1").await;
    // A catch-up may repeat the earlier change first.
    while seen["data"]["capacityChanged"]["available"] == 2 {
        seen = subscriber.next_payload("1").await;
    }
    assert_eq!(seen["data"]["capacityChanged"]["available"], 3);
}

/// The free places of a capacity, read from the database.
async fn available(db: &DatabaseConnection, capacity: &str) -> i32 {
    use sea_orm::EntityTrait;
    let (_, id) = api::graphql::ids::decode(&capacity.into()).expect("an id");
    entity::capacity::Entity::find_by_id(id)
        .one(db)
        .await
        .expect("query")
        .expect("the capacity")
        .available
}

const HOLD_ONE: &str = r#"mutation($c: ID!) { holdPlace(input: { capacityId: $c, places: 1 }) { hold { id } } }"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn holds_expire_exactly_once_across_replicas_and_restarts() {
    use crate::holds::{audited, make_due};
    use entity::enums::AuditAction;
    let Some(Cluster {
        a,
        b,
        db,
        url,
        _database: _schema,
    }) = two_replicas().await
    else {
        return;
    };
    let capacity = some_capacity(&db).await;
    let free = available(&db, &capacity).await;
    let hotline = token("partner", "hotline-111", &[]);
    let mut subscriber = listening(&b.graphql_url()).await;
    data_as(&a.graphql_url(), &hotline, HOLD_ONE, json!({ "c": capacity })).await;
    let held = subscriber.next_payload("1").await;
    assert_eq!(held["data"]["capacityChanged"]["available"], free - 1);
    // Both replicas sweep; the places come back once, and B's subscriber
    // hears of it.
    make_due(&db).await;
    let back = subscriber.next_payload("1").await;
    assert_eq!(back["data"]["capacityChanged"]["id"], capacity.as_str());
    assert_eq!(back["data"]["capacityChanged"]["available"], free);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(audited(&db, AuditAction::Expire).await, 1);
    assert_eq!(available(&db, &capacity).await, free);
    // A hold that falls due while no server runs expires at the next start.
    data_as(&a.graphql_url(), &hotline, HOLD_ONE, json!({ "c": capacity })).await;
    drop((a, b));
    make_due(&db).await;
    assert_eq!(available(&db, &capacity).await, free - 1);
    let _c = Replica::start(&url, &[]);
    let mut restored = false;
    for _ in 0..50 {
        if available(&db, &capacity).await == free {
            restored = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(restored, "the new replica gives the places back");
    assert_eq!(audited(&db, AuditAction::Expire).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_cut_off_from_the_database_catches_up_when_it_returns() {
    let Some((settings, _schema)) = fresh_database(Backend::Postgres).await else {
        return;
    };
    let a = Replica::start(&settings.url, &[]);
    // B reaches PostgreSQL through a proxy the test can cut.
    let upstream = {
        let url = url::Url::parse(&settings.url).expect("a URL");
        format!(
            "{}:{}",
            url.host_str().unwrap_or("127.0.0.1"),
            url.port().unwrap_or(5432)
        )
    };
    let proxy = crate::resilience::Proxy::start(upstream.clone()).await;
    let through_proxy = settings
        .url
        .replacen(&upstream, &format!("127.0.0.1:{}", proxy.port), 1);
    let b = Replica::start(&through_proxy, &[]);
    let db = api::database::connect(&settings).await.expect("connect");
    let capacity = some_capacity(&db).await;
    let mut subscriber = listening(&b.graphql_url()).await;
    proxy.set_cut(true);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let admin = token("admin", "registry-admin", &[]);
    count(&a.graphql_url(), &admin, &capacity, 5).await;
    // B cannot hear of it while cut off...
    subscriber.assert_quiet(Duration::from_millis(1500)).await;
    // ...and tells its subscribers once it is back.
    proxy.set_cut(false);
    let payload = subscriber.next_payload("1").await;
    assert_eq!(payload["data"]["capacityChanged"]["id"], capacity.as_str());
    assert_eq!(payload["data"]["capacityChanged"]["available"], 5);
}

/// The organization of the first centre, as the replica at `url` reads it.
async fn first_organization(url: &str, admin: &str) -> serde_json::Value {
    let data = data_as(
        url,
        admin,
        "{ centres(first: 1) { nodes { organization { id version email } } } }",
        json!({}),
    )
    .await;
    data["centres"]["nodes"][0]["organization"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organization_edited_through_one_replica_is_read_anew_by_another() {
    // The schema lives as long as `_schema`.
    let Some(Cluster {
        a,
        b,
        _database: _schema,
        ..
    }) = two_replicas().await
    else {
        return;
    };
    let admin = token("admin", "registry-admin", &[]);
    // B reads the organization twice: it now keeps it.
    let before = first_organization(&b.graphql_url(), &admin).await;
    assert_eq!(first_organization(&b.graphql_url(), &admin).await, before);
    data_as(
        &a.graphql_url(),
        &admin,
        "mutation($id: ID!, $v: Int!) { updateOrganization(input: { id: $id, expectedVersion: $v, email: \"moved@example.kg\" }) { organization { id } } }",
        json!({ "id": before["id"], "v": before["version"] }),
    )
    .await;
    // The database tells B on commit; B hears it a moment later.
    let started = Instant::now();
    let mut seen = first_organization(&b.graphql_url(), &admin).await;
    while seen["email"] != "moved@example.kg" && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        seen = first_organization(&b.graphql_url(), &admin).await;
    }
    eprintln!("replica B read the edit {:?} after A committed it", started.elapsed());
    assert_eq!(
        seen["email"], "moved@example.kg",
        "replica B still serves the organization it kept"
    );
    assert_eq!(seen["version"], before["version"].as_i64().unwrap_or_default() + 1);
}

//! The change feed: a partner's mirror built from the feed alone, kept up to
//! date by following it after edits, holds and archiving, equals a full read
//! of the registry.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::{
    both,
    fixture::Fixture,
    helpers::{TestApp, token, with_tokens},
};

const FEED: &str = r#"query($since: DateTime!, $after: String) {
  changes(since: $since, first: 7, after: $after) {
    nodes { id type version action changedAt }
    pageInfo { endCursor hasNextPage } } }"#;

const READ: &str = r#"query($ids: [ID!]!) { nodes(ids: $ids) {
  ... on Organization { id version name(lang: RU) }
  ... on Centre { id version name(lang: RU) }
  ... on Service { id version name(lang: RU) }
  ... on Capacity { id version available }
  ... on ServiceAtCentre { id version centre { id } service { id } } } }"#;

/// A partner's copy of the registry: records by id, as `READ` shows them.
#[derive(Default)]
struct Mirror {
    records: BTreeMap<String, Value>,
    cursor: Option<String>,
    /// Changes applied, to check that the feed does not repeat itself.
    applied: usize,
}

impl Mirror {
    /// Follows the feed from where the mirror stands to its end.
    async fn follow(&mut self, app: &TestApp) {
        loop {
            let page = app
                .data(FEED, json!({ "since": "2000-01-01T00:00:00Z", "after": self.cursor }))
                .await;
            let changes = page["changes"]["nodes"].as_array().cloned().unwrap_or_default();
            let ids: Vec<Value> = changes.iter().map(|c| c["id"].clone()).collect();
            self.applied += ids.len();
            if !ids.is_empty() {
                let read = app.data(READ, json!({ "ids": ids })).await;
                for (id, record) in ids.iter().zip(read["nodes"].as_array().into_iter().flatten()) {
                    let id = id.as_str().unwrap_or_default().to_owned();
                    if record.is_null() {
                        self.records.remove(&id);
                    } else {
                        self.records.insert(id, record.clone());
                    }
                }
            }
            self.cursor = page["changes"]["pageInfo"]["endCursor"].as_str().map(str::to_owned);
            if page["changes"]["pageInfo"]["hasNextPage"] != true {
                return;
            }
        }
    }
}

/// Every page of a root listing.
async fn read_all(app: &TestApp, field: &str, selection: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let query = format!(
            "query($after: String) {{ {field}(first: 100, after: $after) {{ nodes {{ {selection} }} pageInfo {{ endCursor hasNextPage }} }} }}"
        );
        let page = app.data(&query, json!({ "after": after })).await;
        all.extend(page[field]["nodes"].as_array().cloned().unwrap_or_default());
        if page[field]["pageInfo"]["hasNextPage"] != true {
            return all;
        }
        after = page[field]["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

/// The registry as a full read shows it, in the mirror's shape.
async fn full_read(app: &TestApp) -> BTreeMap<String, Value> {
    let mut records = BTreeMap::new();
    for field in ["organizations", "centres", "services"] {
        for record in read_all(app, field, "id version name(lang: RU)").await {
            records.insert(record["id"].as_str().unwrap_or_default().to_owned(), record);
        }
    }
    let centres = read_all(app, "centres", "id services { id } capacities { id version available }").await;
    let mut links = Vec::new();
    for centre in &centres {
        for capacity in centre["capacities"].as_array().into_iter().flatten() {
            records.insert(capacity["id"].as_str().unwrap_or_default().to_owned(), capacity.clone());
        }
        for service in centre["services"].as_array().into_iter().flatten() {
            links.push((centre["id"].clone(), service["id"].clone()));
        }
    }
    // Services offered at centres, as pairs: the mirror's must be the same.
    records.insert("links".into(), json!(sorted(links)));
    records
}

fn sorted(mut pairs: Vec<(Value, Value)>) -> Vec<(Value, Value)> {
    pairs.sort_by_key(|(a, b)| format!("{a}{b}"));
    pairs
}

impl Mirror {
    /// The mirror in the full read's shape.
    fn view(&self) -> BTreeMap<String, Value> {
        let mut records = BTreeMap::new();
        let mut links = Vec::new();
        for (id, record) in &self.records {
            if record.get("centre").is_some() {
                links.push((record["centre"]["id"].clone(), record["service"]["id"].clone()));
            } else {
                records.insert(id.clone(), record.clone());
            }
        }
        records.insert("links".into(), json!(sorted(links)));
        records
    }
}

both!(
    a_mirror_built_from_the_feed_equals_a_full_read,
    configure = with_tokens,
    |app| async move {
        let mut mirror = Mirror::default();
        mirror.follow(&app).await;
        assert_eq!(mirror.view(), full_read(&app).await, "the feed holds the loaded data");
        let loaded = mirror.applied;

        // Edits of every kind, then the mirror follows.
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Күзгү").await;
        crate::subscriptions::count(&app, &admin, &f.capacity, 2).await;
        let hotline = token("partner", "hotline-111", &[]);
        app.data_as(
            &hotline,
            crate::holds::HOLD,
            json!({ "capacity": f.capacity, "places": 1 }),
        )
        .await;
        crate::fixture::archive_service(&app, &admin, &f.other_service).await;
        let demo_centre = app.centre_id("Балалык").await;
        let centre = app
            .data(
                "query($id: ID!) { centre(id: $id) { version services { id } capacities { service { id } } } }",
                json!({ "id": demo_centre }),
            )
            .await;
        app.data_as(
        &admin,
        r#"mutation($id: ID!, $v: Int!) { updateCentre(input: { id: $id, expectedVersion: $v, name: { ky: "Балалык 2", ru: "Балалык 2" } }) { centre { id } } }"#,
        json!({ "id": demo_centre, "v": centre["centre"]["version"] }),
    )
    .await;
        app.data_as(
        &admin,
        "mutation($c: ID!, $s: ID!) { removeServiceAtCentre(input: { centreId: $c, serviceId: $s }) { centre { id } } }",
        json!({ "c": demo_centre, "s": centre["centre"]["services"][0]["id"] }),
    )
    .await;

        let removed = &centre["centre"]["services"][0]["id"];
        let counted_there = centre["centre"]["capacities"]
            .as_array()
            .map_or(0, |c| c.iter().filter(|c| &c["service"]["id"] == removed).count());

        mirror.follow(&app).await;
        assert_eq!(mirror.view(), full_read(&app).await);
        // Only what changed came through the feed the second time (each record
        // once, however often it changed): organization, centre, two services,
        // the offered service and its capacity, the demo centre, the service it
        // no longer offers and the places counted for it there.
        let changed = 8 + counted_there;
        assert_eq!(mirror.applied - loaded, changed);
        // Nothing new: an empty page that keeps the cursor.
        let cursor = mirror.cursor.clone();
        mirror.follow(&app).await;
        assert_eq!(mirror.cursor, cursor);
        assert_eq!(mirror.applied - loaded, changed);
    }
);

both!(the_feed_checks_its_arguments, |app| async move {
    let bad = app
        .query(
            "{ changes(since: \"2000-01-01T00:00:00Z\", after: \"bm9wZQ\") { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    let big = app
        .query(
            "{ changes(since: \"2000-01-01T00:00:00Z\", first: 501) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(big["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    // Nothing changed after a time in the future.
    let later = app
        .data(
            "{ changes(since: \"2100-01-01T00:00:00Z\") { nodes { id } pageInfo { hasNextPage endCursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(later["changes"]["nodes"], json!([]));
    assert_eq!(later["changes"]["pageInfo"]["hasNextPage"], false);
});

both!(
    related_connections_take_updated_since,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Кийин").await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let since = chrono::Utc::now().to_rfc3339();
        let later = app
            .data_as(
                &admin,
                crate::fixture::CREATE_CENTRE,
                json!({ "org": f.organization, "name": "Кийин экинчи" }),
            )
            .await;
        let later = later["createCentre"]["centre"]["id"].clone();
        let query = r#"query($id: ID!, $since: DateTime) { node(id: $id) { ... on Organization {
        all: centres { totalCount }
        changed: centres(updatedSince: $since) { totalCount nodes { id } }
        services(updatedSince: $since) { totalCount } } } }"#;
        let seen = app.data(query, json!({ "id": f.organization, "since": since })).await;
        assert_eq!(seen["node"]["all"]["totalCount"], 2);
        assert_eq!(seen["node"]["changed"]["totalCount"], 1);
        assert_eq!(seen["node"]["changed"]["nodes"][0]["id"], later);
        assert_eq!(seen["node"]["services"]["totalCount"], 0);
        let holds = app
            .data_as(
                &admin,
                "query($since: DateTime) { holds(filter: { updatedSince: $since }) { totalCount } }",
                json!({ "since": since }),
            )
            .await;
        assert_eq!(holds["holds"]["totalCount"], 0);
    }
);

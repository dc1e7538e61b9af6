//! Subscriptions over WebSocket: `capacityChanged` hears every committed
//! change, filtered as asked and shown by the same visibility rules as
//! queries; the connection's caller comes from `connection_init`, and the
//! connection is bounded in time, size and number of subscriptions.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    both,
    fixture::Fixture,
    helpers::{TestApp, token, with_tokens},
    ws::{LEGACY_WS, Received, TRANSPORT_WS, WsClient},
};

const CHANGES: &str = r#"subscription($filter: CapacityChangedFilter) {
  capacityChanged(filter: $filter) { id available version centre { id name(lang: RU) } service { category } } }"#;

const SET: &str = r#"mutation($id: ID!, $available: Int!, $version: Int!) {
  setCapacity(input: { capacityId: $id, available: $available, expectedVersion: $version }) { capacity { version } } }"#;

/// Counts `available` free places at `capacity`, as an admin.
pub async fn count(app: &TestApp, admin: &str, capacity: &str, available: i32) {
    let version = app
        .data_as(
            admin,
            "query($id: ID!) { node(id: $id) { ... on Capacity { version } } }",
            json!({ "id": capacity }),
        )
        .await["node"]["version"]
        .clone();
    app.data_as(
        admin,
        SET,
        json!({ "id": capacity, "available": available, "version": version }),
    )
    .await;
}

/// Lets a subscription that was just sent start listening before the
/// change it waits for is made (a subscription hears changes from the
/// moment it runs, and the server acknowledges nothing before its first
/// event).
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

both!(
    a_count_reaches_a_subscriber,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Тирүү").await;
        let mut client = WsClient::connect_as(&app.graphql_url(), None).await;
        client
            .subscribe("1", CHANGES, json!({ "filter": { "centreId": f.centre } }))
            .await;
        settle().await;
        count(&app, &admin, &f.capacity, 7).await;
        let payload = client.next_payload("1").await;
        let changed = &payload["data"]["capacityChanged"];
        assert!(payload.get("errors").is_none(), "{payload:#}");
        assert_eq!(changed["id"], f.capacity.as_str());
        assert_eq!(changed["available"], 7);
        assert_eq!(changed["centre"]["id"], f.centre.as_str());
        assert_eq!(changed["service"]["category"], "SHELTER");
        count(&app, &admin, &f.capacity, 2).await;
        let payload = client.next_payload("1").await;
        assert_eq!(payload["data"]["capacityChanged"]["available"], 2);
    }
);

both!(
    filters_narrow_what_is_heard,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let here = Fixture::create(&app, &admin, "Бул жерде").await;
        let elsewhere = Fixture::create(&app, &admin, "Башка жерде").await;
        let mut by_centre = WsClient::connect_as(&app.graphql_url(), None).await;
        by_centre
            .subscribe("c", CHANGES, json!({ "filter": { "centreId": here.centre } }))
            .await;
        // The fixtures' centres are in Leninsky district of Bishkek (KG-GB-LEN).
        let mut by_area = WsClient::connect_as(&app.graphql_url(), None).await;
        by_area
            .subscribe("a", CHANGES, json!({ "filter": { "areaCode": "KG-C" } }))
            .await;
        let mut by_category = WsClient::connect_as(&app.graphql_url(), None).await;
        by_category
            .subscribe(
                "k",
                CHANGES,
                json!({ "filter": { "categories": ["DAY_CARE", "LEGAL_AID"] } }),
            )
            .await;
        settle().await;
        count(&app, &admin, &elsewhere.capacity, 1).await;
        count(&app, &admin, &here.capacity, 5).await;
        // The first change by_centre hears is the second one made.
        let payload = by_centre.next_payload("c").await;
        assert_eq!(payload["data"]["capacityChanged"]["id"], here.capacity.as_str());
        by_area.assert_quiet(Duration::from_millis(500)).await;
        by_category.assert_quiet(Duration::from_millis(100)).await;
    }
);

both!(an_unknown_area_is_bad_input, |app| async move {
    let mut client = WsClient::connect_as(&app.graphql_url(), None).await;
    client
        .subscribe("1", CHANGES, json!({ "filter": { "areaCode": "KG-NOWHERE" } }))
        .await;
    let message = client.message().await;
    assert_eq!(message["type"], "next", "{message:#}");
    assert_eq!(message["payload"]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
});

const WHERE: &str = r#"subscription($filter: CapacityChangedFilter) {
  capacityChanged(filter: $filter) { available centre { addressConfidential address latitude phones { number } } } }"#;

/// A confidential shelter of the demo data and one of its capacities.
async fn confidential_capacity(app: &TestApp, admin: &str) -> (String, String) {
    let data = app
        .data_as(
            admin,
            "{ centres(first: 100) { nodes { id addressConfidential capacities { id } } } }",
            json!({}),
        )
        .await;
    let centre = data["centres"]["nodes"]
        .as_array()
        .and_then(|nodes| {
            nodes
                .iter()
                .find(|c| c["addressConfidential"] == true && c["capacities"][0]["id"].is_string())
        })
        .expect("a confidential centre with places")
        .clone();
    (
        centre["id"].as_str().unwrap_or_default().to_owned(),
        centre["capacities"][0]["id"].as_str().unwrap_or_default().to_owned(),
    )
}

both!(
    confidential_locations_stay_hidden_from_anonymous_subscribers,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let (centre, capacity) = confidential_capacity(&app, &admin).await;
        let filter = json!({ "filter": { "centreId": centre } });
        let mut anonymous = WsClient::connect_as(&app.graphql_url(), None).await;
        anonymous.subscribe("1", WHERE, filter.clone()).await;
        let partner = token("partner", "hotline-111", &[]);
        // The lowercase key is accepted too.
        let mut hotline = WsClient::connect(
            &app.graphql_url(),
            TRANSPORT_WS,
            json!({ "authorization": format!("Bearer {partner}") }),
        )
        .await;
        hotline.subscribe("1", WHERE, filter).await;
        settle().await;
        count(&app, &admin, &capacity, 1).await;
        let seen = anonymous.next_payload("1").await["data"]["capacityChanged"]["centre"].clone();
        assert_eq!(seen["addressConfidential"], true);
        assert!(seen["address"].is_null() && seen["latitude"].is_null(), "{seen:#}");
        assert_eq!(seen["phones"], json!([]));
        let seen = hotline.next_payload("1").await["data"]["capacityChanged"]["centre"].clone();
        assert!(seen["address"].is_string() && seen["latitude"].is_number(), "{seen:#}");
    }
);

both!(
    archived_centres_are_heard_of_by_admins_only,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Архив").await;
        let version = app
            .data_as(
                &admin,
                "query($id: ID!) { node(id: $id) { ... on Centre { version } } }",
                json!({ "id": f.centre }),
            )
            .await["node"]["version"]
            .clone();
        app.data_as(
            &admin,
            "mutation($id: ID!, $v: Int!) { archiveCentre(input: { id: $id, expectedVersion: $v }) { centre { id } } }",
            json!({ "id": f.centre, "v": version }),
        )
        .await;
        let mut anonymous = WsClient::connect_as(&app.graphql_url(), None).await;
        anonymous.subscribe("1", CHANGES, json!({})).await;
        let mut registry = WsClient::connect_as(&app.graphql_url(), Some(&admin)).await;
        registry.subscribe("1", CHANGES, json!({})).await;
        settle().await;
        count(&app, &admin, &f.capacity, 4).await;
        let payload = registry.next_payload("1").await;
        assert_eq!(payload["data"]["capacityChanged"]["id"], f.capacity.as_str());
        anonymous.assert_quiet(Duration::from_millis(500)).await;
    }
);

both!(
    a_bad_token_closes_the_connection_with_4403,
    configure = with_tokens,
    |app| async move {
        let url = app.graphql_url();
        let forged = format!("{}x", token("admin", "someone", &[]));
        for payload in [
            json!({ "Authorization": format!("Bearer {forged}") }),
            json!({ "Authorization": "Basic dXNlcjpwYXNz" }),
        ] {
            let mut client = WsClient::open(&url, TRANSPORT_WS).await;
            client
                .send(json!({ "type": "connection_init", "payload": payload }))
                .await;
            let (code, reason) = client.close_code().await;
            assert_eq!(code, 4403, "{reason}");
            assert!(reason.starts_with("Forbidden"), "{reason}");
        }
        // The legacy protocol has no close codes of its own: it is told why first.
        let mut client = WsClient::open(&url, LEGACY_WS).await;
        client
            .send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {forged}") } }))
            .await;
        let error = client.message().await;
        assert_eq!(error["type"], "connection_error");
        assert_eq!(error["payload"]["extensions"]["code"], "UNAUTHENTICATED");
        assert_eq!(client.close_code().await.0, 4403);
    }
);

both!(
    the_legacy_protocol_serves_subscriptions_too,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Эски").await;
        let mut client = WsClient::connect(&app.graphql_url(), LEGACY_WS, json!({})).await;
        client
            .subscribe("9", CHANGES, json!({ "filter": { "centreId": f.centre } }))
            .await;
        settle().await;
        count(&app, &admin, &f.capacity, 6).await;
        assert_eq!(
            client.next_payload("9").await["data"]["capacityChanged"]["available"],
            6
        );
    }
);

both!(
    a_connection_must_say_who_it_is_in_time,
    configure = |s: &mut api::config::Settings| s.live.init_timeout = Duration::from_millis(500),
    |app| async move {
        let mut silent = WsClient::open(&app.graphql_url(), TRANSPORT_WS).await;
        assert_eq!(silent.close_code().await.0, 4408);
        let mut hasty = WsClient::open(&app.graphql_url(), TRANSPORT_WS).await;
        hasty.subscribe("1", CHANGES, json!({})).await;
        assert_eq!(hasty.close_code().await.0, 4401);
    }
);

both!(only_subscriptions_run_over_websocket, |app| async move {
    let mut client = WsClient::connect_as(&app.graphql_url(), None).await;
    client
        .subscribe("q", "{ centres(first: 1) { totalCount } }", json!({}))
        .await;
    let message = client.message().await;
    let errors = if message["type"] == "error" {
        message["payload"].clone()
    } else {
        message["payload"]["errors"].clone()
    };
    assert_eq!(errors[0]["extensions"]["code"], "BAD_REQUEST", "{message:#}");
});

both!(
    subscriptions_per_connection_are_capped,
    configure = |s: &mut api::config::Settings| s.live.max_subscriptions = 2,
    |app| async move {
        let mut client = WsClient::connect_as(&app.graphql_url(), None).await;
        for id in ["1", "2", "3"] {
            client.subscribe(id, CHANGES, json!({})).await;
        }
        let refused = client.message().await;
        assert_eq!(refused["type"], "error");
        assert_eq!(refused["id"], "3");
        assert_eq!(refused["payload"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS");
        // Ending one makes room for another.
        client.send(json!({ "id": "1", "type": "complete" })).await;
        let done = client.message().await;
        assert_eq!(
            (done["type"].as_str(), done["id"].as_str()),
            (Some("complete"), Some("1"))
        );
        client.subscribe("4", CHANGES, json!({})).await;
        client.assert_quiet(Duration::from_millis(300)).await;
        // An id in use ends the connection, as the protocol says.
        client.subscribe("2", CHANGES, json!({})).await;
        assert_eq!(client.close_code().await.0, 4409);
    }
);

both!(oversized_and_malformed_messages_end_the_connection, |app| async move {
    let mut client = WsClient::connect_as(&app.graphql_url(), None).await;
    client.send_text("x".repeat(100 * 1024)).await;
    assert_eq!(client.close_code().await.0, 1009);
    let mut client = WsClient::connect_as(&app.graphql_url(), None).await;
    client.send_text("not json".into()).await;
    assert_eq!(client.close_code().await.0, 4400);
    // Ids are kept while their subscriptions run: they are short.
    let mut client = WsClient::connect_as(&app.graphql_url(), None).await;
    client.subscribe(&"i".repeat(129), CHANGES, json!({})).await;
    assert_eq!(client.close_code().await.0, 4400);
});

both!(deeply_nested_subscriptions_are_refused_not_parsed, |app| async move {
    let mut client = WsClient::connect_as(&app.graphql_url(), None).await;
    let nested = format!(
        "subscription {{ capacityChanged(filter: {}) {{ id }} }}",
        "[".repeat(5000)
    );
    client.subscribe("1", &nested, json!({})).await;
    let message = client.message().await;
    let errors = if message["type"] == "error" {
        message["payload"].clone()
    } else {
        message["payload"]["errors"].clone()
    };
    assert_eq!(
        errors[0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{message:#}"
    );
    // The server is still there.
    let data = app.data("{ centres(first: 1) { totalCount } }", json!({})).await;
    assert!(data["centres"]["totalCount"].is_number());
});

both!(subscriptions_show_in_the_metrics, |app| async move {
    let active = |metrics: &str| -> i64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix("kamkor_subscriptions_active "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(-1)
    };
    let scrape = || async {
        let response = app
            .client
            .get(format!("{}/metrics", app.address))
            .send()
            .await
            .expect("metrics");
        response.text().await.expect("text")
    };
    let mut client = WsClient::connect_as(&app.graphql_url(), None).await;
    client.subscribe("1", CHANGES, json!({})).await;
    client.subscribe("2", CHANGES, json!({})).await;
    settle().await;
    assert_eq!(active(&scrape().await), 2);
    drop(client);
    let mut gone = false;
    for _ in 0..50 {
        if active(&scrape().await) == 0 {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone, "subscriptions of a closed connection are no longer counted");
});

#[tokio::test]
async fn an_unknown_protocol_is_refused() {
    let app = TestApp::spawn_empty(crate::helpers::Backend::Sqlite)
        .await
        .expect("sqlite");
    let response = upgrade(&app, "mqtt").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shutdown_closes_subscriptions_with_going_away() {
    let (database, _guard) = crate::helpers::fresh_database(crate::helpers::Backend::Sqlite)
        .await
        .expect("sqlite");
    let settings = api::config::Settings::for_database(database);
    let app = api::startup::Application::build(&settings).await.expect("builds");
    let url = format!("http://127.0.0.1:{}/graphql", app.port());
    let stop = app.stopper();
    tokio::spawn(app.run_until_stopped(None));
    let mut client = WsClient::connect_as(&url, None).await;
    client.subscribe("1", CHANGES, json!({})).await;
    settle().await;
    stop.stop();
    let (code, _) = client.close_code().await;
    assert_eq!(code, 1001);
    assert!(matches!(
        client.next_within(Duration::from_secs(1)).await,
        None | Some(Received::Closed(..))
    ));
}

/// A token signed with the tests' secret that expires in `seconds`.
fn short_lived(role: &str, subject: &str, seconds: u64) -> String {
    let auth = api::config::AuthSettings {
        secret: Some(crate::helpers::SECRET.to_owned()),
        ..Default::default()
    };
    let role = api::registry::access::Role::from_name(role).expect("a role");
    api::http::auth::mint(&auth, role, subject, &[], Duration::from_secs(seconds)).expect("a token")
}

both!(
    a_connection_ends_when_its_token_does,
    configure = |s| {
        with_tokens(s);
        s.auth.leeway = Duration::ZERO;
    },
    |app| async move {
        for protocol in [TRANSPORT_WS, LEGACY_WS] {
            let token = short_lived("partner", "hotline-111", 2);
            let payload = json!({ "Authorization": format!("Bearer {token}") });
            let mut client = WsClient::connect(&app.graphql_url(), protocol, payload).await;
            client.subscribe("1", CHANGES, json!({})).await;
            let started = std::time::Instant::now();
            let (code, reason) = client.close_code().await;
            assert_eq!(code, 4403, "{protocol}: {reason}");
            assert!(reason.contains("expired"), "{reason}");
            assert!(started.elapsed() <= Duration::from_secs(3), "{:?}", started.elapsed());
        }
        // An anonymous connection sees nothing that expires, and stays.
        let mut anonymous = WsClient::connect_as(&app.graphql_url(), None).await;
        anonymous.subscribe("1", CHANGES, json!({})).await;
        anonymous.assert_quiet(Duration::from_secs(3)).await;
    }
);

/// Asks to open a WebSocket speaking `protocol`; the answer.
async fn upgrade(app: &TestApp, protocol: &str) -> reqwest::Response {
    app.client
        .get(app.graphql_url())
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .header("sec-websocket-protocol", protocol)
        .send()
        .await
        .expect("response")
}

/// The status of an ask to open a WebSocket.
async fn upgrade_status(app: &TestApp) -> u16 {
    upgrade(app, TRANSPORT_WS).await.status().as_u16()
}

both!(
    one_client_opens_a_bounded_number_of_connections,
    configure = |s| s.live.max_connections_per_client = 2,
    |app| async move {
        let first = WsClient::connect_as(&app.graphql_url(), None).await;
        let _second = WsClient::connect_as(&app.graphql_url(), None).await;
        assert_eq!(upgrade_status(&app).await, 429);
        // A connection that ends gives its place back.
        drop(first);
        let mut admitted = false;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if upgrade_status(&app).await == 101 {
                admitted = true;
                break;
            }
        }
        assert!(admitted, "the closed connection's place was not given back");
    }
);

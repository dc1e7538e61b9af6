//! Every error code a read can produce, and that errors never leak internals.

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::both;

both!(bad_input_is_bad_user_input, |app| async move {
    let cases = [
        (r#"{ centre(id: "not-an-id") { id } }"#, "a malformed id"),
        (r#"{ node(id: "@@@") { id } }"#, "a malformed node id"),
        (r#"{ centres(first: 101) { nodes { id } } }"#, "first above 100"),
        (r#"{ centres(last: 101) { nodes { id } } }"#, "last above 100"),
        (r#"{ centres(first: -1) { nodes { id } } }"#, "a negative first"),
        (
            r#"{ centres(first: 2, last: 2) { nodes { id } } }"#,
            "first and last together",
        ),
        (
            r#"{ centres(after: "garbage") { nodes { id } } }"#,
            "a malformed cursor",
        ),
        (
            r#"{ centres(filter: { areaCode: "KG-XX" }) { nodes { id } } }"#,
            "an unknown area code",
        ),
        (
            r#"{ findHelp(need: { areaCode: "KG-ZZ" }) { nodes { availablePlaces } } }"#,
            "an unknown area in findHelp",
        ),
        (
            r#"{ findHelp(need: { childAge: -1 }) { nodes { availablePlaces } } }"#,
            "a negative age",
        ),
        (
            r#"{ services(filter: { childAge: 19 }) { nodes { id } } }"#,
            "an adult's age",
        ),
        (
            r#"{ centres(filter: { childAge: -3 }) { nodes { id } } }"#,
            "a negative age in a filter",
        ),
        (
            r#"{ centres(filter: { languages: ["Kyrgyz"] }) { nodes { id } } }"#,
            "a language name instead of a code",
        ),
        (
            r#"{ centres(filter: { near: { latitude: 91, longitude: 0 } }) { nodes { id } } }"#,
            "a latitude off the globe",
        ),
        (
            r#"{ findHelp(need: { near: { latitude: 42, longitude: 74, radiusKm: -5 } }) { nodes { availablePlaces } } }"#,
            "a negative radius",
        ),
        (
            r#"{ capacityOverview(areaCode: "nowhere") { total { maximum } } }"#,
            "an unknown area in the overview",
        ),
    ];
    let cases = cases.into_iter().chain([
        (
            r#"{ centres(filter: { text: "a\u0000b" }) { nodes { id } } }"#,
            "a NUL in a search text",
        ),
        (
            r#"{ findHelp(need: { text: "line\nbreak" }) { nodes { availablePlaces } } }"#,
            "a control character in a search text",
        ),
        (
            r#"{ centres(filter: { areaCode: "KG\u0000" }) { nodes { id } } }"#,
            "a NUL in an area code",
        ),
        (
            r#"{ adminAreas(parentCode: "кг") { code } }"#,
            "a malformed parent code",
        ),
    ]);
    for (query, what) in cases {
        let body = app.query(query, json!({})).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{what}: {body:#}"
        );
        assert!(body["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // A search text far longer than anything searchable (SQLite would call
    // the pattern too complex).
    let long = "a".repeat(50_000);
    let body = app
        .query(
            "query($t: String) { centres(filter: { text: $t }) { nodes { id } } }",
            json!({ "t": long }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body:.300}");
    // An id of the wrong type.
    let service = app.data("{ services(first: 1) { nodes { id } } }", json!({})).await;
    let service_id = service["services"]["nodes"][0]["id"].as_str().unwrap_or_default();
    let code = app
        .error_code(
            "query($id: ID!) { centre(id: $id) { id } }",
            json!({ "id": service_id }),
        )
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
});

both!(missing_records_are_not_found, |app| async move {
    let id = app.centre_id("Айданек").await;
    let missing = api::graphql::ids::encode(api::graphql::ids::NodeKind::Centre, uuid::Uuid::new_v4()).to_string();
    let body = app
        .query("query($id: ID!) { centre(id: $id) { id } }", json!({ "id": missing }))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    assert_eq!(body["errors"][0]["path"], json!(["centre"]));
    assert!(body["data"]["centre"].is_null());
    // node() follows Relay: null without an error.
    let node = app
        .query("query($id: ID!) { node(id: $id) { id } }", json!({ "id": missing }))
        .await;
    assert!(node.get("errors").is_none() && node["data"]["node"].is_null());
    let mixed = app
        .data(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": [id, missing] }),
        )
        .await;
    assert_eq!(mixed["nodes"][0]["id"], id.as_str());
    assert!(mixed["nodes"][1].is_null());
    assert_eq!(
        app.error_code(r#"{ adminAreas(parentCode: "KG-XX") { code } }"#, json!({}))
            .await,
        "NOT_FOUND"
    );
});

both!(invalid_documents_are_labelled, |app| async move {
    assert_eq!(
        app.error_code("{ centres { nodes { noSuchField } } }", json!({})).await,
        "GRAPHQL_VALIDATION_FAILED"
    );
    assert_eq!(
        app.error_code("{ centres(", json!({})).await,
        "GRAPHQL_VALIDATION_FAILED"
    );
    let deep = "{ centres { nodes { area { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { code } } } } } } } } } } } } } } } } }";
    let body = app.query(deep, json!({})).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nested too deep")),
        "{body:#}"
    );
    let heavy = "{ centres(first: 100) { nodes { services { centres(first: 100) { nodes { services { centres(first: 100) { nodes { id } } } } } } } } }";
    let body = app.query(heavy, json!({})).await;
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("too complex")),
        "{body:#}"
    );
});

both!(
    database_failures_are_internal_and_say_nothing_of_sql,
    |app| async move {
        app.db
            .execute_unprepared("DROP TABLE capacity_event")
            .await
            .expect("drop");
        app.db.execute_unprepared("DROP TABLE hold").await.expect("drop");
        app.db.execute_unprepared("DROP TABLE capacity").await.expect("drop");
        let body = app
            .query(
                "{ centres(first: 3) { nodes { capacities { available } } } }",
                json!({}),
            )
            .await;
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "INTERNAL_SERVER_ERROR", "{body:#}");
        let message = error["message"].as_str().unwrap_or_default().to_lowercase();
        for leak in ["select", "capacity", "table", "relation", "sql"] {
            assert!(!message.contains(leak), "the message leaks {leak:?}: {message}");
        }
    }
);

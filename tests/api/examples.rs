//! The example operations of the playground and the README run and return
//! data: the queries as they are, the count with a token and real ids, the
//! subscription over WebSocket while a count changes.

use serde_json::{Value, json};

use crate::{
    both,
    helpers::{TestApp, token, with_tokens},
    ws::WsClient,
};

fn example(name: &str) -> &'static api::http::playground::Example {
    api::http::playground::EXAMPLES
        .iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no example {name}"))
}

/// A capacity of a Bishkek shelter with its version.
async fn shelter_capacity(app: &TestApp) -> (String, i64) {
    let found = app
        .data(
            r#"{ findHelp(need: { areaCode: "KG-GB", categories: [SHELTER] }, first: 1) { nodes { capacity { id version } } } }"#,
            json!({}),
        )
        .await;
    let capacity = &found["findHelp"]["nodes"][0]["capacity"];
    (
        capacity["id"].as_str().expect("a capacity").to_owned(),
        capacity["version"].as_i64().expect("a version"),
    )
}

both!(
    example_operations_return_results,
    configure = with_tokens,
    |app| async move {
        for example in api::http::playground::EXAMPLES
            .iter()
            .filter(|e| e.query.contains("\nquery "))
        {
            let data = app.data(example.query, json!({})).await;
            let text = data.to_string();
            assert!(text.len() > 200, "{} returned too little: {text}", example.name);
        }
        let find_help = app.data(example("find_help").query, json!({})).await;
        let matches = find_help["findHelp"]["nodes"].as_array().cloned().unwrap_or_default();
        assert!(!matches.is_empty());
        assert!(
            matches[0]["availablePlaces"].as_i64() > Some(0),
            "the first match has free places"
        );

        // The subscription hears the count.
        let mut subscriber = WsClient::connect_as(&app.graphql_url(), None).await;
        subscriber
            .subscribe("1", example("capacity_changed").query, json!({}))
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let (capacity, version) = shelter_capacity(&app).await;
        let set = example("set_capacity");
        let mut variables: Value = serde_json::from_str(set.variables.expect("variables")).expect("JSON");
        variables["capacityId"] = json!(capacity);
        variables["expectedVersion"] = json!(version);
        let admin = token("admin", "registry-admin", &[]);
        let counted = app.data_as(&admin, set.query, variables).await;
        assert_eq!(counted["setCapacity"]["capacity"]["available"], 3);
        let event = subscriber.next_payload("1").await;
        assert_eq!(event["data"]["capacityChanged"]["available"], 3, "{event:#}");
    }
);

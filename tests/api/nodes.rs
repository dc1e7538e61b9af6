//! Single records by id, and `node` / `nodes`.

use serde_json::json;

use crate::both;

both!(single_records_and_nodes, |app| async move {
    let id = app.centre_id("Айданек").await;
    let data = app
        .data(
            "query($id: ID!) { centre(id: $id) { id name(lang: RU) organization { name } services { id name } capacities { id } }
                               node(id: $id) { id ... on Centre { name(lang: RU) } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data["centre"]["id"], id.as_str());
    assert_eq!(data["node"]["name"], data["centre"]["name"]);
    let service_id = data["centre"]["services"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let capacity_id = data["centre"]["capacities"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    let service = app
        .data(
            "query($id: ID!) { service(id: $id) { id name centres { totalCount nodes { id } } } }",
            json!({ "id": service_id }),
        )
        .await;
    assert!(
        service["service"]["centres"]["nodes"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["id"] == id.as_str()))
    );

    let capacity = app
        .data(
            "query($id: ID!) { node(id: $id) { ... on Capacity { id unit maximum available waitlist updated version centre { id } service { id } } } }",
            json!({ "id": capacity_id }),
        )
        .await;
    assert_eq!(capacity["node"]["centre"]["id"], id.as_str());
    assert!(capacity["node"]["available"].as_i64() <= capacity["node"]["maximum"].as_i64());

    let many = app
        .data(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": [id, service_id, capacity_id] }),
        )
        .await;
    let returned: Vec<&str> = many["nodes"]
        .as_array()
        .map(|n| n.iter().filter_map(|n| n["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(returned, vec![id.as_str(), service_id.as_str(), capacity_id.as_str()]);
});

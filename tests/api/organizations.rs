//! Organizations: filters, and their centres and services.

use serde_json::json;

use crate::{
    both,
    helpers::{nodes, strings},
};

both!(organizations_and_areas, |app| async move {
    let data = app
        .data(
            r#"{ organizations(first: 100) { totalCount nodes { id name kind phones { number kind }
                   centres(first: 50) { totalCount } services(first: 50) { totalCount } } } }"#,
            json!({}),
        )
        .await;
    let orgs = nodes(&data, "organizations");
    assert!(orgs.len() >= 10);
    assert!(orgs.iter().all(|o| {
        o["phones"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["kind"] == "INTAKE"))
    }));
    let ngo = app
        .data(
            r#"{ organizations(filter: { kinds: [NGO] }) { nodes { kind } } }"#,
            json!({}),
        )
        .await;
    assert!(nodes(&ngo, "organizations").iter().all(|o| o["kind"] == "NGO"));
    let text = app
        .data(
            r#"{ organizations(filter: { text: "МЭРИЯ" }) { nodes { name(lang: RU) } } }"#,
            json!({}),
        )
        .await;
    assert!(
        strings(&text, "organizations", "name")
            .iter()
            .all(|n| n.to_lowercase().contains("мэрия"))
    );
    assert!(!nodes(&text, "organizations").is_empty());
    let osh = app.data(r#"{ organizations(filter: { areaCode: "KG-GO" }) { nodes { centres(first: 100) { nodes { area { code } } } } } }"#, json!({})).await;
    for org in nodes(&osh, "organizations") {
        assert!(
            org["centres"]["nodes"]
                .as_array()
                .is_some_and(|c| c.iter().any(|c| c["area"]["code"] == "KG-GO"))
        );
    }

    let id = orgs[0]["id"].as_str().unwrap_or_default();
    let one = app
        .data(
            "query($id: ID!) { organization(id: $id) { id name } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(one["organization"]["id"], id);
});

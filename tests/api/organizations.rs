//! Organizations: filters, and their centres and services.

use serde_json::json;

use crate::{
    both,
    helpers::{nodes, strings, token, with_tokens},
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

/// The query that names organizations through the replica's reference
/// cache: a centre's organization, and the organization by id.
const CENTRE_AND_ITS_ORGANIZATION: &str =
    "query($id: ID!) { centre(id: $id) { organization { id version name email } } }";

both!(
    an_edited_organization_is_read_anew,
    configure = with_tokens,
    |app| async move {
        let centre = app.centre_id("Бишкек").await;
        let before = app.data(CENTRE_AND_ITS_ORGANIZATION, json!({ "id": centre })).await;
        // Twice, so that the second read comes from the cache if anything does.
        let again = app.data(CENTRE_AND_ITS_ORGANIZATION, json!({ "id": centre })).await;
        assert_eq!(before, again);
        let organization = &before["centre"]["organization"];
        let (count, _) = app
            .count_statements(app.data(CENTRE_AND_ITS_ORGANIZATION, json!({ "id": centre })))
            .await;
        assert_eq!(
            count, 1,
            "the organization came from the reference cache, the centre from the database"
        );

        let admin = token("admin", "registry-admin", &[]);
        app.data_as(
        &admin,
        "mutation($id: ID!, $v: Int!) { updateOrganization(input: { id: $id, expectedVersion: $v, email: \"new@example.kg\", name: { ky: \"Жаңы ат\", ru: \"Новое имя\" } }) { organization { version } } }",
        json!({ "id": organization["id"], "v": organization["version"] }),
    )
    .await;
        let after = app.data(CENTRE_AND_ITS_ORGANIZATION, json!({ "id": centre })).await;
        let edited = &after["centre"]["organization"];
        assert_eq!(edited["email"], "new@example.kg");
        assert_eq!(edited["name"], "Жаңы ат");
        assert_eq!(
            edited["version"],
            organization["version"].as_i64().unwrap_or_default() + 1
        );
    }
);

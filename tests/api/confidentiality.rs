//! Shelters for children who suffered violence keep their location secret
//! from anonymous callers.

use sea_orm::EntityTrait;
use serde_json::json;

use crate::both;

both!(
    confidential_locations_are_hidden_from_anonymous_callers,
    |app| async move {
        let data = app
            .data(
                r#"{ centres(first: 100) { nodes { id name(lang: RU) addressConfidential address latitude longitude
                   phones { number } email area { code } organization { phones { number kind } }
                   translations { field } } } }"#,
                json!({}),
            )
            .await;
        let all = data["centres"]["nodes"].as_array().cloned().unwrap_or_default();
        let (secret, open): (Vec<_>, Vec<_>) = all.iter().partition(|c| c["addressConfidential"] == true);
        assert!(secret.len() >= 2);
        for c in &secret {
            assert!(
                c["address"].is_null() && c["latitude"].is_null() && c["longitude"].is_null(),
                "{c:#}"
            );
            assert_eq!(c["phones"], json!([]));
            assert!(c["email"].is_null());
            assert!(c["area"]["code"].is_string(), "the area stays visible");
            assert!(
                c["organization"]["phones"]
                    .as_array()
                    .is_some_and(|p| p.iter().any(|p| p["kind"] == "INTAKE"))
            );
            assert!(
                c["translations"]
                    .as_array()
                    .is_some_and(|t| t.iter().all(|t| t["field"] != "address"))
            );
        }
        // Open centres show exactly what is stored.
        let stored = entity::centre::Entity::find().all(&app.db).await.expect("centres");
        for c in &open {
            let model = stored
                .iter()
                .find(|m| m.name.ru.as_deref() == c["name"].as_str())
                .expect("stored");
            assert_eq!(c["latitude"].as_f64(), model.latitude);
            assert_eq!(
                c["address"].as_str(),
                model.address.as_ref().and_then(|a| a.ky.as_deref())
            );
        }
        assert!(open.iter().filter(|c| c["address"].is_string()).count() >= 20);

        // The same through node(), findHelp and a capacity's centre.
        let id = secret[0]["id"].as_str().unwrap_or_default();
        let node = app
            .data(
                "query($id: ID!) { node(id: $id) { ... on Centre { address latitude } } }",
                json!({ "id": id }),
            )
            .await;
        assert!(node["node"]["address"].is_null() && node["node"]["latitude"].is_null());

        let shelters = app
        .data(
            r#"{ findHelp(need: { targetGroups: [VIOLENCE_SURVIVOR], near: { latitude: 42.8746, longitude: 74.5698 }, availableOnly: false }, first: 100)
                 { nodes { distanceKm centre { addressConfidential address latitude } capacity { centre { address } } } } }"#,
            json!({}),
        )
        .await;
        let matches = shelters["findHelp"]["nodes"].as_array().cloned().unwrap_or_default();
        let hidden: Vec<_> = matches
            .iter()
            .filter(|m| m["centre"]["addressConfidential"] == true)
            .collect();
        assert!(!hidden.is_empty());
        for m in hidden {
            assert!(m["centre"]["address"].is_null() && m["centre"]["latitude"].is_null());
            assert!(m["capacity"].is_null() || m["capacity"]["centre"]["address"].is_null());
            let d = m["distanceKm"].as_f64().unwrap_or(0.5);
            assert_eq!(d, d.round(), "distances to shelters are whole kilometres");
        }
    }
);

both!(confidential_addresses_are_not_searchable, |app| async move {
    // The address of the Bishkek municipal shelter is stored but must not be
    // findable by text: a match would reveal what the address contains.
    let data = app
        .data(
            r#"{ centres(filter: { text: "кризис" }, first: 100) { nodes { addressConfidential } } }"#,
            json!({}),
        )
        .await;
    assert!(
        data["centres"]["nodes"]
            .as_array()
            .is_some_and(|n| n.iter().any(|c| c["addressConfidential"] == true))
    );
    let secret_address = {
        use sea_orm::{ColumnTrait, QueryFilter};
        let shelter = entity::centre::Entity::find()
            .filter(entity::centre::Column::AddressConfidential.eq(true))
            .one(&app.db)
            .await
            .expect("query")
            .expect("a confidential centre");
        shelter.address.and_then(|a| a.ru).expect("address stored")
    };
    let word = secret_address
        .split([' ', ','])
        .rfind(|w| w.chars().count() >= 5)
        .expect("a word")
        .to_owned();
    let found = app
        .data(
            "query($t: String!) { centres(filter: { text: $t }, first: 100) { nodes { addressConfidential } } }",
            json!({ "t": word }),
        )
        .await;
    assert!(
        found["centres"]["nodes"]
            .as_array()
            .is_some_and(|n| n.iter().all(|c| c["addressConfidential"] == false)),
        "searching {word:?} revealed a shelter"
    );
});

both!(
    anonymous_near_results_are_ordered_by_the_distance_shown,
    |app| async move {
        let data = app
        .data(
            r#"{ findHelp(need: { childAge: 9, near: { latitude: 42.8746, longitude: 74.5698, radiusKm: 30 }, availableOnly: false }, first: 100)
                 { nodes { distanceKm centre { addressConfidential } } } }"#,
            json!({}),
        )
        .await;
        let matches = data["findHelp"]["nodes"].as_array().cloned().unwrap_or_default();
        assert!(matches.iter().any(|m| m["centre"]["addressConfidential"] == true));
        let shown: Vec<f64> = matches.iter().filter_map(|m| m["distanceKm"].as_f64()).collect();
        assert_eq!(shown.len(), matches.len(), "every match is located");
        assert!(
            shown.windows(2).all(|w| w[0] <= w[1]),
            "not nearest first as shown: {shown:?}"
        );
    }
);

both!(
    only_admins_make_an_address_public_or_secret,
    configure = crate::helpers::with_tokens,
    |app| async move {
        use crate::helpers::token;
        let admin = token("admin", "registry-admin", &[]);
        let f = crate::fixture::Fixture::create(&app, &admin, "Жашыруун").await;
        let manager = token("centre_manager", "manager", &[f.centre.as_str()]);
        let set = r#"mutation($id: ID!, $v: Int!, $secret: Boolean!) { updateCentre(input: { id: $id, expectedVersion: $v,
            addressConfidential: $secret }) { centre { addressConfidential version } } }"#;
        let hidden = app
            .data_as(&admin, set, json!({ "id": f.centre, "v": 1, "secret": true }))
            .await;
        assert_eq!(hidden["updateCentre"]["centre"]["addressConfidential"], true);
        // A manager cannot publish it, by the flag…
        let published = app
            .query_as(&manager, set, json!({ "id": f.centre, "v": 2, "secret": false }))
            .await;
        assert_eq!(
            published["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{published:#}"
        );
        // …but may correct its address, which stays confidential.
        let moved = app
            .data_as(
                &manager,
                r#"mutation($id: ID!) { updateCentre(input: { id: $id, expectedVersion: 2,
                    address: { ky: "Жаңы дарек 7", ru: "Новый адрес 7" }, addressConfidential: true }) {
                    centre { addressConfidential address(lang: RU) } } }"#,
                json!({ "id": f.centre }),
            )
            .await;
        assert_eq!(
            moved["updateCentre"]["centre"],
            json!({ "addressConfidential": true, "address": "Новый адрес 7" })
        );
        let public = app
            .data(
                "query($id: ID!) { centre(id: $id) { addressConfidential address latitude } }",
                json!({ "id": f.centre }),
            )
            .await;
        assert_eq!(
            public["centre"],
            json!({ "addressConfidential": true, "address": null, "latitude": null })
        );
        let found = app
            .data(
                r#"{ centres(filter: { text: "Новый адрес" }) { totalCount } }"#,
                json!({}),
            )
            .await;
        assert_eq!(found["centres"]["totalCount"], 0, "a secret address is not searchable");
        // The admin's decision and the manager's edit are both in the trail.
        let log = app
            .data_as(
                &admin,
                "query($id: ID!) { auditLog(filter: { entityId: $id }) { nodes { actor changes { field } } } }",
                json!({ "id": f.centre }),
            )
            .await;
        let nodes = &log["auditLog"]["nodes"];
        assert_eq!(nodes[0]["actor"], "manager");
        assert_eq!(nodes[0]["changes"], json!([{ "field": "address" }]));
        assert_eq!(nodes[1]["actor"], "registry-admin");
        assert_eq!(nodes[1]["changes"], json!([{ "field": "addressConfidential" }]));
    }
);

//! Shelters for children who suffered violence keep their location secret
//! from anonymous callers.

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
        assert!(
            open.iter()
                .all(|c| c["address"].is_string() && c["latitude"].is_number())
        );

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
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
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

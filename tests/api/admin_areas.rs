//! Administrative areas: the regions, cities and districts.

use serde_json::json;

use crate::both;

both!(admin_areas_form_a_tree, |app| async move {
    let top = app
        .data("{ adminAreas { code level parent { code } } }", json!({}))
        .await;
    let codes: Vec<&str> = top["adminAreas"]
        .as_array()
        .map(|a| a.iter().filter_map(|a| a["code"].as_str()).collect())
        .unwrap_or_default();
    for code in ["KG-B", "KG-C", "KG-J", "KG-N", "KG-O", "KG-T", "KG-Y", "KG-GB", "KG-GO"] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    assert_eq!(codes.len(), 9);
    let districts = app
        .data(
            r#"{ adminAreas(parentCode: "KG-GB") { code level name(lang: RU) parent { code } } }"#,
            json!({}),
        )
        .await;
    let districts = districts["adminAreas"].as_array().cloned().unwrap_or_default();
    assert_eq!(districts.len(), 4);
    assert!(
        districts
            .iter()
            .all(|d| d["level"] == "DISTRICT" && d["parent"]["code"] == "KG-GB")
    );
    assert!(districts.iter().any(|d| d["name"] == "Ленинский район"));
});

both!(an_area_a_filter_names_is_resolved_once_per_replica, |app| async move {
    let in_osh = r#"{ centres(filter: { areaCode: "KG-GO" }, first: 5) { nodes { area { code } } } }"#;
    let first = app.data(in_osh, json!({})).await;
    let (count, again) = app.count_statements(app.data(in_osh, json!({}))).await;
    assert_eq!(first, again);
    assert!(
        again["centres"]["nodes"]
            .as_array()
            .is_some_and(|nodes| !nodes.is_empty() && nodes.iter().all(|n| n["area"]["code"] == "KG-GO"))
    );
    assert_eq!(
        count, 1,
        "the area came from the reference cache, the centres from the database"
    );

    // An unknown code is not remembered as unknown: it is looked up each
    // time, and refused each time.
    let unknown = r#"{ centres(filter: { areaCode: "KG-XX" }) { nodes { id } } }"#;
    for _ in 0..2 {
        let (count, code) = app
            .count_statements(async { json!(app.error_code(unknown, json!({})).await) })
            .await;
        assert_eq!(count, 1, "the unknown code was looked up");
        assert_eq!(code, "BAD_USER_INPUT");
    }
});

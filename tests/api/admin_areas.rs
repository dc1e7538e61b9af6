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

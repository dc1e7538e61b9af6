//! `capacityOverview`: totals for dashboards.

use serde_json::{Value, json};

use crate::both;

const QUERY: &str = r#"query($a: String, $g: CapacityGroupBy!) { capacityOverview(areaCode: $a, groupBy: $g) {
    total { maximum available occupied occupancyRate capacities }
    groups { area { code } category targetGroup totals { maximum available occupied occupancyRate capacities } } } }"#;

fn sum(groups: &[Value], field: &str) -> i64 {
    groups
        .iter()
        .map(|g| g["totals"][field].as_i64().unwrap_or_default())
        .sum()
}

both!(totals_add_up_by_area_and_category, |app| async move {
    let country = app.data(QUERY, json!({ "g": "AREA" })).await["capacityOverview"].clone();
    let total = &country["total"];
    assert!(total["maximum"].as_i64() > Some(0));
    assert_eq!(
        total["occupied"].as_i64(),
        Some(total["maximum"].as_i64().unwrap_or(0) - total["available"].as_i64().unwrap_or(0))
    );
    let groups = country["groups"].as_array().cloned().unwrap_or_default();
    assert!(
        groups
            .iter()
            .all(|g| g["area"]["code"].as_str().is_some_and(|c| !c[3..].contains('-'))),
        "top-level areas: {groups:#?}"
    );
    assert_eq!(sum(&groups, "maximum"), total["maximum"].as_i64().unwrap_or(-1));
    assert_eq!(sum(&groups, "available"), total["available"].as_i64().unwrap_or(-1));

    let bishkek = app.data(QUERY, json!({ "a": "KG-GB", "g": "AREA" })).await["capacityOverview"].clone();
    let districts = bishkek["groups"].as_array().cloned().unwrap_or_default();
    assert!(
        districts
            .iter()
            .all(|g| g["area"]["code"].as_str().is_some_and(|c| c.starts_with("KG-GB")))
    );
    let from_country = groups
        .iter()
        .find(|g| g["area"]["code"] == "KG-GB")
        .map(|g| g["totals"].clone());
    assert_eq!(Some(bishkek["total"].clone()), from_country);

    let by_category = app.data(QUERY, json!({ "g": "CATEGORY" })).await["capacityOverview"].clone();
    let categories = by_category["groups"].as_array().cloned().unwrap_or_default();
    assert!(
        categories
            .iter()
            .all(|g| g["category"].is_string() && g["area"].is_null())
    );
    assert_eq!(sum(&categories, "maximum"), total["maximum"].as_i64().unwrap_or(-1));

    let by_group = app.data(QUERY, json!({ "g": "TARGET_GROUP" })).await["capacityOverview"].clone();
    let target_groups = by_group["groups"].as_array().cloned().unwrap_or_default();
    assert!(
        target_groups
            .iter()
            .any(|g| g["targetGroup"] == "CHILD_WITH_DISABILITY")
    );
    for g in &target_groups {
        let rate = g["totals"]["occupancyRate"].as_f64().unwrap_or(-1.0);
        assert!((0.0..=1.0).contains(&rate));
    }
});

both!(the_overview_matches_the_capacities_it_sums, |app| async move {
    // Cross-check the Osh total against the capacities listed on Osh centres.
    let data = app
        .data(
            r#"{ centres(filter: { areaCode: "KG-GO", statuses: [ACTIVE] }, first: 100) { nodes { capacities { maximum available service { status } } } } }"#,
            json!({}),
        )
        .await;
    let (mut maximum, mut available) = (0, 0);
    for centre in data["centres"]["nodes"].as_array().cloned().unwrap_or_default() {
        for cap in centre["capacities"].as_array().cloned().unwrap_or_default() {
            if cap["service"]["status"] == "ACTIVE" {
                maximum += cap["maximum"].as_i64().unwrap_or_default();
                available += cap["available"].as_i64().unwrap_or_default();
            }
        }
    }
    let osh = app.data(QUERY, json!({ "a": "KG-GO", "g": "CATEGORY" })).await;
    assert_eq!(osh["capacityOverview"]["total"]["maximum"].as_i64(), Some(maximum));
    assert_eq!(osh["capacityOverview"]["total"]["available"].as_i64(), Some(available));
});

//! `findHelp`: matching, availability and ranking.

use serde_json::{Value, json};

use crate::{both, helpers::TestApp};

const MATCH: &str = "availablePlaces distanceKm capacityUpdatedAt capacity { id available }
    service { name category targetGroups ageMin ageMax status }
    centre { name kind status ageMin ageMax genders languages area { code } }";

async fn find_help(app: &TestApp, need: Value) -> Vec<Value> {
    let query =
        format!("query($n: HelpNeedInput!) {{ findHelp(need: $n, first: 100) {{ totalCount nodes {{ {MATCH} }} }} }}");
    let data = app.data(&query, json!({ "n": need })).await;
    let matches = data["findHelp"]["nodes"].as_array().cloned().unwrap_or_default();
    let total = data["findHelp"]["totalCount"].as_u64().unwrap_or_default() as usize;
    assert_eq!(matches.len(), total.min(100), "totalCount counts every match");
    matches
}

fn places(m: &Value) -> Option<i64> {
    m["availablePlaces"].as_i64()
}

both!(a_child_with_a_disability_in_bishkek, |app| async move {
    let need = json!({ "childAge": 12, "targetGroups": ["CHILD_WITH_DISABILITY"], "areaCode": "KG-GB" });
    let matches = find_help(&app, need.clone()).await;
    assert!(matches.len() >= 3, "{matches:#?}");
    for m in &matches {
        assert!(
            m["service"]["targetGroups"]
                .as_array()
                .is_some_and(|g| g.contains(&json!("CHILD_WITH_DISABILITY")))
        );
        assert!(
            m["service"]["ageMin"].as_i64().is_none_or(|a| a <= 12)
                && m["service"]["ageMax"].as_i64().is_none_or(|a| a >= 12)
        );
        assert!(
            m["centre"]["ageMin"].as_i64().is_none_or(|a| a <= 12)
                && m["centre"]["ageMax"].as_i64().is_none_or(|a| a >= 12)
        );
        assert!(
            m["centre"]["area"]["code"]
                .as_str()
                .is_some_and(|c| c.starts_with("KG-GB"))
                || m["service"]["category"] == "HOTLINE"
        );
        assert_eq!(m["centre"]["status"], "ACTIVE");
        assert_eq!(m["service"]["status"], "ACTIVE");
        assert!(places(m).is_none_or(|p| p > 0), "availableOnly is the default");
        assert_eq!(m["capacity"]["available"].as_i64(), places(m));
    }
    // Most free places first, matches without places to count last, ties by freshest count.
    let counted: Vec<&Value> = matches.iter().take_while(|m| places(m).is_some()).collect();
    assert!(matches[counted.len()..].iter().all(|m| places(m).is_none()));
    for pair in counted.windows(2) {
        let (a, b) = (places(pair[0]), places(pair[1]));
        assert!(a > b || (a == b && pair[0]["capacityUpdatedAt"].as_str() >= pair[1]["capacityUpdatedAt"].as_str()));
    }

    // With full services too.
    let mut all = need.clone();
    all["availableOnly"] = json!(false);
    let with_full = find_help(&app, all).await;
    assert!(with_full.len() > matches.len());
    assert!(with_full.iter().any(|m| places(m) == Some(0)));
});

both!(benefits_and_hotlines_always_match_when_they_fit, |app| async move {
    let benefits = find_help(&app, json!({ "categories": ["CASH_BENEFIT"], "areaCode": "KG-N" })).await;
    assert!(!benefits.is_empty());
    for m in &benefits {
        assert!(m["capacity"].is_null() && m["availablePlaces"].is_null());
        assert_eq!(m["centre"]["area"]["code"], "KG-N-NAR");
    }
    // The national helpline sits in Bishkek but covers Naryn.
    let hotline = find_help(&app, json!({ "categories": ["HOTLINE"], "areaCode": "KG-N" })).await;
    assert!(!hotline.is_empty());
    assert!(hotline.iter().all(|m| m["service"]["category"] == "HOTLINE"));
});

both!(nearest_first_with_near, |app| async move {
    let osh = json!({ "latitude": 40.5283, "longitude": 72.7985 });
    let matches = find_help(&app, json!({ "near": osh, "availableOnly": false })).await;
    let distances: Vec<f64> = matches.iter().filter_map(|m| m["distanceKm"].as_f64()).collect();
    assert_eq!(distances.len(), matches.len(), "every demo centre has a location");
    assert!(distances.windows(2).all(|w| w[0] <= w[1] + 0.5), "{distances:?}");
    assert_eq!(matches[0]["centre"]["area"]["code"], "KG-GO");
    assert!(distances[0] < 10.0 && distances[distances.len() - 1] > 250.0);

    let within = find_help(
        &app,
        json!({ "near": { "latitude": 40.5283, "longitude": 72.7985, "radiusKm": 20 } }),
    )
    .await;
    assert!(!within.is_empty());
    assert!(
        within
            .iter()
            .all(|m| m["distanceKm"].as_f64().is_some_and(|d| d <= 20.5))
    );
});

both!(gender_language_text_and_age, |app| async move {
    let survivors = json!({ "targetGroups": ["VIOLENCE_SURVIVOR"], "childAge": 14, "availableOnly": false });
    let mut boys = survivors.clone();
    boys["gender"] = json!("MALE");
    let mut girls = survivors.clone();
    girls["gender"] = json!("FEMALE");
    let for_boys = find_help(&app, boys).await;
    let for_girls = find_help(&app, girls).await;
    assert!(for_boys.iter().all(|m| m["centre"]["genders"] != "FEMALE"));
    assert!(for_girls.iter().any(|m| m["centre"]["genders"] == "FEMALE"));

    let uzbek = find_help(&app, json!({ "language": "uz" })).await;
    assert!(!uzbek.is_empty());
    assert!(uzbek.iter().all(|m| {
        m["centre"]["languages"]
            .as_array()
            .is_some_and(|l| l.contains(&json!("uz")))
    }));

    let text = find_help(&app, json!({ "text": "АЙДАНЕК", "availableOnly": false })).await;
    assert!(!text.is_empty());
    assert!(
        text.iter()
            .all(|m| m["centre"]["name"].as_str().is_some_and(|n| n.contains("Айданек")))
    );

    let infants = find_help(&app, json!({ "childAge": 0, "availableOnly": false })).await;
    assert!(
        infants
            .iter()
            .all(|m| m["centre"]["ageMin"].as_i64().is_none_or(|a| a == 0))
    );

    // Closed centres and suspended services never match.
    let everything = find_help(&app, json!({ "availableOnly": false })).await;
    assert!(
        everything
            .iter()
            .all(|m| m["centre"]["status"] == "ACTIVE" && m["service"]["status"] == "ACTIVE")
    );
});

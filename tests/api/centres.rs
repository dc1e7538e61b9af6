//! Centres: every filter and ordering of `centres`.

use serde_json::{Value, json};

use crate::{both, helpers::nodes};

const CENTRE_FIELDS: &str = "id name kind status ageMin ageMax languages updatedAt availablePlaces
    area { code } capacities { available }";

async fn centres(app: &crate::helpers::TestApp, filter: Value) -> Vec<Value> {
    let query = format!(
        "query($f: CentreFilter) {{ centres(filter: $f, first: 100) {{ totalCount nodes {{ {CENTRE_FIELDS} }} }} }}"
    );
    let data = app.data(&query, json!({ "f": filter })).await;
    assert_eq!(
        data["centres"]["totalCount"].as_u64().map(|n| n as usize),
        Some(nodes(&data, "centres").len())
    );
    nodes(&data, "centres").clone()
}

both!(centres_filter_by_text_area_kind_and_status, |app| async move {
    let all = centres(&app, json!({})).await;
    assert!(all.len() >= 25, "{} centres", all.len());

    for needle in ["айданек", "АЙДАНЕК", "Айданек"] {
        let found = centres(&app, json!({ "text": needle })).await;
        assert_eq!(found.len(), 1, "{needle}");
    }
    assert!(
        centres(&app, json!({ "text": "no such centre anywhere" }))
            .await
            .is_empty()
    );

    let bishkek = centres(&app, json!({ "areaCode": "KG-GB" })).await;
    assert!(bishkek.len() >= 10);
    assert!(
        bishkek
            .iter()
            .all(|c| c["area"]["code"].as_str().is_some_and(|a| a.starts_with("KG-GB")))
    );
    let leninsky = centres(&app, json!({ "areaCode": "KG-GB-LEN" })).await;
    assert!(!leninsky.is_empty() && leninsky.len() < bishkek.len());
    assert!(leninsky.iter().all(|c| c["area"]["code"] == "KG-GB-LEN"));

    let reintegration = centres(&app, json!({ "kinds": ["REINTEGRATION"] })).await;
    assert!(!reintegration.is_empty());
    assert!(reintegration.iter().all(|c| c["kind"] == "REINTEGRATION"));

    let closed = centres(&app, json!({ "statuses": ["CLOSED", "TEMPORARILY_CLOSED"] })).await;
    assert_eq!(closed.len(), 2);
    let active = centres(&app, json!({ "statuses": ["ACTIVE"] })).await;
    assert_eq!(active.len() + closed.len(), all.len());

    let combined = centres(&app, json!({ "areaCode": "KG-GB-LEN", "kinds": ["REINTEGRATION"] })).await;
    assert_eq!(combined.len(), 1, "filters combine with AND");
    assert!(combined.len() < reintegration.len() && combined.len() < leninsky.len());
});

both!(centres_filter_by_people_and_places, |app| async move {
    let all = centres(&app, json!({})).await;
    let for_age = centres(&app, json!({ "childAge": 2 })).await;
    assert!(!for_age.is_empty() && for_age.len() < all.len());
    for c in &for_age {
        assert!(c["ageMin"].as_i64().is_none_or(|a| a <= 2) && c["ageMax"].as_i64().is_none_or(|a| a >= 2));
    }

    let uzbek = centres(&app, json!({ "languages": ["uz"] })).await;
    assert!(!uzbek.is_empty() && uzbek.len() < all.len());
    assert!(
        uzbek
            .iter()
            .all(|c| c["languages"].as_array().is_some_and(|l| l.contains(&json!("uz"))))
    );

    let offenders = centres(&app, json!({ "targetGroups": ["CHILD_IN_CONFLICT_WITH_LAW"] })).await;
    assert!(offenders.iter().any(|c| c["kind"] == "REINTEGRATION"));
    assert!(offenders.len() < all.len());

    let free = centres(&app, json!({ "hasAvailability": true })).await;
    assert!(!free.is_empty());
    assert!(free.iter().all(|c| {
        c["capacities"]
            .as_array()
            .is_some_and(|caps| caps.iter().any(|k| k["available"].as_i64() > Some(0)))
    }));
    let full = centres(&app, json!({ "hasAvailability": false })).await;
    assert!(full.iter().all(|c| {
        c["capacities"]
            .as_array()
            .is_some_and(|caps| caps.iter().all(|k| k["available"] == 0))
    }));
    assert_eq!(free.len() + full.len(), all.len());

    assert!(
        centres(&app, json!({ "updatedSince": "2999-01-01T00:00:00Z" }))
            .await
            .is_empty()
    );
    assert_eq!(
        centres(&app, json!({ "updatedSince": "2000-01-01T00:00:00Z" }))
            .await
            .len(),
        all.len()
    );

    let near = centres(
        &app,
        json!({ "near": { "latitude": 40.5283, "longitude": 72.7985, "radiusKm": 15 } }),
    )
    .await;
    assert!(!near.is_empty());
    assert!(
        near.iter()
            .all(|c| c["area"]["code"] == "KG-GO" || c["area"]["code"] == "KG-O-KSU"),
        "{near:#?}"
    );
});

/// Positions of a name's letters in the Kyrgyz alphabet (spaces, digits and
/// Latin letters before it, other letters after it); punctuation is ignored.
fn kyrgyz_order(name: &str) -> Vec<u32> {
    const ALPHABET: &str = "абвгдеёжзийклмнңоөпрстуүфхцчшщъыьэюя";
    name.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .map(|c| match ALPHABET.chars().position(|a| a == c) {
            Some(i) => 0x400 + i as u32,
            None if (c as u32) < 0x400 => c as u32,
            None => 0x20000 + c as u32,
        })
        .collect()
}

both!(centres_orderings, |app| async move {
    let ordered = |field: &'static str, direction: &'static str| {
        let app = &app;
        async move {
            let data = app
                .data(
                    "query($o: CentreOrder) { centres(orderBy: $o, first: 100) { nodes { name updatedAt availablePlaces } } }",
                    json!({ "o": { "field": field, "direction": direction } }),
                )
                .await;
            nodes(&data, "centres").clone()
        }
    };
    // Kyrgyz alphabetical order, ignoring case and punctuation.
    let by_name = ordered("NAME", "ASC").await;
    let names: Vec<String> = by_name
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| kyrgyz_order(n));
    assert_eq!(names, sorted);
    assert!(
        names.first().is_some_and(|n| !n.starts_with('Ү')),
        "ү sorts after у, not first or last by code point"
    );

    let by_places = ordered("AVAILABLE_PLACES", "DESC").await;
    let places: Vec<i64> = by_places
        .iter()
        .map(|c| c["availablePlaces"].as_i64().unwrap_or(-1))
        .collect();
    assert!(places.windows(2).all(|w| w[0] >= w[1]), "{places:?}");
    assert!(places[0] > 0);

    let by_update = ordered("UPDATED_AT", "DESC").await;
    let times: Vec<String> = by_update
        .iter()
        .map(|c| c["updatedAt"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]));

    // Distance: nearest first from Osh; without `near` it is bad input.
    let data = app
        .data(
            r#"{ centres(filter: { near: { latitude: 40.5283, longitude: 72.7985 } }, orderBy: { field: DISTANCE }, first: 100)
               { nodes { latitude longitude area { code } } } }"#,
            json!({}),
        )
        .await;
    let located: Vec<(f64, f64)> = nodes(&data, "centres")
        .iter()
        .filter_map(|c| Some((c["latitude"].as_f64()?, c["longitude"].as_f64()?)))
        .collect();
    let distances: Vec<f64> = located
        .iter()
        .map(|&(la, lo)| (la - 40.5283).powi(2) + ((lo - 72.7985) * 0.76).powi(2))
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1] + 1e-6), "{distances:?}");
    assert_eq!(nodes(&data, "centres")[0]["area"]["code"], "KG-GO");
    let code = app
        .error_code("{ centres(orderBy: { field: DISTANCE }) { nodes { id } } }", json!({}))
        .await;
    assert_eq!(code, "BAD_USER_INPUT");
});

/// The fields of a capacity that a centre's list reads only when a request
/// selects one of them (`Capacity::detail_selected`).
const CAPACITY_DETAILS: [&str; 3] = ["waitlist", "version", "service { id }"];

/// Every capacity of the first 30 centres, in order, with `selection`.
fn capacities_of_centres(selection: &str) -> String {
    format!("{{ centres(first: 30) {{ nodes {{ capacities {{ id {selection} }} }} }} }}")
}

fn listed_capacities(response: &Value) -> Vec<Value> {
    nodes(&response["data"], "centres")
        .iter()
        .flat_map(|c| c["capacities"].as_array().cloned().unwrap_or_default())
        .collect()
}

both!(centres_read_capacity_details_only_when_selected, |app| async move {
    let (brief_sql, counts) = app
        .statements_run(app.query(
            &capacities_of_centres("available maximum unit updated stale"),
            json!({}),
        ))
        .await;
    let all_details = CAPACITY_DETAILS.join(" ");
    let (full_sql, detailed) = app
        .statements_run(app.query(&capacities_of_centres(&all_details), json!({})))
        .await;
    assert!(
        counts.get("errors").is_none() && detailed.get("errors").is_none(),
        "{detailed:#}"
    );
    // The brief list leaves the details' columns out; the full one reads them.
    let reads_waitlist = |sql: &[String]| sql.iter().any(|s| s.contains(r#""capacity"."waitlist""#));
    assert!(!reads_waitlist(&brief_sql), "{brief_sql:#?}");
    assert!(reads_waitlist(&full_sql), "{full_sql:#?}");
    let (brief, full) = (brief_sql.len(), full_sql.len());
    let (counts, detailed) = (listed_capacities(&counts), listed_capacities(&detailed));
    assert!(counts.len() >= 20, "{} capacities", counts.len());
    assert_eq!(
        counts.iter().map(|c| &c["id"]).collect::<Vec<_>>(),
        detailed.iter().map(|c| &c["id"]).collect::<Vec<_>>(),
        "the same capacities in the same order either way"
    );
    // The brief list comes with the page's own statement; a detail makes
    // the list one statement of its own, not one per capacity by id; a
    // service is then one more (batched) statement.
    for field in ["waitlist", "version"] {
        let (alone, page) = app
            .count_statements(app.query(&capacities_of_centres(field), json!({})))
            .await;
        assert!(page.get("errors").is_none(), "{page:#}");
        assert_eq!(alone, brief + 1, "{alone} statements with {field}, {brief} without");
    }
    assert_eq!(
        full,
        brief + 2,
        "details and services: {full} statements, {brief} without"
    );
    // The sum of free places shares the brief list: one statement for both.
    let (summed, page) = app
        .count_statements(app.query(
            "{ centres(first: 30) { nodes { availablePlaces capacities { id available } } } }",
            json!({}),
        ))
        .await;
    assert!(page.get("errors").is_none(), "{page:#}");
    assert_eq!(summed, brief, "availablePlaces beside brief capacities");
    for centre in nodes(&page["data"], "centres") {
        let listed: i64 = centre["capacities"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| c["available"].as_i64().unwrap_or_default())
            .sum();
        assert_eq!(centre["availablePlaces"].as_i64(), Some(listed), "{centre:#}");
    }
    // The details a list reads are the capacity's own, as a look-up by
    // id reads them (at most 100 ids a look-up).
    let detailed = &detailed[..detailed.len().min(100)];
    let ids: Vec<&Value> = detailed.iter().map(|c| &c["id"]).collect();
    let looked_up = app
        .data(
            &format!("query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on Capacity {{ id {all_details} }} }} }}"),
            json!({ "ids": ids }),
        )
        .await;
    assert_eq!(
        looked_up["nodes"].as_array().map(Vec::as_slice),
        Some(detailed),
        "details from the list and by id"
    );
});

/// The fields of a centre that lists read only when a request selects one
/// of them (`Centre::detail_selected`).
const CENTRE_DETAILS: [&str; 9] = [
    "ageMin",
    "ageMax",
    "genders",
    "status",
    "isDemo",
    "archivedAt",
    "version",
    "createdAt",
    "updatedAt",
];

/// The centres of a whole response, in order.
type CentresOf = fn(&Value) -> Vec<Value>;

fn listed_centres(response: &Value) -> Vec<Value> {
    nodes(&response["data"], "centres").clone()
}

fn matched_centres(response: &Value) -> Vec<Value> {
    nodes(&response["data"], "findHelp")
        .iter()
        .map(|m| m["centre"].clone())
        .collect()
}

both!(
    lists_of_centres_read_their_details_only_when_selected,
    |app| async move {
        let all_details = CENTRE_DETAILS.join(" ");
        let lists: [(&str, &str, CentresOf); 2] = [
            (
                "centres",
                "{ centres(first: 30) { nodes { SELECTION } } }",
                listed_centres,
            ),
            (
                "findHelp",
                "{ findHelp(need: { availableOnly: false }, first: 30) { nodes { centre { SELECTION } } } }",
                matched_centres,
            ),
        ];
        for (list, template, centres) in lists {
            let query = |selection: &str| template.replace("SELECTION", selection);
            let (brief_sql, names) = app.statements_run(app.query(&query("id name kind"), json!({}))).await;
            let (full_sql, detailed) = app
                .statements_run(app.query(&query(&format!("id name {all_details}")), json!({})))
                .await;
            let through_fragment = query("id name ...details") + " fragment details on Centre { version ageMin }";
            let (fragmented, with_fragment) = app.count_statements(app.query(&through_fragment, json!({}))).await;
            for page in [&names, &detailed, &with_fragment] {
                assert!(page.get("errors").is_none(), "{list}: {page:#}");
            }
            // The brief list leaves the details' columns out (`created_at` is
            // in no filter or order); the full one reads them.
            let reads_created = |sql: &[String]| sql.iter().any(|s| s.contains(r#""centre"."created_at""#));
            assert!(!reads_created(&brief_sql), "{list}: {brief_sql:#?}");
            assert!(reads_created(&full_sql), "{list}: {full_sql:#?}");
            // Each detail comes with the list, not from each centre's record.
            let brief = brief_sql.len();
            for field in CENTRE_DETAILS {
                let (alone, page) = app
                    .count_statements(app.query(&query(&format!("id {field}")), json!({})))
                    .await;
                assert!(page.get("errors").is_none(), "{list}: {page:#}");
                assert_eq!(alone, brief, "{list}: {alone} statements with {field}, {brief} without");
            }
            assert_eq!(full_sql.len(), brief, "{list}: details and the brief list");
            assert_eq!(fragmented, brief, "{list}: a fragment's details come with the list too");
            let (names, detailed) = (centres(&names), centres(&detailed));
            assert!(names.len() >= 10, "{list}: {} centres", names.len());
            assert_eq!(
                names.iter().map(|c| &c["id"]).collect::<Vec<_>>(),
                detailed.iter().map(|c| &c["id"]).collect::<Vec<_>>(),
                "{list}: the same centres either way"
            );
            // The details a list reads are the centre's own, as a look-up by
            // id reads them from the whole record.
            let listed: Vec<Value> = detailed.iter().chain(&centres(&with_fragment)).cloned().collect();
            let ids: Vec<&Value> = listed.iter().map(|c| &c["id"]).collect();
            let looked_up = app
                .data(
                    &format!(
                        "query($ids: [ID!]!) {{ nodes(ids: $ids) {{ ... on Centre {{ id name {all_details} }} }} }}"
                    ),
                    json!({ "ids": ids }),
                )
                .await;
            for (centre, expected) in listed.iter().zip(looked_up["nodes"].as_array().into_iter().flatten()) {
                for (field, value) in centre.as_object().into_iter().flatten() {
                    assert_eq!(value, &expected[field.as_str()], "{list}: {field} of {}", centre["id"]);
                }
            }
            assert_eq!(looked_up["nodes"].as_array().map(Vec::len), Some(listed.len()));
        }
    }
);

//! Every query root field, filter and ordering.

use serde_json::{Value, json};

use crate::{
    both,
    helpers::{nodes, strings},
};

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
            .all(|c| c["area"]["code"].as_str().is_some_and(|a| a.starts_with("KG-GB-")))
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

    let combined = centres(&app, json!({ "areaCode": "KG-GB", "kinds": ["REINTEGRATION"] })).await;
    assert_eq!(combined.len(), 1, "filters combine with AND");
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

both!(services_filters, |app| async move {
    let services = |filter: Value| {
        let app = &app;
        async move {
            let data = app
                .data(
                    "query($f: ServiceFilter) { services(filter: $f, first: 100) { totalCount nodes {
                        id name kind category status ageMin ageMax targetGroups benefit { amount currency period basis }
                        organization { id } centres(first: 20) { nodes { languages area { code } } } } } }",
                    json!({ "f": filter }),
                )
                .await;
            nodes(&data, "services").clone()
        }
    };
    let all = services(json!({})).await;
    assert!(all.len() >= 40);

    let benefits = services(json!({ "kind": "BENEFIT" })).await;
    assert!(benefits.len() >= 4);
    for b in &benefits {
        assert_eq!(b["category"], "CASH_BENEFIT");
        assert_eq!(b["benefit"]["currency"], "KGS");
        assert!(b["benefit"]["amount"].as_i64() > Some(0));
    }
    let plain = services(json!({ "kind": "SERVICE" })).await;
    assert_eq!(plain.len() + benefits.len(), all.len());
    assert!(plain.iter().all(|s| s["benefit"].is_null()));

    let monthly = services(json!({ "text": "үй-бүлөгө көмөк" })).await;
    assert!(
        monthly.iter().any(|s| s["kind"] == "BENEFIT"),
        "the low-income family benefit is found in Kyrgyz"
    );

    let disability = services(json!({ "targetGroups": ["CHILD_WITH_DISABILITY"], "childAge": 12 })).await;
    assert!(!disability.is_empty());
    for s in &disability {
        assert!(
            s["targetGroups"]
                .as_array()
                .is_some_and(|g| g.contains(&json!("CHILD_WITH_DISABILITY")))
        );
        assert!(s["ageMin"].as_i64().is_none_or(|a| a <= 12) && s["ageMax"].as_i64().is_none_or(|a| a >= 12));
    }

    let shelters = services(json!({ "categories": ["SHELTER"] })).await;
    assert!(!shelters.is_empty() && shelters.iter().all(|s| s["category"] == "SHELTER"));

    let suspended = services(json!({ "statuses": ["SUSPENDED"] })).await;
    assert_eq!(suspended.len(), 1);

    // Naryn: the services of Naryn's centres plus those covering the whole country.
    let naryn = services(json!({ "areaCode": "KG-N" })).await;
    assert!(naryn.iter().any(|s| s["kind"] == "BENEFIT"));
    assert!(naryn.iter().any(|s| {
        s["centres"]["nodes"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["area"]["code"] == "KG-N-NAR"))
    }));
    assert!(naryn.len() < all.len());

    let uzbek = services(json!({ "languages": ["uz"] })).await;
    assert!(!uzbek.is_empty() && uzbek.len() < all.len());

    let org = all[0]["organization"]["id"].as_str().unwrap_or_default();
    let of_org = services(json!({ "organizationId": org })).await;
    assert!(!of_org.is_empty() && of_org.iter().all(|s| s["organization"]["id"] == org));

    assert!(
        services(json!({ "updatedSince": "2999-01-01T00:00:00Z" }))
            .await
            .is_empty()
    );
});

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

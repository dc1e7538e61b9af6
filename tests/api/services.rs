//! Services and benefits: every filter of `services`.

use serde_json::{Value, json};

use crate::{both, helpers::nodes};

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

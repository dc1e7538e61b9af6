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

/// The fields of a service that lists read only when a request selects one
/// of them (`Service::detail_selected`).
const SERVICE_DETAILS: [&str; 10] = [
    "organization { id }",
    "ageMin",
    "ageMax",
    "status",
    "isFree",
    "isDemo",
    "archivedAt",
    "version",
    "createdAt",
    "updatedAt",
];

/// Each service's details by id, from the services list (whole records).
async fn details_by_id(app: &crate::helpers::TestApp) -> std::collections::HashMap<String, Value> {
    let data = app
        .data(
            &format!(
                "{{ services(first: 100) {{ nodes {{ id {} }} }} }}",
                SERVICE_DETAILS.join(" ")
            ),
            json!({}),
        )
        .await;
    nodes(&data, "services")
        .iter()
        .map(|s| (s["id"].as_str().unwrap_or_default().to_owned(), s.clone()))
        .collect()
}

/// The services of a whole response, in order.
type ServicesOf = fn(&Value) -> Vec<Value>;

fn centre_services(response: &Value) -> Vec<Value> {
    nodes(&response["data"], "centres")
        .iter()
        .flat_map(|c| c["services"].as_array().cloned().unwrap_or_default())
        .collect()
}

fn matched_services(response: &Value) -> Vec<Value> {
    nodes(&response["data"], "findHelp")
        .iter()
        .map(|m| m["service"].clone())
        .collect()
}

both!(
    lists_of_services_read_their_details_only_when_selected,
    |app| async move {
        let truth = details_by_id(&app).await;
        assert!(truth.len() >= 40);
        // A centre's services and findHelp's matches; SELECTION is the
        // services' selection. A page of centres reads its brief lists
        // with its own statement, and a list with details in one more
        // (`registry::centre_lists`): that one is the `detailed` extra.
        let lists: [(&str, &str, ServicesOf, usize); 2] = [
            (
                "centres",
                "{ centres(first: 30) { nodes { services { SELECTION } } } }",
                centre_services,
                1,
            ),
            (
                "findHelp",
                "{ findHelp(need: { availableOnly: false }, first: 30) { nodes { service { SELECTION } } } }",
                matched_services,
                0,
            ),
        ];
        let fragment = " fragment details on Service { version ageMin }";
        for (list, template, services, detailed_extra) in lists {
            let query = |selection: &str| template.replace("SELECTION", selection);
            let (brief_sql, names) = app
                .statements_run(app.query(&query("id name category"), json!({})))
                .await;
            let detailed = query(&format!("id name {}", SERVICE_DETAILS.join(" ")));
            let (full_sql, with_details) = app.statements_run(app.query(&detailed, json!({}))).await;
            // The brief list leaves the details' columns out; the full one reads them.
            let reads_ages = |sql: &[String]| sql.iter().any(|s| s.contains(r#""service"."age_min""#));
            assert!(!reads_ages(&brief_sql), "{list}: {brief_sql:#?}");
            assert!(reads_ages(&full_sql), "{list}: {full_sql:#?}");
            let (brief, full) = (brief_sql.len(), full_sql.len());
            let through_fragment = query("id name ...details") + fragment;
            let (fragmented, with_fragment) = app.count_statements(app.query(&through_fragment, json!({}))).await;
            for page in [&names, &with_details, &with_fragment] {
                assert!(page.get("errors").is_none(), "{list}: {page:#}");
            }
            // The details come with the list, not from each service's record:
            // each of them alone, all of them, and through a fragment.
            let statements_with_details = brief + detailed_extra;
            for field in SERVICE_DETAILS {
                let (alone, page) = app
                    .count_statements(app.query(&query(&format!("id {field}")), json!({})))
                    .await;
                assert!(page.get("errors").is_none(), "{list}: {page:#}");
                assert_eq!(
                    alone, statements_with_details,
                    "{list}: {alone} statements with {field}, {brief} without"
                );
            }
            assert_eq!(
                full, statements_with_details,
                "{list}: {full} statements with details, {brief} without"
            );
            assert_eq!(
                fragmented, statements_with_details,
                "{list}: a fragment's details come with the list too"
            );
            let (names, with_details) = (services(&names), services(&with_details));
            assert!(names.len() >= 20, "{list}: {} services", names.len());
            assert_eq!(
                names.iter().map(|s| &s["id"]).collect::<Vec<_>>(),
                with_details.iter().map(|s| &s["id"]).collect::<Vec<_>>(),
                "{list}: the same services either way"
            );
            for service in with_details.iter().chain(&services(&with_fragment)) {
                let id = service["id"].as_str().unwrap_or_default();
                let Some(expected) = truth.get(id) else {
                    panic!("{list}: service {id} is not in the services list");
                };
                for (field, value) in service.as_object().into_iter().flatten() {
                    if field != "name" {
                        assert_eq!(value, &expected[field.as_str()], "{list}: {field} of {id}");
                    }
                }
            }
        }
    }
);

//! A page's centres with their services and capacities, and single
//! services, areas and organizations, answer plain selections themselves,
//! without a resolver per field (`graphql::plain`). Their answers must be
//! the resolvers' own: each selection is compared with the same selection
//! inside an inline fragment, which takes async-graphql's usual path.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    both,
    helpers::{TestApp, nodes},
};

/// Every field of `Service` a list answers from its summaries, with an
/// alias, a field selected twice and the type's name.
const SERVICE_FIELDS: &str = "__typename id name kind category ageMin ageMax status isFree isDemo archivedAt \
                              version createdAt updatedAt label: name id";
/// Every field of `Capacity` a list answers from its views.
const CAPACITY_FIELDS: &str = "__typename id unit maximum available updated stale waitlist version free: available";

/// Every field of `Centre` a page's centre answers from its summary and
/// its brief lists.
const CENTRE_FIELDS: &str =
    "__typename id name kind latitude longitude addressConfidential availablePlaces label: name id";

fn page(services: &str, capacities: &str) -> String {
    format!(
        "{{ centres(first: 40) {{ nodes {{ {CENTRE_FIELDS} services {{ {services} }} capacities {{ {capacities} }} }} }} }}"
    )
}

/// The same selections, each inside an inline fragment.
fn page_through_fragments(services: &str, capacities: &str) -> String {
    format!(
        "{{ centres(first: 40) {{ nodes {{ ... on Centre {{ {CENTRE_FIELDS} \
         services {{ ... on Service {{ {services} }} }} capacities {{ ... on Capacity {{ {capacities} }} }} }} }} }} }}"
    )
}

fn listed<'a>(data: &'a Value, field: &str) -> Vec<&'a Value> {
    nodes(data, "centres")
        .iter()
        .flat_map(|centre| centre[field].as_array().into_iter().flatten())
        .collect()
}

/// The response's text, as sent.
async fn response_text(app: &TestApp, query: &str, language: &str) -> String {
    reqwest::Client::new()
        .post(app.graphql_url())
        .header("accept-language", language)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("request is sent")
        .text()
        .await
        .expect("a body")
}

both!(plain_lists_answer_as_their_resolvers, |app| async move {
    let selections = [
        // Brief lists: no details are read with them.
        ("id name kind category", "id unit maximum available updated stale"),
        // Lists read with their details.
        (SERVICE_FIELDS, CAPACITY_FIELDS),
        // Services read with their details beside brief capacities.
        ("id name status", "id available"),
    ];
    for language in ["ky", "ru", "en"] {
        for (services, capacities) in selections {
            let plain = response_text(&app, &page(services, capacities), language).await;
            let resolved = response_text(&app, &page_through_fragments(services, capacities), language).await;
            // Compared as values: async-graphql puts a centre's fields in
            // the order they complete, and `services` and `capacities`
            // wait for different loaders. The order inside plain objects is
            // checked below.
            let body: Value = serde_json::from_str(&plain).expect("JSON");
            let expected: Value = serde_json::from_str(&resolved).expect("JSON");
            assert_eq!(body, expected, "{language}: {services} / {capacities}");
            assert!(body.get("errors").is_none(), "{body:#}");
            assert!(listed(&body["data"], "services").len() >= 20, "{body:#}");
            assert!(listed(&body["data"], "capacities").len() >= 10, "{body:#}");
        }
    }
    // The fields in the order asked for; a key asked for twice once, at
    // its first place.
    let text = response_text(&app, &page(SERVICE_FIELDS, CAPACITY_FIELDS), "ru").await;
    let service = text
        .split(r#"{"__typename":"Service""#)
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .expect("a service");
    let order = [
        "id",
        "name",
        "kind",
        "category",
        "ageMin",
        "ageMax",
        "status",
        "isFree",
        "isDemo",
        "archivedAt",
        "version",
        "createdAt",
        "updatedAt",
        "label",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|key| service.find(&format!(r#""{key}":"#)).expect(key))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{service}");
    assert_eq!(service.matches(r#""id":"#).count(), 1, "{service}");
});

/// Every field of `AdminArea` and of `Organization` answered from the record.
const AREA_FIELDS: &str = "__typename id code name level";
const ORGANIZATION_FIELDS: &str = "__typename id name kind email website isDemo createdAt updatedAt version archivedAt";

/// findHelp's matches: a service, and a centre's area and organization,
/// each one object.
fn matches(service: &str, area: &str, organization: &str) -> String {
    format!(
        "{{ findHelp(need: {{ availableOnly: false }}, first: 30) {{ nodes {{ service {{ {service} }} \
         centre {{ id area {{ {area} }} organization {{ {organization} }} }} }} }} }}"
    )
}

both!(plain_objects_answer_as_their_resolvers, |app| async move {
    let fragment = |on: &str, fields: &str| format!("... on {on} {{ {fields} }}");
    for language in ["ky", "ru", "en"] {
        let plain = response_text(
            &app,
            &matches(SERVICE_FIELDS, AREA_FIELDS, ORGANIZATION_FIELDS),
            language,
        )
        .await;
        let resolved = matches(
            &fragment("Service", SERVICE_FIELDS),
            &fragment("AdminArea", AREA_FIELDS),
            &fragment("Organization", ORGANIZATION_FIELDS),
        );
        let resolved = response_text(&app, &resolved, language).await;
        let body: Value = serde_json::from_str(&plain).expect("JSON");
        let expected: Value = serde_json::from_str(&resolved).expect("JSON");
        assert!(body.get("errors").is_none(), "{body:#}");
        assert!(nodes(&body["data"], "findHelp").len() >= 20, "{body:#}");
        assert_eq!(body, expected, "{language}");
    }
});

// Test builds carry an extension whose per-field hook panics for a field
// aliased `kamkorTestPanic`: a plain list never runs that hook, so the
// request succeeds; through a fragment the resolvers run, and it fails.
// This shows which path answered.
both!(plain_lists_skip_the_resolvers, |app| async move {
    let post = |query: String| {
        let app = &app;
        async move {
            let (status, _, body) = app
                .post_raw(
                    json!({ "query": query }).to_string(),
                    &[("content-type", "application/json")],
                )
                .await;
            (status, body)
        }
    };
    let (status, body) = post(page("kamkorTestPanic: id", "kamkorTestPanic: available")).await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert!(!listed(&body["data"], "services").is_empty(), "{body:#}");
    let (status, body) = post(page_through_fragments("kamkorTestPanic: id", "id")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body:#}");
    let (status, body) = post(matches(
        "kamkorTestPanic: id",
        "kamkorTestPanic: code",
        "kamkorTestPanic: name",
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    let (status, body) = post(matches("id", "... on AdminArea { kamkorTestPanic: code }", "id")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body:#}");
    // A field with an argument is the resolvers' too.
    let (status, body) = post(page("kamkorTestPanic: name(lang: RU)", "id")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body:#}");
    // A page's centre answers itself with its brief lists, not with a list
    // read with its details, nor through a fragment.
    let centres = |selection: &str| format!("{{ centres(first: 40) {{ nodes {{ {selection} }} }} }}");
    let (status, body) = post(centres("kamkorTestPanic: id services { id } availablePlaces")).await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert!(!listed(&body["data"], "services").is_empty(), "{body:#}");
    let (status, body) = post(centres("kamkorTestPanic: id services { id status }")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body:#}");
    let (status, body) = post(centres("... on Centre { kamkorTestPanic: id }")).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body:#}");
});

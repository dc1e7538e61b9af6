//! The HSDS API under `/hsds`: every endpoint's answer validates against
//! Open Referral's OpenAPI description; parameters combine with AND; bad
//! ones get 400, unknown ids 404; callers see what they see in GraphQL.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::validator;
use crate::{
    both,
    helpers::{TestApp, token, with_tokens},
};

/// The validator of an endpoint's 200 answer, from the OpenAPI description:
/// its answer's schema, with the description's own components put in
/// place (the schemas it names by URL are resolved to the local copies).
fn answer_validator(path: &str) -> jsonschema::Validator {
    let openapi: Value =
        serde_json::from_str(&std::fs::read_to_string(super::schema_folder().join("openapi.json")).expect("openapi"))
            .expect("json");
    let mut schema = openapi["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"].clone();
    if path == "/service_at_locations/{id}" {
        // The description names the service schema here, by a slip: its
        // own text, and every HSDS API, answer a service_at_location.
        schema = json!({ "$ref": "https://hsds.test/schema/service_at_location.json" });
    }
    assert!(schema.is_object(), "the OpenAPI description has no answer for {path}");
    inline_components(&mut schema, &openapi);
    validator(&schema)
}

fn inline_components(value: &mut Value, openapi: &Value) {
    match value {
        Value::Object(fields) => {
            if let Some(local) = fields
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix('#'))
            {
                *value = openapi.pointer(local).cloned().expect("a component");
                return inline_components(value, openapi);
            }
            fields.values_mut().for_each(|v| inline_components(v, openapi));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| inline_components(v, openapi)),
        _ => {}
    }
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = app.client.get(format!("{}{path}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("a response");
    let status = response.status();
    let text = response.text().await.expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn get_ok(app: &TestApp, path: &str) -> Value {
    let (status, body) = get(app, path, None).await;
    assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
    body
}

/// Checks `body` against the OpenAPI answer of `spec_path`.
fn assert_valid(spec_path: &str, asked: &str, body: &Value) {
    let validator = answer_validator(spec_path);
    if let Some(error) = validator.iter_errors(body).next() {
        panic!(
            "GET {asked} does not answer as {spec_path} specifies: at {}: {error}",
            error.instance_path()
        );
    }
}

both!(
    every_endpoint_answers_as_the_openapi_description_says,
    |app| async move {
        let about = get_ok(&app, "/hsds/").await;
        assert_valid("/", "/hsds/", &about);
        assert_eq!(about["version"], "3.1");
        let (status, openapi) = get(&app, "/hsds/openapi.json", None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(openapi["paths"]["/services"].is_object());

        let services = get_ok(&app, "/hsds/services").await;
        assert_valid("/services", "/hsds/services", &services);
        let full = get_ok(&app, "/hsds/services?full=true&per_page=50").await;
        assert_valid("/services", "/hsds/services?full=true", &full);
        let service_id = services["contents"][0]["id"].as_str().expect("a service id");
        let service = get_ok(&app, &format!("/hsds/services/{service_id}")).await;
        assert_valid("/services/{id}", "/hsds/services/{id}", &service);
        assert!(
            service["organization"].is_object(),
            "a service by id is whole: {service}"
        );

        let organizations = get_ok(&app, "/hsds/organizations").await;
        assert_valid("/organizations", "/hsds/organizations", &organizations);
        let organization_id = organizations["contents"][0]["id"].as_str().expect("an organization id");
        let organization = get_ok(&app, &format!("/hsds/organizations/{organization_id}")).await;
        assert_valid("/organizations/{id}", "/hsds/organizations/{id}", &organization);

        let links = get_ok(&app, "/hsds/service_at_locations?full=true").await;
        assert_valid("/service_at_locations", "/hsds/service_at_locations", &links);
        let link_id = links["contents"][0]["id"].as_str().expect("a link id");
        let link = get_ok(&app, &format!("/hsds/service_at_locations/{link_id}")).await;
        assert_valid("/service_at_locations/{id}", "/hsds/service_at_locations/{id}", &link);
        assert!(link["location"].is_object());

        let taxonomies = get_ok(&app, "/hsds/taxonomies").await;
        assert_valid("/taxonomies", "/hsds/taxonomies", &taxonomies);
        let taxonomy_id = taxonomies["contents"][0]["id"].as_str().expect("a taxonomy id");
        let taxonomy = get_ok(&app, &format!("/hsds/taxonomies/{taxonomy_id}")).await;
        assert_valid("/taxonomies/{id}", "/hsds/taxonomies/{id}", &taxonomy);

        let terms = get_ok(&app, &format!("/hsds/taxonomy_terms?taxonomy_id={taxonomy_id}")).await;
        assert_valid("/taxonomy_terms", "/hsds/taxonomy_terms", &terms);
        assert!(
            terms["contents"]
                .as_array()
                .is_some_and(|t| t.iter().all(|t| t["taxonomy_id"] == taxonomy_id))
        );
        let term_id = terms["contents"][0]["id"].as_str().expect("a term id");
        let term = get_ok(&app, &format!("/hsds/taxonomy_terms/{term_id}")).await;
        assert_valid("/taxonomy_terms/{id}", "/hsds/taxonomy_terms/{id}", &term);
    }
);

both!(a_search_answers_a_page_as_hsds_specifies, |app| async move {
    let page = get_ok(
        &app,
        "/hsds/services?search=%D0%BA%D1%80%D0%B8%D0%B7%D0%B8%D1%81&per_page=2",
    )
    .await;
    assert_valid("/services", "/hsds/services?search=…", &page);
    assert_eq!(page["total_items"], 3, "{page}");
    assert_eq!(page["total_pages"], 2);
    assert_eq!(page["page_number"], 1);
    assert_eq!(page["size"], 2);
    assert_eq!(page["first_page"], true);
    assert_eq!(page["last_page"], false);
    assert_eq!(page["empty"], false);
    let second = get_ok(
        &app,
        "/hsds/services?search=%D0%BA%D1%80%D0%B8%D0%B7%D0%B8%D1%81&per_page=2&page=2",
    )
    .await;
    assert_eq!(second["size"], 1);
    assert_eq!(second["last_page"], true);
    let beyond = get_ok(
        &app,
        "/hsds/services?search=%D0%BA%D1%80%D0%B8%D0%B7%D0%B8%D1%81&per_page=2&page=9",
    )
    .await;
    assert_eq!(beyond["empty"], true);
    assert_eq!(beyond["contents"], json!([]));
    let five = get_ok(&app, "/hsds/services?search=%D0%B4%D0%B5%D1%82&per_page=5").await;
    assert_valid("/services", "/hsds/services?search=дет&per_page=5", &five);
    assert_eq!(five["size"], 5);
});

both!(parameters_combine_with_and, |app| async move {
    let all = get_ok(&app, "/hsds/services?per_page=100").await;
    let total = all["total_items"].as_u64().expect("total");
    assert_eq!(total, 50);
    // A category's term, as the taxonomy endpoint publishes it.
    let categories = get_ok(&app, "/hsds/taxonomy_terms?search=shelter&per_page=100").await;
    let shelter = categories["contents"]
        .as_array()
        .expect("terms")
        .iter()
        .find(|t| t["taxonomy"] == "kamkor-service-category" && t["code"] == "shelter")
        .expect("the shelter term")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let shelters = get_ok(&app, &format!("/hsds/services?taxonomy_term_id={shelter}&per_page=100")).await;
    let shelter_count = shelters["total_items"].as_u64().expect("count");
    assert!(shelter_count > 0 && shelter_count < total);
    let organization = shelters["contents"][0]["organization_id"]
        .as_str()
        .expect("organization")
        .to_owned();
    let both = get_ok(
        &app,
        &format!("/hsds/services?taxonomy_term_id={shelter}&organization_id={organization}&per_page=100"),
    )
    .await;
    let both_count = both["total_items"].as_u64().expect("count");
    assert!(both_count >= 1 && both_count <= shelter_count);
    for service in both["contents"].as_array().expect("contents") {
        assert_eq!(service["organization_id"], organization.as_str());
    }
    let none = get_ok(
        &app,
        &format!("/hsds/services?taxonomy_term_id={shelter}&modified_after=2999-01-01"),
    )
    .await;
    assert_eq!(none["total_items"], 0);
    let minimal = get_ok(&app, "/hsds/services?minimal=true&per_page=3").await;
    for service in minimal["contents"].as_array().expect("contents") {
        let keys: Vec<&String> = service.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["id", "last_modified"]);
    }
    // format=ndjson: the whole list, a service a line, no page.
    let response = app
        .client
        .get(format!(
            "{}/hsds/services?format=ndjson&taxonomy_term_id={shelter}",
            app.address
        ))
        .send()
        .await
        .expect("response");
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let text = response.text().await.expect("text");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len() as u64, shelter_count);
});

both!(bad_parameters_get_400_and_unknown_ids_404, |app| async move {
    for (path, says) in [
        ("/hsds/services?per_page=0", "per_page"),
        ("/hsds/services?per_page=101", "per_page"),
        ("/hsds/services?page=abc", "page"),
        ("/hsds/services?postcode=720000", "postcode is not a parameter"),
        ("/hsds/services?organization_id=42", "organization_id"),
        ("/hsds/services?modified_after=yesterday", "modified_after"),
        ("/hsds/services?minimal=maybe", "minimal"),
        ("/hsds/services?minimal=true&full=true", "exclude"),
        ("/hsds/services?format=xml", "format"),
        (
            "/hsds/services?taxonomy_term_id=5b1ff3c8-0d9d-4e5e-9b73-1bd4b8fb0c55",
            "no term",
        ),
        ("/hsds/services?page=1&page=2", "twice"),
        ("/hsds/services/not-a-uuid", "not a UUID"),
        (
            "/hsds/taxonomy_terms?taxonomy_id=5b1ff3c8-0d9d-4e5e-9b73-1bd4b8fb0c55",
            "no taxonomy",
        ),
    ] {
        let (status, body) = get(&app, path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{path}: {message}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
    let unknown = "5b1ff3c8-0d9d-4e5e-9b73-1bd4b8fb0c55";
    for endpoint in [
        "services",
        "organizations",
        "service_at_locations",
        "taxonomies",
        "taxonomy_terms",
    ] {
        let (status, body) = get(&app, &format!("/hsds/{endpoint}/{unknown}"), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{endpoint}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    }
    let (status, _) = get(&app, "/hsds/programs", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let post = app
        .client
        .post(format!("{}/hsds/services", app.address))
        .body("{}")
        .send()
        .await
        .expect("response");
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.headers()["allow"], "GET");
});

both!(
    anonymous_callers_never_locate_a_shelter_partners_do,
    configure = with_tokens,
    |app| async move {
        let partner = token("partner", "hotline-111", &[]);
        let confidential = |services: &Value| -> Vec<Value> {
            let mut found = Vec::new();
            for service in services["contents"].as_array().into_iter().flatten() {
                for link in service["service_at_locations"].as_array().into_iter().flatten() {
                    let location = &link["location"];
                    let secret = location["attributes"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|a| a["taxonomy_term"]["code"] == "confidential_address"));
                    if secret {
                        found.push(location.clone());
                    }
                }
            }
            found
        };
        let anonymous = get_ok(&app, "/hsds/services?full=true&per_page=100").await;
        let hidden = confidential(&anonymous);
        assert!(!hidden.is_empty());
        for location in &hidden {
            assert_eq!(location["location_type"], "virtual");
            for field in ["addresses", "latitude", "longitude", "phones", "contacts"] {
                assert!(
                    location.get(field).is_none(),
                    "an anonymous caller sees a shelter's {field}: {location}"
                );
            }
        }
        let (status, seen) = get(&app, "/hsds/services?full=true&per_page=100", Some(&partner)).await;
        assert_eq!(status, StatusCode::OK);
        let shown = confidential(&seen);
        assert!(
            shown
                .iter()
                .all(|l| l["location_type"] == "physical" && l["addresses"].is_array()),
            "{shown:?}"
        );
        // The same rule for a location reached any other way.
        let links = get_ok(&app, "/hsds/service_at_locations?full=true&per_page=100").await;
        let text = serde_json::to_string(&links).expect("json");
        for location in &shown {
            let address = location["addresses"][0]["address_1"].as_str().expect("address");
            assert!(!text.contains(address), "a shelter's address in an anonymous answer");
        }
        let (status, _) = get(&app, "/hsds/services", Some("not-a-token")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
);

both!(
    the_rate_limit_and_compression_apply,
    configure = |s| s.rate_limit.anonymous_per_minute = 100,
    |app| async move {
        let mut limited = None;
        for _ in 0..20 {
            let response = app
                .client
                .get(format!("{}/hsds/services?per_page=50", app.address))
                .send()
                .await
                .expect("response");
            if response.status() == StatusCode::TOO_MANY_REQUESTS {
                limited = Some(response);
                break;
            }
        }
        let limited = limited.expect("a client asking for too much is slowed down");
        assert!(limited.headers().contains_key("retry-after"));
        let body: Value = limited.json().await.expect("json");
        assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    }
);

both!(answers_are_compressed_for_clients_that_ask, |app| async move {
    let response = app
        .client
        .get(format!("{}/hsds/services?full=true&per_page=50", app.address))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-encoding"], "gzip");
});

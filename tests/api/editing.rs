//! Authenticated editing, as a registry admin and a centre manager keep the
//! registry true: creating, linking, counting, seeing the change in
//! `findHelp` and in the audit trail; validation, archiving, conflicts.

use serde_json::{Value, json};

use crate::{
    both,
    fixture::Fixture,
    helpers::{token, with_tokens},
};

const SET_CAPACITY: &str = r#"mutation($id: ID!, $available: Int!, $version: Int!) {
  setCapacity(input: { capacityId: $id, available: $available, expectedVersion: $version }) {
    capacity { id available maximum version updated centre { id } } } }"#;

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_default()
}

both!(
    an_admin_builds_and_a_manager_counts,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Ырыскелди").await;
        let manager = token("centre_manager", "manager@yryskeldi", &[&f.centre]);

        let counted = app
            .data_as(
                &manager,
                SET_CAPACITY,
                json!({ "id": f.capacity, "available": 7, "version": 1 }),
            )
            .await;
        let capacity = &counted["setCapacity"]["capacity"];
        assert_eq!(capacity["available"], 7);
        assert_eq!(capacity["version"], 2);
        assert_eq!(capacity["centre"]["id"], f.centre.as_str());

        // The count is what findHelp sees, at once, for anyone.
        let found = app
        .data(
            r#"{ findHelp(need: { text: "Ырыскелди" }) { nodes { availablePlaces centre { id } capacity { version } } } }"#,
            json!({}),
        )
        .await;
        let matches = found["findHelp"]["nodes"].as_array().cloned().unwrap_or_default();
        assert_eq!(matches.len(), 1, "{found:#}");
        assert_eq!(matches[0]["availablePlaces"], 7);

        // The audit trail tells who did what.
        let audit = app
        .data_as(
            &admin,
            r#"query($id: ID!) { auditLog(filter: { entityId: $id }) { totalCount nodes { action actor actorRole entityId
                 changes { field old new } } } }"#,
            json!({ "id": f.capacity }),
        )
        .await;
        let entries = audit["auditLog"]["nodes"].as_array().cloned().unwrap_or_default();
        assert_eq!(entries.len(), 2, "{audit:#}");
        assert_eq!(entries[0]["action"], "SET_CAPACITY");
        assert_eq!(entries[0]["actor"], "manager@yryskeldi");
        assert_eq!(entries[0]["actorRole"], "centre_manager");
        assert_eq!(entries[0]["entityId"], f.capacity.as_str());
        let available = entries[0]["changes"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["field"] == "available"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            (available["old"].clone(), available["new"].clone()),
            (json!(3), json!(7))
        );
        assert_eq!(entries[1]["action"], "CREATE");
        assert_eq!(entries[1]["actor"], "registry-admin");
        let history = app
            .data_as(
                &admin,
                "query($id: ID!) { capacityHistory(capacityId: $id) { available maximum actor } }",
                json!({ "id": f.capacity }),
            )
            .await;
        let counts: Vec<i64> = history["capacityHistory"]
            .as_array()
            .map(|h| h.iter().filter_map(|e| e["available"].as_i64()).collect())
            .unwrap_or_default();
        assert_eq!(counts, [3, 7]);

        // Another centre's manager may not count here, nor read the trail.
        let stranger = token("centre_manager", "manager@elsewhere", &[]);
        let refused = app
            .query_as(
                &stranger,
                SET_CAPACITY,
                json!({ "id": f.capacity, "available": 1, "version": 2 }),
            )
            .await;
        assert_eq!(code(&refused), "FORBIDDEN");
        let refused = app.query_as(&manager, "{ auditLog { totalCount } }", json!({})).await;
        assert_eq!(code(&refused), "FORBIDDEN");

        // A count taken from a stale version changes nothing and says what is current.
        let stale = app
            .query_as(
                &manager,
                SET_CAPACITY,
                json!({ "id": f.capacity, "available": 0, "version": 1 }),
            )
            .await;
        assert_eq!(code(&stale), "CONFLICT");
        let extensions = &stale["errors"][0]["extensions"];
        assert_eq!(extensions["currentVersion"], 2);
        assert_eq!(extensions["current"]["available"], 7);
        let now = app
            .data(
                "query($id: ID!) { node(id: $id) { ... on Capacity { available version } } }",
                json!({ "id": f.capacity }),
            )
            .await;
        assert_eq!(
            (now["node"]["available"].clone(), now["node"]["version"].clone()),
            (json!(7), json!(2))
        );
    }
);

both!(
    inputs_are_checked_field_by_field,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Текшерүү").await;
        let body = app
            .query_as(
                &admin,
                r#"mutation($org: ID!) { createCentre(input: { organizationId: $org, kind: CRISIS,
                 name: { ky: "  ", en: "Only English" }, areaCode: "KG-NOWHERE",
                 latitude: 55.75, longitude: 37.61, ageMin: 12, ageMax: 5,
                 email: "not-an-email", phones: [{ number: "call me", kind: OFFICE }],
                 languages: ["Kyrgyz"], description: { ky: "x", ru: "y", en: "bad\u0000char" } }) { centre { id } } }"#,
                json!({ "org": f.organization }),
            )
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body:#}");
        let fields: Vec<&str> = body["errors"][0]["extensions"]["fields"]
            .as_array()
            .map(|f| f.iter().filter_map(|p| p["field"].as_str()).collect())
            .unwrap_or_default();
        // The unknown area is reported first (it is looked up); the rest together.
        assert_eq!(fields, ["areaCode"], "{body:#}");
        let body = app
            .query_as(
                &admin,
                r#"mutation($org: ID!) { createCentre(input: { organizationId: $org, kind: CRISIS,
                 name: { ky: "  ", en: "Only English" }, areaCode: "KG-GB",
                 latitude: 55.75, longitude: 37.61, ageMin: 12, ageMax: 5,
                 email: "not-an-email", phones: [{ number: "call me", kind: OFFICE }],
                 languages: ["Kyrgyz"], description: { ky: "x", ru: "y", en: "bad\u0000char" } }) { centre { id } } }"#,
                json!({ "org": f.organization }),
            )
            .await;
        let fields: Vec<&str> = body["errors"][0]["extensions"]["fields"]
            .as_array()
            .map(|f| f.iter().filter_map(|p| p["field"].as_str()).collect())
            .unwrap_or_default();
        for expected in [
            "name.ky",
            "name.ru",
            "latitude",
            "longitude",
            "ageMin",
            "email",
            "phones.0.number",
            "languages",
            "description.en",
        ] {
            assert!(fields.contains(&expected), "{expected} missing from {fields:?}");
        }
        let long_name = "ы".repeat(201);
        let body = app
        .query_as(
            &admin,
            r#"mutation($name: String!) { createOrganization(input: { kind: NGO, name: { ky: $name, ru: "Б" }, website: "ftp://x" }) { organization { id } } }"#,
            json!({ "name": long_name }),
        )
        .await;
        let fields = body["errors"][0]["extensions"]["fields"].to_string();
        assert!(fields.contains("name.ky") && fields.contains("website"), "{body:#}");

        let counts = [
            (json!({ "id": f.capacity, "available": 11, "version": 1 }), "available"),
            (json!({ "id": f.capacity, "available": -1, "version": 1 }), "available"),
        ];
        for (variables, field) in counts {
            let body = app.query_as(&admin, SET_CAPACITY, variables).await;
            assert_eq!(code(&body), "BAD_USER_INPUT");
            assert_eq!(body["errors"][0]["extensions"]["fields"][0]["field"], field);
        }
        let benefit = app
        .query_as(
            &admin,
            r#"mutation($org: ID!) { createService(input: { organizationId: $org, category: CASH_BENEFIT,
                 name: { ky: "Жөлөкпул", ru: "Пособие" }, description: { ky: "Ай сайын", ru: "Ежемесячно" } }) { service { id } } }"#,
            json!({ "org": f.organization }),
        )
        .await;
        assert_eq!(benefit["errors"][0]["extensions"]["fields"][0]["field"], "benefit");
    }
);

both!(
    managers_edit_their_centre_and_archiving_hides_it,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Бакыт").await;
        let manager = token("centre_manager", "manager@bakyt", &[&f.centre]);
        let update = r#"mutation($id: ID!, $version: Int!) { updateCentre(input: { id: $id, expectedVersion: $version,
        name: { ky: "Бакыт үйү", ru: "Дом Бакыт" }, languages: ["ky", "ru", "uz"], ageMax: null }) {
        centre { name(lang: RU) languages ageMax version } } }"#;
        let updated = app
            .data_as(&manager, update, json!({ "id": f.centre, "version": 1 }))
            .await;
        let centre = &updated["updateCentre"]["centre"];
        assert_eq!(centre["name"], "Дом Бакыт");
        assert_eq!(centre["languages"], json!(["ky", "ru", "uz"]));
        assert!(centre["ageMax"].is_null());
        assert_eq!(centre["version"], 2);
        // Moving the centre to another organization is for admins.
        let other = app
            .data_as(&admin, crate::fixture::CREATE_ORGANIZATION, json!({ "name": "Башка" }))
            .await;
        let other = other["createOrganization"]["organization"]["id"].clone();
        let moving = r#"mutation($id: ID!, $org: ID!) { updateCentre(input: { id: $id, expectedVersion: 2, organizationId: $org }) {
        centre { organization { id } } } }"#;
        let refused = app
            .query_as(&manager, moving, json!({ "id": f.centre, "org": other }))
            .await;
        assert_eq!(code(&refused), "FORBIDDEN");
        let moved = app
            .data_as(&admin, moving, json!({ "id": f.centre, "org": other }))
            .await;
        assert_eq!(moved["updateCentre"]["centre"]["organization"]["id"], other);

        let archive =
            r#"mutation($id: ID!) { archiveCentre(input: { id: $id, expectedVersion: 3 }) { centre { archivedAt } } }"#;
        assert_eq!(
            code(&app.query_as(&manager, archive, json!({ "id": f.centre })).await),
            "FORBIDDEN"
        );
        let archived = app.data_as(&admin, archive, json!({ "id": f.centre })).await;
        assert!(archived["archiveCentre"]["centre"]["archivedAt"].is_string());
        let public = app
            .query("query($id: ID!) { centre(id: $id) { id } }", json!({ "id": f.centre }))
            .await;
        assert_eq!(code(&public), "NOT_FOUND");
        let listed = app
            .data(
                r#"{ centres(filter: { text: "Бакыт үйү" }) { totalCount } }"#,
                json!({}),
            )
            .await;
        assert_eq!(listed["centres"]["totalCount"], 0);
        let kept = app
            .data_as(
                &admin,
                "query($id: ID!) { centre(id: $id) { archivedAt } }",
                json!({ "id": f.centre }),
            )
            .await;
        assert!(kept["centre"]["archivedAt"].is_string(), "admins still see it");
        let trail = app
            .data_as(
                &admin,
                "query($id: ID!) { auditLog(filter: { entityId: $id }) { nodes { action } } }",
                json!({ "id": f.centre }),
            )
            .await;
        let actions: Vec<&str> = trail["auditLog"]["nodes"]
            .as_array()
            .map(|n| n.iter().filter_map(|e| e["action"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(actions, ["ARCHIVE", "UPDATE", "UPDATE", "CREATE"]);

        // Services come and go at a centre; a removed one can come back.
        let g = Fixture::create(&app, &admin, "Аю").await;
        let manager2 = token("centre_manager", "manager@ayu", &[&g.centre]);
        let remove = r#"mutation($c: ID!, $s: ID!) { removeServiceAtCentre(input: { centreId: $c, serviceId: $s }) { centre { services { id } } } }"#;
        let removed = app
            .data_as(&manager2, remove, json!({ "c": g.centre, "s": g.service }))
            .await;
        assert_eq!(removed["removeServiceAtCentre"]["centre"]["services"], json!([]));
        let add = r#"mutation($c: ID!, $s: ID!) { addServiceAtCentre(input: { centreId: $c, serviceId: $s }) { centre { services { id } } } }"#;
        let added = app
            .data_as(&manager2, add, json!({ "c": g.centre, "s": g.service }))
            .await;
        assert_eq!(
            added["addServiceAtCentre"]["centre"]["services"][0]["id"],
            g.service.as_str()
        );
        let twice = app
            .query_as(&manager2, add, json!({ "c": g.centre, "s": g.service }))
            .await;
        assert_eq!(code(&twice), "CONFLICT");
    }
);

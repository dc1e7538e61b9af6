//! Every mutation (and the admin-only queries) × every role: anonymous
//! callers are UNAUTHENTICATED; partners, and managers of other centres,
//! FORBIDDEN; a centre's managers may edit it, its services and its places;
//! admins may do everything.

use serde_json::{Value, json};

use crate::{
    both,
    fixture::Fixture,
    helpers::{TestApp, token, with_tokens},
};

/// Who may do an operation besides admins.
#[derive(Clone, Copy, PartialEq)]
enum Also {
    Nobody,
    OwnManager,
}

/// An operation on a fixture: its document, variables, and who may run it.
struct Operation {
    name: &'static str,
    document: &'static str,
    variables: fn(&Fixture) -> Value,
    also: Also,
}

fn operations() -> Vec<Operation> {
    use Also::{Nobody, OwnManager};
    vec![
        Operation {
            name: "createOrganization",
            document: r#"mutation { createOrganization(input: { kind: NGO, name: { ky: "Жаңы", ru: "Новая" } }) { organization { id } } }"#,
            variables: |_| json!({}),
            also: Nobody,
        },
        Operation {
            name: "updateOrganization",
            document: r#"mutation($id: ID!) { updateOrganization(input: { id: $id, expectedVersion: 1, email: "a@b.kg" }) { organization { id } } }"#,
            variables: |f| json!({ "id": f.organization }),
            also: Nobody,
        },
        Operation {
            name: "archiveOrganization",
            document: r#"mutation($id: ID!) { archiveOrganization(input: { id: $id, expectedVersion: 1 }) { organization { id } } }"#,
            variables: |f| json!({ "id": f.organization }),
            also: Nobody,
        },
        Operation {
            name: "createCentre",
            document: r#"mutation($org: ID!) { createCentre(input: { organizationId: $org, kind: DAY_CARE, name: { ky: "Борбор", ru: "Центр" }, areaCode: "KG-GB" }) { centre { id } } }"#,
            variables: |f| json!({ "org": f.organization }),
            also: Nobody,
        },
        Operation {
            name: "updateCentre",
            document: r#"mutation($id: ID!) { updateCentre(input: { id: $id, expectedVersion: 1, status: TEMPORARILY_CLOSED }) { centre { id } } }"#,
            variables: |f| json!({ "id": f.centre }),
            also: OwnManager,
        },
        Operation {
            name: "archiveCentre",
            document: r#"mutation($id: ID!) { archiveCentre(input: { id: $id, expectedVersion: 1 }) { centre { id } } }"#,
            variables: |f| json!({ "id": f.centre }),
            also: Nobody,
        },
        Operation {
            name: "createService",
            document: r#"mutation($org: ID!) { createService(input: { organizationId: $org, category: LEGAL_AID, name: { ky: "Кеңеш", ru: "Совет" }, description: { ky: "Кеңеш", ru: "Совет" } }) { service { id } } }"#,
            variables: |f| json!({ "org": f.organization }),
            also: Nobody,
        },
        Operation {
            name: "updateService",
            document: r#"mutation($id: ID!) { updateService(input: { id: $id, expectedVersion: 1, ageMin: 3 }) { service { id } } }"#,
            variables: |f| json!({ "id": f.service }),
            also: Nobody,
        },
        Operation {
            name: "archiveService",
            document: r#"mutation($id: ID!) { archiveService(input: { id: $id, expectedVersion: 1 }) { service { id } } }"#,
            variables: |f| json!({ "id": f.service }),
            also: Nobody,
        },
        Operation {
            name: "addServiceAtCentre",
            document: r#"mutation($c: ID!, $s: ID!) { addServiceAtCentre(input: { centreId: $c, serviceId: $s }) { centre { id } } }"#,
            variables: |f| json!({ "c": f.centre, "s": f.other_service }),
            also: OwnManager,
        },
        Operation {
            name: "removeServiceAtCentre",
            document: r#"mutation($c: ID!, $s: ID!) { removeServiceAtCentre(input: { centreId: $c, serviceId: $s }) { centre { id } } }"#,
            variables: |f| json!({ "c": f.centre, "s": f.service }),
            also: OwnManager,
        },
        Operation {
            name: "createCapacity",
            document: r#"mutation($c: ID!, $s: ID!) { createCapacity(input: { centreId: $c, serviceId: $s, unit: PLACE, maximum: 5, available: 5 }) { capacity { id } } }"#,
            variables: |f| json!({ "c": f.centre, "s": f.other_service }),
            also: OwnManager,
        },
        Operation {
            name: "updateCapacity",
            document: r#"mutation($id: ID!) { updateCapacity(input: { capacityId: $id, expectedVersion: 1, maximum: 12 }) { capacity { id } } }"#,
            variables: |f| json!({ "id": f.capacity }),
            also: OwnManager,
        },
        Operation {
            name: "setCapacity",
            document: r#"mutation($id: ID!) { setCapacity(input: { capacityId: $id, available: 2, expectedVersion: 1 }) { capacity { id } } }"#,
            variables: |f| json!({ "id": f.capacity }),
            also: OwnManager,
        },
        Operation {
            name: "setCapacities",
            document: r#"mutation($id: ID!) { setCapacities(input: { counts: [{ capacityId: $id, available: 1, expectedVersion: 1 }] }) { capacities { id } } }"#,
            variables: |f| json!({ "id": f.capacity }),
            also: OwnManager,
        },
        Operation {
            name: "auditLog",
            document: r#"query($id: ID!) { auditLog(filter: { entityId: $id }) { totalCount } }"#,
            variables: |f| json!({ "id": f.centre }),
            also: Nobody,
        },
        Operation {
            name: "capacityHistory",
            document: r#"query($id: ID!) { capacityHistory(capacityId: $id) { available } }"#,
            variables: |f| json!({ "id": f.capacity }),
            also: Nobody,
        },
    ]
}

/// Setting up the operations a case needs before it runs: addServiceAtCentre
/// and createCapacity use the second service, which must first be offered
/// for createCapacity.
async fn prepare(app: &TestApp, admin: &str, operation: &str, f: &Fixture) {
    if operation == "createCapacity" {
        app.data_as(
            admin,
            crate::fixture::ADD_SERVICE_AT_CENTRE,
            json!({ "centre": f.centre, "service": f.other_service }),
        )
        .await;
    }
}

both!(
    every_operation_by_every_role,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        for (i, op) in operations().into_iter().enumerate() {
            let f = Fixture::create(&app, &admin, &format!("Матрица {i}")).await;
            prepare(&app, &admin, op.name, &f).await;
            let variables = (op.variables)(&f);
            let own = token("centre_manager", "manager@own", &[&f.centre]);
            let denied = [
                (None, "UNAUTHENTICATED"),
                (Some(token("partner", "hotline", &[])), "FORBIDDEN"),
                (Some(token("centre_manager", "manager@other", &[])), "FORBIDDEN"),
            ];
            for (who, expected) in denied {
                let body = match &who {
                    None => app.query(op.document, variables.clone()).await,
                    Some(t) => app.query_as(t, op.document, variables.clone()).await,
                };
                assert_eq!(
                    body["errors"][0]["extensions"]["code"],
                    expected,
                    "{} by {}: {body}",
                    op.name,
                    if who.is_none() {
                        "anonymous"
                    } else {
                        "a partner or another manager"
                    }
                );
            }
            let body = app.query_as(&own, op.document, variables.clone()).await;
            match op.also {
                Also::OwnManager => assert!(body.get("errors").is_none(), "{} by its manager: {body}", op.name),
                Also::Nobody => assert_eq!(
                    body["errors"][0]["extensions"]["code"], "FORBIDDEN",
                    "{}: {body}",
                    op.name
                ),
            }
            // Admins may do everything (on a fresh fixture, since the manager may
            // have done it already).
            let g = Fixture::create(&app, &admin, &format!("Матрица {i} admin")).await;
            prepare(&app, &admin, op.name, &g).await;
            let body = app.query_as(&admin, op.document, (op.variables)(&g)).await;
            assert!(body.get("errors").is_none(), "{} by an admin: {body}", op.name);
        }
    }
);

//! Holds always end: archiving anything the held places belong to cancels
//! the holds on them, and one hold that cannot expire never keeps the
//! others from expiring.

use std::time::Duration;

use entity::enums::AuditAction;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::{
    both,
    fixture::{Fixture, archive_service},
    helpers::{Backend, TestApp, token, with_tokens},
    holds::{HOLD, audited, make_due},
    ws::WsClient,
};

const SEE: &str = r#"query($id: ID!) { hold(id: $id) { status endedBy capacity { available } } }"#;

const RELEASE: &str = r#"mutation($id: ID!) { releaseHold(id: $id) { hold { status } } }"#;

/// Holds `places` at the fixture's capacity as `holder`; the hold's id.
async fn hold(app: &TestApp, holder: &str, f: &Fixture, places: i32, reference: &str) -> String {
    let held = app
        .data_as(
            holder,
            HOLD,
            json!({ "capacity": f.capacity, "places": places, "minutes": 1, "reference": reference }),
        )
        .await;
    held["holdPlace"]["hold"]["id"].as_str().expect("an id").to_owned()
}

/// The hold as an admin sees it.
async fn seen(app: &TestApp, admin: &str, id: &str) -> Value {
    app.data_as(admin, SEE, json!({ "id": id })).await["hold"].clone()
}

/// Waits until the hold has the status, as the sweeper runs every second.
async fn until_status(app: &TestApp, admin: &str, id: &str, status: &str) -> Value {
    for _ in 0..50 {
        let hold = seen(app, admin, id).await;
        if hold["status"] == status {
            return hold;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("hold {id} never became {status}: {:#}", seen(app, admin, id).await);
}

/// Archives what the fixture's places belong to, one of three ways.
async fn archive(app: &TestApp, admin: &str, f: &Fixture, parent: &str) {
    match parent {
        "service at centre" => {
            app.data_as(
                admin,
                r#"mutation($c: ID!, $s: ID!) { removeServiceAtCentre(input: { centreId: $c, serviceId: $s }) { centre { id } } }"#,
                json!({ "c": f.centre, "s": f.service }),
            )
            .await;
        }
        "centre" => {
            let version = app
                .data_as(
                    admin,
                    "query($id: ID!) { node(id: $id) { ... on Centre { version } } }",
                    json!({ "id": f.centre }),
                )
                .await["node"]["version"]
                .clone();
            app.data_as(
                admin,
                "mutation($id: ID!, $v: Int!) { archiveCentre(input: { id: $id, expectedVersion: $v }) { centre { id } } }",
                json!({ "id": f.centre, "v": version }),
            )
            .await;
        }
        _ => archive_service(app, admin, &f.service).await,
    }
}

both!(
    removing_a_held_service_at_a_centre_stops_no_other_hold_from_expiring,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let removed = Fixture::create(&app, &admin, "Алынган").await;
        let elsewhere = Fixture::create(&app, &admin, "Башка жерде").await;
        let manager = token("centre_manager", "manager", &[removed.centre.as_str()]);
        let hotline = token("partner", "hotline-111", &[]);
        let first = hold(&app, &hotline, &removed, 2, "case-1").await;
        let second = hold(&app, &hotline, &elsewhere, 1, "case-2").await;
        // The centre's own manager stops offering the service.
        app.data_as(
            &manager,
            r#"mutation($c: ID!, $s: ID!) { removeServiceAtCentre(input: { centreId: $c, serviceId: $s }) { centre { id } } }"#,
            json!({ "c": removed.centre, "s": removed.service }),
        )
        .await;
        let cancelled = seen(&app, &admin, &first).await;
        assert_eq!(cancelled["status"], "CANCELLED");
        assert_eq!(cancelled["endedBy"], "manager");
        assert_eq!(cancelled["capacity"]["available"], 3, "its places went back");
        // Its holder finds it ended, not broken.
        let late = app.query_as(&hotline, RELEASE, json!({ "id": first })).await;
        assert_eq!(late["errors"][0]["extensions"]["code"], "CONFLICT", "{late:#}");
        // Every other hold still expires when due.
        make_due(&app.db).await;
        let expired = until_status(&app, &admin, &second, "EXPIRED").await;
        assert_eq!(expired["capacity"]["available"], 3);
        assert_eq!(audited(&app.db, AuditAction::Cancel).await, 1);
        assert_eq!(audited(&app.db, AuditAction::Expire).await, 1);
    }
);

both!(
    archiving_any_parent_of_held_places_cancels_their_holds,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let hotline = token("partner", "hotline-111", &[]);
        for (i, parent) in ["service at centre", "centre", "service"].into_iter().enumerate() {
            let f = Fixture::create(&app, &admin, &format!("Ата-эне {i}")).await;
            let id = hold(&app, &hotline, &f, 2, "case").await;
            let mut subscriber = WsClient::hearing_centre(&app.graphql_url(), Some(&admin), &f.centre).await;
            archive(&app, &admin, &f, parent).await;
            let event = subscriber.next_payload("1").await;
            assert_eq!(event["data"]["capacityChanged"]["available"], 3, "{parent}");
            let cancelled = seen(&app, &admin, &id).await;
            assert_eq!(cancelled["status"], "CANCELLED", "{parent}");
            assert_eq!(cancelled["endedBy"], "registry-admin", "{parent}");
            assert_eq!(cancelled["capacity"]["available"], 3, "{parent}");
            let log = app
                .data_as(
                    &admin,
                    "query($id: ID!) { auditLog(filter: { entityId: $id }) { nodes { action actor actorIssuer } } }",
                    json!({ "id": id }),
                )
                .await;
            assert_eq!(
                log["auditLog"]["nodes"][0],
                json!({ "action": "CANCEL", "actor": "registry-admin", "actorIssuer": "kamkor" }),
                "{parent}"
            );
        }
        assert_eq!(audited(&app.db, AuditAction::Cancel).await, 3);
    }
);

/// Makes every ending of the holds whose reference is `stuck` fail, as a
/// fault in one hold's data would.
async fn make_stuck(app: &TestApp, backend: Backend) {
    let statements: &[&str] = match backend {
        Backend::Sqlite => &[
            "CREATE TRIGGER stuck BEFORE UPDATE ON hold WHEN OLD.reference = 'stuck' AND NEW.status <> OLD.status \
             BEGIN SELECT RAISE(ABORT, 'this hold is stuck'); END",
        ],
        Backend::Postgres => &[
            "CREATE FUNCTION stuck() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'this hold is stuck'; END $$",
            "CREATE TRIGGER stuck BEFORE UPDATE ON hold FOR EACH ROW \
             WHEN (OLD.reference = 'stuck' AND NEW.status <> OLD.status) EXECUTE FUNCTION stuck()",
        ],
    };
    for statement in statements {
        app.db.execute_unprepared(statement).await.expect("a trigger");
    }
}

async fn unstick(app: &TestApp, backend: Backend) {
    let statement = match backend {
        Backend::Sqlite => "DROP TRIGGER stuck",
        Backend::Postgres => "DROP TRIGGER stuck ON hold",
    };
    app.db.execute_unprepared(statement).await.expect("dropped");
}

async fn one_hold_that_cannot_expire_holds_up_no_other(app: TestApp, backend: Backend) {
    let admin = token("admin", "registry-admin", &[]);
    let hotline = token("partner", "hotline-111", &[]);
    let a = Fixture::create(&app, &admin, "Тыгылган").await;
    let b = Fixture::create(&app, &admin, "Эркин").await;
    let stuck = hold(&app, &hotline, &a, 1, "stuck").await;
    let free = hold(&app, &hotline, &b, 1, "free").await;
    make_stuck(&app, backend).await;
    make_due(&app.db).await;
    until_status(&app, &admin, &free, "EXPIRED").await;
    assert_eq!(seen(&app, &admin, &stuck).await["status"], "HELD");
    // Once whatever kept it is gone, it expires too, at the next sweep.
    unstick(&app, backend).await;
    let expired = until_status(&app, &admin, &stuck, "EXPIRED").await;
    assert_eq!(expired["capacity"]["available"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hold_that_cannot_expire_holds_up_no_other_sqlite() {
    let app = TestApp::spawn_with(Backend::Sqlite, with_tokens).await.expect("sqlite");
    one_hold_that_cannot_expire_holds_up_no_other(app, Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hold_that_cannot_expire_holds_up_no_other_postgres() {
    let Some(app) = TestApp::spawn_with(Backend::Postgres, with_tokens).await else {
        return;
    };
    one_hold_that_cannot_expire_holds_up_no_other(app, Backend::Postgres).await;
}

//! Place holds: places taken at once and atomically, given back on release
//! or expiry (exactly once), kept on confirmation; seen only by the holder,
//! the centre's managers and admins.

use std::time::Duration;

use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::{
    both,
    fixture::Fixture,
    helpers::{TestApp, token, with_tokens},
    ws::WsClient,
};

pub const HOLD: &str = r#"mutation($capacity: ID!, $places: Int!, $minutes: Int! = 90, $reference: String) {
  holdPlace(input: { capacityId: $capacity, places: $places, minutes: $minutes, reference: $reference }) {
    hold { id places status reference heldBy expiresAt } capacity { available version } } }"#;

const RELEASE: &str = r#"mutation($id: ID!) { releaseHold(id: $id) {
  hold { status endedBy } capacity { available } } }"#;

const CONFIRM: &str = r#"mutation($id: ID!) { confirmHold(id: $id) {
  hold { status endedBy } capacity { available } } }"#;

const SEE: &str = r#"query($id: ID!) { hold(id: $id) { id reference status } }"#;

async fn available(app: &TestApp, capacity: &str) -> i64 {
    app.data(
        "query($id: ID!) { node(id: $id) { ... on Capacity { available } } }",
        json!({ "id": capacity }),
    )
    .await["node"]["available"]
        .as_i64()
        .expect("available")
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or_default()
}

both!(
    a_hold_takes_places_until_released,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Орун").await;
        let hotline = token("partner", "hotline-111", &[]);
        let held = app
            .data_as(
                &hotline,
                HOLD,
                json!({ "capacity": f.capacity, "places": 2, "reference": "Иш № 2026-113" }),
            )
            .await;
        let hold = &held["holdPlace"]["hold"];
        assert_eq!(hold["status"], "HELD");
        assert_eq!(hold["places"], 2);
        assert_eq!(hold["reference"], "Иш № 2026-113");
        assert_eq!(hold["heldBy"], "hotline-111");
        assert_eq!(held["holdPlace"]["capacity"]["available"], 1);
        assert_eq!(available(&app, &f.capacity).await, 1);
        let id = hold["id"].as_str().expect("id").to_owned();
        let released = app.data_as(&hotline, RELEASE, json!({ "id": id })).await;
        assert_eq!(released["releaseHold"]["hold"]["status"], "RELEASED");
        assert_eq!(released["releaseHold"]["hold"]["endedBy"], "hotline-111");
        assert_eq!(released["releaseHold"]["capacity"]["available"], 3);
        // An ended hold ends once.
        let again = app.query_as(&hotline, RELEASE, json!({ "id": id })).await;
        assert_eq!(code(&again), "CONFLICT", "{again:#}");
        let again = app.query_as(&hotline, CONFIRM, json!({ "id": id })).await;
        assert_eq!(code(&again), "CONFLICT");
        assert_eq!(available(&app, &f.capacity).await, 3);
    }
);

both!(
    a_confirmed_hold_keeps_its_places,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Келди").await;
        let hotline = token("partner", "hotline-111", &[]);
        let held = app
            .data_as(&hotline, HOLD, json!({ "capacity": f.capacity, "places": 1 }))
            .await;
        let id = held["holdPlace"]["hold"]["id"].clone();
        // The centre's manager confirms the child's arrival.
        let manager = token("centre_manager", "manager", &[f.centre.as_str()]);
        let confirmed = app.data_as(&manager, CONFIRM, json!({ "id": id })).await;
        assert_eq!(confirmed["confirmHold"]["hold"]["status"], "CONFIRMED");
        assert_eq!(confirmed["confirmHold"]["hold"]["endedBy"], "manager");
        assert_eq!(confirmed["confirmHold"]["capacity"]["available"], 2);
        assert_eq!(available(&app, &f.capacity).await, 2);
    }
);

both!(holds_are_checked, configure = with_tokens, |app| async move {
    let admin = token("admin", "registry-admin", &[]);
    let f = Fixture::create(&app, &admin, "Текшерүү").await;
    let hotline = token("partner", "hotline-111", &[]);
    let anonymous = app.query(HOLD, json!({ "capacity": f.capacity, "places": 1 })).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    let too_many = app
        .query_as(&hotline, HOLD, json!({ "capacity": f.capacity, "places": 4 }))
        .await;
    assert_eq!(code(&too_many), "CONFLICT", "{too_many:#}");
    assert_eq!(too_many["errors"][0]["extensions"]["current"]["available"], 3);
    let bad = app
        .query_as(
            &hotline,
            HOLD,
            json!({ "capacity": f.capacity, "places": 0, "minutes": 241, "reference": "x".repeat(201) }),
        )
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT");
    let fields: Vec<&str> = bad["errors"][0]["extensions"]["fields"]
        .as_array()
        .map(|f| f.iter().filter_map(|p| p["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["places", "minutes", "reference"]);
    let unknown = app
        .query_as(
            &hotline,
            RELEASE,
            json!({ "id": "SG9sZDowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA" }),
        )
        .await;
    assert_eq!(code(&unknown), "NOT_FOUND");
    assert_eq!(available(&app, &f.capacity).await, 3);
});

both!(
    racing_holds_for_the_last_place_one_wins,
    configure = crate::helpers::with_tokens_for_racers,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Акыркы орун").await;
        crate::subscriptions::count(&app, &admin, &f.capacity, 1).await;
        let racers: Vec<String> = (0..8).map(|i| token("partner", &format!("hotline-{i}"), &[])).collect();
        let attempts = racers.iter().map(|t| {
            let (app, capacity) = (&app, f.capacity.clone());
            async move {
                app.query_as(t, HOLD, json!({ "capacity": capacity, "places": 1 }))
                    .await
            }
        });
        let results = futures::future::join_all(attempts).await;
        let won = results.iter().filter(|r| r.get("errors").is_none()).count();
        let lost = results.iter().filter(|r| code(r) == "CONFLICT").count();
        assert_eq!((won, lost), (1, 7), "{results:#?}");
        assert_eq!(available(&app, &f.capacity).await, 0);
    }
);

both!(
    a_hold_is_seen_by_its_holder_its_centre_and_admins_only,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Купуя").await;
        let other = Fixture::create(&app, &admin, "Башка борбор").await;
        let hotline = token("partner", "hotline-111", &[]);
        let held = app
            .data_as(
                &hotline,
                HOLD,
                json!({ "capacity": f.capacity, "places": 1, "reference": "case-7" }),
            )
            .await;
        let id = held["holdPlace"]["hold"]["id"].as_str().expect("id").to_owned();
        let manager = token("centre_manager", "manager", &[f.centre.as_str()]);
        for who in [&hotline, &admin, &manager] {
            let seen = app.data_as(who, SEE, json!({ "id": id })).await;
            assert_eq!(seen["hold"]["reference"], "case-7");
            let listed = app
                .data_as(
                    who,
                    "{ holds(first: 10) { nodes { id reference } totalCount } }",
                    json!({}),
                )
                .await;
            assert_eq!(listed["holds"]["nodes"][0]["id"], id.as_str());
        }
        let other_partner = token("partner", "case-system", &[]);
        let other_manager = token("centre_manager", "elsewhere", &[other.centre.as_str()]);
        for who in [&other_partner, &other_manager] {
            let seen = app.query_as(who, SEE, json!({ "id": id })).await;
            assert_eq!(code(&seen), "NOT_FOUND", "{seen:#}");
            let node = app
                .data_as(who, "query($id: ID!) { node(id: $id) { id } }", json!({ "id": id }))
                .await;
            assert!(node["node"].is_null());
            let listed = app.data_as(who, "{ holds(first: 10) { totalCount } }", json!({})).await;
            assert_eq!(listed["holds"]["totalCount"], 0);
            let release = app.query_as(who, RELEASE, json!({ "id": id })).await;
            assert_eq!(code(&release), "NOT_FOUND");
        }
        let anonymous = app.query("{ holds(first: 1) { totalCount } }", json!({})).await;
        assert_eq!(code(&anonymous), "UNAUTHENTICATED");
        // The manager filters by centre and state.
        let filtered = app
            .data_as(
                &manager,
                "query($c: ID!) { holds(filter: { centreId: $c, statuses: [HELD] }) { totalCount } }",
                json!({ "c": f.centre }),
            )
            .await;
        assert_eq!(filtered["holds"]["totalCount"], 1);
    }
);

/// Makes every open hold of the test's database due now, as if its minutes
/// had passed.
pub async fn make_due(db: &impl ConnectionTrait) {
    use sea_orm::sea_query::Expr;
    let past = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
    entity::hold::Entity::update_many()
        .col_expr(entity::hold::Column::ExpiresAt, Expr::value(past))
        .filter(entity::hold::Column::Status.eq(entity::enums::HoldStatus::Held))
        .exec(db)
        .await
        .expect("holds made due");
}

use sea_orm::ColumnTrait;

/// The number of audit entries of this action.
pub async fn audited(db: &impl ConnectionTrait, action: entity::enums::AuditAction) -> usize {
    entity::audit_entry::Entity::find()
        .filter(entity::audit_entry::Column::Action.eq(action))
        .all(db)
        .await
        .expect("audit entries")
        .len()
}

both!(
    an_unconfirmed_hold_expires_and_gives_its_places_back_once,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Мөөнөт").await;
        let hotline = token("partner", "hotline-111", &[]);
        let held = app
            .data_as(
                &hotline,
                HOLD,
                json!({ "capacity": f.capacity, "places": 2, "minutes": 1 }),
            )
            .await;
        let id = held["holdPlace"]["hold"]["id"].as_str().expect("id").to_owned();
        let mut subscriber = WsClient::hearing_centre(&app.graphql_url(), None, &f.centre).await;
        make_due(&app.db).await;
        let payload = subscriber.next_payload("1").await;
        assert_eq!(payload["data"]["capacityChanged"]["available"], 3);
        let seen = app.data_as(&hotline, SEE, json!({ "id": id })).await;
        assert_eq!(seen["hold"]["status"], "EXPIRED");
        // Later sweeps find nothing more to do.
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert_eq!(available(&app, &f.capacity).await, 3);
        assert_eq!(audited(&app.db, entity::enums::AuditAction::Expire).await, 1);
        let log = app
            .data_as(
                &admin,
                "query($id: ID!) { auditLog(filter: { entityId: $id }) { nodes { action actor } } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(
            log["auditLog"]["nodes"],
            json!([{ "action": "EXPIRE", "actor": "system" }, { "action": "HOLD", "actor": "hotline-111" }])
        );
        let late = app.query_as(&hotline, RELEASE, json!({ "id": id })).await;
        assert_eq!(code(&late), "CONFLICT");
    }
);

//! Writes never lose each other: of counts racing from the same version
//! exactly one wins; a batch of counts is all or nothing; a write that fails
//! half-way leaves nothing behind, its audit entry included.

use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
use serde_json::json;

use crate::{
    both,
    fixture::Fixture,
    helpers::{token, with_tokens},
};

const SET: &str = r#"mutation($id: ID!, $available: Int!, $version: Int!) {
  setCapacity(input: { capacityId: $id, available: $available, expectedVersion: $version }) { capacity { version } } }"#;

both!(
    exactly_one_of_racing_counts_wins,
    configure = crate::helpers::with_tokens_for_racers,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Жарыш").await;
        let racers = 8;
        for round in 0..10 {
            let version = round + 1;
            let attempts = (0..racers).map(|i| {
                let (app, admin, id) = (&app, &admin, f.capacity.clone());
                async move {
                    app.query_as(admin, SET, json!({ "id": id, "available": i % 10, "version": version }))
                        .await
                }
            });
            let results = futures::future::join_all(attempts).await;
            let won = results.iter().filter(|r| r.get("errors").is_none()).count();
            let lost = results
                .iter()
                .filter(|r| r["errors"][0]["extensions"]["code"] == "CONFLICT")
                .count();
            assert_eq!((won, lost), (1, racers as usize - 1), "round {round}: {results:#?}");
        }
        let events = entity::capacity_event::Entity::find()
            .count(&app.db)
            .await
            .expect("count");
        let demo_events = entity::capacity::Entity::find().count(&app.db).await.expect("count");
        // One event per capacity from its creation, plus one per winning count.
        assert_eq!(events, demo_events + 10);
    }
);

both!(
    a_batch_of_counts_is_all_or_nothing,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Топтом").await;
        let g = Fixture::create(&app, &admin, "Топтом 2").await;
        let batch = r#"mutation($a: ID!, $b: ID!, $va: Int!, $vb: Int!) { setCapacities(input: { counts: [
        { capacityId: $a, available: 2, expectedVersion: $va }, { capacityId: $b, available: 1, expectedVersion: $vb }] }) {
        capacities { available version } } }"#;
        let stale = app
            .query_as(
                &admin,
                batch,
                json!({ "a": f.capacity, "b": g.capacity, "va": 1, "vb": 7 }),
            )
            .await;
        assert_eq!(stale["errors"][0]["extensions"]["code"], "CONFLICT");
        let invalid = app
            .query_as(
                &admin,
                batch.replace("available: 1", "available: 99").as_str(),
                json!({ "a": f.capacity, "b": g.capacity, "va": 1, "vb": 1 }),
            )
            .await;
        assert_eq!(
            invalid["errors"][0]["extensions"]["fields"][0]["field"],
            "counts.1.available"
        );
        for id in [&f.capacity, &g.capacity] {
            let unchanged = app
                .data(
                    "query($id: ID!) { node(id: $id) { ... on Capacity { available version } } }",
                    json!({ "id": id }),
                )
                .await;
            assert_eq!(
                unchanged["node"],
                json!({ "available": 3, "version": 1 }),
                "the first count was rolled back"
            );
        }
        let done = app
            .data_as(
                &admin,
                batch,
                json!({ "a": f.capacity, "b": g.capacity, "va": 1, "vb": 1 }),
            )
            .await;
        assert_eq!(
            done["setCapacities"]["capacities"],
            json!([{ "available": 2, "version": 2 }, { "available": 1, "version": 2 }])
        );
    }
);

both!(
    a_write_that_fails_half_way_leaves_nothing,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Жарым").await;
        let audit_before = entity::audit_entry::Entity::find().count(&app.db).await.expect("count");
        // The history of counts is written after the capacity itself: make it fail.
        app.db
            .execute_unprepared("DROP TABLE capacity_event")
            .await
            .expect("drop");
        let body = app
            .query_as(&admin, SET, json!({ "id": f.capacity, "available": 9, "version": 1 }))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "INTERNAL_SERVER_ERROR",
            "{body}"
        );
        let unchanged = app
            .data(
                "query($id: ID!) { node(id: $id) { ... on Capacity { available version } } }",
                json!({ "id": f.capacity }),
            )
            .await;
        assert_eq!(unchanged["node"], json!({ "available": 3, "version": 1 }));
        let audit_after = entity::audit_entry::Entity::find().count(&app.db).await.expect("count");
        assert_eq!(
            audit_after, audit_before,
            "no audit entry for a write that did not happen"
        );
    }
);

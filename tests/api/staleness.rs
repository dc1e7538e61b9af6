//! Counts nobody has confirmed for longer than the configured period are
//! `stale`: shown as such, ranked after fresh ones, totalled for
//! dashboards and listed for admins to chase.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;

use crate::{
    both,
    fixture::Fixture,
    helpers::{TestApp, token, with_tokens},
    subscriptions::count,
};

/// Backdates the count of `capacity` by `days`.
async fn counted_days_ago(app: &TestApp, capacity: &str, days: i64) {
    let (_, id) = api::graphql::ids::decode(&capacity.into()).expect("an id");
    let then = chrono::Utc::now() - chrono::TimeDelta::days(days);
    entity::capacity::Entity::update_many()
        .col_expr(entity::capacity::Column::Updated, Expr::value(then))
        .filter(entity::capacity::Column::Id.eq(id))
        .exec(&app.db)
        .await
        .expect("backdated");
}

const STALE: &str = "query($id: ID!) { node(id: $id) { ... on Capacity { stale updated } } }";

both!(
    an_old_count_is_stale_until_counted_again,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Эскирген").await;
        let fresh = app.data(STALE, json!({ "id": f.capacity })).await;
        assert_eq!(fresh["node"]["stale"], false);
        counted_days_ago(&app, &f.capacity, 2).await;
        assert_eq!(
            app.data(STALE, json!({ "id": f.capacity })).await["node"]["stale"],
            true
        );
        count(&app, &admin, &f.capacity, 3).await;
        assert_eq!(
            app.data(STALE, json!({ "id": f.capacity })).await["node"]["stale"],
            false
        );
    }
);

both!(
    the_period_is_configurable,
    configure = |s: &mut api::config::Settings| {
        with_tokens(s);
        s.stale_after = std::time::Duration::from_secs(3 * 24 * 3600);
    },
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Үч күн").await;
        counted_days_ago(&app, &f.capacity, 2).await;
        assert_eq!(
            app.data(STALE, json!({ "id": f.capacity })).await["node"]["stale"],
            false
        );
        counted_days_ago(&app, &f.capacity, 4).await;
        assert_eq!(
            app.data(STALE, json!({ "id": f.capacity })).await["node"]["stale"],
            true
        );
    }
);

both!(
    find_help_ranks_fresh_counts_first,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let stale = Fixture::create(&app, &admin, "Тазалык эски").await;
        let fresh = Fixture::create(&app, &admin, "Тазалык жаңы").await;
        count(&app, &admin, &stale.capacity, 9).await;
        count(&app, &admin, &fresh.capacity, 1).await;
        counted_days_ago(&app, &stale.capacity, 3).await;
        let found = app
            .data(
                r#"{ findHelp(need: { text: "Тазалык", availableOnly: true }, first: 10) {
                 nodes { availablePlaces stale capacity { id } } } }"#,
                json!({}),
            )
            .await;
        let nodes = found["findHelp"]["nodes"].as_array().cloned().unwrap_or_default();
        let ranked: Vec<(i64, bool)> = nodes
            .iter()
            .map(|n| (n["availablePlaces"].as_i64().unwrap_or(-1), n["stale"] == true))
            .collect();
        // One place counted today before nine counted three days ago.
        assert_eq!(ranked, [(1, false), (9, true)], "{found:#}");
    }
);

both!(
    dashboards_count_stale_counts,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Санак").await;
        counted_days_ago(&app, &f.capacity, 5).await;
        let overview = app
        .data(
            "{ capacityOverview(groupBy: CATEGORY) { total { capacities staleCapacities } groups { totals { staleCapacities } } } }",
            json!({}),
        )
        .await;
        let total = &overview["capacityOverview"]["total"];
        let stale = total["staleCapacities"].as_i64().expect("a number");
        // The demo data has some counts older than a day, and the fixture's.
        let per_group: i64 = overview["capacityOverview"]["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| g["totals"]["staleCapacities"].as_i64().unwrap_or(0))
            .sum();
        assert_eq!(per_group, stale);
        let stale_in_db = entity::capacity::Entity::find()
            .filter(entity::capacity::Column::Updated.lt(chrono::Utc::now() - chrono::TimeDelta::hours(24)))
            .all(&app.db)
            .await
            .expect("capacities")
            .len() as i64;
        assert!(stale >= 1 && stale <= stale_in_db, "{stale} of {stale_in_db}");
        assert!(stale < total["capacities"].as_i64().unwrap_or(0));
    }
);

both!(
    admins_see_the_centres_to_call_oldest_first,
    configure = with_tokens,
    |app| async move {
        let admin = token("admin", "registry-admin", &[]);
        let f = Fixture::create(&app, &admin, "Чалуу").await;
        counted_days_ago(&app, &f.capacity, 30).await;
        let query = "{ staleCentres(first: 50) { totalCount nodes { centre { id } oldestCount staleCapacities } } }";
        let listed = app.data_as(&admin, query, json!({})).await;
        let nodes = listed["staleCentres"]["nodes"].as_array().cloned().unwrap_or_default();
        assert_eq!(nodes[0]["centre"]["id"], f.centre.as_str(), "{listed:#}");
        assert_eq!(nodes[0]["staleCapacities"], 1);
        let oldest: Vec<&str> = nodes.iter().filter_map(|n| n["oldestCount"].as_str()).collect();
        let mut sorted = oldest.clone();
        sorted.sort();
        assert_eq!(oldest, sorted, "oldest first");
        assert_eq!(listed["staleCentres"]["totalCount"], nodes.len());
        for who in [
            token("partner", "hotline", &[]),
            token("centre_manager", "m", &[f.centre.as_str()]),
        ] {
            let refused = app.query_as(&who, query, json!({})).await;
            assert_eq!(refused["errors"][0]["extensions"]["code"], "FORBIDDEN");
        }
        let anonymous = app.query(query, json!({})).await;
        assert_eq!(anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
);

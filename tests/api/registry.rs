//! The registry's rules tested directly, without HTTP or GraphQL: filters,
//! access to confidential locations, and rankings.

use api::registry::{
    self, Direction, Window,
    access::LocationAccess,
    centre::{CentreFilter, CentreOrder, CentreOrderField},
    find_help::{HelpMatchRow, HelpNeed},
    geo::{Near, Point},
    text::Lang,
};
use entity::enums::CentreKind;
use sea_orm::EntityTrait;

use crate::both;

const BISHKEK: Point = Point {
    latitude: 42.8746,
    longitude: 74.5698,
};

fn near(radius_km: f64) -> Near {
    Near {
        point: BISHKEK,
        radius_km: Some(radius_km),
    }
}

/// Every match near Bishkek, in one window or in windows of `size`.
async fn matches(db: &sea_orm::DatabaseConnection, access: &LocationAccess, size: u64) -> Vec<HelpMatchRow> {
    let need = HelpNeed {
        child_age: Some(9),
        near: Some(near(30.0)),
        available_only: false,
        ..Default::default()
    };
    let search = registry::find_help::search(
        db,
        &Default::default(),
        need,
        access.clone(),
        Default::default(),
        Lang::Ky,
    )
    .await
    .expect("a valid need");
    let mut all = Vec::new();
    loop {
        let window = Window {
            offset: all.len() as u64,
            limit: size,
        };
        let page = search.page(db, window).await.expect("a page");
        let done = (page.len() as u64) < size;
        all.extend(page);
        if done {
            return all;
        }
    }
}

/// What breaks ties between equal distances: counted places first, more
/// free places first, fresher counts first, then the match's id.
fn tie_break(row: &HelpMatchRow) -> impl Ord {
    let places = row.places.as_ref();
    (
        places.is_none(),
        std::cmp::Reverse(places.map(|p| p.available)),
        std::cmp::Reverse(places.map(|p| p.updated)),
        row.service_at_centre_id,
    )
}

both!(nearest_first_ranks_on_the_distance_shown, |app| async move {
    for access in [LocationAccess::Public, LocationAccess::Exact] {
        let rows = matches(&app.db, &access, 500).await;
        assert!(rows.len() > 20, "{} matches", rows.len());
        let shown: Vec<f64> = rows.iter().map(|r| r.distance_km.expect("located")).collect();
        for (pair, rows) in shown.windows(2).zip(rows.windows(2)) {
            assert!(pair[0] <= pair[1], "{access:?}: {shown:?}");
            if pair[0] == pair[1] {
                assert!(
                    tie_break(&rows[0]) < tie_break(&rows[1]),
                    "{access:?}: a tie broken by location"
                );
            }
        }
        for row in &rows {
            let hidden = !access.shows_centre(row.centre.id, row.centre.address_confidential);
            let d = row.distance_km.unwrap_or_default();
            assert_eq!(
                hidden,
                row.centre.address_confidential && access == LocationAccess::Public
            );
            if hidden {
                assert_eq!(d, d.round(), "whole kilometres for a hidden shelter");
            }
        }
        assert!(rows.iter().any(|r| r.centre.address_confidential));
        // Paging in small windows (each searched in growing circles) gives
        // the same order as one large window.
        let paged = matches(&app.db, &access, 3).await;
        let ids = |rows: &[HelpMatchRow]| rows.iter().map(|r| r.service_at_centre_id).collect::<Vec<_>>();
        assert_eq!(ids(&paged), ids(&rows), "{access:?}");
    }
});

both!(centre_filters_select_exactly_the_matching_centres, |app| async move {
    let filter = CentreFilter {
        kinds: vec![CentreKind::Crisis, CentreKind::Rehabilitation],
        child_age: Some(10),
        ..Default::default()
    };
    let order = CentreOrder {
        field: CentreOrderField::Name,
        direction: Direction::Asc,
        lang: Lang::Ky,
    };
    let listing = registry::centre::list(&app.db, &Default::default(), &filter, order, &LocationAccess::Public)
        .await
        .expect("a valid filter");
    let found = listing
        .window(&app.db, Window { offset: 0, limit: 1000 })
        .await
        .expect("rows");
    let all = entity::centre::Entity::find().all(&app.db).await.expect("centres");
    let mut expected: Vec<_> = all
        .iter()
        .filter(|c| c.archived_at.is_none())
        .filter(|c| filter.kinds.contains(&c.kind))
        .filter(|c| c.age_min.is_none_or(|a| a <= 10) && c.age_max.is_none_or(|a| a >= 10))
        .map(|c| c.id)
        .collect();
    let mut ids: Vec<_> = found.iter().map(|c| c.id).collect();
    assert!(!ids.is_empty());
    assert_eq!(listing.count(&app.db).await.expect("count"), ids.len() as u64);
    expected.sort();
    ids.sort();
    assert_eq!(ids, expected);

    let adult = CentreFilter {
        child_age: Some(19),
        ..Default::default()
    };
    let refused = registry::centre::list(&app.db, &Default::default(), &adult, order, &LocationAccess::Public).await;
    assert_eq!(refused.err().map(|e| e.code()), Some("BAD_USER_INPUT"));
});

both!(a_manager_locates_their_own_shelter_only, |app| async move {
    let all = entity::centre::Entity::find().all(&app.db).await.expect("centres");
    let shelters: Vec<_> = all
        .iter()
        .filter(|c| c.address_confidential && c.latitude.is_some())
        .collect();
    assert!(shelters.len() >= 2);
    let (own, other) = (shelters[0], shelters[1]);
    // A point 50 m from a shelter finds it only where its exact location counts.
    let around = |c: &entity::centre::Model| CentreFilter {
        near: Some(Near {
            point: Point {
                latitude: c.latitude.unwrap_or_default(),
                longitude: c.longitude.unwrap_or_default(),
            },
            radius_km: Some(0.05),
        }),
        ..Default::default()
    };
    let manager = LocationAccess::ExactFor(vec![own.id]);
    let finds = |filter: CentreFilter, access: LocationAccess| {
        let db = app.db.clone();
        async move {
            let order = CentreOrder::default_for(&filter, Lang::Ky);
            let listing = registry::centre::list(&db, &Default::default(), &filter, order, &access)
                .await
                .expect("valid");
            listing.count(&db).await.expect("count") > 0
        }
    };
    assert!(finds(around(own), manager.clone()).await);
    assert!(
        !finds(around(other), manager).await,
        "another centre's shelter stays coarse"
    );
    assert!(!finds(around(own), LocationAccess::Public).await);
    assert!(finds(around(other), LocationAccess::Exact).await);
});

//! The registry's rules tested directly, without HTTP or GraphQL: filters,
//! access to confidential locations, and rankings.

use api::registry::{
    self, Detail, Direction, Window,
    access::LocationAccess,
    centre::{CentreFilter, CentreOrder, CentreOrderField, PageDetail},
    find_help::{HelpMatchRow, HelpNeed, HelpSearch},
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

/// `need` as a caller with `access` searches for it.
async fn search_as(db: &sea_orm::DatabaseConnection, access: &LocationAccess, need: HelpNeed) -> HelpSearch {
    registry::find_help::search(
        db,
        &Default::default(),
        need,
        access.clone(),
        Default::default(),
        Lang::Ky,
    )
    .await
    .expect("a valid need")
}

/// Every match of `search`, read in windows of `size`.
async fn in_windows(db: &sea_orm::DatabaseConnection, search: &HelpSearch, size: u64) -> Vec<HelpMatchRow> {
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

/// Every match near Bishkek, in one window or in windows of `size`.
async fn matches(db: &sea_orm::DatabaseConnection, access: &LocationAccess, size: u64) -> Vec<HelpMatchRow> {
    let need = HelpNeed {
        child_age: Some(9),
        near: Some(near(30.0)),
        available_only: false,
        ..Default::default()
    };
    in_windows(db, &search_as(db, access, need).await, size).await
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
    let brief = PageDetail {
        lang: Lang::Ky,
        detail: Detail::Brief,
        lists: Default::default(),
    };
    let found = listing
        .page(&app.db, Window { offset: 0, limit: 1000 }, brief)
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
    let mut ids: Vec<_> = found.iter().map(|(c, _)| c.id).collect();
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

/// A point on no demo centre's doorstep, and on the grid that confidential
/// locations are coarsened to, where the test places its centres.
const DENSE: Point = Point {
    latitude: 41.8,
    longitude: 76.8,
};

/// Where the test searches: 0.3 km north of [`DENSE`], so that the coarsened
/// public location of every shelter there lies under half a kilometre away
/// and is shown at 0 km to anonymous callers, ahead of visible centres
/// nearer than it.
const SEARCHED: Point = Point {
    latitude: 41.8027,
    longitude: 76.8,
};

/// Places 90 centres within about a kilometre of [`DENSE`], a third of
/// them confidential shelters (their public locations coarsened to
/// [`DENSE`] as they are stored), each offering one live service with or
/// without a count. Returns the shelters.
async fn add_dense_centres(db: &sea_orm::DatabaseConnection) -> Vec<sea_orm::prelude::Uuid> {
    use entity::{capacity, centre, enums::CentreStatus, enums::GendersServed, service, service_at_centre};
    use sea_orm::prelude::Uuid;

    // The demo's first centre, placement and capacity lend the fields the
    // ranking does not read.
    let centre = centre::Entity::find()
        .one(db)
        .await
        .expect("centres")
        .expect("a centre");
    let placement = service_at_centre::Entity::find()
        .one(db)
        .await
        .expect("placements")
        .expect("a placement");
    let count = capacity::Entity::find()
        .one(db)
        .await
        .expect("capacities")
        .expect("a capacity");
    let services: Vec<service::Model> = service::Entity::find()
        .all(db)
        .await
        .expect("services")
        .into_iter()
        .filter(|s| s.archived_at.is_none() && s.status == entity::enums::ServiceStatus::Active)
        .collect();
    // Evenly spread, reproducible offsets: multiples of two irrational
    // numbers, so that latitudes and longitudes do not line up.
    let spread = |i: usize, step: f64| ((i as f64 + 0.5) * step).fract() - 0.5;
    let mut batch = registry::batch::Batch::default();
    let mut confidential = Vec::new();
    for i in 0..90 {
        let id = Uuid::new_v4();
        let latitude = DENSE.latitude + spread(i, 0.618_033_988_75) * 0.02;
        let longitude = DENSE.longitude + spread(i, 0.414_213_562_37) * 0.025;
        let hidden = i % 3 == 0;
        if hidden {
            confidential.push(id);
        }
        let mut name = centre.name.clone();
        name.ky = Some(format!("Тыгыз {i}"));
        batch.centres.push(centre::Model {
            id,
            name,
            latitude: Some(latitude),
            longitude: Some(longitude),
            public_latitude: Some(latitude),
            public_longitude: Some(longitude),
            address_confidential: hidden,
            age_min: None,
            age_max: None,
            genders: GendersServed::Any,
            status: CentreStatus::Active,
            archived_at: None,
            ..centre.clone()
        });
        let placement_id = Uuid::new_v4();
        batch.placements.push(service_at_centre::Model {
            id: placement_id,
            service_id: services[i % services.len()].id,
            centre_id: id,
            archived_at: None,
            ..placement.clone()
        });
        if i % 4 != 0 {
            batch.capacities.push(capacity::Model {
                id: Uuid::new_v4(),
                service_at_centre_id: placement_id,
                maximum: 10,
                available: (i % 7) as i32,
                ..count.clone()
            });
        }
    }
    batch.insert(db).await.expect("dense centres insert");
    confidential
}

// Pages near a point, each searched in growing circles (hidden shelters in
// a wider circle of their own), list exactly the rows of the one query
// without circles, in its order, for every kind of caller.
both!(
    circle_searches_page_exactly_as_the_query_without_circles,
    |app| async move {
        let confidential = add_dense_centres(&app.db).await;
        let managed = LocationAccess::ExactFor(confidential.iter().step_by(2).copied().collect());
        for access in [LocationAccess::Public, LocationAccess::Exact, managed] {
            let need = HelpNeed {
                near: Some(Near {
                    point: SEARCHED,
                    radius_km: Some(2.0),
                }),
                ..Default::default()
            };
            let search = search_as(&app.db, &access, need).await;
            // A window this long starts with a circle wider than the 2 km asked
            // for, so it is the query without circles.
            let whole = in_windows(&app.db, &search, 100_000_000).await;
            assert!(whole.len() >= 60, "{access:?}: {} matches", whole.len());
            if access == LocationAccess::Public {
                let hidden_at_zero = whole
                    .iter()
                    .take_while(|row| row.distance_km == Some(0.0))
                    .filter(|row| row.centre.address_confidential)
                    .count();
                assert!(hidden_at_zero > 0, "no hidden shelter shown at 0 km");
            }
            let ids = |rows: &[HelpMatchRow]| rows.iter().map(|r| r.service_at_centre_id).collect::<Vec<_>>();
            for size in [1, 2, 3, 5, 8, 20] {
                let paged = in_windows(&app.db, &search, size).await;
                assert_eq!(ids(&paged), ids(&whole), "{access:?}, pages of {size}");
            }
        }
    }
);

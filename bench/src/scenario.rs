//! What the benchmark measures: GraphQL requests as partner apps send them,
//! and for each list a ceiling, the same rows and fields produced by the
//! database alone in one hand-written SQL statement.
//!
//! A ceiling is what the database can deliver with nothing in between: no
//! HTTP, no GraphQL, no decoding into records. The server's share of the
//! ceiling says how much of the database's speed reaches the clients.
//!
//! A ceiling is a measuring stick, not an outlet: it shows no one anything.
//! Being hand-written SQL, it spells out for itself what an anonymous
//! caller is shown of a confidential shelter (its public location, its
//! distance in whole kilometres), and every run checks each ceiling's
//! answers against the API's own before measuring (`check_ceiling`), so a
//! ceiling that drifted from the registry's rule fails the run instead of
//! measuring something else.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{DbBackend, Value as SqlValue};
use serde_json::{Value, json};

/// One measured request: its GraphQL text, its variables for the i-th
/// request, and the budget of SQL statements it may take.
pub struct Scenario {
    pub name: &'static str,
    pub query: &'static str,
    pub variables: Arc<dyn Fn(usize) -> Value + Send + Sync>,
    /// Extra request headers (compression).
    pub headers: &'static [(&'static str, &'static str)],
    /// The most SQL statements one request may take: more fails the
    /// benchmark, so that a lost batch (an N+1) cannot land unnoticed.
    /// Pinned on the sparse data set CI generates (`--centres 200
    /// --services 600`); denser data takes as many or fewer.
    pub max_statements: usize,
    pub ceiling: Option<Ceiling>,
}

/// The same rows and fields as a scenario, from one SQL statement that
/// returns the response as JSON text.
pub struct Ceiling {
    postgres: String,
    sqlite: String,
    /// The statement's parameters for the i-th request.
    pub parameters: Arc<dyn Fn(usize) -> Vec<SqlValue> + Send + Sync>,
}

impl Ceiling {
    fn new(sql: fn(Dialect) -> String, parameters: Arc<dyn Fn(usize) -> Vec<SqlValue> + Send + Sync>) -> Self {
        Self {
            postgres: sql(Dialect(DbBackend::Postgres)),
            sqlite: sql(Dialect(DbBackend::Sqlite)),
            parameters,
        }
    }

    pub fn sql(&self, backend: DbBackend) -> &str {
        match backend {
            DbBackend::Postgres => &self.postgres,
            _ => &self.sqlite,
        }
    }
}

/// Points and areas the requests cycle through: the busiest towns.
const POINTS: [(f64, f64); 4] = [(42.87, 74.59), (40.53, 72.80), (42.49, 78.39), (40.93, 73.00)];
const AREAS: [&str; 4] = ["KG-GB", "KG-GO", "KG-Y", "KG-GB-LEN"];
const CHILD_AGE_FIND_HELP: i32 = 12;
const CHILD_AGE_CENTRES: i32 = 10;
const RADIUS_KM: f64 = 5.0;
/// As `registry::geo`: kilometres per degree of latitude.
const KM_PER_DEGREE: f64 = 111.195;

const FIND_HELP: &str = r#"query($lat: Float!, $lon: Float!) {
  findHelp(need: { childAge: 12, near: { latitude: $lat, longitude: $lon, radiusKm: 5 } }, first: 20) {
    edges { node { availablePlaces distanceKm
      service { id name category } centre { id name area { code name } organization { name } } } }
  }
}"#;

const CENTRES_PAGE: &str = r#"query($area: String!) {
  centres(filter: { areaCode: $area, hasAvailability: true, childAge: 10 }, first: 20) {
    nodes { id name kind services { id name category } capacities { available maximum unit updated } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

const NODE: &str = r#"query($id: ID!) { node(id: $id) { id ... on Centre { name kind status ageMin ageMax } } }"#;

/// Every scenario; `centre_ids` are global ids for the look-ups.
pub fn all(centre_ids: Arc<Vec<String>>, stale_after: chrono::TimeDelta) -> Vec<Scenario> {
    let point = |i: usize| POINTS[i % POINTS.len()];
    let area = |i: usize| AREAS[i % AREAS.len()];
    let find_help_variables = Arc::new(move |i| {
        let (lat, lon) = point(i);
        json!({ "lat": lat, "lon": lon })
    });
    let centres_variables = Arc::new(move |i| json!({ "area": area(i) }));
    vec![
        Scenario {
            name: "findHelp near a point",
            query: FIND_HELP,
            variables: find_help_variables,
            headers: &[],
            // The ranking searches growing circles around the point: three
            // on CI's sparse data, one in a dense city. The areas and the
            // organizations come from the replica's reference cache.
            max_statements: 3,
            ceiling: Some(Ceiling::new(
                find_help_sql,
                Arc::new(move |i| find_help_parameters(point(i), Utc::now() - stale_after)),
            )),
        },
        Scenario {
            name: "centres page + services + capacities",
            query: CENTRES_PAGE,
            variables: centres_variables.clone(),
            headers: &[],
            // The centres with their services and capacities, in one
            // statement; the area comes from the replica's reference cache.
            max_statements: 1,
            ceiling: Some(Ceiling::new(
                centres_page_sql,
                Arc::new(move |i| vec![area(i).into(), CHILD_AGE_CENTRES.into()]),
            )),
        },
        Scenario {
            name: "centres page, gzip",
            query: CENTRES_PAGE,
            variables: centres_variables.clone(),
            headers: &[("accept-encoding", "gzip")],
            max_statements: 1,
            ceiling: None,
        },
        Scenario {
            name: "node lookup",
            query: NODE,
            variables: Arc::new(move |i| json!({ "id": centre_ids[i % centre_ids.len()] })),
            headers: &[],
            max_statements: 1,
            ceiling: None,
        },
        // Last: the memory brotli's encoders take stays with the allocator
        // and would count in the peaks of the scenarios after it.
        Scenario {
            name: "centres page, brotli",
            query: CENTRES_PAGE,
            variables: centres_variables,
            headers: &[("accept-encoding", "br")],
            max_statements: 1,
            ceiling: None,
        },
    ]
}

// The statements below restate the registry's rules by hand: live records
// only, ages within the records' bounds, free places where places are
// counted, names in Kyrgyz falling back to Russian then English,
// confidential shelters at their public location and in whole kilometres
// for anonymous callers, the same orders. `kamkor bench` checks before it
// measures that each returns what the API returns. They are written once
// and spelled for each engine by `Dialect`.

/// How an engine spells JSON building and parameters.
#[derive(Clone, Copy)]
struct Dialect(DbBackend);

impl Dialect {
    fn postgres(self) -> bool {
        self.0 == DbBackend::Postgres
    }

    /// The n-th parameter.
    fn p(self, n: usize) -> String {
        if self.postgres() {
            format!("${n}")
        } else {
            format!("?{n}")
        }
    }

    fn object(self, fields: &[(&str, String)]) -> String {
        let fields: Vec<String> = fields.iter().map(|(k, v)| format!("'{k}', {v}")).collect();
        let function = if self.postgres() {
            "json_build_object"
        } else {
            "json_object"
        };
        format!("{function}({})", fields.join(", "))
    }

    /// A JSON array of `item` over the rows, in `order`; `[]` for none.
    fn array(self, item: &str, order: &str) -> String {
        self.array_where(item, order, "true")
    }

    /// A JSON array of `item` over the rows where `condition` holds.
    fn array_where(self, item: &str, order: &str, condition: &str) -> String {
        if self.postgres() {
            format!("COALESCE(json_agg({item} ORDER BY {order}) FILTER (WHERE {condition}), '[]')")
        } else {
            format!("json_group_array({item} ORDER BY {order}) FILTER (WHERE {condition})")
        }
    }

    /// A scalar subquery that returns JSON, as a JSON value.
    fn nested(self, subquery: &str) -> String {
        if self.postgres() {
            format!("({subquery})")
        } else {
            format!("json(({subquery}))")
        }
    }

    /// A UUID column as text.
    fn id(self, column: &str) -> String {
        if self.postgres() {
            column.to_owned()
        } else {
            format!("lower(hex({column}))")
        }
    }

    /// A stored text in Kyrgyz, else Russian, else English.
    fn text(self, column: &str) -> String {
        format!("COALESCE({column}->>'ky', {column}->>'ru', {column}->>'en')")
    }

    /// The statement's one column: the JSON as text.
    fn finish(self, json: &str) -> String {
        if self.postgres() {
            format!("({json})::text")
        } else {
            json.to_owned()
        }
    }

    fn boolean(self, condition: &str) -> String {
        if self.postgres() {
            condition.to_owned()
        } else {
            format!("json(iif({condition}, 'true', 'false'))")
        }
    }
}

/// `centres(filter: { areaCode: $1, hasAvailability: true, childAge: $2 },
/// first: 20) { nodes { id name kind services { id name category }
/// capacities { available maximum unit updated } } pageInfo { hasNextPage } }`.
fn centres_page_sql(d: Dialect) -> String {
    let (area, age) = (d.p(1), d.p(2));
    let services = format!(
        "SELECT {} FROM service_at_centre p JOIN service s ON s.id = p.service_id \
         WHERE p.centre_id = page.id AND p.archived_at IS NULL AND s.archived_at IS NULL",
        d.array(
            &d.object(&[
                ("id", d.id("s.id")),
                ("name", d.text("s.name")),
                ("category", "upper(s.category)".into()),
            ]),
            "s.name_sort_ky, s.id"
        )
    );
    let capacities = format!(
        "SELECT {} FROM service_at_centre p JOIN capacity k ON k.service_at_centre_id = p.id \
         WHERE p.centre_id = page.id AND p.archived_at IS NULL",
        d.array(
            &d.object(&[
                ("available", "k.available".into()),
                ("maximum", "k.maximum".into()),
                ("unit", "upper(k.unit)".into()),
                ("updated", "k.updated".into()),
            ]),
            "k.id"
        )
    );
    let node = d.object(&[
        ("id", d.id("page.id")),
        ("name", d.text("page.name")),
        ("kind", "upper(page.kind)".into()),
        ("services", d.nested(&services)),
        ("capacities", d.nested(&capacities)),
    ]);
    let nodes = d.array_where(&node, "page.n", "page.n <= 20");
    let response = d.object(&[(
        "centres",
        d.object(&[
            ("nodes", nodes),
            ("pageInfo", d.object(&[("hasNextPage", d.boolean("count(*) > 20"))])),
        ]),
    )]);
    format!(
        "WITH page AS (
           SELECT c.id, c.name, c.kind, row_number() OVER (ORDER BY c.name_sort_ky, c.id) AS n
           FROM centre c
           WHERE c.archived_at IS NULL
             AND c.admin_area_id IN (
               SELECT sub.id FROM admin_area sub JOIN admin_area a ON sub.path LIKE a.path || '%' WHERE a.code = {area})
             AND (c.age_min IS NULL OR c.age_min <= {age}) AND (c.age_max IS NULL OR c.age_max >= {age})
             AND EXISTS (
               SELECT 1 FROM service_at_centre p JOIN capacity k ON k.service_at_centre_id = p.id
               WHERE p.centre_id = c.id AND p.archived_at IS NULL AND k.available > 0)
           ORDER BY c.name_sort_ky, c.id
           LIMIT 21)
         SELECT {} FROM page",
        d.finish(&response)
    )
}

/// Search circles, smallest first, as `registry::find_help` grows them: a
/// circle settles the page when it holds a full page whose last distance no
/// row outside it can undercut or tie (whole kilometres for confidential
/// shelters); the radius asked for settles it anyway.
const PROBE_RADII_KM: [f64; 3] = [1.0, 2.0, 3.5];

/// For anonymous callers, the bound below which the rows of one probe circle
/// settle a page: the ceiling searches hidden rows in the same circle (the
/// API gives them a wider one of their own), so a hidden row just outside
/// is shown in whole kilometres, at least `ceil(radius_km - 0.5)`.
fn shown_beyond_km(radius_km: f64) -> f64 {
    (radius_km - 0.0005).min((radius_km - 0.5).ceil())
}

/// `findHelp(need: { childAge: $5, near: { latitude: $1, longitude: $2,
/// radiusKm: 5 } }, first: 20)` with each match's places, distance, service
/// and centre (area, organization).
fn find_help_sql(d: Dialect) -> String {
    let (lat, lon, kx, kx_box, age, stale_before) = (d.p(1), d.p(2), d.p(3), d.p(4), d.p(5), d.p(6));
    let squared = format!(
        "((c.public_latitude - {lat}) * 111.195) * ((c.public_latitude - {lat}) * 111.195) \
         + ((c.public_longitude - {lon}) * {kx}) * ((c.public_longitude - {lon}) * {kx})"
    );
    let shown = format!(
        "CASE WHEN c.address_confidential THEN ROUND(sqrt({squared})) \
         ELSE ROUND(sqrt({squared}) * 1000) / 1000.0 END"
    );
    let order = format!(
        "shown_km ASC NULLS LAST, k_id IS NULL, updated < {stale_before}, available DESC, updated DESC, sac_id"
    );
    // The matches within `radius` (an SQL expression), with the distance shown.
    let matches = |radius: &str| {
        format!(
            "(SELECT p.id AS sac_id, s.id AS s_id, s.name AS s_name, s.category, c.id AS c_id,
                     c.name AS c_name, c.admin_area_id, c.organization_id,
                     k.id AS k_id, k.available, k.updated, {shown} AS shown_km
              FROM service_at_centre p
              JOIN service s ON s.id = p.service_id
              JOIN centre c ON c.id = p.centre_id
              LEFT JOIN capacity k ON k.service_at_centre_id = p.id
              WHERE p.archived_at IS NULL
                AND s.archived_at IS NULL AND s.status = 'active'
                AND c.archived_at IS NULL AND c.status = 'active'
                AND (s.age_min IS NULL OR s.age_min <= {age}) AND (s.age_max IS NULL OR s.age_max >= {age})
                AND (c.age_min IS NULL OR c.age_min <= {age}) AND (c.age_max IS NULL OR c.age_max >= {age})
                AND (k.id IS NULL OR k.available > 0)
                AND c.public_latitude BETWEEN {lat} - {radius} / 111.195 AND {lat} + {radius} / 111.195
                AND c.public_longitude BETWEEN {lon} - {radius} / {kx_box} AND {lon} + {radius} / {kx_box}
                AND {squared} <= {radius} * {radius}) x"
        )
    };
    let probes: Vec<String> = (0..PROBE_RADII_KM.len())
        .map(|i| {
            let (radius, bound) = (d.p(7 + 2 * i), d.p(8 + 2 * i));
            format!(
                "WHEN (SELECT count(*) = 20 AND max(shown_km) < {bound} \
                       FROM (SELECT shown_km FROM {} ORDER BY {order} LIMIT 20) probe) THEN {radius}",
                matches(&radius)
            )
        })
        .collect();
    let limit_radius = d.p(7 + 2 * PROBE_RADII_KM.len());
    let node = d.object(&[
        ("availablePlaces", "m.available".into()),
        ("distanceKm", "m.shown_km".into()),
        (
            "service",
            d.object(&[
                ("id", d.id("m.s_id")),
                ("name", d.text("m.s_name")),
                ("category", "upper(m.category)".into()),
            ]),
        ),
        (
            "centre",
            d.object(&[
                ("id", d.id("m.c_id")),
                ("name", d.text("m.c_name")),
                (
                    "area",
                    d.nested(&format!(
                        "SELECT {} FROM admin_area a WHERE a.id = m.admin_area_id",
                        d.object(&[("code", "a.code".into()), ("name", d.text("a.name"))])
                    )),
                ),
                (
                    "organization",
                    d.nested(&format!(
                        "SELECT {} FROM organization o WHERE o.id = m.organization_id",
                        d.object(&[("name", d.text("o.name"))])
                    )),
                ),
            ]),
        ),
    ]);
    let response = d.object(&[(
        "findHelp",
        d.object(&[("edges", d.array(&d.object(&[("node", node)]), "m.n"))]),
    )]);
    format!(
        "WITH circle AS MATERIALIZED (SELECT CASE {} ELSE {limit_radius} END AS radius),
         m AS (
           SELECT x.*, row_number() OVER (ORDER BY {order}) AS n
           FROM {}
           ORDER BY n
           LIMIT 20)
         SELECT {} FROM m",
        probes.join(" "),
        matches("(SELECT radius FROM circle)"),
        d.finish(&response)
    )
}

/// The findHelp statement's parameters: the point, the kilometres per
/// degree of longitude there (for distances, and for the search box as
/// `registry::geo` bounds it), the child's age, the time before which a
/// count is stale, then each probe circle with its bound, and the radius.
fn find_help_parameters((lat, lon): (f64, f64), stale_before: DateTime<Utc>) -> Vec<SqlValue> {
    let cos = lat.to_radians().cos();
    let mut values: Vec<SqlValue> = vec![
        lat.into(),
        lon.into(),
        (KM_PER_DEGREE * cos).into(),
        (KM_PER_DEGREE * cos.max(0.01)).into(),
        CHILD_AGE_FIND_HELP.into(),
        stale_before.into(),
    ];
    for radius in PROBE_RADII_KM {
        values.push(radius.into());
        values.push(shown_beyond_km(radius).into());
    }
    values.push(RADIUS_KM.into());
    values
}

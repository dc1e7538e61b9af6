//! Distances on the Earth's surface, at the scale of a country.

use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};

const EARTH_RADIUS_KM: f64 = 6371.0088;
const KM_PER_DEGREE: f64 = 111.195;
/// Grid step, in degrees, of the coordinates shown to anonymous callers for
/// confidential centres (about 2.2 km north-south).
const PUBLIC_GRID_DEGREES: f64 = 0.02;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub latitude: f64,
    pub longitude: f64,
}

/// A point with an optional search radius.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Near {
    pub point: Point,
    pub radius_km: Option<f64>,
}

impl Near {
    pub fn validate(&self) -> Result<(), crate::error::AppError> {
        let Point { latitude, longitude } = self.point;
        let bad = |m: String| Err(crate::error::AppError::bad_input(m));
        if !(-90.0..=90.0).contains(&latitude) {
            return bad(format!("latitude must be between -90 and 90, got {latitude}"));
        }
        if !(-180.0..=180.0).contains(&longitude) {
            return bad(format!("longitude must be between -180 and 180, got {longitude}"));
        }
        match self.radius_km {
            Some(r) if !(r > 0.0 && r <= 2000.0) => bad(format!("radiusKm must be above 0 and at most 2000, got {r}")),
            _ => Ok(()),
        }
    }

    /// Latitude and longitude bounds of the radius, for an indexed pre-filter.
    pub fn bounding_box(&self) -> Option<(f64, f64, f64, f64)> {
        let radius = self.radius_km?;
        let dlat = radius / KM_PER_DEGREE;
        let dlon = radius / (KM_PER_DEGREE * self.point.latitude.to_radians().cos().max(0.01));
        let Point { latitude, longitude } = self.point;
        Some((latitude - dlat, latitude + dlat, longitude - dlon, longitude + dlon))
    }

    /// SQL for the squared planar distance in km² from this point to the
    /// given coordinate columns. Plain arithmetic, so it runs on SQLite and
    /// PostgreSQL alike; at the scale of one country its order equals the
    /// great-circle order, and it is only used to filter and sort.
    pub fn squared_distance_sql(&self, latitude: SimpleExpr, longitude: SimpleExpr) -> SimpleExpr {
        let lon_scale = KM_PER_DEGREE * self.point.latitude.to_radians().cos();
        let dy = latitude.sub(self.point.latitude).mul(KM_PER_DEGREE);
        let dx = longitude.sub(self.point.longitude).mul(lon_scale);
        dy.clone().mul(dy).add(dx.clone().mul(dx))
    }

    /// SQL condition "within the radius", if a radius is set.
    pub fn within_radius_sql(&self, latitude: SimpleExpr, longitude: SimpleExpr) -> Option<SimpleExpr> {
        let (lat_min, lat_max, lon_min, lon_max) = self.bounding_box()?;
        let radius = self.radius_km?;
        Some(
            latitude
                .clone()
                .between(lat_min, lat_max)
                .and(longitude.clone().between(lon_min, lon_max))
                .and(
                    self.squared_distance_sql(latitude, longitude)
                        .lte(Expr::val(radius * radius)),
                ),
        )
    }
}

/// Great-circle distance in kilometres (haversine).
pub fn distance_km(a: Point, b: Point) -> f64 {
    let (lat1, lat2) = (a.latitude.to_radians(), b.latitude.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.longitude - a.longitude).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().asin()
}

/// A coordinate snapped to the public grid.
pub fn coarsen(degrees: f64) -> f64 {
    (degrees / PUBLIC_GRID_DEGREES).round() * PUBLIC_GRID_DEGREES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bishkek_to_osh_is_about_300_km() {
        let bishkek = Point {
            latitude: 42.8746,
            longitude: 74.5698,
        };
        let osh = Point {
            latitude: 40.5283,
            longitude: 72.7985,
        };
        let d = distance_km(bishkek, osh);
        assert!((295.0..305.0).contains(&d), "{d}");
    }

    #[test]
    fn coarsening_moves_a_point_by_at_most_half_a_grid_step() {
        let v = 42.87463;
        assert!((coarsen(v) - v).abs() <= PUBLIC_GRID_DEGREES / 2.0);
        assert_ne!(coarsen(v), v);
    }
}

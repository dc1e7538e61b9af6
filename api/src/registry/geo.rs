//! Distances on the Earth's surface, at the scale of a country.
//!
//! Distances are measured on a flat projection centred on the point asked
//! about (an equirectangular projection): plain arithmetic that SQLite and
//! PostgreSQL compute alike, so that the distance a caller is shown is the
//! very number the database sorted by. Within a city it agrees with the
//! great-circle distance to the metre; across the whole country (Bishkek to
//! Osh) it is 1 % short.

use sea_orm::sea_query::{Expr, ExprTrait, Func, SimpleExpr};

use crate::error::AppError;

const KM_PER_DEGREE: f64 = 111.195;

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
    pub fn validate(&self) -> Result<(), AppError> {
        let Point { latitude, longitude } = self.point;
        let bad = |m: String| Err(AppError::bad_input(m));
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

    /// SQL: within the latitude and longitude bounds of a circle of
    /// `radius_km`, a pre-filter that the coordinate index serves.
    pub fn bounding_box_sql(&self, latitude: SimpleExpr, longitude: SimpleExpr, radius_km: f64) -> SimpleExpr {
        let dlat = radius_km / KM_PER_DEGREE;
        let dlon = radius_km / (KM_PER_DEGREE * self.point.latitude.to_radians().cos().max(0.01));
        let Point {
            latitude: lat,
            longitude: lon,
        } = self.point;
        latitude
            .between(lat - dlat, lat + dlat)
            .and(longitude.between(lon - dlon, lon + dlon))
    }

    /// Kilometres per degree of longitude on the projection.
    fn km_per_degree_of_longitude(&self) -> f64 {
        KM_PER_DEGREE * self.point.latitude.to_radians().cos()
    }

    /// SQL for the squared distance in km² from this point to the given
    /// coordinate columns.
    pub fn squared_distance_sql(&self, latitude: SimpleExpr, longitude: SimpleExpr) -> SimpleExpr {
        let dy = latitude.sub(self.point.latitude).mul(KM_PER_DEGREE);
        let dx = longitude
            .sub(self.point.longitude)
            .mul(self.km_per_degree_of_longitude());
        dy.clone().mul(dy).add(dx.clone().mul(dx))
    }

    /// SQL for the distance in km from this point to the given columns.
    pub fn distance_sql(&self, latitude: SimpleExpr, longitude: SimpleExpr) -> SimpleExpr {
        Func::cust("sqrt")
            .arg(self.squared_distance_sql(latitude, longitude))
            .into()
    }

    /// The distance in km from this point to `other`, as [`Near::distance_sql`]
    /// computes it.
    pub fn distance_to(&self, other: Point) -> f64 {
        let dy = (other.latitude - self.point.latitude) * KM_PER_DEGREE;
        let dx = (other.longitude - self.point.longitude) * self.km_per_degree_of_longitude();
        (dy * dy + dx * dx).sqrt()
    }

    /// SQL condition "within the radius", if a radius is set.
    pub fn within_radius_sql(&self, latitude: SimpleExpr, longitude: SimpleExpr) -> Option<SimpleExpr> {
        let radius = self.radius_km?;
        Some(
            self.bounding_box_sql(latitude.clone(), longitude.clone(), radius).and(
                self.squared_distance_sql(latitude, longitude)
                    .lte(Expr::val(radius * radius)),
            ),
        )
    }
}

/// The grid that the public location of a confidential centre is snapped
/// to: its step in degrees (a setting; 0.02° by default, about 2.2 km
/// north-south and 1.6 km east-west in Kyrgyzstan).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PublicGrid(pub f64);

/// About 2.2 km north-south and 1.6 km east-west in Kyrgyzstan.
pub const DEFAULT_PUBLIC_GRID_DEGREES: f64 = 0.02;

impl Default for PublicGrid {
    fn default() -> Self {
        Self(DEFAULT_PUBLIC_GRID_DEGREES)
    }
}

impl PublicGrid {
    /// A coordinate snapped to the grid: the centre of its cell.
    pub fn snap(self, degrees: f64) -> f64 {
        (degrees / self.0).round() * self.0
    }
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
        // The great-circle distance is 301 km; the projection centred on
        // Bishkek stretches longitudes by Bishkek's latitude, not Osh's.
        let near = Near {
            point: bishkek,
            radius_km: None,
        };
        let d = near.distance_to(osh);
        assert!((297.0..301.0).contains(&d), "{d}");
    }

    #[test]
    fn coarsening_moves_a_point_by_at_most_half_a_grid_step() {
        let v = 42.87463;
        for grid in [PublicGrid::default(), PublicGrid(0.05)] {
            assert!((grid.snap(v) - v).abs() <= grid.0 / 2.0);
            assert_ne!(grid.snap(v), v);
        }
    }
}

//! Prometheus metrics of one process, served on `/metrics`.
//!
//! One registry per `Application` (no global state), so that servers built
//! side by side (tests, benchmarks) count their own requests.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};
use sea_orm::{DatabaseConnection, DbBackend};

pub struct Metrics {
    registry: Registry,
    /// GraphQL operations by root field and outcome (`ok` or the first
    /// error's code).
    pub requests: IntCounterVec,
    /// Time to answer a GraphQL operation, by root field.
    pub duration: HistogramVec,
    /// Requests refused by the rate limiter.
    pub rate_limited: IntCounter,
    /// Open subscriptions.
    pub subscriptions: IntGauge,
    /// Database connections by state (`idle`, `in_use`, `max`), read at
    /// each scrape.
    pool: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new_custom(Some("kamkor".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new("graphql_requests_total", "GraphQL operations by root field and outcome"),
            &["operation", "outcome"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "graphql_request_duration_seconds",
                "Time to answer a GraphQL operation, by root field",
            )
            .buckets(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            &["operation"],
        )?;
        let rate_limited = IntCounter::new("rate_limited_total", "Requests refused by the rate limiter")?;
        let subscriptions = IntGauge::new("subscriptions_active", "Open GraphQL subscriptions")?;
        let pool = IntGaugeVec::new(
            Opts::new("database_connections", "Database pool connections by state"),
            &["state"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(rate_limited.clone()))?;
        registry.register(Box::new(subscriptions.clone()))?;
        registry.register(Box::new(pool.clone()))?;
        Ok(Self {
            registry,
            requests,
            duration,
            rate_limited,
            subscriptions,
            pool,
        })
    }

    /// Counts one answered GraphQL operation.
    pub fn observe(&self, operation: &str, outcome: &str, seconds: f64) {
        self.requests.with_label_values(&[operation, outcome]).inc();
        self.duration.with_label_values(&[operation]).observe(seconds);
    }

    /// Every metric in the Prometheus text format, with the pool's state
    /// read now.
    pub fn render(&self, db: &DatabaseConnection) -> String {
        let (size, idle, max) = match db.get_database_backend() {
            DbBackend::Postgres => {
                let pool = db.get_postgres_connection_pool();
                (pool.size(), pool.num_idle(), pool.options().get_max_connections())
            }
            _ => {
                let pool = db.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle(), pool.options().get_max_connections())
            }
        };
        let idle = i64::try_from(idle).unwrap_or(i64::MAX);
        self.pool.with_label_values(&["idle"]).set(idle);
        self.pool.with_label_values(&["in_use"]).set(i64::from(size) - idle);
        self.pool.with_label_values(&["max"]).set(i64::from(max));
        let mut text = Vec::new();
        match TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            Ok(()) => String::from_utf8_lossy(&text).into_owned(),
            Err(err) => format!("# cannot encode the metrics: {err}\n"),
        }
    }
}

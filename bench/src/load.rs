//! Load generators: `clients` tasks that send requests back to back for a
//! while, over HTTP to the server or as SQL straight to the database.

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use super::scenario::{Ceiling, Scenario};

/// What a run of requests measured.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct LoadResult {
    pub requests: usize,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: usize,
    /// Mean size of a response body as received (compressed when it was).
    pub bytes_per_response: f64,
}

/// The outcome of one request: its body's size, or `None` for a failure.
type Outcome = Option<usize>;

/// What one or more runs of requests saw, kept whole so that runs can be
/// added up before their percentiles are taken.
#[derive(Debug, Default)]
pub struct Samples {
    latencies: Vec<Duration>,
    errors: usize,
    bytes: usize,
    elapsed: Duration,
}

impl Samples {
    /// Adds another run's requests and time to these.
    pub fn absorb(&mut self, other: Samples) {
        self.latencies.extend(other.latencies);
        self.errors += other.errors;
        self.bytes += other.bytes;
        self.elapsed += other.elapsed;
    }

    /// The number of requests sent.
    pub fn requests(&self) -> usize {
        self.latencies.len()
    }

    /// Throughput, percentiles and sizes of all the runs together.
    pub fn result(mut self) -> LoadResult {
        self.latencies.sort_unstable();
        let latencies = &self.latencies;
        let percentile = |p: f64| {
            latencies
                .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1e3)
        };
        let answered = (latencies.len() - self.errors).max(1);
        LoadResult {
            requests: latencies.len(),
            requests_per_second: latencies.len() as f64 / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE),
            p50_ms: percentile(0.50),
            p99_ms: percentile(0.99),
            errors: self.errors,
            bytes_per_response: self.bytes as f64 / answered as f64,
        }
    }
}

/// Runs `clients` tasks, each calling `send(i)` for i = its number, then
/// every `clients`-th number after it, until `duration` has passed.
async fn drive<F, Fut>(clients: usize, duration: Duration, send: F) -> anyhow::Result<Samples>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send,
{
    let send = Arc::new(send);
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let send = send.clone();
            tokio::spawn(async move {
                let mut samples = Samples::default();
                let mut i = c;
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let outcome = send(i).await;
                    samples.latencies.push(sent.elapsed());
                    match outcome {
                        Some(size) => samples.bytes += size,
                        None => samples.errors += 1,
                    }
                    i += clients;
                }
                samples
            })
        })
        .collect();
    let mut samples = Samples::default();
    for task in tasks {
        samples.absorb(task.await?);
    }
    samples.elapsed = started.elapsed();
    Ok(samples)
}

/// Drives the server at `url` with a scenario's requests.
pub async fn http(url: &str, scenario: &Scenario, clients: usize, duration: Duration) -> anyhow::Result<Samples> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(clients).build()?;
    // The bodies are made before the clock starts: the load generator shares
    // the cores with the server.
    let bodies: Arc<Vec<String>> = Arc::new(
        (0..64)
            .map(|i| serde_json::json!({ "query": scenario.query, "variables": (scenario.variables)(i) }).to_string())
            .collect(),
    );
    let (url, headers) = (url.to_owned(), scenario.headers);
    drive(clients, duration, move |i| {
        let mut request = client
            .post(&url)
            .header("content-type", "application/json")
            .body(bodies[i % bodies.len()].clone());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        async move {
            let response = request.send().await.ok()?;
            if !response.status().is_success() {
                return None;
            }
            let compressed = response.headers().contains_key(reqwest::header::CONTENT_ENCODING);
            let body = response.bytes().await.ok()?;
            // A compressed body cannot be searched for errors; its status
            // and encoding say it was answered.
            (compressed || !contains_errors(&body)).then_some(body.len())
        }
    })
    .await
}

fn contains_errors(body: &[u8]) -> bool {
    memchr::memmem::find(body, br#""errors":"#).is_some()
}

/// Drives the database with a ceiling's statement, through a pool like the
/// server's, reading each response whole.
pub async fn sql(
    db: &DatabaseConnection,
    ceiling: &Ceiling,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Samples> {
    let backend = db.get_database_backend();
    let (db, sql, parameters) = (db.clone(), ceiling.sql(backend).to_owned(), ceiling.parameters.clone());
    drive(clients, duration, move |i| {
        let statement = Statement::from_sql_and_values(backend, sql.as_str(), parameters(i));
        let db = db.clone();
        async move { ceiling_response(&db, statement).await.ok().map(|json| json.len()) }
    })
    .await
}

/// The JSON text a ceiling statement returns.
pub async fn ceiling_response(db: &DatabaseConnection, statement: Statement) -> anyhow::Result<String> {
    let row = db
        .query_one_raw(statement)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the statement returned no row"))?;
    Ok(row.try_get_by_index::<String>(0)?)
}

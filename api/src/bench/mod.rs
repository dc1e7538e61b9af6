//! `kamkor bench`: generates a data set, starts the real server as a child
//! process, drives it over HTTP with concurrent clients, and reports
//! requests per second, latency percentiles, SQL statements per request and
//! the server's peak memory.

mod generated;

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use sea_orm::DatabaseConnection;

use crate::{
    config::{RateLimitSettings, Settings},
    database,
    graphql::{
        SchemaDeps, build_schemas,
        context::RequestContext,
        ids::{self, NodeKind},
        loaders::Loaders,
        rate_limit::RateLimiter,
    },
    metrics::Metrics,
    registry::{self, events::Events},
    seed,
};

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Centres to generate (into an empty database).
    #[arg(long, default_value_t = 10_000)]
    pub centres: usize,
    /// Services to generate.
    #[arg(long, default_value_t = 50_000)]
    pub services: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Seconds of load per query.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print each query's SQL statements with their time.
    #[arg(long)]
    pub show_sql: bool,
}

/// One measured query: a name, its GraphQL text, and its variables for the
/// i-th request.
struct Scenario {
    name: &'static str,
    query: &'static str,
    variables: Box<dyn Fn(usize) -> serde_json::Value + Send + Sync>,
}

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

fn scenarios(centre_ids: Arc<Vec<String>>) -> Vec<Scenario> {
    const POINTS: [(f64, f64); 4] = [(42.87, 74.59), (40.53, 72.80), (42.49, 78.39), (40.93, 73.00)];
    const AREAS: [&str; 4] = ["KG-GB", "KG-GO", "KG-Y", "KG-GB-LEN"];
    vec![
        Scenario {
            name: "findHelp near a point",
            query: FIND_HELP,
            variables: Box::new(|i| {
                let (lat, lon) = POINTS[i % POINTS.len()];
                serde_json::json!({ "lat": lat, "lon": lon })
            }),
        },
        Scenario {
            name: "centres page + services + capacities",
            query: CENTRES_PAGE,
            variables: Box::new(|i| serde_json::json!({ "area": AREAS[i % AREAS.len()] })),
        },
        Scenario {
            name: "node lookup",
            query: NODE,
            variables: Box::new(move |i| serde_json::json!({ "id": centre_ids[i % centre_ids.len()] })),
        },
    ]
}

pub async fn run(settings: &Settings, args: BenchArgs) -> anyhow::Result<()> {
    let db = database::connect(&settings.database).await?;
    database::migrate(&db).await?;
    if registry::batch::is_empty(&db).await? {
        let started = Instant::now();
        seed::demo::load(&db, Default::default()).await?;
        generated::generate(&db, args.centres, args.services, args.seed).await?;
        // Fresh statistics, as a production database would have, so the
        // planners pick the indexes.
        database::refresh_statistics(&db).await?;
        println!(
            "generated {} centres and {} services in {:.1} s",
            args.centres,
            args.services,
            started.elapsed().as_secs_f64()
        );
    } else {
        println!(
            "reusing the data in the database ({} centres)",
            registry::centre::count_all(&db).await?
        );
    }
    let centre_ids: Arc<Vec<String>> = Arc::new(
        registry::centre::some_ids(&db, 1000)
            .await?
            .into_iter()
            .map(|id| ids::encode(NodeKind::Centre, id).to_string())
            .collect(),
    );
    let scenarios = scenarios(centre_ids);

    // The first run warms the connections' caches; the second is measured.
    sql_costs(&db, &scenarios).await?;
    let costs = sql_costs(&db, &scenarios).await?;
    if args.show_sql {
        for (scenario, cost) in scenarios.iter().zip(&costs) {
            println!("\n{}:", scenario.name);
            for (elapsed, sql) in &cost.statements {
                println!(
                    "  {:>7.2} ms  {}",
                    elapsed.as_secs_f64() * 1e3,
                    sql.chars().take(160).collect::<String>()
                );
            }
        }
    }
    let mut server = ServerProcess::start(settings).await?;
    println!(
        "\n{} clients, {} s per query, server pid {}\n{:<38} {:>9} {:>9} {:>9} {:>7} {:>8} {:>11}",
        args.clients,
        args.seconds,
        server.child.id(),
        "query",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "SQL/req",
        "SQL ms/req"
    );
    for (scenario, cost) in scenarios.iter().zip(&costs) {
        let result = drive(&server.url, scenario, args.clients, Duration::from_secs(args.seconds)).await?;
        println!(
            "{:<38} {:>9.0} {:>9.2} {:>9.2} {:>7} {:>8} {:>11.2}",
            scenario.name,
            result.requests_per_second,
            result.p50.as_secs_f64() * 1e3,
            result.p99.as_secs_f64() * 1e3,
            result.errors,
            cost.statements.len(),
            cost.elapsed.as_secs_f64() * 1e3
        );
    }
    println!(
        "\nserver peak memory (VmHWM): {}",
        server.peak_memory().unwrap_or_else(|| "unknown".into())
    );
    server.stop();
    Ok(())
}

/// What one request of a scenario costs in SQL, measured in-process.
struct SqlCost {
    statements: Vec<(Duration, String)>,
    elapsed: Duration,
}

/// Runs each scenario once in-process on a connection that counts its SQL
/// statements and their time, through the same schema and loaders as the server.
async fn sql_costs(db: &DatabaseConnection, scenarios: &[Scenario]) -> anyhow::Result<Vec<SqlCost>> {
    let log: Arc<Mutex<Vec<(Duration, String)>>> = Arc::default();
    let mut counting = db.clone();
    let sink = log.clone();
    counting.set_metric_callback(move |info| {
        if let Ok(mut log) = sink.lock() {
            log.push((info.elapsed, info.statement.sql.clone()));
        }
    });
    let schemas = build_schemas(&SchemaDeps {
        db: counting.clone(),
        limits: Default::default(),
        rate_limiter: Arc::new(RateLimiter::new(&RateLimitSettings {
            anonymous_per_minute: 0,
            authenticated_per_minute: 0,
        })),
        metrics: Arc::new(Metrics::new()?),
        events: Events::in_process(),
        freshness: Default::default(),
    });
    let schema = &schemas.anonymous;
    let mut costs = Vec::new();
    for scenario in scenarios {
        let variables = async_graphql::Variables::from_json((scenario.variables)(0));
        let request = async_graphql::Request::new(scenario.query)
            .variables(variables)
            .data(RequestContext::default())
            .data(Loaders::new(&counting));
        log.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clear();
        let response = schema.execute(request).await;
        anyhow::ensure!(
            response.errors.is_empty(),
            "{} failed: {:?}",
            scenario.name,
            response.errors
        );
        let statements = std::mem::take(&mut *log.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
        costs.push(SqlCost {
            elapsed: statements.iter().map(|s| s.0).sum(),
            statements,
        });
    }
    Ok(costs)
}

struct LoadResult {
    requests_per_second: f64,
    p50: Duration,
    p99: Duration,
    errors: usize,
}

/// `clients` tasks send the scenario's request back to back for `duration`.
async fn drive(url: &str, scenario: &Scenario, clients: usize, duration: Duration) -> anyhow::Result<LoadResult> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(clients).build()?;
    let bodies: Arc<Vec<String>> = Arc::new(
        (0..64)
            .map(|i| serde_json::json!({ "query": scenario.query, "variables": (scenario.variables)(i) }).to_string())
            .collect(),
    );
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (client, bodies, url) = (client.clone(), bodies.clone(), url.to_owned());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0;
                let mut i = c;
                while Instant::now() < deadline {
                    let body = bodies[i % bodies.len()].clone();
                    i += clients;
                    let sent = Instant::now();
                    let ok = match client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                    {
                        Ok(res) if res.status().is_success() => res
                            .bytes()
                            .await
                            .map(|b| !b.starts_with(br#"{"errors""#) && !contains_errors(&b))
                            .unwrap_or(false),
                        _ => false,
                    };
                    latencies.push(sent.elapsed());
                    if !ok {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (l, e) = task.await?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Ok(LoadResult {
        requests_per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(0.50),
        p99: percentile(0.99),
        errors,
    })
}

fn contains_errors(body: &[u8]) -> bool {
    body.windows(9).any(|w| w == br#""errors":"#)
}

/// The server under test, in its own process so that its memory is its own.
struct ServerProcess {
    child: Child,
    url: String,
}

impl ServerProcess {
    async fn start(settings: &Settings) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(std::env::current_exe()?)
            .args(["serve", "--no-demo", "--bind", &format!("127.0.0.1:{port}")])
            .env("KAMKOR_DATABASE_URL", &settings.database.url)
            .env(
                "KAMKOR_DATABASE_MAX_CONNECTIONS",
                settings.database.pool_size().to_string(),
            )
            .env("RUST_LOG", "warn")
            // One client address sends every request: no rate limit.
            .env("KAMKOR_RATE_LIMIT_ANONYMOUS", "0")
            .stdout(Stdio::null())
            .spawn()
            .context("starting the server")?;
        let server = Self {
            child,
            url: format!("http://127.0.0.1:{port}/graphql"),
        };
        let ready = format!("http://127.0.0.1:{port}/readyz");
        for _ in 0..100 {
            if reqwest::get(&ready).await.is_ok_and(|r| r.status().is_success()) {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::bail!("the server did not become ready within 10 s")
    }

    /// Peak resident memory of the server, from /proc (Linux).
    fn peak_memory(&self) -> Option<String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

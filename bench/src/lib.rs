//! `kamkor bench`: generates a data set, starts the real server as a child
//! process, drives it over HTTP with concurrent clients, and reports for
//! each query requests per second, latency percentiles, SQL statements,
//! CPU time per request and peak memory, beside a ceiling: the same rows
//! and fields from the database alone, measured in the same run with the
//! same clients and pool, in turns with the query.
//!
//! Each query has a budget of SQL statements; a run that exceeds one fails,
//! so that CI catches a lost batch whatever the timings (which are noisy on
//! shared machines, and are reported, never asserted).

mod generated;
mod load;
mod report;
mod scenario;
mod server;

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use sea_orm::{DatabaseConnection, DbBackend, Statement};
use serde_json::Value;

use self::{
    load::Samples,
    report::{CeilingReport, Report, ScenarioReport},
    scenario::Scenario,
    server::{MemoryPeaks, ServerProcess},
};
use api::{
    cli::ServeOptions,
    config::{DatabaseSettings, RateLimitSettings},
    database,
    graphql::{
        SchemaDeps, build_schemas,
        context::RequestContext,
        ids::{self, NodeKind},
        loaders::{Loaders, lookups::SharedLookups},
        rate_limit::RateLimiter,
    },
    metrics::Metrics,
    registry::{self, capacity::Freshness, events::Events},
};

/// What `kamkor bench` measures, and the server it measures.
#[derive(clap::Args, Debug)]
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
    /// Seconds of load per query (and as many for its ceiling).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print each query's SQL statements with their time.
    #[arg(long)]
    pub show_sql: bool,
    /// Also write the figures to this file as JSON.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// The server measured: its database and settings.
    #[command(flatten)]
    pub server: ServeOptions,
}

/// Runs the benchmark: generates the data, starts the server, measures.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let settings = &args.server.settings().map_err(anyhow::Error::msg)?;
    // The benchmark's own connections may wait their turn (the server's
    // give up after a second, to answer outages at once), and its bulk
    // load runs statements far longer than a request's limit allows: on a
    // slow machine one COPY batch of the million-service data set took
    // longer than the server's statement timeout.
    let mut own = settings.database.clone();
    own.acquire_timeout = Duration::from_secs(30);
    own.statement_timeout = Duration::from_secs(600);
    let db = database::connect(&own).await?;
    database::migrate(&db).await?;
    let generated_in_seconds = prepare_data(&db, &args).await?;
    let centre_ids: Arc<Vec<String>> = Arc::new(
        registry::centre::some_ids(&db, 1000)
            .await?
            .into_iter()
            .map(|id| ids::encode(NodeKind::Centre, id).to_string())
            .collect(),
    );
    let stale_after = chrono::TimeDelta::from_std(settings.stale_after)?;
    let scenarios = scenario::all(centre_ids, stale_after);

    let costs = sql_costs(&own, &scenarios, stale_after).await?;
    if args.show_sql {
        print_sql(&scenarios, &costs);
    }
    let server = ServerProcess::start(settings).await?;
    for scenario in &scenarios {
        check_ceiling(&db, &server.url, scenario).await?;
    }
    println!(
        "\n{} clients, {} s per query and per ceiling (taking turns in {SLICES_WITH_A_CEILING} slices), server pid {}",
        args.clients,
        args.seconds,
        server.pid()
    );
    let mut peak = server.peak_memory_kb();
    let (mut private_peak, mut proportional_peak) = (None, None);
    let mut rows = Vec::new();
    for (scenario, cost) in scenarios.iter().zip(costs) {
        let row = measure(&db, &server, scenario, cost, &args).await?;
        println!(
            "  {:<38} {:>7.0} req/s{}",
            row.name,
            row.load.requests_per_second,
            row.percent_of_ceiling
                .map_or_else(String::new, |p| format!(", {p:.0} % of its ceiling"))
        );
        peak = peak.max(row.peak_memory_kb);
        private_peak = private_peak.max(row.peak_private_memory_kb);
        proportional_peak = proportional_peak.max(row.peak_proportional_memory_kb);
        rows.push(row);
    }
    let report = Report {
        engine: engine_name(&db).to_owned(),
        centres: registry::centre::count_all(&db).await?,
        services: registry::service::count_all(&db).await?,
        clients: args.clients,
        seconds: args.seconds,
        pool_size: settings.database.pool_size(),
        generated_in_seconds,
        scenarios: rows,
        peak_memory_kb: peak,
        peak_private_memory_kb: private_peak,
        peak_proportional_memory_kb: proportional_peak,
    };
    print!("{}", report.table());
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    check_statement_budgets(&report)
}

/// Fills an empty database with the demo data and the generated data set;
/// the seconds it took, or `None` when the database already held data.
async fn prepare_data(db: &DatabaseConnection, args: &BenchArgs) -> anyhow::Result<Option<f64>> {
    if !registry::batch::is_empty(db).await? {
        println!(
            "reusing the data in the database ({} centres)",
            registry::centre::count_all(db).await?
        );
        return Ok(None);
    }
    let started = Instant::now();
    api::seed::demo::load(db, Default::default()).await?;
    generated::generate(db, args.centres, args.services, args.seed).await?;
    tracing::debug!(seconds = started.elapsed().as_secs_f64(), "generated");
    // Fresh statistics, as a production database would have, so the
    // planners pick the indexes.
    database::refresh_statistics(db).await?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "generated {} centres and {} services in {seconds:.1} s",
        args.centres, args.services
    );
    Ok(Some(seconds))
}

fn engine_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        _ => "sqlite",
    }
}

/// The slices a query's load is cut into when it has a ceiling: the server
/// and the database alone take turns, so that both meet the machine as it
/// is at the time. These shared machines drift by a quarter within
/// minutes; measured whole, one after the other, a query and its ceiling
/// met different machines, and the share swung by that much from run to
/// run.
const SLICES_WITH_A_CEILING: u32 = 5;

/// Loads the server with one scenario and, in turns with it, the database
/// with its ceiling.
async fn measure(
    db: &DatabaseConnection,
    server: &ServerProcess,
    scenario: &Scenario,
    cost: SqlCost,
    args: &BenchArgs,
) -> anyhow::Result<ScenarioReport> {
    let slices = if scenario.ceiling.is_some() {
        SLICES_WITH_A_CEILING
    } else {
        1
    };
    let slice = Duration::from_secs(args.seconds) / slices;
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    server.reset_peak_memory();
    let memory = MemoryPeaks::start(server.pid());
    let (mut api, mut server_cpu, mut client_cpu) = (Samples::default(), CpuSpent::zero(), CpuSpent::zero());
    let (mut direct, mut direct_cpu) = (Samples::default(), CpuSpent::zero());
    for _ in 0..slices {
        let (server_clock, client_clock) = (
            CpuClock::start(server.cpu_time(), postgres),
            CpuClock::start(own_cpu_time(), false),
        );
        api.absorb(load::http(&server.url, scenario, args.clients, slice).await?);
        server_cpu.add(server_clock.stop(server.cpu_time()));
        client_cpu.add(client_clock.stop(own_cpu_time()));
        if let Some(ceiling) = &scenario.ceiling {
            // SQLite works inside the process that calls it: here, this one.
            let clock = CpuClock::start(own_cpu_time(), postgres);
            direct.absorb(load::sql(db, ceiling, args.clients, slice).await?);
            direct_cpu.add(clock.stop(own_cpu_time()));
        }
    }
    let (server_cpu, database_cpu) = server_cpu.per_request(api.requests());
    let (client_cpu, _) = client_cpu.per_request(api.requests());
    let peak_memory_kb = server.peak_memory_kb();
    let peaks = memory.stop().await;
    let load = api.result();
    let ceiling = scenario.ceiling.as_ref().map(|_| {
        let (own, database) = direct_cpu.per_request(direct.requests());
        CeilingReport {
            load: direct.result(),
            database_cpu_ms_per_request: if postgres { database } else { own },
        }
    });
    let percent_of_ceiling = ceiling
        .as_ref()
        .map(|c| 100.0 * load.requests_per_second / c.load.requests_per_second.max(f64::MIN_POSITIVE));
    Ok(ScenarioReport {
        name: scenario.name.to_owned(),
        load,
        sql_statements: cost.statements.len(),
        max_statements: scenario.max_statements,
        sql_ms: cost.elapsed.as_secs_f64() * 1e3,
        server_cpu_ms_per_request: server_cpu,
        database_cpu_ms_per_request: database_cpu,
        client_cpu_ms_per_request: client_cpu,
        peak_memory_kb,
        peak_private_memory_kb: peaks.private_kb,
        peak_proportional_memory_kb: peaks.proportional_kb,
        ceiling,
        percent_of_ceiling,
    })
}

/// CPU time of one process and, when local, of PostgreSQL, from a start.
struct CpuClock {
    process: Option<Duration>,
    postgres: Option<Duration>,
}

impl CpuClock {
    fn start(process: Option<Duration>, postgres: bool) -> Self {
        Self {
            process,
            postgres: postgres.then(server::postgres_cpu_time).flatten(),
        }
    }

    /// The time spent since the start; `process_now` is the process's.
    fn stop(&self, process_now: Option<Duration>) -> CpuSpent {
        let spent = |from: Option<Duration>, to: Option<Duration>| Some(to?.saturating_sub(from?));
        let postgres_now = self.postgres.and_then(|_| server::postgres_cpu_time());
        CpuSpent {
            process: spent(self.process, process_now),
            postgres: spent(self.postgres, postgres_now),
        }
    }
}

/// CPU time spent over one or more slices of load; `None` where a slice
/// could not tell.
struct CpuSpent {
    process: Option<Duration>,
    postgres: Option<Duration>,
}

impl CpuSpent {
    fn zero() -> Self {
        Self {
            process: Some(Duration::ZERO),
            postgres: Some(Duration::ZERO),
        }
    }

    fn add(&mut self, slice: CpuSpent) {
        let sum = |a: Option<Duration>, b: Option<Duration>| Some(a? + b?);
        self.process = sum(self.process, slice.process);
        self.postgres = sum(self.postgres, slice.postgres);
    }

    /// Milliseconds per request of the process and of PostgreSQL.
    fn per_request(&self, requests: usize) -> (Option<f64>, Option<f64>) {
        let per = |spent: Option<Duration>| Some(spent?.as_secs_f64() * 1e3 / requests.max(1) as f64);
        (per(self.process), per(self.postgres))
    }
}

fn own_cpu_time() -> Option<Duration> {
    server::cpu_time_of(std::process::id())
}

/// Checks, before anything is measured, that a scenario's ceiling returns
/// the rows and fields the API returns, for each set of variables the load
/// cycles through; so that the ceiling is a fair measure.
async fn check_ceiling(db: &DatabaseConnection, url: &str, scenario: &Scenario) -> anyhow::Result<()> {
    let Some(ceiling) = &scenario.ceiling else {
        return Ok(());
    };
    let client = reqwest::Client::new();
    for i in 0..4 {
        let api: Value = client
            .post(url)
            .json(&serde_json::json!({ "query": scenario.query, "variables": (scenario.variables)(i) }))
            .send()
            .await?
            .json()
            .await?;
        let statement = Statement::from_sql_and_values(
            db.get_database_backend(),
            ceiling.sql(db.get_database_backend()),
            (ceiling.parameters)(i),
        );
        let text = load::ceiling_response(db, statement).await?;
        let direct: Value = serde_json::from_str(&text).context("the ceiling's JSON")?;
        same_response(&api["data"], &direct, "data").map_err(|difference| {
            anyhow::anyhow!(
                "the ceiling of {:?} does not return what the API does ({difference}): fix the statement",
                scenario.name
            )
        })?;
    }
    Ok(())
}

/// Whether the API's response holds every field of the ceiling's, with the
/// same values: ids compared as UUIDs (the API's are global ids), times as
/// instants, numbers as numbers. Fields only the API has (cursors, which
/// the database cannot make) are not compared.
fn same_response(api: &Value, direct: &Value, path: &str) -> Result<(), String> {
    let differ = || Err(format!("{path}: {api} against {direct}"));
    match (api, direct) {
        (_, Value::Object(fields)) => fields
            .iter()
            .try_for_each(|(key, value)| same_response(&api[key], value, &format!("{path}.{key}"))),
        (Value::Array(a), Value::Array(d)) if a.len() == d.len() => a
            .iter()
            .zip(d)
            .enumerate()
            .try_for_each(|(i, (a, d))| same_response(a, d, &format!("{path}[{i}]"))),
        (Value::String(a), Value::String(d)) if same_text(a, d) => Ok(()),
        (Value::Number(a), Value::Number(d))
            if (a.as_f64().unwrap_or(f64::NAN) - d.as_f64().unwrap_or(0.0)).abs() < 1e-9 =>
        {
            Ok(())
        }
        (a, d) if a == d => Ok(()),
        _ => differ(),
    }
}

fn same_text(api: &str, direct: &str) -> bool {
    if api == direct {
        return true;
    }
    let plain = |uuid: &str| uuid.replace('-', "").to_lowercase();
    if let Ok((_, uuid)) = ids::decode(&async_graphql::ID(api.to_owned())) {
        return uuid.simple().to_string() == plain(direct);
    }
    match (
        chrono::DateTime::parse_from_rfc3339(api),
        chrono::DateTime::parse_from_rfc3339(&direct.replace(' ', "T")),
    ) {
        (Ok(a), Ok(d)) => a == d,
        _ => false,
    }
}

/// Fails the run when a query took more statements than its budget.
fn check_statement_budgets(report: &Report) -> anyhow::Result<()> {
    let over: Vec<String> = report
        .scenarios
        .iter()
        .filter(|s| s.sql_statements > s.max_statements)
        .map(|s| {
            format!(
                "{}: {} SQL statements, budget {}",
                s.name, s.sql_statements, s.max_statements
            )
        })
        .collect();
    anyhow::ensure!(
        over.is_empty(),
        "SQL statements per request rose above their budget (an N+1 or a lost batch?):\n  {}",
        over.join("\n  ")
    );
    Ok(())
}

/// What one request of a scenario costs in SQL, measured in-process.
struct SqlCost {
    statements: Vec<(Duration, String)>,
    elapsed: Duration,
}

fn print_sql(scenarios: &[Scenario], costs: &[SqlCost]) {
    for (scenario, cost) in scenarios.iter().zip(costs) {
        println!("\n{}:", scenario.name);
        for (elapsed, sql) in &cost.statements {
            println!("  {:>7.2} ms  {sql}", elapsed.as_secs_f64() * 1e3);
        }
    }
}

/// Runs each scenario in-process on a connection that counts its SQL
/// statements and their time, through the same schema and loaders as the
/// server, on a single-threaded runtime as the server's workers are (so
/// that loaders batch exactly as they do there). The runtime has a pool of
/// its own, opened and closed on it: a sqlx pool hands connections back
/// through tasks on the runtime that used them, so it is not shared across
/// runtimes.
async fn sql_costs(
    settings: &DatabaseSettings,
    scenarios: &[Scenario],
    stale_after: chrono::TimeDelta,
) -> anyhow::Result<Vec<SqlCost>> {
    let requests: Vec<(&'static str, &'static str, Value)> =
        scenarios.iter().map(|s| (s.name, s.query, (s.variables)(0))).collect();
    let settings = settings.clone();
    tokio::task::spawn_blocking(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(async move {
                let db = database::connect(&settings).await?;
                // The first run warms the connections' caches; the second is measured.
                count_statements(&db, &requests, stale_after).await?;
                let costs = count_statements(&db, &requests, stale_after).await;
                db.close().await?;
                costs
            })
    })
    .await?
}

async fn count_statements(
    db: &DatabaseConnection,
    requests: &[(&'static str, &'static str, Value)],
    stale_after: chrono::TimeDelta,
) -> anyhow::Result<Vec<SqlCost>> {
    let log: Arc<Mutex<Vec<(Duration, String)>>> = Arc::default();
    let mut counting = db.clone();
    let sink = log.clone();
    counting.set_metric_callback(move |info| {
        if let Ok(mut log) = sink.lock() {
            log.push((info.elapsed, info.statement.sql.clone()));
        }
    });
    let events = Events::in_process(Default::default());
    let schemas = build_schemas(&SchemaDeps {
        db: counting.clone(),
        limits: Default::default(),
        rate_limiter: Arc::new(RateLimiter::new(&RateLimitSettings {
            anonymous_per_minute: 0,
            authenticated_per_minute: 0,
        })),
        metrics: Arc::new(Metrics::new()?),
        events: events.clone(),
        freshness: Freshness { stale_after },
        fair_share: Default::default(),
        first_circle: Default::default(),
    });
    let schema = &schemas.http.anonymous;
    let lookups = SharedLookups::new(&counting);
    let mut costs = Vec::new();
    for (name, query, variables) in requests {
        let request = || {
            async_graphql::Request::new(*query)
                .variables(async_graphql::Variables::from_json(variables.clone()))
                .data(RequestContext::default())
                .data(Loaders::new(
                    &counting,
                    events.reference_cache(),
                    &lookups,
                    registry::text::Lang::Ky,
                ))
        };
        // Counted once the replica's reference cache holds what the query
        // names, as it does on a server that has been up for a while.
        let warming = schema.execute(request()).await;
        anyhow::ensure!(warming.errors.is_empty(), "{name} failed: {:?}", warming.errors);
        log.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.clear();
        let response = schema.execute(request()).await;
        anyhow::ensure!(response.errors.is_empty(), "{name} failed: {:?}", response.errors);
        let statements = std::mem::take(&mut *log.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);
        costs.push(SqlCost {
            elapsed: statements.iter().map(|s| s.0).sum(),
            statements,
        });
    }
    Ok(costs)
}

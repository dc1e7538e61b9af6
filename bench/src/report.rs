//! What `kamkor bench` reports: a table on the terminal and, on request, the
//! same figures as JSON for CI to keep and plot.

use serde::Serialize;

use super::load::LoadResult;

#[derive(Debug, Serialize)]
pub struct Report {
    /// `postgres` or `sqlite`.
    pub engine: String,
    pub centres: u64,
    pub services: u64,
    pub clients: usize,
    pub seconds: u64,
    pub pool_size: u32,
    /// Seconds the data took to generate; `None` when it was reused.
    pub generated_in_seconds: Option<f64>,
    pub scenarios: Vec<ScenarioReport>,
    /// The server's largest resident memory over the whole run, in kB.
    pub peak_memory_kb: Option<u64>,
    /// The largest of the scenarios' private memory peaks, in kB.
    pub peak_private_memory_kb: Option<u64>,
    /// The largest of the scenarios' proportional set size peaks, in kB.
    pub peak_proportional_memory_kb: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct ScenarioReport {
    pub name: String,
    #[serde(flatten)]
    pub load: LoadResult,
    /// SQL statements of one request, and the most it may take.
    pub sql_statements: usize,
    pub max_statements: usize,
    /// Time the database spent on one request's statements (one warm run).
    pub sql_ms: f64,
    /// Server CPU time (user and system, all threads) per request.
    pub server_cpu_ms_per_request: Option<f64>,
    /// PostgreSQL's CPU time per request, when it runs on this machine.
    pub database_cpu_ms_per_request: Option<f64>,
    /// The load generator's own CPU time per request: what it takes from
    /// the cores it shares with the server.
    pub client_cpu_ms_per_request: Option<f64>,
    /// The server's peak resident memory during this scenario, in kB,
    /// mapped database pages included (see `server::MemoryPeaks`).
    pub peak_memory_kb: Option<u64>,
    /// The peak of the server's private memory (heap and stacks) during
    /// this scenario, sampled, in kB.
    pub peak_private_memory_kb: Option<u64>,
    /// The peak of the server's proportional set size during this
    /// scenario, sampled, in kB: its private memory plus its share of the
    /// file pages it maps, each page counted once.
    pub peak_proportional_memory_kb: Option<u64>,
    pub ceiling: Option<CeilingReport>,
    /// Requests per second as a share of the ceiling's, in percent.
    pub percent_of_ceiling: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct CeilingReport {
    #[serde(flatten)]
    pub load: LoadResult,
    pub database_cpu_ms_per_request: Option<f64>,
}

fn or_dash(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{v:.decimals$}"))
}

impl Report {
    /// The tables printed at the end of a run.
    pub fn table(&self) -> String {
        let mb = |kb: Option<u64>| or_dash(kb.map(|kb| kb as f64 / 1024.0), 1);
        let mut out = format!(
            "\n{} · {} centres, {} services · {} clients, {} s per query, pool of {}\n\n",
            self.engine, self.centres, self.services, self.clients, self.seconds, self.pool_size
        );
        out.push_str(&format!(
            "{:<38} {:>7} {:>7} {:>7} {:>6} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>10}\n",
            "query",
            "req/s",
            "p50 ms",
            "p99 ms",
            "errors",
            "SQL/req",
            "CPU ms",
            "DB CPU",
            "load CPU",
            "peak MB",
            "PSS MB",
            "own MB",
            "kB/resp",
            "of ceiling"
        ));
        for s in &self.scenarios {
            out.push_str(&format!(
                "{:<38} {:>7.0} {:>7.1} {:>7.1} {:>6} {:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8.1} {:>10}\n",
                s.name,
                s.load.requests_per_second,
                s.load.p50_ms,
                s.load.p99_ms,
                s.load.errors,
                s.sql_statements,
                or_dash(s.server_cpu_ms_per_request, 2),
                or_dash(s.database_cpu_ms_per_request, 2),
                or_dash(s.client_cpu_ms_per_request, 2),
                mb(s.peak_memory_kb),
                mb(s.peak_proportional_memory_kb),
                mb(s.peak_private_memory_kb),
                s.load.bytes_per_response / 1024.0,
                s.percent_of_ceiling
                    .map_or_else(|| "-".to_owned(), |p| format!("{p:.0} %")),
            ));
        }
        out.push_str(&format!(
            "\nceilings: the same rows and fields from one SQL statement, same clients and pool, in turns with the query\n\
             {:<38} {:>7} {:>7} {:>7} {:>6} {:>17} {:>17}\n",
            "query", "req/s", "p50 ms", "p99 ms", "errors", "", "DB CPU"
        ));
        for s in &self.scenarios {
            if let Some(c) = &s.ceiling {
                out.push_str(&format!(
                    "{:<38} {:>7.0} {:>7.1} {:>7.1} {:>6} {:>17} {:>17}\n",
                    s.name,
                    c.load.requests_per_second,
                    c.load.p50_ms,
                    c.load.p99_ms,
                    c.load.errors,
                    "",
                    or_dash(c.database_cpu_ms_per_request, 2),
                ));
            }
        }
        out.push_str(&format!(
            "\nCPU ms: the server's CPU time per request (SQLite works inside it); DB CPU: the database's \
             (PostgreSQL's when it runs here; SQLite's in this process for a ceiling); load CPU: the load generator's.\n\
             peak MB: the server's peak resident memory, which counts the SQLite file's mapped pages once per \
             connection; PSS MB: its proportional set size, which counts each of them once; \
             own MB: its private memory (heap, stacks), the peak of samples every 5 ms.\n\
             Peak memory of the server over the run: {} MB resident, {} MB proportional, {} MB own.\n",
            mb(self.peak_memory_kb),
            mb(self.peak_proportional_memory_kb),
            mb(self.peak_private_memory_kb)
        ));
        out
    }
}

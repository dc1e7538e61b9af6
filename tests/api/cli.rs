//! The `kamkor` command line: real processes, real exit codes.

use std::{
    net::TcpListener,
    process::{Command, Output},
};

fn kamkor(args: &[&str], database_url: &str) -> Output {
    kamkor_logging(args, database_url, "error")
}

/// `kamkor` with its logs filtered by `rust_log`.
fn kamkor_logging(args: &[&str], database_url: &str, rust_log: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kamkor"))
        .args(args)
        .env("KAMKOR_DATABASE_URL", database_url)
        .env("RUST_LOG", rust_log)
        .output()
        .expect("kamkor runs")
}

fn temp_sqlite() -> (String, std::path::PathBuf) {
    let path = std::env::temp_dir().join(format!("kamkor-cli-{}.db", uuid::Uuid::new_v4().simple()));
    (format!("sqlite://{}?mode=rwc", path.display()), path)
}

fn remove_sqlite(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// `kamkor serve ARGS` on a port the kernel picks, with stdout and stderr
/// piped; returns once the server has printed where it listens, with that
/// banner. A server that dies or hangs first fails the test with its stderr.
fn serve(args: &[&str], database_url: &str, rust_log: &str) -> (std::process::Child, u16, String) {
    use std::io::{BufRead, Read};

    let mut child = Command::new(env!("CARGO_BIN_EXE_kamkor"))
        .arg("serve")
        .args(args)
        .args(["--bind", "127.0.0.1:0"])
        .env("KAMKOR_DATABASE_URL", database_url)
        .env("KAMKOR_JWT_SECRET", crate::helpers::SECRET)
        .env("RUST_LOG", rust_log)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kamkor starts");
    let stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let (lines, banner) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    // Startup migrates a new database; on a loaded 2-core machine running
    // the whole suite that can take many seconds.
    let mut printed = String::new();
    while let Ok(line) = banner.recv_timeout(std::time::Duration::from_secs(60)) {
        printed.push_str(&line);
        printed.push('\n');
        if line.starts_with("Playground:") || line.starts_with("GraphQL endpoint:") {
            let port = printed
                .split("http://127.0.0.1:")
                .nth(1)
                .and_then(|rest| rest.split(['/', '\n']).next())
                .and_then(|port| port.parse().ok())
                .unwrap_or_else(|| panic!("no port in the banner: {printed}"));
            return (child, port, printed);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut stderr = String::new();
    let _ = child.stderr.take().expect("stderr").read_to_string(&mut stderr);
    panic!("the server never said where it listens: {printed}{stderr}");
}

/// A failed command prints exactly one `error:` line and no panic.
fn assert_one_line_error(output: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains(expected), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn schema_prints_the_committed_sdl() {
    let output = kamkor(&["schema"], "sqlite::memory:");
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stdout), api::graphql::sdl());
}

#[test]
fn migrate_and_seed_an_empty_database_once() {
    let (url, path) = temp_sqlite();
    let migrate = kamkor(&["migrate"], &url);
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    let seed = kamkor(&["seed", "--demo"], &url);
    assert!(seed.status.success(), "{}", String::from_utf8_lossy(&seed.stderr));
    assert!(String::from_utf8_lossy(&seed.stdout).contains("centres"));
    let again = kamkor(&["seed", "--demo"], &url);
    assert_one_line_error(&again, "already holds data");
    remove_sqlite(&path);
}

#[test]
fn logs_written_to_a_pipe_carry_no_colour_codes() {
    let (url, path) = temp_sqlite();
    let seed = kamkor_logging(&["seed", "--demo"], &url, "info");
    assert!(seed.status.success(), "{}", String::from_utf8_lossy(&seed.stderr));
    let log = String::from_utf8_lossy(&seed.stderr);
    assert!(log.contains("loaded the demo data"), "{log}");
    assert!(!log.contains('\u{1b}'), "escape codes in {log:?}");
    remove_sqlite(&path);
}

#[test]
fn bad_configuration_fails_with_one_clear_line() {
    assert_one_line_error(&kamkor(&["migrate"], "mysql://localhost/kamkor"), "not supported");
    assert_one_line_error(
        &kamkor(&["migrate"], "postgres://postgres@127.0.0.1:1/nowhere"),
        "cannot open database",
    );
    assert_one_line_error(
        &kamkor(&["serve", "--bind", "not-an-address"], "sqlite::memory:"),
        "--bind",
    );

    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().expect("address").to_string();
    let (url, path) = temp_sqlite();
    let output = kamkor(&["serve", "--no-demo", "--bind", &address], &url);
    assert_one_line_error(&output, "cannot listen");
    remove_sqlite(&path);
}

/// `kamkor serve` answers on its port and stops cleanly on SIGTERM or Ctrl-C.
#[cfg(unix)]
#[test]
fn serve_stops_gracefully_on_sigterm_and_ctrl_c() {
    use std::time::Duration;

    for signal in ["-TERM", "-INT"] {
        let (url, path) = temp_sqlite();
        let (mut child, port, banner) = serve(&[], &url, "error");
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(), "{banner}");
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let exited = (0..100).find_map(|_| {
            std::thread::sleep(Duration::from_millis(100));
            child.try_wait().expect("wait")
        });
        let exited = exited.unwrap_or_else(|| {
            let _ = child.kill();
            panic!("the server did not stop after {signal}")
        });
        assert!(exited.success(), "{signal}: {exited}");
        assert!(
            banner.contains(&format!("Playground: http://127.0.0.1:{port}/graphql")),
            "prints the playground URL: {banner}"
        );
        remove_sqlite(&path);
    }
}

/// A server started before its database is up (a PostgreSQL still
/// starting beside it) waits for the database instead of failing: here the
/// database's port refuses connections for its first two seconds.
#[tokio::test]
async fn serve_waits_for_a_database_that_is_still_starting() {
    let Some((settings, _database)) = crate::helpers::fresh_database(crate::helpers::Backend::Postgres).await else {
        return;
    };
    let mut url = url::Url::parse(&settings.url).expect("a URL");
    let upstream = format!("{}:{}", url.host_str().expect("a host"), url.port().unwrap_or(5432));
    // A port nothing listens on yet: connections to it are refused.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port();
    url.set_host(Some("127.0.0.1")).expect("host");
    url.set_port(Some(port)).expect("port");
    let delay = std::time::Duration::from_secs(2);
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        forward(
            TcpListener::bind(("127.0.0.1", port)).expect("the port is still free"),
            upstream,
        );
    });
    let started = std::time::Instant::now();
    let database_url = url.to_string();
    let (mut child, port, banner) = tokio::task::spawn_blocking(move || serve(&["--no-demo"], &database_url, "error"))
        .await
        .expect("serve");
    assert!(
        started.elapsed() >= delay,
        "listened before its database was up: {banner}"
    );
    let response = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .json(&serde_json::json!({ "query": "{ adminAreas { code } }" }))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    let _ = child.kill();
    let _ = child.wait();
}

/// Forwards every connection `listener` accepts to `upstream`, byte for byte.
fn forward(listener: TcpListener, upstream: String) {
    for client in listener.incoming().map_while(Result::ok) {
        let Ok(server) = std::net::TcpStream::connect(&upstream) else {
            continue;
        };
        let (mut client_in, mut server_in) = (client.try_clone().expect("clone"), server.try_clone().expect("clone"));
        let (mut client_out, mut server_out) = (client, server);
        std::thread::spawn(move || std::io::copy(&mut client_in, &mut server_out));
        std::thread::spawn(move || std::io::copy(&mut server_in, &mut client_out));
    }
}

/// `kamkor bench` generates data, loads a real server, measures each query
/// and its ceiling, and reports them (here through its JSON file).
async fn bench_reports_every_query_and_its_ceiling(backend: crate::helpers::Backend, centres: usize, services: usize) {
    let Some((settings, _database)) = crate::helpers::fresh_database(backend).await else {
        return;
    };
    let json = std::env::temp_dir().join(format!("kamkor-bench-{}.json", uuid::Uuid::new_v4().simple()));
    let (url, report_path) = (settings.url.clone(), json.display().to_string());
    let generated = format!("generated {centres} centres and {services} services");
    let output = tokio::task::spawn_blocking(move || {
        let args = [
            "bench",
            "--centres",
            &centres.to_string(),
            "--services",
            &services.to_string(),
            "--clients",
            "2",
            "--seconds",
            "1",
            "--json",
            &report_path,
        ];
        kamkor(&args, &url)
    })
    .await
    .expect("the bench ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(&generated), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("the JSON report")).expect("JSON");
    let _ = std::fs::remove_file(&json);
    let scenarios = report["scenarios"].as_array().expect("scenarios");
    let named = |name: &str| {
        scenarios
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {report:#}"))
    };
    for scenario in scenarios {
        let name = &scenario["name"];
        assert!(scenario["requests"].as_u64() > Some(0), "{name}");
        assert_eq!(scenario["errors"], 0, "{name}: no failed requests");
        let statements = scenario["sql_statements"].as_u64().unwrap_or_default();
        assert!(
            statements >= 1 && Some(statements) <= scenario["max_statements"].as_u64(),
            "{name}: within its budget"
        );
        assert!(scenario["server_cpu_ms_per_request"].as_f64() > Some(0.0), "{name}");
        assert!(scenario["peak_memory_kb"].as_u64() > Some(1024), "{name}");
        // Private memory is part of the proportional set, which is part of
        // all resident memory.
        let private = scenario["peak_private_memory_kb"].as_u64().unwrap_or_default();
        let proportional = scenario["peak_proportional_memory_kb"].as_u64().unwrap_or_default();
        assert!(
            private > 1024 && private <= proportional && Some(proportional) <= scenario["peak_memory_kb"].as_u64(),
            "{name}: {private} kB private, {proportional} kB proportional"
        );
        assert!(scenario["client_cpu_ms_per_request"].as_f64() > Some(0.0), "{name}");
    }
    for list in ["findHelp near a point", "centres page + services + capacities"] {
        let scenario = named(list);
        assert!(
            scenario["ceiling"]["requests"].as_u64() > Some(0),
            "{list} has a ceiling"
        );
        assert_eq!(scenario["ceiling"]["errors"], 0, "{list}");
        assert!(scenario["percent_of_ceiling"].as_f64() > Some(0.0), "{list}");
    }
    let plain = named("centres page + services + capacities")["bytes_per_response"].as_f64();
    let gzip = named("centres page, gzip")["bytes_per_response"].as_f64();
    assert!(
        gzip.zip(plain).is_some_and(|(g, p)| g * 3.0 < p),
        "compressed on the wire"
    );
    for table_row in ["findHelp near a point", "node lookup", "ceilings:"] {
        assert!(
            stdout.lines().any(|l| l.starts_with(table_row)),
            "{table_row}: {stdout}"
        );
    }
    let Some((fresh, _fresh_database)) = crate::helpers::fresh_database(backend).await else {
        return;
    };
    let migrated = api::database::connect(&fresh).await.expect("connects");
    api::database::migrate(&migrated).await.expect("migrates");
    let loaded = structure(&settings).await;
    assert!(loaded.len() > 20, "{loaded:#?}");
    assert_eq!(
        loaded,
        structure(&fresh).await,
        "the bulk load rebuilt every index and key"
    );
}

/// One engine after the other: each run loads the machine on its own. The
/// data set is big enough for the bulk load to set indexes (and on
/// PostgreSQL constraints) aside and rebuild them.
#[tokio::test]
async fn bench_runs_on_both_engines() {
    bench_reports_every_query_and_its_ceiling(crate::helpers::Backend::Sqlite, 4000, 16000).await;
    bench_reports_every_query_and_its_ceiling(crate::helpers::Backend::Postgres, 4000, 16000).await;
}

/// The indexes and constraints of the registry's schema, as text that does
/// not name the schema.
async fn structure(settings: &api::config::DatabaseSettings) -> Vec<String> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let db = api::database::connect(settings).await.expect("connects");
    let sql = match db.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT indexname || ' ' || replace(indexdef, schemaname || '.', '') FROM pg_indexes \
             WHERE schemaname = current_schema() \
             UNION ALL \
             SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint \
             WHERE connamespace = current_schema()::regnamespace \
             ORDER BY 1"
        }
        _ => "SELECT name || ' ' || coalesce(sql, '') FROM sqlite_master WHERE type = 'index' ORDER BY 1",
    };
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("reads the catalog");
    rows.iter().map(|r| r.try_get_by_index(0).expect("text")).collect()
}

/// The registry's commands, parsed as the binary parses them.
#[derive(clap::Parser)]
struct Registry {
    #[command(subcommand)]
    command: api::cli::Command,
}

#[test]
fn the_pool_size_flag_reaches_the_settings() {
    use clap::Parser;
    let parse = |args: &[&str]| match Registry::try_parse_from(args).expect("parses").command {
        api::cli::Command::Migrate(database) => database.settings(),
        other => panic!("parsed as {other:?}"),
    };
    let settings = parse(&[
        "kamkor",
        "migrate",
        "--database-url",
        "sqlite://k.db?mode=rwc",
        "--database-max-connections",
        "7",
    ]);
    assert_eq!(settings.expect("valid").pool_size(), 7);
    let default = parse(&["kamkor", "migrate", "--database-url", "postgres://db/k"]);
    assert_eq!(default.expect("valid").pool_size(), 16);
    let embedded = parse(&["kamkor", "migrate", "--database-url", "sqlite://k.db?mode=rwc"]);
    assert_eq!(embedded.expect("valid").pool_size(), 8);
    let zero = parse(&["kamkor", "migrate", "--database-max-connections", "0"]);
    assert!(zero.expect_err("refused").contains("at least 1"));
}

/// Each command shows its own options: minting a token takes no server
/// settings, and migrating no token keys.
#[test]
fn each_command_shows_its_own_options() {
    let help = |command: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_kamkor"))
            .args([command, "--help"])
            .output()
            .expect("runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let token = help("token");
    assert!(token.contains("--role") && token.contains("--jwt-secret"), "{token}");
    for server_only in ["--bind", "--max-body-bytes", "--database-url", "--rate-limit-anonymous"] {
        assert!(!token.contains(server_only), "token --help lists {server_only}");
    }
    let migrate = help("migrate");
    assert!(migrate.contains("--database-url"), "{migrate}");
    for other in ["--bind", "--jwt-secret", "--role"] {
        assert!(!migrate.contains(other), "migrate --help lists {other}");
    }
    let serve = help("serve");
    for option in ["--bind", "--database-url", "--jwt-secret", "--hold-max-places"] {
        assert!(serve.contains(option), "serve --help lacks {option}");
    }
    assert!(help("bench").contains("--clients"));
}

/// Every log line of a request carries its id, and the response returns it;
/// a GraphQL operation is logged with its root field, outcome and duration,
/// and never with the caller's credentials.
#[test]
fn request_logs_carry_the_request_id() {
    use std::io::BufRead;

    let (url, path) = temp_sqlite();
    let (mut child, port, _) = serve(&["--no-demo", "--log-format", "json"], &url, "info");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let token = crate::helpers::token("partner", "hotline", &[]);
    let echoed = runtime.block_on(async {
        reqwest::Client::new()
            .post(format!("http://127.0.0.1:{port}/graphql"))
            .header("x-request-id", "trace-me-42")
            .header("authorization", format!("Bearer {token}"))
            .json(&serde_json::json!({ "query": "query Areas { adminAreas { code } }" }))
            .send()
            .await
            .expect("answered")
            .headers()["x-request-id"]
            .clone()
    });
    assert_eq!(echoed, "trace-me-42");
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let stderr = std::io::BufReader::new(child.stderr.take().expect("stderr"));
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect();
    let _ = child.wait();
    let of_request: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["span"]["request_id"] == "trace-me-42")
        .collect();
    let message = |l: &&serde_json::Value| l["fields"]["message"].as_str().unwrap_or_default().to_owned();
    let messages: Vec<String> = of_request.iter().map(message).collect();
    assert!(messages.contains(&"graphql operation".to_owned()), "{lines:#?}");
    assert!(messages.contains(&"request finished".to_owned()), "{lines:#?}");
    let operation = of_request
        .iter()
        .find(|l| message(l) == "graphql operation")
        .expect("logged");
    assert_eq!(operation["fields"]["operation"], "adminAreas");
    assert_eq!(operation["fields"]["outcome"], "ok");
    assert!(operation["fields"]["duration_ms"].is_number());
    let finished = of_request
        .iter()
        .find(|l| message(l) == "request finished")
        .expect("logged");
    assert_eq!(finished["fields"]["status"], 200);
    let signature = token.rsplit('.').next().unwrap_or_default();
    assert!(
        lines.iter().all(|l| !l.to_string().contains(signature)),
        "a token reached the log"
    );
    remove_sqlite(&path);
}

/// On SIGTERM the server stops accepting, finishes what is in flight, then
/// exits 0.
#[cfg(unix)]
#[test]
fn sigterm_lets_requests_in_flight_finish() {
    use std::time::{Duration, Instant};

    let (url, path) = temp_sqlite();
    let (mut child, port, _) = serve(&["--no-demo", "--shutdown-grace", "5s"], &url, "error");
    let slow = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async {
            let res = reqwest::Client::new()
                .post(format!("http://127.0.0.1:{port}/graphql"))
                .json(&serde_json::json!({ "query": "{ kamkorTestSlow: adminAreas { code } }" }))
                .send()
                .await
                .expect("answered");
            let status = res.status();
            (status, res.text().await.unwrap_or_default(), Instant::now())
        })
    });
    std::thread::sleep(Duration::from_millis(400));
    let sent = Instant::now();
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    let (status, body, answered) = slow.join().expect("the request thread");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("kamkorTestSlow"), "{body}");
    assert!(answered > sent, "the request was still in flight when the signal came");
    let exited = (0..100).find_map(|_| {
        std::thread::sleep(Duration::from_millis(100));
        child.try_wait().expect("wait")
    });
    let exited = exited.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("the server did not stop")
    });
    assert!(exited.success(), "{exited}");
    assert!(sent.elapsed() < Duration::from_secs(5));
    remove_sqlite(&path);
}

//! The server under test, in a process of its own so that its CPU time and
//! memory are its own, and what `/proc` tells of processes (Linux).

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::Context as _;

use api::config::Settings;

/// Clock ticks per second of the CPU times in `/proc/<pid>/stat`: the
/// kernel's USER_HZ, 100 on every Linux architecture we run on.
const TICKS_PER_SECOND: f64 = 100.0;

pub struct ServerProcess {
    child: Child,
    pub url: String,
}

impl ServerProcess {
    /// Starts `kamkor serve` on a free port and waits until it is ready.
    pub async fn start(settings: &Settings) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(std::env::current_exe()?)
            .args(["serve", "--no-demo", "--bind", &format!("127.0.0.1:{port}")])
            .env("KAMKOR_DATABASE_URL", &settings.database.url)
            .env(
                "KAMKOR_DATABASE_MAX_CONNECTIONS",
                settings.database.pool_size().to_string(),
            )
            .env(
                "KAMKOR_STALE_AFTER",
                humantime::format_duration(settings.stale_after).to_string(),
            )
            .env("RUST_LOG", "warn")
            // Every request is priced and charged as in production, to a
            // bucket that one client address sending everything cannot drain.
            .env("KAMKOR_RATE_LIMIT_ANONYMOUS", u32::MAX.to_string())
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

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time (user and system, all threads) the server has used so far.
    pub fn cpu_time(&self) -> Option<Duration> {
        cpu_time_of(self.pid())
    }

    /// Peak resident memory since start or since [`ServerProcess::reset_peak_memory`], in kB.
    /// It counts the pages of the SQLite database file each connection
    /// maps, once per connection: see [`MemoryPeaks`].
    pub fn peak_memory_kb(&self) -> Option<u64> {
        status_kb(self.pid(), "VmHWM:")
    }

    /// Starts measuring peak memory afresh (Linux: `clear_refs` 5).
    pub fn reset_peak_memory(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5");
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A field of `/proc/<pid>/status`, in kB.
fn status_kb(pid: u32, field: &str) -> Option<u64> {
    kb_field(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?, field)
}

/// The peaks of a process's memory while it runs: its private resident
/// memory (`RssAnon`: heap and stacks), sampled every few milliseconds, and
/// its proportional set size: that private memory plus its share of the
/// file pages it maps (`Pss_File`, read more rarely). The kernel keeps
/// a peak only of all resident memory, which on SQLite includes the pages
/// of the database file that each pooled connection maps: the same pages
/// of the operating system's file cache, counted again for every
/// connection that has touched them, and dropped by the kernel whenever it
/// needs the memory. The proportional set size counts such a page once
/// (each of its mappings a share of it): what the process holds of the
/// machine's memory, its share of the file cache included.
pub struct MemoryPeaks {
    stop: tokio::sync::oneshot::Sender<()>,
    sampler: tokio::task::JoinHandle<Peaks>,
}

/// Peaks of memory, in kB.
#[derive(Clone, Copy, Debug, Default)]
pub struct Peaks {
    pub private_kb: Option<u64>,
    pub proportional_kb: Option<u64>,
}

impl MemoryPeaks {
    const EVERY: Duration = Duration::from_millis(5);
    /// Reading `smaps_rollup` walks the process's page tables: 4 ms with
    /// 8 connections mapping a 120 MB file. The file's share, which grows
    /// slowly, is read every 100th sample (0.5 s).
    const FILE_SHARE_EVERY: u32 = 100;

    pub fn start(pid: u32) -> Self {
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let sampler = tokio::spawn(async move {
            let (mut peaks, mut file_share) = (Peaks::default(), None);
            for sample in 0u32.. {
                if sample % Self::FILE_SHARE_EVERY == 0 {
                    file_share = file_share_kb(pid).or(file_share);
                }
                let private = status_kb(pid, "RssAnon:");
                peaks.private_kb = peaks.private_kb.max(private);
                peaks.proportional_kb = peaks.proportional_kb.max(private.zip(file_share).map(|(p, f)| p + f));
                if stopped.try_recv().is_ok() {
                    break;
                }
                tokio::time::sleep(Self::EVERY).await;
            }
            peaks
        });
        Self { stop, sampler }
    }

    /// The peaks seen since the start.
    pub async fn stop(self) -> Peaks {
        let _ = self.stop.send(());
        self.sampler.await.unwrap_or_default()
    }
}

/// A process's share of the file pages it maps, in kB: each page divided
/// among its mappings (`Pss_File` of `/proc/<pid>/smaps_rollup`).
fn file_share_kb(pid: u32) -> Option<u64> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    kb_field(&rollup, "Pss_File:")
}

/// A `Name:   123 kB` line's number.
fn kb_field(text: &str, field: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(field))?;
    line.trim_start_matches(field)
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// User plus system CPU time of a process, from `/proc/<pid>/stat`.
pub fn cpu_time_of(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces:
    // fields are counted after its closing parenthesis.
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(ticks as f64 / TICKS_PER_SECOND))
}

/// CPU time used so far by every `postgres` process this user can see: the
/// database server's work, when it runs on this machine.
pub fn postgres_cpu_time() -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut found = false;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let is_postgres = std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres");
        if let (true, Some(time)) = (is_postgres, cpu_time_of(pid)) {
            total += time;
            found = true;
        }
    }
    found.then_some(total)
}

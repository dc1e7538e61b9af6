//! Kamkor in Open Referral's Human Services Data Specification (HSDS 3.1):
//! the export and import commands and the objects of the `/hsds` API.
//!
//! An outlet like GraphQL: it reads the registry through
//! `registry::directory`, whose centres come already seen by the caller, and
//! writes through the registry's own edits (versions, validation, audit).
//! `docs/hsds.md` is the profile: the mapping both ways, the Kamkor
//! taxonomy, the language convention, and what is not exported.

pub mod answers;
pub mod document;
pub mod export;
pub mod import;
pub mod intake;
pub mod schema;
pub mod tabular;
pub mod vocabulary;

use std::{
    io::IsTerminal,
    sync::atomic::{AtomicU64, Ordering},
};

/// The forms an HSDS export takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON array of services, each with everything nested in it.
    Json,
    /// One service per line (newline-delimited JSON).
    Ndjson,
    /// A folder of CSV files, one per HSDS object, with datapackage.json.
    Csv,
}

/// A progress bar on a terminal; plain log lines otherwise (a CI log, a
/// file), so that a long run still says how far it got.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    what: &'static str,
    total: Option<u64>,
    done: AtomicU64,
    logged: AtomicU64,
}

impl Progress {
    /// Lines a log gets over a whole run of known length, at most.
    const LOG_LINES: u64 = 10;
    /// Services between two log lines when the length is not known.
    const LOG_EVERY: u64 = 10_000;

    /// Progress over `total` services, `None` when not known beforehand (a
    /// stream of JSON).
    pub fn new(what: &'static str, total: Option<u64>) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let (bar, template) = match total {
                Some(total) => (
                    indicatif::ProgressBar::new(total),
                    "{msg} [{bar:40}] {pos}/{len} services ({eta} left)",
                ),
                None => (
                    indicatif::ProgressBar::no_length(),
                    "{msg} {spinner} {pos} services ({per_sec})",
                ),
            };
            let style = indicatif::ProgressStyle::with_template(template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style.progress_chars("=> "));
            bar.set_message(what);
            bar
        });
        Self {
            bar,
            what,
            total,
            done: AtomicU64::new(0),
            logged: AtomicU64::new(0),
        }
    }

    pub fn advance(&self, by: u64) {
        let done = self.done.fetch_add(by, Ordering::Relaxed) + by;
        match &self.bar {
            Some(bar) => bar.inc(by),
            None => {
                let step = self.total.map_or(Self::LOG_EVERY, |t| (t / Self::LOG_LINES).max(1));
                if done >= self.logged.load(Ordering::Relaxed) + step {
                    self.logged.store(done, Ordering::Relaxed);
                    match self.total {
                        Some(total) => tracing::info!("{}: {done} of {total} services", self.what),
                        None => tracing::info!("{}: {done} services", self.what),
                    }
                }
            }
        }
    }

    pub fn finish(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.finish_with_message(message.to_owned()),
            None => tracing::info!("{}: {message}", self.what),
        }
    }
}

//! `kamkor import hsds PATH`: HSDS 3.x data into the registry, matched by
//! id, so that importing the same data again updates instead of
//! duplicating.
//!
//! The input is read as it streams (a JSON array, newline-delimited JSON,
//! the HSDS API's pages, or a tabular folder) and written in batches of
//! [`BATCH`] services, each a transaction that commits whole: the
//! registry's other writers (a centre counting tonight's beds) wait for
//! one batch at most, never for a whole import. A failure of the database
//! or of the input's syntax ends the import after its last committed batch,
//! and says so. `--dry-run` and `--strict` write in one transaction, which
//! they roll back (always; or when a record was skipped).
//!
//! A record that is invalid is skipped whole and named in the report with
//! where it is; the others are written as any edit is (validated,
//! versioned, audited, the actor naming the import). The registry refuses
//! a record before it writes any of it (each `put` checks first), so a
//! refused record leaves nothing behind without a savepoint of its own:
//! PostgreSQL would keep a lock for every savepoint until the commit.

use std::{
    collections::{BTreeMap, HashMap},
    fmt,
    io::{BufRead, BufReader},
    path::Path,
};

use sea_orm::{DatabaseConnection, DatabaseTransaction, prelude::Uuid};
use serde_json::Value;
use tokio::sync::mpsc;

use super::{
    Progress,
    intake::{CapacityIn, Invalid, LocationIn, Notes, OrganizationIn, PlacementIn, Reader, ServiceIn},
    tabular::Tables,
    vocabulary::Vocabulary,
};
use crate::{
    error::AppError,
    registry::{
        self, access, admin_area,
        capacity::{self, ImportedCount},
        centre, directory,
        events::{Events, Outbox},
        geo::PublicGrid,
        organization,
        record::Put,
        service, service_at_centre,
    },
};

/// Records read ahead of the writes.
const READ_AHEAD: usize = 256;

/// Services (with what nests in them) written by one transaction, unless
/// told otherwise.
pub const BATCH: u64 = 500;

/// What an import did, or would do (`dry_run`).
#[derive(Debug, Default)]
pub struct Report {
    pub dry_run: bool,
    pub services_read: u64,
    /// By HSDS object: `service`, `organization`, `location`,
    /// `service_at_location`, `service_capacity`.
    pub created: BTreeMap<&'static str, u64>,
    pub updated: BTreeMap<&'static str, u64>,
    pub unchanged: BTreeMap<&'static str, u64>,
    /// Records not imported, with where they are and why.
    pub skipped: Vec<Skipped>,
    pub notes: Notes,
    /// Files of a tabular folder that are not HSDS tables.
    pub unknown_files: Vec<String>,
    /// A tabular folder without its datapackage.json.
    pub missing_datapackage: bool,
    /// Areas of Kamkor's own list added to a registry that lacked them.
    pub areas_added: usize,
    /// Nothing was written because records were skipped (`strict`).
    pub refused: bool,
    /// Transactions committed (none for a dry run or a refused one).
    pub batches: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub object: &'static str,
    pub at: String,
    pub reason: String,
}

impl Report {
    fn count(&mut self, object: &'static str, put: Put) {
        let counts = match put {
            Put::Created => &mut self.created,
            Put::Updated => &mut self.updated,
            Put::Unchanged => &mut self.unchanged,
        };
        *counts.entry(object).or_default() += 1;
    }

    fn skip(&mut self, object: &'static str, invalid: Invalid) {
        self.skipped.push(Skipped {
            object,
            at: invalid.at,
            reason: invalid.message,
        });
    }

    pub fn total(&self, counts: &BTreeMap<&'static str, u64>) -> u64 {
        counts.values().sum()
    }
}

/// How many skipped records a printed report lists one by one.
const LISTED: usize = 200;

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let heading = if self.dry_run {
            "HSDS import (dry run: nothing was written)"
        } else if self.refused {
            "HSDS import (strict: records were skipped, so nothing was written)"
        } else {
            "HSDS import"
        };
        writeln!(f, "{heading}: {} services read", self.services_read)?;
        for (label, counts) in [
            ("created", &self.created),
            ("updated", &self.updated),
            ("unchanged", &self.unchanged),
        ] {
            let by_object: Vec<String> = counts.iter().map(|(o, n)| format!("{n} {o}")).collect();
            let listed = if by_object.is_empty() {
                "none".to_owned()
            } else {
                by_object.join(", ")
            };
            writeln!(f, "  {label}: {listed}")?;
        }
        writeln!(f, "  skipped: {}", self.skipped.len())?;
        for s in self.skipped.iter().take(LISTED) {
            writeln!(f, "    {} at {}: {}", s.object, s.at, s.reason)?;
        }
        if self.skipped.len() > LISTED {
            writeln!(f, "    … and {} more", self.skipped.len() - LISTED)?;
        }
        let sections = [
            (
                "fields with no home in Kamkor (not imported)",
                &self.notes.ignored_fields,
            ),
            ("unknown taxonomy terms (not imported)", &self.notes.unknown_terms),
            ("unknown areas (not imported)", &self.notes.unknown_areas),
            ("texts stood in for missing ones", &self.notes.stand_ins),
        ];
        for (title, entries) in sections {
            if !entries.is_empty() {
                writeln!(f, "  {title}:")?;
                for (what, n) in entries {
                    writeln!(f, "    {what}: {n}")?;
                }
            }
        }
        if !self.unknown_files.is_empty() {
            writeln!(
                f,
                "  files that are no HSDS table (not read): {}",
                self.unknown_files.join(", ")
            )?;
        }
        match self.batches {
            0 => {}
            1 => writeln!(f, "  written in one transaction")?,
            n => writeln!(f, "  written in {n} transactions, each committed whole")?,
        }
        if self.areas_added > 0 {
            writeln!(
                f,
                "  areas added from Kamkor's list of Kyrgyzstan's areas: {}",
                self.areas_added
            )?;
        }
        if self.missing_datapackage {
            writeln!(
                f,
                "  note: the folder has no datapackage.json; its files were read by name"
            )?;
        }
        Ok(())
    }
}

/// One record of the input, with where it is.
enum Item {
    Service(Value, String),
    Organization(Value, String),
    Location(Value, String),
}

/// How an import writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Read, check and report; write nothing.
    pub dry_run: bool,
    /// Write nothing either when any record is skipped.
    pub strict: bool,
    /// Services a transaction writes (see [`BATCH`]).
    pub batch: u64,
}

/// Imports the HSDS data at `path` (see the module doc).
pub async fn import(
    db: &DatabaseConnection,
    events: &Events,
    grid: PublicGrid,
    path: &Path,
    options: Options,
) -> anyhow::Result<Report> {
    let mut report = Report {
        dry_run: options.dry_run,
        ..Default::default()
    };
    let (items, total) = open(path, &mut report)?;
    let txn = registry::begin_write(db).await?;
    // A new registry has no areas yet: Kamkor's own list comes first, so
    // that locations and service areas find theirs.
    report.areas_added = admin_area::add_missing(&txn, crate::seed::demo::areas()?).await?;
    let areas = directory::areas(&txn).await?;
    let vocabulary = Vocabulary::new(&areas);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let actor = access::Caller {
        issuer: access::OWN_ISSUER.to_owned(),
        subject: format!("hsds-import:{name}"),
        role: access::Role::Admin,
        centres: Vec::new(),
    };
    let whole = options.dry_run || options.strict;
    let reference_changed = report.areas_added > 0;
    let mut run = Run {
        db,
        events,
        txn: Some(txn),
        batch: (!whole).then_some(options.batch.max(1)),
        in_batch: 0,
        actor: &actor,
        grid,
        reader: Reader::new(&vocabulary, &areas),
        report,
        organizations: HashMap::new(),
        locations: HashMap::new(),
        live_organizations: Default::default(),
        outbox: events.outbox(),
        reference_changed,
        deferred: Vec::new(),
    };
    let progress = Progress::new("import", total);
    let outcome = run.all(items, &progress).await;
    run.report.refused = options.strict && !run.report.skipped.is_empty();
    let keep = outcome.is_ok() && !options.dry_run && !run.report.refused;
    run.end_batch(keep).await?;
    let Run { mut report, reader, .. } = run;
    report.notes = reader.notes;
    if let Err(err) = outcome {
        return Err(match report.batches {
            0 => err.context("nothing was imported"),
            n => err.context(format!(
                "the import stopped after {n} committed transactions ({} services read): the records before are written, the rest is not",
                report.services_read
            )),
        });
    }
    progress.finish(&format!("{} services read", report.services_read));
    Ok(report)
}

/// The records of the input at `path`, read on a thread of their own, and
/// how many services there are when that is known before reading.
fn open(path: &Path, report: &mut Report) -> anyhow::Result<(mpsc::Receiver<anyhow::Result<Item>>, Option<u64>)> {
    let (sender, receiver) = mpsc::channel(READ_AHEAD);
    if path.is_dir() {
        let tables = Tables::read(path)?;
        report.unknown_files = tables.unknown_files.clone();
        report.missing_datapackage = !tables.has_datapackage;
        for problem in &tables.problems {
            report.skipped.push(Skipped {
                object: "cell",
                at: problem.source.clone(),
                reason: problem.message.clone(),
            });
        }
        let assembled = tables.assemble();
        let total = assembled.services.len() as u64;
        std::thread::spawn(move || {
            let at = |v: &Value| v.get("_source").and_then(Value::as_str).unwrap_or_default().to_owned();
            // Locations no service is offered at come last: their
            // organization may be one a service brings.
            let items = (assembled.organizations.into_iter().map(|v| {
                let source = at(&v);
                Item::Organization(v, source)
            }))
            .chain(assembled.services.into_iter().map(|v| {
                let source = at(&v);
                Item::Service(v, source)
            }))
            .chain(assembled.locations.into_iter().map(|v| {
                let source = at(&v);
                Item::Location(v, source)
            }));
            for item in items {
                if sender.blocking_send(Ok(item)).is_err() {
                    break;
                }
            }
        });
        return Ok((receiver, Some(total)));
    }
    let file = std::fs::File::open(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::thread::spawn(move || {
        if let Err(err) = read_json(BufReader::new(file), &name, &sender) {
            let _ = sender.blocking_send(Err(err));
        }
    });
    Ok((receiver, None))
}

/// Sends the services of a JSON input: an array (of services or of API
/// pages), or a sequence of values (newline-delimited JSON, or one page).
fn read_json(
    mut reader: BufReader<std::fs::File>,
    name: &str,
    sender: &mpsc::Sender<anyhow::Result<Item>>,
) -> anyhow::Result<()> {
    let head = reader.fill_buf()?;
    if head.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    let head = reader.fill_buf()?;
    let first = head.iter().find(|b| !b.is_ascii_whitespace()).copied();
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    if first == Some(b'[') {
        let visitor = ArrayVisitor { name, sender };
        serde::Deserializer::deserialize_seq(&mut deserializer, visitor)
            .map_err(|e| anyhow::anyhow!("{name} is not valid JSON: {e}"))?;
        return Ok(());
    }
    for (i, value) in deserializer.into_iter::<Value>().enumerate() {
        let value = value.map_err(|e| anyhow::anyhow!("{name} is not valid JSON: {e}"))?;
        if !send(sender, value, &format!("{name} #{}", i + 1)) {
            break;
        }
    }
    Ok(())
}

/// Sends the services of one top-level value (a service, or a page of
/// them); `false` once nobody listens.
fn send(sender: &mpsc::Sender<anyhow::Result<Item>>, value: Value, at: &str) -> bool {
    if let Some(contents) = value.get("contents").and_then(Value::as_array) {
        return contents.iter().enumerate().all(|(i, v)| {
            sender
                .blocking_send(Ok(Item::Service(v.clone(), format!("{at} contents[{i}]"))))
                .is_ok()
        });
    }
    sender.blocking_send(Ok(Item::Service(value, at.to_owned()))).is_ok()
}

/// Streams the elements of a top-level array, one at a time.
struct ArrayVisitor<'a> {
    name: &'a str,
    sender: &'a mpsc::Sender<anyhow::Result<Item>>,
}

impl<'de> serde::de::Visitor<'de> for ArrayVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of HSDS services")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while let Some(value) = seq.next_element::<Value>()? {
            if !send(self.sender, value, &format!("{} [{index}]", self.name)) {
                return Ok(());
            }
            index += 1;
        }
        Ok(())
    }
}

/// One import's open transaction and what it has done so far.
struct Run<'t, 'a> {
    db: &'t DatabaseConnection,
    events: &'a Events,
    /// The batch being written; `None` once the import has ended.
    txn: Option<DatabaseTransaction>,
    /// Services a transaction holds; `None`: all of them.
    batch: Option<u64>,
    in_batch: u64,
    actor: &'a access::Caller,
    grid: PublicGrid,
    reader: Reader<'a>,
    report: Report,
    /// Organizations and locations met so far: imported or not.
    organizations: HashMap<Uuid, bool>,
    locations: HashMap<Uuid, bool>,
    /// Organizations found live in the registry before the input brought them.
    live_organizations: std::collections::HashSet<Uuid>,
    /// The events of the open batch.
    outbox: Outbox<'a>,
    reference_changed: bool,
    /// Places of services (with their counts) whose location's
    /// organization the input had not brought yet.
    deferred: Vec<(Uuid, PlacementIn, Vec<CapacityIn>)>,
}

impl<'a> Run<'_, 'a> {
    async fn all(
        &mut self,
        mut items: mpsc::Receiver<anyhow::Result<Item>>,
        progress: &Progress,
    ) -> anyhow::Result<()> {
        while let Some(item) = items.recv().await {
            match item? {
                Item::Service(value, at) => {
                    self.report.services_read += 1;
                    match self.reader.service(&value, &at) {
                        Ok(service) => self.service(service).await?,
                        Err(invalid) => self.report.skip("service", invalid),
                    }
                    progress.advance(1);
                }
                Item::Organization(value, at) => {
                    let read = self.reader.organization(&value, &at);
                    self.organization(read).await?;
                }
                Item::Location(value, at) => {
                    let read = self.reader.location(&value, &at);
                    self.location(read).await?;
                }
            }
            self.in_batch += 1;
            if self.batch.is_some_and(|size| self.in_batch >= size) {
                self.end_batch(true).await?;
                self.txn = Some(registry::begin_write(self.db).await?);
                self.outbox = self.events.outbox();
                self.in_batch = 0;
            }
        }
        self.deferred().await
    }

    /// The open batch's transaction.
    fn txn(&self) -> &DatabaseTransaction {
        self.txn.as_ref().expect("a batch is open while the import runs")
    }

    /// Ends the open batch: committed whole (its events delivered), or
    /// rolled back.
    async fn end_batch(&mut self, keep: bool) -> anyhow::Result<()> {
        let Some(txn) = self.txn.take() else { return Ok(()) };
        let outbox = std::mem::replace(&mut self.outbox, self.events.outbox());
        if !keep {
            txn.rollback().await?;
            return Ok(());
        }
        let mut outbox = outbox;
        if std::mem::take(&mut self.reference_changed) {
            outbox.reference_changed(&txn).await?;
        }
        txn.commit().await?;
        outbox.committed();
        self.report.batches += 1;
        Ok(())
    }

    /// Counts a write that succeeded; skips the record the registry
    /// refused (it wrote none of it, see the module doc); `Err` only for
    /// what ends the import (the database failing).
    fn settle(
        &mut self,
        object: &'static str,
        at: &str,
        outcome: Result<Put, AppError>,
    ) -> anyhow::Result<Option<Put>> {
        match outcome {
            Ok(put) => {
                self.report.count(object, put);
                Ok(Some(put))
            }
            Err(err @ (AppError::Internal(_) | AppError::Unavailable(_) | AppError::Timeout(_))) => Err(err.into()),
            Err(refused) => {
                self.report.skip(
                    object,
                    Invalid {
                        at: at.to_owned(),
                        message: reason(&refused),
                    },
                );
                Ok(None)
            }
        }
    }

    async fn organization(&mut self, read: Result<OrganizationIn, Invalid>) -> anyhow::Result<bool> {
        let organization = match read {
            Ok(o) => o,
            Err(invalid) => {
                self.report.skip("organization", invalid);
                return Ok(false);
            }
        };
        if let Some(done) = self.organizations.get(&organization.id) {
            return Ok(*done);
        }
        let actor = self.actor;
        let OrganizationIn { id, at, fields } = organization;
        let outcome = organization::put(self.txn(), actor, id, fields).await;
        let put = self.settle("organization", &at, outcome)?;
        self.reference_changed |= put.is_some_and(|p| p != Put::Unchanged);
        self.organizations.insert(id, put.is_some());
        Ok(put.is_some())
    }

    async fn location(&mut self, read: Result<LocationIn, Invalid>) -> anyhow::Result<bool> {
        let location = match read {
            Ok(l) => l,
            Err(invalid) => {
                self.report.skip("location", invalid);
                return Ok(false);
            }
        };
        if let Some(done) = self.locations.get(&location.id) {
            return Ok(*done);
        }
        let (actor, grid) = (self.actor, self.grid);
        let LocationIn {
            id,
            at,
            fields,
            withheld,
        } = location;
        let outcome = centre::put(self.txn(), actor, grid, id, (fields, withheld)).await;
        let put = self.settle("location", &at, outcome)?;
        self.locations.insert(id, put.is_some());
        Ok(put.is_some())
    }

    async fn service(&mut self, service: ServiceIn) -> anyhow::Result<()> {
        if let Some(read) = service.organization {
            self.organization(read).await?;
        }
        let (id, at, fields, actor) = (service.id, service.at, service.fields, self.actor);
        let outcome = service::put(self.txn(), actor, id, fields).await;
        if self.settle("service", &at, outcome)?.is_none() {
            return Ok(());
        }
        let mut capacities = service.capacities;
        for read in service.placements {
            let placement = match read {
                Ok(p) => p,
                Err(invalid) => {
                    self.report.skip("service_at_location", invalid);
                    continue;
                }
            };
            let (counts, others): (Vec<_>, Vec<_>) = capacities
                .into_iter()
                .partition(|c| c.as_ref().is_ok_and(|c| c.placement_id == placement.id));
            capacities = others;
            let counts = counts.into_iter().flatten().collect();
            let owner = match &placement.location {
                Some(Ok(location)) => Some(location.fields.organization_id),
                _ => None,
            };
            // A location may belong to an organization that only a later
            // service brings (a benefit paid at another body's office).
            if let Some(owner) = owner
                && !self.organization_known(owner).await?
            {
                self.deferred.push((id, placement, counts));
                continue;
            }
            self.place(id, placement, counts).await?;
        }
        for read in capacities {
            let invalid = match read {
                Err(invalid) => invalid,
                Ok(count) => Invalid {
                    message: format!(
                        "counts places of service_at_location {}, which the service does not have",
                        count.placement_id
                    ),
                    at: count.at,
                },
            };
            self.report.skip("service_capacity", invalid);
        }
        Ok(())
    }

    /// Whether the organization `id` is live in the registry (or was
    /// written by this import).
    async fn organization_known(&mut self, id: Uuid) -> anyhow::Result<bool> {
        if self.organizations.get(&id) == Some(&true) || self.live_organizations.contains(&id) {
            return Ok(true);
        }
        let live = organization::by_ids(self.txn(), &[id])
            .await?
            .get(&id)
            .is_some_and(|o| o.archived_at.is_none());
        if live {
            // Not `organizations`: the input's own record of it is still
            // to be written when it comes.
            self.live_organizations.insert(id);
        }
        Ok(live)
    }

    /// Offers the service `service_id` at a location (written first, if
    /// the input nests it) and writes the counts of its places.
    async fn place(&mut self, service_id: Uuid, placement: PlacementIn, counts: Vec<CapacityIn>) -> anyhow::Result<()> {
        if let Some(location) = placement.location {
            self.location(location).await?;
        }
        let actor = self.actor;
        let (link_id, centre_id, notes) = (placement.id, placement.location_id, placement.notes);
        let outcome = service_at_centre::put(self.txn(), actor, link_id, (centre_id, service_id), notes).await;
        let linked = self.settle("service_at_location", &placement.at, outcome)?.is_some();
        for count in counts {
            if !linked {
                let message = format!("its service_at_location {link_id} was not imported");
                self.report.skip("service_capacity", Invalid { at: count.at, message });
                continue;
            }
            let imported = ImportedCount {
                id: count.id,
                placement: (link_id, service_id, centre_id),
                unit: count.unit,
                counts: count.counts,
                counted: count.counted,
            };
            let txn = self.txn.as_ref().expect("a batch is open while the import runs");
            let outcome = capacity::put(txn, actor, &mut self.outbox, imported).await;
            self.settle("service_capacity", &count.at, outcome)?;
        }
        Ok(())
    }

    /// The places whose location waited for its organization: written now
    /// that the whole input is read (or skipped, if it never came).
    async fn deferred(&mut self) -> anyhow::Result<()> {
        for (service_id, placement, counts) in std::mem::take(&mut self.deferred) {
            self.place(service_id, placement, counts).await?;
        }
        Ok(())
    }
}

/// Why the registry refused a record, with every field at fault.
fn reason(err: &AppError) -> String {
    match err {
        AppError::BadUserInput { message, fields } if !fields.is_empty() => {
            let problems: Vec<String> = fields.iter().map(|p| format!("{} {}", p.field, p.message)).collect();
            format!("{message}: {}", problems.join("; "))
        }
        other => other.to_string(),
    }
}

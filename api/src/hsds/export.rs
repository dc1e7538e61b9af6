//! `kamkor export hsds`: the whole registry as HSDS 3.1, public-grade (as
//! an anonymous caller sees it), streamed a page of services at a time so
//! that its size does not depend on the registry's.

use std::{
    io::{BufWriter, Write},
    path::Path,
};

use sea_orm::{DatabaseConnection, prelude::Uuid};
use serde_json::Value;

use super::{
    Format, Progress,
    document::Publisher,
    tabular::TabularWriter,
    vocabulary::{Taxonomy, Vocabulary},
};
use crate::registry::{access::LocationAccess, directory};

/// Services read and written at a time.
const PAGE: u64 = 500;

/// What an export wrote.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Exported {
    pub services: u64,
}

/// Where the objects go.
enum Sink {
    /// A JSON array or one object per line.
    Json {
        out: Box<dyn Write>,
        lines: bool,
        first: bool,
    },
    Tabular(TabularWriter),
}

impl Sink {
    fn open(format: Format, out: Option<&Path>) -> anyhow::Result<Self> {
        let stream = |out: Option<&Path>| -> anyhow::Result<Box<dyn Write>> {
            Ok(match out {
                Some(path) => Box::new(BufWriter::new(
                    std::fs::File::create(path).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?,
                )),
                None => Box::new(BufWriter::new(std::io::stdout().lock())),
            })
        };
        Ok(match format {
            Format::Json => Self::Json {
                out: stream(out)?,
                lines: false,
                first: true,
            },
            Format::Ndjson => Self::Json {
                out: stream(out)?,
                lines: true,
                first: true,
            },
            Format::Csv => {
                let Some(folder) = out else {
                    anyhow::bail!("--format csv writes a folder of files: name it with --out DIR")
                };
                Self::Tabular(TabularWriter::create(folder)?)
            }
        })
    }

    fn service(&mut self, service: &Value) -> anyhow::Result<()> {
        match self {
            Self::Json { out, lines, first } => {
                let separator = match (*lines, *first) {
                    (true, _) => "",
                    (false, true) => "[\n",
                    (false, false) => ",\n",
                };
                out.write_all(separator.as_bytes())?;
                serde_json::to_writer(&mut *out, service)?;
                if *lines {
                    out.write_all(b"\n")?;
                }
                *first = false;
                Ok(())
            }
            Self::Tabular(writer) => writer.write("service", service),
        }
    }

    /// Objects that the tabular form lists on their own (taxonomies, and
    /// organizations and locations without a service); a JSON export
    /// carries them nested in the services only.
    fn standalone(&mut self, object: &str, value: &Value) -> anyhow::Result<()> {
        match self {
            Self::Tabular(writer) => writer.write(object, value),
            Self::Json { .. } => Ok(()),
        }
    }

    fn is_tabular(&self) -> bool {
        matches!(self, Self::Tabular(_))
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Self::Json { mut out, lines, first } => {
                if !lines {
                    out.write_all(if first { b"[]\n" } else { b"\n]\n" })?;
                }
                out.flush()?;
                Ok(())
            }
            Self::Tabular(writer) => writer.finish(),
        }
    }
}

/// Writes every live service (with its organization, locations and
/// places) as `format` to `out` (a file, a folder for CSV; standard output
/// when `None`).
pub async fn export(db: &DatabaseConnection, format: Format, out: Option<&Path>) -> anyhow::Result<Exported> {
    let mut sink = Sink::open(format, out)?;
    let areas = directory::areas(db).await?;
    let vocabulary = Vocabulary::new(&areas);
    let publisher = Publisher::new(&vocabulary, &areas);
    let access = LocationAccess::Public;
    for taxonomy in Taxonomy::ALL {
        sink.standalone("taxonomy", &taxonomy.object())?;
    }
    for term in vocabulary.all() {
        sink.standalone("taxonomy_term", &term.object())?;
    }
    let total = directory::count_services(db).await?;
    let progress = Progress::new("export", Some(total));
    let mut after: Option<Uuid> = None;
    let mut exported = Exported::default();
    loop {
        let services = directory::services_after(db, after, PAGE).await?;
        let Some(last) = services.last() else { break };
        after = Some(last.id);
        let page = directory::around(db, &access, services).await?;
        for service in &page.services {
            sink.service(&publisher.service_full(&page, service))?;
        }
        exported.services += page.services.len() as u64;
        progress.advance(page.services.len() as u64);
    }
    if sink.is_tabular() {
        write_standalone(db, &mut sink, &publisher, &access).await?;
    }
    sink.finish()?;
    progress.finish(&format!("exported {} services", exported.services));
    Ok(exported)
}

/// The organizations and locations of the tabular form that no service
/// brought (the writer skips those already written).
async fn write_standalone(
    db: &DatabaseConnection,
    sink: &mut Sink,
    publisher: &Publisher<'_>,
    access: &LocationAccess,
) -> anyhow::Result<()> {
    let mut after = None;
    loop {
        let organizations = directory::organizations_after(db, after, PAGE).await?;
        let Some(last) = organizations.last() else { break };
        after = Some(last.id);
        for organization in &organizations {
            sink.standalone("organization", &publisher.organization(organization))?;
        }
    }
    let mut after = None;
    loop {
        let (centres, languages) = directory::centres_after(db, access, after, PAGE).await?;
        let Some(last) = centres.last() else { break };
        after = Some(last.id);
        for centre in &centres {
            let spoken = languages.get(&centre.id).map(Vec::as_slice).unwrap_or_default();
            sink.standalone("location", &publisher.location(centre, spoken))?;
        }
    }
    Ok(())
}

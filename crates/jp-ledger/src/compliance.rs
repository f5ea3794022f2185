//! The yearly compliance report: every ASN with target, credited JP and status, and per OPD the
//! headcount, how many met the target, and JP totals.
//!
//! Produced as a stream ([`Ledger::compliance_parts`]), one OPD at a time, so that a report on
//! 100,000 people never sits whole in memory: one query returns the people in report order
//! with their sealed yearly balance (one row per person, see [`crate::balance`]), and each row
//! becomes a part as it arrives. The database sorts while the parts are sent and serialised;
//! only a bounded channel of parts and each OPD's running totals are held.

use std::collections::HashMap;

use penkom_core::Jp;
use penkom_storage::entities::jp_balance;
use sea_orm::{DatabaseConnection, DbBackend, DbErr, QueryResult, Statement, StreamTrait};
use serde::Serialize;
use uuid::Uuid;

use crate::balance;
use crate::entries;
use crate::policy;
use crate::service::{Ledger, LedgerError, check_year};

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonCompliance {
    pub person_id: Uuid,
    pub nip: String,
    pub name: String,
    pub opd_code: String,
    pub opd_name: String,
    pub employment_type: String,
    /// Decimal text.
    pub target: String,
    /// The sum of the year's ledger entries.
    pub credited: String,
    /// `met` or `not_met`.
    pub status: String,
    /// JP still missing (0 when met).
    pub missing: String,
    /// False when the person's stored balance had been altered: `credited` is then what their
    /// logged entries add up to, and the audit names the change.
    pub ledger_verified: bool,
    #[serde(skip)]
    pub email: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpdSummary {
    pub opd_code: String,
    pub opd_name: String,
    pub headcount: u64,
    pub met: u64,
    /// Share of the headcount that met the target, 0 to 1.
    pub share_met: f64,
    /// Sum of credited JP, decimal text.
    pub jp_total: String,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplianceReport {
    pub year: i32,
    pub people: Vec<PersonCompliance>,
    pub opds: Vec<OpdSummary>,
}

/// A part of the report as it is produced: the people in turn (ordered by OPD code, name and
/// NIP), a batch at a time, then, last, the OPD summaries.
#[derive(Debug, Clone)]
pub enum ReportPart {
    People(Vec<PersonCompliance>),
    Opds(Vec<OpdSummary>),
}

/// The report's parts, as [`Ledger::compliance_parts`] sends them. A failure part ends it.
pub type ReportParts = tokio::sync::mpsc::Receiver<Result<ReportPart, LedgerError>>;

/// People per part. Sending each person alone cost a wake-up of the reading task per person, a
/// thread switch more often than not, which was a quarter of a report's time.
const BATCH: usize = 256;

/// Parts produced ahead of a slow reader: enough to keep a fast one busy, few enough that a
/// stalled download holds almost nothing (about a thousand people).
const PARTS_AHEAD: usize = 4;

/// What every row of a report needs, read before the first part is sent.
struct Context {
    year: i32,
    opd_filter: Option<Uuid>,
    requirements: HashMap<&'static str, policy::Requirement>,
}

/// One person of an OPD as the report reads them: who they are, and their total for the year
/// that the ledger vouches for, with whether their balance row was believed.
struct Row {
    id: Uuid,
    nip: Option<String>,
    name: String,
    email: String,
    employment: Option<String>,
    opd_code: String,
    opd_name: String,
    total: i64,
    ledger_verified: bool,
}

impl Ledger {
    /// The report for `year`, for every OPD or only `opd`, whole (for the yearly reminder and
    /// tests; answers stream it with [`Ledger::compliance_parts`]).
    pub async fn compliance(
        &self,
        year: i32,
        opd_filter: Option<Uuid>,
    ) -> Result<ComplianceReport, LedgerError> {
        let mut parts = self.compliance_parts(year, opd_filter).await?;
        let mut report = ComplianceReport { year, people: Vec::new(), opds: Vec::new() };
        while let Some(part) = parts.recv().await {
            match part? {
                ReportPart::People(p) => report.people.extend(p),
                ReportPart::Opds(o) => report.opds = o,
            }
        }
        Ok(report)
    }

    /// The report for `year` as a stream of parts. Errors in what the whole report needs (a bad
    /// year, the database down) are answered here, before any part; an error later arrives as
    /// the last part. Dropping the receiver stops the work.
    pub async fn compliance_parts(
        &self,
        year: i32,
        opd_filter: Option<Uuid>,
    ) -> Result<ReportParts, LedgerError> {
        check_year(year)?;
        let configured = entries::configured(&self.db).await?;
        let requirements = ["PNS", "PPPK"]
            .into_iter()
            .filter_map(|t| policy::effective(&configured, t, year).map(|r| (t, r)))
            .collect();
        let context = Context { year, opd_filter, requirements };
        let (tx, rx) = tokio::sync::mpsc::channel(PARTS_AHEAD);
        let db = self.db.clone();
        tokio::spawn(async move {
            if let Err(e) = send_parts(&db, context, &tx).await {
                let _ = tx.send(Err(e)).await;
            }
        });
        Ok(rx)
    }
}

/// The report's people in its order (by OPD code, those without an OPD first, then name and
/// NIP, compared as bytes on both databases), each with their OPD and sealed yearly balance:
/// one query, read row by row as the parts are sent. One sorted scan costs the database far
/// less than a query per OPD (each of which read its people's scattered rows and joined the
/// whole balance table again).
fn people_query(backend: DbBackend, year: i32, opd_filter: Option<Uuid>) -> Statement {
    let pg = backend == DbBackend::Postgres;
    let (p1, p2) = if pg { ("$1", "$2") } else { ("?", "?") };
    // PostgreSQL compares text by the database's collation unless told otherwise; SQLite's
    // default is bytes already.
    let bytes = if pg { r#" COLLATE "C""# } else { "" };
    let filter = if opd_filter.is_some() { format!(" AND p.opd_id = {p2}") } else { String::new() };
    let sql = format!(
        "SELECT p.id, p.nip, p.name, p.email, p.employment_type, p.opd_id, o.code AS opd_code, \
         o.name AS opd_name, b.total_hundredths, b.entries, b.seal \
         FROM person p LEFT JOIN opd o ON o.id = p.opd_id \
         LEFT JOIN jp_balance b ON b.person_id = p.id AND b.year = {p1} \
         WHERE p.active AND p.employment_type IN ('PNS', 'PPPK'){filter} \
         ORDER BY o.code{bytes} NULLS FIRST, p.opd_id NULLS FIRST, p.name{bytes}, p.nip{bytes} NULLS FIRST"
    );
    let mut values: Vec<sea_orm::Value> = vec![year.into()];
    values.extend(opd_filter.map(sea_orm::Value::from));
    Statement::from_sql_and_values(backend, sql, values)
}

/// One row of [`people_query`] as the report reads it. A balance whose seal fails is not
/// believed: that person's total is recomputed from their logged entries, and marked. No
/// balance row means nothing was credited.
async fn read_row(db: &DatabaseConnection, r: &QueryResult, year: i32) -> Result<(Option<Uuid>, Row), DbErr> {
    let id: Uuid = r.try_get("", "id")?;
    let balance = match (
        r.try_get::<Option<i64>>("", "total_hundredths")?,
        r.try_get::<Option<i64>>("", "entries")?,
        r.try_get::<Option<String>>("", "seal")?,
    ) {
        (Some(total_hundredths), Some(entries), Some(seal)) => {
            Some(jp_balance::Model { person_id: id, year, total_hundredths, entries, seal })
        }
        _ => None,
    };
    let (total, ledger_verified) = match balance {
        None => (0, true),
        Some(b) if balance::sealed(&b) => (b.total_hundredths, true),
        Some(_) => {
            tracing::warn!(person = %id, year, "a JP balance failed its seal; counted from the logged entries");
            (balance::verified(&balance::checked_entries(db, id, year).await?).total, false)
        }
    };
    let row = Row {
        id,
        nip: r.try_get("", "nip")?,
        name: r.try_get("", "name")?,
        email: r.try_get("", "email")?,
        employment: r.try_get("", "employment_type")?,
        opd_code: r.try_get::<Option<String>>("", "opd_code")?.unwrap_or_default(),
        opd_name: r.try_get::<Option<String>>("", "opd_name")?.unwrap_or_default(),
        total,
        ledger_verified,
    };
    Ok((r.try_get("", "opd_id")?, row))
}

/// An OPD's totals as its people are sent.
struct Tally {
    opd: Option<Uuid>,
    code: String,
    name: String,
    headcount: u64,
    met: u64,
    jp: i64,
}

impl Tally {
    fn summary(self) -> Option<OpdSummary> {
        (self.headcount > 0).then(|| OpdSummary {
            opd_code: self.code,
            opd_name: self.name,
            headcount: self.headcount,
            met: self.met,
            share_met: self.met as f64 / self.headcount as f64,
            jp_total: Jp::format_hundredths(self.jp),
        })
    }
}

/// Produces the parts of a report into `tx` as the rows arrive; stops when nobody listens.
async fn send_parts(
    db: &DatabaseConnection,
    c: Context,
    tx: &tokio::sync::mpsc::Sender<Result<ReportPart, LedgerError>>,
) -> Result<(), LedgerError> {
    use futures::StreamExt;
    let fmt = Jp::format_hundredths;
    let mut summaries = Vec::new();
    let mut tally: Option<Tally> = None;
    let mut batch = Vec::with_capacity(BATCH);
    let mut rows = db.stream_raw(people_query(db.get_database_backend(), c.year, c.opd_filter)).await?;
    while let Some(r) = rows.next().await {
        let (opd, Row { id, nip, name, email, employment, opd_code, opd_name, total, ledger_verified }) =
            read_row(db, &r?, c.year).await?;
        let employment = employment.unwrap_or_default();
        let Some(req) = c.requirements.get(employment.as_str()) else { continue };
        if tally.as_ref().is_none_or(|t| t.opd != opd) {
            summaries.extend(tally.take().and_then(Tally::summary));
            tally = Some(Tally {
                opd,
                code: opd_code.clone(),
                name: opd_name.clone(),
                headcount: 0,
                met: 0,
                jp: 0,
            });
        }
        let t = tally.as_mut().expect("set above");
        let met = req.met(total);
        t.headcount += 1;
        t.met += u64::from(met);
        t.jp += total;
        let row = PersonCompliance {
            person_id: id,
            nip: nip.unwrap_or_default(),
            name,
            opd_code,
            opd_name,
            employment_type: employment,
            target: fmt(req.target),
            credited: fmt(total),
            status: if met { "met" } else { "not_met" }.to_string(),
            missing: fmt((req.target - req.counted(total)).max(0)),
            ledger_verified,
            email,
        };
        batch.push(row);
        if batch.len() == BATCH
            && tx
                .send(Ok(ReportPart::People(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))))
                .await
                .is_err()
        {
            return Ok(()); // The reader is gone (a closed download): nothing more to do.
        }
    }
    if !batch.is_empty() && tx.send(Ok(ReportPart::People(batch))).await.is_err() {
        return Ok(());
    }
    summaries.extend(tally.and_then(Tally::summary));
    let _ = tx.send(Ok(ReportPart::Opds(summaries))).await;
    Ok(())
}

//! The yearly compliance report: every ASN with target, credited JP and status, and per OPD the
//! headcount, how many met the target, and JP totals.
//!
//! Produced as a stream ([`Ledger::compliance_parts`]), one OPD at a time, so that a report on
//! 100,000 people never sits whole in memory: the year's sealed balances (one row per person,
//! see [`crate::balance`]) and the OPDs are read first, then each OPD's people, which are sorted and sent before
//! the next OPD is read. At most one OPD's rows and a bounded channel of parts are held at once.

use std::collections::HashMap;

use penkom_core::Jp;
use penkom_storage::entities::{jp_balance, opd, person};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
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

/// A part of the report as it is produced: every person in turn (ordered by OPD code, name and
/// NIP), then, last, the OPD summaries.
#[derive(Debug, Clone)]
// Nearly every part is a person, and the summaries come once at the end: boxing the common
// variant would add one allocation per person to save bytes on the one rare part.
#[expect(clippy::large_enum_variant, reason = "the large variant is the common one")]
pub enum ReportPart {
    Person(PersonCompliance),
    Opds(Vec<OpdSummary>),
}

/// The report's parts, as [`Ledger::compliance_parts`] sends them. A failure part ends it.
pub type ReportParts = tokio::sync::mpsc::Receiver<Result<ReportPart, LedgerError>>;

/// Parts produced ahead of a slow reader: enough to keep a fast one busy, few enough that a
/// stalled download holds almost nothing.
const PARTS_AHEAD: usize = 512;

/// What every row of a report needs, read before the first part is sent.
struct Context {
    opds: Vec<(Option<Uuid>, String, String)>,
    totals: HashMap<Uuid, (i64, bool)>,
    requirements: HashMap<&'static str, policy::Requirement>,
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
                ReportPart::Person(p) => report.people.push(p),
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
        let mut opds: Vec<(Option<Uuid>, String, String)> = opd::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .filter(|o| opd_filter.is_none_or(|f| f == o.id))
            .map(|o| (Some(o.id), o.code, o.name))
            .collect();
        if opd_filter.is_none() {
            // People without an OPD come first, as an empty code sorts first.
            opds.push((None, String::new(), String::new()));
        }
        opds.sort_by(|a, b| a.1.cmp(&b.1));
        let configured = entries::configured(&self.db).await?;
        let requirements = ["PNS", "PPPK"]
            .into_iter()
            .filter_map(|t| policy::effective(&configured, t, year).map(|r| (t, r)))
            .collect();
        let context = Context { opds, totals: self.totals(year).await?, requirements };
        let (tx, rx) = tokio::sync::mpsc::channel(PARTS_AHEAD);
        let db = self.db.clone();
        tokio::spawn(async move {
            if let Err(e) = send_parts(&db, context, &tx).await {
                let _ = tx.send(Err(e)).await;
            }
        });
        Ok(rx)
    }

    /// Each person's total for `year` that the ledger can vouch for, and whether their balance
    /// row was believed. One sealed balance row per person is read (never every entry); a
    /// balance whose seal fails is recomputed from the person's logged entries and marked.
    async fn totals(&self, year: i32) -> Result<HashMap<Uuid, (i64, bool)>, DbErr> {
        let rows = jp_balance::Entity::find().filter(jp_balance::Column::Year.eq(year)).all(&self.db).await?;
        let mut totals = HashMap::with_capacity(rows.len());
        for b in rows {
            if balance::sealed(&b) {
                totals.insert(b.person_id, (b.total_hundredths, true));
            } else {
                tracing::warn!(person = %b.person_id, year, "a JP balance failed its seal; counted from the logged entries");
                let v = balance::verified(&balance::checked_entries(&self.db, b.person_id, year).await?);
                totals.insert(b.person_id, (v.total, false));
            }
        }
        Ok(totals)
    }
}

/// Produces the parts of a report into `tx`, one OPD at a time; stops when nobody listens.
async fn send_parts(
    db: &sea_orm::DatabaseConnection,
    c: Context,
    tx: &tokio::sync::mpsc::Sender<Result<ReportPart, LedgerError>>,
) -> Result<(), LedgerError> {
    type Row = (Uuid, Option<String>, String, String, Option<String>);
    let fmt = Jp::format_hundredths;
    let mut summaries = Vec::new();
    for (opd_id, code, opd_name) in &c.opds {
        let mut q = person::Entity::find()
            .select_only()
            .columns([
                person::Column::Id,
                person::Column::Nip,
                person::Column::Name,
                person::Column::Email,
                person::Column::EmploymentType,
            ])
            .filter(person::Column::Active.eq(true))
            .filter(person::Column::EmploymentType.is_in(["PNS", "PPPK"]));
        q = match opd_id {
            Some(o) => q.filter(person::Column::OpdId.eq(*o)),
            None => q.filter(person::Column::OpdId.is_null()),
        };
        let mut people: Vec<Row> = q.into_tuple().all(db).await?;
        if people.is_empty() {
            continue;
        }
        people.sort_by(|a, b| (&a.2, &a.1).cmp(&(&b.2, &b.1)));
        let (mut headcount, mut met_count, mut jp) = (0u64, 0u64, 0i64);
        for (id, nip, name, email, employment) in people {
            let employment = employment.unwrap_or_default();
            let Some(req) = c.requirements.get(employment.as_str()) else { continue };
            let (total, ledger_verified) = c.totals.get(&id).copied().unwrap_or((0, true));
            let met = req.met(total);
            headcount += 1;
            met_count += u64::from(met);
            jp += total;
            let row = PersonCompliance {
                person_id: id,
                nip: nip.unwrap_or_default(),
                name,
                opd_code: code.clone(),
                opd_name: opd_name.clone(),
                employment_type: employment,
                target: fmt(req.target),
                credited: fmt(total),
                status: if met { "met" } else { "not_met" }.to_string(),
                missing: fmt((req.target - req.counted(total)).max(0)),
                ledger_verified,
                email,
            };
            if tx.send(Ok(ReportPart::Person(row))).await.is_err() {
                return Ok(()); // The reader is gone (a closed download): nothing more to do.
            }
        }
        if headcount > 0 {
            summaries.push(OpdSummary {
                opd_code: code.clone(),
                opd_name: opd_name.clone(),
                headcount,
                met: met_count,
                share_met: met_count as f64 / headcount as f64,
                jp_total: fmt(jp),
            });
        }
    }
    let _ = tx.send(Ok(ReportPart::Opds(summaries))).await;
    Ok(())
}

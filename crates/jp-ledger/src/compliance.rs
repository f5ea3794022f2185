//! The yearly compliance report: every ASN with target, credited JP and status, and per OPD the
//! headcount, how many met the target, and JP totals.
//!
//! Three queries whatever the size: the people, the OPDs, and the year's ledger summed per
//! person in the database (an index on (year, person, amount) lets PostgreSQL answer that from
//! the index alone). The join happens in memory, which for 100,000 people is a few megabytes.

use std::collections::{BTreeMap, HashMap};

use penkom_core::Jp;
use penkom_storage::entities::{jp_ledger_entry, opd, person};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use uuid::Uuid;

use crate::entries;
use crate::policy;
use crate::service::{Ledger, LedgerError, check_year};

#[derive(Debug, Clone, Serialize)]
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
    #[serde(skip)]
    pub email: String,
}

#[derive(Debug, Clone, Serialize)]
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
pub struct ComplianceReport {
    pub year: i32,
    pub people: Vec<PersonCompliance>,
    pub opds: Vec<OpdSummary>,
}

impl Ledger {
    /// The report for `year`, for every OPD or only `opd`.
    pub async fn compliance(
        &self,
        year: i32,
        opd_filter: Option<Uuid>,
    ) -> Result<ComplianceReport, LedgerError> {
        check_year(year)?;
        let mut people = person::Entity::find()
            .select_only()
            .columns([
                person::Column::Id,
                person::Column::Nip,
                person::Column::Name,
                person::Column::Email,
                person::Column::EmploymentType,
                person::Column::OpdId,
            ])
            .filter(person::Column::Active.eq(true))
            .filter(person::Column::EmploymentType.is_in(["PNS", "PPPK"]));
        if let Some(o) = opd_filter {
            people = people.filter(person::Column::OpdId.eq(o));
        }
        type Row = (Uuid, Option<String>, String, String, Option<String>, Option<Uuid>);
        let people: Vec<Row> = people.into_tuple().all(&self.db).await?;
        let opds: HashMap<Uuid, (String, String)> =
            opd::Entity::find().all(&self.db).await?.into_iter().map(|o| (o.id, (o.code, o.name))).collect();
        let totals = self.totals(year).await?;
        let configured = entries::configured(&self.db).await?;
        let requirements: HashMap<&str, policy::Requirement> = ["PNS", "PPPK"]
            .into_iter()
            .filter_map(|t| policy::effective(&configured, t, year).map(|r| (t, r)))
            .collect();
        let fmt = Jp::format_hundredths;
        let mut rows = Vec::with_capacity(people.len());
        let mut by_opd: BTreeMap<(String, String), (u64, u64, i64)> = BTreeMap::new();
        for (id, nip, name, email, employment, opd_id) in people {
            let employment = employment.unwrap_or_default();
            let Some(req) = requirements.get(employment.as_str()) else { continue };
            let total = totals.get(&id).copied().unwrap_or(0);
            let met = req.met(total);
            let (code, opd_name) = opd_id.and_then(|o| opds.get(&o).cloned()).unwrap_or_default();
            let entry = by_opd.entry((code.clone(), opd_name.clone())).or_default();
            entry.0 += 1;
            entry.1 += u64::from(met);
            entry.2 += total;
            rows.push(PersonCompliance {
                person_id: id,
                nip: nip.unwrap_or_default(),
                name,
                opd_code: code,
                opd_name,
                employment_type: employment,
                target: fmt(req.target),
                credited: fmt(total),
                status: if met { "met" } else { "not_met" }.to_string(),
                missing: fmt((req.target - req.counted(total)).max(0)),
                email,
            });
        }
        rows.sort_by(|a, b| (&a.opd_code, &a.name, &a.nip).cmp(&(&b.opd_code, &b.name, &b.nip)));
        let opds = by_opd
            .into_iter()
            .map(|((opd_code, opd_name), (headcount, met, jp))| OpdSummary {
                opd_code,
                opd_name,
                headcount,
                met,
                share_met: if headcount == 0 { 0.0 } else { met as f64 / headcount as f64 },
                jp_total: fmt(jp),
            })
            .collect();
        Ok(ComplianceReport { year, people: rows, opds })
    }

    /// Each person's ledger total for `year`, summed by the database.
    async fn totals(&self, year: i32) -> Result<HashMap<Uuid, i64>, DbErr> {
        // PostgreSQL sums BIGINT into NUMERIC; the cast brings it back to a 64-bit integer.
        let sums: Vec<(Uuid, i64)> = jp_ledger_entry::Entity::find()
            .select_only()
            .column(jp_ledger_entry::Column::PersonId)
            .column_as(Expr::cust("CAST(SUM(jp_hundredths) AS BIGINT)"), "total")
            .filter(jp_ledger_entry::Column::Year.eq(year))
            .group_by(jp_ledger_entry::Column::PersonId)
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(sums.into_iter().collect())
    }
}

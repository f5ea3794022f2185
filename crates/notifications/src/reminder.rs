//! The yearly reminder: on a date an administrator sets (default 1 October), everyone still
//! short of their target is told how many JP are missing. Once per person and year, however
//! often it runs: the outbox's dedupe key is `reminder:<year>:<person>`.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use jp_ledger::Ledger;
use penkom_storage::entities::app_setting;
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, sea_query::OnConflict};
use serde::Serialize;

use crate::outbox::{NewMail, enqueue};
use crate::templates;

const DATE_KEY: &str = "reminder_date";
/// How long after its date a missed reminder is still sent automatically.
const CATCH_UP_DAYS: i64 = 7;

/// What the mails need to say where they come from.
#[derive(Debug, Clone)]
pub struct MailContext {
    /// Domain of Message-IDs.
    pub host: String,
    pub public_url: String,
    pub issuer: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReminderDate {
    pub month: u32,
    pub day: u32,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReminderRun {
    pub year: i32,
    /// People below target with an e-mail address.
    pub below_target: usize,
    /// Messages queued by this run.
    pub queued: usize,
    /// Messages an earlier run had queued already.
    pub already_queued: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ReminderError {
    #[error("tanggal pengingat tidak valid")]
    InvalidDate,
    #[error(transparent)]
    Ledger(#[from] jp_ledger::LedgerError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

fn valid(d: ReminderDate) -> bool {
    // Any year without 29 February is checked, so the date exists every year.
    NaiveDate::from_ymd_opt(2025, d.month, d.day).is_some()
}

pub async fn date(db: &DatabaseConnection) -> Result<ReminderDate, DbErr> {
    let stored = app_setting::Entity::find_by_id(DATE_KEY.to_string()).one(db).await?;
    Ok(stored
        .and_then(|s| {
            let (m, d) = s.value.split_once('-')?;
            Some(ReminderDate { month: m.parse().ok()?, day: d.parse().ok()? })
        })
        .filter(|d| valid(*d))
        .unwrap_or(ReminderDate { month: 10, day: 1 }))
}

pub async fn set_date(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
    d: ReminderDate,
) -> Result<ReminderDate, ReminderError> {
    if !valid(d) {
        return Err(ReminderError::InvalidDate);
    }
    let row = app_setting::ActiveModel {
        key: Set(DATE_KEY.into()),
        value: Set(format!("{:02}-{:02}", d.month, d.day)),
        updated_at: Set(now),
    };
    app_setting::Entity::insert(row)
        .on_conflict(
            OnConflict::column(app_setting::Column::Key)
                .update_columns([app_setting::Column::Value, app_setting::Column::UpdatedAt])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(d)
}

/// Queues a reminder for everyone below target in `year`.
pub async fn run(
    db: &DatabaseConnection,
    ledger: &Ledger,
    now: DateTime<Utc>,
    year: i32,
    ctx: &MailContext,
) -> Result<ReminderRun, ReminderError> {
    let report = ledger.compliance(year, None).await?;
    let mut result = ReminderRun { year, below_target: 0, queued: 0, already_queued: 0 };
    for p in report.people.iter().filter(|p| p.status != "met" && !p.email.is_empty()) {
        result.below_target += 1;
        let text = templates::reminder(
            &p.name,
            year,
            &p.credited,
            &p.target,
            &p.missing,
            &ctx.public_url,
            &ctx.issuer,
        );
        let mail = NewMail {
            dedupe_key: format!("reminder:{year}:{}", p.person_id),
            to: p.email.clone(),
            text,
            attachment: None,
        };
        if enqueue(db, now, &ctx.host, mail).await? {
            result.queued += 1;
        } else {
            result.already_queued += 1;
        }
    }
    Ok(result)
}

/// Runs this year's reminder on its date (local zone), or up to a week late, once a year. Running it
/// again queues nothing new, so every node may call this.
pub async fn run_if_due(
    db: &DatabaseConnection,
    ledger: &Ledger,
    now: DateTime<Utc>,
    zone: &penkom_core::LocalZone,
    ctx: &MailContext,
) -> Result<Option<ReminderRun>, ReminderError> {
    let today = zone.to_local(now).date_naive();
    let d = date(db).await?;
    // Due on the date, or within a week after it if no node was running that day. A server
    // first started in November does not mail everyone at once; an administrator can still run
    // the reminder by hand.
    let due = NaiveDate::from_ymd_opt(today.year(), d.month, d.day)
        .is_some_and(|day| today >= day && today < day + chrono::Duration::days(CATCH_UP_DAYS));
    let done_key = format!("reminder_done:{}", today.year());
    if !due || app_setting::Entity::find_by_id(done_key.clone()).one(db).await?.is_some() {
        return Ok(None);
    }
    let result = run(db, ledger, now, today.year(), ctx).await?;
    // Remembered so the report is not recomputed every minute for the rest of the year. A node
    // that ran concurrently queued nothing new (dedupe keys), so losing this race is harmless.
    let row = app_setting::ActiveModel {
        key: Set(done_key),
        value: Set(result.queued.to_string()),
        updated_at: Set(now),
    };
    app_setting::Entity::insert(row).on_conflict_do_nothing_on([app_setting::Column::Key]).exec(db).await?;
    Ok(Some(result))
}

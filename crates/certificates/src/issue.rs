//! Issuing certificates from course completions, exactly once each.
//!
//! A completion is committed by the grading transaction; the certificate comes after, in its
//! own transaction. Between the two the process may die, so the completion row itself is the
//! durable to-do: [`Certificates::issue_pending`] issues for every completion that has no
//! certificate, at start and periodically, and the request that completed the course asks for
//! its certificate straight away. Whoever comes first issues; the others find the certificate
//! (the unique index on `completion_id` is the backstop under the write lock).

use penkom_storage::entities::{certificate, course, course_completion, course_version, opd, person};
use penkom_storage::{begin_write, is_unique_violation};
use progress_tracking::CourseCompletion;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::VerificationCode;
use crate::credential::{Facts, build};
use crate::service::{Certificate, Certificates};
use crate::status_list::LIST_BITS;

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("no completion {0}")]
    NoCompletion(Uuid),
    #[error("the completion's {0} is missing")]
    Incomplete(&'static str),
    #[error("the revocation status list is full")]
    StatusListFull,
    #[error("signing failed: {0}")]
    Sign(#[from] crate::proof::ProofError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl Certificates {
    /// Issues a certificate for every completion that has none, oldest first. Returns how many
    /// were issued. A completion that cannot be issued is logged and skipped, so one bad row
    /// never holds up everyone else's certificates; the next sweep tries it again. A transient
    /// database failure ends the sweep with that error instead: it is not done.
    pub async fn issue_pending(&self) -> Result<usize, DbErr> {
        let mut issued = 0;
        // Ids already tried in this sweep: a failing completion stays pending, and the cursor
        // keeps the loop from picking it again.
        let mut after: Option<(chrono::DateTime<chrono::Utc>, Uuid)> = None;
        loop {
            let mut query = course_completion::Entity::find()
                .select_only()
                .column(course_completion::Column::CompletedAt)
                .column(course_completion::Column::Id)
                .filter(
                    course_completion::Column::Id.not_in_subquery(
                        Query::select()
                            .column(certificate::Column::CompletionId)
                            .from(certificate::Entity)
                            .to_owned(),
                    ),
                )
                .order_by_asc(course_completion::Column::CompletedAt)
                .order_by_asc(course_completion::Column::Id)
                .limit(200);
            if let Some((at, id)) = after {
                query = query.filter(
                    sea_orm::Condition::any().add(course_completion::Column::CompletedAt.gt(at)).add(
                        sea_orm::Condition::all()
                            .add(course_completion::Column::CompletedAt.eq(at))
                            .add(course_completion::Column::Id.gt(id)),
                    ),
                );
            }
            let pending: Vec<(chrono::DateTime<chrono::Utc>, Uuid)> =
                query.into_tuple().all(&self.inner.db).await?;
            let Some(last) = pending.last().copied() else {
                return Ok(issued);
            };
            for (_, id) in pending {
                match self.issue(id).await {
                    Ok((_, true)) => issued += 1,
                    Ok((_, false)) => {}
                    // The database failing for a moment fails everyone's issuance: the sweep is
                    // not done (a start-up sweep keeps its node unready) and runs again.
                    Err(IssueError::Db(e)) if penkom_storage::is_transient(&e) => return Err(e),
                    Err(e) => {
                        tracing::error!(completion = %id, error = %e, "cannot issue this certificate; skipped")
                    }
                }
            }
            after = Some(last);
        }
    }

    /// The certificate of completion `completion_id`, issuing it if there is none yet. The flag
    /// says whether this call issued it.
    pub async fn issue(&self, completion_id: Uuid) -> Result<(Certificate, bool), IssueError> {
        // One retry: a unique violation means another node issued between our check and insert
        // (possible only if the lock is bypassed), and the second pass then finds its work.
        for attempt in 0..2 {
            let txn = begin_write(&self.inner.db).await?;
            // What the certificate states is read before the log's lock is taken: every
            // issuance on every node queues for that lock, so each round trip made while holding
            // it is one every other learner waits for. None of this needs the lock: completions
            // are never rewritten, and the random code and status bit are unique by index (a
            // clash is a unique violation, retried below). A certificate already issued is
            // answered first, whatever its facts now say; under the lock, again, to be sure.
            if let Some(c) = issued(&txn, completion_id).await? {
                txn.rollback().await?;
                return Ok((c, false));
            }
            let facts = self.facts_of(&txn, completion_id).await?;
            record_log::lock(&txn).await?;
            if let Some(c) = issued(&txn, completion_id).await? {
                txn.rollback().await?;
                return Ok((c, false));
            }
            match self.issue_in(&txn, completion_id, facts).await {
                Ok((row, entry)) => {
                    txn.commit().await?;
                    tracing::info!(certificate = %row.id, number = %row.number, "certificate issued");
                    return Ok((Certificate::from_row(row, vec![entry]), true));
                }
                Err(IssueError::Db(e)) if attempt == 0 && is_unique_violation(&e) => txn.rollback().await?,
                Err(e) => return Err(e),
            }
        }
        let txn = self.inner.db.begin().await?;
        Ok((issued(&txn, completion_id).await?.ok_or(IssueError::NoCompletion(completion_id))?, false))
    }

    /// Everything the certificate of `completion_id` states but its number and issue time,
    /// read without the log's lock.
    async fn facts_of(
        &self,
        txn: &DatabaseTransaction,
        completion_id: Uuid,
    ) -> Result<Unnumbered, IssueError> {
        let completion: CourseCompletion = course_completion::Entity::find_by_id(completion_id)
            .one(txn)
            .await?
            .ok_or(IssueError::NoCompletion(completion_id))?
            .into();
        let holder = person::Entity::find_by_id(completion.person_id)
            .one(txn)
            .await?
            .ok_or(IssueError::Incomplete("person"))?;
        let opd_name = match holder.opd_id {
            Some(id) => opd::Entity::find_by_id(id).one(txn).await?.map(|o| o.name).unwrap_or_default(),
            None => String::new(),
        };
        let version = course_version::Entity::find_by_id(completion.version_id)
            .one(txn)
            .await?
            .ok_or(IssueError::Incomplete("course version"))?;
        let course_code = course::Entity::find_by_id(completion.course_id)
            .one(txn)
            .await?
            .map(|c| c.code)
            .unwrap_or_default();
        let code = fresh_code(txn).await?;
        let status_index = fresh_status_index(txn).await?;
        Ok(Unnumbered { completion, holder, opd_name, version, course_code, code, status_index })
    }

    async fn issue_in(
        &self,
        txn: &DatabaseTransaction,
        completion_id: Uuid,
        unnumbered: Unnumbered,
    ) -> Result<(certificate::Model, record_log::LogEntry), IssueError> {
        let Unnumbered { completion, holder, opd_name, version, course_code, code, status_index } =
            unnumbered;
        // Whole seconds: the credential states the time at that precision, and the row must agree.
        let now = penkom_core::clock::whole_seconds(self.inner.clock.now());
        let zone = &self.inner.config.zone;
        let year = zone.year_of(completion.completed_at);
        let seq = next_seq(txn, year).await?;
        let id = Uuid::now_v7();
        let e = &completion.evidence;
        let facts = Facts {
            id,
            number: self.inner.config.template.render(seq, year),
            code,
            holder_name: holder.name.clone(),
            holder_nip: holder.nip.clone().unwrap_or_default(),
            employment_type: holder.employment_type.clone().unwrap_or_default(),
            opd: opd_name,
            course_code,
            course_title: version.title.clone(),
            course_version: version.version,
            content_hash: version.content_hash.clone().unwrap_or_default(),
            jp: version.jp.clone(),
            completed_at: completion.completed_at,
            completed_on: zone.to_local(completion.completed_at).date_naive(),
            issued_at: now,
            score: e.post_test.best_score,
            pass_mark: e.post_test.pass_mark,
            engaged_minutes: e.engaged_minutes,
            evidence_digest: completion.evidence_digest.clone(),
            status_index,
            test_data: completion.test_data,
        };
        let signed = self.sign(&build(&facts, &self.inner.config.issuer), now)?;
        // Stored as serialised here and served byte for byte from then on.
        let credential = serde_json::to_string(&signed).map_err(|_| IssueError::Incomplete("credential"))?;
        // The e-mail's PDF is drawn on another thread while the rows below are written: about a
        // millisecond of work that would otherwise be spent holding the log's lock.
        let pdf = (!holder.email.is_empty()).then(|| {
            let (signed, zone) = (signed.clone(), self.inner.config.zone);
            tokio::task::spawn_blocking(move || crate::pdf::render(&signed, &zone))
        });
        let row = certificate::ActiveModel {
            id: Set(id),
            completion_id: Set(completion_id),
            person_id: Set(completion.person_id),
            course_id: Set(completion.course_id),
            version_id: Set(completion.version_id),
            number: Set(facts.number.clone()),
            year: Set(year),
            seq: Set(seq),
            code: Set(facts.code.clone()),
            status_index: Set(facts.status_index as i32),
            jp: Set(facts.jp.clone()),
            completed_at: Set(completion.completed_at),
            issued_at: Set(now),
            kid: Set(signed["proof"]["verificationMethod"]
                .as_str()
                .and_then(|m| m.rsplit_once('#'))
                .map(|(_, kid)| kid.to_string())
                .unwrap_or_default()),
            credential: Set(credential.clone()),
            revoked_at: Set(None),
            revocation_reason: Set(None),
            revoked_by: Set(None),
            test_data: Set(completion.test_data),
        }
        .insert(txn)
        .await?;
        let entry = record_log::append(
            txn,
            now,
            record_log::event::ISSUE,
            id,
            &record_log::digest::certificate(&row),
        )
        .await?;
        // The JP count for the holder from the moment the certificate exists, in the local year
        // of completion: a course finished at 23:30 WITA on 31 December counts for that year.
        let amount = penkom_core::Jp::parse(&facts.jp).map_or(0, penkom_core::Jp::hundredths);
        jp_ledger::entries::credit(
            txn,
            jp_ledger::entries::Credit {
                person: completion.person_id,
                employment_type: holder.employment_type.as_deref(),
                year,
                kind: jp_ledger::entries::CERTIFICATE,
                source_id: id,
                amount,
                at: now,
                by: None,
                note: completion.test_data.then(|| "data uji (jam simulasi)".to_string()),
            },
        )
        .await?;
        // The holder's e-mail, queued with the certificate: it is sent if and only if the
        // certificate exists.
        if let Some(pdf) = pdf {
            let issuer = &self.inner.config.issuer;
            let pdf = pdf
                .await
                .map_err(|_| IssueError::Incomplete("pdf"))?
                .map_err(|_| IssueError::Incomplete("pdf"))?;
            let text = notifications::templates::certificate_issued(
                &holder.name,
                &facts.course_title,
                &facts.jp,
                &facts.number,
                &issuer.verify_url(&facts.code),
                &issuer.name,
            );
            let mail = notifications::NewMail {
                dedupe_key: format!("certificate_issued:{id}"),
                to: holder.email.clone(),
                text,
                attachment: Some((format!("sertifikat-{}.pdf", facts.code), pdf)),
            };
            notifications::outbox::enqueue(txn, now, &self.mail_host(), mail).await?;
        }
        Ok((row, entry))
    }
}

/// What [`Certificates::facts_of`] reads.
struct Unnumbered {
    completion: CourseCompletion,
    holder: person::Model,
    opd_name: String,
    version: course_version::Model,
    course_code: String,
    code: String,
    status_index: u32,
}

/// The certificate of `completion_id` with its log entries, if it has been issued.
async fn issued(txn: &DatabaseTransaction, completion_id: Uuid) -> Result<Option<Certificate>, DbErr> {
    match existing(txn, completion_id).await? {
        Some(row) => Ok(Certificate::load(txn, vec![row]).await?.pop()),
        None => Ok(None),
    }
}

async fn existing<C: ConnectionTrait>(
    db: &C,
    completion_id: Uuid,
) -> Result<Option<certificate::Model>, DbErr> {
    certificate::Entity::find().filter(certificate::Column::CompletionId.eq(completion_id)).one(db).await
}

async fn next_seq(txn: &DatabaseTransaction, year: i32) -> Result<i64, DbErr> {
    let max: Option<Option<i64>> = certificate::Entity::find()
        .select_only()
        .column_as(certificate::Column::Seq.max(), "max_seq")
        .filter(certificate::Column::Year.eq(year))
        .into_tuple()
        .one(txn)
        .await?;
    Ok(max.flatten().unwrap_or(0) + 1)
}

/// A verification code no certificate has. With 50 random bits a clash is a once-in-a-lifetime
/// event, but checking costs one indexed read.
async fn fresh_code(txn: &DatabaseTransaction) -> Result<String, DbErr> {
    loop {
        let code = VerificationCode::generate().to_string();
        let taken = certificate::Entity::find().filter(certificate::Column::Code.eq(&code)).one(txn).await?;
        if taken.is_none() {
            return Ok(code);
        }
    }
}

/// A random free bit of the status list.
async fn fresh_status_index(txn: &DatabaseTransaction) -> Result<u32, IssueError> {
    // Random draws find a free bit quickly while the list is less than about 90 % full; past
    // that, the list is treated as full rather than drawing for ever.
    for _ in 0..64 {
        let index = rand::random_range(0..LIST_BITS);
        let taken = certificate::Entity::find()
            .filter(certificate::Column::StatusIndex.eq(index as i32))
            .one(txn)
            .await?;
        if taken.is_none() {
            return Ok(index);
        }
    }
    Err(IssueError::StatusListFull)
}

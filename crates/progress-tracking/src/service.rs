//! The study service: sessions, heartbeats, checkpoints and module completion.
//!
//! Concurrency: a learner's stream is one value in the live store, changed only by
//! compare-and-set. Every operation starts from the stream as last seen (read, or remembered by
//! this node), computes the next state with the pure rules, and stores it only if nobody changed
//! it meanwhile (else it retries from the current stream). So two tabs, two devices or
//! two API nodes acting on one learner at once are serialised, and one stream per learner holds
//! everywhere. The database is written only when a checkpoint is due, at end and at completion,
//! and always *after* the live state that absorbed the evidence was stored: a lost race can then
//! never write the same evidence twice, and a crash between the two loses at most one
//! checkpoint interval of credit. A write that fails (the database is away) is tried again, then
//! undone in the live store ([`Progress::write_or_undo`]), so a failed write loses nothing.
//!
//! Round trips: on Redis every live-store call crosses the network, and a beat is the hottest
//! request there is. So a node remembers each stream it stored ([`StreamCache`]) and a beat goes
//! straight to the compare-and-set with the remembered version; a conflict answers the current
//! stream in the same round trip. A beat is one round trip when this node stored the learner's
//! stream last (the usual case with sticky routing, and with one node), two otherwise.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use live_store::{LiveStore, LiveStoreError, Swap};
use penkom_core::{Clock, LocalZone, UserId};
use penkom_storage::DatabaseConnection;
use penkom_storage::entities::{course_module, module_completion, study_segment, study_session};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::attempts::learner_lock_key;
use crate::credit::{BeatVerdict, CreditPolicy};
use crate::stream::{Durable, Pending, StreamState};
use crate::stream_cache::{Seen, StreamCache};

/// How long a stream lives in the live store without a beat. Longer than any idle limit; a
/// stream that expires is rebuilt from the database on its next beat.
const STREAM_TTL: Duration = Duration::from_secs(6 * 3600);
/// Compare-and-set attempts before giving up (only reached under a storm on one learner).
const MAX_ATTEMPTS: usize = 16;

/// What the service needs to know about the module being studied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StudyModule {
    pub module_id: Uuid,
    pub version_id: Uuid,
    pub min_engaged_seconds: i64,
}

impl From<course_delivery::EnrolledModule> for StudyModule {
    /// The module as course delivery checked it: one the learner is enrolled on.
    fn from(m: course_delivery::EnrolledModule) -> Self {
        Self { module_id: m.module_id, version_id: m.version_id, min_engaged_seconds: m.min_engaged_seconds }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    #[error("sesi belajar tidak ditemukan")]
    SessionNotFound,
    #[error("sesi ini sudah digantikan oleh sesi belajar lain; hanya satu sesi aktif per peserta")]
    Superseded,
    #[error("sesi belajar ini sudah diakhiri")]
    SessionEnded,
    #[error("detak terlalu cepat; tunggu sebentar")]
    TooFast { retry_after: Duration },
    #[error("waktu belajar belum cukup: kurang {missing_seconds} detik")]
    InsufficientStudyTime { missing_seconds: i64 },
    #[error("terlalu banyak permintaan bersamaan; silakan ulangi")]
    Contended,
    #[error(transparent)]
    Live(#[from] LiveStoreError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The answer to a session start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStarted {
    pub session_id: Uuid,
    pub heartbeat_interval_s: i64,
    pub min_engaged_seconds: i64,
    /// Credited so far on this module, over all sessions.
    pub credited_seconds: i64,
    /// Still required before the module can be completed (rounded up, as beats report it).
    pub remaining_seconds: i64,
    pub can_complete: bool,
}

/// The answer to a heartbeat (and to an end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeatReport {
    pub session_credited_seconds: i64,
    pub module_credited_seconds: i64,
    pub remaining_seconds: i64,
    pub can_complete: bool,
}

/// A module completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub module_id: Uuid,
    pub credited_seconds: i64,
    pub completed_at: DateTime<Utc>,
}

impl BeatReport {
    /// Totals in milliseconds as the client sees them: whole seconds, remaining rounded up.
    fn of(session_ms: i64, module_ms: i64, min_engaged_ms: i64) -> Self {
        let remaining = (min_engaged_ms - module_ms).max(0);
        Self {
            session_credited_seconds: secs(session_ms),
            module_credited_seconds: secs(module_ms),
            remaining_seconds: (remaining + 999) / 1000,
            can_complete: remaining == 0,
        }
    }
}

impl From<module_completion::Model> for Completion {
    fn from(c: module_completion::Model) -> Self {
        Self { module_id: c.module_id, credited_seconds: c.credited_seconds, completed_at: c.completed_at }
    }
}

/// Study tracking. Cheap to clone.
#[derive(Clone)]
pub struct Progress {
    pub(crate) db: DatabaseConnection,
    pub(crate) live: Arc<dyn LiveStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) zone: LocalZone,
    pub(crate) policy: CreditPolicy,
    /// Streams this node stored last; only when the live store is remote (see the module doc).
    streams: Option<Arc<StreamCache>>,
}

pub(crate) fn stream_key(person: UserId) -> String {
    format!("stream:{person}")
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn secs(ms: i64) -> i64 {
    ms / 1000
}

fn decode(bytes: &[u8]) -> Option<StreamState> {
    // `null` marks "no active stream" (after an end); anything unreadable is treated the same and
    // rebuilt from the database, which is the source of truth.
    serde_json::from_slice::<Option<StreamState>>(bytes).ok().flatten()
}

fn seen_from(loaded: Option<live_store::Versioned>) -> Seen {
    match loaded {
        Some(v) => Seen { version: v.version, state: decode(&v.value), fresh: true },
        None => Seen { version: 0, state: None, fresh: true },
    }
}

fn encode(state: Option<&StreamState>) -> Vec<u8> {
    serde_json::to_vec(&state).unwrap_or_else(|_| b"null".to_vec())
}

impl Progress {
    pub fn new(
        db: DatabaseConnection,
        live: Arc<dyn LiveStore>,
        clock: Arc<dyn Clock>,
        zone: LocalZone,
        policy: CreditPolicy,
    ) -> Self {
        // In-process, a read is a map lookup: remembering streams would only double their memory.
        let streams = live.is_remote().then(|| Arc::new(StreamCache::new()));
        Self { db, live, clock, zone, policy, streams }
    }

    /// What this node remembers of `person`'s stream, if anything (taken out for the length of
    /// one operation).
    fn remembered(&self, person: UserId) -> Option<Seen> {
        self.streams.as_ref().and_then(|c| c.take(person))
    }

    /// Reads `person`'s stream from the live store.
    pub(crate) async fn read_stream(&self, key: &str) -> Result<Seen, LiveStoreError> {
        Ok(seen_from(self.live.load(key).await?))
    }

    /// The stream an operation starts from: remembered if possible, else read.
    async fn stream_of(&self, key: &str, next: &mut Option<Seen>) -> Result<Seen, LiveStoreError> {
        match next.take() {
            Some(seen) => Ok(seen),
            None => self.read_stream(key).await,
        }
    }

    /// Stores `state` (or "no stream") if the stream is still at `expected`. `Ok(Ok(version))`
    /// when stored (and remembered); `Ok(Err(current))` with the current stream when not. Takes
    /// the state by value so that remembering it costs no copy on the hot path.
    async fn swap(
        &self,
        person: UserId,
        key: &str,
        expected: u64,
        state: Option<StreamState>,
    ) -> Result<Result<u64, Seen>, LiveStoreError> {
        match self.live.store_if(key, expected, &encode(state.as_ref()), STREAM_TTL).await? {
            Swap::Stored { version } => {
                if let (Some(cache), Some(state)) = (&self.streams, state) {
                    cache.put(person, version, state);
                }
                Ok(Ok(version))
            }
            Swap::Conflict { current } => Ok(Err(seen_from(current))),
        }
    }

    /// Writes the evidence a checkpoint took out of the live stream (stored at `version`). If the
    /// database cannot take it, the checkpoint is undone: the stream goes back to `undo` (the
    /// same stream with the evidence still pending) if nothing changed it since, so the next
    /// checkpoint writes the evidence again and no credit is lost with a failed write. (Should
    /// the failed write have committed after all, that next write extends it: see
    /// [`Progress::write_segment`].)
    async fn write_or_undo(
        &self,
        person: UserId,
        key: &str,
        version: u64,
        undo: Option<StreamState>,
        writes: &[(StreamState, Pending, String, i64)],
    ) -> Result<(), StudyError> {
        for (s, pending, day, to) in writes {
            if let Err(e) = self.write_segment(person, s, pending, day, *to).await {
                match undo {
                    Some(undo) => match self.swap(person, key, version, Some(undo)).await {
                        Ok(Ok(_)) => {
                            tracing::warn!(error = %e, "study evidence not written; its checkpoint was undone")
                        }
                        _ => {
                            tracing::error!(error = %e, "study evidence not written, and the stream moved on: credit lost")
                        }
                    },
                    None => tracing::error!(error = %e, "study evidence not written: credit lost"),
                }
                return Err(e.into());
            }
        }
        Ok(())
    }

    pub fn policy(&self) -> &CreditPolicy {
        &self.policy
    }

    pub(crate) fn day_of(&self, t: DateTime<Utc>) -> String {
        // `NaiveDate`'s display is `YYYY-MM-DD`, without parsing a format string on every beat.
        self.zone.to_local(t).date_naive().to_string()
    }

    fn report(&self, s: &StreamState) -> BeatReport {
        BeatReport::of(s.session_credited_ms(), s.module_credited_ms(), s.min_engaged_ms)
    }

    /// The minimum engaged time of a module, in milliseconds (0 for an unknown module).
    async fn min_engaged_ms(&self, module_id: Uuid) -> Result<i64, DbErr> {
        let m = course_module::Entity::find_by_id(module_id).one(&self.db).await?;
        Ok(m.map_or(0, |m| i64::from(m.min_engaged_seconds) * 1000))
    }

    async fn completion_of(&self, person: UserId, module_id: Uuid) -> Result<Option<Completion>, DbErr> {
        Ok(module_completion::Entity::find()
            .filter(module_completion::Column::PersonId.eq(person.0))
            .filter(module_completion::Column::ModuleId.eq(module_id))
            .one(&self.db)
            .await?
            .map(Completion::from))
    }

    /// Credited milliseconds of the segments matching `filter`. Summed here rather than with
    /// SQL `SUM`, which PostgreSQL returns as `numeric` for a `bigint` column; a learner has at
    /// most a few hundred segments per module or day.
    async fn sum_credited<C: ConnectionTrait>(db: &C, filter: sea_orm::Condition) -> Result<i64, DbErr> {
        let values: Vec<i64> = study_segment::Entity::find()
            .select_only()
            .column(study_segment::Column::CreditedMs)
            .filter(filter)
            .into_tuple()
            .all(db)
            .await?;
        Ok(values.iter().sum())
    }

    async fn module_credit_in_db(&self, person: UserId, module_id: Uuid) -> Result<i64, DbErr> {
        let f = sea_orm::Condition::all()
            .add(study_segment::Column::PersonId.eq(person.0))
            .add(study_segment::Column::ModuleId.eq(module_id));
        Self::sum_credited(&self.db, f).await
    }

    async fn day_credit_in_db(&self, person: UserId, day: &str) -> Result<i64, DbErr> {
        let f = sea_orm::Condition::all()
            .add(study_segment::Column::PersonId.eq(person.0))
            .add(study_segment::Column::Day.eq(day));
        Self::sum_credited(&self.db, f).await
    }

    async fn session_credit_in_db(&self, session_id: Uuid) -> Result<i64, DbErr> {
        Self::sum_credited(
            &self.db,
            sea_orm::Condition::all().add(study_segment::Column::SessionId.eq(session_id)),
        )
        .await
    }

    /// Writes the evidence gathered since the last checkpoint as one segment.
    ///
    /// Idempotent, and safe against a second writer of the same segment. A session's segments
    /// follow one another: each starts where the one before it ended (at the last accepted
    /// beat), so (session, start) names a segment. The same evidence written again (a retry
    /// whose first write did commit, a live store back from an older snapshot) changes nothing;
    /// evidence that reaches further from the same start (a checkpoint put back into the live
    /// store after its write failed, then written with the beats since; a stream rebuilt from the
    /// database while another node's write of that segment was still under way) replaces the
    /// shorter copy, so one stretch of time is never counted in two segments.
    ///
    /// A transient failure is tried again (three tries in about a third of a second): the live
    /// store has already moved past this evidence, so giving up at once would cost credit.
    async fn write_segment(
        &self,
        person: UserId,
        state: &StreamState,
        pending: &Pending,
        day: &str,
        to_ms: i64,
    ) -> Result<(), DbErr> {
        use sea_orm::sea_query::{Alias, OnConflict};
        if pending.is_empty() {
            return Ok(());
        }
        let row = study_segment::ActiveModel {
            id: Set(Uuid::now_v7()),
            session_id: Set(state.session_id),
            person_id: Set(person.0),
            module_id: Set(state.module_id),
            day: Set(day.to_string()),
            from_at: Set(at(pending.from_ms)),
            to_at: Set(at(to_ms.max(pending.from_ms))),
            beats: Set(i32::try_from(pending.beats).unwrap_or(i32::MAX)),
            too_fast: Set(i32::try_from(pending.too_fast).unwrap_or(i32::MAX)),
            credited_ms: Set(pending.credited_ms),
            rejected: Set(serde_json::to_string(&pending.rejected_ms).unwrap_or_else(|_| "{}".into())),
        };
        use study_segment::Column as C;
        let longer = sea_orm::ExprTrait::lt(
            Expr::col((study_segment::Entity, C::ToAt)),
            Expr::col((Alias::new("excluded"), C::ToAt)),
        );
        let on_conflict = OnConflict::columns([C::SessionId, C::FromAt])
            .update_columns([C::Day, C::ToAt, C::Beats, C::TooFast, C::CreditedMs, C::Rejected])
            .action_and_where(longer)
            .to_owned();
        let mut tries = 0;
        loop {
            let insert = study_segment::Entity::insert(row.clone()).on_conflict(on_conflict.clone());
            match insert.exec_without_returning(&self.db).await {
                Ok(_) => return Ok(()),
                Err(e) if tries < 2 && penkom_storage::is_transient(&e) => {
                    tries += 1;
                    tracing::warn!(error = %e, "writing study evidence failed for a moment; trying again");
                    tokio::time::sleep(Duration::from_millis(100 * tries)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Starts a session on `module` for `person`, ending (superseding) any other.
    ///
    /// The live store decides first: the compare-and-set that installs the new stream is the
    /// moment the old stream stops earning. Only then is the database told, so that it never
    /// shows a session superseded that the live store still credits.
    pub async fn start(&self, person: UserId, module: StudyModule) -> Result<SessionStarted, StudyError> {
        let session_id = Uuid::now_v7();
        let key = stream_key(person);
        let module_db = self.module_credit_in_db(person, module.module_id).await?;
        // A remembered old stream is fine to start from: the compare-and-set below succeeds only
        // if it is still the stored one, and the totals computed from it are then exact.
        let mut next = self.remembered(person);
        for _ in 0..MAX_ATTEMPTS {
            let now = self.clock.now();
            let today = self.day_of(now);
            let seen = self.stream_of(&key, &mut next).await?;
            let version = seen.version;
            let old = seen.state;
            // Totals come from the old stream where it covers the same module or day (it knows
            // credit not yet written), else from the database.
            let module_base = match &old {
                Some(o) if o.module_id == module.module_id => o.module_credited_ms(),
                _ => module_db,
            };
            let day_base = match &old {
                Some(o) if o.day == today => o.today_credited_ms(),
                _ => self.day_credit_in_db(person, &today).await?,
            };
            // The new stream starts earning no earlier than the old one's last accepted beat:
            // the same wall-clock time can never be credited twice, even if this node's clock
            // is behind the node that accepted that beat.
            let start_ms = old.as_ref().map_or(ms(now), |o| o.last_ms.max(ms(now)));
            let state = StreamState {
                session_id,
                module_id: module.module_id,
                version_id: module.version_id,
                min_engaged_ms: module.min_engaged_seconds.saturating_mul(1000),
                last_ms: start_ms,
                day: today.clone(),
                day_base_ms: day_base,
                module_base_ms: module_base,
                session_base_ms: 0,
                pending: Pending { from_ms: start_ms, ..Pending::default() },
                restored: false,
            };
            let credited_seconds = secs(state.module_credited_ms());
            let so_far = BeatReport::of(0, state.module_credited_ms(), module.min_engaged_seconds * 1000);
            if let Err(current) = self.swap(person, &key, version, Some(state)).await? {
                next = Some(current);
                continue;
            }
            if let Some(old) = &old {
                self.write_segment(person, old, &old.pending, &old.day, old.last_ms).await?;
            }
            // Two starts of one learner at once: their compare-and-sets are ordered, but their
            // transactions may commit in the other order, and the database would then name as
            // active a session the live store has already replaced. So, under a per-learner
            // lock, each transaction asks the live store which session is active *now* and
            // records exactly that. Every start's transaction runs after its own compare-and-set,
            // so the one that commits last has seen the outcome of every start before it, and the
            // database ends up agreeing with the live store. (A live store that lost the stream
            // meanwhile leaves this session active; a beat rebuilds the stream from it.)
            let txn = penkom_storage::begin_write(&self.db).await?;
            penkom_storage::serialize_on(&txn, learner_lock_key(person)).await?;
            // If the live store cannot answer, this start's own compare-and-set is the latest
            // thing known: record it as active rather than fail after the live store changed.
            // A stream that ended or was lost in the meantime reads as "none" and is treated the
            // same way; a beat then rebuilds the stream from this row.
            let active = match self.read_stream(&key).await {
                Ok(seen) => seen.state.map_or(session_id, |s| s.session_id),
                Err(e) => {
                    tracing::warn!(error = %e, "live store unreadable while recording a session start");
                    session_id
                }
            };
            study_session::Entity::update_many()
                .col_expr(study_session::Column::EndedAt, Expr::value(Some(now)))
                .col_expr(study_session::Column::EndReason, Expr::value(Some("superseded".to_string())))
                .filter(study_session::Column::PersonId.eq(person.0))
                .filter(study_session::Column::EndedAt.is_null())
                .filter(study_session::Column::Id.ne(active))
                .exec(&txn)
                .await?;
            let superseded = active != session_id;
            study_session::ActiveModel {
                id: Set(session_id),
                person_id: Set(person.0),
                module_id: Set(module.module_id),
                version_id: Set(module.version_id),
                started_at: Set(now),
                ended_at: Set(superseded.then_some(now)),
                end_reason: Set(superseded.then(|| "superseded".to_string())),
            }
            .insert(&txn)
            .await?;
            txn.commit().await?;
            return Ok(SessionStarted {
                session_id,
                heartbeat_interval_s: self.policy.interval_ms / 1000,
                min_engaged_seconds: module.min_engaged_seconds,
                credited_seconds,
                remaining_seconds: so_far.remaining_seconds,
                can_complete: so_far.can_complete,
            });
        }
        Err(StudyError::Contended)
    }

    /// Why `session_id` is not the active stream of `person`.
    async fn not_active(&self, person: UserId, session_id: Uuid) -> Result<StudyError, DbErr> {
        let row = study_session::Entity::find_by_id(session_id)
            .one(&self.db)
            .await?
            .filter(|s| s.person_id == person.0);
        Ok(match row {
            None => StudyError::SessionNotFound,
            Some(s) if s.end_reason.as_deref() == Some("superseded") => StudyError::Superseded,
            Some(s) if s.ended_at.is_some() => StudyError::SessionEnded,
            // Active in the database while the live store runs another stream of this learner:
            // that stream superseded it (its database row is being updated right now).
            Some(_) => StudyError::Superseded,
        })
    }

    /// Rebuilds a stream from the database after the live store lost it (a Redis restart, an
    /// expired key), from the last beat the database knows: the end of the learner's last
    /// written segment, or the session start. The beat that found the stream missing is then
    /// judged against that beat ([`StreamState::restored`] says why and what it bounds), so a
    /// loss costs at most the credit not yet checkpointed, and nothing is ever credited twice.
    async fn restore(
        &self,
        person: UserId,
        session_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<StreamState>, StudyError> {
        let Some(s) = study_session::Entity::find_by_id(session_id)
            .one(&self.db)
            .await?
            .filter(|s| s.person_id == person.0 && s.ended_at.is_none())
        else {
            return Ok(None);
        };
        let min_engaged_ms = self.min_engaged_ms(s.module_id).await?;
        let today = self.day_of(now);
        // The latest written evidence of any of the learner's sessions: time it covers is never
        // earned again, whatever a stale live store or a slower clock says.
        let last_written: Option<DateTime<Utc>> = study_segment::Entity::find()
            .select_only()
            .column(study_segment::Column::ToAt)
            .filter(study_segment::Column::PersonId.eq(person.0))
            .order_by_desc(study_segment::Column::ToAt)
            .into_tuple()
            .one(&self.db)
            .await?;
        let last_ms = last_written.map_or(ms(s.started_at), |t| ms(t).max(ms(s.started_at)));
        Ok(Some(StreamState::restored(Durable {
            session_id,
            module_id: s.module_id,
            version_id: s.version_id,
            min_engaged_ms,
            last_ms,
            day: today.clone(),
            day_base_ms: self.day_credit_in_db(person, &today).await?,
            module_base_ms: self.module_credit_in_db(person, s.module_id).await?,
            session_base_ms: self.session_credit_in_db(session_id).await?,
        })))
    }

    /// A heartbeat of session `session_id`: `visible` and `active` are all a client says.
    pub async fn beat(
        &self,
        person: UserId,
        session_id: Uuid,
        visible: bool,
        active: bool,
    ) -> Result<BeatReport, StudyError> {
        let key = stream_key(person);
        let mut next = self.remembered(person);
        for _ in 0..MAX_ATTEMPTS {
            let now = self.clock.now();
            let today = self.day_of(now);
            let seen = self.stream_of(&key, &mut next).await?;
            let version = seen.version;
            let mut state = match seen.state {
                Some(s) if s.session_id == session_id => s,
                // A remembered stream of another session may be stale (this session may have
                // started on another node since): decide only on what the store holds now.
                _ if !seen.fresh => continue,
                Some(_) => return Err(self.not_active(person, session_id).await?),
                // Lost by the live store: rebuilt, and this beat is judged on it like any other.
                None => match self.restore(person, session_id, now).await? {
                    Some(s) => s,
                    None => return Err(self.not_active(person, session_id).await?),
                },
            };
            let mut to_write: Vec<(StreamState, Pending, String, i64)> = Vec::new();
            if state.day != today {
                // The local day changed: close the old day's evidence, and start counting the
                // daily cap afresh (plus anything another stream already credited today).
                let day_base = self.day_credit_in_db(person, &today).await?;
                let (next_day, old_day) = state.on_new_day(&today, day_base);
                if let Some(pending) = old_day {
                    to_write.push((state.clone(), pending, state.day.clone(), state.last_ms));
                }
                state = next_day;
            }
            // A refused (too fast) beat is stored too: the evidence counts refused beats.
            let verdict = state.beat(&self.policy, ms(now), visible, active);
            // What to put back if the checkpoint's write fails: this beat, evidence still
            // pending (not across a day change, whose old day cannot be pending any more).
            let mut undo = None;
            if state.checkpoint_due(ms(now)) {
                if to_write.is_empty() {
                    undo = Some(state.clone());
                }
                // A segment ends at the last accepted beat, where the next one starts (see
                // `write_segment`), also when a refused beat found the checkpoint due.
                to_write.push((state.clone(), state.pending.clone(), state.day.clone(), state.last_ms));
                state = state.checkpointed(state.last_ms, &today, None);
            }
            let report = self.report(&state);
            let stored = match self.swap(person, &key, version, Some(state)).await? {
                Ok(stored) => stored,
                Err(current) => {
                    next = Some(current);
                    continue;
                }
            };
            self.write_or_undo(person, &key, stored, undo, &to_write).await?;
            if let BeatVerdict::TooFast { retry_after_ms } = verdict {
                return Err(StudyError::TooFast {
                    retry_after: Duration::from_millis(retry_after_ms.max(0) as u64),
                });
            }
            return Ok(report);
        }
        Err(StudyError::Contended)
    }

    /// Ends session `session_id`, writing its evidence. Ending an ended session answers its
    /// totals again.
    pub async fn end(&self, person: UserId, session_id: Uuid) -> Result<BeatReport, StudyError> {
        let key = stream_key(person);
        let now = self.clock.now();
        let row = study_session::Entity::find_by_id(session_id)
            .one(&self.db)
            .await?
            .filter(|s| s.person_id == person.0)
            .ok_or(StudyError::SessionNotFound)?;
        // The database row ends first: a beat racing this end then cannot rebuild the stream
        // from the database and keep earning on an ended session.
        if row.ended_at.is_none() {
            let mut am: study_session::ActiveModel = row.clone().into();
            am.ended_at = Set(Some(now));
            am.end_reason = Set(Some("ended".into()));
            am.update(&self.db).await?;
        }
        // "Nothing to end" must be decided on what the store holds now, so this starts from a
        // read; what this node remembers is dropped (the stream is going away).
        drop(self.remembered(person));
        let mut next = None;
        for _ in 0..MAX_ATTEMPTS {
            let seen = self.stream_of(&key, &mut next).await?;
            let Some(state) = seen.state.filter(|s| s.session_id == session_id) else { break };
            match self.swap(person, &key, seen.version, None).await? {
                Ok(_) => {
                    self.write_segment(person, &state, &state.pending, &state.day, state.last_ms).await?;
                    break;
                }
                Err(current) => next = Some(current),
            }
        }
        let session = self.session_credit_in_db(session_id).await?;
        let module = self.module_credit_in_db(person, row.module_id).await?;
        Ok(BeatReport::of(session, module, self.min_engaged_ms(row.module_id).await?))
    }

    /// Marks `module` complete for `person` if the credited time reaches its minimum.
    /// Idempotent: completing again answers the same completion.
    pub async fn complete(&self, person: UserId, module: StudyModule) -> Result<Completion, StudyError> {
        if let Some(c) = self.completion_of(person, module.module_id).await? {
            return Ok(c);
        }
        // Make the live evidence durable first, so a completion always rests on written segments.
        // "Nothing pending" must be decided on what the store holds now, so this starts from a
        // read, not from what this node remembers.
        let key = stream_key(person);
        drop(self.remembered(person));
        let mut next = None;
        for _ in 0..MAX_ATTEMPTS {
            let seen = self.stream_of(&key, &mut next).await?;
            let Some(state) = seen.state.filter(|s| s.module_id == module.module_id) else { break };
            // Refused beats alone hold no credit; they wait for the stream's next checkpoint.
            if !state.pending_covers_time() {
                break;
            }
            let checkpointed = state.checkpointed(state.last_ms, &state.day, None);
            match self.swap(person, &key, seen.version, Some(checkpointed)).await? {
                Ok(stored) => {
                    let write = [(state.clone(), state.pending.clone(), state.day.clone(), state.last_ms)];
                    self.write_or_undo(person, &key, stored, Some(state), &write).await?;
                    break;
                }
                Err(current) => next = Some(current),
            }
        }
        let credited_ms = self.module_credit_in_db(person, module.module_id).await?;
        let missing = module.min_engaged_seconds.saturating_mul(1000) - credited_ms;
        if missing > 0 {
            return Err(StudyError::InsufficientStudyTime { missing_seconds: (missing + 999) / 1000 });
        }
        let now = self.clock.now();
        let row = module_completion::ActiveModel {
            id: Set(Uuid::now_v7()),
            person_id: Set(person.0),
            module_id: Set(module.module_id),
            version_id: Set(module.version_id),
            credited_seconds: Set(secs(credited_ms)),
            completed_at: Set(now),
        };
        match row.insert(&self.db).await {
            Ok(c) => Ok(c.into()),
            // A concurrent completion won the unique index: answer with that one.
            Err(e) if penkom_storage::is_unique_violation(&e) => {
                self.completion_of(person, module.module_id).await?.ok_or(StudyError::Db(e))
            }
            Err(e) => Err(e.into()),
        }
    }
}

//! The evidence behind a learner's credited time on a module: every session, every checkpoint,
//! credited and rejected time with the reason for each rejection.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use penkom_core::UserId;
use penkom_storage::entities::{course_module, module_completion, study_segment, study_session};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::service::{Progress, stream_key};
use crate::stream::{Pending, StreamState};

/// One checkpoint (or the not yet checkpointed part of an active session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentEvidence {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub day: String,
    pub beats: i64,
    pub too_fast_beats: i64,
    pub credited_seconds: i64,
    /// Reason (`not_visible`, `inactive`, `idle_gap`, `over_beat_cap`, `daily_cap`) → seconds.
    pub rejected_seconds: BTreeMap<String, i64>,
    /// False for the live part of an active session, not yet written to the database.
    pub checkpointed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEvidence {
    pub id: Uuid,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    pub credited_seconds: i64,
    pub segments: Vec<SegmentEvidence>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleEvidence {
    pub module_id: Uuid,
    pub min_engaged_seconds: i64,
    pub credited_seconds: i64,
    pub remaining_seconds: i64,
    pub completed_at: Option<DateTime<Utc>>,
    pub sessions: Vec<SessionEvidence>,
}

fn segment_of_pending(p: &Pending, day: &str, to_ms: i64) -> SegmentEvidence {
    SegmentEvidence {
        from: DateTime::from_timestamp_millis(p.from_ms).unwrap_or_default(),
        to: DateTime::from_timestamp_millis(to_ms.max(p.from_ms)).unwrap_or_default(),
        day: day.to_string(),
        beats: i64::from(p.beats),
        too_fast_beats: i64::from(p.too_fast),
        credited_seconds: p.credited_ms / 1000,
        rejected_seconds: p.rejected_ms.iter().map(|(r, ms)| (r.as_str().to_string(), ms / 1000)).collect(),
        checkpointed: false,
    }
}

impl Progress {
    /// The evidence of `person`'s study of `module_id`, or `None` if there is no such module.
    pub async fn evidence(&self, person: UserId, module_id: Uuid) -> Result<Option<ModuleEvidence>, DbErr> {
        let Some(module) = course_module::Entity::find_by_id(module_id).one(&self.db).await? else {
            return Ok(None);
        };
        let sessions = study_session::Entity::find()
            .filter(study_session::Column::PersonId.eq(person.0))
            .filter(study_session::Column::ModuleId.eq(module_id))
            .order_by_asc(study_session::Column::StartedAt)
            .all(&self.db)
            .await?;
        let segments = study_segment::Entity::find()
            .filter(study_segment::Column::PersonId.eq(person.0))
            .filter(study_segment::Column::ModuleId.eq(module_id))
            .order_by_asc(study_segment::Column::FromAt)
            .all(&self.db)
            .await?;
        // Read, not remembered: evidence shows what the live store holds now. An unreachable
        // live store shows only what the database holds.
        let live: Option<StreamState> =
            self.read_stream(&stream_key(person)).await.ok().and_then(|seen| seen.state);
        let mut total_ms = 0i64;
        let mut out = Vec::new();
        for s in sessions {
            let mut segs: Vec<SegmentEvidence> = segments
                .iter()
                .filter(|g| g.session_id == s.id)
                .map(|g| SegmentEvidence {
                    from: g.from_at,
                    to: g.to_at,
                    day: g.day.clone(),
                    beats: i64::from(g.beats),
                    too_fast_beats: i64::from(g.too_fast),
                    credited_seconds: g.credited_ms / 1000,
                    rejected_seconds: serde_json::from_str::<BTreeMap<String, i64>>(&g.rejected)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|(k, v)| (k, v / 1000))
                        .collect(),
                    checkpointed: true,
                })
                .collect();
            let mut credited_ms: i64 =
                segments.iter().filter(|g| g.session_id == s.id).map(|g| g.credited_ms).sum();
            if let Some(l) = live.as_ref().filter(|l| l.session_id == s.id && !l.pending.is_empty()) {
                segs.push(segment_of_pending(&l.pending, &l.day, l.last_ms));
                credited_ms += l.pending.credited_ms;
            }
            total_ms += credited_ms;
            out.push(SessionEvidence {
                id: s.id,
                started_at: s.started_at,
                ended_at: s.ended_at,
                end_reason: s.end_reason,
                credited_seconds: credited_ms / 1000,
                segments: segs,
            });
        }
        let completion = module_completion::Entity::find()
            .filter(module_completion::Column::PersonId.eq(person.0))
            .filter(module_completion::Column::ModuleId.eq(module_id))
            .one(&self.db)
            .await?;
        let min_ms = i64::from(module.min_engaged_seconds) * 1000;
        Ok(Some(ModuleEvidence {
            module_id,
            min_engaged_seconds: i64::from(module.min_engaged_seconds),
            credited_seconds: total_ms / 1000,
            remaining_seconds: ((min_ms - total_ms).max(0) + 999) / 1000,
            completed_at: completion.map(|c| c.completed_at),
            sessions: out,
        }))
    }
}

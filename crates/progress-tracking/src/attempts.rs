//! The post-test service: starting attempts, saving answers, grading, and the course completion
//! a passing grade produces.
//!
//! Concurrency: every write to a learner's attempts runs in one write transaction holding a
//! per-learner lock (`BEGIN IMMEDIATE` on SQLite, an advisory lock on PostgreSQL). So two
//! devices starting an attempt at once get the same attempt, a double submit grades once, and a
//! save cannot slip in after a grade. The unique indexes on attempt numbers and on completions
//! back this up: even a bug in the locking could not create a second completion.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use course_delivery::{AnswerOption, QuestionKind, Scoring};
use penkom_core::{Clock, UserId};
use penkom_storage::DatabaseConnection;
use penkom_storage::entities::{
    course, course_module, course_version, enrollment, module_completion, question, quiz_attempt,
};
use sea_orm::DatabaseTransaction;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::completion::{self, CourseCompletion};
use crate::quiz::{self, AnswerError, Answers, Graded, Key, Shown};

/// Time after the deadline during which answers are still saved and a submission still counts
/// as on time: a slow network or a suspended laptop should not cost a learner their last save.
pub const GRACE: chrono::Duration = chrono::Duration::seconds(60);

#[derive(Debug, thiserror::Error)]
pub enum QuizError {
    #[error("kursus tidak ditemukan")]
    CourseNotFound,
    #[error("Anda belum terdaftar pada kursus ini")]
    NotEnrolled,
    #[error("selesaikan dulu semua modul wajib sebelum mengerjakan post-test")]
    ModulesIncomplete { missing: Vec<MissingModule> },
    #[error("kursus ini sudah selesai; post-test tidak perlu diulang")]
    AlreadyCompleted,
    #[error("batas {limit} kali percobaan post-test sudah tercapai")]
    AttemptLimitReached { limit: u32 },
    #[error("tunggu sebelum mencoba post-test lagi")]
    MustWait { retry_after: Duration },
    #[error("kursus ini tidak memiliki soal post-test")]
    NoQuestions,
    #[error("percobaan post-test tidak ditemukan")]
    AttemptNotFound,
    #[error("waktu percobaan ini sudah habis; jawaban tidak dapat diubah lagi")]
    AttemptClosed,
    #[error("percobaan ini sudah dikumpulkan dan dinilai")]
    AttemptSubmitted,
    #[error(transparent)]
    InvalidAnswer(#[from] AnswerError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A required module not yet complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingModule {
    pub module_id: Uuid,
    pub title: String,
}

/// An option as a learner sees it: a label and a text, never whether it is right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionView {
    pub label: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionView {
    pub id: Uuid,
    pub kind: QuestionKind,
    pub text: String,
    pub options: Vec<OptionView>,
}

/// The grade of an attempt, as the learner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptResult {
    pub score: u8,
    pub passed: bool,
    pub pass_mark: u32,
    pub attempts_left: u32,
    pub submitted_at: DateTime<Utc>,
}

/// One question's review, shown after grading when the course allows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewItem {
    pub question_id: Uuid,
    pub chosen: Vec<String>,
    pub correct: Vec<String>,
    /// Credit for the question, in millionths.
    pub credit_millionths: u64,
    pub explanation: Option<String>,
}

/// An attempt as its learner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptView {
    pub id: Uuid,
    pub course_id: Uuid,
    pub number: u32,
    pub started_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub questions: Vec<QuestionView>,
    pub answers: Answers,
    pub result: Option<AttemptResult>,
    /// Present only for a graded attempt of a course that allows review.
    pub review: Option<Vec<ReviewItem>>,
}

/// What a submission returns: the result, and the completion if this grade completed the course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub result: AttemptResult,
    pub completion: Option<CourseCompletion>,
}

/// Post-tests. Cheap to clone.
#[derive(Clone)]
pub struct Quizzes {
    pub(crate) db: DatabaseConnection,
    pub(crate) clock: Arc<dyn Clock>,
    /// Whether this server runs the simulated clock: its completions are marked as test data.
    pub(crate) test_data: bool,
}

/// The bank of a version: keys for grading and texts for display.
struct Bank {
    questions: HashMap<Uuid, question::Model>,
    keys: HashMap<Uuid, Key>,
}

pub(crate) fn options_of(q: &question::Model) -> Vec<AnswerOption> {
    // Written by this program from validated specs; unreadable would mean a corrupted row, which
    // grades as a question nobody can answer rather than failing every attempt that shows it.
    serde_json::from_str(&q.options).unwrap_or_default()
}

fn kind_of(q: &question::Model) -> QuestionKind {
    QuestionKind::parse(&q.kind).unwrap_or(QuestionKind::SingleChoice)
}

async fn bank<C: ConnectionTrait>(db: &C, version_id: Uuid) -> Result<Bank, DbErr> {
    let rows = question::Entity::find()
        .filter(question::Column::VersionId.eq(version_id))
        .order_by_asc(question::Column::Position)
        .all(db)
        .await?;
    let keys = rows.iter().map(|q| (q.id, Key { kind: kind_of(q), options: options_of(q) })).collect();
    Ok(Bank { questions: rows.into_iter().map(|q| (q.id, q)).collect(), keys })
}

fn layout_of(a: &quiz_attempt::Model) -> Vec<Shown> {
    serde_json::from_str(&a.layout).unwrap_or_default()
}

fn answers_of(a: &quiz_attempt::Model) -> Answers {
    serde_json::from_str(&a.answers).unwrap_or_default()
}

/// The lock key of a learner's study records (post-test writes, session starts). It may collide
/// with another advisory lock named by an id (a course's edit lock folds ids the same way); a
/// collision only makes one request wait for an unrelated one, never lets two writers in.
pub(crate) fn learner_lock_key(person: UserId) -> i64 {
    let id = person.0.as_u128();
    ((id as i64) ^ ((id >> 64) as i64)) ^ 0x5155_495a
}

impl Quizzes {
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>, test_data: bool) -> Self {
        Self { db, clock, test_data }
    }

    /// The enrolment of `person` in `course_id`; an unknown course and a course the person is
    /// not enrolled in are told apart (404 and 403).
    pub(crate) async fn enrollment(
        &self,
        person: UserId,
        course_id: Uuid,
    ) -> Result<enrollment::Model, QuizError> {
        let found = enrollment::Entity::find()
            .filter(enrollment::Column::PersonId.eq(person.0))
            .filter(enrollment::Column::CourseId.eq(course_id))
            .one(&self.db)
            .await?;
        match found {
            Some(e) => Ok(e),
            None if course::Entity::find_by_id(course_id).one(&self.db).await?.is_none() => {
                Err(QuizError::CourseNotFound)
            }
            None => Err(QuizError::NotEnrolled),
        }
    }

    /// Required modules of `version_id` that `person` has not completed, in course order.
    pub(crate) async fn missing_modules<C: ConnectionTrait>(
        db: &C,
        person: UserId,
        version_id: Uuid,
    ) -> Result<Vec<MissingModule>, DbErr> {
        let modules = course_module::Entity::find()
            .filter(course_module::Column::VersionId.eq(version_id))
            .filter(course_module::Column::Required.eq(true))
            .order_by_asc(course_module::Column::Position)
            .all(db)
            .await?;
        let done: Vec<Uuid> = module_completion::Entity::find()
            .filter(module_completion::Column::PersonId.eq(person.0))
            .filter(module_completion::Column::VersionId.eq(version_id))
            .all(db)
            .await?
            .into_iter()
            .map(|c| c.module_id)
            .collect();
        Ok(modules
            .into_iter()
            .filter(|m| !done.contains(&m.id))
            .map(|m| MissingModule { module_id: m.id, title: m.title })
            .collect())
    }

    /// Starts a post-test attempt on `course_id`, or answers the attempt still open. The bool
    /// tells whether a new attempt was created.
    pub async fn start(&self, person: UserId, course_id: Uuid) -> Result<(AttemptView, bool), QuizError> {
        let enrolled = self.enrollment(person, course_id).await?;
        let missing = Self::missing_modules(&self.db, person, enrolled.version_id).await?;
        if !missing.is_empty() {
            return Err(QuizError::ModulesIncomplete { missing });
        }
        let version = course_version::Entity::find_by_id(enrolled.version_id)
            .one(&self.db)
            .await?
            .ok_or(QuizError::NotEnrolled)?;
        let bank = bank(&self.db, version.id).await?;
        if bank.questions.is_empty() {
            return Err(QuizError::NoQuestions);
        }
        let txn = penkom_storage::begin_write(&self.db).await?;
        penkom_storage::serialize_on(&txn, learner_lock_key(person)).await?;
        let now = self.clock.now();
        if completion::find(&txn, person, course_id).await?.is_some() {
            return Err(QuizError::AlreadyCompleted);
        }
        let mut attempts = self.attempts_of(&txn, person, version.id).await?;
        if let Some(open) = attempts.iter().find(|a| a.submitted_at.is_none()).cloned() {
            if now <= open.deadline + GRACE {
                txn.commit().await?;
                return Ok((self.view(open, &version, &bank, false), false));
            }
            // The open attempt ran out of time: grade it as saved before anything else.
            let (graded, _) = self.grade_in(&txn, open, &version, &bank, now).await?;
            if graded.passed == Some(true) {
                txn.commit().await?;
                return Err(QuizError::AlreadyCompleted);
            }
            attempts = self.attempts_of(&txn, person, version.id).await?;
        }
        let limit = u32::try_from(version.attempt_limit).unwrap_or(0);
        if attempts.len() as u32 >= limit {
            txn.commit().await?;
            return Err(QuizError::AttemptLimitReached { limit });
        }
        if let Some(last) = attempts.iter().filter_map(|a| a.submitted_at).max() {
            let free_at = last + chrono::Duration::minutes(i64::from(version.wait_minutes));
            if free_at > now {
                txn.commit().await?;
                let retry_after = (free_at - now).to_std().unwrap_or_default();
                return Err(QuizError::MustWait { retry_after });
            }
        }
        let pool: Vec<(Uuid, Vec<String>)> = {
            let mut q: Vec<&question::Model> = bank.questions.values().collect();
            q.sort_by_key(|q| q.position);
            q.into_iter().map(|q| (q.id, options_of(q).into_iter().map(|o| o.id).collect())).collect()
        };
        let count = usize::try_from(version.questions_per_attempt).unwrap_or(0);
        let layout = quiz::pick(&pool, count, &mut rand::rng());
        let row = quiz_attempt::ActiveModel {
            id: Set(Uuid::now_v7()),
            person_id: Set(person.0),
            course_id: Set(course_id),
            version_id: Set(version.id),
            number: Set(attempts.len() as i32 + 1),
            started_at: Set(now),
            deadline: Set(now + chrono::Duration::minutes(i64::from(version.time_limit_minutes))),
            layout: Set(serde_json::to_string(&layout).unwrap_or_default()),
            answers: Set("{}".into()),
            saved_at: Set(None),
            submitted_at: Set(None),
            score: Set(None),
            passed: Set(None),
            grading: Set(None),
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        Ok((self.view(row, &version, &bank, false), true))
    }

    pub(crate) async fn attempts_of<C: ConnectionTrait>(
        &self,
        db: &C,
        person: UserId,
        version_id: Uuid,
    ) -> Result<Vec<quiz_attempt::Model>, DbErr> {
        quiz_attempt::Entity::find()
            .filter(quiz_attempt::Column::PersonId.eq(person.0))
            .filter(quiz_attempt::Column::VersionId.eq(version_id))
            .order_by_asc(quiz_attempt::Column::Number)
            .all(db)
            .await
    }

    async fn own_attempt<C: ConnectionTrait>(
        &self,
        db: &C,
        person: UserId,
        attempt_id: Uuid,
    ) -> Result<(quiz_attempt::Model, course_version::Model), QuizError> {
        let a = quiz_attempt::Entity::find_by_id(attempt_id)
            .one(db)
            .await?
            .filter(|a| a.person_id == person.0)
            .ok_or(QuizError::AttemptNotFound)?;
        let v = course_version::Entity::find_by_id(a.version_id)
            .one(db)
            .await?
            .ok_or(QuizError::AttemptNotFound)?;
        Ok((a, v))
    }

    /// One of the caller's attempts, with the review if it is graded and the course allows it.
    pub async fn attempt(&self, person: UserId, attempt_id: Uuid) -> Result<AttemptView, QuizError> {
        let (a, v) = self.own_attempt(&self.db, person, attempt_id).await?;
        self.close_expired(person, &v).await?;
        let (a, v) = if a.submitted_at.is_none() {
            self.own_attempt(&self.db, person, attempt_id).await?
        } else {
            (a, v)
        };
        let bank = bank(&self.db, v.id).await?;
        let keys_allowed = self.is_final(&self.db, person, &v).await?;
        Ok(self.view(a, &v, &bank, keys_allowed))
    }

    /// Whether `person` is done with the post-test of `v`: passed, or out of attempts.
    async fn is_final<C: ConnectionTrait>(
        &self,
        db: &C,
        person: UserId,
        v: &course_version::Model,
    ) -> Result<bool, DbErr> {
        let attempts = self.attempts_of(db, person, v.id).await?;
        let graded = attempts.iter().filter(|a| a.submitted_at.is_some()).count();
        Ok(attempts.iter().any(|a| a.passed == Some(true))
            || (graded >= usize::try_from(v.attempt_limit).unwrap_or(0) && graded == attempts.len()))
    }

    /// Grades an attempt of `person` on `v` left open past its deadline and grace, so that what
    /// the learner reads (the attempt, their progress) shows its result and any completion it
    /// earned, not an attempt that looks open forever.
    pub(crate) async fn close_expired(
        &self,
        person: UserId,
        v: &course_version::Model,
    ) -> Result<(), QuizError> {
        let now = self.clock.now();
        let expired = |a: &quiz_attempt::Model| a.submitted_at.is_none() && now > a.deadline + GRACE;
        if !self.attempts_of(&self.db, person, v.id).await?.iter().any(expired) {
            return Ok(());
        }
        let txn = penkom_storage::begin_write(&self.db).await?;
        penkom_storage::serialize_on(&txn, learner_lock_key(person)).await?;
        // Read again under the lock: a concurrent request may have graded it meanwhile.
        if let Some(open) = self.attempts_of(&txn, person, v.id).await?.into_iter().find(|a| expired(a)) {
            let bank = bank(&txn, v.id).await?;
            self.grade_in(&txn, open, v, &bank, now).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Saves `answers` (merged into what is saved: each question named is replaced, an empty
    /// list clears it). Refused once graded or after the deadline and its grace.
    pub async fn save(
        &self,
        person: UserId,
        attempt_id: Uuid,
        answers: Answers,
    ) -> Result<AttemptView, QuizError> {
        let txn = penkom_storage::begin_write(&self.db).await?;
        penkom_storage::serialize_on(&txn, learner_lock_key(person)).await?;
        let (a, v) = self.own_attempt(&txn, person, attempt_id).await?;
        if a.submitted_at.is_some() {
            return Err(QuizError::AttemptSubmitted);
        }
        let now = self.clock.now();
        if now > a.deadline + GRACE {
            return Err(QuizError::AttemptClosed);
        }
        let bank = bank(&txn, v.id).await?;
        quiz::validate(&layout_of(&a), &bank.keys, &answers)?;
        let mut merged = answers_of(&a);
        for (q, labels) in answers {
            if labels.is_empty() {
                merged.remove(&q);
            } else {
                merged.insert(q, labels);
            }
        }
        let mut am: quiz_attempt::ActiveModel = a.into();
        am.answers = Set(serde_json::to_string(&merged).unwrap_or_else(|_| "{}".into()));
        am.saved_at = Set(Some(now));
        let a = am.update(&txn).await?;
        txn.commit().await?;
        Ok(self.view(a, &v, &bank, false))
    }

    /// Submits an attempt: grades it on the server (once; a second submit answers the same
    /// result) and, if it passes, completes the course.
    pub async fn submit(&self, person: UserId, attempt_id: Uuid) -> Result<Submission, QuizError> {
        let txn = penkom_storage::begin_write(&self.db).await?;
        penkom_storage::serialize_on(&txn, learner_lock_key(person)).await?;
        let (a, v) = self.own_attempt(&txn, person, attempt_id).await?;
        let now = self.clock.now();
        let bank = bank(&txn, v.id).await?;
        let (graded, completion) = if a.submitted_at.is_some() {
            let completion = completion::find(&txn, person, a.course_id).await?;
            (a, completion.filter(|c| c.attempt_id == attempt_id))
        } else {
            self.grade_in(&txn, a, &v, &bank, now).await?
        };
        txn.commit().await?;
        // Attempts left as of this attempt, so that submitting it again answers the same.
        let number = u32::try_from(graded.number).unwrap_or(0);
        let result = result_of(&graded, &v, number).ok_or(QuizError::AttemptNotFound)?;
        Ok(Submission { result, completion })
    }

    /// Grades `a` inside `txn` and, when it passes, writes the course completion.
    async fn grade_in(
        &self,
        txn: &DatabaseTransaction,
        a: quiz_attempt::Model,
        v: &course_version::Model,
        bank: &Bank,
        now: DateTime<Utc>,
    ) -> Result<(quiz_attempt::Model, Option<CourseCompletion>), QuizError> {
        let scoring = Scoring::parse(&v.mc_scoring).unwrap_or_default();
        let pass_mark = u32::try_from(v.pass_mark).unwrap_or(100);
        let grade = quiz::grade(&layout_of(&a), &bank.keys, &answers_of(&a), scoring, pass_mark);
        let person = UserId(a.person_id);
        // An attempt graded late (after deadline and grace) is stamped at its closing time, so
        // its duration shows what the learner had, not when the server noticed.
        let stamp = now.min(a.deadline + GRACE);
        let mut am: quiz_attempt::ActiveModel = a.into();
        am.submitted_at = Set(Some(stamp));
        am.score = Set(Some(i32::from(grade.score)));
        am.passed = Set(Some(grade.passed));
        am.grading =
            Set(Some(serde_json::to_string(&Graded { questions: grade.questions }).unwrap_or_default()));
        let graded = am.update(txn).await?;
        let completion = if grade.passed {
            Some(completion::record(txn, person, v, &graded, stamp, self.test_data).await?)
        } else {
            None
        };
        Ok((graded, completion))
    }

    /// The learner's view of `a`. `keys_allowed` says whether right options and explanations may
    /// be shown: only once the learner has passed or has no attempt left, since questions repeat
    /// across attempts and a review would otherwise hand over the key to the next one.
    fn view(
        &self,
        a: quiz_attempt::Model,
        v: &course_version::Model,
        bank: &Bank,
        keys_allowed: bool,
    ) -> AttemptView {
        let layout = layout_of(&a);
        let answers = answers_of(&a);
        let questions = layout
            .iter()
            .filter_map(|s| {
                let q = bank.questions.get(&s.question_id)?;
                let opts = options_of(q);
                Some(QuestionView {
                    id: q.id,
                    kind: kind_of(q),
                    text: q.text.clone(),
                    options: s
                        .options
                        .iter()
                        .enumerate()
                        .map(|(i, id)| OptionView {
                            label: quiz::label(i),
                            text: opts
                                .iter()
                                .find(|o| o.id == *id)
                                .map(|o| o.text.clone())
                                .unwrap_or_default(),
                        })
                        .collect(),
                })
            })
            .collect();
        // Keys and explanations only once graded, and only if the course allows review: before
        // grading nothing in a learner-visible answer can tell a right option from a wrong one.
        let review = (a.submitted_at.is_some() && v.review_after_grading).then(|| {
            let graded: Graded = a
                .grading
                .as_deref()
                .and_then(|g| serde_json::from_str(g).ok())
                .unwrap_or(Graded { questions: Vec::new() });
            layout
                .iter()
                .map(|s| {
                    let key = bank.keys.get(&s.question_id);
                    ReviewItem {
                        question_id: s.question_id,
                        chosen: answers.get(&s.question_id).cloned().unwrap_or_default(),
                        correct: if !keys_allowed {
                            Vec::new()
                        } else {
                            s.options
                                .iter()
                                .enumerate()
                                .filter(|(_, id)| {
                                    key.is_some_and(|k| k.options.iter().any(|o| o.id == **id && o.correct))
                                })
                                .map(|(i, _)| quiz::label(i))
                                .collect()
                        },
                        credit_millionths: graded
                            .questions
                            .iter()
                            .find(|g| g.question_id == s.question_id)
                            .map_or(0, |g| g.credit_millionths),
                        explanation: bank
                            .questions
                            .get(&s.question_id)
                            .and_then(|q| q.explanation.clone())
                            .filter(|_| keys_allowed),
                    }
                })
                .collect()
        });
        let number = u32::try_from(a.number).unwrap_or(0);
        AttemptView {
            id: a.id,
            course_id: a.course_id,
            number,
            started_at: a.started_at,
            deadline: a.deadline,
            questions,
            answers,
            // Attempts left as of this attempt: the limit minus the attempts up to it.
            result: result_of(&a, v, number),
            review,
        }
    }
}

/// The learner-facing result of a graded attempt; `None` while it is open.
fn result_of(a: &quiz_attempt::Model, v: &course_version::Model, used: u32) -> Option<AttemptResult> {
    Some(AttemptResult {
        score: u8::try_from(a.score?).unwrap_or(0),
        passed: a.passed?,
        pass_mark: u32::try_from(v.pass_mark).unwrap_or(100),
        attempts_left: u32::try_from(v.attempt_limit).unwrap_or(0).saturating_sub(used),
        submitted_at: a.submitted_at?,
    })
}

//! Finishing a course: grading a post-test attempt and, when the grade completes the course,
//! issuing its certificate (which credits the JP ledger and queues the e-mail in the same
//! transaction, see [`crate::issue`]).
//!
//! This is one process that spans three crates (progress tracking, certificates, mail), so it is
//! one service: the JSON API and the web pages call this to submit, and cannot drift apart in
//! what a passing submission does. One other path completes a course: an attempt left open past
//! its deadline is graded as saved the next time it is read; its certificate then comes from
//! the background sweep (`Certificates::issue_pending`, every 30 seconds), which issues from the
//! completion row exactly as this service does.

use progress_tracking::{AttemptResult, CourseCompletion, QuizError, Quizzes, Submission};
use uuid::Uuid;

use crate::{Certificate, Certificates};

/// What a submission ended in.
#[derive(Debug, Clone)]
pub struct Graduated {
    pub result: AttemptResult,
    /// The course completion this grade produced, if it passed.
    pub completion: Option<CourseCompletion>,
    /// Its certificate. `None` with a completion means issuing failed for now: the completion
    /// row is the durable record, and the background sweep issues from it.
    pub certificate: Option<Certificate>,
}

#[derive(Clone)]
pub struct Graduation {
    quizzes: Quizzes,
    certificates: Certificates,
    outbox: notifications::Outbox,
    /// Test-only failure injection: abort the process after the completion is committed and
    /// before its certificate is issued, as a crash there would.
    abort_before_issuance: bool,
}

impl Graduation {
    pub fn new(
        quizzes: Quizzes,
        certificates: Certificates,
        outbox: notifications::Outbox,
        abort_before_issuance: bool,
    ) -> Self {
        Self { quizzes, certificates, outbox, abort_before_issuance }
    }

    /// Submits `attempt_id` of `person` for grading on the server, and issues the certificate if
    /// the grade completes the course. Submitting again answers the same result (and finds the
    /// certificate already issued).
    pub async fn submit(
        &self,
        person: penkom_core::UserId,
        attempt_id: Uuid,
    ) -> Result<Graduated, QuizError> {
        let Submission { result, completion } = self.quizzes.submit(person, attempt_id).await?;
        let certificate = match &completion {
            Some(c) => self.issue(c.id).await,
            None => None,
        };
        Ok(Graduated { result, completion, certificate })
    }

    /// Issues the certificate of a completion just committed. A failure here loses nothing (see
    /// [`Graduated::certificate`]), so it is logged, not returned.
    async fn issue(&self, completion_id: Uuid) -> Option<Certificate> {
        if self.abort_before_issuance {
            tracing::error!("failpoint abort_before_issuance: aborting the process");
            std::process::abort();
        }
        match self.certificates.issue(completion_id).await {
            Ok((c, issued)) => {
                if issued {
                    // Its e-mail is queued; no need to wait for the worker's next tick.
                    self.outbox.wake();
                }
                Some(c)
            }
            Err(e) => {
                tracing::warn!(completion = %completion_id, error = %e, "certificate not issued yet; the sweep will retry");
                None
            }
        }
    }
}

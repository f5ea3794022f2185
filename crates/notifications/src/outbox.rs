//! The outbox: messages written with the event they report, delivered by a worker with retries.
//!
//! Delivery is at least once. A message is marked sent only after the transport accepted it; if
//! the process dies in between (the SMTP server said `250` to our `DATA`, and we never wrote
//! `sent_at`), the next worker sends it again. That window cannot be closed from this side of
//! SMTP; the message keeps its Message-ID on every attempt, so receiving systems and mail clients
//! can recognise the copy. Everything else is exactly once: a sent message is never picked again,
//! and a claim (`claimed_until`) keeps two nodes from sending the same message at once.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};
use penkom_core::Clock;
use penkom_storage::entities::email_outbox;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::templates::Text;
use crate::transport::Transport;

/// How long a worker may hold a message it is sending before another may try.
const CLAIM: Duration = Duration::minutes(5);

/// A message to queue.
#[derive(Debug, Clone)]
pub struct NewMail {
    /// What makes two messages the same message (`certificate_issued:<id>`,
    /// `reminder:2026:<person>`): queuing one twice is a no-op.
    pub dedupe_key: String,
    pub to: String,
    pub text: Text,
    /// File name and bytes of a PDF to attach.
    pub attachment: Option<(String, Vec<u8>)>,
}

/// Queues `mail` in `db` (the caller's transaction). Returns false if a message with the same
/// dedupe key was queued before. `host` names the Message-ID's domain.
pub async fn enqueue<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    host: &str,
    mail: NewMail,
) -> Result<bool, DbErr> {
    let id = Uuid::now_v7();
    let (name, bytes) = mail.attachment.map_or((None, None), |(n, b)| (Some(n), Some(b)));
    let row = email_outbox::ActiveModel {
        id: Set(id),
        message_id: Set(format!("<{id}@{host}>")),
        dedupe_key: Set(mail.dedupe_key),
        recipient: Set(mail.to),
        subject: Set(mail.text.subject),
        text_body: Set(mail.text.text),
        html_body: Set(mail.text.html),
        attachment: Set(bytes),
        attachment_name: Set(name),
        created_at: Set(now),
        next_attempt_at: Set(now),
        attempts: Set(0),
        claimed_until: Set(None),
        sent_at: Set(None),
        last_error: Set(None),
    };
    let r = email_outbox::Entity::insert(row)
        .on_conflict_do_nothing_on([email_outbox::Column::DedupeKey])
        .exec(db)
        .await?;
    Ok(matches!(r, sea_orm::TryInsertResult::Inserted(_)))
}

/// The wait before attempt `attempts + 1`: 30 s, 1 min, 2 min, … at most an hour. A message is
/// never given up: an SMTP server down for a weekend delays mail, it does not lose it.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(0, 10) as u32;
    Duration::seconds((30i64 << exp).min(3600))
}

/// Delivers queued mail.
#[derive(Clone)]
pub struct Outbox {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    transport: Arc<dyn Transport>,
    from: Mailbox,
    wake: Arc<tokio::sync::Notify>,
}

impl Outbox {
    pub fn new(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        transport: Arc<dyn Transport>,
        from: Mailbox,
    ) -> Self {
        Self { db, clock, transport, from, wake: Arc::new(tokio::sync::Notify::new()) }
    }

    /// Asks the worker to look now rather than at its next tick.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn transport_kind(&self) -> &'static str {
        self.transport.kind()
    }

    /// Sends every message that is due; returns how many were accepted.
    pub async fn deliver_due(&self) -> Result<usize, DbErr> {
        let now = self.clock.now();
        let free = || {
            Condition::any()
                .add(email_outbox::Column::ClaimedUntil.is_null())
                .add(email_outbox::Column::ClaimedUntil.lt(now))
        };
        let due = email_outbox::Entity::find()
            .filter(email_outbox::Column::SentAt.is_null())
            .filter(email_outbox::Column::NextAttemptAt.lte(now))
            .filter(free())
            .order_by_asc(email_outbox::Column::CreatedAt)
            .limit(50)
            .all(&self.db)
            .await?;
        let mut sent = 0;
        for m in due {
            // Each claim is stamped when it is taken: earlier sends in this batch may have taken
            // a while, and a claim that expired on arrival would let another node send too.
            let now = self.clock.now();
            // Whole seconds: the row must compare equal to this value after the database stored it.
            let claim_until = penkom_core::clock::whole_seconds(now + CLAIM);
            let free = || {
                Condition::any()
                    .add(email_outbox::Column::ClaimedUntil.is_null())
                    .add(email_outbox::Column::ClaimedUntil.lt(now))
            };
            // The claim is a compare-and-set on the row: of two nodes, one updates it and the
            // other sees no row changed and leaves the message alone.
            let claimed = email_outbox::Entity::update_many()
                .col_expr(email_outbox::Column::ClaimedUntil, Expr::value(claim_until))
                .filter(email_outbox::Column::Id.eq(m.id))
                .filter(email_outbox::Column::SentAt.is_null())
                .filter(free())
                .exec(&self.db)
                .await?;
            if claimed.rows_affected != 1 {
                continue;
            }
            let outcome = match self.message(&m) {
                Ok(message) => self.transport.send(&m.id.to_string(), message).await,
                Err(e) => Err(e),
            };
            let update = email_outbox::Entity::update_many()
                .col_expr(email_outbox::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
                .col_expr(email_outbox::Column::Attempts, Expr::value(m.attempts + 1))
                .filter(email_outbox::Column::Id.eq(m.id))
                .filter(email_outbox::Column::ClaimedUntil.eq(claim_until));
            match outcome {
                Ok(()) => {
                    update
                        .col_expr(email_outbox::Column::SentAt, Expr::value(Some(self.clock.now())))
                        .exec(&self.db)
                        .await?;
                    sent += 1;
                }
                Err(e) => {
                    tracing::warn!(message = %m.message_id, attempt = m.attempts + 1, error = %e, "mail not delivered; will retry");
                    update
                        .col_expr(email_outbox::Column::NextAttemptAt, Expr::value(now + backoff(m.attempts)))
                        .col_expr(email_outbox::Column::LastError, Expr::value(Some(e)))
                        .exec(&self.db)
                        .await?;
                }
            }
        }
        Ok(sent)
    }

    fn message(&self, m: &email_outbox::Model) -> Result<Message, String> {
        let to: Mailbox = m.recipient.parse().map_err(|e| format!("recipient: {e}"))?;
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(m.subject.clone())
            .message_id(Some(m.message_id.clone()));
        let body = MultiPart::alternative_plain_html(m.text_body.clone(), m.html_body.clone());
        let built =
            match (&m.attachment, &m.attachment_name) {
                (Some(bytes), Some(name)) => builder.multipart(
                    MultiPart::mixed().multipart(body).singlepart(Attachment::new(name.clone()).body(
                        bytes.clone(),
                        ContentType::parse("application/pdf").map_err(|e| e.to_string())?,
                    )),
                ),
                _ => builder.multipart(body),
            };
        built.map_err(|e| e.to_string())
    }

    /// Delivers due mail every second (sooner when woken) until the task is dropped.
    pub async fn run_forever(self) {
        loop {
            if let Err(e) = self.deliver_due().await {
                tracing::warn!(error = %e, "reading the mail outbox failed; will retry");
            }
            let _ = tokio::time::timeout(StdDuration::from_secs(1), self.wake.notified()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::MemoryTransport;
    use migrations::{Migrator, MigratorTrait};
    use penkom_core::ManualClock;

    /// A transport that refuses while `down` is set, then delivers to memory.
    struct Flaky {
        down: std::sync::atomic::AtomicBool,
        inner: MemoryTransport,
    }

    #[async_trait::async_trait]
    impl Transport for Flaky {
        async fn send(&self, id: &str, message: Message) -> Result<(), String> {
            if self.down.load(std::sync::atomic::Ordering::SeqCst) {
                return Err("connection refused".into());
            }
            self.inner.send(id, message).await
        }
        fn kind(&self) -> &'static str {
            "flaky"
        }
    }

    fn mail(key: &str) -> NewMail {
        NewMail {
            dedupe_key: key.into(),
            to: "siti@test.go.id".into(),
            text: crate::templates::certificate_revoked("Siti", "Etika", "1/X/2026", "Data keliru", "BKPSDM"),
            attachment: Some(("s.pdf".into(), b"%PDF-1.7".to_vec())),
        }
    }

    #[tokio::test]
    async fn queued_once_sent_once_retried_with_backoff_while_down() {
        let dir = tempfile::tempdir().unwrap();
        let db = penkom_storage::connect(&penkom_storage::sqlite_url_for_dir(dir.path()), 2).await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        let clock = ManualClock::new(chrono::Utc::now());
        let flaky = Arc::new(Flaky { down: true.into(), inner: MemoryTransport::default() });
        let outbox = Outbox::new(
            db.clone(),
            Arc::new(clock.clone()),
            flaky.clone(),
            "Penkom <a@b.test>".parse().unwrap(),
        );
        assert!(enqueue(&db, clock.now(), "penkom.test", mail("k1")).await.unwrap());
        assert!(
            !enqueue(&db, clock.now(), "penkom.test", mail("k1")).await.unwrap(),
            "same key, same message"
        );

        assert_eq!(outbox.deliver_due().await.unwrap(), 0, "down");
        clock.advance(Duration::seconds(10));
        assert_eq!(outbox.deliver_due().await.unwrap(), 0, "not due again before its backoff");
        flaky.down.store(false, std::sync::atomic::Ordering::SeqCst);
        clock.advance(Duration::seconds(25));
        assert_eq!(outbox.deliver_due().await.unwrap(), 1);
        assert_eq!(outbox.deliver_due().await.unwrap(), 0, "sent once");
        let sent = flaky.inner.0.lock().unwrap().clone();
        assert_eq!(sent.len(), 1);
        let text = String::from_utf8_lossy(&sent[0].1).to_string();
        assert!(text.contains(&format!("Message-ID: <{}@penkom.test>", sent[0].0)), "{text}");
        assert!(text.contains("Content-Type: application/pdf"));
    }

    #[test]
    fn backoff_grows_to_an_hour_and_stays() {
        assert_eq!(backoff(0), Duration::seconds(30));
        assert_eq!(backoff(1), Duration::seconds(60));
        assert_eq!(backoff(6), Duration::seconds(1920));
        assert_eq!(backoff(7), Duration::hours(1));
        assert_eq!(backoff(1000), Duration::hours(1));
    }
}

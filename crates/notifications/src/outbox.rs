//! The outbox: messages written with the event they report, delivered by a worker with retries.
//!
//! Delivery is at least once. A message is marked sent only after the transport accepted it; if
//! the process dies in between (the SMTP server said `250` to our `DATA`, and we never wrote
//! `sent_at`), the next worker sends it again. That window cannot be closed from this side of
//! SMTP; the message keeps its Message-ID on every attempt, so receiving systems and mail clients
//! can recognise the copy. Everything else is exactly once: a sent message is never picked again,
//! and a claim (`claimed_until`, `claimed_by`) keeps two nodes from sending the same message at
//! once.
//!
//! Claims are short: a send is cut off after [`SEND_LIMIT`], and a claim lasts 30 seconds
//! longer, so a message whose node died mid-send is free again within two minutes. The node
//! itself does not wait even that long: when its worker starts, it releases every claim it
//! still holds from before (a node runs one worker, so any such claim belonged to a send that
//! died with the process). That a process with the node's name is not still running is what
//! the node lease ensures (`crate::lease`); a process claims nothing while it does not hold it.
//! Every claimed attempt counts in `attempts` when it is claimed, so an attempt cut short by a
//! crash is counted too.
//!
//! A clean stop ([`Outbox::stop`]) lets the send in progress finish and record itself, then
//! gives the lease up: a restart never cuts a send between the server's `250` and `sent_at`.
//! Only a process killed outright (or a send whose answer never came) leaves a message whose
//! fate is unknown, and that message goes again, with its Message-ID.

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

use crate::lease::NodeLease;
use crate::templates::Text;
use crate::transport::Transport;

/// The longest one send may take by default: connecting, TLS, authentication and the transfer
/// of a message with its PDF over a slow link. A send still running then is abandoned and
/// retried later.
pub const SEND_LIMIT: StdDuration = StdDuration::from_secs(60);
/// A claim lasts one send and this margin for the database writes around it.
const CLAIM_MARGIN: Duration = Duration::seconds(30);

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
        claimed_by: Set(None),
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
    /// This node's name in `claimed_by`: stable across restarts of the node.
    node: String,
    send_limit: StdDuration,
    wake: Arc<tokio::sync::Notify>,
    /// This process's lease on `node`: no claim is taken without it.
    lease: NodeLease,
    /// Set by [`Outbox::stop`]: no new claim is taken, the worker returns after the current send.
    stopping: Arc<std::sync::atomic::AtomicBool>,
}

impl Outbox {
    pub fn new(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        transport: Arc<dyn Transport>,
        from: Mailbox,
        node: String,
    ) -> Self {
        let lease = NodeLease::new(db.clone(), clock.clone(), node.clone());
        Self {
            db,
            clock,
            transport,
            from,
            node,
            send_limit: SEND_LIMIT,
            wake: Arc::new(tokio::sync::Notify::new()),
            lease,
            stopping: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        }
    }

    /// The same outbox with sends cut off after `limit` instead of [`SEND_LIMIT`].
    pub fn with_send_limit(mut self, limit: StdDuration) -> Self {
        self.send_limit = limit;
        self
    }

    /// How long a claim taken now lasts.
    fn claim(&self) -> Duration {
        Duration::from_std(self.send_limit).unwrap_or(Duration::MAX) + CLAIM_MARGIN
    }

    /// Takes this node's lease and, if it was not already this process's, the claims left under
    /// the node's name by the process before (whose lease was released or lapsed, so it is gone).
    /// Returns whether this process holds the lease; until it does, it sends nothing.
    pub async fn take_over(&self) -> Result<bool, DbErr> {
        let had = self.lease.held();
        if !self.lease.acquire().await? {
            return Ok(false);
        }
        if !had {
            let released = self.release_own_claims().await?;
            if released > 0 {
                tracing::info!(released, "took back this node's mail claims from the process before");
            }
        }
        Ok(true)
    }

    /// Asks the worker to stop: the send in progress finishes and is recorded, no new one
    /// starts, and the worker gives up the lease before [`Outbox::run_forever`] returns.
    pub fn stop(&self) {
        self.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
        self.wake.notify_one();
    }

    fn stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Releases the claims held under this node's name: only right after taking over its
    /// lease, when the process that took them is gone. Returns how many were released.
    async fn release_own_claims(&self) -> Result<u64, DbErr> {
        let released = email_outbox::Entity::update_many()
            .col_expr(email_outbox::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(email_outbox::Column::ClaimedBy, Expr::value(Option::<String>::None))
            .filter(email_outbox::Column::ClaimedBy.eq(self.node.as_str()))
            .filter(email_outbox::Column::SentAt.is_null())
            .exec(&self.db)
            .await?;
        Ok(released.rows_affected)
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
            // Checked before every claim: a process stopping, or one that could not renew its
            // lease (another may take over the name and its claims), starts no new send.
            if self.stopping() || !self.lease.held() {
                break;
            }
            // Each claim is stamped when it is taken: earlier sends in this batch may have taken
            // a while, and a claim that expired on arrival would let another node send too.
            let now = self.clock.now();
            // Whole seconds: the row must compare equal to this value after the database stored it.
            let claim_until = penkom_core::clock::whole_seconds(now + self.claim());
            let free = || {
                Condition::any()
                    .add(email_outbox::Column::ClaimedUntil.is_null())
                    .add(email_outbox::Column::ClaimedUntil.lt(now))
            };
            // The claim is a compare-and-set on the row: of two nodes, one updates it and the
            // other sees no row changed and leaves the message alone. The attempt counts now,
            // with the claim, so that one cut short by a crash is counted as well.
            let claimed = email_outbox::Entity::update_many()
                .col_expr(email_outbox::Column::ClaimedUntil, Expr::value(claim_until))
                .col_expr(email_outbox::Column::ClaimedBy, Expr::value(Some(self.node.clone())))
                .col_expr(
                    email_outbox::Column::Attempts,
                    sea_orm::ExprTrait::add(Expr::col(email_outbox::Column::Attempts), 1),
                )
                .filter(email_outbox::Column::Id.eq(m.id))
                .filter(email_outbox::Column::SentAt.is_null())
                .filter(free())
                .exec(&self.db)
                .await?;
            if claimed.rows_affected != 1 {
                continue;
            }
            let outcome = match self.message(&m) {
                // Cut off before the claim runs out, so no other node can start the same send
                // while this one may still finish.
                Ok(message) => {
                    tokio::time::timeout(self.send_limit, self.transport.send(&m.id.to_string(), message))
                        .await
                        .unwrap_or_else(|_| {
                            Err(format!("no answer within {} ms", self.send_limit.as_millis()))
                        })
                }
                Err(e) => Err(e),
            };
            let update = email_outbox::Entity::update_many()
                .col_expr(email_outbox::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
                .col_expr(email_outbox::Column::ClaimedBy, Expr::value(Option::<String>::None))
                .filter(email_outbox::Column::Id.eq(m.id))
                .filter(email_outbox::Column::ClaimedBy.eq(self.node.as_str()))
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

    /// Delivers due mail every second (sooner when woken) until [`Outbox::stop`], once this
    /// process holds the node's lease (see [`Outbox::take_over`]).
    pub async fn run_forever(self) {
        let mut said = false;
        loop {
            if self.stopping() {
                return;
            }
            match self.take_over().await {
                Ok(true) => break,
                Ok(false) if !said => {
                    said = true;
                    tracing::warn!(
                        node = %self.node,
                        "another process holds this node's mail lease; mail waits until it stops or its lease lapses"
                    );
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "taking this node's mail lease failed; will retry"),
            }
            let _ = tokio::time::timeout(StdDuration::from_secs(1), self.wake.notified()).await;
        }
        let renewer = tokio::spawn(self.lease.clone().renew_forever());
        while !self.stopping() {
            // Renewed here too, not only by the renewer: after a jump of the clock (the
            // simulated clock of tests and demos) the lease would otherwise read as lapsed.
            let held = self.lease.held() || self.lease.acquire().await.unwrap_or(false);
            if held && let Err(e) = self.deliver_due().await {
                tracing::warn!(error = %e, "reading the mail outbox failed; will retry");
            }
            let _ = tokio::time::timeout(StdDuration::from_secs(1), self.wake.notified()).await;
        }
        renewer.abort();
        if let Err(e) = self.lease.release().await {
            tracing::warn!(error = %e, "giving up the mail lease failed; the next start waits for it to lapse");
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
        let (_dir, db, clock) = outbox_db().await;
        let flaky = Arc::new(Flaky { down: true.into(), inner: MemoryTransport::default() });
        let outbox = node(&db, &clock, flaky.clone(), "node-a");
        assert!(outbox.take_over().await.unwrap());
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
        assert!(outbox.take_over().await.unwrap(), "renewed, as the worker does before it looks");
        assert_eq!(outbox.deliver_due().await.unwrap(), 1);
        assert_eq!(outbox.deliver_due().await.unwrap(), 0, "sent once");
        let sent = flaky.inner.0.lock().unwrap().clone();
        assert_eq!(sent.len(), 1);
        let text = String::from_utf8_lossy(&sent[0].1).to_string();
        assert!(text.contains(&format!("Message-ID: <{}@penkom.test>", sent[0].0)), "{text}");
        assert!(text.contains("Content-Type: application/pdf"));
    }

    /// Accepts a message (records it), then never answers: the SMTP server said `250` and the
    /// process is about to die before it writes `sent_at`.
    struct AcceptsThenHangs(MemoryTransport);

    #[async_trait::async_trait]
    impl Transport for AcceptsThenHangs {
        async fn send(&self, id: &str, message: Message) -> Result<(), String> {
            self.0.send(id, message).await?;
            std::future::pending().await
        }
        fn kind(&self) -> &'static str {
            "hangs"
        }
    }

    async fn outbox_db() -> (tempfile::TempDir, DatabaseConnection, ManualClock) {
        let dir = tempfile::tempdir().unwrap();
        let db = penkom_storage::connect(&penkom_storage::sqlite_url_for_dir(dir.path()), 2).await.unwrap();
        Migrator::up(&db, None).await.unwrap();
        (dir, db, ManualClock::new(penkom_core::Clock::now(&penkom_core::SystemClock)))
    }

    fn node(db: &DatabaseConnection, clock: &ManualClock, t: Arc<dyn Transport>, name: &str) -> Outbox {
        Outbox::new(db.clone(), Arc::new(clock.clone()), t, "Penkom <a@b.test>".parse().unwrap(), name.into())
    }

    async fn row(db: &DatabaseConnection) -> email_outbox::Model {
        email_outbox::Entity::find().one(db).await.unwrap().unwrap()
    }

    /// Node `name` starts sending the queued message, the SMTP server accepts it, and the
    /// process dies before it can write `sent_at`. Returns what the server accepted.
    async fn crash_mid_send(db: &DatabaseConnection, clock: &ManualClock, name: &str) -> MemoryTransport {
        let accepted = MemoryTransport::default();
        let doomed = node(db, clock, Arc::new(AcceptsThenHangs(accepted.clone())), name);
        assert!(doomed.take_over().await.unwrap());
        let crashed = tokio::spawn(async move { doomed.deliver_due().await });
        while accepted.0.lock().unwrap().is_empty() {
            tokio::time::sleep(StdDuration::from_millis(5)).await;
        }
        crashed.abort();
        let _ = crashed.await;
        accepted
    }

    #[tokio::test]
    async fn a_node_restarting_after_a_crash_mid_send_takes_its_claim_back_and_counts_both_attempts() {
        let (_dir, db, clock) = outbox_db().await;
        assert!(enqueue(&db, clock.now(), "penkom.test", mail("k1")).await.unwrap());
        let accepted = crash_mid_send(&db, &clock, "node-a").await;
        let held = row(&db).await;
        assert_eq!(
            (held.attempts, held.claimed_by.as_deref()),
            (1, Some("node-a")),
            "the attempt counts at its claim"
        );

        // Another node leaves the claim alone, even on a clock that does not move.
        let delivered = MemoryTransport::default();
        let b = node(&db, &clock, Arc::new(delivered.clone()), "node-b");
        assert!(b.take_over().await.unwrap(), "node B's own lease");
        assert_eq!(b.deliver_due().await.unwrap(), 0);
        assert_eq!(row(&db).await.claimed_by.as_deref(), Some("node-a"), "node B released nothing");

        // Node A comes back. The dead process's lease has to lapse first (it might have been a
        // second process under the same name, still sending); then the claim is taken back
        // long before it would have run out, and the message goes again.
        let a = node(&db, &clock, Arc::new(delivered.clone()), "node-a");
        assert!(!a.take_over().await.unwrap(), "the dead process's lease has not lapsed");
        assert_eq!(a.deliver_due().await.unwrap(), 0, "no lease, no claim");
        clock.advance(crate::lease::LEASE_TTL + Duration::seconds(1));
        assert!(a.take_over().await.unwrap());
        assert_eq!(row(&db).await.claimed_by, None, "the claim is taken back at once");
        assert_eq!(a.deliver_due().await.unwrap(), 1);
        let done = row(&db).await;
        assert!(done.sent_at.is_some() && done.claimed_until.is_none() && done.claimed_by.is_none());
        assert_eq!(done.attempts, 2, "two deliveries, two attempts");
        let first = String::from_utf8_lossy(&accepted.0.lock().unwrap()[0].1).to_string();
        let second = String::from_utf8_lossy(&delivered.0.lock().unwrap()[0].1).to_string();
        let message_id = |t: &str| t.lines().find(|l| l.starts_with("Message-ID:")).map(str::to_string);
        assert_eq!(message_id(&first), message_id(&second), "the copy keeps its Message-ID");
        assert_eq!(a.deliver_due().await.unwrap(), 0, "sent once more, then never again");
    }

    #[tokio::test]
    async fn a_claim_of_a_node_that_never_returns_frees_after_one_send_and_its_margin() {
        let (_dir, db, clock) = outbox_db().await;
        enqueue(&db, clock.now(), "penkom.test", mail("k1")).await.unwrap();
        crash_mid_send(&db, &clock, "node-a").await;
        let delivered = MemoryTransport::default();
        let b = node(&db, &clock, Arc::new(delivered.clone()), "node-b");
        clock.advance(Duration::seconds(85));
        assert!(b.take_over().await.unwrap());
        assert_eq!(b.deliver_due().await.unwrap(), 0, "within the claim");
        clock.advance(Duration::seconds(6));
        assert!(b.take_over().await.unwrap(), "renewed");
        assert_eq!(b.deliver_due().await.unwrap(), 1, "a claim lasts one send limit and 30 s, not minutes");
        assert_eq!(row(&db).await.attempts, 2);
    }

    #[tokio::test]
    async fn a_send_that_does_not_finish_in_time_is_abandoned_counted_and_retried() {
        let (_dir, db, clock) = outbox_db().await;
        enqueue(&db, clock.now(), "penkom.test", mail("k1")).await.unwrap();
        let hangs = MemoryTransport::default();
        let a = node(&db, &clock, Arc::new(AcceptsThenHangs(hangs)), "node-a")
            .with_send_limit(StdDuration::from_millis(50));
        assert!(a.take_over().await.unwrap());
        assert_eq!(a.deliver_due().await.unwrap(), 0);
        let r = row(&db).await;
        assert_eq!((r.attempts, r.claimed_until, r.sent_at), (1, None, None));
        assert!(r.last_error.unwrap().contains("no answer"), "the reason is kept");
        a.lease.release().await.unwrap();
        let delivered = MemoryTransport::default();
        let a = node(&db, &clock, Arc::new(delivered.clone()), "node-a");
        assert!(a.take_over().await.unwrap(), "a lease given up is free at once");
        assert_eq!(a.deliver_due().await.unwrap(), 0, "not before its backoff");
        clock.advance(backoff(0));
        assert!(a.take_over().await.unwrap(), "renewed");
        assert_eq!(a.deliver_due().await.unwrap(), 1);
        assert_eq!(row(&db).await.attempts, 2);
    }

    #[tokio::test]
    async fn a_second_process_with_the_same_node_name_neither_sends_nor_takes_the_first_ones_claims() {
        let (_dir, db, clock) = outbox_db().await;
        enqueue(&db, clock.now(), "penkom.test", mail("k1")).await.unwrap();
        enqueue(&db, clock.now(), "penkom.test", mail("k2")).await.unwrap();
        // The first process is in the middle of a send (the server has the message, `sent_at`
        // is not written yet).
        let accepted = MemoryTransport::default();
        let first = node(&db, &clock, Arc::new(AcceptsThenHangs(accepted.clone())), "node-a");
        assert!(first.take_over().await.unwrap());
        let sending = tokio::spawn({
            let first = first.clone();
            async move { first.deliver_due().await }
        });
        while accepted.0.lock().unwrap().is_empty() {
            tokio::time::sleep(StdDuration::from_millis(5)).await;
        }
        // A second `penkom serve` under the same name: before the lease, it took that claim
        // back and sent the message again.
        let delivered = MemoryTransport::default();
        let second = node(&db, &clock, Arc::new(delivered.clone()), "node-a");
        assert!(!second.take_over().await.unwrap());
        assert_eq!(second.deliver_due().await.unwrap(), 0);
        let claimed = email_outbox::Entity::find()
            .filter(email_outbox::Column::ClaimedBy.eq("node-a"))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1, "the first process's claim stands");
        assert!(delivered.0.lock().unwrap().is_empty(), "nothing sent twice");
        // While the first renews, the second keeps waiting, however long.
        for _ in 0..4 {
            clock.advance(Duration::seconds(20));
            assert!(first.take_over().await.unwrap(), "renewed");
            assert!(!second.take_over().await.unwrap());
        }
        sending.abort();
    }

    /// Accepts after a pause: a send that is still in progress when the stop is asked for.
    struct Slow(MemoryTransport);

    #[async_trait::async_trait]
    impl Transport for Slow {
        async fn send(&self, id: &str, message: Message) -> Result<(), String> {
            tokio::time::sleep(StdDuration::from_millis(200)).await;
            self.0.send(id, message).await
        }
        fn kind(&self) -> &'static str {
            "slow"
        }
    }

    #[tokio::test]
    async fn a_clean_stop_finishes_the_send_in_progress_records_it_and_frees_the_name() {
        let (_dir, db, clock) = outbox_db().await;
        enqueue(&db, clock.now(), "penkom.test", mail("k1")).await.unwrap();
        enqueue(&db, clock.now(), "penkom.test", mail("k2")).await.unwrap();
        let accepted = MemoryTransport::default();
        let worker = node(&db, &clock, Arc::new(Slow(accepted.clone())), "node-a");
        let running = tokio::spawn(worker.clone().run_forever());
        // Asked to stop while the first message is on its way.
        while email_outbox::Entity::find()
            .filter(email_outbox::Column::ClaimedBy.is_not_null())
            .one(&db)
            .await
            .unwrap()
            .is_none()
        {
            tokio::time::sleep(StdDuration::from_millis(5)).await;
        }
        worker.stop();
        tokio::time::timeout(StdDuration::from_secs(5), running).await.unwrap().unwrap();
        let rows = email_outbox::Entity::find().all(&db).await.unwrap();
        let sent: Vec<_> = rows.iter().filter(|r| r.sent_at.is_some()).collect();
        assert_eq!(
            (accepted.0.lock().unwrap().len(), sent.len()),
            (1, 1),
            "the send finished and was recorded"
        );
        assert!(rows.iter().all(|r| r.claimed_by.is_none()), "no claim left behind");
        // The next process under this name starts at once and sends only the other message.
        let delivered = MemoryTransport::default();
        let next = node(&db, &clock, Arc::new(delivered.clone()), "node-a");
        assert!(next.take_over().await.unwrap(), "the lease was given up");
        assert_eq!(next.deliver_due().await.unwrap(), 1);
        assert_eq!(next.deliver_due().await.unwrap(), 0);
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

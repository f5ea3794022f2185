//! The node lease: at most one running process works the outbox under a node's name.
//!
//! A node that restarts takes back the mail claims held under its name at once, instead of
//! waiting them out (`Outbox::release_own_claims`): the sends they guarded died with the old
//! process. That is only true if the old process is gone. Two processes started with the same
//! name (a second `penkom serve` on the same data directory, a rolling restart that starts the
//! new process before the old one has stopped, a `PENKOM_NODE_ID` given to two nodes) would
//! otherwise take each other's claims and send the same message twice. So a process first
//! takes the lease on its name, a row it renews every [`RENEW_EVERY`]; another process with the
//! same name waits until the lease is released (a clean stop) or has not been renewed for
//! [`LEASE_TTL`] (the holder died, or lost the database, in which case it cannot record a send
//! either) before it takes the lease and the claims. While a process does not hold its lease,
//! it claims nothing.
//!
//! Every change is one compare-and-set statement on the row, so of two processes racing for
//! it exactly one wins, on SQLite and PostgreSQL alike.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};
use penkom_core::Clock;
use penkom_storage::entities::node_lease;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
};

/// How long a lease lasts unless renewed: also how long a restarted node waits for the claims
/// of a predecessor that died without releasing its lease.
pub const LEASE_TTL: Duration = Duration::seconds(30);

/// How often the holder renews: three renewals may fail in a row before the lease lapses.
pub const RENEW_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// One process's lease on a node's name.
#[derive(Clone)]
pub struct NodeLease {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    node: String,
    /// This process: a random name, new at every start.
    holder: String,
    /// Until when (Unix seconds) this process knows it holds the lease: the expiry it last
    /// wrote. `i64::MIN` while it does not.
    held_until: Arc<AtomicI64>,
}

impl NodeLease {
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>, node: String) -> Self {
        let holder = format!("{node}/{}", uuid::Uuid::new_v4().simple());
        Self { db, clock, node, holder, held_until: Arc::new(AtomicI64::new(i64::MIN)) }
    }

    /// Whether this process holds the lease now, by what it last wrote. Checked before every
    /// claim: a process whose renewals failed stops claiming before anyone else may take over.
    pub fn held(&self) -> bool {
        self.clock.now().timestamp() < self.held_until.load(Ordering::Acquire)
    }

    /// Takes the lease if it is free, lapsed or already ours; renews it if ours. Returns whether
    /// this process holds it now.
    pub async fn acquire(&self) -> Result<bool, DbErr> {
        let now = self.clock.now();
        let until = penkom_core::clock::whole_seconds(now + LEASE_TTL);
        let taken = node_lease::Entity::update_many()
            .col_expr(node_lease::Column::Holder, Expr::value(self.holder.clone()))
            .col_expr(node_lease::Column::ExpiresAt, Expr::value(until))
            .filter(node_lease::Column::Node.eq(self.node.as_str()))
            .filter(
                Condition::any()
                    .add(node_lease::Column::Holder.eq(self.holder.as_str()))
                    .add(node_lease::Column::ExpiresAt.lt(now)),
            )
            .exec(&self.db)
            .await?
            .rows_affected
            == 1;
        let held = taken || self.insert(until).await?;
        self.record(held, until);
        Ok(held)
    }

    /// The first lease on this name.
    async fn insert(&self, until: DateTime<Utc>) -> Result<bool, DbErr> {
        let row = node_lease::ActiveModel {
            node: Set(self.node.clone()),
            holder: Set(self.holder.clone()),
            expires_at: Set(until),
        };
        let inserted = node_lease::Entity::insert(row)
            .on_conflict(OnConflict::column(node_lease::Column::Node).do_nothing().to_owned())
            .exec_without_returning(&self.db)
            .await?;
        Ok(inserted == 1)
    }

    fn record(&self, held: bool, until: DateTime<Utc>) {
        self.held_until.store(if held { until.timestamp() } else { i64::MIN }, Ordering::Release);
    }

    /// Gives the lease up (a clean stop), so that the next process with this name starts
    /// sending at once.
    pub async fn release(&self) -> Result<(), DbErr> {
        self.held_until.store(i64::MIN, Ordering::Release);
        node_lease::Entity::delete_many()
            .filter(node_lease::Column::Node.eq(self.node.as_str()))
            .filter(node_lease::Column::Holder.eq(self.holder.as_str()))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Renews the lease every [`RENEW_EVERY`] for as long as the task runs. A renewal that finds
    /// the lease taken (another process with this name, after ours lapsed) marks it not held;
    /// the next renewal tries to take it again.
    pub async fn renew_forever(self) {
        loop {
            tokio::time::sleep(RENEW_EVERY).await;
            match self.acquire().await {
                Ok(true) => {}
                Ok(false) => tracing::error!(
                    node = %self.node,
                    "another process holds this node's mail lease: two processes run with the same node id \
                     (PENKOM_NODE_ID or the data directory); this one sends no mail until it is free"
                ),
                // Not recorded as lost: `held` runs out by itself if the database stays away.
                Err(e) => tracing::warn!(error = %e, "renewing the mail lease failed; will retry"),
            }
        }
    }
}

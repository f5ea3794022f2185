//! Appending to the audit trail (`audit_event`): who saw or changed personal data, as UU 27/2022
//! expects. Here, below every domain crate, so that each writes its events inside the
//! transaction of the change they record.

use crate::entities::audit_event;
use chrono::{DateTime, Utc};
use penkom_core::UserId;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};
use uuid::Uuid;

/// Records that `actor` did `action` to `subject`. Written in the caller's transaction when
/// there is one, so that an event is recorded exactly when its change is.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    at: DateTime<Utc>,
    actor: Option<UserId>,
    action: &str,
    subject: Option<&str>,
    detail: Option<serde_json::Value>,
    client_addr: Option<&str>,
) -> Result<(), DbErr> {
    audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(at),
        actor_id: Set(actor.map(|a| a.0)),
        action: Set(action.to_string()),
        subject: Set(subject.map(str::to_string)),
        detail: Set(detail.map(|d| d.to_string())),
        client_addr: Set(client_addr.map(str::to_string)),
    }
    .insert(db)
    .await?;
    Ok(())
}

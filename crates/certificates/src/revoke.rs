//! Revocation, and the signed status list that publishes it.

use penkom_core::UserId;
use penkom_storage::begin_write;
use penkom_storage::entities::{certificate, record_log as record_log_entity};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, Set,
};
use serde_json::Value;
use uuid::Uuid;

use crate::credential::rfc3339;
use crate::service::{Certificate, Certificates};
use crate::status_list::{self, Revoked};

/// The longest revocation reason kept; it is shown on the public page.
pub const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum RevokeError {
    #[error("no certificate {0}")]
    NotFound(Uuid),
    #[error("the certificate was already revoked")]
    AlreadyRevoked,
    #[error("a revocation needs a reason of 3 to {MAX_REASON_CHARS} characters, without control characters")]
    InvalidReason,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl Certificates {
    /// Revokes certificate `id` for `reason`. Revocation is final: a certificate issued in error
    /// is revoked, and a corrected one comes from a new completion.
    /// The audit trail's row (who, from where, why) is written in the same transaction: a
    /// revocation exists exactly when its record does.
    pub async fn revoke(
        &self,
        id: Uuid,
        by: UserId,
        reason: &str,
        client_addr: Option<&str>,
    ) -> Result<Certificate, RevokeError> {
        let reason = reason.trim();
        // The reason is shown on the public page and published in the signed status list: text
        // that displays otherwise than stored (direction overrides) has no place there.
        if !(3..=MAX_REASON_CHARS).contains(&reason.chars().count())
            || !penkom_core::text::is_single_line(reason)
        {
            return Err(RevokeError::InvalidReason);
        }
        let txn = begin_write(&self.inner.db).await?;
        record_log::lock(&txn).await?;
        let row = certificate::Entity::find_by_id(id).one(&txn).await?.ok_or(RevokeError::NotFound(id))?;
        let current = Certificate::load(&txn, vec![row.clone()]).await?;
        // The log decides: a revocation erased from the row is still one, and cannot be made
        // again (nor, by revoking anew, be given another date and reason).
        if current.iter().any(|c| c.revocation().is_some()) {
            return Err(RevokeError::AlreadyRevoked);
        }
        // Whole seconds, so the stored time and the logged hash's text are the same instant.
        let now = penkom_core::clock::whole_seconds(self.inner.clock.now());
        let mut active = row.into_active_model();
        active.revoked_at = Set(Some(now));
        active.revocation_reason = Set(Some(reason.to_string()));
        active.revoked_by = Set(Some(by.0));
        let row = active.update(&txn).await?;
        let revoked = record_log::digest::revocation(id, &rfc3339(now), reason);
        let entry = record_log::append(&txn, now, record_log::event::REVOKE, id, &revoked).await?;
        let mut log = current.into_iter().next().map(|c| c.log).unwrap_or_default();
        log.push(entry);
        // The credit is reversed by a new entry in the same transaction; nothing is deleted.
        jp_ledger::entries::reverse(&txn, jp_ledger::entries::CERTIFICATE, id, now, Some(by.0), reason)
            .await?;
        let holder = penkom_storage::entities::person::Entity::find_by_id(row.person_id).one(&txn).await?;
        if let Some(holder) = holder.filter(|h| !h.email.is_empty()) {
            let c = Certificate::from_row(row.clone(), Vec::new());
            let title = crate::credential::text(&c.credential, "/credentialSubject/achievement/name");
            let text = notifications::templates::certificate_revoked(
                &holder.name,
                title,
                &row.number,
                reason,
                &self.inner.config.issuer.name,
            );
            let mail = notifications::NewMail {
                dedupe_key: format!("certificate_revoked:{id}"),
                to: holder.email,
                text,
                attachment: None,
            };
            notifications::outbox::enqueue(&txn, now, &self.mail_host(), mail).await?;
        }
        penkom_storage::audit::record(
            &txn,
            now,
            Some(by),
            "certificate_revoked",
            Some(&id.to_string()),
            Some(serde_json::json!({ "reason": reason })),
            client_addr,
        )
        .await?;
        txn.commit().await?;
        tracing::info!(certificate = %id, "certificate revoked");
        Ok(Certificate::from_row(row, log))
    }

    /// The revocation status list credential, signed now.
    pub async fn status_list(&self) -> Result<Value, crate::log::LogHeadError> {
        // Revoked is what the log or the row says (the log wins, see `Certificate::revocation`):
        // a revocation erased from its row stays published.
        let logged: Vec<Uuid> = record_log_entity::Entity::find()
            .select_only()
            .column(record_log_entity::Column::SubjectId)
            .filter(record_log_entity::Column::Event.eq(record_log::event::REVOKE))
            .into_tuple()
            .all(&self.inner.db)
            .await?;
        let mut rows = certificate::Entity::find()
            .filter(certificate::Column::RevokedAt.is_not_null())
            .all(&self.inner.db)
            .await?;
        let stated: std::collections::HashSet<Uuid> = rows.iter().map(|r| r.id).collect();
        let erased: Vec<Uuid> = logged.into_iter().filter(|id| !stated.contains(id)).collect();
        for chunk in erased.chunks(1000) {
            rows.extend(
                certificate::Entity::find()
                    .filter(certificate::Column::Id.is_in(chunk.to_vec()))
                    .all(&self.inner.db)
                    .await?,
            );
        }
        let revoked: Vec<Revoked> = Certificate::load(&self.inner.db, rows)
            .await?
            .iter()
            .filter_map(|c| {
                let r = c.revocation()?;
                Some(Revoked {
                    index: c.row.status_index as u32,
                    revoked_at: r.at,
                    reason: r.reason.unwrap_or_else(|| crate::summary::REASON_WITHHELD.to_string()),
                })
            })
            .collect();
        let now = self.inner.clock.now();
        let issuer = self.issuer();
        let doc = status_list::credential(&issuer.status_list_url(), &issuer.did, &rfc3339(now), &revoked);
        Ok(self.sign(&doc, now)?)
    }
}

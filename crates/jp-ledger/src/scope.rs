//! Which OPDs a person may see in a report: the rule, here with the reports, so the API and
//! the pages apply the same one.

use penkom_storage::entities::opd;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::service::Ledger;

/// Who asks for a report, as far as the scope rule cares.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    /// Verifiers and administrators see every OPD.
    pub sees_every_opd: bool,
    /// The viewer's own OPD (an OPD administrator's is the only one they see).
    pub own_opd: Option<Uuid>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScopeError {
    #[error("kode OPD tidak sah")]
    InvalidCode,
    #[error("OPD tidak ditemukan")]
    NotFound,
    /// Another OPD than their own, or an OPD administrator without one.
    #[error("laporan OPD lain tidak dapat dilihat")]
    Forbidden,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl Ledger {
    /// The OPD a report for `viewer` covers, given the OPD code asked for (`None`: all). An OPD
    /// administrator always gets their own, and asking for another is refused.
    pub async fn report_scope(
        &self,
        viewer: Viewer,
        asked: Option<&str>,
    ) -> Result<Option<Uuid>, ScopeError> {
        let asked = match asked {
            Some(code) if !penkom_core::text::is_single_line(code) => return Err(ScopeError::InvalidCode),
            Some(code) => Some(
                opd::Entity::find()
                    .filter(opd::Column::Code.eq(code.trim()))
                    .one(&self.db)
                    .await?
                    .ok_or(ScopeError::NotFound)?
                    .id,
            ),
            None => None,
        };
        if viewer.sees_every_opd {
            return Ok(asked);
        }
        let own = viewer.own_opd.ok_or(ScopeError::Forbidden)?;
        match asked {
            Some(other) if other != own => Err(ScopeError::Forbidden),
            _ => Ok(Some(own)),
        }
    }
}

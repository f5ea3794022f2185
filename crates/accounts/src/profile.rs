//! A person's profile as the rest of the system sees it.

use penkom_core::{EmploymentType, Nip, OpdId, Role, UserId};
use penkom_storage::entities::{opd, person, person_role};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;

use crate::Accounts;

/// The work unit a person belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpdRef {
    pub id: OpdId,
    pub code: String,
    pub name: String,
}

/// Who a person is and what they may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Profile {
    pub id: UserId,
    pub nip: Option<Nip>,
    pub name: String,
    pub email: String,
    pub employment_type: Option<EmploymentType>,
    pub opd: Option<OpdRef>,
    pub rank: Option<String>,
    pub position: Option<String>,
    pub roles: Vec<Role>,
    pub must_change_password: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("pengguna tidak ditemukan")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The roles stored for a person, in a stable order. Unknown role names (from a newer version
/// of Penkom after a rollback) are skipped rather than failing the sign-in.
pub(crate) async fn roles_of<C: ConnectionTrait>(db: &C, id: UserId) -> Result<Vec<Role>, DbErr> {
    let rows = person_role::Entity::find().filter(person_role::Column::PersonId.eq(id.0)).all(db).await?;
    let mut roles: Vec<Role> = rows.iter().filter_map(|r| r.role.parse().ok()).collect();
    roles.sort_unstable();
    Ok(roles)
}

impl Accounts {
    /// The profile of person `id`.
    pub async fn profile(&self, id: UserId) -> Result<Profile, ProfileError> {
        let p = person::Entity::find_by_id(id.0).one(&self.db).await?.ok_or(ProfileError::NotFound)?;
        let opd = match p.opd_id {
            Some(opd_id) => opd::Entity::find_by_id(opd_id).one(&self.db).await?.map(|o| OpdRef {
                id: OpdId(o.id),
                code: o.code,
                name: o.name,
            }),
            None => None,
        };
        let roles = roles_of(&self.db, id).await?;
        Ok(Profile {
            id,
            nip: p.nip.as_deref().and_then(|n| Nip::parse(n).ok()),
            name: p.name,
            email: p.email,
            employment_type: p.employment_type.as_deref().and_then(|e| e.parse().ok()),
            opd,
            rank: p.rank,
            position: p.position,
            roles,
            must_change_password: p.must_change_password,
        })
    }
}

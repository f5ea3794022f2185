//! Administrative operations on people: the first administrator, passwords set from the server
//! host, and one-time passwords handed out by an administrator.

use penkom_core::{Email, Login, PersonName, Role, UserId};
use penkom_storage::entities::{auth_token, person, person_role};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, Set,
};

use crate::caller_cache::Target;
use crate::signin::hash_off_thread;
use crate::{Accounts, Password, PasswordError, audit};

#[derive(Debug, thiserror::Error)]
pub enum AddAdminError {
    #[error(transparent)]
    Email(#[from] penkom_core::EmailError),
    #[error(transparent)]
    Name(#[from] penkom_core::NameError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("e-mail {0} sudah dipakai oleh akun lain")]
    EmailTaken(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

#[derive(Debug, thiserror::Error)]
pub enum SetPasswordError {
    #[error("tidak ada akun dengan NIP/e-mail itu")]
    UnknownLogin,
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

#[derive(Debug, thiserror::Error)]
pub enum OneTimePasswordError {
    #[error("pengguna tidak ditemukan")]
    NotFound,
    /// Issuing one to oneself would sign oneself out and lock the account until the one-time
    /// password is replaced: an administrator changes their own password instead.
    #[error(
        "kata sandi sekali pakai tidak dapat diberikan kepada diri sendiri; ganti kata sandi Anda lewat POST /api/v1/me/password"
    )]
    OwnAccount,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// How long a one-time password works: long enough to reach the person through their OPD, short
/// enough that a forgotten printout stops being a key.
const ONE_TIME_PASSWORD_TTL: chrono::Duration = chrono::Duration::hours(72);

/// Revokes every live token of a person except `keep` (the token of a person changing their
/// own password); used whenever a password is replaced.
pub(crate) async fn revoke_tokens<C: ConnectionTrait>(
    db: &C,
    person_id: UserId,
    now: chrono::DateTime<chrono::Utc>,
    keep: Option<&str>,
) -> Result<(), DbErr> {
    let mut update = auth_token::Entity::update_many()
        .col_expr(auth_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(Some(now)))
        .filter(auth_token::Column::PersonId.eq(person_id.0))
        .filter(auth_token::Column::RevokedAt.is_null());
    if let Some(hash) = keep {
        update = update.filter(auth_token::Column::TokenHash.ne(hash));
    }
    update.exec(db).await?;
    Ok(())
}

impl Accounts {
    /// Creates an administrator account (no NIP needed: BKPSDM IT staff may not be ASN).
    pub async fn add_admin(&self, email: &str, name: &str, password: &str) -> Result<UserId, AddAdminError> {
        let email = Email::parse(email)?;
        let name = PersonName::parse(name)?;
        let hash = hash_off_thread(Password::parse(password)?).await;
        let now = self.clock.now();
        let txn = penkom_storage::begin_write(&self.db).await?;
        let taken = person::Entity::find()
            .filter(person::Column::Email.eq(email.as_str()))
            .one(&txn)
            .await?
            .is_some();
        if taken {
            return Err(AddAdminError::EmailTaken(email.to_string()));
        }
        let id = UserId::new();
        person::ActiveModel {
            id: Set(id.0),
            nip: Set(None),
            email: Set(email.to_string()),
            name: Set(name.to_string()),
            employment_type: Set(None),
            opd_id: Set(None),
            rank: Set(None),
            position: Set(None),
            password_hash: Set(Some(hash)),
            password_expires_at: Set(None),
            must_change_password: Set(false),
            active: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        person_role::ActiveModel { person_id: Set(id.0), role: Set(Role::Admin.as_str().into()) }
            .insert(&txn)
            .await?;
        audit::record(&txn, now, None, "admin_added", Some(&id.to_string()), None, None).await?;
        txn.commit().await?;
        Ok(id)
    }

    /// Sets anyone's password from the server host (`penkom users set-password`). The person
    /// may use it at once; all their existing sessions end.
    pub async fn set_password(&self, login: &str, password: &str) -> Result<UserId, SetPasswordError> {
        let found = match Login::parse(login).map_err(|_| SetPasswordError::UnknownLogin)? {
            Login::Nip(n) => person::Entity::find().filter(person::Column::Nip.eq(n.as_str())),
            Login::Email(e) => person::Entity::find().filter(person::Column::Email.eq(e.as_str())),
        }
        .one(&self.db)
        .await?
        .ok_or(SetPasswordError::UnknownLogin)?;
        let hash = hash_off_thread(Password::parse(password)?).await;
        let now = self.clock.now();
        let id = UserId(found.id);
        let txn = penkom_storage::begin_write(&self.db).await?;
        let mut am = found.into_active_model();
        am.password_hash = Set(Some(hash));
        am.password_expires_at = Set(None);
        am.must_change_password = Set(false);
        am.updated_at = Set(now);
        am.update(&txn).await?;
        revoke_tokens(&txn, id, now, None).await?;
        audit::record(&txn, now, None, "password_set_on_host", Some(&id.to_string()), None, None).await?;
        txn.commit().await?;
        self.forget_callers(Target::Person(id.0)).await;
        Ok(id)
    }

    /// Gives person `id` a fresh one-time password, valid for 72 hours, returned once to the
    /// administrator to hand over. The person must choose their own password before they can do
    /// anything else.
    pub async fn issue_one_time_password(
        &self,
        actor: UserId,
        id: UserId,
    ) -> Result<Password, OneTimePasswordError> {
        if actor == id {
            return Err(OneTimePasswordError::OwnAccount);
        }
        let found =
            person::Entity::find_by_id(id.0).one(&self.db).await?.ok_or(OneTimePasswordError::NotFound)?;
        let password = Password::generate();
        let hash = hash_off_thread(password.clone()).await;
        let now = self.clock.now();
        let txn = penkom_storage::begin_write(&self.db).await?;
        let mut am = found.into_active_model();
        am.password_hash = Set(Some(hash));
        am.password_expires_at = Set(Some(now + ONE_TIME_PASSWORD_TTL));
        am.must_change_password = Set(true);
        am.updated_at = Set(now);
        am.update(&txn).await?;
        revoke_tokens(&txn, id, now, None).await?;
        audit::record(&txn, now, Some(actor), "one_time_password_issued", Some(&id.to_string()), None, None)
            .await?;
        txn.commit().await?;
        self.forget_callers(Target::Person(id.0)).await;
        Ok(password)
    }
}

impl Accounts {
    /// Whether person `id` has a password set (used to seed demo accounts only once).
    pub async fn has_password(&self, id: UserId) -> Result<bool, DbErr> {
        Ok(person::Entity::find_by_id(id.0).one(&self.db).await?.is_some_and(|p| p.password_hash.is_some()))
    }
}

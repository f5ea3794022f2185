//! Signing in and out, and recognising the caller behind a token.

use std::time::Duration;

use chrono::{DateTime, Utc};
use live_store::LiveStoreError;
use penkom_core::{Login, OpdId, Role, UserId};
use penkom_storage::entities::{auth_token, person};
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, Set};

use crate::profile::roles_of;
use crate::{Accounts, Password, PasswordError, audit, password, token};

/// A token handed to a client after a successful sign-in.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub must_change_password: bool,
}

/// The authenticated person behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: UserId,
    pub roles: Vec<Role>,
    pub opd_id: Option<OpdId>,
    pub must_change_password: bool,
    /// The stored hash of the token used, so sign-out can revoke exactly this token.
    pub token_hash: String,
}

impl Caller {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("NIP/e-mail atau kata sandi salah")]
    BadCredentials,
    #[error("terlalu banyak percobaan masuk yang gagal; coba lagi nanti")]
    RateLimited { retry_after: Duration },
    #[error(transparent)]
    Unavailable(#[from] LiveStoreError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("token tidak valid")]
    Invalid,
    #[error("sesi telah berakhir; silakan masuk lagi")]
    Expired,
    #[error(transparent)]
    Db(#[from] DbErr),
}

#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    #[error("kata sandi saat ini salah")]
    WrongCurrentPassword,
    #[error(transparent)]
    Weak(#[from] PasswordError),
    #[error("kata sandi baru harus berbeda dari yang lama")]
    Unchanged,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Hashing and verifying with Argon2 takes tens of milliseconds of CPU on purpose; doing it on
/// an async worker thread would stall every other request scheduled on that thread.
async fn verify_off_thread(stored: Option<String>, candidate: String) -> bool {
    tokio_spawn_blocking(move || password::verify(stored.as_deref(), &candidate)).await
}

async fn tokio_spawn_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    // `spawn_blocking` only fails if the closure panicked; re-raise that panic here.
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

pub(crate) async fn hash_off_thread(p: Password) -> String {
    tokio_spawn_blocking(move || p.hash()).await
}

impl Accounts {
    fn login_key(login_text: &str) -> String {
        match Login::parse(login_text) {
            Ok(l) => format!("signin:fail:login:{}", l.key()),
            Err(_) => format!("signin:fail:login:raw:{}", login_text.trim().to_lowercase()),
        }
    }

    /// Signs a person in by NIP or e-mail and password.
    ///
    /// Failed attempts are counted per login and per client address in the live store, so the
    /// limits hold across every API node sharing one Redis. The counts are checked before the
    /// password is, so a locked account cannot be probed further even with the right password.
    pub async fn sign_in(
        &self,
        login_text: &str,
        password_text: &str,
        client_addr: Option<&str>,
    ) -> Result<IssuedToken, SignInError> {
        let login_key = Self::login_key(login_text);
        let addr_key = client_addr.map(|a| format!("signin:fail:addr:{a}"));
        let p = &self.policy;
        let by_login = self.live.peek(&login_key).await?;
        if by_login.count >= p.max_failures_per_login {
            return Err(SignInError::RateLimited { retry_after: by_login.resets_in });
        }
        if let Some(k) = &addr_key {
            let by_addr = self.live.peek(k).await?;
            if by_addr.count >= p.max_failures_per_addr {
                return Err(SignInError::RateLimited { retry_after: by_addr.resets_in });
            }
        }

        let found = match Login::parse(login_text) {
            Ok(Login::Nip(nip)) => {
                person::Entity::find().filter(person::Column::Nip.eq(nip.as_str())).one(&self.db).await?
            }
            Ok(Login::Email(email)) => {
                person::Entity::find().filter(person::Column::Email.eq(email.as_str())).one(&self.db).await?
            }
            Err(_) => None,
        }
        .filter(|p| p.active);

        let stored = found.as_ref().and_then(|p| p.password_hash.clone());
        let ok = verify_off_thread(stored, password_text.to_string()).await;
        let now = self.clock.now();
        let person = match (ok, found) {
            (true, Some(person)) => person,
            (_, found) => {
                self.live.hit(&login_key, p.failure_window).await?;
                if let Some(k) = &addr_key {
                    self.live.hit(k, p.failure_window).await?;
                }
                audit::record(
                    &self.db,
                    now,
                    found.map(|f| UserId(f.id)),
                    "sign_in_failed",
                    None,
                    None,
                    client_addr,
                )
                .await?;
                return Err(SignInError::BadCredentials);
            }
        };
        self.live.clear(&login_key).await?;

        let raw = token::generate();
        let ttl = chrono::Duration::from_std(p.token_ttl).unwrap_or(chrono::Duration::hours(12));
        let expires_at = now + ttl;
        auth_token::ActiveModel {
            token_hash: Set(token::hash(&raw)),
            person_id: Set(person.id),
            created_at: Set(now),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
            client_addr: Set(client_addr.map(str::to_string)),
        }
        .insert(&self.db)
        .await?;
        audit::record(&self.db, now, Some(UserId(person.id)), "sign_in", None, None, client_addr).await?;
        Ok(IssuedToken { token: raw, expires_at, must_change_password: person.must_change_password })
    }

    /// The caller behind a bearer token.
    pub async fn authenticate(&self, raw: &str) -> Result<Caller, AuthError> {
        if !token::looks_valid(raw) {
            return Err(AuthError::Invalid);
        }
        let token_hash = token::hash(raw);
        let row = auth_token::Entity::find_by_id(token_hash.clone())
            .one(&self.db)
            .await?
            .filter(|t| t.revoked_at.is_none())
            .ok_or(AuthError::Invalid)?;
        if row.expires_at <= self.clock.now() {
            return Err(AuthError::Expired);
        }
        let person = person::Entity::find_by_id(row.person_id)
            .one(&self.db)
            .await?
            .filter(|p| p.active)
            .ok_or(AuthError::Invalid)?;
        let id = UserId(person.id);
        Ok(Caller {
            id,
            roles: roles_of(&self.db, id).await?,
            opd_id: person.opd_id.map(OpdId),
            must_change_password: person.must_change_password,
            token_hash,
        })
    }

    /// Revokes the token the caller signed in with. Other sessions stay signed in.
    pub async fn sign_out(&self, caller: &Caller) -> Result<(), DbErr> {
        if let Some(row) = auth_token::Entity::find_by_id(caller.token_hash.clone()).one(&self.db).await? {
            let mut am = row.into_active_model();
            am.revoked_at = Set(Some(self.clock.now()));
            am.update(&self.db).await?;
        }
        Ok(())
    }

    /// Changes the caller's own password. Every other token of theirs is revoked, so a
    /// password change also signs out a device someone else may hold.
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new: &str,
    ) -> Result<(), ChangePasswordError> {
        let person = person::Entity::find_by_id(caller.id.0)
            .one(&self.db)
            .await?
            .ok_or(ChangePasswordError::WrongCurrentPassword)?;
        if !verify_off_thread(person.password_hash.clone(), current.to_string()).await {
            return Err(ChangePasswordError::WrongCurrentPassword);
        }
        if current == new {
            return Err(ChangePasswordError::Unchanged);
        }
        let hash = hash_off_thread(Password::parse(new)?).await;
        let now = self.clock.now();
        let txn = penkom_storage::begin_write(&self.db).await?;
        let mut am = person.into_active_model();
        am.password_hash = Set(Some(hash));
        am.must_change_password = Set(false);
        am.updated_at = Set(now);
        am.update(&txn).await?;
        auth_token::Entity::update_many()
            .col_expr(auth_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(Some(now)))
            .filter(auth_token::Column::PersonId.eq(caller.id.0))
            .filter(auth_token::Column::TokenHash.ne(caller.token_hash.clone()))
            .filter(auth_token::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
        audit::record(&txn, now, Some(caller.id), "password_changed", None, None, None).await?;
        txn.commit().await?;
        Ok(())
    }
}

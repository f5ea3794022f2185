//! Signing in and out, and recognising the caller behind a token.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use live_store::LiveStoreError;
use penkom_core::{Login, OpdId, Role, UserId};
use penkom_storage::entities::{auth_token, person};
use sea_orm::{ActiveModelTrait, ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, Set};

use crate::caller_cache::{Lookup, Target};
use crate::profile::roles_of;
use crate::{Accounts, Password, PasswordError, audit, password, token};

/// A token handed to a client after a successful sign-in.
#[derive(Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub must_change_password: bool,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The raw token is a credential; it must not end up in a log through `{:?}`.
        f.debug_struct("IssuedToken").field("expires_at", &self.expires_at).finish_non_exhaustive()
    }
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
    #[error("kata sandi sekali pakai sudah kedaluwarsa; minta yang baru kepada admin")]
    OneTimePasswordExpired,
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
    #[error("terlalu banyak percobaan yang gagal; coba lagi nanti")]
    RateLimited { retry_after: Duration },
    #[error(transparent)]
    Unavailable(#[from] LiveStoreError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The longest sign-in name looked up (an e-mail address is at most 320 bytes).
pub const MAX_LOGIN_BYTES: usize = 320;
/// The longest password checked.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// At most this many Argon2 computations run at once. Each takes about 19 MiB and tens of
/// milliseconds of CPU; without a bound, a burst of sign-ins (or an attacker) would queue
/// hundreds of them on the blocking pool and exhaust memory. Excess requests wait here instead.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Runs a CPU-heavy Argon2 job off the async workers (doing it on one would stall every other
/// request scheduled there), with at most [`HASHING`] jobs at a time.
async fn hashing_job<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    // The semaphore is never closed, so acquiring cannot fail; if it somehow did, running the
    // job unbounded is still correct, only less frugal.
    let _permit = HASHING.acquire().await.ok();
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        // `spawn_blocking` only fails if the closure panicked; re-raise that panic here.
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

async fn verify_off_thread(stored: Option<String>, candidate: String) -> bool {
    hashing_job(move || password::verify(stored.as_deref(), &candidate)).await
}

pub(crate) async fn hash_off_thread(p: Password) -> String {
    hashing_job(move || p.hash()).await
}

impl Accounts {
    /// The failure counter of an account: keyed by the person when the login names one, so
    /// that NIP and e-mail share one budget, else by the normalised login text.
    fn failure_key(login_text: &str, person: Option<&person::Model>) -> String {
        match (person, Login::parse(login_text)) {
            (Some(p), _) => format!("signin:fail:person:{}", p.id),
            (None, Ok(l)) => format!("signin:fail:login:{}", l.key()),
            (None, Err(_)) => format!("signin:fail:login:raw:{}", login_text.trim().to_lowercase()),
        }
    }

    /// Signs a person in by NIP or e-mail and password.
    ///
    /// Every attempt is counted *before* the password is checked, with the live store's atomic
    /// increment, both per account and per client address: parallel attempts each get their own
    /// count, so a burst cannot slip more guesses past either limit than it allows, and the
    /// limits hold across every API node sharing one Redis. A success clears the account's count
    /// and takes its own attempt back from the address's, so a busy office behind one NAT
    /// address is not locked out by its own successful sign-ins; only failures add up there.
    pub async fn sign_in(
        &self,
        login_text: &str,
        password_text: &str,
        client: Option<IpAddr>,
    ) -> Result<IssuedToken, SignInError> {
        // Nothing that long is a NIP, an address or a password anybody set; answering at once
        // keeps megabyte "passwords" away from Argon2.
        if login_text.len() > MAX_LOGIN_BYTES || password_text.len() > MAX_PASSWORD_BYTES {
            return Err(SignInError::BadCredentials);
        }
        let p = &self.policy;
        let addr_key = client.map(|a| format!("signin:fail:addr:{}", live_store::address_bucket(a)));
        if let Some(k) = &addr_key {
            let by_addr = self.live.hit(k, p.failure_window).await?;
            if by_addr.count > p.max_failures_per_addr {
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

        let account_key = Self::failure_key(login_text, found.as_ref());
        let attempts = self.live.hit(&account_key, p.failure_window).await?;
        if attempts.count > p.max_failures_per_login {
            return Err(SignInError::RateLimited { retry_after: attempts.resets_in });
        }

        let stored = found.as_ref().and_then(|p| p.password_hash.clone());
        let ok = verify_off_thread(stored, password_text.to_string()).await;
        let now = self.clock.now();
        let client_text = client.map(|a| a.to_string());
        let person = match (ok, found) {
            (true, Some(person)) => person,
            (_, found) => {
                audit::record(
                    &self.db,
                    now,
                    found.map(|f| UserId(f.id)),
                    "sign_in_failed",
                    None,
                    None,
                    client_text.as_deref(),
                )
                .await?;
                return Err(SignInError::BadCredentials);
            }
        };
        self.live.clear(&account_key).await?;
        if let Some(k) = &addr_key {
            self.live.unhit(k).await?;
        }
        if person.password_expires_at.is_some_and(|t| t <= now) {
            return Err(SignInError::OneTimePasswordExpired);
        }

        let raw = token::generate();
        let ttl = chrono::Duration::from_std(p.token_ttl).unwrap_or(chrono::Duration::hours(12));
        let expires_at = now + ttl;
        // The token and its audit record are written together, so there is never a working
        // token whose sign-in is missing from the audit trail.
        let txn = penkom_storage::begin_write(&self.db).await?;
        auth_token::ActiveModel {
            token_hash: Set(token::hash(&raw)),
            person_id: Set(person.id),
            created_at: Set(now),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
            client_addr: Set(client_text.clone()),
        }
        .insert(&txn)
        .await?;
        audit::record(&txn, now, Some(UserId(person.id)), "sign_in", None, None, client_text.as_deref())
            .await?;
        txn.commit().await?;
        Ok(IssuedToken { token: raw, expires_at, must_change_password: person.must_change_password })
    }

    /// The caller behind a bearer token.
    /// The caller behind token `raw`. Shared (`Arc`) because the same caller is handed to every
    /// request carrying the token, from the cache.
    pub async fn authenticate(&self, raw: &str) -> Result<std::sync::Arc<Caller>, AuthError> {
        if !token::looks_valid(raw) {
            return Err(AuthError::Invalid);
        }
        let token_hash = token::hash(raw);
        // Stamped before the reads: see `caller_cache` on why this order keeps revocation safe.
        let stamped = std::time::Instant::now();
        let now = self.clock.now();
        match self.cache.get(&token_hash, stamped, now) {
            Lookup::Hit(caller) => return Ok(caller),
            Lookup::Expired => return Err(AuthError::Expired),
            Lookup::Miss => {}
        }
        let row = auth_token::Entity::find_by_id(token_hash.clone())
            .one(&self.db)
            .await?
            .filter(|t| t.revoked_at.is_none())
            .ok_or(AuthError::Invalid)?;
        if row.expires_at <= now {
            return Err(AuthError::Expired);
        }
        let person = person::Entity::find_by_id(row.person_id)
            .one(&self.db)
            .await?
            .filter(|p| p.active)
            .ok_or(AuthError::Invalid)?;
        let id = UserId(person.id);
        let caller = std::sync::Arc::new(Caller {
            id,
            roles: roles_of(&self.db, id).await?,
            opd_id: person.opd_id.map(OpdId),
            must_change_password: person.must_change_password,
            token_hash,
        });
        self.cache.put(caller.clone(), row.expires_at, stamped);
        Ok(caller)
    }

    /// Revokes the token the caller signed in with. Other sessions stay signed in.
    pub async fn sign_out(&self, caller: &Caller) -> Result<(), DbErr> {
        if let Some(row) = auth_token::Entity::find_by_id(caller.token_hash.clone()).one(&self.db).await? {
            let mut am = row.into_active_model();
            am.revoked_at = Set(Some(self.clock.now()));
            am.update(&self.db).await?;
        }
        self.forget_callers(Target::Token(caller.token_hash.clone())).await;
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
        // Guesses at the current password share the sign-in budget of the account, so a stolen
        // session cannot be used to brute-force the password either.
        let key = Self::failure_key("", Some(&person));
        let attempts = self.live.hit(&key, self.policy.failure_window).await?;
        if attempts.count > self.policy.max_failures_per_login {
            return Err(ChangePasswordError::RateLimited { retry_after: attempts.resets_in });
        }
        if !verify_off_thread(person.password_hash.clone(), current.to_string()).await {
            return Err(ChangePasswordError::WrongCurrentPassword);
        }
        self.live.clear(&key).await?;
        if current == new {
            return Err(ChangePasswordError::Unchanged);
        }
        let hash = hash_off_thread(Password::parse(new)?).await;
        let now = self.clock.now();
        let txn = penkom_storage::begin_write(&self.db).await?;
        let mut am = person.into_active_model();
        am.password_hash = Set(Some(hash));
        am.password_expires_at = Set(None);
        am.must_change_password = Set(false);
        am.updated_at = Set(now);
        am.update(&txn).await?;
        crate::people::revoke_tokens(&txn, caller.id, now, Some(&caller.token_hash)).await?;
        audit::record(&txn, now, Some(caller.id), "password_changed", None, None, None).await?;
        txn.commit().await?;
        // Also this caller's own token: it no longer needs a password change.
        self.forget_callers(Target::Person(caller.id.0)).await;
        Ok(())
    }
}

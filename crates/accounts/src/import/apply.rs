//! Writing a parsed import file to the database in one transaction.

use std::collections::{BTreeSet, HashMap};

use penkom_core::{Role, UserId};
use penkom_storage::entities::{opd, person, person_role};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use uuid::Uuid;

use super::{ImportError, ImportReport, PersonRow, RowError, parse_people_csv};
use crate::{Accounts, audit};

/// Rows per multi-row statement: 13 columns × 200 rows stays far below SQLite's limit of
/// 32,766 bound parameters and PostgreSQL's 65,535.
const CHUNK: usize = 200;

/// The advisory-lock key of people imports (any fixed number unique within Penkom).
const IMPORT_LOCK: i64 = 0x5045_4e4b_0001;

async fn people_where<C: ConnectionTrait>(
    db: &C,
    column: person::Column,
    values: Vec<String>,
) -> Result<Vec<person::Model>, DbErr> {
    let mut out = Vec::new();
    for chunk in values.chunks(CHUNK) {
        out.extend(person::Entity::find().filter(column.is_in(chunk.to_vec())).all(db).await?);
    }
    Ok(out)
}

impl Accounts {
    /// Imports people from a CSV file (see the module documentation of [`crate::import`]).
    /// `actor` is the administrator who asked, or `None` for the command line on the host.
    pub async fn import_people(
        &self,
        bytes: &[u8],
        actor: Option<UserId>,
    ) -> Result<ImportReport, ImportError> {
        // Parsing a large file is CPU work of a few hundred milliseconds; it runs on the
        // blocking pool so that it does not stall the async worker serving other requests.
        let owned = bytes.to_vec();
        let parsed = tokio::task::spawn_blocking(move || parse_people_csv(&owned))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
        let rows = parsed.map_err(ImportError::Invalid)?;
        let now = self.clock.now();
        // One write transaction for the whole file: either every row lands or none does, and a
        // concurrent import of an overlapping file waits instead of interleaving with this one.
        let txn = penkom_storage::begin_write(&self.db).await?;
        penkom_storage::serialize_on(&txn, IMPORT_LOCK).await?;

        let nips = rows.iter().map(|r| r.nip.to_string()).collect();
        let emails = rows.iter().map(|r| r.email.to_string()).collect();
        let by_nip: HashMap<String, person::Model> = people_where(&txn, person::Column::Nip, nips)
            .await?
            .into_iter()
            .filter_map(|p| Some((p.nip.clone()?, p)))
            .collect();
        let by_email: HashMap<String, person::Model> = people_where(&txn, person::Column::Email, emails)
            .await?
            .into_iter()
            .map(|p| (p.email.clone(), p))
            .collect();

        let conflicts: Vec<RowError> = rows
            .iter()
            .filter_map(|r| {
                let owner = by_email.get(r.email.as_str())?;
                (owner.nip.as_deref() != Some(r.nip.as_str())).then(|| RowError {
                    line: r.line,
                    column: Some("email".into()),
                    reason: format!("e-mail {} sudah dipakai oleh akun lain", r.email),
                })
            })
            .collect();
        if !conflicts.is_empty() {
            return Err(ImportError::Conflict(conflicts));
        }

        let mut report = ImportReport { rows: rows.len(), ..Default::default() };
        let opd_ids = self.upsert_opds(&txn, &rows, now, &mut report).await?;

        let existing_ids: Vec<Uuid> = by_nip.values().map(|p| p.id).collect();
        let mut roles_by_person: HashMap<Uuid, BTreeSet<Role>> = HashMap::new();
        for chunk in existing_ids.chunks(CHUNK) {
            for r in person_role::Entity::find()
                .filter(person_role::Column::PersonId.is_in(chunk.to_vec()))
                .all(&txn)
                .await?
            {
                if let Ok(role) = r.role.parse() {
                    roles_by_person.entry(r.person_id).or_default().insert(role);
                }
            }
        }

        let mut new_people = Vec::new();
        let mut new_roles = Vec::new();
        for row in &rows {
            let opd_id = opd_ids.get(row.opd_code.as_str()).copied();
            match by_nip.get(row.nip.as_str()) {
                None => {
                    let id = Uuid::now_v7();
                    new_people.push(person::ActiveModel {
                        id: Set(id),
                        nip: Set(Some(row.nip.to_string())),
                        email: Set(row.email.to_string()),
                        name: Set(row.name.to_string()),
                        employment_type: Set(Some(row.employment_type.as_str().into())),
                        opd_id: Set(opd_id),
                        rank: Set(row.rank.clone().flatten()),
                        position: Set(row.position.clone().flatten()),
                        password_hash: Set(None),
                        password_expires_at: Set(None),
                        must_change_password: Set(false),
                        active: Set(true),
                        created_at: Set(now),
                        updated_at: Set(now),
                    });
                    let roles = row.roles.clone().unwrap_or_else(|| BTreeSet::from([Role::Learner]));
                    new_roles.extend(roles.iter().map(|r| person_role::ActiveModel {
                        person_id: Set(id),
                        role: Set(r.as_str().into()),
                    }));
                    report.created += 1;
                }
                Some(existing) => {
                    // Columns the file does not have keep what is stored.
                    let rank = row.rank.clone().unwrap_or_else(|| existing.rank.clone());
                    let position = row.position.clone().unwrap_or_else(|| existing.position.clone());
                    let fields_same = existing.name == row.name.as_str()
                        && existing.email == row.email.as_str()
                        && existing.employment_type.as_deref() == Some(row.employment_type.as_str())
                        && existing.opd_id == opd_id
                        && existing.rank == rank
                        && existing.position == position;
                    let stored_roles = roles_by_person.get(&existing.id).cloned().unwrap_or_default();
                    let wanted_roles = row.roles.clone().unwrap_or_else(|| stored_roles.clone());
                    let roles_same = stored_roles == wanted_roles;
                    if fields_same && roles_same {
                        report.unchanged += 1;
                        continue;
                    }
                    if !fields_same {
                        let mut am = existing.clone().into_active_model();
                        am.name = Set(row.name.to_string());
                        am.email = Set(row.email.to_string());
                        am.employment_type = Set(Some(row.employment_type.as_str().into()));
                        am.opd_id = Set(opd_id);
                        am.rank = Set(rank);
                        am.position = Set(position);
                        am.updated_at = Set(now);
                        am.update(&txn).await?;
                    }
                    if !roles_same {
                        person_role::Entity::delete_many()
                            .filter(person_role::Column::PersonId.eq(existing.id))
                            .exec(&txn)
                            .await?;
                        new_roles.extend(wanted_roles.iter().map(|r| person_role::ActiveModel {
                            person_id: Set(existing.id),
                            role: Set(r.as_str().into()),
                        }));
                    }
                    report.updated += 1;
                }
            }
        }
        for chunk in new_people.chunks(CHUNK) {
            person::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
        }
        for chunk in new_roles.chunks(CHUNK) {
            person_role::Entity::insert_many(chunk.to_vec()).exec_without_returning(&txn).await?;
        }
        audit::record(&txn, now, actor, "people_import", None, Some(serde_json::json!(report)), None).await?;
        txn.commit().await?;
        // Roles and work units may have changed for anyone in the file: every node reads its
        // callers afresh. Imports are rare, so a cache refill costs little.
        self.forget_callers(crate::caller_cache::Target::All).await;
        Ok(report)
    }

    /// Creates the OPDs a file names that do not exist yet and renames those whose name changed.
    async fn upsert_opds<C: ConnectionTrait>(
        &self,
        db: &C,
        rows: &[PersonRow],
        now: chrono::DateTime<chrono::Utc>,
        report: &mut ImportReport,
    ) -> Result<HashMap<String, Uuid>, DbErr> {
        let wanted: HashMap<&str, &str> =
            rows.iter().map(|r| (r.opd_code.as_str(), r.opd_name.as_str())).collect();
        let codes: Vec<String> = wanted.keys().map(|c| c.to_string()).collect();
        let mut ids = HashMap::new();
        let mut existing = HashMap::new();
        for chunk in codes.chunks(CHUNK) {
            for o in opd::Entity::find().filter(opd::Column::Code.is_in(chunk.to_vec())).all(db).await? {
                existing.insert(o.code.clone(), o);
            }
        }
        for (code, name) in wanted {
            match existing.remove(code) {
                Some(o) => {
                    ids.insert(code.to_string(), o.id);
                    if o.name != name {
                        let mut am = o.into_active_model();
                        am.name = Set(name.to_string());
                        am.updated_at = Set(now);
                        am.update(db).await?;
                        report.opds_renamed += 1;
                    }
                }
                None => {
                    let id = Uuid::now_v7();
                    opd::ActiveModel {
                        id: Set(id),
                        code: Set(code.to_string()),
                        name: Set(name.to_string()),
                        created_at: Set(now),
                        updated_at: Set(now),
                    }
                    .insert(db)
                    .await?;
                    ids.insert(code.to_string(), id);
                    report.opds_created += 1;
                }
            }
        }
        Ok(ids)
    }
}

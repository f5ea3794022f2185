//! Looking people and work units up, for administrators.

use std::collections::HashMap;

use penkom_core::{Nip, OpdId, Role, UserId};
use penkom_storage::entities::{opd, person, person_role};
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::{Accounts, OpdRef, Profile};

/// Filters for [`Accounts::list_people`].
#[derive(Debug, Clone, Default)]
pub struct PeopleFilter {
    pub nip: Option<Nip>,
    /// OPD code.
    pub opd_code: Option<String>,
    /// Case-insensitive part of the name or e-mail.
    pub search: Option<String>,
    pub limit: u64,
    pub offset: u64,
}

/// A page of people and the total matching the filter.
#[derive(Debug, Clone)]
pub struct PeoplePage {
    pub items: Vec<Profile>,
    pub total: u64,
}

impl Accounts {
    /// People matching `filter`, ordered by name.
    pub async fn list_people(&self, filter: &PeopleFilter) -> Result<PeoplePage, DbErr> {
        let mut q = person::Entity::find();
        if let Some(nip) = &filter.nip {
            q = q.filter(person::Column::Nip.eq(nip.as_str()));
        }
        let opds: HashMap<uuid::Uuid, opd::Model> =
            opd::Entity::find().all(&self.db).await?.into_iter().map(|o| (o.id, o)).collect();
        if let Some(code) = &filter.opd_code {
            let code = code.trim().to_ascii_uppercase();
            let id = opds.values().find(|o| o.code == code).map(|o| o.id);
            // An unknown OPD code matches nobody rather than everybody.
            q = q.filter(person::Column::OpdId.eq(id.unwrap_or_else(uuid::Uuid::nil)));
        }
        if let Some(s) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let pattern = format!("%{}%", s.to_lowercase().replace(['%', '_'], ""));
            q = q.filter(
                sea_orm::sea_query::Expr::expr(sea_orm::sea_query::Func::lower(
                    sea_orm::sea_query::Expr::col(person::Column::Name),
                ))
                .like(pattern.clone())
                .or(sea_orm::sea_query::Expr::col(person::Column::Email).like(pattern)),
            );
        }
        let total = q.clone().count(&self.db).await?;
        let rows = q
            .order_by_asc(person::Column::Name)
            .order_by_asc(person::Column::Id)
            .limit(filter.limit)
            .offset(filter.offset)
            .all(&self.db)
            .await?;
        let ids: Vec<uuid::Uuid> = rows.iter().map(|p| p.id).collect();
        let mut roles: HashMap<uuid::Uuid, Vec<Role>> = HashMap::new();
        for r in
            person_role::Entity::find().filter(person_role::Column::PersonId.is_in(ids)).all(&self.db).await?
        {
            if let Ok(role) = r.role.parse() {
                roles.entry(r.person_id).or_default().push(role);
            }
        }
        let items = rows
            .into_iter()
            .map(|p| {
                let mut rs = roles.remove(&p.id).unwrap_or_default();
                rs.sort_unstable();
                Profile {
                    id: UserId(p.id),
                    nip: p.nip.as_deref().and_then(|n| Nip::parse(n).ok()),
                    name: p.name,
                    email: p.email,
                    employment_type: p.employment_type.as_deref().and_then(|e| e.parse().ok()),
                    opd: p.opd_id.and_then(|id| opds.get(&id)).map(|o| OpdRef {
                        id: OpdId(o.id),
                        code: o.code.clone(),
                        name: o.name.clone(),
                    }),
                    rank: p.rank,
                    position: p.position,
                    roles: rs,
                    must_change_password: p.must_change_password,
                }
            })
            .collect();
        Ok(PeoplePage { items, total })
    }

    /// Every work unit, ordered by code.
    pub async fn opds(&self) -> Result<Vec<OpdRef>, DbErr> {
        Ok(opd::Entity::find()
            .order_by_asc(opd::Column::Code)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|o| OpdRef { id: OpdId(o.id), code: o.code, name: o.name })
            .collect())
    }
}

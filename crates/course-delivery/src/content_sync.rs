//! Importing a folder of content files: idempotent, versioning, retiring.

use std::collections::HashSet;
use std::path::Path;

use penkom_storage::entities::course;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use uuid::Uuid;

use crate::format::load_dir;
use crate::model::VersionSpec;
use crate::service::{ContentImportError, Courses};
use crate::store::{self, PUBLISHED};

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ContentReport {
    pub courses: usize,
    pub created: usize,
    /// Courses whose content changed and got a new version.
    pub new_versions: usize,
    pub unchanged: usize,
    /// Courses whose folder disappeared.
    pub retired: usize,
    /// Retired courses whose folder came back.
    pub restored: usize,
    /// Codes skipped because a course created through the API already uses them.
    pub skipped: Vec<String>,
}

/// Advisory-lock key of content imports: several API nodes starting at once import in turn.
const CONTENT_LOCK: i64 = 0x5045_4e4b_0002;
const SOURCE_CONTENT: &str = "content";

impl Courses {
    /// Validates and imports every course under `dir` (see `content/README.md`).
    pub async fn import_content_dir(&self, dir: &Path) -> Result<ContentReport, ContentImportError> {
        let loaded = load_dir(dir, self.minutes_per_jp).map_err(ContentImportError::Invalid)?;
        self.import_specs(loaded.into_iter().map(|c| c.spec).collect()).await
    }

    /// Imports the courses of several folders as one content set (the demo's orientation
    /// course beside the shipped courses): a course in none of them is retired, and a code used
    /// in two folders is a problem like any other.
    pub async fn import_content_dirs(&self, dirs: &[&Path]) -> Result<ContentReport, ContentImportError> {
        let mut problems = Vec::new();
        let mut courses: Vec<crate::format::LoadedCourse> = Vec::new();
        for dir in dirs {
            match load_dir(dir, self.minutes_per_jp) {
                Ok(loaded) => {
                    for c in loaded {
                        if let Some(first) = courses.iter().find(|f| f.spec.meta.code == c.spec.meta.code) {
                            problems.push(crate::format::Problem {
                                file: c.dir.join("course.toml"),
                                line: None,
                                reason: format!(
                                    "kode kursus {} sudah dipakai di {}",
                                    c.spec.meta.code,
                                    first.dir.display()
                                ),
                            });
                        } else {
                            courses.push(c);
                        }
                    }
                }
                Err(p) => problems.extend(p),
            }
        }
        if !problems.is_empty() {
            return Err(ContentImportError::Invalid(problems));
        }
        self.import_specs(courses.into_iter().map(|c| c.spec).collect()).await
    }

    /// Imports already validated specs. Unchanged content changes nothing; changed content
    /// becomes a new published version; content courses missing from `specs` are retired.
    pub async fn import_specs(&self, specs: Vec<VersionSpec>) -> Result<ContentReport, ContentImportError> {
        let now = self.clock.now();
        let txn = penkom_storage::begin_write(&self.db).await?;
        penkom_storage::serialize_on(&txn, CONTENT_LOCK).await?;
        let mut report = ContentReport { courses: specs.len(), ..Default::default() };
        if specs.is_empty() {
            // An empty folder is far more likely a wrong path or a failed mount than a decision
            // to retire the whole catalogue; that decision needs the courses removed one by one.
            let active = course::Entity::find()
                .filter(course::Column::Source.eq(SOURCE_CONTENT))
                .filter(course::Column::RetiredAt.is_null())
                .one(&txn)
                .await?;
            if active.is_some() {
                return Err(ContentImportError::EmptyFolder);
            }
        }
        let mut seen = HashSet::new();
        for spec in specs {
            let code = spec.meta.code.to_string();
            seen.insert(code.clone());
            let existing =
                course::Entity::find().filter(course::Column::Code.eq(code.as_str())).one(&txn).await?;
            let Some(existing) = existing else {
                let course_id = Uuid::now_v7();
                course::ActiveModel {
                    id: Set(course_id),
                    code: Set(code),
                    owner_id: Set(None),
                    source: Set(SOURCE_CONTENT.into()),
                    retired_at: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                }
                .insert(&txn)
                .await?;
                let version_id = Uuid::now_v7();
                store::version_row(version_id, course_id, 1, PUBLISHED, &spec, now).insert(&txn).await?;
                store::insert_children(&txn, version_id, &spec).await?;
                report.created += 1;
                continue;
            };
            if existing.source != SOURCE_CONTENT {
                // Refusing the whole import here would let any instructor who took a code
                // first stop every node from starting; the clash is reported instead.
                tracing::warn!(code = %code, "content course skipped: its code belongs to a course made through the API");
                report.skipped.push(code);
                continue;
            }
            let versions = store::versions_of(&txn, existing.id).await?;
            let hash = spec.content_hash();
            let same = store::latest_published(&versions).and_then(|v| v.content_hash.as_deref())
                == Some(hash.as_str());
            if existing.retired_at.is_some() {
                let mut am = existing.clone().into_active_model();
                am.retired_at = Set(None);
                am.updated_at = Set(now);
                am.update(&txn).await?;
                report.restored += 1;
            }
            if same {
                report.unchanged += 1;
                continue;
            }
            let number = versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
            let version_id = Uuid::now_v7();
            store::version_row(version_id, existing.id, number, PUBLISHED, &spec, now).insert(&txn).await?;
            store::insert_children(&txn, version_id, &spec).await?;
            report.new_versions += 1;
        }
        let gone = course::Entity::find()
            .filter(course::Column::Source.eq(SOURCE_CONTENT))
            .filter(course::Column::RetiredAt.is_null())
            .all(&txn)
            .await?
            .into_iter()
            .filter(|c| !seen.contains(&c.code));
        for c in gone {
            let mut am = c.into_active_model();
            am.retired_at = Set(Some(now));
            am.updated_at = Set(now);
            am.update(&txn).await?;
            report.retired += 1;
        }
        txn.commit().await?;
        Ok(report)
    }
}

//! Direct database edits of everything that decides JP, as someone with write access to the
//! database (but not to the signing key) would make them: each one is refused by every answer
//! that reads the record, and `penkom audit` names each one.

use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Set};
use serde_json::{Value, json};

use crate::certificates::{audit, broken_at, pass};
use crate::post_test::{course_worth, post_test};
use crate::support::{TestApp, error_code};
use penkom_storage::entities::{certificate, external_training, jp_balance, jp_ledger_entry, person};

async fn database(app: &TestApp) -> DatabaseConnection {
    penkom_storage::connect(&app.env.settings.effective_database_url().unwrap(), 1).await.unwrap()
}

fn reasons(report: &Value) -> Vec<String> {
    report["broken"].as_array().unwrap().iter().map(|b| b["reason"].as_str().unwrap().to_string()).collect()
}

fn named(report: &Value, needle: &str) -> bool {
    reasons(report).iter().any(|r| r.contains(needle))
}

async fn person_id(db: &DatabaseConnection, nip: &str) -> uuid::Uuid {
    use sea_orm::{ColumnTrait, QueryFilter};
    person::Entity::find().filter(person::Column::Nip.eq(nip)).one(db).await.unwrap().unwrap().id
}

const LEARNER_NIP: &str = "199103172019031005";

fn compliance_row<'a>(report: &'a Value, nip: &str) -> &'a Value {
    report["people"].as_array().unwrap().iter().find(|p| p["nip"] == nip).unwrap()
}

#[tokio::test]
async fn ledger_entries_and_balances_edited_or_forged_in_the_database_count_nowhere_and_are_named() {
    let app = TestApp::spawn().await;
    let verifier = app.signed_in("verifier").await;
    let c = course_worth(&app, post_test(3, 0, 4, false), "2").await;
    pass(&app, &c).await;
    let mine = app.get_ok("/api/v1/me/jp", &c.learner).await;
    let year = mine["year"].as_i64().unwrap();
    assert_eq!((mine["credited"].as_str(), &mine["problems"]), (Some("2"), &json!([])), "{mine}");
    let report_path = format!("/api/v1/reports/compliance?year={year}");
    let db = database(&app).await;
    let learner = person_id(&db, LEARNER_NIP).await;
    let entry = jp_ledger_entry::Entity::find().one(&db).await.unwrap().unwrap();

    // 2 JP raised to 20 in place: the entry no longer counts anywhere, and the audit names it.
    let mut raised = entry.clone().into_active_model();
    raised.jp_hundredths = Set(2000);
    raised.update(&db).await.unwrap();
    let mine = app.get_ok("/api/v1/me/jp", &c.learner).await;
    assert_eq!(mine["credited"], "2", "{mine}");
    assert_eq!(mine["problems"], json!(["entry_not_logged"]));
    assert_eq!(mine["entries"][0]["logged"], false);
    let report = app.get_ok(&report_path, &verifier).await;
    assert_eq!(compliance_row(&report, LEARNER_NIP)["credited"], "2");
    let (ok, audited, err) = audit(&app.env, None);
    assert!(!ok);
    assert!(named(&audited, &format!("ledger entry {} differs from what was logged", entry.id)), "{audited}");
    assert!(err.contains("broken at entry 2"), "{err}");
    entry.clone().into_active_model().reset_all().update(&db).await.unwrap();
    assert!(audit(&app.env, None).0, "restored");

    // A forged credit written beside the real one: shown as unlogged, never counted.
    let forged = jp_ledger_entry::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        kind: Set("external".into()),
        source_id: Set(uuid::Uuid::now_v7()),
        jp_hundredths: Set(1800),
        source_jp_hundredths: Set(1800),
        ..entry.clone().into_active_model()
    }
    .insert(&db)
    .await
    .unwrap();
    let mine = app.get_ok("/api/v1/me/jp", &c.learner).await;
    assert_eq!((mine["credited"].as_str(), &mine["problems"]), (Some("2"), &json!(["entry_not_logged"])));
    assert_eq!(compliance_row(&app.get_ok(&report_path, &verifier).await, LEARNER_NIP)["credited"], "2");
    let (ok, audited, _) = audit(&app.env, None);
    assert!(!ok && named(&audited, &format!("ledger entry {} was never logged", forged.id)), "{audited}");

    // The yearly balance raised in place: its seal fails, so every report counts the logged
    // entries instead and says so.
    let balance = jp_balance::Entity::find_by_id((learner, year as i32)).one(&db).await.unwrap().unwrap();
    assert_eq!((balance.total_hundredths, balance.entries), (200, 1));
    let mut edited = balance.clone().into_active_model();
    edited.total_hundredths = Set(2000);
    edited.update(&db).await.unwrap();
    let row = compliance_row(&app.get_ok(&report_path, &verifier).await, LEARNER_NIP).clone();
    assert_eq!(
        (row["credited"].as_str(), row["ledger_verified"].as_bool()),
        (Some("2"), Some(false)),
        "{row}"
    );
    let mine = app.get_ok("/api/v1/me/jp", &c.learner).await;
    assert_eq!(mine["credited"], "2");
    assert_eq!(mine["problems"], json!(["entry_not_logged", "balance_altered"]));
    let (_, audited, _) = audit(&app.env, None);
    assert!(named(&audited, "was edited (its seal fails)"), "{audited}");

    // The same, re-sealed with the public formula: no reader can tell from the row alone, and
    // the audit still can, because the balance no longer adds up to its logged entries.
    let mut resealed = balance.clone().into_active_model();
    resealed.total_hundredths = Set(2000);
    resealed.seal = Set(record_log::digest::balance_seal(learner, year as i32, 2000, 1));
    resealed.update(&db).await.unwrap();
    let (ok, audited, _) = audit(&app.env, None);
    assert!(!ok && named(&audited, "does not add up to its logged entries"), "{audited}");

    // Every problem is named, not only the first.
    assert!(reasons(&audited).len() >= 2, "{audited}");
    db.close().await.ok();
}

#[tokio::test]
async fn certificate_rows_edited_in_the_database_are_tampered_everywhere_and_a_logged_revocation_stands() {
    let app = TestApp::spawn().await;
    let verifier = app.signed_in("verifier").await;
    let c = course_worth(&app, post_test(3, 0, 4, false), "2").await;
    // After the course is made: signing in again ends the instructor's earlier sessions.
    let other = app.signed_in("instructor").await;
    let issued = pass(&app, &c).await["certificate"].clone();
    let code = issued["code"].as_str().unwrap().to_string();
    let verify = format!("/api/v1/verify/{}", code.replace('$', "%24").replace('*', "%2A"));
    let status = |v: Value| v["status"].as_str().unwrap_or_default().to_string();
    assert_eq!(status(app.get(&verify, None).await.json().await.unwrap()), "valid");
    // A wrong check character gets one verdict everywhere: `invalid`, not `unknown`.
    let last = code.chars().last().unwrap();
    let typo = format!("{}{}", &code[..code.len() - 1], if last == 'A' { 'B' } else { 'A' });
    let single = app.get(&format!("/api/v1/verify/{typo}"), None).await;
    assert_eq!(single.status(), 404);
    let single: Value = single.json().await.unwrap();
    let bulk = app.post_json("/api/v1/verify", Some(&verifier), &json!({"items": [{"code": typo}]})).await;
    let bulk: Value = bulk.json().await.unwrap();
    assert_eq!(
        (single["status"].as_str(), single["reason"].as_str()),
        (Some("invalid"), Some("malformed_code"))
    );
    assert_eq!(
        (&bulk["results"][0]["status"], &bulk["results"][0]["reason"]),
        (&single["status"], &single["reason"])
    );
    let db = database(&app).await;
    let row = certificate::Entity::find().one(&db).await.unwrap().unwrap();
    let year = row.year;
    let siasn = |y: i32| format!("/api/v1/reports/siasn?year={y}");
    assert_eq!(app.get_ok(&siasn(year), &verifier).await.as_array().map(Vec::len), Some(1));

    let edits: Vec<(&str, certificate::ActiveModel)> = vec![
        (
            "completed_at",
            certificate::ActiveModel {
                completed_at: Set(row.completed_at - chrono::Duration::days(40)),
                ..row.clone().into_active_model()
            },
        ),
        ("year", certificate::ActiveModel { year: Set(year - 1), ..row.clone().into_active_model() }),
        (
            "person_id",
            certificate::ActiveModel {
                person_id: Set(person_id(&db, "198206152008012002").await),
                ..row.clone().into_active_model()
            },
        ),
        (
            "course_id",
            certificate::ActiveModel {
                course_id: Set(uuid::Uuid::now_v7()),
                ..row.clone().into_active_model()
            },
        ),
        ("jp", certificate::ActiveModel { jp: Set("20".into()), ..row.clone().into_active_model() }),
    ];
    for (column, edit) in edits {
        edit.update(&db).await.unwrap_or_else(|e| panic!("{column}: {e}"));
        let verdict: Value = app.get(&verify, None).await.json().await.unwrap();
        assert_eq!(status(verdict.clone()), "tampered", "{column}: {verdict}");
        let bulk =
            app.post_json("/api/v1/verify", Some(&verifier), &json!({"items": [{"code": code}]})).await;
        let bulk: Value = bulk.json().await.unwrap();
        assert_eq!(bulk["results"][0]["status"], "tampered", "{column}");
        for y in [year - 1, year] {
            assert_eq!(app.get_ok(&siasn(y), &verifier).await, json!([]), "{column}: SIASN {y}");
        }
        for token in [&c.learner, &other] {
            let list = app.get_ok("/api/v1/me/certificates", token).await;
            assert!(list.as_array().unwrap().iter().all(|c| c["altered"] == true), "{column}: {list}");
        }
        let (ok, audited, _) = audit(&app.env, None);
        assert!(!ok, "{column}");
        assert_eq!(broken_at(&audited), vec![1], "{column}: {audited}");
        row.clone().into_active_model().reset_all().update(&db).await.unwrap();
        assert_eq!(status(app.get(&verify, None).await.json().await.unwrap()), "valid", "{column} restored");
    }
    assert!(audit(&app.env, None).0);

    // A revocation erased from its row: the log's entry wins everywhere.
    let id = row.id;
    let res = app
        .post_json(
            &format!("/api/v1/certificates/{id}/revoke"),
            Some(&verifier),
            &json!({"reason": "Salah peserta"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let revoked = certificate::Entity::find_by_id(id).one(&db).await.unwrap().unwrap();
    let mut erased = revoked.clone().into_active_model();
    erased.revoked_at = Set(None);
    erased.revocation_reason = Set(None);
    erased.revoked_by = Set(None);
    erased.update(&db).await.unwrap();
    let verdict: Value = app.get(&verify, None).await.json().await.unwrap();
    assert_eq!(status(verdict.clone()), "revoked", "{verdict}");
    assert!(verdict["revoked_at"].is_string());
    assert_eq!(app.get_ok(&siasn(year), &verifier).await, json!([]));
    let mine = app.get_ok("/api/v1/me/certificates", &c.learner).await;
    assert!(mine[0]["revoked_at"].is_string(), "{mine}");
    let list: Value = app.get("/status/revocation", None).await.json().await.unwrap();
    assert!(list.to_string().contains(&format!("\"{}\"", revoked.status_index)), "{list}");
    let again = app
        .post_json(&format!("/api/v1/certificates/{id}/revoke"), Some(&verifier), &json!({"reason": "Lagi"}))
        .await;
    assert_eq!(error_code(again).await, "certificate_already_revoked");
    let (ok, audited, _) = audit(&app.env, None);
    assert!(!ok && named(&audited, "had its logged revocation erased"), "{audited}");
    db.close().await.ok();
}

#[tokio::test]
async fn an_external_record_or_its_evidence_edited_in_the_database_is_named_by_the_audit() {
    let app = TestApp::spawn().await;
    let verifier = app.signed_in("verifier").await;
    app.signed_in("learner").await;
    let body = json!({
        "nip": LEARNER_NIP, "course_name": "Pelatihan Kearsipan", "organiser": "Arsip Nasional",
        "start_date": "2026-10-01", "end_date": "2026-10-03", "jp": "4", "certificate_number": "ANRI/1",
        "training_type": 3, "reason": "Sertifikat fisik diperiksa"
    });
    let res = app.post_json("/api/v1/jp/external", Some(&verifier), &body).await;
    assert_eq!(res.status(), 201);
    let id: uuid::Uuid = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().parse().unwrap();
    let put = app
        .client
        .put(app.url(&format!("/api/v1/jp/external/{id}/evidence?name=s.pdf")))
        .bearer_auth(&verifier)
        .body(b"%PDF-1.4 minimal".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    assert!(audit(&app.env, None).0);
    let download = format!("/api/v1/jp/external/{id}/evidence");
    let file = app.client.get(app.url(&download)).bearer_auth(&verifier).send().await.unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.bytes().await.unwrap().as_ref(), b"%PDF-1.4 minimal");
    let db = database(&app).await;
    let row = external_training::Entity::find_by_id(id).one(&db).await.unwrap().unwrap();
    let edits = vec![
        (
            "record",
            external_training::ActiveModel { jp: Set("40".into()), ..row.clone().into_active_model() },
        ),
        (
            "evidence",
            external_training::ActiveModel {
                evidence: Set(Some(b"%PDF-1.4 forged".to_vec())),
                ..row.clone().into_active_model()
            },
        ),
        (
            // The file swapped together with its hash: only the log still knows the original.
            "evidence and its hash",
            external_training::ActiveModel {
                evidence: Set(Some(b"%PDF-1.4 forged".to_vec())),
                evidence_sha256: Set(Some(record_log::chain::sha256_hex(b"%PDF-1.4 forged"))),
                ..row.clone().into_active_model()
            },
        ),
        (
            "reversal",
            external_training::ActiveModel {
                reversed_at: Set(Some(row.recorded_at)),
                ..row.clone().into_active_model()
            },
        ),
    ];
    for (what, edit) in edits {
        edit.update(&db).await.unwrap();
        let (ok, audited, _) = audit(&app.env, None);
        assert!(!ok, "{what}");
        assert!(reasons(&audited).iter().any(|r| r.contains(&id.to_string())), "{what}: {audited}");
        if what.starts_with("evidence") {
            // Never handed out as the evidence it replaced.
            let file = app.client.get(app.url(&download)).bearer_auth(&verifier).send().await.unwrap();
            assert_eq!(error_code(file).await, "evidence_altered", "{what}");
        }
        row.clone().into_active_model().reset_all().update(&db).await.unwrap();
        assert!(audit(&app.env, None).0, "{what} restored");
    }
    db.close().await.ok();
}

#[tokio::test]
async fn a_revocation_whose_audit_row_cannot_be_written_does_not_happen() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    let verifier = app.signed_in("verifier").await;
    let c = course_worth(&app, post_test(3, 0, 4, false), "2").await;
    let id = pass(&app, &c).await["certificate"]["id"].as_str().unwrap().to_string();
    let db = database(&app).await;
    // The audit trail refuses this one event, as a full disk or a lost connection at that
    // statement would.
    let postgres = db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let (refuse, allow) = if postgres {
        (
            "ALTER TABLE audit_event ADD CONSTRAINT no_revocations CHECK (action <> 'certificate_revoked')",
            "ALTER TABLE audit_event DROP CONSTRAINT no_revocations",
        )
    } else {
        (
            "CREATE TRIGGER no_revocations BEFORE INSERT ON audit_event WHEN NEW.action = 'certificate_revoked' \
             BEGIN SELECT RAISE(ABORT, 'refused'); END",
            "DROP TRIGGER no_revocations",
        )
    };
    db.execute_unprepared(refuse).await.unwrap();
    let revoke = format!("/api/v1/certificates/{id}/revoke");
    let res = app.post_json(&revoke, Some(&verifier), &json!({"reason": "Salah peserta"})).await;
    assert!(res.status().is_server_error(), "{}", res.status());
    // Nothing of it happened: not revoked, no log entry, no reversal.
    let mine = app.get_ok("/api/v1/me/certificates", &c.learner).await;
    assert!(mine[0]["revoked_at"].is_null(), "{mine}");
    assert_eq!(app.get_ok("/api/v1/me/jp", &c.learner).await["credited"], "2");
    assert!(audit(&app.env, None).0);

    db.execute_unprepared(allow).await.unwrap();
    let res = app.post_json(&revoke, Some(&verifier), &json!({"reason": "Salah peserta"})).await;
    assert_eq!(res.status(), 200);
    use sea_orm::{ColumnTrait, QueryFilter};
    let rows = penkom_storage::entities::audit_event::Entity::find()
        .filter(penkom_storage::entities::audit_event::Column::Action.eq("certificate_revoked"))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].subject.as_deref(), Some(id.as_str()));
    db.close().await.ok();
}

//! E-mail end to end: a real SMTP conversation, mail kept while the SMTP server is down and sent
//! once when it returns, never again after a restart, and the yearly reminder once per person.

use std::time::Duration as StdDuration;

use chrono::Duration;
use serde_json::{Value, json};

use crate::post_test::{course_worth, post_test, right_answers, start_attempt, study_course, submit};
use crate::smtp_sink::SmtpSink;
use crate::support::{TestApp, TestEnv};

async fn app_with_smtp(port: u16) -> TestApp {
    let mut env = TestEnv::new().await;
    env.settings.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    TestApp::spawn_in(env).await
}

/// Completes a 1 JP course as the harness's learner; returns the certificate id.
async fn complete(app: &TestApp) -> String {
    let c = course_worth(app, post_test(3, 0, 4, false), "1").await;
    study_course(app, &c).await;
    let (_, attempt, _) = start_attempt(app, &c).await;
    let id = attempt["attempt_id"].as_str().unwrap().to_string();
    let answers = right_answers(&attempt["questions"]);
    app.put_json(&format!("/api/v1/attempts/{id}/answers"), &c.learner, &json!({ "answers": answers })).await;
    app.clock.advance(Duration::minutes(3));
    let (_, body) = submit(app, &c.learner, &id).await;
    body["certificate"]["id"].as_str().unwrap().to_string()
}

fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

#[tokio::test]
async fn certificate_mail_goes_through_a_real_smtp_conversation() {
    let sink = SmtpSink::start(true).await;
    let app = app_with_smtp(sink.port).await;
    let verifier = app.signed_in("verifier").await;
    let id = complete(&app).await;
    let messages = sink.wait_for(1).await;
    assert_eq!(messages.len(), 1);
    let issued = &messages[0];
    assert_eq!(header(issued, "To"), Some("learner@test.go.id"));
    assert!(header(issued, "Subject").unwrap().contains("Sertifikat terbit"), "{issued}");
    assert!(header(issued, "Message-ID").unwrap().ends_with("@penkom.test>"), "{issued}");
    assert!(issued.contains("Content-Type: application/pdf"), "the PDF is attached");
    assert!(issued.contains("Content-Type: text/html") && issued.contains("Content-Type: text/plain"));

    let res = app
        .post_json(
            &format!("/api/v1/certificates/{id}/revoke"),
            Some(&verifier),
            &json!({"reason": "Data keliru"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let messages = sink.wait_for(2).await;
    assert_eq!(messages.len(), 2);
    assert!(header(&messages[1], "Subject").unwrap().contains("Sertifikat dicabut"));
    assert!(messages[1].contains("Data keliru"));
}

async fn outbox_row(app: &TestApp) -> (Option<String>, i64, Option<String>) {
    use sea_orm::{ConnectionTrait, Statement};
    let db = penkom_storage::connect(&app.env.settings.effective_database_url().unwrap(), 1).await.unwrap();
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, "SELECT CAST(sent_at AS TEXT) AS s, CAST(attempts AS BIGINT) AS a, last_error AS e FROM email_outbox"))
        .await
        .unwrap()
        .unwrap();
    let r = (row.try_get("", "s").unwrap(), row.try_get("", "a").unwrap(), row.try_get("", "e").unwrap());
    db.close().await.ok();
    r
}

#[tokio::test]
async fn mail_waits_while_smtp_is_down_and_goes_once_when_it_is_back() {
    let sink = SmtpSink::start(false).await;
    let app = app_with_smtp(sink.port).await;
    complete(&app).await;
    let mut failed = (None, 0, None);
    for _ in 0..50 {
        failed = outbox_row(&app).await;
        // An attempt counts from its claim; its failure is recorded when the send gives up.
        if failed.2.is_some() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert_eq!(failed.0, None, "not sent");
    assert!(failed.1 >= 1 && failed.2.is_some(), "an attempt failed and was recorded: {failed:?}");

    assert_eq!(sink.count(), 0);
    // The server comes back; after the backoff the message goes, once.
    sink.up.store(true, std::sync::atomic::Ordering::SeqCst);
    app.clock.advance(Duration::minutes(10));
    let messages = sink.wait_for(1).await;
    assert_eq!(messages.len(), 1);
    let (sent, _, _) = outbox_row(&app).await;
    assert!(sent.is_some());

    // A restarted worker does not send what the server already accepted.
    let env = app.stop().await;
    let app = TestApp::spawn_in(env).await;
    app.clock.advance(Duration::hours(2));
    tokio::time::sleep(StdDuration::from_millis(2500)).await;
    assert_eq!(sink.count(), 1);
}

#[tokio::test]
async fn the_reminder_reaches_exactly_those_below_target_once_each() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("admin").await;
    let verifier = app.signed_in("verifier").await;
    let (nip, _) = app.person("199205052022032001", "pppk@test.go.id", "learner", "PPPK", "DISKOMINFO").await;
    app.person("199103172019031005", "learner@test.go.id", "learner", "PNS", "BKPSDM").await;
    // The PPPK reaches the target from outside Penkom; everyone else (all PNS) is short.
    let body = json!({"nip": nip, "course_name": "Diklat", "organiser": "LAN", "start_date": "2026-10-01",
        "end_date": "2026-10-05", "jp": "24", "certificate_number": "LAN/1", "training_type": 3, "reason": "Diperiksa"});
    assert_eq!(app.post_json("/api/v1/jp/external", Some(&verifier), &body).await.status(), 201);

    let res = app.put_json("/api/v1/admin/reminder", &admin, &json!({"month": 2, "day": 30})).await;
    assert_eq!(res.status(), 422);
    let res = app.put_json("/api/v1/admin/reminder", &admin, &json!({"month": 10, "day": 1})).await;
    assert_eq!(res.status(), 200);
    let first: Value = app
        .post_json("/api/v1/admin/reminders/run", Some(&admin), &json!({"year": 2026}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((first["below_target"].as_u64(), first["queued"].as_u64()), (Some(3), Some(3)), "{first}");
    let second: Value = app
        .post_json("/api/v1/admin/reminders/run", Some(&admin), &json!({"year": 2026}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((second["queued"].as_u64(), second["already_queued"].as_u64()), (Some(0), Some(3)));

    // Delivered to the mail folder (the embedded default): one file per person below target.
    let dir = app.env.settings.data_dir.join("mail");
    let mut files = Vec::new();
    for _ in 0..50 {
        // Only finished messages: one being written is a `.tmp` file until it is renamed.
        files = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                    .collect()
            })
            .unwrap_or_default();
        if files.len() >= 3 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    let mut recipients: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .map(|m| header(&m, "To").unwrap().to_string())
        .collect();
    recipients.sort();
    assert_eq!(recipients, ["admin@test.go.id", "learner@test.go.id", "verifier@test.go.id"]);
    let one = std::fs::read_to_string(&files[0]).unwrap();
    assert!(header(&one, "Subject").unwrap().starts_with("Pengingat JP 2026"), "{one}");
}

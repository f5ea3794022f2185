//! PostgreSQL ending the server's connections under load (a failover, a restart of PostgreSQL,
//! `pg_terminate_backend`): no request answers 500, and every write happens exactly once.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration as StdDuration;

use chrono::Duration;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::post_test::{Course, course_worth, post_test, right_answers, start_attempt, study_course, submit};
use crate::support::TestApp;

/// Statuses seen per kind of request.
type Seen = Arc<Mutex<BTreeMap<(&'static str, u16), usize>>>;

async fn note(seen: &Seen, kind: &'static str, status: u16) {
    *seen.lock().await.entry((kind, status)).or_default() += 1;
}

/// The PostgreSQL the suite runs on, if it does; else says why the test is skipped.
fn postgres_admin_url(why: &str) -> Option<String> {
    let url = std::env::var("PENKOM_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("skipped: PENKOM_TEST_DATABASE_URL is not set ({why})");
    }
    url
}

/// Learners enrolled on `c`'s course, each with its modules studied and an attempt whose right
/// answers are saved. Returns (learner token, attempt id) for `c`'s learner and three more.
async fn ready_to_submit(app: &TestApp, c: &Course) -> Vec<(String, String)> {
    let mut learners = vec![c.learner.clone()];
    for i in 0..3 {
        let nip = format!("19900101201501100{i}");
        let (nip, pw) = app.person(&nip, &format!("l{i}@test.go.id"), "learner", "PNS", "DINKES").await;
        let token = app.token(&nip, &pw).await;
        let res =
            app.post_json(&format!("/api/v1/courses/{}/enrollments", c.id), Some(&token), &json!({})).await;
        assert!(res.status().is_success());
        learners.push(token);
    }
    let mut ready = Vec::new();
    for token in learners {
        let mine = Course { id: c.id.clone(), learner: token.clone(), modules: c.modules.clone() };
        study_course(app, &mine).await;
        let (status, attempt, _) = start_attempt(app, &mine).await;
        assert_eq!(status, 201, "{attempt}");
        let id = attempt["attempt_id"].as_str().unwrap().to_string();
        let answers = right_answers(&attempt["questions"]);
        let res = app
            .put_json(&format!("/api/v1/attempts/{id}/answers"), &token, &json!({"answers": answers}))
            .await;
        assert_eq!(res.status(), 200);
        ready.push((token, id));
    }
    app.clock.advance(Duration::minutes(3));
    ready
}

#[tokio::test]
async fn terminated_database_connections_answer_503_never_500_and_writes_happen_once() {
    if postgres_admin_url("connections are ended on PostgreSQL").is_none() {
        return;
    }
    let app = TestApp::spawn().await;
    let c = course_worth(&app, post_test(3, 0, 4, false), "2").await;
    let learners = ready_to_submit(&app, &c).await;
    let db_url = app.env.settings.database_url.clone().unwrap();
    let killer_db = penkom_storage::connect(&db_url, 1).await.unwrap();

    let running = Arc::new(AtomicBool::new(true));
    let seen: Seen = Arc::default();
    // Every 40 ms, PostgreSQL ends every connection of the server, as a failover does.
    let killer = {
        let running = running.clone();
        tokio::spawn(async move {
            let mut ended = 0i64;
            while running.load(Ordering::SeqCst) {
                let row = killer_db
                    .query_one_raw(sea_orm::Statement::from_string(
                        sea_orm::DbBackend::Postgres,
                        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity \
                         WHERE datname = current_database() AND pid <> pg_backend_pid()",
                    ))
                    .await
                    .unwrap()
                    .unwrap();
                ended += row.try_get::<i64>("", "n").unwrap();
                tokio::time::sleep(StdDuration::from_millis(40)).await;
            }
            ended
        })
    };
    let app = Arc::new(app);
    let mut load = Vec::new();
    // Readers: the dashboard's questions, over and over.
    for (token, _) in learners.iter().take(2) {
        let (app, seen, running, token) = (app.clone(), seen.clone(), running.clone(), token.clone());
        load.push(tokio::spawn(async move {
            while running.load(Ordering::SeqCst) {
                for path in
                    ["/api/v1/me/jp", "/api/v1/me/certificates", "/api/v1/courses", "/api/v1/me/completions"]
                {
                    note(&seen, "read", app.get(path, Some(&token)).await.status().as_u16()).await;
                }
            }
        }));
    }
    // Writers: study sessions started, and one session beaten every 30 s of server time.
    {
        let (app, seen, running) = (app.clone(), seen.clone(), running.clone());
        let (token, module) = (learners[3].0.clone(), c.modules[0].clone());
        load.push(tokio::spawn(async move {
            while running.load(Ordering::SeqCst) {
                let path = format!("/api/v1/modules/{module}/sessions");
                note(
                    &seen,
                    "session_start",
                    app.post_json(&path, Some(&token), &json!({})).await.status().as_u16(),
                )
                .await;
            }
        }));
    }
    let studying = {
        let (app, seen, running) = (app.clone(), seen.clone(), running.clone());
        let (token, module) = (learners[2].0.clone(), c.modules[1].clone());
        tokio::spawn(async move {
            let path = format!("/api/v1/modules/{module}/sessions");
            let session = loop {
                let res = app.post_json(&path, Some(&token), &json!({})).await;
                if res.status() == 201 {
                    break res.json::<Value>().await.unwrap()["session_id"].as_str().unwrap().to_string();
                }
            };
            let beat = json!({"visible": true, "active": true});
            let mut live = 0;
            while running.load(Ordering::SeqCst) {
                app.clock.advance(Duration::seconds(30));
                let res = app
                    .post_json(&format!("/api/v1/sessions/{session}/heartbeat"), Some(&token), &beat)
                    .await;
                note(&seen, "heartbeat", res.status().as_u16()).await;
                if res.status() == 200 {
                    live = res.json::<Value>().await.unwrap()["module_credited_seconds"].as_i64().unwrap();
                }
            }
            (token, session, live)
        })
    };
    // Submitters: each learner submits until it is answered, retrying a 503 as a client should.
    // A pass whose certificate could not be issued yet (its connection dropped after the
    // completion committed) is submitted again, which issues it (else the sweep would).
    let mut submits = Vec::new();
    for (token, attempt) in learners.clone() {
        let (app, seen) = (app.clone(), seen.clone());
        submits.push(tokio::spawn(async move {
            tokio::time::sleep(StdDuration::from_millis(300)).await;
            loop {
                let (status, body) = submit(&app, &token, &attempt).await;
                note(&seen, "submit", status).await;
                if status != 503 && !(status == 200 && body["certificate"].is_null()) {
                    return (status, body);
                }
                tokio::time::sleep(StdDuration::from_millis(20)).await;
            }
        }));
    }
    let mut certificates = Vec::new();
    for s in submits {
        let (status, body) = s.await.unwrap();
        assert_eq!((status, body["passed"].as_bool()), (200, Some(true)), "{body}");
        certificates.push(body["certificate"]["id"].as_str().unwrap().to_string());
    }
    tokio::time::sleep(StdDuration::from_secs(2)).await;
    running.store(false, Ordering::SeqCst);
    for l in load {
        l.await.unwrap();
    }
    let (token, session, live) = studying.await.unwrap();
    let ended = killer.await.unwrap();
    let seen = seen.lock().await.clone();
    eprintln!("connections ended: {ended}; answers: {seen:?}");
    assert!(ended > 10, "PostgreSQL ended only {ended} connections");
    let faults: Vec<_> = seen.iter().filter(|((_, s), _)| *s >= 500 && *s != 503).collect();
    assert!(faults.is_empty(), "answers other than 503 for a dropped connection: {faults:?}");
    assert!(seen.keys().any(|(k, s)| *k == "read" && *s == 200), "reads were served: {seen:?}");

    // Study time: every second the live store credited reached the database (a checkpoint
    // whose write failed was put back and written again).
    let res = app.post_json(&format!("/api/v1/sessions/{session}/end"), Some(&token), &json!({})).await;
    assert_eq!(res.status(), 200);
    let written = res.json::<Value>().await.unwrap()["module_credited_seconds"].as_i64().unwrap();
    assert!(live > 0 && written >= live, "credited {live} s live, {written} s written");

    // Exactly once: one completion, one certificate and one credit per learner, as answered.
    for ((token, _), certificate) in learners.iter().zip(&certificates) {
        let completions = app.get_ok("/api/v1/me/completions", token).await;
        assert_eq!(completions.as_array().unwrap().len(), 1, "{completions}");
        let mine = app.get_ok("/api/v1/me/certificates", token).await;
        assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
        assert_eq!(mine[0]["id"].as_str(), Some(certificate.as_str()));
        let jp = app.get_ok("/api/v1/me/jp", token).await;
        assert_eq!(jp["entries"].as_array().map(Vec::len), Some(1), "{jp}");
    }
    let app = Arc::try_unwrap(app).ok().expect("no task holds the app");
    app.stop().await;
}

#[tokio::test]
async fn a_checkpoint_the_database_cannot_take_goes_back_into_the_stream_and_is_written_later() {
    let Some(admin_url) = postgres_admin_url("the database is closed on PostgreSQL") else {
        return;
    };
    let app = TestApp::spawn().await;
    let c = course_worth(&app, post_test(3, 0, 4, false), "1").await;
    let (token, module) = (c.learner.clone(), c.modules[0].clone());
    let res = app.post_json(&format!("/api/v1/modules/{module}/sessions"), Some(&token), &json!({})).await;
    let session = res.json::<Value>().await.unwrap()["session_id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/sessions/{session}/heartbeat");
    let body = json!({"visible": true, "active": true});
    let beat = |secs: i64| {
        app.clock.advance(Duration::seconds(secs));
        app.post_json(&path, Some(&token), &body)
    };
    assert_eq!(beat(30).await.status(), 200);

    // The database goes away for a while: no connection to it is allowed, and those the
    // server holds are ended.
    let name = app.env.settings.database_url.as_deref().unwrap().rsplit('/').next().unwrap().to_string();
    let admin = penkom_storage::connect(&admin_url, 1).await.unwrap();
    admin.execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false")).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .unwrap();
    // This beat makes a checkpoint due (60 s of credit); its write cannot be made.
    let res = beat(30).await;
    assert_eq!(res.status(), 503);
    assert!(res.headers().contains_key("retry-after"));
    admin.execute_unprepared(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true")).await.unwrap();

    // The credit went back into the stream: the next checkpoint writes all of it.
    let res = beat(30).await;
    assert_eq!(res.status(), 200);
    let live = res.json::<Value>().await.unwrap()["module_credited_seconds"].as_i64().unwrap();
    assert_eq!(live, 90);
    let res = app.post_json(&format!("/api/v1/sessions/{session}/end"), Some(&token), &json!({})).await;
    let written = res.json::<Value>().await.unwrap()["module_credited_seconds"].as_i64().unwrap();
    assert_eq!(written, 90, "nothing credited was lost with the failed write");
    admin.close().await.ok();
    app.stop().await;
}

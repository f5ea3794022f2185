//! Post-tests and verified course completion: the gate on modules, grading on the server, the
//! limits, answers that never leak, and exactly one completion with its evidence digest.

use chrono::Duration;
use serde_json::{Value, json};
use sha2::Digest;

use crate::support::{TestApp, TestEnv, error_code};

/// The question bank of the test course: (key, body, right option texts).
pub(crate) fn bank() -> Vec<(&'static str, Value, Vec<&'static str>)> {
    vec![
        (
            "q1",
            json!({"type": "single_choice", "text": "Ibu kota provinsi Sulawesi Selatan?", "explanation": "PENJELASAN-RAHASIA-1",
                "options": [{"text": "Makassar", "correct": true}, {"text": "Manado"}, {"text": "Kendari"}]}),
            vec!["Makassar"],
        ),
        (
            "q2",
            json!({"type": "multiple_choice", "text": "Mana yang termasuk ASN?", "explanation": "PENJELASAN-RAHASIA-2",
                "options": [{"text": "PNS", "correct": true}, {"text": "PPPK", "correct": true}, {"text": "Pegawai BUMN"}]}),
            vec!["PNS", "PPPK"],
        ),
        (
            "q3",
            json!({"type": "true_false", "text": "Satu JP sama dengan 45 menit.", "explanation": "PENJELASAN-RAHASIA-3", "answer": true}),
            vec!["Benar"],
        ),
        (
            "q4",
            json!({"type": "single_choice", "text": "Zona waktu Makassar?", "explanation": "PENJELASAN-RAHASIA-4",
                "options": [{"text": "WIB"}, {"text": "WITA", "correct": true}, {"text": "WIT"}]}),
            vec!["WITA"],
        ),
    ]
}

pub(crate) struct Course {
    pub id: String,
    pub learner: String,
    pub modules: Vec<String>,
}

/// A published 1 JP course with two required modules (20 and 25 minutes) and the bank above,
/// and a learner enrolled on it.
pub(crate) async fn course(app: &TestApp, post_test: Value) -> Course {
    course_worth(app, post_test, "1").await
}

/// As [`course`], worth `jp` JP.
pub(crate) async fn course_worth(app: &TestApp, post_test: Value, jp: &str) -> Course {
    let instructor = app.signed_in("instructor").await;
    let body = json!({
        "code": "UJI-1", "title": "Uji Akhir", "description": "D", "topic": "uji", "organiser": "BKPSDM",
        "jp": jp, "post_test": post_test
    });
    let res = app.post_json("/api/v1/instructor/courses", Some(&instructor), &body).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let base = format!("/api/v1/instructor/courses/{id}");
    // The modules' minimum times add up to exactly the JP's worth (20 + 25 minutes per JP).
    let per_jp: f64 = jp.parse().unwrap();
    for (key, order, mins) in [("a", 1, (20.0 * per_jp) as u32), ("b", 2, (25.0 * per_jp) as u32)] {
        let m = json!({"title": format!("Modul {key}"), "order": order, "min_engaged_minutes": mins, "body_markdown": "Isi"});
        assert_eq!(app.put_json(&format!("{base}/draft/modules/{key}"), &instructor, &m).await.status(), 200);
    }
    for (key, q, _) in bank() {
        let res = app.put_json(&format!("{base}/draft/questions/{key}"), &instructor, &q).await;
        assert_eq!(res.status(), 200, "{key}");
    }
    let res = app.post_json(&format!("{base}/publish"), Some(&instructor), &json!({})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let learner = app.signed_in("learner").await;
    let res = app.post_json(&format!("/api/v1/courses/{id}/enrollments"), Some(&learner), &json!({})).await;
    assert!(res.status().is_success());
    let detail = app.get_ok(&format!("/api/v1/courses/{id}"), &learner).await;
    let mut modules: Vec<(i64, String)> = detail["modules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["order"].as_i64().unwrap(), m["id"].as_str().unwrap().to_string()))
        .collect();
    modules.sort();
    Course { id, learner, modules: modules.into_iter().map(|(_, id)| id).collect() }
}

pub(crate) fn post_test(limit: u32, wait: u32, per_attempt: u32, review: bool) -> Value {
    json!({"pass_mark": 70, "attempt_limit": limit, "time_limit_minutes": 10, "questions_per_attempt": per_attempt,
        "wait_minutes_between_attempts": wait, "review_after_grading": review})
}

/// Studies `module` until it can be completed, and completes it. Returns every response body.
pub(crate) async fn study(app: &TestApp, token: &str, module: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let res = app.post_json(&format!("/api/v1/modules/{module}/sessions"), Some(token), &json!({})).await;
    assert_eq!(res.status(), 201);
    let body = res.text().await.unwrap();
    let session = serde_json::from_str::<Value>(&body).unwrap()["session_id"].as_str().unwrap().to_string();
    seen.push(body);
    loop {
        app.clock.advance(Duration::seconds(30));
        let res = app
            .post_json(
                &format!("/api/v1/sessions/{session}/heartbeat"),
                Some(token),
                &json!({"visible": true, "active": true}),
            )
            .await;
        assert_eq!(res.status(), 200);
        let body = res.text().await.unwrap();
        let done = serde_json::from_str::<Value>(&body).unwrap()["can_complete"] == true;
        seen.push(body);
        if done {
            break;
        }
    }
    let res = app.post_json(&format!("/api/v1/modules/{module}/complete"), Some(token), &json!({})).await;
    assert_eq!(res.status(), 200);
    seen.push(res.text().await.unwrap());
    seen
}

/// The labels that answer `question` (as shown in an attempt) correctly.
pub(crate) fn right_labels(question: &Value) -> Vec<String> {
    let text = question["text"].as_str().unwrap();
    let (_, _, right) = bank().into_iter().find(|(_, q, _)| q["text"] == text).unwrap();
    question["options"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| right.contains(&o["text"].as_str().unwrap()))
        .map(|o| o["label"].as_str().unwrap().to_string())
        .collect()
}

/// Right answers to every question of `questions` (an attempt's), as the answers body wants them.
pub(crate) fn right_answers(questions: &Value) -> serde_json::Map<String, Value> {
    questions
        .as_array()
        .unwrap()
        .iter()
        .map(|q| (q["id"].as_str().unwrap().to_string(), json!(right_labels(q))))
        .collect()
}

/// Asserts that a learner-visible body carries no answer key and no explanation.
fn assert_no_key(body: &str) {
    assert!(!body.contains("\"correct\""), "an answer key leaked: {body}");
    assert!(!body.contains("PENJELASAN-RAHASIA"), "an explanation leaked: {body}");
}

pub(crate) async fn start_attempt(app: &TestApp, c: &Course) -> (u16, Value, String) {
    let res =
        app.post_json(&format!("/api/v1/courses/{}/attempts", c.id), Some(&c.learner), &json!({})).await;
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap(), text)
}

pub(crate) async fn submit(app: &TestApp, token: &str, attempt: &str) -> (u16, Value) {
    let res = app.post_json(&format!("/api/v1/attempts/{attempt}/submit"), Some(token), &json!({})).await;
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn a_learner_studies_fails_once_passes_and_completes_exactly_once() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("admin").await;
    let c = course(&app, post_test(3, 0, 3, true)).await;
    let mut learner_bodies: Vec<String> = Vec::new();
    learner_bodies.push(app.get_ok(&format!("/api/v1/courses/{}", c.id), &c.learner).await.to_string());

    // The post-test stays locked until every required module is complete.
    let (status, body, _) = start_attempt(&app, &c).await;
    assert_eq!((status, body["error"]["code"].as_str().unwrap()), (409, "modules_incomplete"));
    assert_eq!(body["error"]["details"]["missing_modules"].as_array().unwrap().len(), 2);
    learner_bodies.extend(study(&app, &c.learner, &c.modules[0]).await);
    let (status, body, _) = start_attempt(&app, &c).await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["details"]["missing_modules"][0]["module_id"], c.modules[1].as_str());
    learner_bodies.extend(study(&app, &c.learner, &c.modules[1]).await);

    // First attempt: three of the four questions, answered with nothing.
    let (status, first, text) = start_attempt(&app, &c).await;
    assert_eq!(status, 201, "{first}");
    learner_bodies.push(text);
    assert_eq!(first["questions"].as_array().unwrap().len(), 3);
    assert!(first["result"].is_null() && first["review"].is_null());
    let first_id = first["attempt_id"].as_str().unwrap().to_string();
    // Starting again while it is open answers the same attempt.
    let (status, again, _) = start_attempt(&app, &c).await;
    assert_eq!((status, again["attempt_id"].as_str().unwrap()), (200, first_id.as_str()));
    let (status, failed) = submit(&app, &c.learner, &first_id).await;
    assert_eq!(status, 200);
    assert_eq!((failed["score"].as_u64(), failed["passed"].as_bool()), (Some(0), Some(false)));
    assert_eq!(failed["attempts_left"], 2);
    assert!(failed["completion"].is_null());
    let (_, resubmitted) = submit(&app, &c.learner, &first_id).await;
    assert_eq!(resubmitted, failed, "submitting twice answers the same result");
    // With attempts left, the review shows credit but not the key: questions repeat.
    let early = app.get_ok(&format!("/api/v1/attempts/{first_id}"), &c.learner).await;
    assert_eq!(early["result"]["score"], 0);
    let early_review = early["review"].as_array().unwrap();
    assert_eq!(early_review.len(), 3);
    assert!(early_review.iter().all(|r| r["correct"] == json!([]) && r["explanation"].is_null()), "{early}");

    // Second attempt: answered right, saved in two parts as a flaky connection would.
    let (status, second, text) = start_attempt(&app, &c).await;
    assert_eq!(status, 201);
    learner_bodies.push(text.clone());
    assert_eq!(second["number"], 2);
    let second_id = second["attempt_id"].as_str().unwrap().to_string();
    let questions = second["questions"].as_array().unwrap().clone();
    for part in questions.chunks(2) {
        let answers = right_answers(&json!(part));
        let res = app
            .put_json(
                &format!("/api/v1/attempts/{second_id}/answers"),
                &c.learner,
                &json!({"answers": answers}),
            )
            .await;
        assert_eq!(res.status(), 200);
        learner_bodies.push(res.text().await.unwrap());
    }
    let saved = app.get_ok(&format!("/api/v1/attempts/{second_id}"), &c.learner).await;
    assert_eq!(saved["answers"].as_object().unwrap().len(), 3, "both saves kept");
    learner_bodies.push(saved.to_string());
    for body in &learner_bodies {
        assert_no_key(body);
    }

    // Time passes on the simulated clock, as an administrator moves it.
    let res = app.post_json("/api/v1/admin/clock", Some(&admin), &json!({"advance_seconds": 240})).await;
    assert_eq!(res.status(), 200);
    let (status, passed) = submit(&app, &c.learner, &second_id).await;
    assert_eq!(status, 200);
    assert_eq!((passed["score"].as_u64(), passed["passed"].as_bool()), (Some(100), Some(true)));
    let completion = &passed["completion"];
    let evidence = &completion["evidence"];
    assert_eq!(evidence["course"]["code"], "UJI-1");
    assert_eq!(evidence["course"]["jp"], "1");
    assert_eq!(evidence["post_test"]["attempts"], 2);
    assert_eq!(evidence["post_test"]["best_score"], 100);
    assert_eq!(evidence["post_test"]["passed_in_seconds"], 240);
    assert_eq!(evidence["modules"][0]["engaged_minutes"], 20);
    assert_eq!(evidence["modules"][1]["engaged_minutes"], 25);
    assert_eq!(evidence["engaged_minutes"], 45);
    assert_eq!(completion["test_data"], true, "completed under a movable clock");
    let canonical = serde_json_canonicalizer::to_string(evidence).unwrap();
    assert_eq!(completion["evidence_digest"].as_str().unwrap(), hex::encode(sha2::Sha256::digest(canonical)));

    let (_, again) = submit(&app, &c.learner, &second_id).await;
    assert_eq!(again, passed, "a second submit of the passing attempt answers the same");
    let mine = app.get_ok("/api/v1/me/completions", &c.learner).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["evidence_digest"], completion["evidence_digest"]);
    let (status, body, _) = start_attempt(&app, &c).await;
    assert_eq!((status, body["error"]["code"].as_str().unwrap()), (409, "course_already_completed"));

    // Once graded, the review shows keys and explanations.
    let reviewed = app.get_ok(&format!("/api/v1/attempts/{first_id}"), &c.learner).await;
    let review = reviewed["review"].as_array().unwrap();
    assert_eq!(review.len(), 3);
    assert!(review.iter().all(|r| !r["correct"].as_array().unwrap().is_empty()));
    assert!(reviewed.to_string().contains("PENJELASAN-RAHASIA"));

    let progress = app.get_ok(&format!("/api/v1/me/courses/{}/progress", c.id), &c.learner).await;
    assert_eq!(progress["required_modules_done"], 2);
    assert_eq!(
        (progress["credited_minutes"].as_i64(), progress["required_minutes"].as_i64()),
        (Some(45), Some(45))
    );
    assert_eq!(progress["post_test"]["passed"], true);
    assert_eq!(progress["post_test"]["best_score"], 100);
    assert_eq!(progress["completion"]["id"], completion["id"]);
    app.stop().await;
}

/// Studies both modules of `c`.
pub(crate) async fn study_course(app: &TestApp, c: &Course) {
    for m in &c.modules {
        study(app, &c.learner, m).await;
    }
}

#[tokio::test]
async fn concurrent_starts_share_one_attempt_and_concurrent_submits_complete_once() {
    let app = TestApp::spawn().await;
    let c = course(&app, post_test(3, 0, 4, false)).await;
    study_course(&app, &c).await;
    let starts = futures::future::join_all((0..6).map(|_| start_attempt(&app, &c))).await;
    let ids: std::collections::BTreeSet<String> =
        starts.iter().map(|(_, b, _)| b["attempt_id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 1, "one attempt for six simultaneous starts");
    assert_eq!(starts.iter().filter(|(s, _, _)| *s == 201).count(), 1);
    let attempt = &starts[0].1;
    let id = attempt["attempt_id"].as_str().unwrap();
    let answers = right_answers(&attempt["questions"]);
    let res = app
        .put_json(&format!("/api/v1/attempts/{id}/answers"), &c.learner, &json!({"answers": answers}))
        .await;
    assert_eq!(res.status(), 200);
    app.clock.advance(Duration::minutes(3));
    let results = futures::future::join_all((0..8).map(|_| submit(&app, &c.learner, id))).await;
    let digests: std::collections::BTreeSet<String> = results
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, 200, "{b}");
            b["completion"]["evidence_digest"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(digests.len(), 1);
    let mine = app.get_ok("/api/v1/me/completions", &c.learner).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "exactly one completion");
    // Review is off for this course: a graded attempt shows no key.
    let graded = app.get(&format!("/api/v1/attempts/{id}"), Some(&c.learner)).await.text().await.unwrap();
    assert_no_key(&graded);
    app.stop().await;
}

#[tokio::test]
async fn the_wait_between_attempts_and_the_attempt_limit_hold() {
    let app = TestApp::spawn().await;
    let c = course(&app, post_test(2, 30, 2, true)).await;
    study_course(&app, &c).await;
    let (_, first, _) = start_attempt(&app, &c).await;
    submit(&app, &c.learner, first["attempt_id"].as_str().unwrap()).await;
    let res =
        app.post_json(&format!("/api/v1/courses/{}/attempts", c.id), Some(&c.learner), &json!({})).await;
    assert_eq!(res.status(), 409);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1790..=1800).contains(&retry), "{retry}");
    assert_eq!(error_code(res).await, "attempt_wait");
    let progress = app.get_ok(&format!("/api/v1/me/courses/{}/progress", c.id), &c.learner).await;
    assert!(progress["post_test"]["next_attempt_at"].is_string());
    app.clock.advance(Duration::minutes(30));
    let (status, second, _) = start_attempt(&app, &c).await;
    assert_eq!(status, 201);
    let (_, result) = submit(&app, &c.learner, second["attempt_id"].as_str().unwrap()).await;
    assert_eq!(result["attempts_left"], 0);
    let (_, first_again) = submit(&app, &c.learner, first["attempt_id"].as_str().unwrap()).await;
    assert_eq!(first_again["attempts_left"], 1, "an earlier attempt answers as it did");
    let progress = app.get_ok(&format!("/api/v1/me/courses/{}/progress", c.id), &c.learner).await;
    assert!(progress["post_test"]["next_attempt_at"].is_null(), "no attempt left, nothing to wait for");
    app.clock.advance(Duration::hours(1));
    let (status, body, _) = start_attempt(&app, &c).await;
    assert_eq!((status, body["error"]["code"].as_str().unwrap()), (409, "attempt_limit_reached"));
    app.stop().await;
}

#[tokio::test]
async fn answers_are_checked_and_a_late_attempt_is_graded_as_saved() {
    let app = TestApp::spawn().await;
    let c = course(&app, post_test(3, 0, 4, true)).await;
    study_course(&app, &c).await;
    let (_, attempt, _) = start_attempt(&app, &c).await;
    let id = attempt["attempt_id"].as_str().unwrap();
    let questions = attempt["questions"].as_array().unwrap();
    let single = questions.iter().find(|q| q["kind"] == "single_choice").unwrap();
    let qid = single["id"].as_str().unwrap();
    let path = format!("/api/v1/attempts/{id}/answers");
    for bad in [
        json!({"answers": {qid: ["A", "B"]}}),
        json!({"answers": {qid: ["Z"]}}),
        json!({"answers": {uuid_like(): ["A"]}}),
    ] {
        let res = app.put_json(&path, &c.learner, &bad).await;
        assert_eq!(res.status(), 422, "{bad}");
        assert_eq!(error_code(res).await, "invalid_answer");
    }
    let res = app.put_json(&path, &c.learner, &json!({"answers": {"not-a-uuid": ["A"]}})).await;
    assert_eq!(res.status(), 422);
    assert_eq!(error_code(res).await, "invalid_field");
    // One question right out of four, saved; then the time runs out.
    let res = app.put_json(&path, &c.learner, &json!({"answers": {qid: right_labels(single)}})).await;
    assert_eq!(res.status(), 200);
    app.clock.advance(Duration::minutes(12));
    let res = app.put_json(&path, &c.learner, &json!({"answers": {qid: ["A"]}})).await;
    assert_eq!(res.status(), 409);
    assert_eq!(error_code(res).await, "attempt_closed");
    // Read after the deadline, the abandoned attempt shows its grade on what was saved.
    let read = app.get_ok(&format!("/api/v1/attempts/{id}"), &c.learner).await;
    assert_eq!(
        (read["result"]["score"].as_u64(), read["result"]["passed"].as_bool()),
        (Some(25), Some(false))
    );
    let (status, graded) = submit(&app, &c.learner, id).await;
    assert_eq!(status, 200);
    assert_eq!((graded["score"].as_u64(), graded["passed"].as_bool()), (Some(25), Some(false)));
    let res = app.put_json(&path, &c.learner, &json!({"answers": {qid: ["A"]}})).await;
    assert_eq!(error_code(res).await, "attempt_submitted");
    // Someone else's attempt does not exist for them.
    let (nip, pw) = app.person("199505052020121006", "lain@test.go.id", "learner", "PNS", "DINKES").await;
    let stranger = app.token(&nip, &pw).await;
    let res = app.get(&format!("/api/v1/attempts/{id}"), Some(&stranger)).await;
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "attempt_not_found");
    let res = app.post_json(&format!("/api/v1/courses/{}/attempts", c.id), Some(&stranger), &json!({})).await;
    assert_eq!(error_code(res).await, "not_enrolled");
    app.stop().await;
}

fn uuid_like() -> String {
    "0190a5a4-0000-7000-8000-000000000000".into()
}

#[tokio::test]
async fn verifiers_see_fast_passes_and_days_at_the_cap() {
    let mut env = TestEnv::new().await;
    env.settings.daily_cap_minutes = 30;
    let app = TestApp::spawn_in(env).await;
    app.signed_in("verifier").await;
    let c = course(&app, post_test(3, 0, 4, true)).await;
    // Five days at the 30-minute cap: module A (20 min) on day one, then B over the days after.
    let mut token = c.learner.clone();
    for day in 0..5 {
        let module = if day == 0 { &c.modules[0] } else { &c.modules[1] };
        let res =
            app.post_json(&format!("/api/v1/modules/{module}/sessions"), Some(&token), &json!({})).await;
        let session = res.json::<Value>().await.unwrap()["session_id"].as_str().unwrap().to_string();
        for _ in 0..70 {
            app.clock.advance(Duration::seconds(30));
            app.post_json(
                &format!("/api/v1/sessions/{session}/heartbeat"),
                Some(&token),
                &json!({"visible": true, "active": true}),
            )
            .await;
        }
        app.post_json(&format!("/api/v1/sessions/{session}/end"), Some(&token), &json!({})).await;
        app.clock.advance(Duration::hours(24) - Duration::seconds(30 * 70));
        token = app.token("199103172019031005", "Rahasia-19031005").await;
    }
    for m in &c.modules {
        let res = app.post_json(&format!("/api/v1/modules/{m}/complete"), Some(&token), &json!({})).await;
        assert_eq!(res.status(), 200);
    }
    // A four-question post-test passed in no time at all.
    let res = app.post_json(&format!("/api/v1/courses/{}/attempts", c.id), Some(&token), &json!({})).await;
    let attempt: Value = res.json().await.unwrap();
    let id = attempt["attempt_id"].as_str().unwrap();
    let answers = right_answers(&attempt["questions"]);
    app.put_json(&format!("/api/v1/attempts/{id}/answers"), &token, &json!({"answers": answers})).await;
    let (_, passed) = submit(&app, &token, id).await;
    assert_eq!(passed["passed"], true);

    let verifier = app.token("198909092014031003", "Rahasia-14031003").await;
    assert_eq!(app.get("/api/v1/reports/anomalies", Some(&token)).await.status(), 403);
    let report = app.get_ok("/api/v1/reports/anomalies", &verifier).await;
    let kinds: Vec<&str> = report.as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 2, "{report}");
    let fast = report.as_array().unwrap().iter().find(|a| a["kind"] == "fast_post_test").unwrap();
    assert_eq!(fast["nip"], "199103172019031005");
    assert_eq!(fast["attempt_id"], id);
    assert_eq!(fast["seconds_taken"], 0);
    assert!(fast["reading_seconds"].as_i64().unwrap() > 0);
    let streak = report.as_array().unwrap().iter().find(|a| a["kind"] == "daily_cap_streak").unwrap();
    let days = streak["days"].as_array().unwrap();
    assert_eq!(days.len(), 5);
    assert!(days.iter().all(|d| d["minutes"] == 30), "{streak}");
    app.stop().await;
}

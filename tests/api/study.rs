//! Server-measured study time: sessions, heartbeats, one stream per learner, the daily cap,
//! checkpoints that survive restarts, and module completion.

use chrono::Duration;
use serde_json::{Value, json};

use crate::support::{TestApp, TestEnv, error_code};

/// A learner enrolled on a one-module course whose module needs `minutes` of study.
/// Returns (learner token, module id, second module id).
async fn enrolled(app: &TestApp, minutes: u32) -> (String, String, String) {
    let instructor = app.signed_in("instructor").await;
    let course = json!({
        "code": "STUDY-1", "title": "Belajar", "description": "D", "topic": "uji", "organiser": "BKPSDM",
        "jp": "1", "post_test": {"pass_mark": 70, "attempt_limit": 3, "time_limit_minutes": 10, "questions_per_attempt": 1}
    });
    let c: Value =
        app.post_json("/api/v1/instructor/courses", Some(&instructor), &course).await.json().await.unwrap();
    let id = c["id"].as_str().unwrap().to_string();
    let base = format!("/api/v1/instructor/courses/{id}");
    for (key, order, mins) in [("a", 1, minutes), ("b", 2, 45)] {
        let m = json!({"title": format!("Modul {key}"), "order": order, "min_engaged_minutes": mins, "body_markdown": "Isi"});
        assert_eq!(app.put_json(&format!("{base}/draft/modules/{key}"), &instructor, &m).await.status(), 200);
    }
    let q = json!({"type": "true_false", "text": "Ya?", "answer": true});
    app.put_json(&format!("{base}/draft/questions/q1"), &instructor, &q).await;
    let res = app.post_json(&format!("{base}/publish"), Some(&instructor), &json!({})).await;
    assert_eq!(res.status(), 200);
    let learner = app.signed_in("learner").await;
    app.post_json(&format!("/api/v1/courses/{id}/enrollments"), Some(&learner), &json!({})).await;
    let detail = app.get_ok(&format!("/api/v1/courses/{id}"), &learner).await;
    let module = |order: i64| {
        detail["modules"].as_array().unwrap().iter().find(|m| m["order"] == order).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    (learner, module(1), module(2))
}

/// Signs the learner of [`enrolled`] in again.
async fn relogin(app: &TestApp) -> String {
    app.token("199103172019031005", "Rahasia-19031005").await
}

async fn start(app: &TestApp, token: &str, module: &str) -> String {
    let res = app.post_json(&format!("/api/v1/modules/{module}/sessions"), Some(token), &json!({})).await;
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["heartbeat_interval_s"], 30);
    body["session_id"].as_str().unwrap().to_string()
}

async fn beat(app: &TestApp, token: &str, session: &str, visible: bool, active: bool) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/sessions/{session}/heartbeat"),
        Some(token),
        &json!({"visible": visible, "active": active}),
    )
    .await
}

/// Moves the clock `secs` forward and beats; returns the answer body (asserting 200).
async fn beat_after(app: &TestApp, token: &str, session: &str, secs: i64) -> Value {
    app.clock.advance(Duration::seconds(secs));
    let res = beat(app, token, session, true, true).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn a_module_completes_only_after_its_minimum_engaged_time() {
    let app = TestApp::spawn().await;
    let (learner, module, _) = enrolled(&app, 10).await;
    let session = start(&app, &learner, &module).await;
    let mut last = Value::Null;
    for _ in 0..19 {
        last = beat_after(&app, &learner, &session, 30).await;
    }
    assert_eq!(last["module_credited_seconds"], 570);
    assert_eq!(last["remaining_seconds"], 30);
    assert_eq!(last["can_complete"], false);
    let res = app.post_json(&format!("/api/v1/modules/{module}/complete"), Some(&learner), &json!({})).await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "insufficient_study_time");
    assert_eq!(body["error"]["details"]["missing_seconds"], 30);

    let last = beat_after(&app, &learner, &session, 30).await;
    assert_eq!(last["can_complete"], true);
    let res = app.post_json(&format!("/api/v1/modules/{module}/complete"), Some(&learner), &json!({})).await;
    assert_eq!(res.status(), 200);
    let first: Value = res.json().await.unwrap();
    assert_eq!(first["credited_seconds"], 600);
    let again: Value = app
        .post_json(&format!("/api/v1/modules/{module}/complete"), Some(&learner), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first, again, "completing twice answers the same completion");

    let evidence = app.get_ok(&format!("/api/v1/me/modules/{module}/progress"), &learner).await;
    assert_eq!(evidence["credited_seconds"], 600);
    assert!(evidence["completed_at"].is_string());
    let segments = evidence["sessions"][0]["segments"].as_array().unwrap();
    assert!(segments.len() >= 10, "checkpoints at least every 60 s of credit: {}", segments.len());
    let beats: i64 = segments.iter().map(|s| s["beats"].as_i64().unwrap()).sum();
    assert_eq!(beats, 20);
    let credited: i64 = segments.iter().map(|s| s["credited_seconds"].as_i64().unwrap()).sum();
    assert_eq!(credited, 600, "the evidence explains every credited second");
    app.stop().await;
}

#[tokio::test]
async fn hidden_inactive_idle_and_too_fast_beats_earn_nothing_with_reasons() {
    let app = TestApp::spawn().await;
    let (learner, module, _) = enrolled(&app, 10).await;
    let session = start(&app, &learner, &module).await;

    app.clock.advance(Duration::seconds(2));
    let res = beat(&app, &learner, &session, true, true).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert_eq!(error_code(res).await, "heartbeat_too_fast");

    app.clock.advance(Duration::seconds(28));
    let body: Value = beat(&app, &learner, &session, false, true).await.json().await.unwrap();
    assert_eq!(body["module_credited_seconds"], 0, "hidden page");
    app.clock.advance(Duration::seconds(30));
    let body: Value = beat(&app, &learner, &session, true, false).await.json().await.unwrap();
    assert_eq!(body["module_credited_seconds"], 0, "no interaction");
    let body = beat_after(&app, &learner, &session, 600).await;
    assert_eq!(body["module_credited_seconds"], 0, "a ten-minute gap is idle");
    let body = beat_after(&app, &learner, &session, 90).await;
    assert_eq!(body["module_credited_seconds"], 45, "a late beat credits at most interval + grace");

    let res = app.post_json(&format!("/api/v1/sessions/{session}/end"), Some(&learner), &json!({})).await;
    assert_eq!(res.status(), 200);
    let evidence = app.get_ok(&format!("/api/v1/me/modules/{module}/progress"), &learner).await;
    let refused: i64 = evidence["sessions"][0]["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["too_fast_beats"].as_i64().unwrap())
        .sum();
    assert_eq!(refused, 1, "the refused beat is in the evidence: {evidence}");
    let mut rejected = std::collections::BTreeMap::<String, i64>::new();
    for seg in evidence["sessions"][0]["segments"].as_array().unwrap() {
        for (k, v) in seg["rejected_seconds"].as_object().unwrap() {
            *rejected.entry(k.clone()).or_default() += v.as_i64().unwrap();
        }
    }
    assert_eq!(rejected.get("not_visible"), Some(&30));
    assert_eq!(rejected.get("inactive"), Some(&30));
    assert_eq!(rejected.get("idle_gap"), Some(&600));
    assert_eq!(rejected.get("over_beat_cap"), Some(&45));
    assert_eq!(evidence["sessions"][0]["end_reason"], "ended");
    let res = beat(&app, &learner, &session, true, true).await;
    assert_eq!(error_code(res).await, "session_ended");
    app.stop().await;
}

#[tokio::test]
async fn one_stream_per_learner_and_parallel_devices_never_beat_the_clock() {
    let app = TestApp::spawn().await;
    let (learner, module_a, module_b) = enrolled(&app, 10).await;
    let first = start(&app, &learner, &module_a).await;
    beat_after(&app, &learner, &first, 30).await;
    let second = start(&app, &learner, &module_b).await;
    app.clock.advance(Duration::seconds(30));
    let res = beat(&app, &learner, &first, true, true).await;
    assert_eq!(res.status(), 409);
    assert_eq!(error_code(res).await, "session_superseded");

    // Two devices beat the same session at the same moment, many times: together they never
    // credit more than the wall-clock time that passed.
    let mut wall = 30;
    let mut credited = 0;
    for _ in 0..10 {
        let (a, b) = tokio::join!(
            beat(&app, &learner, &second, true, true),
            beat(&app, &learner, &second, true, true)
        );
        for res in [a, b] {
            if res.status() == 200 {
                let body: Value = res.json().await.unwrap();
                credited = credited.max(body["session_credited_seconds"].as_i64().unwrap());
            }
        }
        assert!(credited <= wall, "credited {credited} > wall clock {wall}");
        app.clock.advance(Duration::seconds(30));
        wall += 30;
    }
    assert!(credited >= 240, "the beats did credit: {credited}");
    // Across both sessions, the learner never earned more than the wall clock since the first
    // session started.
    let a: Value = app.get_ok(&format!("/api/v1/me/modules/{module_a}/progress"), &learner).await;
    let b: Value = app.get_ok(&format!("/api/v1/me/modules/{module_b}/progress"), &learner).await;
    let total = a["credited_seconds"].as_i64().unwrap() + b["credited_seconds"].as_i64().unwrap();
    assert!(total <= wall, "{total} s credited in {wall} s");
    let evidence = app.get_ok(&format!("/api/v1/me/modules/{module_a}/progress"), &learner).await;
    assert_eq!(evidence["sessions"][0]["end_reason"], "superseded");
    assert_eq!(evidence["credited_seconds"], 30, "the superseded session's credit was kept");
    app.stop().await;
}

#[tokio::test]
async fn concurrent_starts_leave_one_active_session_in_the_live_store_and_the_database() {
    let app = TestApp::spawn().await;
    let (learner, module_a, module_b) = enrolled(&app, 10).await;
    let starts = (0..10).map(|i| start(&app, &learner, if i % 2 == 0 { &module_a } else { &module_b }));
    let sessions = futures::future::join_all(starts).await;
    app.clock.advance(Duration::seconds(30));
    let mut beating = Vec::new();
    for session in &sessions {
        let res = beat(&app, &learner, session, true, true).await;
        if res.status() == 200 {
            beating.push(session.clone());
        } else {
            assert_eq!(error_code(res).await, "session_superseded");
        }
    }
    assert_eq!(beating.len(), 1, "exactly one of the started sessions earns");
    // The evidence names the same session, and only it, as still running.
    let mut open = Vec::new();
    for module in [&module_a, &module_b] {
        let evidence = app.get_ok(&format!("/api/v1/me/modules/{module}/progress"), &learner).await;
        for s in evidence["sessions"].as_array().unwrap() {
            if s["ended_at"].is_null() {
                open.push(s["id"].as_str().unwrap().to_string());
            } else {
                assert_eq!(s["end_reason"], "superseded");
            }
        }
    }
    assert_eq!(open, beating, "the database agrees with the live store");
    app.stop().await;
}

#[tokio::test]
async fn the_daily_cap_holds_and_a_new_local_day_starts_afresh() {
    let mut env = TestEnv::new().await;
    env.settings.daily_cap_minutes = 2;
    let app = TestApp::spawn_in(env).await;
    let (learner, module, _) = enrolled(&app, 10).await;
    let session = start(&app, &learner, &module).await;
    let mut last = Value::Null;
    for _ in 0..8 {
        last = beat_after(&app, &learner, &session, 30).await;
    }
    assert_eq!(last["module_credited_seconds"], 120, "two minutes a day");
    // The test clock starts at 09:00 WITA; 15 hours later it is a new local day.
    app.clock.advance(Duration::hours(15));
    let learner = relogin(&app).await; // the sign-in token lives 12 hours
    beat_after(&app, &learner, &session, 0).await; // an idle-gap beat re-anchors the stream
    let body = beat_after(&app, &learner, &session, 30).await;
    assert_eq!(body["module_credited_seconds"], 150);
    let evidence = app.get_ok(&format!("/api/v1/me/modules/{module}/progress"), &learner).await;
    let capped: i64 = evidence["sessions"][0]["segments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["rejected_seconds"]["daily_cap"].as_i64())
        .sum();
    assert_eq!(capped, 120, "the capped time is explained");
    app.stop().await;
}

#[tokio::test]
async fn restarts_lose_at_most_one_checkpoint_interval_and_never_a_completion() {
    let app = TestApp::spawn().await;
    let (learner, module, other) = enrolled(&app, 5).await;
    let session = start(&app, &learner, &module).await;
    for _ in 0..10 {
        beat_after(&app, &learner, &session, 30).await;
    }
    let res = app.post_json(&format!("/api/v1/modules/{module}/complete"), Some(&learner), &json!({})).await;
    assert_eq!(res.status(), 200);
    let session = start(&app, &learner, &other).await;
    let mut before = 0;
    for _ in 0..7 {
        before = beat_after(&app, &learner, &session, 30).await["module_credited_seconds"].as_i64().unwrap();
    }
    assert_eq!(before, 210);

    // The live store loses everything (a Redis restart): the stream is rebuilt from checkpoints,
    // and the beat that finds it missing still earns (judged against the last checkpoint).
    app.env_live_clear(&learner).await;
    let after = beat_after(&app, &learner, &session, 30).await["module_credited_seconds"].as_i64().unwrap();
    assert!(
        after > before && after <= before + 30 && before + 30 - after < 60,
        "lost {} s",
        before + 30 - after
    );

    // The server restarts.
    let clock = app.clock.clone();
    let env = app.stop().await;
    let app = TestApp::spawn_in(env).await;
    app.clock.set(penkom_core::Clock::now(&clock));
    let learner = relogin(&app).await;
    let again = beat_after(&app, &learner, &session, 30).await["module_credited_seconds"].as_i64().unwrap();
    assert!(again >= after - 60 && again <= after + 30, "lost {} s", after - again);
    let evidence = app.get_ok(&format!("/api/v1/me/modules/{module}/progress"), &learner).await;
    assert!(evidence["completed_at"].is_string(), "the completion survived");
    app.stop().await;
}

#[tokio::test]
async fn losing_the_live_stream_costs_less_than_one_checkpoint_interval_at_every_beat_spacing() {
    let app = TestApp::spawn().await;
    let (learner, module, _) = enrolled(&app, 600).await;
    // On time, late within the grace, and later than the beat cap (each such beat earns 45 s).
    for spacing in [20, 29, 30, 40, 44, 61, 90] {
        for lost_after in [1, 2, 3] {
            let res = app
                .post_json(&format!("/api/v1/modules/{module}/sessions"), Some(&learner), &json!({}))
                .await;
            let started: Value = res.json().await.unwrap();
            let session = started["session_id"].as_str().unwrap().to_string();
            let before = started["credited_seconds"].as_i64().unwrap();
            let beats = 6;
            let mut credited = before;
            for i in 0..beats {
                if i == lost_after {
                    // The live store forgets the stream (Redis restarted empty; with Redis this
                    // node still remembers the stream it stored).
                    app.env_live_clear(&learner).await;
                }
                credited = beat_after(&app, &learner, &session, spacing).await["module_credited_seconds"]
                    .as_i64()
                    .unwrap();
            }
            let kept = beats * spacing.min(45);
            let earned = credited - before;
            assert!(
                earned <= kept && kept - earned < 60,
                "beats {spacing} s apart, stream lost after beat {lost_after}: earned {earned} s of {kept} s"
            );
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn evidence_written_twice_from_one_start_is_kept_once_the_longer_copy_winning() {
    let app = TestApp::spawn().await;
    let (learner, module, _) = enrolled(&app, 600).await;
    let session = start(&app, &learner, &module).await;
    beat_after(&app, &learner, &session, 30).await;
    let key = app.stream_key(&learner).await;
    let snapshot = app.live.load(&key).await.unwrap().unwrap();
    // This beat checkpoints 60 s: a segment from the session start.
    beat_after(&app, &learner, &session, 30).await;
    // The live store comes back from the older snapshot (30 s pending from the start, already
    // written as part of that segment), and the stream goes on from there.
    let now = app.live.load(&key).await.unwrap().unwrap();
    let stored =
        app.live.store_if(&key, now.version, &snapshot.value, std::time::Duration::from_secs(600)).await;
    assert!(stored.unwrap().is_stored());
    // 60 s since the snapshot's last beat: 45 s credited, and a checkpoint from the same start.
    let live = beat_after(&app, &learner, &session, 30).await["module_credited_seconds"].as_i64().unwrap();
    assert_eq!(live, 75);
    let res = app.post_json(&format!("/api/v1/sessions/{session}/end"), Some(&learner), &json!({})).await;
    let written: Value = res.json().await.unwrap();
    assert_eq!(written["module_credited_seconds"], 75, "the longer copy stands, counted once: {written}");
    let evidence = app.get_ok(&format!("/api/v1/me/modules/{module}/progress"), &learner).await;
    let segments = evidence["sessions"][0]["segments"].as_array().unwrap().len();
    assert_eq!(segments, 1, "one segment from the session start: {evidence}");
    app.stop().await;
}

#[tokio::test]
async fn the_simulated_clock_moves_only_when_enabled_and_only_forward() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("admin").await;
    let before = penkom_core::Clock::now(&app.clock);
    let res = app.post_json("/api/v1/admin/clock", Some(&admin), &json!({"advance_seconds": 3600})).await;
    assert_eq!(res.status(), 200);
    assert_eq!(penkom_core::Clock::now(&app.clock) - before, Duration::hours(1));
    let res = app.post_json("/api/v1/admin/clock", Some(&admin), &json!({"advance_seconds": -5})).await;
    assert_eq!(res.status(), 422);
    app.stop().await;
}

#[tokio::test]
async fn two_api_nodes_share_one_stream_and_one_daily_cap() {
    if std::env::var("PENKOM_TEST_REDIS_URL").map_or(true, |u| u.is_empty()) {
        return; // Nodes share live state only through Redis; `.ci/run` sets it.
    }
    let mut env = TestEnv::new().await;
    env.settings.daily_cap_minutes = 2;
    let second_env = env.second_node();
    let a = TestApp::spawn_in(env).await;
    let b = TestApp::spawn_in(second_env).await;
    let (learner, module, other) = enrolled(&a, 10).await;
    let on_a = start(&a, &learner, &module).await;
    let on_b = start(&b, &learner, &other).await;
    a.clock.advance(Duration::seconds(30));
    b.clock.advance(Duration::seconds(30));
    let res = beat(&a, &learner, &on_a, true, true).await;
    assert_eq!(error_code(res).await, "session_superseded", "the stream moved to node B");
    let mut credited = 0;
    for i in 0..8 {
        let node = if i % 2 == 0 { &a } else { &b };
        let res = beat(node, &learner, &on_b, true, true).await;
        assert_eq!(res.status(), 200);
        credited = res.json::<Value>().await.unwrap()["module_credited_seconds"].as_i64().unwrap();
        a.clock.advance(Duration::seconds(30));
        b.clock.advance(Duration::seconds(30));
    }
    assert_eq!(credited, 120, "the daily cap holds across nodes");
    b.stop().await;
    a.stop().await;
}

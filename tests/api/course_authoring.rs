//! The instructor API: drafts, the JP publishing rule, immutable published versions, ownership.

use serde_json::{Value, json};

use crate::support::{TestApp, error_code};

fn new_course(code: &str, jp: Value) -> Value {
    json!({
        "code": code,
        "title": "Pelayanan Prima",
        "description": "Kursus uji untuk pelayanan prima.",
        "topic": "pelayanan",
        "organiser": "BKPSDM Kota Balikpapan",
        "jp": jp,
        "post_test": {"pass_mark": 70, "attempt_limit": 3, "time_limit_minutes": 10, "questions_per_attempt": 2}
    })
}

fn module(order: u32, minutes: u32, body: &str) -> Value {
    json!({"title": format!("Modul {order}"), "order": order, "min_engaged_minutes": minutes, "body_markdown": body})
}

#[tokio::test]
async fn publishing_needs_enough_study_time_and_names_the_shortfall() {
    let app = TestApp::spawn().await;
    let instructor = app.signed_in("instructor").await;
    let learner = app.signed_in("learner").await;

    let res = app
        .post_json("/api/v1/instructor/courses", Some(&instructor), &new_course("PP-01", json!(1.5)))
        .await;
    assert_eq!(res.status(), 422, "a floating-point JP is refused");
    let res = app
        .post_json("/api/v1/instructor/courses", Some(&instructor), &new_course("PP-01", json!("2")))
        .await;
    assert_eq!(res.status(), 201);
    let course: Value = res.json().await.unwrap();
    let id = course["id"].as_str().unwrap().to_string();
    assert_eq!(course["versions"][0]["status"], "draft");
    let res = app
        .post_json("/api/v1/instructor/courses", Some(&instructor), &new_course("pp-01", json!("2")))
        .await;
    assert_eq!(error_code(res).await, "course_code_taken");

    let base = format!("/api/v1/instructor/courses/{id}");
    app.put_json(&format!("{base}/draft/modules/01-sikap"), &instructor, &module(1, 30, "# Sikap\n\nIsi."))
        .await;
    app.put_json(
        &format!("{base}/draft/questions/q1"),
        &instructor,
        &json!({"type": "true_false", "text": "Senyum itu penting.", "answer": true, "explanation": "Rahasia-penjelasan-1"}),
    )
    .await;
    let res = app
        .put_json(
            &format!("{base}/draft/questions/q2"),
            &instructor,
            &json!({"type": "single_choice", "text": "Pilih satu", "options": [{"text": "A", "correct": true}, {"text": "B"}]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let draft: Value = res.json().await.unwrap();
    assert!(draft["draft_problems"][0].as_str().unwrap().contains("kurang 60 menit"), "{draft}");

    // Drafts are invisible to learners.
    assert_eq!(app.get(&format!("/api/v1/courses/{id}"), Some(&learner)).await.status(), 404);
    assert!(app.get_ok("/api/v1/courses", &learner).await.as_array().unwrap().is_empty());

    let res = app.post_json(&format!("{base}/publish"), Some(&instructor), &json!({})).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_publishable");
    assert_eq!(body["error"]["details"]["shortfall_minutes"], "60", "2 JP × 45 = 90 minutes, 30 present");

    app.put_json(&format!("{base}/draft/modules/02-empati"), &instructor, &module(2, 60, "# Empati")).await;
    let preview = app.get_ok(&format!("{base}/preview"), &instructor).await;
    assert_eq!(preview["modules"].as_array().unwrap().len(), 2);
    let preview_text = preview.to_string();
    assert!(
        !preview_text.contains("\"correct\"") && !preview_text.contains("Rahasia-penjelasan-1"),
        "preview shows no keys"
    );

    let res = app.post_json(&format!("{base}/publish"), Some(&instructor), &json!({})).await;
    assert_eq!(res.status(), 200);
    let published: Value = res.json().await.unwrap();
    let hash_v1 = published["versions"][0]["content_hash"].as_str().unwrap().to_string();
    assert_eq!(hash_v1.len(), 64);
    let res = app.post_json(&format!("{base}/publish"), Some(&instructor), &json!({})).await;
    assert_eq!(error_code(res).await, "nothing_to_publish");

    // A learner enrols on version 1; the instructor edits, which makes a draft of version 2.
    app.post_json(&format!("/api/v1/courses/{id}/enrollments"), Some(&learner), &json!({})).await;
    let res = app
        .put_json(
            &format!("{base}/draft/modules/01-sikap"),
            &instructor,
            &module(1, 30, "# Sikap\n\nIsi baru."),
        )
        .await;
    let edited: Value = res.json().await.unwrap();
    assert_eq!(edited["versions"][0]["version"], 2);
    assert_eq!(edited["versions"][0]["status"], "draft");
    assert_eq!(edited["published"]["content_hash"], hash_v1.as_str(), "the published version is untouched");
    let res = app
        .put_json(
            &format!("{base}/draft/module-order"),
            &instructor,
            &json!({"keys": ["02-empati", "01-sikap"]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .put_json(&format!("{base}/draft/module-order"), &instructor, &json!({"keys": ["02-empati"]}))
        .await;
    assert_eq!(error_code(res).await, "invalid_module_order");
    let res = app
        .put_json(&format!("{base}/draft/question-order"), &instructor, &json!({"keys": ["q2", "q1"]}))
        .await;
    let reordered: Value = res.json().await.unwrap();
    assert_eq!(reordered["draft"]["questions"][0]["key"], "q2", "{reordered}");
    let res = app.post_json(&format!("{base}/publish"), Some(&instructor), &json!({})).await;
    assert_eq!(res.status(), 200);

    let detail = app.get_ok(&format!("/api/v1/courses/{id}"), &learner).await;
    assert_eq!(detail["version"], 1);
    assert_eq!(detail["content_hash"], hash_v1.as_str());
    assert_eq!(detail["modules"][0]["title"], "Modul 1", "version 1 keeps its order");

    // Retiring hides the course from the catalog but not from its learners.
    let res = app.post_json(&format!("{base}/retire"), Some(&instructor), &json!({})).await;
    assert_eq!(res.status(), 200);
    assert!(app.get_ok("/api/v1/courses", &learner).await.as_array().unwrap().is_empty());
    app.get_ok(&format!("/api/v1/courses/{id}"), &learner).await;
    let res = app.put_json(&format!("{base}/draft/modules/03-x"), &instructor, &module(3, 10, "x")).await;
    assert_eq!(error_code(res).await, "course_retired");
    app.stop().await;
}

#[tokio::test]
async fn instructors_only_touch_their_own_courses() {
    let app = TestApp::spawn().await;
    let owner = app.signed_in("instructor").await;
    let (nip, pw) = app.person("199001012015011001", "lain@test.go.id", "instructor", "PNS", "BKPSDM").await;
    let other = app.token(&nip, &pw).await;
    let admin = app.signed_in("admin").await;

    let course: Value = app
        .post_json("/api/v1/instructor/courses", Some(&owner), &new_course("OWN-1", json!("1")))
        .await
        .json()
        .await
        .unwrap();
    let id = course["id"].as_str().unwrap();
    let res = app.get(&format!("/api/v1/instructor/courses/{id}"), Some(&other)).await;
    assert_eq!(res.status(), 404, "another instructor's course does not exist for them");
    let res = app
        .put_json(&format!("/api/v1/instructor/courses/{id}/draft/modules/a"), &other, &module(1, 45, "x"))
        .await;
    assert_eq!(res.status(), 404);
    assert!(app.get_ok("/api/v1/instructor/courses", &other).await.as_array().unwrap().is_empty());
    assert_eq!(app.get_ok("/api/v1/instructor/courses", &admin).await.as_array().unwrap().len(), 1);
    let res = app
        .put_json(&format!("/api/v1/instructor/courses/{id}/draft/modules/a"), &admin, &module(1, 45, "x"))
        .await;
    assert_eq!(res.status(), 200, "administrators may edit any course");
    let res = app
        .put_json(
            &format!("/api/v1/instructor/courses/{id}/draft/modules/bad%20key"),
            &owner,
            &module(1, 45, "x"),
        )
        .await;
    assert_eq!(error_code(res).await, "invalid_path_parameter");

    // Courses from content files change only through their files.
    app.courses
        .import_content_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content"))
        .await
        .unwrap();
    let all = app.get_ok("/api/v1/instructor/courses", &admin).await;
    let content = all.as_array().unwrap().iter().find(|c| c["source"] == "content").unwrap();
    let cid = content["id"].as_str().unwrap();
    let res = app
        .put_json(&format!("/api/v1/instructor/courses/{cid}/draft/modules/x"), &admin, &module(9, 45, "x"))
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(error_code(res).await, "content_managed_course");
    app.stop().await;
}

#[tokio::test]
async fn concurrent_edits_and_publishes_lose_nothing_and_never_change_a_published_version() {
    let app = TestApp::spawn().await;
    let instructor = app.signed_in("instructor").await;
    let course: Value = app
        .post_json("/api/v1/instructor/courses", Some(&instructor), &new_course("RACE-1", json!("1")))
        .await
        .json()
        .await
        .unwrap();
    let id = course["id"].as_str().unwrap().to_string();
    let base = format!("/api/v1/instructor/courses/{id}");
    app.put_json(
        &format!("{base}/draft/questions/q1"),
        &instructor,
        &json!({"type": "true_false", "text": "Ya?", "answer": true}),
    )
    .await;
    app.put_json(
        &format!("{base}/draft/questions/q2"),
        &instructor,
        &json!({"type": "true_false", "text": "Tidak?", "answer": false}),
    )
    .await;
    // Eight modules added at once: every one must survive.
    let adds = (1..=8).map(|i| {
        let (app, instructor, base) = (&app, &instructor, &base);
        async move {
            app.put_json(&format!("{base}/draft/modules/m{i}"), instructor, &module(i, 10, "isi"))
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(adds).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let detail = app.get_ok(&base, &instructor).await;
    assert_eq!(detail["draft"]["modules"].as_array().unwrap().len(), 8, "no concurrent edit was lost");

    // An edit racing a publish: whichever wins, the published version's stored hash is the hash
    // of exactly the content it holds.
    let (publish_path, edit_path) = (format!("{base}/publish"), format!("{base}/draft/modules/m1"));
    let (empty, changed) = (json!({}), module(1, 10, "isi yang diubah"));
    let (published, edited) = tokio::join!(
        app.post_json(&publish_path, Some(&instructor), &empty),
        app.put_json(&edit_path, &instructor, &changed)
    );
    assert_eq!(published.status(), 200);
    assert_eq!(edited.status(), 200);
    let detail = app.get_ok(&base, &instructor).await;
    let stored = detail["versions"].as_array().unwrap().iter().find(|v| v["status"] == "published").unwrap();
    assert_eq!(
        stored["content_hash"], detail["published"]["content_hash"],
        "stored hash matches the stored content"
    );
    app.stop().await;
}

#[tokio::test]
async fn out_of_range_numbers_are_refused_not_clamped() {
    let app = TestApp::spawn().await;
    let instructor = app.signed_in("instructor").await;
    let course: Value = app
        .post_json("/api/v1/instructor/courses", Some(&instructor), &new_course("BIG-1", json!("1")))
        .await
        .json()
        .await
        .unwrap();
    let base = format!("/api/v1/instructor/courses/{}", course["id"].as_str().unwrap());
    let res =
        app.put_json(&format!("{base}/draft/modules/a"), &instructor, &module(4_000_000_000, 10, "x")).await;
    assert_eq!(res.status(), 422);
    let res =
        app.put_json(&format!("{base}/draft/modules/a"), &instructor, &module(1, 4_000_000_000, "x")).await;
    assert_eq!(res.status(), 422);
    assert_eq!(error_code(res).await, "invalid_field");
    let res = app
        .put_json(
            &format!("{base}/draft/modules/a"),
            &instructor,
            &json!({"title": "x", "order": -1, "min_engaged_minutes": 1, "body_markdown": "x"}),
        )
        .await;
    assert_eq!(res.status(), 422);
    app.stop().await;
}

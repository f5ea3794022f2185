//! Course content as files: check, idempotent import, versions, retirement, the catalog and
//! enrolment, and that no learner-visible answer carries an answer key.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{TestApp, TestEnv, error_code};

fn shipped_content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("content")
}

/// A copy of the shipped courses that a test may edit.
fn content_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for course in std::fs::read_dir(shipped_content()).unwrap().flatten() {
        if !course.path().is_dir() {
            continue;
        }
        let target = dir.path().join(course.file_name());
        std::fs::create_dir(&target).unwrap();
        for file in std::fs::read_dir(course.path()).unwrap().flatten() {
            std::fs::copy(file.path(), target.join(file.file_name())).unwrap();
        }
    }
    dir
}

#[test]
fn the_shipped_content_passes_check_and_is_worth_at_least_10_jp() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_penkom"))
        .args(["content", "check"])
        .arg(shipped_content())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let courses = course_delivery::format::load_dir(&shipped_content(), 45).unwrap();
    let titles: Vec<&str> = courses.iter().map(|c| c.spec.meta.title.as_str()).collect();
    for t in
        ["Etika Pelayanan Publik", "Kepemimpinan", "Manajemen Perubahan", "Literasi Digital Pemerintahan"]
    {
        assert!(titles.contains(&t), "{t} is shipped");
    }
    for c in &courses {
        assert!(c.spec.modules.len() >= 3, "{} has at least three modules", c.spec.meta.code);
        assert!(c.spec.questions.len() >= 12, "{} has at least 12 questions", c.spec.meta.code);
    }
    let total = penkom_core::Jp::sum(courses.iter().map(|c| c.spec.meta.jp));
    assert!(total >= rust_decimal::Decimal::from(10), "{total} JP");
}

#[test]
fn check_reports_broken_content_with_file_and_line() {
    let dir = content_copy();
    let course = dir.path().join("kepemimpinan").join("course.toml");
    let text = std::fs::read_to_string(&course).unwrap().replace("jp = \"3\"", "jp = 3.0");
    std::fs::write(&course, text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_penkom"))
        .args(["content", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("kepemimpinan/course.toml:"), "{stderr}");
    assert!(stderr.contains("teks desimal"), "{stderr}");
}

#[tokio::test]
async fn import_is_idempotent_versions_changes_and_retires_removed_courses() {
    let app = TestApp::spawn().await;
    let dir = content_copy();
    let r = app.courses.import_content_dir(dir.path()).await.unwrap();
    assert_eq!((r.courses, r.created), (4, 4));
    let r = app.courses.import_content_dir(dir.path()).await.unwrap();
    assert_eq!(
        (r.created, r.new_versions, r.unchanged, r.retired),
        (0, 0, 4, 0),
        "importing twice is a no-op"
    );

    // A learner enrols on version 1 of Etika Pelayanan Publik.
    let learner = app.signed_in("learner").await;
    let catalog = app.get_ok("/api/v1/courses", &learner).await;
    let epp = catalog.as_array().unwrap().iter().find(|c| c["code"] == "EPP-01").unwrap().clone();
    assert_eq!(epp["jp"], "3");
    assert_eq!(epp["estimated_minutes"], 135 + 20);
    let id = epp["id"].as_str().unwrap();
    let res = app
        .post_json(&format!("/api/v1/courses/{id}/enrollments"), Some(&learner), &serde_json::json!({}))
        .await;
    assert_eq!(res.status(), 201);
    let res = app
        .post_json(&format!("/api/v1/courses/{id}/enrollments"), Some(&learner), &serde_json::json!({}))
        .await;
    assert_eq!(res.status(), 200, "enrolling again is idempotent");
    let v1 = app.get_ok(&format!("/api/v1/courses/{id}"), &learner).await;
    assert_eq!(v1["version"], 1);
    let v1_module = v1["modules"][0]["id"].as_str().unwrap().to_string();

    // The instructor edits a module file: the next import makes version 2.
    let module = dir.path().join("etika-pelayanan-publik").join("01-pengantar-etika.md");
    let edited = std::fs::read_to_string(&module).unwrap() + "\n\nTambahan: contoh baru.\n";
    std::fs::write(&module, edited).unwrap();
    let r = app.courses.import_content_dir(dir.path()).await.unwrap();
    assert_eq!((r.new_versions, r.unchanged), (1, 3));

    let still = app.get_ok(&format!("/api/v1/courses/{id}"), &learner).await;
    assert_eq!(still["version"], 1, "the enrolled learner stays on version 1");
    assert_eq!(still["newer_version_available"], true);
    assert_eq!(still["content_hash"], v1["content_hash"]);
    let content = app.get_ok(&format!("/api/v1/modules/{v1_module}"), &learner).await;
    assert!(!content["markdown"].as_str().unwrap().contains("Tambahan"), "version 1 content never changes");

    let (nip, pw) = app.person("199211302020121007", "rizky@test.go.id", "learner", "PNS", "DISDIK").await;
    let newcomer = app.token(&nip, &pw).await;
    let v2 = app.get_ok(&format!("/api/v1/courses/{id}"), &newcomer).await;
    assert_eq!(v2["version"], 2, "new learners get the newest version");
    assert_ne!(v2["content_hash"], v1["content_hash"]);
    let v2_module = v2["modules"][0]["id"].as_str().unwrap();
    let res = app.get(&format!("/api/v1/modules/{v2_module}"), Some(&learner)).await;
    assert_eq!(res.status(), 403, "a version-1 learner is not enrolled on version 2");
    assert_eq!(error_code(res).await, "not_enrolled");

    // Removing a course folder retires the course; its learners keep access.
    std::fs::remove_dir_all(dir.path().join("etika-pelayanan-publik")).unwrap();
    let r = app.courses.import_content_dir(dir.path()).await.unwrap();
    assert_eq!(r.retired, 1);
    let catalog = app.get_ok("/api/v1/courses", &newcomer).await;
    assert!(!catalog.as_array().unwrap().iter().any(|c| c["code"] == "EPP-01"));
    assert_eq!(app.get(&format!("/api/v1/courses/{id}"), Some(&newcomer)).await.status(), 404);
    let res = app
        .post_json(&format!("/api/v1/courses/{id}/enrollments"), Some(&newcomer), &serde_json::json!({}))
        .await;
    assert_eq!(error_code(res).await, "course_retired");
    let kept = app.get_ok(&format!("/api/v1/courses/{id}"), &learner).await;
    assert_eq!(kept["retired"], true);
    app.get_ok(&format!("/api/v1/modules/{v1_module}"), &learner).await;
    app.stop().await;
}

#[tokio::test]
async fn the_catalog_filters_and_module_html_is_sanitised() {
    let app = TestApp::spawn().await;
    let dir = content_copy();
    let module = dir.path().join("kepemimpinan").join("01-hakikat-kepemimpinan.md");
    let text = std::fs::read_to_string(&module).unwrap() + "\n<script>alert('x')</script>\n";
    std::fs::write(&module, text).unwrap();
    app.courses.import_content_dir(dir.path()).await.unwrap();
    let learner = app.signed_in("learner").await;
    let by_topic = app.get_ok("/api/v1/courses?topic=kepemimpinan", &learner).await;
    assert_eq!(by_topic.as_array().unwrap().len(), 1);
    let by_title = app.get_ok("/api/v1/courses?q=DIGITAL", &learner).await;
    assert_eq!(by_title[0]["code"], "LDP-01");
    let id = by_topic[0]["id"].as_str().unwrap();
    app.post_json(&format!("/api/v1/courses/{id}/enrollments"), Some(&learner), &serde_json::json!({})).await;
    let detail = app.get_ok(&format!("/api/v1/courses/{id}"), &learner).await;
    let first = detail["modules"].as_array().unwrap().iter().find(|m| m["order"] == 1).unwrap();
    let content = app.get_ok(&format!("/api/v1/modules/{}", first["id"].as_str().unwrap()), &learner).await;
    assert!(content["html"].as_str().unwrap().contains("<h2>"), "headings sit below the page's title");
    assert!(!content["html"].as_str().unwrap().contains("<script"));
    assert!(content["markdown"].as_str().unwrap().contains("<script>"), "the source is kept as written");
    let res = app.get(&format!("/api/v1/modules/{}", uuid::Uuid::new_v4()), Some(&learner)).await;
    assert_eq!(error_code(res).await, "module_not_found");
    app.stop().await;
}

/// Every string value and key anywhere in a JSON document.
fn walk(v: &Value, keys: &mut Vec<String>, strings: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                keys.push(k.clone());
                walk(v, keys, strings);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| walk(i, keys, strings)),
        Value::String(s) => strings.push(s.clone()),
        _ => {}
    }
}

#[tokio::test]
async fn no_learner_visible_response_carries_an_answer_key() {
    let app = TestApp::spawn().await;
    app.courses.import_content_dir(&shipped_content()).await.unwrap();
    let learner = app.signed_in("learner").await;
    let mut seen: Vec<Value> = vec![app.get_ok("/api/v1/me", &learner).await];
    let catalog = app.get_ok("/api/v1/courses", &learner).await;
    seen.push(catalog.clone());
    for course in catalog.as_array().unwrap() {
        let id = course["id"].as_str().unwrap();
        seen.push(app.get_ok(&format!("/api/v1/courses/{id}"), &learner).await);
        let res = app
            .post_json(&format!("/api/v1/courses/{id}/enrollments"), Some(&learner), &serde_json::json!({}))
            .await;
        seen.push(res.json().await.unwrap());
        let detail = app.get_ok(&format!("/api/v1/courses/{id}"), &learner).await;
        for m in detail["modules"].as_array().unwrap() {
            seen.push(app.get_ok(&format!("/api/v1/modules/{}", m["id"].as_str().unwrap()), &learner).await);
        }
        seen.push(detail);
    }
    seen.push(app.get_ok("/api/v1/me/enrollments", &learner).await);

    let banks = course_delivery::format::load_dir(&shipped_content(), 45).unwrap();
    let explanations: Vec<String> =
        banks.iter().flat_map(|c| c.spec.questions.iter().filter_map(|q| q.explanation.clone())).collect();
    let questions: Vec<String> =
        banks.iter().flat_map(|c| c.spec.questions.iter().map(|q| q.text.clone())).collect();
    assert!(explanations.len() > 40);
    let (mut keys, mut strings) = (Vec::new(), Vec::new());
    for v in &seen {
        walk(v, &mut keys, &mut strings);
    }
    for forbidden in ["correct", "explanation", "answer", "answers", "answer_key", "options", "questions"] {
        assert!(!keys.iter().any(|k| k == forbidden), "a learner saw a `{forbidden}` field");
    }
    for s in &strings {
        assert!(!explanations.iter().any(|e| s.contains(e.as_str())), "an explanation leaked: {s:.80}");
        assert!(!questions.iter().any(|q| s == q), "a question leaked before its attempt: {s:.80}");
    }
    assert!(seen.len() > 20, "the walk covered the learner API ({} responses)", seen.len());
    app.stop().await;
}

#[tokio::test]
async fn an_empty_folder_retires_nothing_and_api_codes_are_skipped_not_fatal() {
    let app = TestApp::spawn().await;
    app.courses.import_content_dir(&shipped_content()).await.unwrap();
    let empty = tempfile::tempdir().unwrap();
    let err = app.courses.import_content_dir(empty.path()).await.unwrap_err();
    assert!(matches!(err, course_delivery::ContentImportError::EmptyFolder), "{err:?}");

    // An instructor takes a code that a new content folder then uses: the import goes on.
    let instructor = app.signed_in("instructor").await;
    let body = serde_json::json!({
        "code": "NEW-01", "title": "T", "description": "D", "topic": "t", "organiser": "O", "jp": "1",
        "post_test": {"pass_mark": 70, "attempt_limit": 1, "time_limit_minutes": 5, "questions_per_attempt": 1}
    });
    assert_eq!(app.post_json("/api/v1/instructor/courses", Some(&instructor), &body).await.status(), 201);
    let dir = content_copy();
    let course = dir.path().join("kepemimpinan").join("course.toml");
    let text = std::fs::read_to_string(&course).unwrap().replace("KPM-01", "NEW-01");
    std::fs::write(&course, text).unwrap();
    let r = app.courses.import_content_dir(dir.path()).await.unwrap();
    assert_eq!(r.skipped, vec!["NEW-01".to_string()]);
    assert_eq!(r.retired, 1, "KPM-01 disappeared from the folder");
    app.stop().await;
}

#[tokio::test]
async fn the_demo_adds_its_orientation_course_and_leaving_the_demo_retires_it() {
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("demo");
    let with_demo = |serve: &mut penkom::settings::ServeSettings| {
        serve.content_dir = Some(shipped_content());
        serve.demo = true;
        serve.demo_content_dir = demo.clone();
    };
    let app = TestApp::spawn_serving(TestEnv::new().await, 0, with_demo).await;
    let learner = app.signed_in("learner").await;
    let codes = |list: &serde_json::Value| -> Vec<String> {
        list.as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap().to_string()).collect()
    };
    let list = app.get_ok("/api/v1/courses", &learner).await;
    assert!(codes(&list).contains(&"ORI-01".to_string()), "{list}");
    assert_eq!(codes(&list).len(), 5, "the four shipped courses and the orientation");
    let ori = list.as_array().unwrap().iter().find(|c| c["code"] == "ORI-01").unwrap();
    assert_eq!(ori["jp"], "0.25");
    let env = app.stop().await;
    let app = TestApp::spawn_serving(env, 0, |serve| serve.content_dir = Some(shipped_content())).await;
    let learner = app.signed_in("learner").await;
    let list = app.get_ok("/api/v1/courses", &learner).await;
    assert!(!codes(&list).contains(&"ORI-01".to_string()), "without --demo the orientation is retired");
    app.stop().await;
}

//! Bad input gets a 4xx in the standard error format, never a 500 or a plain-text body.

use serde_json::{Value, json};

use crate::support::{TestApp, error_code};

#[tokio::test]
async fn malformed_input_is_a_clear_4xx() {
    let app = TestApp::spawn().await;
    let login = app.url("/api/v1/auth/login");

    let res = app
        .client
        .post(&login)
        .header("content-type", "application/json")
        .body("{\"login\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "malformed_json");

    let res = app
        .post_json("/api/v1/auth/login", None, &json!({"login": "x", "password": "y", "remember": true}))
        .await;
    assert_eq!(res.status(), 422, "unknown fields are refused");
    assert_eq!(error_code(res).await, "invalid_field");

    let res = app
        .post_json("/api/v1/auth/login", None, &json!({"login": 198503122010011001u64, "password": "y"}))
        .await;
    assert_eq!(res.status(), 422, "a NIP as a number is a type error");

    // Valid JSON of the wrong type where an enum's name belongs is a 422 too (serde calls it a
    // syntax error), and trailing garbage after valid JSON is malformed.
    let instructor = app.signed_in("instructor").await;
    for scoring in [Value::Null, json!(5), json!({"a": 1})] {
        let body = json!({"code": "ENUM-1", "title": "T", "description": "D", "topic": "t", "organiser": "O", "jp": "1",
            "post_test": {"pass_mark": 70, "attempt_limit": 1, "time_limit_minutes": 5, "questions_per_attempt": 1,
                "multiple_choice_scoring": scoring}});
        let res = app.post_json("/api/v1/instructor/courses", Some(&instructor), &body).await;
        assert_eq!(res.status(), 422, "scoring {scoring}");
        assert_eq!(error_code(res).await, "invalid_field");
    }
    let res =
        app.client.post(&login).header("content-type", "application/json").body("{} x").send().await.unwrap();
    assert_eq!((res.status().as_u16(), error_code(res).await), (400, "malformed_json".to_string()));

    let res = app.client.post(&login).header("content-type", "text/plain").body("{}").send().await.unwrap();
    assert_eq!(res.status(), 415);
    assert_eq!(error_code(res).await, "unsupported_media_type");

    let long = format!("/api/v1/courses?q={}", "a".repeat(9000));
    let res = app.get(&long, None).await;
    assert_eq!(res.status(), 414);
    assert_eq!(error_code(res).await, "uri_too_long");

    let huge = json!({"login": "a".repeat(100_000), "password": "b"});
    let res = app.post_json("/api/v1/auth/login", None, &huge).await;
    assert_eq!(res.status(), 413);
    assert_eq!(error_code(res).await, "body_too_large");
    app.stop().await;
}

#[tokio::test]
async fn bad_paths_and_methods_are_json_errors() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("admin").await;
    let res =
        app.post_json("/api/v1/admin/users/not-a-uuid/one-time-password", Some(&admin), &json!({})).await;
    assert_eq!(res.status(), 400);
    assert_eq!(error_code(res).await, "invalid_path_parameter");

    let res = app
        .post_json(
            &format!("/api/v1/admin/users/{}/one-time-password", uuid::Uuid::new_v4()),
            Some(&admin),
            &json!({}),
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(error_code(res).await, "not_found");

    let res = app.get("/api/v1/admin/users?limit=0", Some(&admin)).await;
    assert_eq!(res.status(), 400);
    let res = app.get("/api/v1/admin/users?limit=abc", Some(&admin)).await;
    assert_eq!(error_code(res).await, "invalid_query_parameter");
    let res = app.get("/api/v1/admin/users?nip=123", Some(&admin)).await;
    assert_eq!(error_code(res).await, "invalid_nip");
    let res = app.get("/api/v1/admin/users?offset=18446744073709551615", Some(&admin)).await;
    assert_eq!(res.status(), 400, "a huge offset is refused, not a crash");
    let res = app.get("/api/v1/admin/users?q=%00", Some(&admin)).await;
    assert_eq!(res.status(), 400);

    let res = app.get("/api/v1/nowhere", None).await;
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");

    let res = app.client.delete(app.url("/api/v1/auth/login")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(error_code(res).await, "method_not_allowed");
    app.stop().await;
}

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
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["error"]["code"].as_str(), body["error"]["details"]["field"].as_str()),
        (Some("invalid_field"), Some("q"))
    );
    // Each query error names its parameter, in Indonesian, without serde's English.
    let res = app.get("/api/v1/admin/users?limit=abc", Some(&admin)).await;
    let body: Value = res.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert_eq!(body["error"]["details"]["field"], "limit", "{body}");
    assert!(
        message.contains("`limit`") && !message.contains("Failed") && !message.contains("invalid"),
        "{message}"
    );

    let res = app.get("/api/v1/nowhere", None).await;
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");

    let res = app.client.delete(app.url("/api/v1/auth/login")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(error_code(res).await, "method_not_allowed");
    app.stop().await;
}

/// `path` with each parameter replaced by a value of the right shape that names nothing.
fn sample_path(path: &str) -> String {
    crate::route_access::fill(path, |name| {
        match name {
            "year" | "from_year" => "2026",
            "employment_type" => "PNS",
            "code" => "ABCDEFGHJK5",
            _ => "0190a4f2-7c1e-7000-8000-000000000000",
        }
        .to_string()
    })
}

#[tokio::test]
async fn a_nul_in_any_text_of_any_route_is_refused_at_the_edge_with_the_field_named() {
    let app = TestApp::spawn().await;
    let (nip, pw) = app
        .person(
            "196001012000011001",
            "semua@test.go.id",
            "learner|instructor|verifier|opd_admin|admin",
            "PNS",
            "BKPSDM",
        )
        .await;
    let token = app.token(&nip, &pw).await;
    let send = |method: reqwest::Method, path: String, body: &'static str| {
        app.client
            .request(method, app.url(&path))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let mut json_routes = 0;
    for ep in app.endpoints.iter().filter(|e| matches!(e.method.as_str(), "POST" | "PUT" | "PATCH")) {
        if ep.path.ends_with("/logout") {
            continue;
        }
        let path = sample_path(ep.path);
        let method = reqwest::Method::from_bytes(ep.method.as_str().as_bytes()).unwrap();
        // A route that reads JSON refuses an unknown field; the same body with a NUL in it must
        // be refused for the NUL, before any rule or database sees it.
        let plain = send(method.clone(), path.clone(), r#"{"x":"ab"}"#).await.unwrap();
        assert!(plain.status().as_u16() < 500, "{} {path}: {}", ep.method, plain.status());
        let takes_json = plain.status() == 422 && error_code(plain).await == "invalid_field";
        let res = send(method, path.clone(), r#"{"x":"a\u0000b"}"#).await.unwrap();
        let status = res.status().as_u16();
        assert!(status < 500, "{} {path}: {status}", ep.method);
        if takes_json {
            json_routes += 1;
            let body: Value = res.json().await.unwrap();
            assert_eq!(status, 422, "{} {path}: {body}", ep.method);
            assert_eq!(body["error"]["code"], "invalid_field");
            assert_eq!(body["error"]["details"]["field"], "x", "{} {path}: {body}", ep.method);
            assert!(body["error"]["message"].as_str().unwrap().contains("NUL"), "{body}");
        }
    }
    assert!(json_routes >= 15, "only {json_routes} routes read JSON?");

    // The fields the issue names, nested where they are: a course title, a question's text.
    let course = json!({"code": "NUL-1", "title": "Judul\u{0}", "description": "D", "topic": "t", "organiser": "O", "jp": "1"});
    let res = app.post_json("/api/v1/instructor/courses", Some(&token), &course).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["details"]["field"], "title", "{body}");
    let items = json!({"items": [{"code": "ABCDEFGHJK5"}, {"code": "ABC\u{0}"}]});
    let res = app.post_json("/api/v1/verify", Some(&token), &items).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["details"]["field"], "items[1].code", "{body}");
    // In a query and in a path too.
    for path in ["/api/v1/reports/compliance?year=2026&opd=%00", "/api/v1/verify/ABC%00DEF"] {
        let res = app.get(path, Some(&token)).await;
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap();
        assert_eq!((status, body["error"]["code"].as_str()), (422, Some("invalid_field")), "{path}: {body}");
    }
    // And in an import file.
    let res = app
        .post_csv("/api/v1/admin/users/import", &token, "nip,name\n196001012000011002,Nama\0Palsu\n")
        .await;
    assert_eq!(res.status(), 422);

    // Field errors name their field, in Indonesian, without serde's English.
    let res = app.post_json("/api/v1/instructor/courses", Some(&token), &json!({"code": "X"})).await;
    let body: Value = res.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert_eq!(body["error"]["details"]["field"], "title", "{body}");
    assert!(message.contains("wajib diisi") && !message.contains("missing"), "{message}");
}

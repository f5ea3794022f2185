//! The yearly JP ledger end to end: certificates credit the local year of completion,
//! revocations reverse, external JP is recorded by verifiers, and the compliance report says who
//! met the target (JSON and CSV).

use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};

use crate::post_test::{Course, course_worth, post_test, right_answers};
use crate::support::{TestApp, TestEnv, error_code};

/// A server whose heartbeats are 5 minutes apart and whose daily cap is a whole day, so that a
/// 20 JP course can be studied in a couple of hundred beats.
async fn fast_app() -> TestApp {
    let mut env = TestEnv::new().await;
    env.settings.heartbeat_interval_s = 300;
    env.settings.daily_cap_minutes = 1440;
    TestApp::spawn_in(env).await
}

/// A fresh token for the person with `nip` (created by the harness): simulated days outlast a
/// token's 12 hours.
async fn login(app: &TestApp, nip: &str) -> String {
    app.token(nip, &format!("Rahasia-{}", &nip[10..])).await
}

const PNS_NIP: &str = "199103172019031005";

/// Studies every module of `c` as the person with `nip`, beating every `step` seconds.
async fn study_all(app: &TestApp, c: &Course, nip: &str, step: i64) {
    for module in &c.modules {
        let token = &login(app, nip).await;
        let res = app.post_json(&format!("/api/v1/modules/{module}/sessions"), Some(token), &json!({})).await;
        assert_eq!(res.status(), 201);
        let session = res.json::<Value>().await.unwrap()["session_id"].as_str().unwrap().to_string();
        loop {
            app.clock.advance(Duration::seconds(step));
            let beat = app
                .post_json(
                    &format!("/api/v1/sessions/{session}/heartbeat"),
                    Some(token),
                    &json!({"visible": true, "active": true}),
                )
                .await;
            assert_eq!(beat.status(), 200);
            if beat.json::<Value>().await.unwrap()["can_complete"] == true {
                break;
            }
        }
        let res = app.post_json(&format!("/api/v1/modules/{module}/complete"), Some(token), &json!({})).await;
        assert_eq!(res.status(), 200);
    }
}

/// Takes and passes the post-test of `c` as the person with `nip`; returns the submit answer.
async fn pass_test(app: &TestApp, c: &Course, nip: &str) -> Value {
    let token = &login(app, nip).await;
    let res = app.post_json(&format!("/api/v1/courses/{}/attempts", c.id), Some(token), &json!({})).await;
    let attempt: Value = res.json().await.unwrap();
    let id = attempt["attempt_id"].as_str().unwrap().to_string();
    let answers = right_answers(&attempt["questions"]);
    let res =
        app.put_json(&format!("/api/v1/attempts/{id}/answers"), token, &json!({ "answers": answers })).await;
    assert_eq!(res.status(), 200);
    app.clock.advance(Duration::minutes(5));
    let res = app.post_json(&format!("/api/v1/attempts/{id}/submit"), Some(token), &json!({})).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["passed"], true, "{body}");
    body
}

async fn enrolled(app: &TestApp, c: &Course, nip: &str, email: &str, employment: &str) -> String {
    let (nip, pw) = app.person(nip, email, "learner", employment, "DISKOMINFO").await;
    let token = app.token(&nip, &pw).await;
    let res = app.post_json(&format!("/api/v1/courses/{}/enrollments", c.id), Some(&token), &json!({})).await;
    assert!(res.status().is_success());
    nip
}

fn person<'a>(report: &'a Value, nip: &str) -> &'a Value {
    report["people"].as_array().unwrap().iter().find(|p| p["nip"] == nip).unwrap()
}

#[tokio::test]
async fn twenty_jp_meet_the_pns_target_not_the_pppk_one_and_a_revocation_flips_it_back() {
    let app = fast_app().await;
    app.signed_in("verifier").await;
    let c = course_worth(&app, post_test(3, 0, 4, false), "20").await;
    let pppk = enrolled(&app, &c, "199205052022032001", "pppk@test.go.id", "PPPK").await;
    study_all(&app, &c, PNS_NIP, 300).await;
    study_all(&app, &c, &pppk, 300).await;
    let pns_cert = pass_test(&app, &c, PNS_NIP).await["certificate"]["id"].as_str().unwrap().to_string();
    pass_test(&app, &c, &pppk).await;
    let verifier = login(&app, "198909092014031003").await;

    // Streamed from the database as it is read: no length is known when the answer starts.
    let res = app.get("/api/v1/reports/compliance?year=2026", Some(&verifier)).await;
    assert_eq!(res.headers()["content-type"], "application/json");
    assert!(!res.headers().contains_key("content-length"), "{:?}", res.headers());
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["year"], 2026);
    let pns = person(&report, "199103172019031005");
    assert_eq!(
        (pns["credited"].as_str(), pns["target"].as_str(), pns["status"].as_str()),
        (Some("20"), Some("20"), Some("met"))
    );
    let p3k = person(&report, "199205052022032001");
    assert_eq!(
        (p3k["credited"].as_str(), p3k["target"].as_str(), p3k["status"].as_str()),
        (Some("20"), Some("24"), Some("not_met"))
    );
    assert_eq!(p3k["missing"], "4");
    let opd = report["opds"].as_array().unwrap().iter().find(|o| o["opd_code"] == "DISKOMINFO").unwrap();
    assert_eq!(
        (opd["headcount"].as_u64(), opd["met"].as_u64(), opd["jp_total"].as_str()),
        (Some(1), Some(0), Some("20"))
    );

    let csv = app.get("/api/v1/reports/compliance?year=2026&format=csv&sep=;", Some(&verifier)).await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = csv.text().await.unwrap();
    assert!(
        csv.starts_with(
            "nip;name;opd_code;opd_name;employment_type;target_jp;credited_jp;status;missing_jp;ledger_verified\n"
        ),
        "{csv}"
    );
    assert!(
        csv.lines().any(|l| l.starts_with("199103172019031005;") && l.ends_with(";20;20;met;0;true")),
        "{csv}"
    );
    assert!(
        csv.lines().any(|l| l.starts_with("199205052022032001;") && l.ends_with(";24;20;not_met;4;true")),
        "{csv}"
    );
    let accept = app
        .client
        .get(app.url("/api/v1/reports/compliance?year=2026"))
        .bearer_auth(&verifier)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert!(accept.text().await.unwrap().starts_with("nip,name,"));

    // Revoking the PNS's certificate reverses the credit with a new entry.
    let res = app
        .post_json(
            &format!("/api/v1/certificates/{pns_cert}/revoke"),
            Some(&verifier),
            &json!({"reason": "Bukti belajar tidak sah"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let report = app.get_ok("/api/v1/reports/compliance?year=2026", &verifier).await;
    assert_eq!(person(&report, "199103172019031005")["status"], "not_met");
    let mine = app.get_ok("/api/v1/me/jp?year=2026", &login(&app, PNS_NIP).await).await;
    let kinds: Vec<(&str, &str)> = mine["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["jp"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("certificate", "20"), ("certificate_reversal", "-20")]);
    assert_eq!(
        (mine["credited"].as_str(), mine["remaining"].as_str(), mine["status"].as_str()),
        (Some("0"), Some("20"), Some("not_met"))
    );
    assert!(mine["entries"][0]["description"].as_str().unwrap().contains("/PENKOM/BKPSDM/2026"));

    // The SIASN export lists only the unrevoked certificate.
    let siasn = app.get_ok("/api/v1/reports/siasn?year=2026", &verifier).await;
    let rows = siasn.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0]["nip"].as_str(), rows[0]["jp"].as_str(), rows[0]["training_type_id"].as_i64()),
        (Some("199205052022032001"), Some("20"), Some(16))
    );
    let csv =
        app.get("/api/v1/reports/siasn?year=2026&format=csv", Some(&verifier)).await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with("199205052022032001,"), "{csv}");
    // The export covers every OPD; a parameter it does not take is refused like any unknown one.
    let res = app.get("/api/v1/reports/siasn?year=2026&opd=DISKOMINFO", Some(&verifier)).await;
    assert_eq!((res.status().as_u16(), error_code(res).await.as_str()), (400, "invalid_query_parameter"));
}

#[tokio::test]
async fn a_completion_counts_for_the_local_year_it_happened_in() {
    let app = TestApp::spawn().await;
    let c = course_worth(&app, post_test(3, 0, 4, false), "1").await;
    let late = enrolled(&app, &c, "199205052022031002", "late@test.go.id", "PNS").await;
    study_all(&app, &c, PNS_NIP, 30).await;
    study_all(&app, &c, &late, 30).await;
    // 23:30 WITA on 31 December is 15:30 UTC; 00:30 WITA on 1 January is 16:30 UTC.
    app.clock.set(Utc.with_ymd_and_hms(2026, 12, 31, 15, 25, 0).unwrap());
    let first = pass_test(&app, &c, PNS_NIP).await;
    assert_eq!(first["completion"]["completed_at"], "2026-12-31T15:30:00Z");
    app.clock.set(Utc.with_ymd_and_hms(2026, 12, 31, 16, 25, 0).unwrap());
    let second = pass_test(&app, &c, &late).await;
    assert_eq!(second["completion"]["completed_at"], "2026-12-31T16:30:00Z");
    assert!(first["certificate"]["number"].as_str().unwrap().ends_with("/2026"));
    assert!(second["certificate"]["number"].as_str().unwrap().ends_with("/2027"));

    let credited = |nip: &'static str, year: i32| {
        let app = &app;
        async move {
            let token = login(app, nip).await;
            app.get_ok(&format!("/api/v1/me/jp?year={year}"), &token).await["credited"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    assert_eq!(credited(PNS_NIP, 2026).await, "1");
    assert_eq!(credited(PNS_NIP, 2027).await, "0");
    assert_eq!(credited("199205052022031002", 2026).await, "0");
    assert_eq!(credited("199205052022031002", 2027).await, "1");
}

#[tokio::test]
async fn verifiers_record_and_reverse_external_jp_with_evidence() {
    let app = TestApp::spawn().await;
    let verifier = app.signed_in("verifier").await;
    let admin = app.signed_in("admin").await;
    let (nip, pw) =
        app.person("199205052022032001", "pppk@test.go.id", "learner", "PPPK", "DISKOMINFO").await;
    let learner = app.token(&nip, &pw).await;
    let body = json!({
        "nip": nip, "course_name": "Pelatihan Kearsipan", "organiser": "Arsip Nasional", "start_date": "2026-10-01",
        "end_date": "2026-10-03", "jp": "24", "certificate_number": "ANRI/123/2026", "training_type": 3,
        "reason": "Sertifikat fisik diperiksa"
    });
    let res = app.post_json("/api/v1/jp/external", Some(&learner), &body).await;
    assert_eq!(res.status(), 403);
    let mut wrong = body.clone();
    wrong["end_date"] = "2026-09-01".into();
    let res = app.post_json("/api/v1/jp/external", Some(&verifier), &wrong).await;
    assert_eq!((res.status().as_u16(), error_code(res).await.as_str()), (422, "invalid_field"));
    // JP are plain decimals: a typo is refused, not read as some other number.
    for typo in ["1_000", "2e1", "20,5", " 24"] {
        let mut bad = body.clone();
        bad["jp"] = typo.into();
        let res = app.post_json("/api/v1/jp/external", Some(&verifier), &bad).await;
        assert_eq!(
            (res.status().as_u16(), error_code(res).await.as_str()),
            (422, "invalid_field"),
            "{typo:?}"
        );
    }
    let mut sly = body.clone();
    sly["course_name"] = "Pelatihan \u{202E}sipraK".into();
    let res = app.post_json("/api/v1/jp/external", Some(&verifier), &sly).await;
    assert_eq!(res.status(), 422, "direction overrides are refused in free text");
    let mut stranger = body.clone();
    stranger["nip"] = "198001012005011009".into();
    let res = app.post_json("/api/v1/jp/external", Some(&verifier), &stranger).await;
    assert_eq!(error_code(res).await, "person_not_found");
    let res = app.post_json("/api/v1/jp/external", Some(&verifier), &body).await;
    assert_eq!(res.status(), 201);
    let record: Value = res.json().await.unwrap();
    let id = record["id"].as_str().unwrap();
    // The same certificate again (a retried request) is refused, not counted twice.
    let res = app.post_json("/api/v1/jp/external", Some(&verifier), &body).await;
    assert_eq!((res.status().as_u16(), error_code(res).await.as_str()), (409, "duplicate_external_record"));

    let mine = app.get_ok("/api/v1/me/jp?year=2026", &learner).await;
    assert_eq!((mine["credited"].as_str(), mine["status"].as_str()), (Some("24"), Some("met")));
    assert_eq!(mine["entries"][0]["external"], true);
    assert!(mine["entries"][0]["description"].as_str().unwrap().contains("Pelatihan Kearsipan"));

    // Evidence: a PDF, once; anything else is refused by its content.
    let put = |bytes: Vec<u8>| {
        app.client
            .put(app.url(&format!("/api/v1/jp/external/{id}/evidence?name=sertifikat.pdf")))
            .bearer_auth(&verifier)
            .body(bytes)
            .send()
    };
    assert_eq!(put(b"GIF89a not a pdf".to_vec()).await.unwrap().status(), 415);
    assert_eq!(put(b"%PDF-1.4 minimal".to_vec()).await.unwrap().status(), 200);
    assert_eq!(put(b"%PDF-1.4 again".to_vec()).await.unwrap().status(), 409);
    let file = app.get(&format!("/api/v1/jp/external/{id}/evidence"), Some(&verifier)).await;
    assert_eq!(file.headers()["content-type"], "application/pdf");
    assert_eq!(file.bytes().await.unwrap().as_ref(), b"%PDF-1.4 minimal");

    // Raising the PPPK target for 2026 on changes the status; reversing removes the credit.
    let res = app
        .put_json("/api/v1/jp/requirements/PPPK/2026", &admin, &json!({"target_jp": "30", "cap_jp": "30"}))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.get_ok("/api/v1/me/jp?year=2026", &learner).await["status"], "not_met");
    assert_eq!(
        app.get_ok("/api/v1/me/jp?year=2025", &learner).await["target"],
        "24",
        "earlier years keep theirs"
    );
    let res = app
        .put_json("/api/v1/jp/requirements/PPPK/2026", &admin, &json!({"target_jp": "30", "cap_jp": "10"}))
        .await;
    assert_eq!(error_code(res).await, "invalid_requirement");
    let reverse = format!("/api/v1/jp/external/{id}/reverse");
    let res = app.post_json(&reverse, Some(&verifier), &json!({"reason": "Sertifikat ganda"})).await;
    assert_eq!(res.status(), 200);
    let res = app.post_json(&reverse, Some(&verifier), &json!({"reason": "Sertifikat ganda"})).await;
    assert_eq!(error_code(res).await, "already_reversed");
    let mine = app.get_ok("/api/v1/me/jp?year=2026", &learner).await;
    assert_eq!(mine["credited"], "0");
    assert_eq!(mine["entries"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn an_opd_administrator_sees_only_their_own_opd() {
    let app = TestApp::spawn().await;
    let opd_admin = app.signed_in("opd_admin").await;
    app.person("199205052022032001", "pppk@test.go.id", "learner", "PPPK", "DISKOMINFO").await;
    let report = app.get_ok("/api/v1/reports/compliance?year=2026", &opd_admin).await;
    let opds: Vec<&str> =
        report["people"].as_array().unwrap().iter().map(|p| p["opd_code"].as_str().unwrap()).collect();
    assert!(opds.iter().all(|o| *o == "BKPSDM"), "{opds:?}");
    let res = app.get("/api/v1/reports/compliance?year=2026&opd=DISKOMINFO", Some(&opd_admin)).await;
    assert_eq!(res.status(), 403);
    let res = app.get("/api/v1/reports/compliance?year=1999", Some(&opd_admin)).await;
    assert_eq!(error_code(res).await, "invalid_year");
    let res = app.get("/api/v1/reports/compliance?year=2026&format=xml", Some(&opd_admin)).await;
    assert_eq!(res.status(), 422);
    let res = app.get("/api/v1/reports/compliance?year=2026&format=csv&sep=%7C", Some(&opd_admin)).await;
    assert_eq!(res.status(), 422);
}

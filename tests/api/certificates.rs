//! Certificates end to end: one certificate per completion (also across a crash), its QR page,
//! the bulk API and `penkom verify` telling valid, tampered and revoked apart, the PDF and its
//! QR code, the published keys, and the tamper-evident log under `penkom audit`.

use std::time::Duration as StdDuration;

use chrono::Duration;
use penkom_core::Clock;
use serde_json::{Value, json};

use crate::post_test::{Course, course_worth, post_test, right_answers, start_attempt, study_course, submit};
use crate::support::{TestApp, TestEnv, error_code, penkom};

/// Studies and passes `c`; returns the submit answer.
pub(crate) async fn pass(app: &TestApp, c: &Course) -> Value {
    study_course(app, c).await;
    answer_right(app, c).await;
    let (status, body) = submit(app, &c.learner, &open_attempt(app, c).await).await;
    assert_eq!((status, body["passed"].as_bool()), (200, Some(true)), "{body}");
    body
}

async fn open_attempt(app: &TestApp, c: &Course) -> String {
    let (status, attempt, _) = start_attempt(app, c).await;
    assert!(status == 200 || status == 201, "{attempt}");
    attempt["attempt_id"].as_str().unwrap().to_string()
}

/// Starts an attempt and saves the right answers to all its questions.
async fn answer_right(app: &TestApp, c: &Course) {
    let (_, attempt, _) = start_attempt(app, c).await;
    let id = attempt["attempt_id"].as_str().unwrap();
    let answers = right_answers(&attempt["questions"]);
    let res = app
        .put_json(&format!("/api/v1/attempts/{id}/answers"), &c.learner, &json!({"answers": answers}))
        .await;
    assert_eq!(res.status(), 200);
    app.clock.advance(Duration::minutes(3));
}

async fn bulk(app: &TestApp, token: &str, items: Value) -> Vec<Value> {
    let res = app.post_json("/api/v1/verify", Some(token), &json!({ "items": items })).await;
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["results"].as_array().unwrap().clone()
}

fn write_json(dir: &std::path::Path, name: &str, v: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, v.to_string()).unwrap();
    path.display().to_string()
}

/// `penkom verify` on `credential`: (exit success, report).
fn verify_offline(env: &TestEnv, credential: &Value, jwks: &Value, list: Option<&Value>) -> (bool, Value) {
    let dir = tempfile::tempdir().unwrap();
    let file = write_json(dir.path(), "credential.json", credential);
    let keys = write_json(dir.path(), "jwks.json", jwks);
    let mut args = vec!["verify".to_string(), file, "--keys".into(), keys];
    if let Some(list) = list {
        args.extend(["--status-list".into(), write_json(dir.path(), "status.json", list)]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = penkom(env, &args, None);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.success(), report)
}

#[tokio::test]
async fn a_completion_yields_one_certificate_that_verifies_until_revoked() {
    let app = TestApp::spawn().await;
    let verifier = app.signed_in("verifier").await;
    let c = course_worth(&app, post_test(3, 0, 4, false), "2").await;
    let passed = pass(&app, &c).await;
    let issued = &passed["certificate"];
    let id = issued["id"].as_str().unwrap().to_string();
    let code = issued["code"].as_str().unwrap().to_string();
    // `$` and `*` (two of the check symbols) are percent-encoded in links.
    let link = format!("http://penkom.test/v/{}", certificates::code::in_url(&code));
    assert_eq!(issued["verify_url"], link);
    assert_eq!(issued["number"], "1/PENKOM/BKPSDM/2026");

    // Exactly one certificate, also when the submission is repeated.
    let (_, again) = submit(&app, &c.learner, passed["attempt_id"].as_str().unwrap()).await;
    assert_eq!(again["certificate"]["id"], id.as_str());
    let mine = app.get_ok("/api/v1/me/certificates", &c.learner).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(
        (mine[0]["jp"].as_str(), mine[0]["holder_nip"].as_str()),
        (Some("2"), Some("199103172019031005"))
    );

    // The QR page and its JSON twin: valid, NIP masked.
    let page = app.get(&format!("/v/{code}"), None).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    // Issued on the simulated clock, so the page says it is test data, never plain "SAH".
    assert!(html.contains("DATA UJI") && !html.contains("<h1>SAH</h1>") && html.contains("2 JP"), "{html}");
    // (The test harness names people after their NIP, so only the NIP row is checked.)
    assert!(html.contains("<th>NIP</th><td>199103********1005</td>"), "the NIP is not masked: {html}");
    // Every character percent-encoded (as a link's `%24` or `%2A` is) still names the code.
    let encoded: String = code.bytes().map(|b| format!("%{b:02X}")).collect();
    assert_eq!(app.get(&format!("/v/{encoded}"), None).await.text().await.unwrap(), html);
    let public: Value =
        app.get(&format!("/api/v1/verify/{}", code.to_lowercase()), None).await.json().await.unwrap();
    let public_encoded: Value =
        app.get(&format!("/api/v1/verify/{encoded}"), None).await.json().await.unwrap();
    assert_eq!(public_encoded, public);
    assert_eq!((public["status"].as_str(), public["certificate"]["jp"].as_str()), (Some("valid"), Some("2")));
    assert_eq!(public["reason"], "test_data");
    let unknown = app.get("/api/v1/verify/00000000000", None).await;
    assert_eq!(unknown.status(), 404);

    // The credential as issued: OB 3.0, signed with a key the DID document and JWKS publish.
    let credential: Value = app.get_ok(&format!("/api/v1/certificates/{id}"), &c.learner).await;
    assert!(credential["type"].as_array().unwrap().contains(&json!("OpenBadgeCredential")));
    assert_eq!(credential["proof"]["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(credential["credentialSubject"]["nip"], "199103172019031005");
    let method = credential["proof"]["verificationMethod"].as_str().unwrap();
    let did: Value = app.get("/.well-known/did.json", None).await.json().await.unwrap();
    assert_eq!(did["id"], "did:web:penkom.test");
    assert!(did["assertionMethod"].as_array().unwrap().contains(&json!(method)));
    let jwks: Value = app.get("/.well-known/jwks.json", None).await.json().await.unwrap();
    assert!(jwks["keys"].as_array().unwrap().iter().any(|k| k["kid"] == method));
    // Another learner is told it does not exist; a verifier may read it.
    let other = app.person("199512312020122001", "other@test.go.id", "learner", "PNS", "BKPSDM").await;
    let other = app.token(&other.0, &other.1).await;
    let res = app.get(&format!("/api/v1/certificates/{id}"), Some(&other)).await;
    assert_eq!((res.status().as_u16(), error_code(res).await.as_str()), (404, "certificate_not_found"));
    assert_eq!(app.get_ok(&format!("/api/v1/certificates/{id}"), &verifier).await, credential);

    // The PDF parses, says what the credential says, and its QR code leads to the page.
    let res = app.get(&format!("/api/v1/certificates/{id}/pdf"), Some(&c.learner)).await;
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = certificates::inspect::read(&res.bytes().await.unwrap()).unwrap();
    assert_eq!(pdf.qr_codes, std::slice::from_ref(&link));
    assert!(
        pdf.text.contains("1/PENKOM/BKPSDM/2026") && pdf.text.contains("2 (dua) jam pelajaran"),
        "{}",
        pdf.text
    );

    // The same credential with its JP edited from 2 to 20 is tampered, online and offline.
    let mut edited = credential.clone();
    edited["credentialSubject"]["jp"] = "20".into();
    edited["credentialSubject"]["creditsEarned"] = 20.0.into();
    let results = bulk(
        &app,
        &verifier,
        json!([
            {"credential": credential}, {"credential": edited}, {"code": code}, {"code": "00000000000"},
            {"credential": {"hello": "world"}}, {"code": code, "nip": "198503122010011001"},
            {"credential": app.get("/api/v1/log/head", None).await.json::<Value>().await.unwrap()}
        ]),
    )
    .await;
    let statuses: Vec<(&str, &str)> =
        results.iter().map(|r| (r["status"].as_str().unwrap(), r["reason"].as_str().unwrap_or(""))).collect();
    assert_eq!(
        statuses,
        [
            ("valid", "test_data"),
            ("tampered", "signature_mismatch"),
            ("valid", "test_data"),
            ("unknown", "not_issued"),
            ("invalid", "not_a_credential"),
            ("invalid", "holder_mismatch"),
            ("invalid", "not_a_credential"),
        ]
    );
    assert_eq!(results[0]["certificate"]["holder_nip"], "199103172019031005");
    // A credential with a duplicated key reads differently in different parsers: refused.
    let sneaky = credential.to_string().replacen("\"jp\":\"2\"", "\"jp\":\"20\",\"jp\":\"2\"", 1);
    assert!(sneaky.contains("\"jp\":\"20\""));
    let res = app
        .client
        .post(app.url("/api/v1/verify"))
        .bearer_auth(&verifier)
        .header("content-type", "application/json")
        .body(format!("{{\"items\": [{{\"credential\": {sneaky}}}]}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let (ok, report) = verify_offline(&app.env, &credential, &jwks, None);
    assert!(ok, "{report}");
    assert_eq!(report["status"], "valid");
    let (ok, report) = verify_offline(&app.env, &edited, &jwks, None);
    assert!(!ok);
    assert_eq!(
        (report["status"].as_str(), report["reason"].as_str()),
        (Some("tampered"), Some("signature_mismatch"))
    );

    // Revocation: by a verifier, with a reason, once.
    let learner_try = app
        .post_json(&format!("/api/v1/certificates/{id}/revoke"), Some(&c.learner), &json!({"reason": "x"}))
        .await;
    assert_eq!(learner_try.status(), 403);
    let no_reason = app
        .post_json(&format!("/api/v1/certificates/{id}/revoke"), Some(&verifier), &json!({"reason": " "}))
        .await;
    assert_eq!(error_code(no_reason).await, "invalid_reason");
    // A reason that would display otherwise than stored, on the public page and in the signed
    // status list, is refused.
    // (A NUL is refused before any rule, at the edge, for every field alike.)
    for (sly, code) in [
        ("Data \u{202E}urekel atad", "invalid_reason"),
        ("Salah\u{0}input", "invalid_field"),
        ("dua\nbaris", "invalid_reason"),
    ] {
        let res = app
            .post_json(&format!("/api/v1/certificates/{id}/revoke"), Some(&verifier), &json!({"reason": sly}))
            .await;
        assert_eq!(error_code(res).await, code, "{sly:?}");
    }
    let reason = "Data peserta keliru";
    let res = app
        .post_json(
            &format!("/api/v1/certificates/{id}/revoke"),
            Some(&verifier),
            &json!({ "reason": reason }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .post_json(
            &format!("/api/v1/certificates/{id}/revoke"),
            Some(&verifier),
            &json!({ "reason": reason }),
        )
        .await;
    assert_eq!(error_code(res).await, "certificate_already_revoked");

    // …and all three say revoked, with the reason.
    let html = app.get(&format!("/v/{code}"), None).await.text().await.unwrap();
    assert!(html.contains("DICABUT") && html.contains(reason), "{html}");
    let results = bulk(&app, &verifier, json!([{"credential": credential}, {"code": code}])).await;
    for r in &results {
        assert_eq!((r["status"].as_str(), r["reason"].as_str()), (Some("revoked"), Some(reason)), "{r}");
    }
    let list: Value = app.get("/status/revocation", None).await.json().await.unwrap();
    let (ok, report) = verify_offline(&app.env, &credential, &jwks, Some(&list));
    assert!(!ok);
    assert_eq!(
        (report["status"].as_str(), report["reason"].as_str()),
        (Some("revoked"), Some(reason)),
        "{report}"
    );
    assert_eq!(report["status_list_date"], list["validFrom"]);

    // The log has both events and the ledger entry each made; its signed head says so.
    let head: Value = app.get("/api/v1/log/head", None).await.json().await.unwrap();
    assert_eq!(head["credentialSubject"]["treeSize"], 4);
    let keys = certificates::PublicKeys::from_jwks(&jwks);
    certificates::proof::verify(&head, |m| keys.resolve(m)).expect("the head is signed");
}

/// `penkom audit` on `env`, optionally against a saved head: (exit success, report, stderr).
pub fn audit(env: &TestEnv, head: Option<&str>) -> (bool, Value, String) {
    let mut args = vec!["audit"];
    if let Some(h) = head {
        args.extend(["--head", h]);
    }
    let out = penkom(env, &args, None);
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.success(), report, String::from_utf8_lossy(&out.stderr).to_string())
}

#[tokio::test]
async fn the_audit_finds_rows_edited_in_the_database() {
    let app = TestApp::spawn().await;
    let verifier = app.signed_in("verifier").await;
    let c = course_worth(&app, post_test(3, 0, 4, false), "2").await;
    let id = pass(&app, &c).await["certificate"]["id"].as_str().unwrap().to_string();
    let res = app
        .post_json(
            &format!("/api/v1/certificates/{id}/revoke"),
            Some(&verifier),
            &json!({"reason": "Salah peserta"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let head: Value = app.get("/api/v1/log/head", None).await.json().await.unwrap();
    let env = app.stop().await;
    let dir = tempfile::tempdir().unwrap();
    let head_file = write_json(dir.path(), "head.json", &head);
    let (ok, report, err) = audit(&env, Some(&head_file));
    assert!(ok, "{err}");
    // Issue, its ledger credit, the revocation, the credit's reversal.
    assert_eq!((report["entries"].as_i64(), report["certificates"].as_i64()), (Some(4), Some(1)));
    assert_eq!(report["head"], head["credentialSubject"]["headHash"]);
    assert_eq!(report["broken"], json!([]));

    let db = penkom_storage::connect(&env.settings.effective_database_url().unwrap(), 1).await.unwrap();
    use sea_orm::ConnectionTrait;
    let sql = |q: &'static str| {
        let db = db.clone();
        async move { db.execute_unprepared(q).await.unwrap().rows_affected() }
    };
    // Moving a certificate's bit in the status list (a revocation would land on another one).
    assert_eq!(sql("UPDATE certificate SET status_index = status_index + 1").await, 1);
    let (ok, report, err) = audit(&env, None);
    assert!(!ok);
    assert_eq!(broken_at(&report), vec![1], "{report}");
    assert!(err.contains("broken at entry 1"), "{err}");
    sql("UPDATE certificate SET status_index = status_index - 1").await;
    assert!(audit(&env, None).0, "restored");

    // Un-revoking by deleting the log's last entries, the row's revocation and the reversal:
    // the chain alone is consistent again, but it no longer contains the head published earlier.
    sql("DELETE FROM record_log WHERE seq >= 3").await;
    sql("DELETE FROM jp_ledger_entry WHERE kind = 'certificate_reversal'").await;
    sql("UPDATE certificate SET revoked_at = NULL, revocation_reason = NULL, revoked_by = NULL").await;
    let (ok, report, err) = audit(&env, Some(&head_file));
    assert!(!ok, "{report}");
    let problems = report["broken"].as_array().unwrap();
    assert!(
        problems.iter().any(|b| b["seq"] == 4 && b["reason"].as_str().unwrap().contains("trusted head")),
        "{report}"
    );
    assert!(err.contains("broken at entry 4"), "{err}");

    // Raising the JP in place: the signature and the logged digest both fail, and the entry
    // that shows it is the certificate's issue.
    let changed =
        sql(r#"UPDATE certificate SET credential = REPLACE(credential, '"jp":"2"', '"jp":"20"')"#).await;
    assert_eq!(changed, 1);
    db.close().await.ok();
    let (ok, report, err) = audit(&env, None);
    assert!(!ok);
    assert!(broken_at(&report).contains(&1), "{report}");
    assert!(err.contains("broken at entry 1"), "{err}");
}

/// The log entries an audit report names, in order.
pub fn broken_at(report: &Value) -> Vec<i64> {
    report["broken"]
        .as_array()
        .map(|b| b.iter().filter_map(|e| e["seq"].as_i64()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn bulk_verification_takes_up_to_a_thousand_items_from_verifiers() {
    let app = TestApp::spawn().await;
    let verifier = app.signed_in("verifier").await;
    let learner = app.signed_in("learner").await;
    let items: Vec<Value> = (0..1000).map(|_| json!({"code": "00000000000"})).collect();
    let results = bulk(&app, &verifier, json!(items)).await;
    assert_eq!(results.len(), 1000);
    assert!(results.iter().all(|r| r["status"] == "unknown"));
    let items: Vec<Value> = (0..1001).map(|_| json!({"code": "00000000000"})).collect();
    let res = app.post_json("/api/v1/verify", Some(&verifier), &json!({ "items": items })).await;
    assert_eq!((res.status().as_u16(), error_code(res).await.as_str()), (422, "too_many_items"));
    let res = app.post_json("/api/v1/verify", Some(&verifier), &json!({ "items": [] })).await;
    assert_eq!(error_code(res).await, "no_items");
    let res =
        app.post_json("/api/v1/verify", Some(&learner), &json!({ "items": [{"code": "00000000000"}] })).await;
    assert_eq!(res.status(), 403);
}

/// A port free right now, for a child process to listen on.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn a_crash_between_completion_and_issuance_still_yields_exactly_one_certificate() {
    let app = TestApp::spawn().await;
    let c = course_worth(&app, post_test(3, 0, 4, false), "2").await;
    study_course(&app, &c).await;
    answer_right(&app, &c).await;
    let attempt = open_attempt(&app, &c).await;
    let now = app.clock.now();
    let env = app.stop().await;

    // The real binary, on the same data, set to die right after committing the completion.
    let port = free_port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_penkom"));
    cmd.envs(env.cli_env()).env("PENKOM_LOG", "warn").args([
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--simulated-clock",
        "--simulated-clock-start",
        &now.to_rfc3339(),
        "--failpoint",
        "abort_before_issuance",
    ]);
    if env.settings.database_url.is_some() {
        cmd.arg("--i-know-this-is-not-production");
    }
    let mut child =
        cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            ready = true;
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    assert!(ready, "the child server did not start");
    let res = client
        .post(format!("{base}/api/v1/attempts/{attempt}/submit"))
        .bearer_auth(&c.learner)
        .json(&json!({}))
        .send()
        .await;
    assert!(res.is_err(), "the process should have died before answering");
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap()).await.unwrap();
    assert!(!status.success());

    // Restarted, the server issues from the completion the crash left behind: exactly one, and
    // before it says it is ready (the harness waits for `/readyz`, as a load balancer does).
    let app = TestApp::spawn_in(env).await;
    assert_eq!(app.get_ok("/api/v1/me/completions", &c.learner).await.as_array().unwrap().len(), 1);
    let certificates = app.get_ok("/api/v1/me/certificates", &c.learner).await;
    assert_eq!(certificates.as_array().unwrap().len(), 1, "issued before the node was ready: {certificates}");
    let ready: Value = app.get("/readyz", None).await.json().await.unwrap();
    assert_eq!(ready["startup_sweep"], "done");
    // Asking again (a resubmission, another restart) finds the same one.
    let (_, again) = submit(&app, &c.learner, &attempt).await;
    assert_eq!(again["certificate"]["id"], certificates[0]["id"]);
    let env = app.stop().await;
    let app = TestApp::spawn_in(env).await;
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    assert_eq!(app.get_ok("/api/v1/me/certificates", &c.learner).await.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_rotated_key_signs_from_then_on_and_older_certificates_still_verify() {
    let app = TestApp::spawn().await;
    let verifier = app.signed_in("verifier").await;
    let c = course_worth(&app, post_test(3, 0, 4, false), "2").await;
    let id = pass(&app, &c).await["certificate"]["id"].as_str().unwrap().to_string();
    let credential = app.get_ok(&format!("/api/v1/certificates/{id}"), &c.learner).await;
    let old_method = credential["proof"]["verificationMethod"].as_str().unwrap().to_string();
    let env = app.stop().await;

    let out = penkom(&env, &["keys", "generate"], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let app = TestApp::spawn_in(env).await;
    let jwks: Value = app.get("/.well-known/jwks.json", None).await.json().await.unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2, "the old key stays published");
    let did: Value = app.get("/.well-known/did.json", None).await.json().await.unwrap();
    assert_eq!(did["verificationMethod"].as_array().unwrap().len(), 2);
    // New signatures come from the new key.
    let list: Value = app.get("/status/revocation", None).await.json().await.unwrap();
    let new_method = list["proof"]["verificationMethod"].as_str().unwrap();
    assert_ne!(new_method, old_method);
    assert!(jwks["keys"].as_array().unwrap().iter().any(|k| k["kid"] == new_method));
    // The certificate signed with the old key still verifies, online and offline.
    let results = bulk(&app, &verifier, json!([{ "credential": credential }])).await;
    assert_eq!(results[0]["status"], "valid");
    let (ok, report) = verify_offline(&app.env, &credential, &jwks, Some(&list));
    assert!(ok, "{report}");
}

#[tokio::test]
async fn public_lookups_are_rate_limited_per_address() {
    let app = TestApp::spawn().await;
    for _ in 0..60 {
        assert_eq!(app.get("/api/v1/verify/00000000000", None).await.status(), 404);
    }
    let res = app.get("/v/00000000000", None).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert!(
        res.headers()["content-type"].to_str().unwrap().starts_with("text/html"),
        "the page's refusal is a page"
    );
    assert!(res.text().await.unwrap().contains("Terlalu banyak pemeriksaan"));
    let res = app.get("/api/v1/verify/00000000000", None).await;
    assert_eq!(res.status(), 429);
    assert_eq!(error_code(res).await, "rate_limited");
}

//! Sign-in, tokens, sign-out, one-time passwords and the failed-sign-in limit.

use chrono::Duration;
use serde_json::{Value, json};

use crate::support::{TestApp, TestEnv, error_code};

#[tokio::test]
async fn sign_in_by_nip_or_email_and_read_the_profile() {
    let app = TestApp::spawn().await;
    let (nip, pw) = app.person("199507252023012006", "Sri@Test.go.id", "learner", "PPPK", "DINKES").await;

    let res = app.login(&nip, &pw).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let token = body["token"].as_str().unwrap();
    assert!(token.starts_with("pkm_") && token.len() == 68);
    assert_eq!(body["must_change_password"], false);
    assert!(
        body["expires_at"].as_str().unwrap().starts_with("2026-11-02T13:00:00"),
        "12 hours from the server clock"
    );

    let me: Value = app.get("/api/v1/me", Some(token)).await.json().await.unwrap();
    assert_eq!(me["nip"], json!(nip), "the NIP is a string");
    assert_eq!(me["email"], "sri@test.go.id", "e-mail is stored lower-case");
    assert_eq!(me["employment_type"], "PPPK");
    assert_eq!(me["opd"]["code"], "DINKES");
    assert_eq!(me["roles"], json!(["learner"]));

    // The e-mail works as a login too, in any case.
    assert_eq!(app.login("SRI@test.go.id", &pw).await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn wrong_passwords_and_unknown_accounts_look_the_same() {
    let app = TestApp::spawn().await;
    let (nip, _) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    let wrong = app.login(&nip, "bukan-kata-sandinya").await;
    assert_eq!(wrong.status(), 401);
    let wrong_body: Value = wrong.json().await.unwrap();
    let unknown = app.login("199211302020121007", "bukan-kata-sandinya").await;
    assert_eq!(unknown.status(), 401);
    let unknown_body: Value = unknown.json().await.unwrap();
    assert_eq!(wrong_body, unknown_body);
    assert_eq!(wrong_body["error"]["code"], "invalid_credentials");
    app.stop().await;
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_retry_after() {
    let app = TestApp::spawn().await;
    let (nip, pw) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    for _ in 0..5 {
        assert_eq!(app.login(&nip, "salah-salah-salah").await.status(), 401);
    }
    let res = app.login(&nip, &pw).await;
    assert_eq!(res.status(), 429, "even the right password is refused while locked");
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    assert_eq!(error_code(res).await, "too_many_attempts");

    // Another account from the same address is not locked by these five failures.
    let (other, other_pw) =
        app.person("199211302020121007", "rizky@test.go.id", "learner", "PNS", "DISDIK").await;
    assert_eq!(app.login(&other, &other_pw).await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_success_resets_the_failure_count() {
    let app = TestApp::spawn().await;
    let (nip, pw) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    for _ in 0..4 {
        app.login(&nip, "salah-salah-salah").await;
    }
    assert_eq!(app.login(&nip, &pw).await.status(), 200);
    for _ in 0..4 {
        assert_eq!(app.login(&nip, "salah-salah-salah").await.status(), 401);
    }
    assert_eq!(app.login(&nip, &pw).await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn logout_revokes_only_that_token_and_tokens_expire() {
    let app = TestApp::spawn().await;
    let (nip, pw) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    let a = app.token(&nip, &pw).await;
    let b = app.token(&nip, &pw).await;
    let res = app.post_json("/api/v1/auth/logout", Some(&a), &json!({})).await;
    assert_eq!(res.status(), 204);
    let res = app.get("/api/v1/me", Some(&a)).await;
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "invalid_token");
    assert_eq!(app.get("/api/v1/me", Some(&b)).await.status(), 200);

    app.clock.advance(Duration::hours(12) + Duration::seconds(1));
    let res = app.get("/api/v1/me", Some(&b)).await;
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "token_expired");
    app.stop().await;
}

/// Each node caches who a token belongs to; a sign-out or password change on one node must
/// still reach the others promptly (through the live store's revocation journal).
#[tokio::test]
async fn revocations_reach_every_node() {
    if std::env::var("PENKOM_TEST_REDIS_URL").map_or(true, |u| u.is_empty()) {
        return; // Nodes share live state only through Redis; `.ci/run` sets it.
    }
    let env = TestEnv::new().await;
    let second_env = env.second_node();
    let a = TestApp::spawn_in(env).await;
    let b = TestApp::spawn_in(second_env).await;
    let (nip, pw) = a.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    let first = a.token(&nip, &pw).await;
    let second = a.token(&nip, &pw).await;
    let third = a.token(&nip, &pw).await;
    for t in [&first, &second, &third] {
        assert_eq!(b.get("/api/v1/me", Some(t)).await.status(), 200, "node B knows (and caches) the token");
    }
    assert_eq!(a.post_json("/api/v1/auth/logout", Some(&first), &json!({})).await.status(), 204);
    until_refused(&b, &first).await;
    assert_eq!(b.get("/api/v1/me", Some(&second)).await.status(), 200, "only that token is revoked");

    let res = a
        .post_json(
            "/api/v1/me/password",
            Some(&second),
            &json!({"current_password": pw, "new_password": "Baru-sekali-19031005"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    until_refused(&b, &third).await;
    assert_eq!(b.get("/api/v1/me", Some(&second)).await.status(), 200, "the changer stays signed in");
    b.stop().await;
    a.stop().await;
}

/// Waits (at most five seconds) until node `app` refuses `token`.
async fn until_refused(app: &TestApp, token: &str) {
    for _ in 0..50 {
        if app.get("/api/v1/me", Some(token)).await.status() == 401 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("node still honours a revoked token after five seconds");
}

#[tokio::test]
async fn malformed_and_missing_tokens_are_401() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/me", None).await;
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "unauthenticated");
    let res = app.get("/api/v1/me", Some("pkm_not-a-token")).await;
    assert_eq!(error_code(res).await, "invalid_token");
    let forged = format!("pkm_{}", "0".repeat(64));
    assert_eq!(app.get("/api/v1/me", Some(&forged)).await.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn one_time_password_must_be_replaced_before_anything_else() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("admin").await;
    let (nip, old_pw) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    let old_token = app.token(&nip, &old_pw).await;

    let list: Value =
        app.get(&format!("/api/v1/admin/users?nip={nip}"), Some(&admin)).await.json().await.unwrap();
    assert_eq!(list["total"], 1);
    let id = list["items"][0]["id"].as_str().unwrap().to_string();

    let res =
        app.post_json(&format!("/api/v1/admin/users/{id}/one-time-password"), Some(&admin), &json!({})).await;
    assert_eq!(res.status(), 200);
    let otp = res.json::<Value>().await.unwrap()["one_time_password"].as_str().unwrap().to_string();

    assert_eq!(app.get("/api/v1/me", Some(&old_token)).await.status(), 401, "old sessions end");
    assert_eq!(app.login(&nip, &old_pw).await.status(), 401, "the old password no longer works");

    let res = app.login(&nip, &otp).await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["must_change_password"], true);
    let token = body["token"].as_str().unwrap().to_string();
    let res = app.get("/api/v1/opds", Some(&token)).await;
    assert_eq!(res.status(), 403);
    assert_eq!(error_code(res).await, "password_change_required");
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 200);

    let res = app
        .post_json(
            "/api/v1/me/password",
            Some(&token),
            &json!({"current_password": otp, "new_password": "pendek"}),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert_eq!(error_code(res).await, "weak_password");
    let res = app
        .post_json(
            "/api/v1/me/password",
            Some(&token),
            &json!({"current_password": "salah-salah-salah", "new_password": "Kata-Sandi-Baru-2026"}),
        )
        .await;
    assert_eq!(error_code(res).await, "wrong_password");
    let res = app
        .post_json(
            "/api/v1/me/password",
            Some(&token),
            &json!({"current_password": otp, "new_password": "Kata-Sandi-Baru-2026"}),
        )
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.get("/api/v1/opds", Some(&token)).await.status(), 200, "the same token now works fully");
    assert_eq!(app.login(&nip, &otp).await.status(), 401, "the one-time password is spent");
    assert_eq!(app.login(&nip, "Kata-Sandi-Baru-2026").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_burst_of_parallel_guesses_gets_no_more_than_the_limit() {
    let app = TestApp::spawn().await;
    let (nip, pw) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    let guesses = (0..20).map(|i| {
        let app = &app;
        let nip = nip.clone();
        async move { app.login(&nip, &format!("tebakan-ke-{i}")).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(guesses).await;
    assert_eq!(statuses.iter().filter(|&&s| s == 401).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|&&s| s == 429).count(), 15, "{statuses:?}");
    assert_eq!(app.login(&nip, &pw).await.status(), 429);
    app.stop().await;
}

#[tokio::test]
async fn nip_and_email_share_one_failure_budget() {
    let app = TestApp::spawn().await;
    let (nip, pw) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    for _ in 0..3 {
        app.login(&nip, "salah-salah-salah").await;
    }
    for _ in 0..2 {
        app.login("budi@test.go.id", "salah-salah-salah").await;
    }
    assert_eq!(app.login(&nip, &pw).await.status(), 429);
    app.stop().await;
}

#[tokio::test]
async fn one_client_address_cannot_guess_across_many_accounts() {
    // Behind a load balancer the client address comes from X-Forwarded-For, with or without a
    // port; an address other than the guessing one is unaffected.
    let app = TestApp::spawn_behind_proxy().await;
    let (nip, pw) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    let from = |addr: &'static str, login: String, password: String| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/auth/login"))
                .header("x-forwarded-for", format!("198.51.100.7, {addr}"))
                .json(&json!({"login": login, "password": password}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    for i in 0..50 {
        let login = format!("orang{i}@kota.go.id");
        assert_eq!(from("203.0.113.5:4444", login, "tebakan-tebakan".into()).await, 401);
    }
    assert_eq!(from("203.0.113.5", nip.clone(), pw.clone()).await, 429, "the guessing address is locked");
    assert_eq!(from("203.0.113.6:80", nip, pw).await, 200, "another address is not");
    app.stop().await;
}

#[tokio::test]
async fn a_burst_from_one_address_gets_no_more_than_its_limit_and_successes_do_not_count() {
    let app = TestApp::spawn_behind_proxy().await;
    let (nip, pw) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    let attempt = |login: String, password: String| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/auth/login"))
                .header("x-forwarded-for", "203.0.113.9")
                .json(&json!({"login": login, "password": password}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // An office signing in all morning from one NAT address: successes take nothing away.
    for _ in 0..60 {
        assert_eq!(attempt(nip.clone(), pw.clone()).await, 200);
    }
    // 120 wrong guesses at once, each at another account: exactly the limit is processed.
    let burst = (0..120).map(|i| attempt(format!("orang{i}@kota.go.id"), "tebakan-tebakan".into()));
    let answers = futures::future::join_all(burst).await;
    let processed = answers.iter().filter(|s| **s == 401).count();
    let refused = answers.iter().filter(|s| **s == 429).count();
    assert_eq!((processed, refused), (50, 70), "{answers:?}");
    app.stop().await;
}

#[tokio::test]
async fn one_time_passwords_expire_after_72_hours() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("admin").await;
    let (nip, _) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    let list: Value =
        app.get(&format!("/api/v1/admin/users?nip={nip}"), Some(&admin)).await.json().await.unwrap();
    let id = list["items"][0]["id"].as_str().unwrap().to_string();
    let res =
        app.post_json(&format!("/api/v1/admin/users/{id}/one-time-password"), Some(&admin), &json!({})).await;
    assert_eq!(res.headers()["cache-control"], "no-store", "a password must not be cached");
    let otp = res.json::<Value>().await.unwrap()["one_time_password"].as_str().unwrap().to_string();
    app.clock.advance(Duration::hours(72) + Duration::seconds(1));
    let res = app.login(&nip, &otp).await;
    assert_eq!(res.status(), 401);
    assert_eq!(error_code(res).await, "one_time_password_expired");
    app.stop().await;
}

#[tokio::test]
async fn guessing_the_current_password_through_a_session_is_limited() {
    let app = TestApp::spawn().await;
    let (nip, pw) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    let token = app.token(&nip, &pw).await;
    for _ in 0..5 {
        let res = app
            .post_json(
                "/api/v1/me/password",
                Some(&token),
                &json!({"current_password": "tebak-tebak-tebak", "new_password": "Kata-Sandi-Baru-2026"}),
            )
            .await;
        assert_eq!(res.status(), 403);
    }
    let res = app
        .post_json(
            "/api/v1/me/password",
            Some(&token),
            &json!({"current_password": pw, "new_password": "Kata-Sandi-Baru-2026"}),
        )
        .await;
    assert_eq!(res.status(), 429);
    app.stop().await;
}

#[tokio::test]
async fn an_administrator_cannot_lock_themselves_out_with_a_one_time_password() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("admin").await;
    let me: Value = app.get_ok("/api/v1/me", &admin).await;
    let id = me["id"].as_str().unwrap();
    let res =
        app.post_json(&format!("/api/v1/admin/users/{id}/one-time-password"), Some(&admin), &json!({})).await;
    assert_eq!(res.status(), 409);
    assert_eq!(error_code(res).await, "own_account");
    assert_eq!(
        app.get("/api/v1/me", Some(&admin)).await.status(),
        200,
        "still signed in, password unchanged"
    );
    app.stop().await;
}

//! The learner's web app in a real browser: from a one-time password to a certificate, with the
//! study player measured by the server, hidden pages earning nothing, a second tab taking over,
//! a dropped connection said and resumed, and axe-core run on every page at phone width.

use std::time::Duration;

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::post_test::bank;
use crate::support::{TestApp, TestEnv};

/// Server time runs this many times faster than real time, so a 30-second heartbeat interval is
/// half a real second and the test's 4 minutes of study take a few seconds.
const SPEED: u32 = 60;
const LEARNER_NIP: &str = "199103172019031005";

const BODY: &str = "## Mengapa literasi digital\n\nPelayanan publik kini banyak berlangsung secara daring. \
ASN perlu memahami cara kerja layanan elektronik, menjaga keamanan akun, dan melindungi data pribadi warga.\n\n\
### Yang dipelajari\n\n- prinsip Sistem Pemerintahan Berbasis Elektronik (SPBE);\n- kata sandi dan autentikasi dua langkah;\n\
- pelindungan data pribadi menurut UU 27/2022.\n\n> Data pribadi warga adalah amanah, bukan milik instansi.\n\n\
Bacalah materi ini sampai selesai, lalu tandai modul sebagai selesai.\n";

/// A published 2 JP course (two required modules of 2 minutes: this server counts 2 minutes per
/// JP) with the four-question bank of the post-test tests.
async fn course(app: &TestApp) -> String {
    let instructor = app.signed_in("instructor").await;
    let body = json!({
        "code": "LDU-01", "title": "Literasi Digital untuk ASN", "description": "Kursus singkat untuk uji peramban.\n\nDua modul dan satu post-test.",
        "topic": "literasi-digital", "organiser": "BKPSDM Kota Balikpapan", "jp": "2",
        "post_test": {"pass_mark": 70, "attempt_limit": 3, "time_limit_minutes": 120, "questions_per_attempt": 4,
            "wait_minutes_between_attempts": 0, "review_after_grading": true}
    });
    let res = app.post_json("/api/v1/instructor/courses", Some(&instructor), &body).await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_string();
    let base = format!("/api/v1/instructor/courses/{id}");
    for (key, order, title) in [("a", 1, "Layanan digital pemerintah"), ("b", 2, "Keamanan akun dan data")] {
        let m = json!({"title": title, "order": order, "min_engaged_minutes": 2, "body_markdown": BODY});
        assert_eq!(app.put_json(&format!("{base}/draft/modules/{key}"), &instructor, &m).await.status(), 200);
    }
    for (key, q, _) in bank() {
        assert_eq!(
            app.put_json(&format!("{base}/draft/questions/{key}"), &instructor, &q).await.status(),
            200
        );
    }
    let res = app.post_json(&format!("{base}/publish"), Some(&instructor), &json!({})).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    id
}

/// Ticks the right options of every question on the attempt page, with real clicks.
async fn answer_right(b: &Browser) {
    let questions = b
        .js("return [...document.querySelectorAll('fieldset.question')].map(f => ({
                text: f.querySelector('.qtext').textContent.trim(),
                options: [...f.querySelectorAll('.option')].map(o => ({ id: o.querySelector('input').id,
                    text: o.querySelector('label').textContent.replace(/^\\s*[A-Z]\\.\\s*/, '').trim() })) }));")
        .await;
    for q in questions.as_array().unwrap() {
        let (_, _, right) =
            bank().into_iter().find(|(_, b, _)| b["text"] == q["text"]).expect("a bank question");
        for o in q["options"].as_array().unwrap() {
            if right.contains(&o["text"].as_str().unwrap()) {
                b.click(&format!("label[for='{}']", o["id"].as_str().unwrap())).await;
            }
        }
    }
}

/// Waits (up to 10 seconds, moving the pointer if `interact`) until the player's status line says
/// `words`.
async fn player_says(b: &Browser, what: &str, words: &str, interact: bool) {
    let script = format!("document.querySelector('#player-status').textContent.includes('{words}')");
    b.wait_until(what, &script, Duration::from_secs(10), interact).await;
}

/// The credited seconds the player shows, read back from its words.
async fn shown_seconds(b: &Browser) -> i64 {
    let text = b.text("#credited").await;
    let mut total = 0;
    let words: Vec<&str> = text.split_whitespace().collect();
    for pair in words.chunks(2) {
        let n: i64 = pair[0].parse().unwrap_or(0);
        total += n * match pair.get(1) {
            Some(&"jam") => 3600,
            Some(&"menit") => 60,
            _ => 1,
        };
    }
    total
}

#[tokio::test]
async fn a_learner_goes_from_a_one_time_password_to_a_certificate_in_the_browser() {
    let mut env = TestEnv::new().await;
    env.settings.minutes_per_jp = 2;
    let app = TestApp::spawn_running(env, SPEED).await;
    let Some(b) = Browser::start("learner journey", &app.base).await else { return };
    let course_id = course(&app).await;
    let admin = app.signed_in("admin").await;
    let person = format!(
        "nip;name;email;employment_type;opd_code;opd_name;roles;rank;position\n\
         {LEARNER_NIP};Budi Santoso, S.Kep.;budi@test.go.id;PNS;DINKES;Dinas Kesehatan;learner;Penata Muda Tingkat I (III/b);Perawat Ahli Pertama\n"
    );
    app.accounts.import_people(person.as_bytes(), None).await.unwrap();
    let nip = LEARNER_NIP;
    let me: Value = app.get_ok(&format!("/api/v1/admin/users?nip={LEARNER_NIP}"), &admin).await;
    let learner_id = me["items"][0]["id"].as_str().unwrap().to_string();
    let res = app
        .post_json(&format!("/api/v1/admin/users/{learner_id}/one-time-password"), Some(&admin), &json!({}))
        .await;
    let otp = res.json::<Value>().await.unwrap()["one_time_password"].as_str().unwrap().to_string();

    // Sign in with the one-time password: the only page open is the one that replaces it.
    b.goto("/").await;
    b.check_accessible("sign-in").await;
    b.screenshot("masuk").await;
    b.fill("#login", "wrong@test.go.id").await;
    b.fill("#password", "salah-sekali").await;
    b.follow("button[type=submit].primary").await;
    assert!(b.text("#masuk-galat").await.contains("salah"), "a wrong password is said");
    b.fill("#login", nip).await;
    b.fill("#password", &otp).await;
    b.follow("button[type=submit].primary").await;
    assert_eq!(b.path().await, "/ganti-sandi");
    b.check_accessible("password change").await;
    b.goto("/beranda").await;
    assert_eq!(b.path().await, "/ganti-sandi", "nothing else opens before the password is replaced");
    b.fill("#current_password", &otp).await;
    b.fill("#new_password", "Sandi-Baru-Budi-2026").await;
    b.fill("#confirm_password", "Sandi-Baru-Budi-2026").await;
    b.follow("form[action='/ganti-sandi'] button.primary").await;

    // The dashboard: 0 of 20 JP.
    assert_eq!(b.path().await, "/beranda", "{}", b.text("main").await);
    assert!(b.text(".flash.ok").await.contains("sudah diganti"));
    assert_eq!(b.text("#jp-counted").await, "0");
    assert!(b.text(".jp-total").await.contains("/ 20 JP"));
    b.check_accessible("dashboard").await;

    // The catalog, the course page, enrolment.
    b.follow("nav a[href='/katalog']").await;
    b.check_accessible("catalog").await;
    b.fill("#q", "literasi").await;
    b.follow("form.filters button").await;
    assert!(b.text(".cards").await.contains("Literasi Digital untuk ASN"));
    b.follow(&format!("a[href='/kursus/{course_id}']")).await;
    b.check_accessible("course (not enrolled)").await;
    b.follow("#daftar").await;
    assert!(b.text(".flash.ok").await.contains("terdaftar"));
    b.check_accessible("course (enrolled)").await;

    // The player: the server credits time only while the page is visible and used.
    b.follow("ol.modules li:first-child a").await;
    let first_module = b.path().await;
    player_says(&b, "a running session", "berjalan", true).await;
    b.wait_until(
        "the first credit",
        "document.querySelector('#credited').textContent !== '0 detik'",
        Duration::from_secs(10),
        true,
    )
    .await;
    b.check_accessible("player").await;
    b.screenshot("pemutar").await;
    assert_eq!(b.js("return document.querySelector('#complete').disabled").await, true);

    // Hidden: beats go on, but nothing is credited.
    b.client.minimize_window().await.unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let hidden_from = shown_seconds(&b).await;
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let hidden_to = shown_seconds(&b).await;
    assert_eq!(hidden_from, hidden_to, "a hidden page earned study time");
    assert!(b.text("#player-status").await.contains("tidak tampil"), "the player says why nothing counts");
    // A player that opens out of sight (a background tab, tabs restored at start-up) waits to be
    // looked at before it takes the session.
    b.goto(&first_module).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(b.text("#player-status").await.contains("dimulai saat halaman ini dibuka"));
    b.client.set_window_rect(0, 0, crate::browser::WIDTH, crate::browser::HEIGHT).await.unwrap();
    player_says(&b, "the session once looked at", "berjalan", true).await;

    // A second tab takes over; the first says so and can take it back.
    let first = b.client.window().await.unwrap();
    let second = b.client.new_window(true).await.unwrap().handle;
    b.client.switch_to_window(second.clone()).await.unwrap();
    b.goto(&first_module).await;
    player_says(&b, "the second tab's session", "berjalan", true).await;
    b.client.switch_to_window(first.clone()).await.unwrap();
    player_says(&b, "the first tab superseded", "digantikan", false).await;
    assert_eq!(b.js("return document.querySelector('#takeover').hidden").await, false);
    b.screenshot("pemutar-digantikan").await;
    b.client.switch_to_window(second).await.unwrap();
    b.client.close_window().await.unwrap();
    b.client.switch_to_window(first).await.unwrap();
    b.click("#takeover").await;

    // Study until the server says the module can be completed, then complete it.
    b.wait_until(
        "the module's minimum",
        "!document.querySelector('#complete').disabled",
        Duration::from_secs(40),
        true,
    )
    .await;
    b.follow("#complete").await;
    assert!(b.text(".flash.ok").await.contains("Modul selesai"));
    assert_ne!(b.path().await, first_module, "on to the next module");

    // A dropped connection is said, earns nothing, and study resumes when it is back.
    player_says(&b, "a running session", "berjalan", true).await;
    b.offline(true).await;
    player_says(&b, "the drop to be said", "Koneksi terputus", true).await;
    let offline_at = shown_seconds(&b).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(shown_seconds(&b).await, offline_at, "nothing is shown as credited while offline");
    b.offline(false).await;
    b.wait_until("the player to resume", "document.querySelector('#player-status').textContent.includes('Tersambung kembali') || document.querySelector('#player-status').textContent.includes('berjalan')", Duration::from_secs(10), true).await;
    b.wait_until(
        "the second module's minimum",
        "!document.querySelector('#complete').disabled",
        Duration::from_secs(40),
        true,
    )
    .await;
    b.follow("#complete").await;
    assert_eq!(b.path().await, format!("/kursus/{course_id}"));
    assert!(b.text(".flash.ok").await.contains("Post-test sudah terbuka"));

    // The post-test: answers saved as they are ticked, a confirmation, the result.
    b.follow("#mulai-post-test").await;
    assert!(b.path().await.starts_with("/percobaan/"));
    let attempt_page = b.path().await;
    b.check_accessible("post-test").await;
    answer_right(&b).await;
    b.wait_until(
        "the autosave",
        // Every question answered and saved: an earlier save of fewer answers says "tersimpan"
        // too, and the last one may still be on its way.
        "/(\\d+) dari \\1 soal terjawab · tersimpan/.test(document.querySelector('#autosave').textContent)",
        Duration::from_secs(10),
        false,
    )
    .await;
    b.js("window.scrollTo(0, 0);").await;
    b.screenshot("post-test").await;
    b.goto(&attempt_page).await;
    let ticked = b.js("return document.querySelectorAll('fieldset.question input:checked').length").await;
    assert!(ticked.as_i64().unwrap() >= 4, "saved answers come back after a reload: {ticked}");
    b.follow("#kumpulkan").await;
    assert!(b.path().await.ends_with("/kumpulkan"));
    assert!(b.text("main").await.contains("4 dari 4"));
    b.check_accessible("submit confirmation").await;
    b.follow("#kumpulkan-sekarang").await;
    assert_eq!(b.text("#nilai").await, "100");
    assert!(b.text("#hasil").await.starts_with("Lulus"));
    assert!(b.text(".flash.ok").await.contains("Sertifikat"));
    b.check_accessible("result").await;

    // The certificate: listed with its JP, QR code and downloads.
    b.follow("nav a[href='/sertifikat']").await;
    assert!(b.text(".certificate").await.contains("2 JP"));
    b.wait_until(
        "the QR code",
        "document.querySelector('img.qr').complete && document.querySelector('img.qr').naturalWidth > 0",
        Duration::from_secs(5),
        false,
    )
    .await;
    b.check_accessible("certificates").await;
    b.screenshot("sertifikat").await;
    let pdf_href = b.js("return document.querySelector('a[href$=\"/pdf\"]').getAttribute('href')").await;
    let res = app
        .client
        .get(app.url(pdf_href.as_str().unwrap()))
        .header("cookie", b.session_cookie().await)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    let read = certificates::inspect::read(&pdf).expect("the PDF reads back");
    assert!(read.text.contains("Literasi Digital untuk ASN"), "{}", read.text);

    // The dashboard counts the course: 2 of 20 JP.
    b.follow("nav a[href='/beranda']").await;
    assert_eq!(b.text("#jp-counted").await, "2");
    assert!(b.text("table").await.contains("Sertifikat Penkom"));
    b.screenshot("beranda").await;

    // The study record says why time did not count.
    b.follow("nav a[href='/riwayat']").await;
    b.check_accessible("study record").await;
    b.follow("main ul.list a").await;
    let record = b.text("main").await;
    assert!(record.contains("tidak tampil di layar"), "{record}");
    assert!(record.contains("digantikan oleh tab atau perangkat lain"), "{record}");
    assert!(record.contains("diakhiri"), "leaving the page ended its session: {record}");
    b.check_accessible("module record").await;
    b.screenshot("riwayat").await;

    b.goto("/tidak-ada").await;
    assert!(b.text("h1").await.contains("Tidak ditemukan"));
    b.check_accessible("not found").await;
    b.goto("/beranda").await;

    // Signing out ends the session for the API too.
    b.follow("form.signout button").await;
    assert_eq!(b.path().await, "/");
    b.goto("/beranda").await;
    assert_eq!(b.path().await, "/?lanjut=%2Fberanda");
    drop(b);
    app.stop().await;
}

#[tokio::test]
async fn an_attempt_left_open_is_handed_in_with_its_saved_answers_when_time_runs_out() {
    let app = TestApp::spawn_running(TestEnv::new().await, SPEED).await;
    let Some(b) = Browser::start("post-test time-out", &app.base).await else { return };
    // Two minutes of server time: two seconds on this clock.
    let mut pt = crate::post_test::post_test(3, 0, 4, true);
    pt["time_limit_minutes"] = json!(2);
    let c = crate::post_test::course(&app, pt).await;
    for m in &c.modules {
        crate::post_test::study(&app, &c.learner, m).await;
    }
    b.goto("/").await;
    b.fill("#login", LEARNER_NIP).await;
    b.fill("#password", "Rahasia-19031005").await;
    b.follow("button[type=submit].primary").await;
    b.goto(&format!("/kursus/{}", c.id)).await;
    b.follow("#mulai-post-test").await;
    answer_right(&b).await;
    // No "Kumpulkan": the countdown hands the attempt in, with what was saved.
    b.wait_until("the result page", "!!document.querySelector('#nilai')", Duration::from_secs(20), false)
        .await;
    assert_eq!(b.text("#nilai").await, "100", "the answers ticked before time ran out count");
    drop(b);
    app.stop().await;
}

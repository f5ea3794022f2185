//! The `penkom users …` commands, run as the real binary against a test database.

use crate::support::{TestApp, TestEnv, penkom};

#[tokio::test]
async fn add_admin_and_set_password_read_the_password_from_stdin() {
    let env = TestEnv::new().await;
    let out = penkom(
        &env,
        &["users", "add-admin", "--email", "it@bkpsdm.go.id", "--name", "Admin TI"],
        Some("Kata-Sandi-Admin-1\n"),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let out = penkom(
        &env,
        &["users", "add-admin", "--email", "it@bkpsdm.go.id", "--name", "Lagi"],
        Some("Kata-Sandi-Admin-1\n"),
    );
    assert!(!out.status.success(), "the same e-mail twice is refused");

    let out = penkom(&env, &["users", "add-admin", "--email", "x@bkpsdm.go.id", "--name", "X"], Some(""));
    assert!(!out.status.success(), "an empty password is refused");

    let app = TestApp::spawn_in(env).await;
    assert_eq!(app.login("it@bkpsdm.go.id", "Kata-Sandi-Admin-1").await.status(), 200);
    let env = app.stop().await;

    let out = penkom(&env, &["users", "set-password", "it@bkpsdm.go.id"], Some("Kata-Sandi-Baru-22\n"));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let app = TestApp::spawn_in(env).await;
    assert_eq!(app.login("it@bkpsdm.go.id", "Kata-Sandi-Admin-1").await.status(), 401);
    assert_eq!(app.login("it@bkpsdm.go.id", "Kata-Sandi-Baru-22").await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn users_import_reports_bad_rows_and_is_idempotent() {
    let env = TestEnv::new().await;
    let file = env.dir.path().join("pegawai.csv");
    std::fs::write(
        &file,
        "nip;name;email;employment_type;opd_code;opd_name\n\
         199103172019031005;Budi Santoso;budi@kota.go.id;PNS;DINKES;Dinas Kesehatan\n\
         199507252023012006;Sri Wahyuni;sri@kota.go.id;PPPK;DINKES;Dinas Kesehatan\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let out = penkom(&env, &["users", "import", path], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 created"));
    let out = penkom(&env, &["users", "import", path], None);
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 unchanged"));

    std::fs::write(&file, "nip;name;email;employment_type;opd_code;opd_name\n123;X;x@kota.go.id;PNS;A;A\n")
        .unwrap();
    let out = penkom(&env, &["users", "import", path], None);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 2 [nip]"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

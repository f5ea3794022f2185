//! People import over the API: all or nothing, idempotent on NIP, with every bad row reported.

use serde_json::Value;

use crate::support::{TestApp, error_code};

const FILE: &str = "nip;name;email;employment_type;opd_code;opd_name;roles;rank;position\n\
    199103172019031005;Budi Santoso, S.Kep.;budi@kota.go.id;PNS;DINKES;Dinas Kesehatan;learner;Penata Muda Tingkat I (III/b);Perawat\n\
    199507252023012006;Sri Wahyuni, A.Md.Keb.;sri@kota.go.id;PPPK;DINKES;Dinas Kesehatan;;IX;Bidan\n\
    199211302020121007;Rizky Maulana, S.Pd.;rizky@kota.go.id;PNS;DISDIK;Dinas Pendidikan;learner|instructor;;\n";

async fn people_total(app: &TestApp, admin: &str) -> u64 {
    let page: Value = app.get("/api/v1/admin/users?limit=500", Some(admin)).await.json().await.unwrap();
    page["total"].as_u64().unwrap()
}

#[tokio::test]
async fn import_is_idempotent_and_updates_changed_rows() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("admin").await;
    let before = people_total(&app, &admin).await;

    let res = app.post_csv("/api/v1/admin/users/import", &admin, FILE).await;
    assert_eq!(res.status(), 200);
    let r: Value = res.json().await.unwrap();
    assert_eq!(
        (r["rows"].as_u64(), r["created"].as_u64(), r["opds_created"].as_u64()),
        (Some(3), Some(3), Some(2))
    );
    assert_eq!(people_total(&app, &admin).await, before + 3);

    let r: Value = app.post_csv("/api/v1/admin/users/import", &admin, FILE).await.json().await.unwrap();
    assert_eq!(
        (r["created"].as_u64(), r["updated"].as_u64(), r["unchanged"].as_u64()),
        (Some(0), Some(0), Some(3))
    );

    let changed = FILE
        .replace("Penata Muda Tingkat I (III/b)", "Penata (III/c)")
        .replace("learner|instructor", "learner");
    let r: Value = app.post_csv("/api/v1/admin/users/import", &admin, &changed).await.json().await.unwrap();
    assert_eq!((r["updated"].as_u64(), r["unchanged"].as_u64()), (Some(2), Some(1)));
    let page: Value =
        app.get("/api/v1/admin/users?nip=199103172019031005", Some(&admin)).await.json().await.unwrap();
    assert_eq!(page["items"][0]["rank"], "Penata (III/c)");
    let page: Value =
        app.get("/api/v1/admin/users?nip=199211302020121007", Some(&admin)).await.json().await.unwrap();
    assert_eq!(page["items"][0]["roles"], serde_json::json!(["learner"]));

    let opds: Value = app.get("/api/v1/opds", Some(&admin)).await.json().await.unwrap();
    let codes: Vec<&str> = opds.as_array().unwrap().iter().map(|o| o["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"DINKES") && codes.contains(&"DISDIK"));
    app.stop().await;
}

#[tokio::test]
async fn a_file_with_bad_rows_imports_nothing_and_names_every_row() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("admin").await;
    let before = people_total(&app, &admin).await;
    let bad = format!(
        "{FILE}198502302010011001;Tanggal Salah;salah@kota.go.id;PNS;DINKES;Dinas Kesehatan;;;\n\
         199608142023012008;Dewi;dewi@kota.go.id;Honorer;DISDIK;Dinas Pendidikan;guru;;\n"
    );
    let res = app.post_csv("/api/v1/admin/users/import", &admin, &bad).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_import_file");
    let rows = body["error"]["details"]["rows"].as_array().unwrap();
    let lines: Vec<u64> = rows.iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert!(lines.contains(&5) && lines.contains(&6), "{rows:?}");
    assert!(!lines.iter().any(|l| (2..=4).contains(l)), "good rows are not reported");
    assert_eq!(rows.iter().filter(|r| r["line"] == 6).count(), 2, "both bad fields of line 6");
    assert_eq!(people_total(&app, &admin).await, before, "nothing was imported");
    app.stop().await;
}

#[tokio::test]
async fn an_email_owned_by_another_person_is_a_conflict() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("admin").await;
    app.post_csv("/api/v1/admin/users/import", &admin, FILE).await;
    let clash = "nip,name,email,employment_type,opd_code,opd_name\n\
        199608142023012008,Dewi Lestari,budi@kota.go.id,PPPK,DISDIK,Dinas Pendidikan\n";
    let res = app.post_csv("/api/v1/admin/users/import", &admin, clash).await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "import_conflict");
    assert_eq!(body["error"]["details"]["rows"][0]["line"], 2);
    app.stop().await;
}

#[tokio::test]
async fn concurrent_imports_of_one_file_both_succeed_without_duplicates() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("admin").await;
    let before = people_total(&app, &admin).await;
    let (a, b) = tokio::join!(
        app.post_csv("/api/v1/admin/users/import", &admin, FILE),
        app.post_csv("/api/v1/admin/users/import", &admin, FILE)
    );
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    let ra: Value = a.json().await.unwrap();
    let rb: Value = b.json().await.unwrap();
    assert_eq!(ra["created"].as_u64().unwrap() + rb["created"].as_u64().unwrap(), 3);
    assert_eq!(people_total(&app, &admin).await, before + 3);
    app.stop().await;
}

#[tokio::test]
async fn import_needs_csv_and_respects_its_size_limit() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("admin").await;
    let res = app
        .client
        .post(app.url("/api/v1/admin/users/import"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"rows": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 415);
    let big = "x".repeat(17 * 1024 * 1024);
    let res = app.post_csv("/api/v1/admin/users/import", &admin, &big).await;
    assert_eq!(res.status(), 413);
    assert_eq!(error_code(res).await, "body_too_large");
    app.stop().await;
}

#[tokio::test]
async fn imported_people_have_no_password_until_one_is_issued() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("admin").await;
    app.post_csv("/api/v1/admin/users/import", &admin, FILE).await;
    let page: Value =
        app.get("/api/v1/admin/users?nip=199103172019031005", Some(&admin)).await.json().await.unwrap();
    let id: uuid::Uuid = page["items"][0]["id"].as_str().unwrap().parse().unwrap();
    assert!(!app.accounts.has_password(penkom_core::UserId(id)).await.unwrap());
    app.stop().await;
}

#[tokio::test]
async fn a_file_without_roles_or_rank_columns_keeps_what_is_stored() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("admin").await;
    app.post_csv("/api/v1/admin/users/import", &admin, FILE).await;
    // A plain HR export: no roles, rank or position columns, and it lists the administrator too.
    let export = "nip,name,email,employment_type,opd_code,opd_name\n\
        197801012005011001,Admin Baru,admin@test.go.id,PNS,BKPSDM,Unit BKPSDM\n\
        199211302020121007,Rizky Maulana,rizky@kota.go.id,PNS,DISDIK,Dinas Pendidikan\n";
    let r: Value = app.post_csv("/api/v1/admin/users/import", &admin, export).await.json().await.unwrap();
    assert_eq!(r["updated"], 2, "{r}");
    let me: Value = app.get("/api/v1/me", Some(&admin)).await.json().await.unwrap();
    assert_eq!(me["roles"], serde_json::json!(["admin"]), "the administrator keeps the role");
    assert_eq!(me["name"], "Admin Baru");
    let page: Value =
        app.get("/api/v1/admin/users?nip=199211302020121007", Some(&admin)).await.json().await.unwrap();
    assert_eq!(page["items"][0]["roles"], serde_json::json!(["learner", "instructor"]));
    let page: Value =
        app.get("/api/v1/admin/users?nip=199103172019031005", Some(&admin)).await.json().await.unwrap();
    assert_eq!(page["items"][0]["rank"], "Penata Muda Tingkat I (III/b)", "untouched row keeps its rank");
    app.stop().await;
}

#[tokio::test]
async fn a_city_sized_file_within_the_limit_is_accepted() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("admin").await;
    let mut csv = String::from("nip;name;email;employment_type;opd_code;opd_name;roles;rank;position\n");
    for i in 0..1500 {
        let kind = if i % 3 == 0 { "PPPK" } else { "PNS" };
        csv.push_str(&format!(
            "1990010120200{}1{:03};Pegawai Nomor {i};pegawai{i}@kota.go.id;{kind};OPD{};Organisasi {};learner;Penata Muda (III/a);Analis\n",
            1 + i % 9,
            i % 1000,
            i % 12,
            i % 12
        ));
    }
    assert!(csv.len() > 64 * 1024, "larger than the JSON limit");
    let res = app.post_csv("/api/v1/admin/users/import", &admin, &csv).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["created"], 1500);
    assert_eq!(body["opds_created"], 12);
    app.stop().await;
}

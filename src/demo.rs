//! Demo data for `penkom serve --demo`: one account per role and a few learners (PNS and PPPK
//! in two OPDs). Accounts are created only if missing, and a password is generated and printed
//! only for an account that has none, so restarting with `--demo` never changes a password.

use accounts::{Accounts, Password, PeopleFilter};
use penkom_core::Nip;

/// `nip;name;email;employment_type;opd_code;opd_name;roles;rank;position`, as an import file.
const DEMO_PEOPLE: &str = "\
nip;name;email;employment_type;opd_code;opd_name;roles;rank;position
197801012005011001;Drs. Hendra Wijaya, M.Si.;admin@demo.penkom.id;PNS;BKPSDM;Badan Kepegawaian dan Pengembangan Sumber Daya Manusia;admin;Pembina Tingkat I (IV/b);Kepala Bidang Pengembangan Kompetensi
198206152008012002;Dr. Ratna Sari, S.Psi., M.Pd.;instruktur@demo.penkom.id;PNS;BKPSDM;Badan Kepegawaian dan Pengembangan Sumber Daya Manusia;instructor;Pembina (IV/a);Widyaiswara Ahli Madya
198909092014031003;Agus Pratama, S.E.;verifikator@demo.penkom.id;PNS;BKPSDM;Badan Kepegawaian dan Pengembangan Sumber Daya Manusia;verifier;Penata (III/c);Analis SDM Aparatur
198704202010012004;Nur Aisyah, S.Kom.;admin.dinkes@demo.penkom.id;PNS;DINKES;Dinas Kesehatan;opd_admin|learner;Penata Tingkat I (III/d);Pranata Komputer Ahli Muda
199103172019031005;Budi Santoso, S.Kep.;budi@demo.penkom.id;PNS;DINKES;Dinas Kesehatan;learner;Penata Muda Tingkat I (III/b);Perawat Ahli Pertama
199507252023012006;Sri Wahyuni, A.Md.Keb.;sri@demo.penkom.id;PPPK;DINKES;Dinas Kesehatan;learner;IX;Bidan Terampil
199211302020121007;Rizky Maulana, S.Pd.;rizky@demo.penkom.id;PNS;DISDIK;Dinas Pendidikan dan Kebudayaan;learner;Penata Muda (III/a);Guru Ahli Pertama
199608142023012008;Dewi Lestari, S.Pd.;dewi@demo.penkom.id;PPPK;DISDIK;Dinas Pendidikan dan Kebudayaan;learner;IX;Guru Ahli Pertama
";

/// A demo account whose password was just set.
pub struct DemoAccount {
    pub roles: String,
    pub nip: String,
    pub email: String,
    pub password: String,
}

/// Creates the demo people and returns the accounts that got a new password.
pub async fn seed(accounts: &Accounts) -> anyhow::Result<Vec<DemoAccount>> {
    accounts.import_people(DEMO_PEOPLE.as_bytes(), None).await?;
    let mut fresh = Vec::new();
    for line in DEMO_PEOPLE.lines().skip(1) {
        let cols: Vec<&str> = line.split(';').collect();
        let nip = Nip::parse(cols[0])?;
        let filter = PeopleFilter { nip: Some(nip.clone()), limit: 1, ..Default::default() };
        let page = accounts.list_people(&filter).await?;
        let Some(person) = page.items.first() else { continue };
        if accounts.has_password(person.id).await? {
            continue;
        }
        let password = Password::generate();
        accounts.set_password(nip.as_str(), password.expose()).await?;
        fresh.push(DemoAccount {
            roles: cols[6].replace('|', ", "),
            nip: nip.to_string(),
            email: cols[2].to_string(),
            password: password.expose().to_string(),
        });
    }
    Ok(fresh)
}

/// Prints new demo passwords once, on standard output (not the log), and where to sign in.
pub fn print(accounts: &[DemoAccount], url: &str) {
    if accounts.is_empty() {
        println!("Demo accounts already exist; their passwords were printed when they were created.");
        println!("Use `penkom users set-password NIP` to set a new one.");
        println!("Open {url}/ in a browser and sign in.");
        return;
    }
    println!("\nDemo accounts (passwords are shown only this once):");
    println!("{:<20} {:<20} {:<30} password", "roles", "NIP", "e-mail");
    for a in accounts {
        println!("{:<20} {:<20} {:<30} {}", a.roles, a.nip, a.email, a.password);
    }
    println!("\nOpen {url}/ in a browser and sign in as a learner (e.g. budi@demo.penkom.id).");
    println!("\"Orientasi Belajar di Penkom\" in the catalog takes about 15 minutes to a certificate.");
    println!("API clients: POST /api/v1/auth/login {{\"login\": NIP or e-mail, \"password\": …}}\n");
}

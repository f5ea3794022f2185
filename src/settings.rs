//! Everything Penkom can be configured with, from flags or `PENKOM_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use penkom_core::LocalZone;

/// Settings shared by every subcommand.
#[derive(Clone, Args)]
pub struct Settings {
    /// Directory for the embedded SQLite database, signing keys and outgoing mail files.
    #[arg(long, env = "PENKOM_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,

    /// Database URL (`postgres://user:pass@host/db` in production). Default: SQLite in the
    /// data directory.
    #[arg(long, env = "PENKOM_DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Maximum database connections of this node.
    #[arg(long, env = "PENKOM_DATABASE_MAX_CONNECTIONS", default_value_t = 16, global = true)]
    pub database_max_connections: u32,

    /// Redis URL for the live store shared by all API nodes. Default: an in-process store,
    /// which is only correct with a single node.
    #[arg(long, env = "PENKOM_REDIS_URL", global = true)]
    pub redis_url: Option<String>,

    /// Prefix of every Redis key, so that several deployments can share one Redis.
    #[arg(long, env = "PENKOM_REDIS_PREFIX", default_value = "penkom:", global = true)]
    pub redis_prefix: String,

    /// Base URL of links in certificates and e-mails.
    #[arg(long, env = "PENKOM_PUBLIC_URL", default_value = "http://127.0.0.1:3000", global = true)]
    pub public_url: String,

    /// IANA time zone in which days and years are counted.
    #[arg(long, env = "PENKOM_TIMEZONE", default_value = "Asia/Makassar", value_parser = parse_zone, global = true)]
    pub timezone: LocalZone,

    /// SMTP server for outgoing mail (`smtps://user:pass@host:465` or `smtp://…?tls=required`).
    /// Default: mail is written as `.eml` files under the data directory.
    #[arg(long, env = "PENKOM_SMTP_URL", global = true)]
    pub smtp_url: Option<String>,

    /// Sender of outgoing mail.
    #[arg(
        long,
        env = "PENKOM_MAIL_FROM",
        default_value = "Penkom BKPSDM <noreply@penkom.invalid>",
        global = true
    )]
    pub mail_from: String,

    /// Minutes of study per JP (jam pelajaran). LAN convention is 45.
    #[arg(long, env = "PENKOM_MINUTES_PER_JP", default_value_t = 45, value_parser = clap::value_parser!(u32).range(1..=600), global = true)]
    pub minutes_per_jp: u32,

    /// Seconds between heartbeats that clients are asked to keep.
    #[arg(long, env = "PENKOM_HEARTBEAT_INTERVAL_S", default_value_t = 30, value_parser = clap::value_parser!(u32).range(10..=300), global = true)]
    pub heartbeat_interval_s: u32,

    /// Credited study time per learner per local day, in minutes.
    #[arg(long, env = "PENKOM_DAILY_CAP_MINUTES", default_value_t = 480, value_parser = clap::value_parser!(u32).range(1..=1440), global = true)]
    pub daily_cap_minutes: u32,

    #[command(flatten)]
    pub certificates: CertificateSettings,

    /// This node's name, stable across its restarts: it marks the mail this node is sending, so
    /// that after a crash it takes those claims back at once. Give each node its own. Default:
    /// a name generated at first start and kept in the data directory (`node-id`).
    #[arg(long, env = "PENKOM_NODE_ID", global = true)]
    pub node_id: Option<String>,

    /// Log format: `text` or `json`.
    #[arg(long, env = "PENKOM_LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: String,
}

/// Who issues certificates, who signs them, with which keys, and how they are numbered.
#[derive(Clone, Args)]
pub struct CertificateSettings {
    /// Directory of the certificate signing keys. Default: `keys` in the data directory. Every
    /// API node needs the same keys (copy the directory, or mount it from a secret store).
    #[arg(long, env = "PENKOM_KEYS_DIR", global = true)]
    pub keys_dir: Option<PathBuf>,

    /// Name of the issuing agency, as certificates print it.
    #[arg(long, env = "PENKOM_ISSUER_NAME", default_value = "BKPSDM Kota Balikpapan", global = true)]
    pub issuer_name: String,

    /// Place of issue, printed before the date ("Balikpapan, 2 November 2026").
    #[arg(long, env = "PENKOM_ISSUER_PLACE", default_value = "Balikpapan", global = true)]
    pub issuer_place: String,

    /// Name (with titles) of the official who signs certificates.
    #[arg(long, env = "PENKOM_SIGNER_NAME", default_value = "Pejabat Penandatangan", global = true)]
    pub signer_name: String,

    /// NIP of the signing official.
    #[arg(long, env = "PENKOM_SIGNER_NIP", default_value = "-", global = true)]
    pub signer_nip: String,

    /// Position of the signing official.
    #[arg(
        long,
        env = "PENKOM_SIGNER_POSITION",
        default_value = "Kepala BKPSDM Kota Balikpapan",
        global = true
    )]
    pub signer_position: String,

    /// Certificate number template: `{seq}` (or `{seq:5}`, zero-padded) counts within the year,
    /// `{year}` is the local year of completion.
    #[arg(long, env = "PENKOM_CERTIFICATE_NUMBER", default_value = "{seq}/PENKOM/BKPSDM/{year}", value_parser = parse_template, global = true)]
    pub certificate_number: certificates::NumberTemplate,
}

impl Default for CertificateSettings {
    /// The same values as the flags' defaults (a test keeps the two in step).
    fn default() -> Self {
        Self {
            keys_dir: None,
            issuer_name: "BKPSDM Kota Balikpapan".into(),
            issuer_place: "Balikpapan".into(),
            signer_name: "Pejabat Penandatangan".into(),
            signer_nip: "-".into(),
            signer_position: "Kepala BKPSDM Kota Balikpapan".into(),
            certificate_number: certificates::NumberTemplate::default(),
        }
    }
}

/// Settings of `penkom serve` only.
#[derive(Clone, Args)]
pub struct ServeSettings {
    /// Address to listen on.
    #[arg(long, env = "PENKOM_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Create demo accounts (one per role and a few learners) and print their passwords once.
    #[arg(long, env = "PENKOM_DEMO")]
    pub demo: bool,

    /// Do not apply database migrations at start (run `penkom migrate up` instead).
    #[arg(long, env = "PENKOM_NO_MIGRATE")]
    pub no_migrate: bool,

    /// Import the course folder at this path at start (see `content/README.md`).
    #[arg(long, env = "PENKOM_CONTENT_DIR")]
    pub content_dir: Option<std::path::PathBuf>,

    /// With `--demo`, the folder of demo courses imported beside the content folder (a short
    /// orientation course a newcomer can finish in a quarter of an hour). Skipped if missing.
    #[arg(long, env = "PENKOM_DEMO_CONTENT_DIR", default_value = "demo")]
    pub demo_content_dir: std::path::PathBuf,

    /// Run on a clock that an administrator advances (`POST /api/v1/admin/clock`), for
    /// end-to-end tests and demonstrations. Never in production.
    #[arg(long, env = "PENKOM_SIMULATED_CLOCK")]
    pub simulated_clock: bool,

    /// Where the simulated clock starts (RFC 3339). Default: now.
    #[arg(long, env = "PENKOM_SIMULATED_CLOCK_START", requires = "simulated_clock")]
    pub simulated_clock_start: Option<chrono::DateTime<chrono::Utc>>,

    /// How many times faster than real time the simulated clock runs on its own (0: it moves
    /// only when an administrator advances it). With 60, a 90-minute course is studied in a
    /// minute and a half of real time: for demonstrations and the browser tests.
    #[arg(long, env = "PENKOM_SIMULATED_CLOCK_SPEED", default_value_t = 0, requires = "simulated_clock", value_parser = clap::value_parser!(u32).range(0..=3600))]
    pub simulated_clock_speed: u32,

    /// Test-only failure injection, honoured only with `--simulated-clock`:
    /// `abort_before_issuance` kills the process between a course completion and its certificate;
    /// `slow_startup_sweep` holds the start-up sweep (and so readiness) for a second.
    #[arg(long, env = "PENKOM_FAILPOINT")]
    pub failpoint: Option<String>,

    /// Allow `--simulated-clock` with a PostgreSQL database.
    #[arg(long = "i-know-this-is-not-production")]
    pub not_production: bool,

    /// Take the client address from the last `X-Forwarded-For` entry. Only behind a load
    /// balancer that sets it.
    #[arg(long, env = "PENKOM_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,

    /// Connections this node keeps open at once; past it, new ones get a 503 at once. Default:
    /// 10,000, or less if the open-file limit is lower.
    #[arg(long, env = "PENKOM_MAX_CONNECTIONS", value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: Option<u64>,

    /// Seconds a client has to send a request's head (and a kept-alive connection may stay idle).
    #[arg(long, env = "PENKOM_HEADER_TIMEOUT_S", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_timeout_s: u64,

    /// Longest pause, in seconds, while a request body is being sent.
    #[arg(long, env = "PENKOM_BODY_TIMEOUT_S", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub body_timeout_s: u64,

    /// Reports (compliance, SIASN export) this node builds at once; more wait up to 10 s, then
    /// get 503 `reports_busy`.
    #[arg(long, env = "PENKOM_MAX_REPORTS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub max_reports: u64,

    /// Longest time, in seconds, a whole request body may take.
    #[arg(long, env = "PENKOM_BODY_DEADLINE_S", default_value_t = 180, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_deadline_s: u64,
}

fn parse_template(s: &str) -> Result<certificates::NumberTemplate, String> {
    certificates::NumberTemplate::parse(s).map_err(|e| e.to_string())
}

fn parse_zone(s: &str) -> Result<LocalZone, String> {
    LocalZone::parse(s)
}

impl Settings {
    /// Where the signing keys live.
    pub fn effective_keys_dir(&self) -> PathBuf {
        self.certificates.keys_dir.clone().unwrap_or_else(|| self.data_dir.join("keys"))
    }

    /// The certificate service's configuration.
    pub fn certificate_config(&self) -> certificates::CertificateConfig {
        let public_url = self.public_url.trim_end_matches('/').to_string();
        let c = &self.certificates;
        certificates::CertificateConfig {
            issuer: certificates::Issuer {
                did: certificates::keys::did_web(&public_url),
                public_url,
                name: c.issuer_name.clone(),
                place: c.issuer_place.clone(),
                signer_name: c.signer_name.clone(),
                signer_nip: c.signer_nip.clone(),
                signer_position: c.signer_position.clone(),
            },
            template: c.certificate_number.clone(),
            zone: self.timezone,
        }
    }

    /// This node's name: the configured one, or the one kept in the data directory (made at
    /// first start).
    pub fn effective_node_id(&self) -> anyhow::Result<String> {
        if let Some(id) = self.node_id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
            return Ok(id.to_string());
        }
        let path = self.data_dir.join("node-id");
        match std::fs::read_to_string(&path) {
            Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_string()),
            _ => {
                std::fs::create_dir_all(&self.data_dir)?;
                let id = format!("node-{}", uuid::Uuid::new_v4().simple());
                std::fs::write(&path, &id)?;
                Ok(id)
            }
        }
    }

    /// The database URL to use: the configured one, or the SQLite file in the data directory.
    pub fn effective_database_url(&self) -> anyhow::Result<String> {
        match &self.database_url {
            Some(url) => Ok(url.clone()),
            None => {
                std::fs::create_dir_all(&self.data_dir)?;
                Ok(penkom_storage::sqlite_url_for_dir(&self.data_dir))
            }
        }
    }
}

/// A URL fit for a log line: the password in the user part and any password-like query
/// parameter (`password=`, `sslpassword=`, …) are replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match base.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, tail) = match rest.find('/') {
                Some(i) => rest.split_at(i),
                None => (rest, ""),
            };
            match authority.rsplit_once('@') {
                Some((userinfo, host)) => {
                    let user = userinfo.split(':').next().unwrap_or("");
                    let masked =
                        if userinfo.contains(':') { format!("{user}:***") } else { user.to_string() };
                    format!("{scheme}://{masked}@{host}{tail}")
                }
                None => base.to_string(),
            }
        }
        None => base.to_string(),
    };
    match query {
        None => base,
        Some(q) => {
            let params: Vec<String> = q
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, _)) if k.to_ascii_lowercase().contains("pass") => format!("{k}=***"),
                    _ => pair.to_string(),
                })
                .collect();
            format!("{base}?{}", params.join("&"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            redact_url("postgres://penkom:s3cret@db:5432/penkom"),
            "postgres://penkom:***@db:5432/penkom"
        );
        assert_eq!(redact_url("redis://:s3cret@cache:6379/0"), "redis://:***@cache:6379/0");
        assert_eq!(
            redact_url("smtps://mail%40kota:p%40ss@smtp.kota.go.id:465"),
            "smtps://mail%40kota:***@smtp.kota.go.id:465"
        );
        assert_eq!(redact_url("sqlite://./data/penkom.db?mode=rwc"), "sqlite://./data/penkom.db?mode=rwc");
        assert_eq!(redact_url("redis://cache:6379"), "redis://cache:6379");
        assert_eq!(
            redact_url("postgres://penkom@db/penkom?password=s3cret&sslmode=require&sslpassword=x"),
            "postgres://penkom@db/penkom?password=***&sslmode=require&sslpassword=***"
        );
    }

    #[test]
    fn certificate_defaults_match_the_flags() {
        #[derive(clap::Parser)]
        struct Probe {
            #[command(flatten)]
            c: CertificateSettings,
        }
        let parsed = <Probe as clap::Parser>::parse_from(["penkom"]).c;
        let default = CertificateSettings::default();
        assert_eq!(
            (
                parsed.issuer_name,
                parsed.issuer_place,
                parsed.signer_name,
                parsed.signer_nip,
                parsed.signer_position
            ),
            (
                default.issuer_name,
                default.issuer_place,
                default.signer_name,
                default.signer_nip,
                default.signer_position
            )
        );
        assert_eq!(parsed.certificate_number, default.certificate_number);
        assert_eq!(parsed.keys_dir, default.keys_dir);
    }
}

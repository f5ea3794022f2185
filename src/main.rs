//! The `penkom` command: `serve`, `migrate`, `users …`.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use migrations::{Migrator, MigratorTrait};
use penkom::server::{Services, shutdown_signal};
use penkom::settings::{ServeSettings, Settings};
use penkom::{Server, demo};
use penkom_core::{ManualClock, SystemClock};

/// mimalloc instead of the system allocator: under heartbeat load glibc's malloc spent a fifth of
/// the server's time in its own bookkeeping (free-list consolidation, arena locks).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "penkom", version, about = "Verified e-learning for Indonesian civil servants")]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server.
    Serve(ServeSettings),
    /// Manage the database schema.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Check or import course content folders.
    Content {
        #[command(subcommand)]
        action: ContentAction,
    },
    /// Manage people and accounts.
    Users {
        #[command(subcommand)]
        action: UsersAction,
    },
    /// Manage certificate signing keys.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Verify a certificate credential offline, with no database: its signature against the
    /// keys, and, given a status list, whether it was revoked as of that list's date.
    Verify {
        /// The credential (JSON), as downloaded from `/api/v1/certificates/{id}`.
        file: PathBuf,
        /// The issuer's keys, as served at `/.well-known/jwks.json`.
        #[arg(long)]
        keys: PathBuf,
        /// The status list, as served at `/status/revocation`.
        #[arg(long)]
        status_list: Option<PathBuf>,
    },
    /// Recompute the certificates' hash-chained log and check every certificate against it.
    Audit {
        /// A signed log head saved earlier (from `/api/v1/log/head`): the log must still
        /// contain it, so that a rewritten or truncated log is caught.
        #[arg(long)]
        head: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum KeysAction {
    /// Add a signing key. The newest key signs from the next start on; older public keys stay
    /// published so that certificates they signed still verify.
    Generate,
    /// List the key files.
    List,
}

#[derive(Subcommand)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Roll back the last migration (or `--steps N`).
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// Show which migrations are applied.
    Status,
}

#[derive(Subcommand)]
enum ContentAction {
    /// Validate every course under DIR and report every problem with file and line.
    Check { dir: PathBuf },
    /// Import every course under DIR (idempotent; changed courses get a new version).
    Import { dir: PathBuf },
}

#[derive(Subcommand)]
enum UsersAction {
    /// Import people from a CSV file (all or nothing; idempotent on NIP).
    Import { file: PathBuf },
    /// Create an administrator. The password is read from standard input.
    AddAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Set anyone's password (by NIP or e-mail). The password is read from standard input.
    SetPassword { login: String },
}

/// Reads a password from standard input: never from an argument, where it would end up in the
/// shell history and in the process list for every user of the host to see.
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password (input is visible; pipe it in to avoid that): ");
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line).context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PENKOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(&cli.settings.log_format);
    let clock = Arc::new(SystemClock);
    match cli.command {
        Command::Serve(serve) => {
            let server = if serve.simulated_clock {
                let is_postgres = cli
                    .settings
                    .database_url
                    .as_deref()
                    .is_some_and(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"));
                if is_postgres && !serve.not_production {
                    bail!("--simulated-clock with PostgreSQL needs --i-know-this-is-not-production");
                }
                tracing::warn!(
                    "SIMULATED CLOCK: an administrator can move time; everything recorded is test data"
                );
                let sim = ManualClock::running(
                    serve
                        .simulated_clock_start
                        .unwrap_or_else(|| penkom_core::Clock::now(&penkom_core::SystemClock)),
                    serve.simulated_clock_speed,
                );
                Server::start_with(&cli.settings, &serve, Arc::new(sim.clone()), Some(sim)).await?
            } else {
                Server::start(&cli.settings, &serve, clock).await?
            };
            if serve.demo {
                let fresh = demo::seed(&server.services.accounts).await?;
                demo::print(&fresh, &format!("http://{}", server.local_addr()));
            }
            tracing::info!(addr = %server.local_addr(), live_store = server.services.live.kind(), "Penkom is listening");
            server.run(shutdown_signal()).await?;
            tracing::info!("stopped");
        }
        Command::Migrate { action } => {
            let services = Services::connect(&cli.settings, clock, false).await?;
            match action {
                MigrateAction::Up => Migrator::up(&services.db, None).await?,
                MigrateAction::Down { steps } => Migrator::down(&services.db, Some(steps)).await?,
                MigrateAction::Status => {
                    for m in Migrator::get_migration_with_status(&services.db).await? {
                        println!("{}\t{}", m.name(), m.status());
                    }
                }
            }
        }
        Command::Content { action: ContentAction::Check { dir } } => {
            match course_delivery::format::load_dir(&dir, cli.settings.minutes_per_jp) {
                Ok(courses) => {
                    for c in &courses {
                        let s = &c.spec;
                        println!(
                            "ok  {}  {} ({} JP, {} modules, {} questions)",
                            s.meta.code,
                            s.meta.title,
                            s.meta.jp,
                            s.modules.len(),
                            s.questions.len()
                        );
                    }
                    println!("{} courses, no problems", courses.len());
                }
                Err(problems) => {
                    for p in &problems {
                        eprintln!("{p}");
                    }
                    eprintln!("{} problems", problems.len());
                    std::process::exit(1);
                }
            }
        }
        Command::Content { action: ContentAction::Import { dir } } => {
            let services = Services::connect(&cli.settings, clock, true).await?;
            let r = services
                .courses
                .import_content_dir(&dir)
                .await
                .map_err(|e| penkom::server::content_error(&dir, e))?;
            println!(
                "{} courses: {} created, {} new versions, {} unchanged, {} retired, {} restored",
                r.courses, r.created, r.new_versions, r.unchanged, r.retired, r.restored
            );
            for code in &r.skipped {
                eprintln!("skipped {code}: a course made through the API already uses this code");
            }
        }
        Command::Users { action } => {
            let services = Services::connect(&cli.settings, clock, true).await?;
            match action {
                UsersAction::Import { file } => {
                    let bytes =
                        std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
                    match services.accounts.import_people(&bytes, None).await {
                        Ok(r) => println!(
                            "{} rows: {} created, {} updated, {} unchanged; {} OPDs created, {} renamed",
                            r.rows, r.created, r.updated, r.unchanged, r.opds_created, r.opds_renamed
                        ),
                        Err(accounts::ImportError::Invalid(rows) | accounts::ImportError::Conflict(rows)) => {
                            eprintln!("Nothing was imported. Fix these rows and import again:");
                            for r in rows {
                                let col = r.column.map(|c| format!(" [{c}]")).unwrap_or_default();
                                eprintln!("  line {}{}: {}", r.line, col, r.reason);
                            }
                            std::process::exit(1);
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                UsersAction::AddAdmin { email, name } => {
                    let password = read_password()?;
                    let id = services.accounts.add_admin(&email, &name, &password).await?;
                    println!("administrator created: {id}");
                }
                UsersAction::SetPassword { login } => {
                    let password = read_password()?;
                    services.accounts.set_password(&login, &password).await?;
                    println!("password set for {login}");
                }
            }
        }
        Command::Keys { action } => {
            let dir = cli.settings.effective_keys_dir();
            match action {
                KeysAction::Generate => {
                    let key = certificates::keys::generate(&dir, penkom_core::Clock::now(clock.as_ref()))?;
                    println!("generated {} in {}", key.kid, dir.display());
                }
                KeysAction::List => {
                    for key in certificates::keys::load_dir(&dir)? {
                        println!("{}\t{}\t{}", key.kid, key.created.to_rfc3339(), key.public_key_multibase);
                    }
                }
            }
        }
        Command::Verify { file, keys, status_list } => {
            let read_json = |path: &PathBuf| -> anyhow::Result<serde_json::Value> {
                let text =
                    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                // Duplicate keys are refused: a reader that keeps the other value would see
                // another document than the one verified.
                certificates::strict_json::from_str(&text)
                    .with_context(|| format!("{} is not JSON without duplicate keys", path.display()))
            };
            let keys = certificates::PublicKeys::from_jwks(&read_json(&keys)?);
            let list = status_list.as_ref().map(read_json).transpose()?;
            let report = certificates::verify::offline(&read_json(&file)?, &keys, list.as_ref());
            println!("{}", serde_json::to_string_pretty(&report)?);
            // Scripts can branch on the exit code: 0 only for a valid credential.
            if report.verdict.status != certificates::verify::Status::Valid {
                std::process::exit(1);
            }
        }
        Command::Audit { head } => {
            let services = Services::connect(&cli.settings, clock, false).await?;
            let trusted = match &head {
                Some(path) => Some(serde_json::from_str(&std::fs::read_to_string(path)?)?),
                None => None,
            };
            let report = services.certificates.audit(trusted.as_ref()).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            // Every problem, one line each, so an operator sees the whole damage at once.
            for broken in &report.broken {
                eprintln!("the record log is broken at entry {}: {}", broken.seq, broken.reason);
            }
            if !report.broken.is_empty() {
                std::process::exit(1);
            }
        }
    }
    Ok(())
}

//! Building the running server from settings: connections, migrations, services, listener.

use std::net::SocketAddr;
use std::sync::Arc;

use accounts::{AccountPolicy, Accounts};
use anyhow::Context;
use certificates::Certificates;
use course_delivery::Courses;
use live_store::{LiveStore, MemoryStore, RedisStore};
use migrations::{Migrator, MigratorTrait};
use penkom_api::{ApiConfig, AppState};
use penkom_core::{Clock, ManualClock};
use penkom_storage::DatabaseConnection;
use progress_tracking::{CreditPolicy, Progress, Quizzes};
use tokio::net::TcpListener;

use crate::settings::{ServeSettings, Settings, redact_url};

/// The services, connected and ready, without a listener. Commands that do not serve HTTP
/// (`users import`, `migrate`) use this too.
pub struct Services {
    pub db: DatabaseConnection,
    pub live: Arc<dyn LiveStore>,
    pub clock: Arc<dyn Clock>,
    pub accounts: Accounts,
    pub courses: Courses,
    pub progress: Progress,
    pub certificates: Certificates,
    pub ledger: jp_ledger::Ledger,
    pub outbox: notifications::Outbox,
    pub mail: notifications::reminder::MailContext,
}

impl Services {
    /// Connects to the database (and Redis, if configured). Migrations are applied when
    /// `migrate` is true. Commands other than `serve` use this: they never create a signing key
    /// (a key made by a maintenance command on some host would be published but never used).
    pub async fn connect(settings: &Settings, clock: Arc<dyn Clock>, migrate: bool) -> anyhow::Result<Self> {
        Self::connect_with(settings, clock, migrate, false).await
    }

    /// As [`Services::connect`]; `generate_key` creates the first signing key if there is none
    /// (what `serve` does in the embedded default).
    pub async fn connect_with(
        settings: &Settings,
        clock: Arc<dyn Clock>,
        migrate: bool,
        generate_key: bool,
    ) -> anyhow::Result<Self> {
        let url = settings.effective_database_url()?;
        tracing::info!(database = %redact_url(&url), "connecting to the database");
        let db = penkom_storage::connect(&url, settings.database_max_connections)
            .await
            .with_context(|| format!("cannot open the database at {}", redact_url(&url)))?;
        if migrate {
            Migrator::up(&db, None).await.context("applying database migrations")?;
        }
        let live: Arc<dyn LiveStore> = match &settings.redis_url {
            Some(url) => {
                tracing::info!(redis = %redact_url(url), "connecting to Redis");
                Arc::new(
                    RedisStore::connect(url, &settings.redis_prefix)
                        .await
                        .with_context(|| format!("cannot reach Redis at {}", redact_url(url)))?,
                )
            }
            None => Arc::new(MemoryStore::new()),
        };
        let accounts = Accounts::new(db.clone(), live.clone(), clock.clone(), AccountPolicy::default());
        let courses = Courses::new(db.clone(), clock.clone(), settings.minutes_per_jp);
        let policy = CreditPolicy {
            interval_ms: i64::from(settings.heartbeat_interval_s) * 1000,
            // Half an interval of grace: a beat delayed by a busy browser or network still counts.
            grace_ms: i64::from(settings.heartbeat_interval_s) * 500,
            idle_limit_ms: i64::from(settings.heartbeat_interval_s) * 4000,
            min_gap_ms: i64::from(settings.heartbeat_interval_s) * 1000 / 6,
            daily_cap_ms: i64::from(settings.daily_cap_minutes) * 60_000,
        };
        let progress = Progress::new(db.clone(), live.clone(), clock.clone(), settings.timezone, policy);
        // The embedded default generates its first key at first start; a deployment that keeps
        // its keys elsewhere points PENKOM_KEYS_DIR at them.
        let certificates = Certificates::open(
            db.clone(),
            clock.clone(),
            settings.certificate_config(),
            &settings.effective_keys_dir(),
            generate_key,
        )
        .await
        .context("opening the certificate signing keys")?;
        let ledger = jp_ledger::Ledger::new(db.clone(), clock.clone(), settings.timezone);
        let transport: Arc<dyn notifications::Transport> = match &settings.smtp_url {
            Some(url) => Arc::new(
                notifications::SmtpTransport::from_url(url)
                    .map_err(|e| anyhow::anyhow!("PENKOM_SMTP_URL {} is not usable: {e}", redact_url(url)))?,
            ),
            None => Arc::new(notifications::FolderTransport(settings.data_dir.join("mail"))),
        };
        let from = settings.mail_from.parse().map_err(|e| {
            anyhow::anyhow!("PENKOM_MAIL_FROM {:?} is not an address: {e}", settings.mail_from)
        })?;
        let node = settings.effective_node_id().context("naming this node")?;
        let outbox = notifications::Outbox::new(db.clone(), clock.clone(), transport, from, node);
        let mail = notifications::reminder::MailContext {
            host: certificates.mail_host(),
            public_url: settings.public_url.trim_end_matches('/').to_string(),
            issuer: settings.certificates.issuer_name.clone(),
        };
        Ok(Self { db, live, clock, accounts, courses, progress, certificates, ledger, outbox, mail })
    }
}

/// A bound, not yet serving, HTTP server.
pub struct Server {
    listener: TcpListener,
    zone: penkom_core::LocalZone,
    router: axum::Router,
    limits: crate::serve::ConnectionLimits,
    endpoints: Vec<penkom_api::Endpoint>,
    web_endpoints: Vec<penkom_web::routes::WebEndpoint>,
    startup: Arc<penkom_api::state::Startup>,
    /// How long the start-up sweep waits before its first pass (only under a failpoint).
    sweep_delay: std::time::Duration,
    pub services: Services,
}

impl Server {
    /// Connects everything and binds the listener. `serve.listen` may use port 0 (tests do) to
    /// let the system pick a free port; [`Server::local_addr`] then tells which.
    pub async fn start(
        settings: &Settings,
        serve: &ServeSettings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        Self::start_with(settings, serve, clock, None).await
    }

    /// As [`Server::start`], with the simulated clock an administrator may advance (the same
    /// clock must be the one passed as `clock`).
    pub async fn start_with(
        settings: &Settings,
        serve: &ServeSettings,
        clock: Arc<dyn Clock>,
        simulated: Option<ManualClock>,
    ) -> anyhow::Result<Self> {
        let services = Services::connect_with(settings, clock, !serve.no_migrate, true).await?;
        let demo_dir =
            (serve.demo && serve.demo_content_dir.is_dir()).then_some(serve.demo_content_dir.as_path());
        if serve.demo && demo_dir.is_none() {
            tracing::warn!(dir = %serve.demo_content_dir.display(), "no demo course folder; only the content folder is imported");
        }
        let dirs: Vec<&std::path::Path> = serve.content_dir.as_deref().into_iter().chain(demo_dir).collect();
        if let Some(first) = dirs.first() {
            let report =
                services.courses.import_content_dirs(&dirs).await.map_err(|e| content_error(first, e))?;
            tracing::info!(dirs = ?dirs, ?report, "course content imported");
        }
        // Failure injection is honoured only on a server running the simulated clock.
        let simulated_failpoint = serve.failpoint.as_deref().filter(|_| simulated.is_some());
        // Everything completed while an administrator can move the clock is test data.
        let quizzes = Quizzes::new(services.db.clone(), services.clock.clone(), simulated.is_some());
        let graduation = certificates::Graduation::new(
            quizzes.clone(),
            services.certificates.clone(),
            services.outbox.clone(),
            simulated_failpoint == Some("abort_before_issuance"),
        );
        let startup = Arc::new(penkom_api::state::Startup::default());
        let state = AppState::new(penkom_api::state::Services {
            db: services.db.clone(),
            live: services.live.clone(),
            clock: services.clock.clone(),
            zone: settings.timezone,
            accounts: services.accounts.clone(),
            courses: services.courses.clone(),
            progress: services.progress.clone(),
            quizzes,
            certificates: services.certificates.clone(),
            graduation,
            ledger: services.ledger.clone(),
            outbox: services.outbox.clone(),
            mail: services.mail.clone(),
            simulated_clock: simulated,
            report_slots: penkom_api::slots::Slots::new(
                usize::try_from(serve.max_reports).unwrap_or(1),
                std::time::Duration::from_secs(10),
            ),
            startup: startup.clone(),
            config: Arc::new(ApiConfig {
                trust_forwarded_for: serve.trust_forwarded_for,
                public_url: settings.public_url.trim_end_matches('/').to_string(),
                body_idle_timeout: std::time::Duration::from_secs(serve.body_timeout_s),
                body_deadline: std::time::Duration::from_secs(serve.body_deadline_s),
                ..ApiConfig::default()
            }),
        });
        let endpoints = penkom_api::routes::endpoints(state.clone());
        let web = penkom_web::WebState::new(
            state.clone(),
            penkom_web::WebConfig {
                secure_cookies: settings.public_url.starts_with("https://"),
                clock_speed: state.simulated_clock.as_ref().map_or(1, |c| c.speed().max(1)),
            },
        );
        let web_endpoints = penkom_web::web_endpoints(web.clone());
        // The pages and the API are one application: one listener, one set of outer layers
        // (request ids, tracing, panic answers), and one fallback that answers a browser with
        // a page and a program with JSON.
        let config = state.config.clone();
        let router = penkom_api::routes::finish(
            penkom_api::routes::api_routes(state)
                .merge(penkom_web::router(web))
                .fallback(penkom_web::not_found),
            &config,
        );
        let limits = crate::serve::ConnectionLimits {
            max_connections: serve
                .max_connections
                .map_or_else(crate::serve::ConnectionLimits::default_max_connections, |n| {
                    usize::try_from(n).unwrap_or(usize::MAX)
                }),
            header_timeout: std::time::Duration::from_secs(serve.header_timeout_s),
        };
        let listener = TcpListener::bind(serve.listen)
            .await
            .with_context(|| format!("cannot listen on {}", serve.listen))?;
        let sweep_delay = if simulated_failpoint == Some("slow_startup_sweep") {
            std::time::Duration::from_secs(1)
        } else {
            std::time::Duration::ZERO
        };
        Ok(Self {
            listener,
            zone: settings.timezone,
            router,
            limits,
            endpoints,
            web_endpoints,
            startup,
            sweep_delay,
            services,
        })
    }

    /// Every route with the access it declares (for the route-walking test).
    pub fn endpoints(&self) -> &[penkom_api::Endpoint] {
        &self.endpoints
    }

    /// Every page route with the access it declares (for the same test).
    pub fn web_endpoints(&self) -> &[penkom_web::routes::WebEndpoint] {
        &self.web_endpoints
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Serves until `shutdown` completes, then stops accepting connections and lets in-flight
    /// requests finish before returning.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // Revocations made on other nodes reach this node's cache of callers through this task.
        let follower = tokio::spawn(self.services.accounts.clone().follow_revocations());
        let issuer = tokio::spawn(issue_pending_forever(
            self.services.certificates.clone(),
            self.startup.clone(),
            self.sweep_delay,
        ));
        let mut mailer = tokio::spawn(self.services.outbox.clone().run_forever());
        let reminder = tokio::spawn(remind_when_due(
            self.services.db.clone(),
            self.services.ledger.clone(),
            self.services.clock.clone(),
            self.zone,
            self.services.mail.clone(),
        ));
        crate::serve::serve(self.listener, self.router, self.limits, shutdown).await;
        follower.abort();
        issuer.abort();
        reminder.abort();
        // The mailer is asked, not aborted: a send cut off between the SMTP server's `250` and
        // the row's `sent_at` would go again after the restart. It finishes the send in
        // progress (at most the send limit) and gives up its lease, so the next start sends at
        // once.
        self.services.outbox.stop();
        let grace = notifications::outbox::SEND_LIMIT + std::time::Duration::from_secs(5);
        if tokio::time::timeout(grace, &mut mailer).await.is_err() {
            mailer.abort();
        }
        self.services.db.close().await.ok();
        Ok(())
    }
}

/// How often a node looks for completions without a certificate. Normally the request that
/// completes a course issues its certificate at once; this catches the ones a crash or a
/// database hiccup left behind.
const ISSUE_SWEEP: std::time::Duration = std::time::Duration::from_secs(30);

/// Issues certificates for completions that have none: once at start (a crash between a
/// completion and its certificate is repaired by the next start), then periodically. Several
/// nodes may sweep at once; issuance is idempotent per completion.
///
/// The node reports ready only once the first pass succeeded; until then it retries each
/// second, since a database that cannot be swept cannot serve either.
async fn issue_pending_forever(
    certificates: Certificates,
    startup: Arc<penkom_api::state::Startup>,
    delay: std::time::Duration,
) {
    tokio::time::sleep(delay).await;
    loop {
        match certificates.issue_pending().await {
            Ok(n) => {
                if n > 0 {
                    tracing::info!(issued = n, "issued certificates for completions left without one");
                }
                startup.mark_sweep_done();
                break;
            }
            Err(e) => {
                tracing::warn!(error = %e, "the start-up sweep of pending certificates failed; retrying");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        }
    }
    let mut tick = tokio::time::interval(ISSUE_SWEEP);
    tick.tick().await; // the first tick is immediate, and the first pass just ran
    loop {
        tick.tick().await;
        match certificates.issue_pending().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(issued = n, "issued certificates for pending completions"),
            Err(e) => tracing::warn!(error = %e, "issuing pending certificates failed; will retry"),
        }
    }
}

/// Checks every minute whether this year's JP reminder is due, and queues it once.
async fn remind_when_due(
    db: penkom_storage::DatabaseConnection,
    ledger: jp_ledger::Ledger,
    clock: Arc<dyn Clock>,
    zone: penkom_core::LocalZone,
    ctx: notifications::reminder::MailContext,
) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        match notifications::reminder::run_if_due(&db, &ledger, clock.now(), &zone, &ctx).await {
            Ok(Some(run)) => {
                tracing::info!(year = run.year, queued = run.queued, "yearly JP reminder queued")
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "the yearly JP reminder failed; will retry"),
        }
    }
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM (what orchestrators send before stopping a node).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

/// A content import failure as an error that lists every problem, one per line.
pub fn content_error(dir: &std::path::Path, e: course_delivery::ContentImportError) -> anyhow::Error {
    match e {
        course_delivery::ContentImportError::Invalid(problems) => {
            let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("course content in {} is invalid:\n{}", dir.display(), lines.join("\n"))
        }
        other => {
            anyhow::Error::new(other).context(format!("importing course content from {}", dir.display()))
        }
    }
}
